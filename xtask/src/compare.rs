//! Whether two sites (and their `hash.txt`) are the same: the same files with the same contents, compared after
//! taking out what differs between two cargo-leptos runs of one build:
//! - wasm-split lists the shared imports in its loader from a hash set, so their order (hence the loader's hashed
//!   name, written into every module) can change from run to run: loaders are compared with those lists sorted,
//!   and the loader's name is replaced by a placeholder wherever it appears;
//! - the split manifest is written from a hash map (so its hashed name changes too): compared as JSON;
//! - compressed copies are compared by what they decompress to (cargo-leptos's gzip encoder is not ours).

use crate::compress::decompress;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

const MANIFEST_PREFIX: &str = "pkg/__wasm_split_manifest.";
const LOADER_PLACEHOLDER: &str = "__wasm_split.<hash>.js";

struct Site {
    /// Path (with the placeholders) to normalized contents.
    files: BTreeMap<String, Vec<u8>>,
    /// `hash.txt` without the lines for the manifest and the loader.
    hash_lines: Vec<String>,
}

pub fn sites(a: &Path, hash_a: &Path, b: &Path, hash_b: &Path) -> Result<()> {
    let (site_a, site_b) = (Site::read(a, hash_a)?, Site::read(b, hash_b)?);
    let mut problems = Vec::new();
    for name in site_a.files.keys().filter(|name| !site_b.files.contains_key(*name)) {
        problems.push(format!("only in {}: {name}", a.display()));
    }
    for name in site_b.files.keys().filter(|name| !site_a.files.contains_key(*name)) {
        problems.push(format!("only in {}: {name}", b.display()));
    }
    for (name, bytes_a) in &site_a.files {
        let Some(bytes_b) = site_b.files.get(name) else { continue };
        let same = if name.starts_with(MANIFEST_PREFIX) {
            json(name, bytes_a)? == json(name, bytes_b)?
        } else {
            bytes_a == bytes_b
        };
        if !same {
            problems.push(format!("differs: {name} ({} and {} bytes)", bytes_a.len(), bytes_b.len()));
        }
    }
    if site_a.hash_lines != site_b.hash_lines {
        problems.push(format!("hash files differ: {:?} and {:?}", site_a.hash_lines, site_b.hash_lines));
    }
    if problems.is_empty() {
        println!("same site: {} files", site_a.files.len());
        Ok(())
    } else {
        bail!("the sites differ:\n  {}", problems.join("\n  "))
    }
}

impl Site {
    fn read(root: &Path, hash_file: &Path) -> Result<Self> {
        let text = fs::read_to_string(hash_file).with_context(|| format!("reading {}", hash_file.display()))?;
        let line = |key: &str| text.lines().find_map(|line| line.strip_prefix(key)).map(str::trim);
        let split = line("split:").context("hash.txt names no split loader")?;
        let manifest = line("manifest:").context("hash.txt names no manifest")?;
        let loader = format!("__wasm_split.{split}.js");
        let mut files = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path.strip_prefix(root)?.to_str().context("a file name is not UTF-8")?;
                let name = rel
                    .replace(&loader, LOADER_PLACEHOLDER)
                    .replace(&format!("__wasm_split_manifest.{manifest}."), "__wasm_split_manifest.<hash>.");
                let mut bytes = fs::read(&path)?;
                if name.ends_with(".gz") || name.ends_with(".br") {
                    bytes = decompress(&name, &bytes).with_context(|| format!("decompressing {rel}"))?;
                }
                bytes = replace_bytes(&bytes, loader.as_bytes(), LOADER_PLACEHOLDER.as_bytes());
                if name.contains(LOADER_PLACEHOLDER) {
                    bytes = sort_name_lists(&String::from_utf8(bytes)?).into_bytes();
                }
                files.insert(name, bytes);
            }
        }
        if !files.keys().any(|name| name == &format!("pkg/{LOADER_PLACEHOLDER}")) {
            bail!("{} has no {loader}, which {} names", root.display(), hash_file.display());
        }
        if !files.keys().any(|name| name == "pkg/__wasm_split_manifest.<hash>.json") {
            bail!("{} has no manifest with the hash {manifest}", root.display());
        }
        let hash_lines = text
            .lines()
            .filter(|line| !line.starts_with("manifest:") && !line.starts_with("split:"))
            .map(str::to_string)
            .collect();
        Ok(Self { files, hash_lines })
    }
}

fn replace_bytes(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at..].starts_with(from) {
            out.extend_from_slice(to);
            at += from.len();
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    out
}

/// `{ b, a,  }` (names only) becomes `{ a, b,  }`.
fn sort_name_lists(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let inner = &rest[..close];
        let is_names =
            inner.contains(',') && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ',' || c == ' ');
        if is_names {
            let mut names: Vec<&str> = inner.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
            names.sort_unstable();
            out.push_str(&format!(" {},  ", names.join(", ")));
            rest = &rest[close..];
        }
    }
    out.push_str(rest);
    out
}

fn json(name: &str, bytes: &[u8]) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).with_context(|| format!("{name} is not JSON"))
}
