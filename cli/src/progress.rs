//! Progress on a terminal: after a phase (reading exports, evaluating the rules, writing a
//! snapshot) has run for a second, a spinner on stderr names it and its elapsed time; it is
//! cleared when the phase ends. Nothing is drawn when stderr is not a terminal (piped, in
//! tests, in CI) or with `--quiet`.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// The current phase and when it started, and whether the line shows something.
struct State {
    phase: Option<(String, Instant)>,
    drawn: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    phase: None,
    drawn: false,
});
static START: Once = Once::new();

/// Turns progress on for this process when stderr is a terminal and `quiet` is false.
pub fn enable(quiet: bool) {
    if quiet || !std::io::stderr().is_terminal() {
        return;
    }
    START.call_once(|| {
        // No progress line rather than a panic if no thread can be started.
        let _ = std::thread::Builder::new()
            .name("progress".into())
            .spawn(ticker);
    });
}

/// Starts phase `name` (replacing the current one).
pub fn phase(name: &str) {
    if let Ok(mut s) = STATE.lock() {
        s.phase = Some((name.to_string(), Instant::now()));
    }
}

/// Shows `name` for a phase that started at `started` (a long phase whose text changes as it
/// goes, e.g. "3,000 of 10,000 principals").
pub fn phase_since(name: &str, started: Instant) {
    if let Ok(mut s) = STATE.lock() {
        s.phase = Some((name.to_string(), started));
    }
}

/// Ends the current phase and clears the line.
pub fn done() {
    if let Ok(mut s) = STATE.lock() {
        s.phase = None;
        if s.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            s.drawn = false;
        }
    }
}

fn ticker() {
    const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
    let mut frame = 0usize;
    loop {
        std::thread::sleep(Duration::from_millis(125));
        let Ok(mut s) = STATE.lock() else {
            return;
        };
        let line = match &s.phase {
            Some((name, started)) if started.elapsed() >= Duration::from_secs(1) => Some(format!(
                "{} {name} ({:.0} s)",
                FRAMES[frame % FRAMES.len()],
                started.elapsed().as_secs_f64()
            )),
            _ => None,
        };
        if let Some(line) = line {
            let _ = write!(std::io::stderr(), "\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
            s.drawn = true;
            frame += 1;
        }
    }
}
