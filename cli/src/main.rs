//! The `iamlog` binary: parse arguments, dispatch, exit with the command's code.

// mimalloc: the core program builds and drops millions of small index entries; glibc malloc
// spends a third of a whole-org run in malloc/free, mimalloc a fraction of that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let stdout = std::io::stdout();
    // A large buffer: bulk output (30 MB of JSON lines) in few write calls.
    let mut out = std::io::BufWriter::with_capacity(1 << 18, stdout.lock());
    // Not locked for the whole run: the progress line (another thread) writes to stderr too.
    let mut err = std::io::stderr();
    let code = iamlog_cli::run_from_args(std::env::args_os(), &mut out, &mut err);
    drop(out);
    std::process::exit(code);
}
