//! Phase timings on stderr, for measuring: with `IAMLOG_TIMINGS` set in the environment, a
//! command that records them (`who-can`, `check`, `query`) writes one line per phase as it
//! ends, with the phase's wall time and the time since the command started, e.g.
//! `timing: load 812.4 ms (812.4 ms in all)`, and where the system reports them (Linux's
//! `/proc/self/stat`) the process's CPU time in user and kernel mode and its minor page faults
//! during the phase: `user 0.71 s, system 0.42 s, 310,112 page faults`. This is how
//! `docs/performance.md` times a question after the snapshot is read. Nothing is written
//! otherwise.

use std::io::Write;
use std::time::Instant;

/// The phases of one command so far.
pub struct Timings {
    on: bool,
    start: Instant,
    last: Instant,
    usage: Option<Usage>,
}

/// The process's CPU time (user, kernel; in clock ticks) and minor page faults so far.
#[derive(Clone, Copy)]
struct Usage {
    user: u64,
    system: u64,
    faults: u64,
}

impl Usage {
    /// Read from `/proc/self/stat` (fields 10, 14 and 15, counted after the command name,
    /// which is in parentheses and may hold spaces); `None` elsewhere.
    fn now() -> Option<Usage> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        Self::parse(&stat)
    }

    fn parse(stat: &str) -> Option<Usage> {
        let (_, rest) = stat.rsplit_once(')')?;
        // `rest` starts with field 3 (the state).
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
        Some(Usage {
            faults: field(10)?,
            user: field(14)?,
            system: field(15)?,
        })
    }
}

/// Clock ticks per second of `/proc/self/stat`'s times (`sysconf(_SC_CLK_TCK)`, 100 on every
/// Linux this runs on).
const TICKS_PER_SECOND: f64 = 100.0;

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
            usage: if on { Usage::now() } else { None },
        }
    }

    /// Ends phase `label`: writes its time and the time since the start to `err`.
    pub fn mark(&mut self, label: &str, err: &mut dyn Write) {
        if !self.on {
            return;
        }
        let now = Instant::now();
        let ms = |from: Instant| now.duration_since(from).as_secs_f64() * 1000.0;
        let _ = write!(
            err,
            "timing: {label} {:.1} ms ({:.1} ms in all)",
            ms(self.last),
            ms(self.start)
        );
        let usage = Usage::now();
        if let (Some(before), Some(after)) = (self.usage, usage) {
            let secs = |a: u64, b: u64| a.saturating_sub(b) as f64 / TICKS_PER_SECOND;
            let _ = write!(
                err,
                ", user {:.2} s, system {:.2} s, {} page faults",
                secs(after.user, before.user),
                secs(after.system, before.system),
                after.faults.saturating_sub(before.faults)
            );
        }
        let _ = writeln!(err);
        self.usage = usage;
        self.last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::{Timings, Usage};

    #[test]
    fn usage_is_read_after_the_command_name() {
        // A command name with a space and a parenthesis, as `/proc/self/stat` may show it.
        let stat = "4242 (iam log) x) S 1 4242 4242 0 -1 4194304 1234 0 5 0 250 75 0 0 20 0 3";
        let u = Usage::parse(stat).expect("parsed");
        assert_eq!((u.faults, u.user, u.system), (1234, 250, 75));
        assert!(Usage::parse("4242 (iamlog) S 1").is_none());
    }

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
        assert!(lines[0].starts_with("timing: load ") && lines[0].contains(" ms in all)"));
        // On Linux, the phase's CPU time and page faults follow.
        if cfg!(target_os = "linux") {
            assert!(lines[0].contains(" page faults"), "{text}");
        }
        assert!(lines[1].starts_with("timing: write "));
    }
}
