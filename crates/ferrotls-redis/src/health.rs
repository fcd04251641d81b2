//! Whether a backend answers, and one log line each time that changes.
//!
//! A fleet with Redis down must not write a line per handshake: [`Health`] remembers
//! the last state and calls the [`HealthLog`] only when an operation's outcome flips
//! it (up -> down, down -> up).

use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Where state-change lines go. The default, [`StderrLog`], prints them.
pub trait HealthLog: Debug + Send + Sync {
    fn line(&self, line: &str);
}

/// Writes each line to standard error.
#[derive(Debug, Default)]
pub struct StderrLog;

impl HealthLog for StderrLog {
    fn line(&self, line: &str) {
        eprintln!("{line}");
    }
}

/// Keeps the lines in memory (for tests, or for a server that forwards them).
#[derive(Debug, Default)]
pub struct MemoryLog {
    lines: Mutex<Vec<String>>,
}

impl MemoryLog {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The lines logged so far, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl HealthLog for MemoryLog {
    fn line(&self, line: &str) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(line.to_owned());
        }
    }
}

/// The up/down state of one backend as its operations last saw it. It starts up:
/// nothing is logged until the first failure.
#[derive(Debug)]
pub struct Health {
    /// What the backend is, e.g. "session store on redis://127.0.0.1:6379".
    what: String,
    /// What the server does while the backend is down, e.g. "resumption falls back to
    /// full handshakes".
    while_down: &'static str,
    down: AtomicBool,
    log: Arc<dyn HealthLog>,
}

impl Health {
    pub fn new(what: String, while_down: &'static str, log: Arc<dyn HealthLog>) -> Self {
        Health {
            what,
            while_down,
            down: AtomicBool::new(false),
            log,
        }
    }

    /// Whether the last operation failed.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// An operation answered: logs once if the backend was down.
    pub fn succeeded(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            self.log
                .line(&format!("{} answers again; sharing resumes", self.what));
        }
    }

    /// An operation failed with `reason`: logs once if the backend was up.
    pub fn failed(&self, reason: &dyn std::fmt::Display) {
        if !self.down.swap(true, Ordering::AcqRel) {
            self.log.line(&format!(
                "{} is down ({reason}); {} until it answers again",
                self.what, self.while_down
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_one_line_per_change() {
        let log = MemoryLog::new();
        let h = Health::new(
            "replay guard on redis://127.0.0.1:1".into(),
            "early data is rejected",
            log.clone(),
        );
        h.succeeded();
        h.failed(&"no reply within 50 ms");
        h.failed(&"no reply within 50 ms");
        assert!(h.is_down());
        h.succeeded();
        h.succeeded();
        assert!(!h.is_down());
        assert_eq!(
            log.lines(),
            [
                "replay guard on redis://127.0.0.1:1 is down (no reply within 50 ms); \
                 early data is rejected until it answers again",
                "replay guard on redis://127.0.0.1:1 answers again; sharing resumes",
            ]
        );
    }
}
