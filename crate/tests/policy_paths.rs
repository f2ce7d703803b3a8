//! Route policy against path tricks: every path built from a grammar of segments around the
//! real rule paths (dots, encoded dots and slashes, backslashes, semicolons, empty
//! segments, case variants, encoded letters) is either refused, or routed to the same rule
//! as the path origin will act on.
//!
//! "The path origin will act on" is the most liberal reading a server applies: every escape
//! decoded, backslashes taken as slashes, `;` parameters stripped, empty segments merged,
//! dot segments resolved. If the gate allows a path, no such reading may land under another
//! rule (`/itsm/../admin` matched as `/itsm` but served as `/admin`). Matching is
//! case-sensitive, as the policy module documents, so case is left as it is.
//!
//! The grammar is enumerated exhaustively up to three segments (tens of thousands of paths,
//! so the allowed branch is reached thousands of times, not by luck), then sampled further
//! by proptest.

use entra_edge_auth::policy::{Policy, Route};
use proptest::prelude::*;

const POLICY: &str = r#"{"rules": [
    {"path": "/health", "public": true},
    {"path": "/admin", "match": "prefix", "roles": ["super_admin"]},
    {"path": "/itsm", "match": "prefix", "methods": ["GET", "HEAD"], "roles": ["viewer"]},
    {"path": "/itsm/x", "roles": ["itsm_agent"]}
]}"#;

/// Segments around the rule paths: the real names, spellings of them, and every form the
/// path rules refuse.
const SEGMENTS: &[&str] = &[
    "itsm",
    "admin",
    "health",
    "x",
    "Admin",
    "ITSM",
    "%61dmin",
    "h%65alth",
    "%69tsm",
    ".",
    "..",
    "%2e",
    "%2E%2e",
    ".%2e",
    "%2e.",
    "%2f",
    "%2F",
    "%5c",
    "\\",
    "..\\",
    ";",
    "..;",
    "admin;x",
    "",
    "%252e%252e",
    "%25",
    "a%2fb",
    "%00",
    "x%2F..",
];

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

/// Decodes every well-formed escape (once), as a lenient server does.
fn percent_decode(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The path origin acts on, in its most liberal reading (module doc), written back in the
/// form the policy matches (unreserved characters plain, other bytes as upper-case escapes).
fn origin_view(path: &str) -> String {
    let decoded = percent_decode(path);
    let unified: Vec<u8> = decoded
        .iter()
        .map(|&b| if b == b'\\' { b'/' } else { b })
        .collect();
    let trailing = unified.last() == Some(&b'/');
    let mut stack: Vec<Vec<u8>> = Vec::new();
    for raw in unified.split(|&b| b == b'/') {
        let segment = match raw.iter().position(|&b| b == b';') {
            Some(at) => &raw[..at],
            None => raw,
        };
        match segment {
            b"" | b"." => {}
            b".." => {
                stack.pop();
            }
            s => stack.push(s.to_vec()),
        }
    }
    let mut out = String::new();
    for segment in &stack {
        out.push('/');
        for &b in segment {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    if out.is_empty() || trailing {
        out.push('/');
    }
    out
}

/// The property for one request: refused, or origin's reading routes to the same rule.
fn check(policy: &Policy, method: &str, path: &str) -> Result<bool, String> {
    let Ok(route) = policy.route(method, path) else {
        return Ok(false);
    };
    let seen = origin_view(path);
    match policy.route(method, &seen) {
        Ok(same) if same == route => Ok(true),
        other => Err(format!(
            "{method} {path:?} routed to {route:?}, but origin reads it as {seen:?}: {other:?}"
        )),
    }
}

fn rule_path(route: Route<'_>) -> &str {
    match route {
        Route::Public => "(public)",
        Route::Protected(rule) => rule.path(),
    }
}

#[test]
fn every_allowed_path_up_to_three_segments_is_the_path_origin_serves() {
    let policy = Policy::from_json(POLICY).unwrap();
    let mut allowed = 0;
    let mut checked = 0;
    let mut paths = vec![String::new()];
    for _ in 0..3 {
        paths = paths
            .iter()
            .flat_map(|p| SEGMENTS.iter().map(move |s| format!("{p}/{s}")))
            .collect();
        for path in &paths {
            for candidate in [path.clone(), format!("{path}/")] {
                for method in ["GET", "POST"] {
                    checked += 1;
                    match check(&policy, method, &candidate) {
                        Ok(true) => allowed += 1,
                        Ok(false) => {}
                        Err(why) => panic!("{why}"),
                    }
                }
            }
        }
    }
    // The allowed branch is the one that matters: make sure the grammar reaches it often.
    assert!(
        allowed > 1_000,
        "only {allowed} of {checked} paths were routed"
    );
    assert!(
        allowed < checked / 2,
        "{allowed} of {checked}: the refusals are not reached"
    );
}

#[test]
fn the_grammar_reaches_the_cases_that_matter() {
    // Spot checks that the reading above is the one a lenient origin applies, and that the
    // policy agrees with it on the classic tricks.
    assert_eq!(origin_view("/itsm/../admin"), "/admin");
    assert_eq!(origin_view("/itsm/%2e%2e/admin"), "/admin");
    assert_eq!(origin_view("/itsm\\..\\admin"), "/admin");
    assert_eq!(origin_view("/health/..;/admin"), "/admin");
    assert_eq!(origin_view("//admin"), "/admin");
    assert_eq!(origin_view("/%61dmin/x"), "/admin/x");
    let policy = Policy::from_json(POLICY).unwrap();
    assert_eq!(
        rule_path(policy.route("GET", "/%61dmin/x").unwrap()),
        "/admin"
    );
    assert_eq!(rule_path(policy.route("GET", "/itsm/x").unwrap()), "/itsm");
    for path in [
        "/itsm/../admin",
        "/itsm/%2e%2e/admin",
        "//admin",
        "/health/..;/admin",
    ] {
        assert!(policy.route("GET", path).is_err(), "{path}");
    }
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(SEGMENTS).prop_map(str::to_owned),
        1 => "[a-zA-Z0-9.%;\\\\]{1,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]
    #[test]
    fn longer_paths_from_the_grammar_keep_the_property(
        segments in proptest::collection::vec(segment(), 1..8),
        trailing in any::<bool>(),
        method in proptest::sample::select(&["GET", "HEAD", "POST", "DELETE"][..]),
    ) {
        let policy = Policy::from_json(POLICY).unwrap();
        let mut path = String::new();
        for s in &segments {
            path.push('/');
            path.push_str(s);
        }
        if trailing {
            path.push('/');
        }
        if let Err(why) = check(&policy, method, &path) {
            return Err(TestCaseError::fail(why));
        }
    }
}
