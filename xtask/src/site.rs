//! The dashboard's site, in cargo-leptos's order: assets, style, split WASM through wasm-bindgen and wasm-opt,
//! content-hashed names, precompressed copies.

use crate::{compress, hash, wasm_opt};
use anyhow::{bail, Context, Result};
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions, StyleSheet};
use lightningcss::targets::{Browsers, Targets};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// `output-name`, `site-pkg-dir`, `style-file`, `assets-dir` and `browserquery` in `[workspace.metadata.leptos]`.
pub const OUTPUT_NAME: &str = "helpdesk";
pub const PKG_DIR: &str = "pkg";
const STYLE_FILE: &str = "style/dashboard.css";
const ASSETS_DIR: &str = "public";
const BROWSER_QUERY: &str = "defaults";
/// What wasm-split names the loader its chunks import, renamed once the hashes are known.
pub const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

pub struct SiteBuild {
    /// `frontend.wasm` from `cargo build --lib --target wasm32-unknown-unknown --profile wasm-release`, linked with
    /// `-Clink-args=--emit-relocs` so it can be split.
    pub wasm: PathBuf,
    pub site_root: PathBuf,
    /// Where the server reads the hashed names: `hash.txt` beside its binary.
    pub hash_file: PathBuf,
}

pub fn build(build: &SiteBuild) -> Result<()> {
    let root = &build.site_root;
    let pkg = root.join(PKG_DIR);
    if root.exists() {
        empty_dir(root)?;
    }
    fs::create_dir_all(&pkg).with_context(|| format!("creating {}", pkg.display()))?;

    let started = Instant::now();
    copy_dir(Path::new(ASSETS_DIR), root)?;
    fs::write(pkg.join(format!("{OUTPUT_NAME}.css")), style()?)?;
    front(&build.wasm, &pkg)?;
    hash::add_hashes(&pkg, &build.hash_file)?;
    let compressing = Instant::now();
    compress::precompress_dir(root)?;
    println!(
        "site: {} in {:.1} s ({:.1} s of it precompressing)",
        root.display(),
        started.elapsed().as_secs_f64(),
        compressing.elapsed().as_secs_f64()
    );
    Ok(())
}

fn empty_dir(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) }
            .with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target).with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The stylesheet minified for the browsers of the query, as cargo-leptos's Lightning CSS step does.
fn style() -> Result<String> {
    let css = fs::read_to_string(STYLE_FILE).with_context(|| format!("reading {STYLE_FILE}"))?;
    let browsers = Browsers::from_browserslist([BROWSER_QUERY])
        .map_err(|err| anyhow::anyhow!("browserslist {BROWSER_QUERY:?}: {err}"))?;
    let targets = Targets::from(browsers);
    let options = ParserOptions { filename: STYLE_FILE.to_string(), ..Default::default() };
    let mut sheet = StyleSheet::parse(&css, options).map_err(|err| anyhow::anyhow!("{STYLE_FILE}: {err}"))?;
    sheet
        .minify(MinifyOptions { targets, ..Default::default() })
        .map_err(|err| anyhow::anyhow!("{STYLE_FILE}: {err}"))?;
    let printed = sheet
        .to_css(PrinterOptions { targets, minify: true, ..Default::default() })
        .map_err(|err| anyhow::anyhow!("{STYLE_FILE}: {err}"))?;
    Ok(printed.code)
}

/// Splits the lazy routes into their own modules, generates the JS glue, and shrinks every module.
fn front(wasm: &Path, pkg: &Path) -> Result<()> {
    let input = fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let stem = wasm.file_stem().and_then(|stem| stem.to_str()).context("the WASM path has no file name")?;
    let main_out = wasm.with_file_name(format!("{stem}_split.wasm"));
    let main_module = format!("./{OUTPUT_NAME}.js");
    let link_name = format!("./{SPLIT_LOADER}");

    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&input);
        options.output_dir = pkg;
        options.main_out_path = &main_out;
        options.main_module = &main_module;
        options.link_name = &link_name;
        options
    })
    .map_err(|err| anyhow::anyhow!("splitting {}: {err}", wasm.display()))?;
    drop(input);
    // Sorted, so the same build gives the same manifest (and the same hashed name for it).
    let manifest: BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    fs::write(pkg.join("__wasm_split_manifest.json"), serde_json::to_string_pretty(&manifest)?)?;

    let mut bindgen = crate::bindgen_as_cli();
    bindgen
        .input_path(&main_out)
        .web(true)?
        .keep_lld_exports(true)
        .demangle(false)
        .out_name(OUTPUT_NAME)
        .generate(pkg)
        .with_context(|| format!("wasm-bindgen on {}", main_out.display()))?;
    // Leptos's hydration script asks for `<name>.wasm`, as cargo-leptos names it.
    let main_wasm = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    fs::rename(pkg.join(format!("{OUTPUT_NAME}_bg.wasm")), &main_wasm)?;

    let mut modules = vec![main_wasm];
    modules.extend(split.split_modules);
    // wasm-opt (binaryen's JS build) runs one module per process: keep every core busy with the next module.
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    while let Some(module) = modules.get(next.fetch_add(1, Ordering::Relaxed)) {
                        wasm_opt(module, &["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int"])?;
                    }
                    Ok(())
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(result) => result?,
                Err(_) => bail!("a wasm-opt thread panicked"),
            }
        }
        Ok(())
    })?;
    Ok(())
}
