//! Files the server writes are its own user's alone: directories `0700`, files `0600`, whatever the umask. The data
//! directory holds the SQLite database and its log, the JWT secret and visitors' uploads; another local account
//! must read none of them.

use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) private to this user; an existing `dir` is made private too.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    restrict(dir, 0o700)
}

/// Creates the missing directories of `dir` private to this user, leaving existing ones as they are (the parent of
/// a database file may be a directory the operator shares, such as `/var/lib`).
pub fn create_dirs(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes `file` private if it exists; creates it empty and private when `create` and it does not.
pub fn private_file(file: &Path, create: bool) -> io::Result<()> {
    if create {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(file)?;
    }
    match std::fs::metadata(file) {
        Ok(_) => restrict(file, 0o600),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to a new private file (replacing one of the same name).
pub async fn write_private(file: &Path, bytes: &[u8]) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut out = options.open(file).await?;
    out.write_all(bytes).await?;
    out.flush().await
}

fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if current != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn what_is_created_is_private_and_what_existed_is_made_private() {
        let root = std::env::temp_dir().join(format!("helpdesk-files-{}", rand::random::<u64>()));
        let dir = root.join("data");
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        private_dir(&dir).expect("private dir");
        assert_eq!(mode(&dir), 0o700);
        private_dir(&dir.join("uploads/nested")).expect("new dirs");
        assert_eq!(mode(&dir.join("uploads")), 0o700);

        let db = dir.join("helpdesk.db");
        private_file(&db, true).expect("db file");
        assert_eq!(mode(&db), 0o600);
        let wal = dir.join("helpdesk.db-wal");
        std::fs::write(&wal, b"x").expect("wal");
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        private_file(&wal, false).expect("existing wal");
        assert_eq!(mode(&wal), 0o600);
        private_file(&dir.join("absent-shm"), false).expect("absent file is fine");
        assert!(!dir.join("absent-shm").exists());

        let upload = dir.join("uploads/abc");
        write_private(&upload, b"bytes").await.expect("write");
        assert_eq!((mode(&upload), std::fs::read(&upload).expect("read")), (0o600, b"bytes".to_vec()));
        std::fs::remove_dir_all(&root).ok();
    }
}
