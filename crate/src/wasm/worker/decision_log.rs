//! The decision log: one JSON line per decision the gate makes, for operators (stdout under
//! `workerd serve`, `wrangler tail` on Cloudflare).
//!
//! Pure: the record, its JSON, the sampling decision (from a random number passed in) and
//! the subject's hash. The gate gathers the fields and writes the line (`console.log`).
//!
//! What a line never holds: the token (or any header value but `cf-ray`), the query
//! string, the subject in clear unless `LOG_SUBJECT=plain`. The detailed deny reason (the
//! core error's message) is logged: it may quote a short, sanitised excerpt of what an
//! unverified token says, never the token itself.

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::json::ObjectWriter;

use super::env::invalid;

/// How the verified `sub` appears in a line (`LOG_SUBJECT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSubject {
    /// As the token gave it.
    Plain,
    /// [`hash_subject`]: the same user gives the same value, which does not name them.
    Hash,
    /// Not logged.
    Off,
}

impl LogSubject {
    /// `plain`, `hash` or `off`; unset is `hash`, the privacy-friendly choice that still
    /// lets an operator follow one user's requests.
    pub fn parse(value: Option<&str>) -> Result<Self> {
        match value {
            None | Some("hash") => Ok(LogSubject::Hash),
            Some("plain") => Ok(LogSubject::Plain),
            Some("off") => Ok(LogSubject::Off),
            Some(_) => Err(invalid("LOG_SUBJECT", "must be plain, hash or off")),
        }
    }
}

/// `LOG_ALLOW_SAMPLE`: the share of allows logged, 0 to 1 (denies are always logged).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllowSample(f64);

impl AllowSample {
    pub const ALL: AllowSample = AllowSample(1.0);

    pub fn parse(value: Option<&str>) -> Result<Self> {
        let Some(value) = value else {
            return Ok(AllowSample::ALL);
        };
        match value.parse::<f64>() {
            Ok(share) if (0.0..=1.0).contains(&share) => Ok(AllowSample(share)),
            _ => Err(invalid("LOG_ALLOW_SAMPLE", "must be a number from 0 to 1")),
        }
    }

    /// Whether the random draw is needed at all (0 and 1 decide without one, so the common
    /// settings cost no call for randomness).
    pub fn needs_draw(self) -> bool {
        self.0 > 0.0 && self.0 < 1.0
    }

    /// Whether a decision is logged: every deny; an allow when `draw` (uniform in [0, 1),
    /// ignored unless [`AllowSample::needs_draw`]) falls below the share.
    pub fn keeps(self, allowed: bool, draw: f64) -> bool {
        !allowed || self.0 >= 1.0 || (self.0 > 0.0 && draw < self.0)
    }
}

/// The subject as a log shows it with `LOG_SUBJECT=hash`: SHA-256 over a fixed,
/// product-specific prefix and the `sub`, first 16 bytes in hex. Not reversible by
/// computation; short or guessable ids (an e-mail, a counter) could still be found by
/// hashing candidates, which is why `off` exists. Unkeyed so that every isolate and
/// every instance of the gate gives the same user the same value.
pub fn hash_subject(subject: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"entra-edge-auth decision-log subject\0")
        .chain_update(subject.as_bytes())
        .finalize();
    let mut out = String::with_capacity(32);
    crate::json::write::push_hex(&mut out, &digest[..16]);
    out
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allow,
    Deny,
}

/// One decision, as logged. Borrowed: built only once a line is going to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord<'a> {
    /// Unix milliseconds when the decision was made.
    pub time_ms: u64,
    pub request_id: &'a str,
    pub method: &'a str,
    /// The path only (the query is never logged).
    pub path: &'a str,
    /// The first policy rule matching the request: its index and path.
    pub rule: Option<(usize, &'a str)>,
    /// The verified token's source (`alb`, `cognito`, `entra`), when one verified.
    pub source: Option<&'a str>,
    /// The verified `sub`, when one verified (shown as [`LogSubject`] says).
    pub subject: Option<&'a str>,
    pub outcome: Outcome,
    /// The status the gate answered with; `None` for a forward, whose status is origin's
    /// (the gate does not wait for origin's answer to log).
    pub status: Option<u16>,
    /// The deny's code and its detailed message.
    pub error: Option<(&'a str, &'a str)>,
    /// `Some(true)` when every credential came from the verified-token cache, `Some(false)`
    /// when one was verified now, `None` when no credential was looked at.
    pub token_cache_hit: Option<bool>,
    /// Time between the request reaching the gate and the decision, in milliseconds, by
    /// the platform clock (which on Workers advances only across I/O).
    pub gate_ms: u64,
}

