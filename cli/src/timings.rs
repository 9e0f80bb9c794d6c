//! Phase timings on stderr, for measuring: with `IAMLOG_TIMINGS` set in the environment, a
//! command that records them (`who-can`) writes one line per phase as it ends, with the phase's
//! wall time and the time since the command started, e.g.
//! `timing: load 812.4 ms (812.4 ms in all)`. This is how `docs/performance.md` times a
//! question after the snapshot is read. Nothing is written otherwise.

use std::io::Write;
use std::time::Instant;

/// The phases of one command so far.
pub struct Timings {
    on: bool,
    start: Instant,
    last: Instant,
}

impl Timings {
    /// Timings that are written when `IAMLOG_TIMINGS` is set, starting now.
    pub fn from_env() -> Self {
        Self::new(std::env::var_os("IAMLOG_TIMINGS").is_some())
    }

    /// Timings that are written when `on`, starting now.
    pub fn new(on: bool) -> Self {
        let now = Instant::now();
        Timings {
            on,
            start: now,
            last: now,
        }
    }

    /// Ends phase `label`: writes its time and the time since the start to `err`.
    pub fn mark(&mut self, label: &str, err: &mut dyn Write) {
        if !self.on {
            return;
        }
        let now = Instant::now();
        let ms = |from: Instant| now.duration_since(from).as_secs_f64() * 1000.0;
        let _ = writeln!(
            err,
            "timing: {label} {:.1} ms ({:.1} ms in all)",
            ms(self.last),
            ms(self.start)
        );
        self.last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::Timings;

    #[test]
    fn marks_are_written_only_when_on() {
        let mut out = Vec::new();
        let mut off = Timings::new(false);
        off.mark("load", &mut out);
        assert!(out.is_empty());
        let mut on = Timings::new(true);
        on.mark("load", &mut out);
        on.mark("write", &mut out);
        let text = String::from_utf8(out).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("timing: load ") && lines[0].ends_with(" ms in all)"));
        assert!(lines[1].starts_with("timing: write "));
    }
}
