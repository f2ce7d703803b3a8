//! The policy and group-table parsers, and a decision on an arbitrary path, on arbitrary
//! input: never panics; a path the policy allows is never ambiguous.
#![no_main]

use entra_edge_auth::policy::{Decision, Policy};
use entra_edge_auth::roles::RoleMapping;
use libfuzzer_sys::fuzz_target;

const SEED_POLICY: &str = include_str!("../corpus_seed_policy.json");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Policy::from_json(text);
    let _ = RoleMapping::from_json(text);
    // The same bytes as a request path against a fixed policy.
    let policy = Policy::from_json(SEED_POLICY).expect("seed policy parses");
    for method in ["GET", "POST"] {
        if let Decision::Allow { .. } = policy.decide(method, text, &[]) {
            assert!(!has_dot_segment(text), "allowed ambiguous path {text:?}");
            assert!(!text.contains('\\'), "allowed backslash path {text:?}");
            assert!(!text.to_ascii_lowercase().contains("%2f"), "allowed {text:?}");
        }
    }
});

/// Whether the path part has a `.` or `..` segment, written plainly or percent-encoded.
/// (`v....v` is an ordinary segment: only whole segments move up or stay.)
fn has_dot_segment(text: &str) -> bool {
    let path = text.split(['?', '#']).next().unwrap_or("");
    path.split('/').any(|segment| {
        let plain = segment.to_ascii_lowercase().replace("%2e", ".");
        plain == "." || plain == ".."
    })
}
