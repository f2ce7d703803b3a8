//! `decode`: print a token's header and claims without verifying anything.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use entra_edge_auth::json::{Map, Value};
use entra_edge_auth::jwt::{Padding, UntrustedToken};

/// Decoding tolerates any size a shell can pass; verification has the real limit.
const DECODE_LIMIT: usize = 1 << 20;

pub fn run(token: &str) -> i32 {
    // ALB pads its segments; decoding accepts both forms.
    match UntrustedToken::parse(token.trim(), DECODE_LIMIT, Padding::Tolerated) {
        Ok(token) => {
            println!("NOT VERIFIED: decoded only; nothing here has been checked.\n");
            println!("header:\n{}", pretty(token.header()));
            println!("\nclaims:\n{}", pretty(token.claims_unverified()));
            let times = describe_times(token.claims_unverified(), now());
            if !times.is_empty() {
                println!("\ntimes (UTC):\n{times}");
            }
            0
        }
        Err(e) => {
            eprintln!("cannot decode: {} ({})", e.message(), e.code());
            1
        }
    }
}

fn pretty(map: &Map) -> String {
    serde_json::to_string_pretty(map).unwrap_or_else(|_| format!("{map:?}"))
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `exp`, `iat` and `nbf` as UTC times, with how long until expiry.
pub fn describe_times(claims: &Map, now: u64) -> String {
    let mut lines = Vec::new();
    for name in ["exp", "iat", "nbf"] {
        let Some(seconds) = claims.get(name).and_then(Value::as_f64) else {
            continue;
        };
        if !(0.0..=253_402_300_799.0).contains(&seconds) {
            lines.push(format!("  {name}: {seconds} (out of range)"));
            continue;
        }
        let secs = seconds as u64;
        let when = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs));
        let note = if name == "exp" {
            if secs > now {
                format!(
                    " (expires in {})",
                    humantime::format_duration(Duration::from_secs(secs - now))
                )
            } else {
                format!(
                    " (EXPIRED {} ago)",
                    humantime::format_duration(Duration::from_secs(now - secs))
                )
            }
        } else {
            String::new()
        };
        lines.push(format!("  {name}: {when}{note}"));
    }
    lines.join("\n")
}
