//! Compiles `core/*.dl` into an `ascent!` program with the engine's own `.dl` front end.
//!
//! Reads every `core/*.dl` in file-name order, parses and checks them, checks that their
//! declarations agree with the engine's relation schema exactly, and writes to `OUT_DIR`:
//! - `core_program.rs`: the ascent program and `run_core(&Facts) -> Derived`;
//! - `core_sources.rs`: `CORE_SOURCES`, the `(file name, text)` of every core file;
//! - `codegen_cases.rs`: a test-only program from `tests/codegen/*.dl` exercising the code
//!   generator (included by the crate's unit tests only).
//!
//! Any error fails the build with the error rendered like rustc's, pointing into the `.dl` file.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use iamlog_engine::dl::{self, AscentOptions, DlError};
use iamlog_engine::SCHEMA;

/// The generated programs' relation store (`src/small_index.rs`).
const RELATION_STORE: &str = "crate::small_index";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// One `.dl` file: its file name, the name shown in errors, and its text.
struct DlFile {
    file_name: String,
    display_name: String,
    text: String,
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);

    let core = read_dl_dir(&manifest.join("core"), "rules/core")?;
    if core.is_empty() {
        return Err("error: no `.dl` files in rules/core".to_owned());
    }
    let program = parse_and_check(&core, true)?;
    let options = AscentOptions {
        relation_store: Some(RELATION_STORE.to_owned()),
        ..AscentOptions::default()
    };
    let code = dl::compile_to_ascent(&program, &options).map_err(|e| render_all(&[e], &core))?;
    write(&out_dir.join("core_program.rs"), &code)?;
    write(&out_dir.join("core_sources.rs"), &sources_table(&core))?;

    // The bundled detection packs and their tests, embedded as text (the interpreter runs them).
    let mut pack_files = Vec::new();
    walk_packs(&manifest.join("packs"), "", &mut pack_files)?;
    write(&out_dir.join("pack_sources.rs"), &pack_table(&pack_files))?;

    let cases = read_dl_dir(&manifest.join("tests/codegen"), "rules/tests/codegen")?;
    let program = parse_and_check(&cases, false)?;
    let options = AscentOptions {
        struct_name: "CodegenCases".to_owned(),
        run_fn: None,
        engine_crate: "iamlog_engine".to_owned(),
        relation_store: Some(RELATION_STORE.to_owned()),
    };
    let code = dl::compile_to_ascent(&program, &options).map_err(|e| render_all(&[e], &cases))?;
    write(&out_dir.join("codegen_cases.rs"), &code)?;
    Ok(())
}

/// The `.dl` files of `dir`, sorted by file name; registers them with cargo for rebuilds.
fn read_dl_dir(dir: &Path, display_dir: &str) -> Result<Vec<DlFile>, String> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let entries =
        fs::read_dir(dir).map_err(|e| format!("error: cannot read {}: {e}", dir.display()))?;
    let mut paths = BTreeMap::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("error: cannot read {}: {e}", dir.display()))?
            .path();
        if path.extension().is_some_and(|x| x == "dl") {
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                paths.insert(name.to_owned(), path.clone());
            }
        }
    }
    let mut files = Vec::new();
    for (file_name, path) in paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("error: cannot read {}: {e}", path.display()))?;
        files.push(DlFile {
            display_name: format!("{display_dir}/{file_name}"),
            file_name,
            text,
        });
    }
    Ok(files)
}

fn parse_and_check(files: &[DlFile], against_schema: bool) -> Result<dl::Program, String> {
    let program = dl::parse_files(
        files
            .iter()
            .map(|f| (f.display_name.as_str(), f.text.as_str())),
    )
    .map_err(|e| render_all(&[e], files))?;
    let mut errors = dl::check(&program);
    if against_schema {
        errors.extend(dl::check_against_schema(&program, SCHEMA));
    }
    // Warnings (a singleton variable) do not stop the build; errors do.
    errors.retain(|e| !e.is_warning());
    if errors.is_empty() {
        Ok(program)
    } else {
        Err(render_all(&errors, files))
    }
}

fn render_all(errors: &[DlError], files: &[DlFile]) -> String {
    let mut out = String::new();
    for e in errors {
        let source = files
            .iter()
            .find(|f| Some(f.display_name.as_str()) == e.file())
            .map_or("", |f| f.text.as_str());
        out.push_str(&e.render(source));
        out.push('\n');
    }
    let _ = write!(
        out,
        "error: the core rules do not compile ({} error{})",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    out
}

fn sources_table(files: &[DlFile]) -> String {
    let mut out = String::from(
        "// @generated by rules/build.rs.\n\n/// `(file name, text)` of every `core/*.dl` file, in file-name order.\n\
         pub static CORE_SOURCES: &[(&str, &str)] = &[\n",
    );
    for f in files {
        let _ = writeln!(
            out,
            "    ({:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?}))),",
            f.file_name,
            format!("/core/{}", f.file_name)
        );
    }
    out.push_str("];\n");
    out
}

/// Every file of `rules/packs` (rule files, tests, expectations), as paths relative to it.
fn walk_packs(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), String> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("error: cannot read {}: {e}", dir.display()))?
            .path();
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            names.push((name.to_owned(), path.clone()));
        }
    }
    names.sort();
    for (name, path) in names {
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            walk_packs(&path, &format!("{rel}/"), out)?;
        } else if [".dl", ".test", ".expect", ".expect_none", ".todo"]
            .iter()
            .any(|x| name.ends_with(x))
        {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(rel);
        }
    }
    Ok(())
}

fn pack_table(files: &[String]) -> String {
    let mut out = String::from(
        "// @generated by rules/build.rs.\n\n/// `(path under rules/packs, text)` of every pack file, in path order.\n\
         pub static PACK_SOURCES: &[(&str, &str)] = &[\n",
    );
    for f in files {
        let _ = writeln!(
            out,
            "    ({:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?}))),",
            f,
            format!("/packs/{f}")
        );
    }
    out.push_str("];\n");
    out
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    // Leave unchanged files alone so that their timestamps do not force a rebuild.
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(path, text).map_err(|e| format!("error: cannot write {}: {e}", path.display()))
}
