//! Build steps that come after `cargo build`, so an operator's release build needs cargo, this crate and
//! wasm-opt, and not cargo-leptos (a development tool that takes longer to compile than Helpdesk itself):
//!
//! - `site`: the dashboard's site from the `frontend` WASM, as `cargo leptos build --release --precompress
//!   --split` makes it (same steps, same crate versions, same file names); `scripts/site-check.sh` proves
//!   the two equal in CI.
//! - `widget`: the visitor widget's JS and WASM (wasm-bindgen, then wasm-opt), and its forms module.
//! - `compare`: whether two sites are the same.
//!
//! Settings mirror `[workspace.metadata.leptos]` in the root Cargo.toml.

mod compare;
mod compress;
mod hash;
mod site;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "usage:
  xtask site --wasm <frontend.wasm> --site <dir> --hash-file <hash.txt>
  xtask widget --wasm <widget_wasm.wasm> --out <dir>
  xtask compare <site-a> <hash-a> <site-b> <hash-b>";

fn main() {
    if let Err(err) = run(std::env::args().skip(1).collect()) {
        eprintln!("xtask: {err:#}");
        std::process::exit(1);
    }
}

fn run(args: Vec<String>) -> Result<()> {
    let Some((command, rest)) = args.split_first() else {
        bail!("{USAGE}");
    };
    match command.as_str() {
        "site" => {
            let flags = Flags::parse(rest, &["--wasm", "--site", "--hash-file"])?;
            site::build(&site::SiteBuild {
                wasm: flags.path("--wasm")?,
                site_root: flags.path("--site")?,
                hash_file: flags.path("--hash-file")?,
            })
        }
        "widget" => {
            let flags = Flags::parse(rest, &["--wasm", "--out"])?;
            widget(&flags.path("--wasm")?, &flags.path("--out")?)
        }
        "compare" => match rest {
            [a, hash_a, b, hash_b] => compare::sites(Path::new(a), Path::new(hash_a), Path::new(b), Path::new(hash_b)),
            _ => bail!("{USAGE}"),
        },
        _ => bail!("unknown command {command:?}\n{USAGE}"),
    }
}

struct Flags(Vec<(String, String)>);

impl Flags {
    fn parse(args: &[String], known: &[&str]) -> Result<Self> {
        let mut pairs = Vec::new();
        let mut iter = args.iter();
        while let Some(flag) = iter.next() {
            if !known.contains(&flag.as_str()) {
                bail!("unknown argument {flag:?}\n{USAGE}");
            }
            let value = iter.next().with_context(|| format!("{flag} needs a value"))?;
            pairs.push((flag.clone(), value.clone()));
        }
        Ok(Self(pairs))
    }

    fn path(&self, flag: &str) -> Result<PathBuf> {
        self.0
            .iter()
            .find(|(name, _)| name == flag)
            .map(|(_, value)| PathBuf::from(value))
            .with_context(|| format!("{flag} is required\n{USAGE}"))
    }
}

/// The widget: ES module glue without TypeScript declarations, then wasm-opt for size (every byte is downloaded
/// on customers' websites), and beside them the forms module the chat imports when a form is first shown
/// (`widget-wasm/forms.js`, plain JavaScript).
fn widget(wasm: &Path, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    // The server serves every script and module found here: an earlier build's must go.
    for entry in std::fs::read_dir(out).with_context(|| format!("reading {}", out.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "js" || e == "wasm") {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    // The forms' CSS is shared with the dashboard's settings preview (`app/src/preview.rs`), so it is its own file.
    let forms = std::fs::read_to_string("widget-wasm/forms.js").context("reading widget-wasm/forms.js")?;
    let css = std::fs::read_to_string("widget-wasm/src/forms.css").context("reading widget-wasm/src/forms.css")?;
    if !forms.contains("__FORMS_CSS__") {
        bail!("widget-wasm/forms.js has no __FORMS_CSS__ placeholder");
    }
    std::fs::write(out.join("forms.js"), forms.replace("__FORMS_CSS__", &serde_json::to_string(css.trim())?))?;
    let mut bindgen = bindgen_as_cli();
    bindgen
        .input_path(wasm)
        .web(true)?
        .typescript(false)
        .out_name("widget")
        .generate(out)
        .with_context(|| format!("wasm-bindgen on {}", wasm.display()))?;
    let output = out.join("widget_bg.wasm");
    wasm_opt(
        &output,
        &[
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
        ],
    )?;
    let bytes = std::fs::read(&output)?;
    println!("widget: {} bytes wasm, {} bytes gzip", bytes.len(), compress::gzip(&bytes)?.len());
    Ok(())
}

/// wasm-bindgen set up as its CLI is when given no flags (the CLI passes every setting, and some of the library's
/// defaults differ), so the output is what `wasm-bindgen --target web` gives.
#[allow(deprecated)]
pub fn bindgen_as_cli() -> wasm_bindgen_cli_support::Bindgen {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .debug(false)
        .demangle(true)
        .keep_lld_exports(false)
        .keep_debug(false)
        .split_debug_info(false)
        .remove_name_section(false)
        .remove_producers_section(false)
        .typescript(true)
        .omit_imports(false)
        .omit_default_module_path(false)
        .split_linked_modules(false)
        .js_string_builtins(false)
        .ts_typed_array_buffers(false)
        .reference_types(false)
        .reset_state_function(false)
        .force_enable_abort_handler(false);
    bindgen
}

/// wasm-opt from PATH (binaryen from npm, `scripts/setup.sh`), rewriting `file` in place.
fn wasm_opt(file: &Path, flags: &[&str]) -> Result<()> {
    let status = Command::new("wasm-opt")
        .args(flags)
        .arg(file)
        .arg("-o")
        .arg(file)
        .status()
        .context("running wasm-opt (is tools/node_modules/.bin on PATH? scripts/setup.sh installs it)")?;
    if !status.success() {
        bail!("wasm-opt failed on {} ({status})", file.display());
    }
    Ok(())
}
