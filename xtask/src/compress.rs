//! Gzip and Brotli copies beside every file of the site, which the server sends as they are instead of
//! compressing per request; as cargo-leptos's `--precompress` makes them (Brotli
//! with the same encoder and settings; gzip with flate2 rather than libflate).

use anyhow::{Context, Result};
use std::fs;
use std::io::Write;
use std::path::Path;

pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams::default();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

pub fn precompress_dir(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            precompress_dir(&path)?;
            continue;
        }
        let name = path.to_string_lossy().into_owned();
        if name.ends_with(".gz") || name.ends_with(".br") {
            continue;
        }
        let bytes = fs::read(&path)?;
        fs::write(format!("{name}.gz"), gzip(&bytes)?)?;
        fs::write(format!("{name}.br"), brotli(&bytes)?)?;
    }
    Ok(())
}

/// The original bytes of a `.gz` or `.br` file.
pub fn decompress(name: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    if name.ends_with(".gz") {
        std::io::copy(&mut flate2::read::GzDecoder::new(bytes), &mut out)?;
    } else {
        brotli::BrotliDecompress(&mut &bytes[..], &mut out)?;
    }
    Ok(out)
}
