//! `iamlog-synth --size small|medium|large|ape --seed 1 --out DIR`: writes a synthetic org in the
//! layout of real exports (`DIR/input/aws/<account>-iam.json`, `DIR/input/aws/tags.json`, and
//! for the multi-account sizes `organizations/` and `resources/`) and prints its counts.

use std::path::PathBuf;
use std::process::ExitCode;

use iamlog_benches::{generate_to, Size};

const USAGE: &str = "usage: iamlog-synth --size small|medium|large|ape [--seed N] --out DIR";

struct Args {
    size: Size,
    seed: u64,
    out: PathBuf,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut size = None;
    let mut seed = 1u64;
    let mut out = None;
    while let Some(a) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "--size" => {
                size = Some(
                    value("--size")?
                        .parse::<Size>()
                        .map_err(|e| e.to_string())?,
                )
            }
            "--seed" => {
                let v = value("--seed")?;
                seed = v
                    .parse()
                    .map_err(|_| format!("--seed: `{v}` is not a non-negative integer"))?;
            }
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    Ok(Args {
        size: size.ok_or_else(|| format!("--size is required\n{USAGE}"))?,
        seed,
        out: out.ok_or_else(|| format!("--out is required\n{USAGE}"))?,
    })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let start = std::time::Instant::now();
    match generate_to(args.size, args.seed, &args.out) {
        Ok(w) => {
            println!(
                "wrote the {} org (seed {}) to {}: {} files in {:.1} s",
                args.size,
                args.seed,
                args.out.display(),
                w.files,
                start.elapsed().as_secs_f64()
            );
            println!("{}", w.stats);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("iamlog-synth: {e}");
            ExitCode::from(2)
        }
    }
}
