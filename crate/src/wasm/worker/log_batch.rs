//! Holding decision-log lines back to write several with one `console.log`.
//!
//! Under `workerd serve` every `console.log` is a write to stdout (a pipe to journald or
//! the launcher), and that write, not building the line, is most of what logging every
//! allow costs a cache hit (see worker/README.md, "Speed against its peers"). With
//! `LOG_BATCH_LINES` above 1 the gate keeps allow lines and writes them together, one line
//! per decision still, newline-separated: when that many wait, when a deny is logged (a
//! deny is written at once, after the allows before it, so order holds and a refusal never
//! waits), or `LOG_BATCH_MS` after the first line waited (the JS entry's timer, kept alive
//! by `waitUntil`). Lines still waiting when an isolate is shut down are lost: at most
//! `LOG_BATCH_LINES - 1` allows of the last `LOG_BATCH_MS`.
//!
//! Default 1: each line its own `console.log`. Keep it on Cloudflare, where Workers Logs
//! parses each `console.log` as one JSON record and ties it to its request.
//!
//! Pure: the gate passes lines in and writes what comes back.

use crate::error::Result;

use super::config::parse_bounded;

/// The most lines a batch holds (a line is at most a few hundred bytes).
const MAX_LINES: u64 = 256;
/// Bounds of the longest wait: long enough to gather a batch, short enough to read a log by.
const MIN_WAIT_MS: u64 = 10;
const MAX_WAIT_MS: u64 = 60_000;
const DEFAULT_WAIT_MS: u32 = 1_000;

/// `LOG_BATCH_LINES` and `LOG_BATCH_MS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogBatchSettings {
    /// Lines per write: 1 (the default) writes each line as it is made.
    pub lines: u32,
    /// The longest a line waits (milliseconds).
    pub wait_ms: u32,
}

impl LogBatchSettings {
    pub fn parse(lines: Option<&str>, wait_ms: Option<&str>) -> Result<Self> {
        let lines = match lines {
            Some(n) => parse_bounded("LOG_BATCH_LINES", n, 1, MAX_LINES)? as u32,
            None => 1,
        };
        let wait_ms = match wait_ms {
            Some(ms) => parse_bounded("LOG_BATCH_MS", ms, MIN_WAIT_MS, MAX_WAIT_MS)? as u32,
            None => DEFAULT_WAIT_MS,
        };
        Ok(LogBatchSettings { lines, wait_ms })
    }

    /// Whether lines are ever held back.
    pub fn batches(self) -> bool {
        self.lines > 1
    }

    /// How long a held line may wait (`LOG_BATCH_MS`), or 0 when no line is ever held.
    pub fn longest_wait_ms(self) -> u32 {
        if self.batches() {
            self.wait_ms
        } else {
            0
        }
    }
}

/// The lines waiting to be written.
#[derive(Debug)]
pub struct LogBatch {
    lines: u32,
    waiting: u32,
    text: String,
}

impl LogBatch {
    pub fn new(settings: LogBatchSettings) -> Self {
        LogBatch {
            lines: settings.lines,
            waiting: 0,
            text: String::new(),
        }
    }

    /// Adds `line`; returns what to write now (`line` after the lines waiting) when the
    /// batch is full or `at_once` (a deny), else `None`.
    pub fn push(&mut self, line: &str, at_once: bool) -> Option<String> {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(line);
        self.waiting += 1;
        if at_once || self.waiting >= self.lines {
            self.take()
        } else {
            None
        }
    }

    /// Everything waiting, oldest first (`None` when nothing is).
    pub fn take(&mut self) -> Option<String> {
        self.waiting = 0;
        (!self.text.is_empty()).then(|| std::mem::take(&mut self.text))
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn settings(lines: u32) -> LogBatchSettings {
        LogBatchSettings {
            lines,
            wait_ms: 1_000,
        }
    }

    #[test]
    fn unset_writes_each_line_and_waits_a_second_at_most() {
        let s = LogBatchSettings::parse(None, None).unwrap();
        assert_eq!((s.lines, s.wait_ms), (1, 1_000));
        assert!(!s.batches());
        assert_eq!(s.longest_wait_ms(), 0, "nothing is held, so nothing waits");
    }

    #[test]
    fn settings_inside_their_bounds_are_taken() {
        for (lines, ms) in [("1", "10"), ("2", "1000"), ("256", "60000")] {
            let s = LogBatchSettings::parse(Some(lines), Some(ms)).unwrap();
            assert_eq!(s.lines.to_string(), lines);
            assert_eq!(s.wait_ms.to_string(), ms);
        }
        let two = LogBatchSettings::parse(Some("2"), Some("250")).unwrap();
        assert!(two.batches());
        assert_eq!(two.longest_wait_ms(), 250);
    }

    #[test]
    fn settings_past_their_bounds_are_refused_naming_the_setting() {
        for (lines, ms, name) in [
            (Some("0"), None, "LOG_BATCH_LINES"),
            (Some("257"), None, "LOG_BATCH_LINES"),
            (Some("-1"), None, "LOG_BATCH_LINES"),
            (Some("many"), None, "LOG_BATCH_LINES"),
            (None, Some("9"), "LOG_BATCH_MS"),
            (None, Some("60001"), "LOG_BATCH_MS"),
            (None, Some(""), "LOG_BATCH_MS"),
        ] {
            let e = LogBatchSettings::parse(lines, ms).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            assert!(e.message().starts_with(name), "{}", e.message());
        }
    }

    #[test]
    fn lines_wait_until_the_batch_is_full_then_come_out_in_order() {
        let mut batch = LogBatch::new(settings(3));
        assert!(batch.is_empty());
        assert_eq!(batch.push("a", false), None);
        assert!(!batch.is_empty());
        assert_eq!(batch.push("b", false), None);
        assert_eq!(batch.push("c", false).as_deref(), Some("a\nb\nc"));
        assert!(batch.is_empty());
        // The count starts again after a write.
        assert_eq!(batch.push("d", false), None);
        assert_eq!(batch.push("e", false), None);
        assert_eq!(batch.push("f", false).as_deref(), Some("d\ne\nf"));
    }

    #[test]
    fn a_deny_is_written_at_once_after_the_lines_before_it() {
        let mut batch = LogBatch::new(settings(3));
        assert_eq!(batch.push("allow", false), None);
        assert_eq!(batch.push("deny", true).as_deref(), Some("allow\ndeny"));
        assert!(batch.is_empty());
        assert_eq!(batch.push("deny", true).as_deref(), Some("deny"));
        // A deny empties the count too: two more allows still wait.
        assert_eq!(batch.push("x", false), None);
        assert_eq!(batch.push("y", false), None);
    }

    #[test]
    fn take_empties_the_batch_and_resets_its_count() {
        let mut batch = LogBatch::new(settings(2));
        assert_eq!(batch.take(), None);
        assert_eq!(batch.push("a", false), None);
        assert_eq!(batch.take().as_deref(), Some("a"));
        assert_eq!(batch.take(), None);
        assert_eq!(batch.push("b", false), None);
        assert_eq!(batch.push("c", false).as_deref(), Some("b\nc"));
    }

    #[test]
    fn one_line_per_write_writes_every_line_at_once() {
        let mut batch = LogBatch::new(settings(1));
        assert_eq!(batch.push("a", false).as_deref(), Some("a"));
        assert_eq!(batch.push("b", false).as_deref(), Some("b"));
    }
}
