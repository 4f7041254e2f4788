//! Content-hashed file names (served immutable) and `hash.txt`, where the server finds them: cargo-leptos's
//! `hash-files` scheme, the URL-safe base64 of each file's MD5 in its name.

use crate::site::{OUTPUT_NAME, SPLIT_LOADER};
use anyhow::{bail, Context, Result};
use base64ct::{Base64UrlUnpadded, Encoding};
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const PLACEHOLDER: &str = "______________________";

pub fn of(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(&Md5::digest(bytes))
}

type Renames = BTreeMap<PathBuf, PathBuf>;

pub fn add_hashes(pkg: &Path, hash_file: &Path) -> Result<()> {
    let hashes = file_hashes(pkg)?;
    let renamed = rename(&hashes)?;
    let main_js = pkg.join(format!("{OUTPUT_NAME}.js"));
    let renamed_main_js = renamed.get(&main_js).context("no main JS file was hashed")?;
    replace_in_file(renamed_main_js, &renamed, pkg)?;

    let loader = pkg.join(SPLIT_LOADER);
    let loader_renamed = renamed.get(&loader).context("wasm-split wrote no loader")?.clone();
    replace_in_file(&loader_renamed, &renamed, pkg)?;
    replace_loader_references(pkg, SPLIT_LOADER, &file_name(&loader_renamed)?, &renamed)?;
    // The loader's contents just changed (it now names hashed files), so its name follows them.
    let split_hash = of(&fs::read(&loader_renamed)?);
    if Some(&split_hash) != hashes.get(&loader) {
        let rehashed = pkg.join(format!("__wasm_split.{split_hash}.js"));
        fs::rename(&loader_renamed, &rehashed)?;
        let renames = Renames::from([(loader_renamed.clone(), rehashed.clone())]);
        replace_loader_references(pkg, &file_name(&loader_renamed)?, &file_name(&rehashed)?, &renames)?;
        replace_in_file(renamed_main_js, &renames, pkg)?;
    }

    let hash_for = |name: &str| hashes.get(&pkg.join(name)).cloned().with_context(|| format!("{name} was not hashed"));
    let manifest = hash_for("__wasm_split_manifest.json")?;
    let text = format!(
        "js: {}\nwasm: {}\ncss: {}\nmanifest: {manifest}\nsplit: {split_hash}\n",
        hash_for(&format!("{OUTPUT_NAME}.js"))?,
        hash_for(&format!("{OUTPUT_NAME}.wasm"))?,
        hash_for(&format!("{OUTPUT_NAME}.css"))?,
    );
    if let Some(parent) = hash_file.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(hash_file, text).with_context(|| format!("writing {}", hash_file.display()))
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|name| name.to_str())
        .map(str::to_string)
        .with_context(|| format!("{} has no UTF-8 file name", path.display()))
}

/// Every file under the package directory except wasm-bindgen's snippets (the WASM imports them by their plain
/// names) and stylesheets other than the site's.
fn file_hashes(pkg: &Path) -> Result<BTreeMap<PathBuf, String>> {
    let site_css = pkg.join(format!("{OUTPUT_NAME}.css"));
    let mut hashes = BTreeMap::new();
    let mut stack = vec![pkg.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let is_other_css = path.extension().is_some_and(|ext| ext == "css") && path != site_css;
            if is_other_css || path.to_string_lossy().contains("snippets") {
                continue;
            }
            let hash = of(&fs::read(&path)?);
            if path.file_stem().and_then(|stem| stem.to_str()) == Some(hash.as_str()) {
                continue;
            }
            hashes.insert(path, hash);
        }
    }
    Ok(hashes)
}

fn rename(hashes: &BTreeMap<PathBuf, String>) -> Result<Renames> {
    let mut renamed = Renames::new();
    for (path, hash) in hashes {
        let name = file_name(path)?;
        let new_name = if name.contains(PLACEHOLDER) {
            if hash.len() != PLACEHOLDER.len() {
                bail!("a hash of {} characters cannot replace the placeholder", hash.len());
            }
            name.replace(PLACEHOLDER, hash)
        } else {
            let stem = path.file_stem().and_then(|s| s.to_str()).context("no file stem")?;
            let ext = path.extension().and_then(|e| e.to_str()).context("no extension")?;
            format!("{stem}.{hash}.{ext}")
        };
        let new_path = path.with_file_name(new_name);
        fs::rename(path, &new_path).with_context(|| format!("renaming {}", path.display()))?;
        renamed.insert(path.clone(), new_path);
    }
    Ok(renamed)
}

fn relative<'a>(path: &'a Path, pkg: &Path) -> Result<&'a str> {
    path.strip_prefix(pkg)
        .ok()
        .and_then(|rel| rel.to_str())
        .with_context(|| format!("{} is outside {}", path.display(), pkg.display()))
}

fn replace_in_file(path: &Path, renames: &Renames, pkg: &Path) -> Result<()> {
    let mut contents = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    for (old, new) in renames {
        contents = contents.replace(relative(old, pkg)?, relative(new, pkg)?);
    }
    fs::write(path, contents)?;
    Ok(())
}

/// The loader's name inside every module (same length, so patched in place) and the chunk names in the manifest.
fn replace_loader_references(pkg: &Path, old_name: &str, new_name: &str, renames: &Renames) -> Result<()> {
    if old_name.len() != new_name.len() {
        bail!("{old_name} and {new_name} differ in length");
    }
    for entry in fs::read_dir(pkg)? {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let name = file_name(&path)?;
        if name.ends_with(".wasm") {
            let mut bytes = fs::read(&path)?;
            let (old, new) = (old_name.as_bytes(), new_name.as_bytes());
            let mut at = 0;
            while at + old.len() <= bytes.len() {
                if bytes[at..].starts_with(old) {
                    bytes[at..at + old.len()].copy_from_slice(new);
                    at += old.len();
                } else {
                    at += 1;
                }
            }
            fs::write(&path, bytes)?;
        } else if name.starts_with("__wasm_split_manifest") {
            rewrite_manifest(&path, renames, pkg)?;
        }
    }
    Ok(())
}

fn rewrite_manifest(path: &Path, renames: &Renames, pkg: &Path) -> Result<()> {
    let mut stems = BTreeMap::new();
    for (old, new) in renames {
        let (old, new) = (relative(old, pkg)?, relative(new, pkg)?);
        if let (Some(old), Some(new)) = (old.strip_suffix(".wasm"), new.strip_suffix(".wasm")) {
            stems.insert(old.to_string(), new.to_string());
        }
    }
    fn replace(value: &mut serde_json::Value, stems: &BTreeMap<String, String>) {
        match value {
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| replace(item, stems)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|item| replace(item, stems)),
            serde_json::Value::String(text) => {
                if let Some(new) = stems.get(text.as_str()) {
                    *text = new.clone();
                }
            }
            _ => {}
        }
    }
    let mut manifest: serde_json::Value = serde_json::from_slice(&fs::read(path)?)?;
    replace(&mut manifest, &stems);
    fs::write(path, serde_json::to_string(&manifest)?)?;
    Ok(())
}
