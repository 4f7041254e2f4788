//! Attachments: files and images sent in a chat, by its visitor or its agents. The type comes from the bytes, never
//! from the name or the client's Content-Type; images are decoded under limits (dimensions and memory, so a
//! decompression bomb is refused before it is inflated) and re-encoded, which also drops metadata such as GPS
//! positions; markup (SVG, HTML) is refused outright. Files are stored under random names and read back only by
//! the chat's participants.

use std::io::Cursor;
use std::path::PathBuf;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use protocol::{Attachment, ChatMessage, SenderType};
use sea_orm::EntityTrait;
use tokio::sync::Semaphore;

use crate::ctx::Principal;
use crate::entities::attachments;
use crate::services::chats::find_for;
use crate::services::messages::{self, Content};
use crate::AppState;
use protocol::AppError;

pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Largest image side accepted; bigger images are refused before their pixels are decoded.
pub const MAX_IMAGE_SIDE: u32 = 8192;
/// Most memory one image decode may allocate.
const MAX_DECODE_ALLOC: u64 = 128 * 1024 * 1024;
const THUMBNAIL_SIDE: u32 = 320;
const MAX_NAME_CHARS: usize = 200;

/// Where uploads are kept and how large they may be. Image work is CPU-bound: at most two decodes run at once.
pub struct Uploads {
    pub dir: PathBuf,
    pub max_bytes: usize,
    decoding: Semaphore,
}

impl Uploads {
    pub fn new(dir: PathBuf, max_bytes: usize) -> Self {
        Uploads { dir, max_bytes, decoding: Semaphore::new(2) }
    }
}

/// What the bytes are, by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Image(ImageFormat),
    Pdf,
    Zip,
    Text,
}

/// The type of `bytes` by magic numbers. Text is accepted only as UTF-8 without control characters (executables and
/// other binaries) that does not look like markup: an SVG or HTML file is refused even if it is named `.txt`.
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(Sniffed::Image(ImageFormat::Png));
    }
    if starts(b"\xff\xd8\xff") {
        return Some(Sniffed::Image(ImageFormat::Jpeg));
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(Sniffed::Image(ImageFormat::Gif));
    }
    if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Some(Sniffed::Image(ImageFormat::WebP));
    }
    if starts(b"%PDF-") {
        return Some(Sniffed::Pdf);
    }
    if starts(b"PK\x03\x04") {
        return Some(Sniffed::Zip);
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let head = text.trim_start_matches('\u{feff}').trim_start();
    let binary = text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'));
    if binary || head.starts_with('<') {
        return None;
    }
    Some(Sniffed::Text)
}

/// A stored file ready to be written: bytes, type, and for images their size and thumbnail.
struct Prepared {
    bytes: Vec<u8>,
    mime: &'static str,
    extension: Option<&'static str>,
    width: Option<u32>,
    height: Option<u32>,
    thumbnail: Option<Vec<u8>>,
}

fn refuse_image() -> AppError {
    AppError::validation(
        "file",
        format!("This image could not be read, or it is larger than {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} pixels."),
    )
}

/// Decodes under limits and re-encodes: JPEG stays JPEG, everything else becomes PNG (alpha kept).
fn reencode(bytes: &[u8], format: ImageFormat) -> Result<Prepared, AppError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| {
        tracing::info!(error = %e, "image upload refused");
        refuse_image()
    })?;
    let (width, height) = (image.width(), image.height());
    let (out_format, mime, extension) = if format == ImageFormat::Jpeg {
        (ImageFormat::Jpeg, "image/jpeg", "jpg")
    } else {
        (ImageFormat::Png, "image/png", "png")
    };
    let full = encode(&image, out_format)?;
    let thumbnail = if width > THUMBNAIL_SIDE || height > THUMBNAIL_SIDE {
        encode(&image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE), out_format)?
    } else {
        full.clone()
    };
    Ok(Prepared {
        bytes: full,
        mime,
        extension: Some(extension),
        width: Some(width),
        height: Some(height),
        thumbnail: Some(thumbnail),
    })
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, AppError> {
    let image = if format == ImageFormat::Jpeg { DynamicImage::ImageRgb8(image.to_rgb8()) } else { image.clone() };
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).map_err(|e| {
        tracing::error!(error = %e, "image re-encoding failed");
        AppError::Internal
    })?;
    Ok(out.into_inner())
}

