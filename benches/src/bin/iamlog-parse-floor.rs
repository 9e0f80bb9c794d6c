//! The parse-only floor of an org's exports: reads every `.json` file under the given
//! directories and parses it into a `serde_json::Value`, on one thread, doing nothing else.
//! `iamlog ingest` / a query must stay within a small multiple of this time (the scale issue's
//! "pipeline within 3x the parse floor"). Prints files, bytes and seconds.
//!
//! Usage: `iamlog-parse-floor DIR...`

use std::path::{Path, PathBuf};
use std::time::Instant;

// The iamlog binary's allocator, so that the floor is measured on equal terms.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    Ok(())
}

fn main() {
    let dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: iamlog-parse-floor DIR...");
        std::process::exit(2);
    }
    let started = Instant::now();
    let mut list = Vec::new();
    for d in &dirs {
        if let Err(e) = files(d, &mut list) {
            eprintln!("{}: {e}", d.display());
            std::process::exit(2);
        }
    }
    let mut bytes = 0usize;
    let mut values = 0usize;
    for f in &list {
        let text = match std::fs::read(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                std::process::exit(2);
            }
        };
        bytes += text.len();
        match serde_json::from_slice::<serde_json::Value>(&text) {
            Ok(v) => values += usize::from(!v.is_null()),
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                std::process::exit(2);
            }
        }
    }
    println!(
        "{} files, {} bytes, {} documents parsed in {:.2} s",
        list.len(),
        bytes,
        values,
        started.elapsed().as_secs_f64()
    );
}
