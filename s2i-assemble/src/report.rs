//! What a person watching the build sees: S2I-style `---> Step` lines with
//! the time each took, and a closing summary.
//!
//! The log is for people: a log that cannot be written (stdout on a full
//! disk) does not stop the build, whose exit status S2I goes by. (`println!`
//! would abort the process half-way instead.)

use std::io::Write;
use std::time::Instant;

use crate::redact;

pub struct Report {
    start: Instant,
    step: Instant,
}

impl Report {
    pub fn new() -> Report {
        let now = Instant::now();
        Report {
            start: now,
            step: now,
        }
    }

    /// Announces a step that takes a while (its output follows).
    pub fn begin(&mut self, title: &str) {
        self.line(&format!("---> {title}"));
        self.step = Instant::now();
    }

    /// Closes the current step with its elapsed time.
    pub fn done(&mut self, title: &str) {
        let secs = self.step.elapsed().as_secs_f64();
        self.line(&format!("---> {title} ({secs:.2}s)"));
        self.step = Instant::now();
    }

    /// One line of the log on stdout, never with a credential in it.
    pub fn line(&self, text: &str) {
        let _ = writeln!(std::io::stdout().lock(), "{}", redact::text(text));
    }

    pub fn warn(&self, message: &str) {
        eprintln!("s2i-assemble: warning: {}", redact::text(message));
    }

    pub fn total_secs(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}