fn prepare(bytes: Vec<u8>) -> Result<Prepared, AppError> {
    let plain =
        |bytes, mime, extension| Prepared { bytes, mime, extension, width: None, height: None, thumbnail: None };
    match sniff(&bytes) {
        Some(Sniffed::Image(format)) => reencode(&bytes, format),
        Some(Sniffed::Pdf) => Ok(plain(bytes, "application/pdf", Some("pdf"))),
        Some(Sniffed::Zip) => Ok(plain(bytes, "application/zip", None)),
        Some(Sniffed::Text) => Ok(plain(bytes, "text/plain; charset=utf-8", None)),
        None => Err(AppError::UnsupportedType(
            "Send an image (PNG, JPEG, GIF, WebP), a PDF, a ZIP or Office document, or a plain-text file.".into(),
        )),
    }
}

/// The uploader's file name, reduced to something safe to show and to offer for download: no path, no control
/// characters, a bounded length, and the extension of what is actually stored.
pub fn clean_name(raw: &str, extension: Option<&str>) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String =
        base.chars().filter(|c| !c.is_control() && *c != '"').take(MAX_NAME_CHARS).collect::<String>().trim().into();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        name = "file".into();
    }
    if let Some(ext) = extension {
        let has = name
            .rsplit_once('.')
            .is_some_and(|(_, e)| e.eq_ignore_ascii_case(ext) || (ext == "jpg" && e.eq_ignore_ascii_case("jpeg")));
        if !has {
            let stem = name.rsplit_once('.').map(|(s, _)| s.to_string()).filter(|s| !s.is_empty()).unwrap_or(name);
            name = format!("{stem}.{ext}");
        }
    }
    name
}

/// The protocol view of a stored attachment.
pub fn to_view(a: &attachments::Model) -> Attachment {
    Attachment {
        id: a.id.clone(),
        name: a.original_name.clone(),
        mime: a.mime.clone(),
        size: a.size,
        width: a.width,
        height: a.height,
        thumbnail: a.thumbnail.is_some(),
    }
}

/// An upload as received at the edge.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub client_msg_id: Option<String>,
}

/// Stores `upload` in `chat_id` (visitors may omit it: their open chat) and sends it as a `file` or `image`
/// message from `principal`, published like any other message.
pub async fn upload(
    principal: Principal<'_>,
    state: &AppState,
    chat_id: Option<&str>,
    upload: Upload,
) -> Result<ChatMessage, AppError> {
    let uploads = state.uploads.clone();
    if upload.bytes.is_empty() {
        return Err(AppError::validation("file", "The file is empty."));
    }
    if upload.bytes.len() > uploads.max_bytes {
        return Err(too_large(uploads.max_bytes));
    }
    messages::check_client_msg_id(upload.client_msg_id.as_deref())?;
    if let Principal::Visitor(v) = principal {
        state.limits.visitor_message(&v.visitor_id).await?;
    }
    // A named chat is checked before any work; a visitor's open chat is only created once the file is accepted.
    let named = match (principal, chat_id) {
        (_, Some(id)) => Some(find_for(principal, &state.db, id).await?),
        (Principal::Visitor(_), None) => None,
        (Principal::Agent(_), None) => return Err(AppError::validation("chatId", "Say which chat the file is for.")),
    };

    let prepared = {
        let _permit = uploads.decoding.acquire().await.map_err(|_| AppError::Internal)?;
        let bytes = upload.bytes;
        tokio::task::spawn_blocking(move || prepare(bytes)).await.map_err(|e| {
            tracing::error!(error = %e, "upload processing panicked");
            AppError::Internal
        })??
    };
    let id = uuid::Uuid::new_v4().to_string();
    let stored_name = id.replace('-', "");
    let thumb_name = prepared.thumbnail.as_ref().map(|_| format!("{stored_name}.thumb"));
    crate::files::private_dir(&uploads.dir).map_err(io_error)?;
    crate::files::write_private(&uploads.dir.join(&stored_name), &prepared.bytes).await.map_err(io_error)?;
    if let (Some(name), Some(bytes)) = (&thumb_name, &prepared.thumbnail) {
        crate::files::write_private(&uploads.dir.join(name), bytes).await.map_err(io_error)?;
    }
    let (uploader_type, uploader_id) = match principal {
        Principal::Agent(ctx) => (SenderType::Admin, ctx.user_id().to_string()),
        Principal::Visitor(v) => (SenderType::Visitor, v.visitor_id.clone()),
    };
    // Its chat and message are filled in by the writer, which stores the row with the message.
    let row = attachments::Model {
        id,
        chat_id: String::new(),
        message_id: None,
        uploader_type: uploader_type.as_str().into(),
        uploader_id,
        stored_name: stored_name.clone(),
        original_name: clean_name(&upload.file_name, prepared.extension),
        mime: prepared.mime.into(),
        size: prepared.bytes.len() as i64,
        width: prepared.width.map(|w| w as i32),
        height: prepared.height.map(|h| h as i32),
        thumbnail: thumb_name.clone(),
        created_at: chrono::Utc::now().naive_utc(),
    };
    let file = Content::File(Box::new((to_view(&row), row)));
    let sent = match messages::send_file(principal, state, named, file, upload.client_msg_id.as_deref()).await {
        Ok(sent) => sent,
        Err(e) => {
            remove_files(&uploads, &stored_name, thumb_name.as_deref()).await;
            return Err(e);
        }
    };
    if !sent.created {
        // A retried upload: the first one is the message; this copy goes.
        remove_files(&uploads, &stored_name, thumb_name.as_deref()).await;
    }
    Ok(sent.message)
}