impl DecisionRecord<'_> {
    /// The record as one line of JSON (no newline inside: JSON escapes control characters).
    /// Written member by member (no map built first: this runs per logged request), in
    /// name order as the writer requires.
    pub fn to_json(&self, subject: LogSubject) -> String {
        let flag = |b: bool| if b { "true" } else { "false" };
        let sub = match subject {
            LogSubject::Plain => self.subject.map(str::to_owned),
            LogSubject::Hash => self.subject.map(hash_subject),
            LogSubject::Off => None,
        };
        // A line is about 300 bytes: one allocation instead of a string grown five times.
        let mut line = ObjectWriter::with_capacity(320);
        line.optional("detail", self.error.map(|(_, detail)| detail))
            .optional("error", self.error.map(|(code, _)| code))
            .number("gate_ms", self.gate_ms)
            .string("method", self.method)
            .string(
                "outcome",
                match self.outcome {
                    Outcome::Allow => "allow",
                    Outcome::Deny => "deny",
                },
            )
            .string("path", self.path)
            .string("request_id", self.request_id)
            .optional_number("rule", self.rule.map(|(index, _)| index as u64))
            .optional("rule_path", self.rule.map(|(_, path)| path))
            .optional("source", self.source)
            .optional_number("status", self.status.map(u64::from));
        if subject != LogSubject::Off {
            line.optional("sub", sub.as_deref());
        }
        line.number("time", self.time_ms)
            .raw("token_cache_hit", self.token_cache_hit.map_or("null", flag));
        line.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> DecisionRecord<'static> {
        DecisionRecord {
            time_ms: 1_700_000_000_123,
            request_id: "8f2a-LHR",
            method: "GET",
            path: "/admin/users",
            rule: Some((1, "/admin")),
            source: Some("cognito"),
            subject: Some("user-1"),
            outcome: Outcome::Deny,
            status: Some(403),
            error: Some(("role_denied", "needs one of: super_admin")),
            token_cache_hit: Some(true),
            gate_ms: 0,
        }
    }

    fn parsed(r: &DecisionRecord, subject: LogSubject) -> serde_json::Value {
        let line = r.to_json(subject);
        assert!(!line.contains('\n'));
        serde_json::from_str(&line).unwrap()
    }

    #[test]
    fn a_line_holds_every_field() {
        let v = parsed(&record(), LogSubject::Plain);
        assert_eq!(v["time"], 1_700_000_000_123u64);
        assert_eq!(v["request_id"], "8f2a-LHR");
        assert_eq!(v["method"], "GET");
        assert_eq!(v["path"], "/admin/users");
        assert_eq!(v["rule"], 1);
        assert_eq!(v["rule_path"], "/admin");
        assert_eq!(v["source"], "cognito");
        assert_eq!(v["sub"], "user-1");
        assert_eq!(v["outcome"], "deny");
        assert_eq!(v["status"], 403);
        assert_eq!(v["error"], "role_denied");
        assert_eq!(v["detail"], "needs one of: super_admin");
        assert_eq!(v["token_cache_hit"], true);
        assert!(v["gate_ms"].is_number());
    }

    #[test]
    fn absent_fields_are_null() {
        let r = DecisionRecord {
            rule: None,
            source: None,
            subject: None,
            outcome: Outcome::Allow,
            status: None,
            error: None,
            token_cache_hit: None,
            ..record()
        };
        let v = parsed(&r, LogSubject::Hash);
        for key in [
            "rule",
            "rule_path",
            "source",
            "sub",
            "error",
            "detail",
            "token_cache_hit",
        ] {
            assert!(v[key].is_null(), "{key}: {}", v[key]);
        }
        assert_eq!(v["outcome"], "allow");
        assert!(v["status"].is_null());
    }

    #[test]
    fn subject_hash_mode_hides_the_subject() {
        let v = parsed(&record(), LogSubject::Hash);
        assert_eq!(v["sub"], hash_subject("user-1"));
        assert!(!record().to_json(LogSubject::Hash).contains("user-1"));
    }

    #[test]
    fn subject_off_mode_leaves_it_out() {
        let line = record().to_json(LogSubject::Off);
        assert!(!line.contains("user-1"));
        assert!(!line.contains("\"sub\""));
    }

    #[test]
    fn subject_hash_is_stable_sha256_hex() {
        let h = hash_subject("user-1");
        assert_eq!(h.len(), 32);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(h, "9343ba09781624137953361925768539");
        assert_ne!(h, hash_subject("user-2"));
        // Not the bare SHA-256 of the id (a table of plain hashes of ids does not apply).
        let bare = Sha256::digest(b"user-1");
        let bare: String = bare[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_ne!(h, bare);
    }

    #[test]
    fn control_characters_stay_on_one_line() {
        let r = DecisionRecord {
            error: Some(("malformed_claims", "bad\r\nline")),
            ..record()
        };
        assert!(!r.to_json(LogSubject::Plain).contains(['\n', '\r']));
    }

    #[test]
    fn log_subject_settings() {
        assert_eq!(LogSubject::parse(None).unwrap(), LogSubject::Hash);
        assert_eq!(LogSubject::parse(Some("plain")).unwrap(), LogSubject::Plain);
        assert_eq!(LogSubject::parse(Some("off")).unwrap(), LogSubject::Off);
        let e = LogSubject::parse(Some("clear")).unwrap_err();
        assert!(e.message().starts_with("LOG_SUBJECT "));
    }

    #[test]
    fn allow_sample_settings() {
        assert_eq!(AllowSample::parse(None).unwrap(), AllowSample::ALL);
        assert_eq!(AllowSample::parse(Some("0.25")).unwrap(), AllowSample(0.25));
        for bad in ["-0.1", "1.5", "NaN", "half", ""] {
            let e = AllowSample::parse(Some(bad)).unwrap_err();
            assert!(e.message().starts_with("LOG_ALLOW_SAMPLE "), "{bad}");
        }
    }

    #[test]
    fn denies_are_always_kept() {
        for share in [0.0, 0.5, 1.0] {
            assert!(AllowSample(share).keeps(false, 0.99));
        }
    }

    #[test]
    fn allows_follow_the_share() {
        assert!(AllowSample(1.0).keeps(true, 0.999));
        assert!(!AllowSample(0.0).keeps(true, 0.0));
        assert!(AllowSample(0.5).keeps(true, 0.49));
        assert!(!AllowSample(0.5).keeps(true, 0.5));
        assert!(!AllowSample(0.0).needs_draw());
        assert!(!AllowSample(1.0).needs_draw());
        assert!(AllowSample(0.5).needs_draw());
    }
}