fn too_large(max: usize) -> AppError {
    AppError::TooLarge(format!("Files may be at most {} MB.", max / (1024 * 1024)))
}

pub fn too_large_error(state: &AppState) -> AppError {
    too_large(state.uploads.max_bytes)
}

fn io_error(e: std::io::Error) -> AppError {
    tracing::error!(error = %e, "upload storage failed");
    AppError::Internal
}

async fn remove_files(uploads: &Uploads, stored: &str, thumb: Option<&str>) {
    let _ = tokio::fs::remove_file(uploads.dir.join(stored)).await;
    if let Some(thumb) = thumb {
        let _ = tokio::fs::remove_file(uploads.dir.join(thumb)).await;
    }
}

/// An attachment's bytes for a participant of its chat (anyone else: not found).
pub struct Download {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

pub async fn download(
    principal: Principal<'_>,
    state: &AppState,
    id: &str,
    thumbnail: bool,
) -> Result<Download, AppError> {
    let missing = || AppError::not_found("Attachment");
    let row = attachments::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(missing)?;
    find_for(principal, &state.db, &row.chat_id).await.map_err(|_| missing())?;
    let stored = if thumbnail { row.thumbnail.as_deref().ok_or_else(missing)? } else { row.stored_name.as_str() };
    let bytes = tokio::fs::read(state.uploads.dir.join(stored)).await.map_err(|e| {
        tracing::error!(error = %e, attachment = id, "attachment file missing");
        missing()
    })?;
    Ok(Download { name: row.original_name, mime: row.mime, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_bytes_not_names() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Sniffed::Image(ImageFormat::Png)));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some(Sniffed::Image(ImageFormat::Jpeg)));
        assert_eq!(sniff(b"GIF89a.."), Some(Sniffed::Image(ImageFormat::Gif)));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Sniffed::Image(ImageFormat::WebP)));
        assert_eq!(sniff(b"%PDF-1.7"), Some(Sniffed::Pdf));
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Sniffed::Zip));
        assert_eq!(sniff("order #42 — thanks".as_bytes()), Some(Sniffed::Text));
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"), None);
        assert_eq!(sniff(b"\xef\xbb\xbf  <?xml version='1.0'?><svg/>"), None);
        assert_eq!(sniff(b"<html><body>hi</body></html>"), None);
        assert_eq!(sniff(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), None);
        assert_eq!(sniff(b"text\0with nul"), None);
    }

    #[test]
    fn names_lose_paths_and_control_characters_and_get_the_stored_extension() {
        assert_eq!(clean_name("../../etc/passwd", None), "passwd");
        assert_eq!(clean_name("C:\\Users\\me\\photo.PNG", Some("png")), "photo.PNG");
        assert_eq!(clean_name("photo.webp", Some("png")), "photo.png");
        assert_eq!(clean_name("scan.jpeg", Some("jpg")), "scan.jpeg");
        assert_eq!(clean_name("a\u{0}b\nc\".txt", None), "abc.txt");
        assert_eq!(clean_name("", Some("pdf")), "file.pdf");
        assert_eq!(clean_name("..", None), "file");
        assert_eq!(clean_name(&"x".repeat(500), None).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn images_are_reencoded_with_thumbnails() {
        let image = DynamicImage::new_rgba8(640, 200);
        let mut png = Cursor::new(Vec::new());
        image.write_to(&mut png, ImageFormat::Png).expect("encode");
        let prepared = prepare(png.into_inner()).expect("prepared");
        assert_eq!(prepared.mime, "image/png");
        assert_eq!((prepared.width, prepared.height), (Some(640), Some(200)));
        let thumb = image::load_from_memory(&prepared.thumbnail.expect("thumbnail")).expect("thumbnail decodes");
        assert_eq!((thumb.width(), thumb.height()), (320, 100));
    }

    #[test]
    fn markup_and_executables_are_refused() {
        let svg = b"<svg onload=alert(1)></svg>".to_vec();
        assert!(matches!(prepare(svg), Err(AppError::UnsupportedType(_))));
        assert!(matches!(prepare(b"\x7fELF\x02\x01\x01".to_vec()), Err(AppError::UnsupportedType(_))));
    }
}
