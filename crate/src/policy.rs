//! Route policy: which requests pass the edge, and with which credentials and roles.
//!
//! The edge worker asks [`Policy::route`] whether a request needs a credential at all (a
//! public route skips verification), verifies what the request carries, and then asks
//! [`Policy::decide`] for the verdict. Both are pure: no I/O, no clock, no panics.
//!
//! # Format
//!
//! ```json
//! {"rules": [
//!   {"path": "/health", "public": true},
//!   {"path": "/admin", "match": "prefix", "roles": ["super_admin"]},
//!   {"path": "/itsm", "match": "prefix", "methods": ["GET", "HEAD"],
//!    "roles": ["viewer", "itsm_agent", "itsm_manager", "super_admin"]},
//!   {"path": "/itsm", "match": "prefix", "methods": ["POST", "PUT", "PATCH", "DELETE"],
//!    "roles": ["itsm_agent", "itsm_manager", "super_admin"], "sources": ["alb", "cognito_access"]}
//! ]}
//! ```
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `path` | yes | starts with `/`; held to the same rules as request paths (below); no `*` (there are no globs: use `"match": "prefix"`) |
//! | `match` | no | `"exact"` (default) or `"prefix"`. A prefix matches whole segments: `/admin` matches `/admin` and `/admin/x`, not `/administrator`; `/admin/` matches `/admin/x` but not `/admin`; `/` matches every path |
//! | `methods` | no | HTTP methods the rule applies to (upper-cased, must be tokens, RFC 9110 §9.1); absent = every method. `GET` does not imply `HEAD` |
//! | `public` | no | `true`: anyone passes, credentials are not looked at. A public rule carries no `roles` or `sources` |
//! | `roles` | unless public | non-empty; the caller needs **any one** of them (see [`crate::roles`]) |
//! | `sources` | no | token sources accepted: `alb`, `cognito_access`, `cognito_id`, `entra` (default: all four) |
//!
//! Rules are tried in order and the **first match wins**; a rule with `methods` only matches
//! those methods. A request no rule matches is denied ([`ErrorCode::NoMatchingRoute`]): the
//! policy is deny-by-default, so forgetting a route closes it rather than opening it.
//!
//! Unknown fields, wrong types, duplicate keys, empty lists and unknown names are refused
//! with [`ErrorCode::InvalidPolicy`], naming the rule and the field
//! (`rules[2].sources[0]: unknown token source "foo" ...`): a policy that says something
//! other than what its author meant is worse than none.
//!
//! # Paths
//!
//! The caller passes the request path only (no query string), as it came on the wire (as
//! the URL parser left it, still percent-encoded). A path the edge and origin might read
//! differently cannot be matched safely, so it is refused with [`ErrorCode::InvalidPath`]
//! (400) before any rule is looked at:
//!
//! - not starting with `/`;
//! - dot segments (`/./`, `/../`, a trailing `/.` or `/..`), including percent-encoded ones
//!   (`%2e%2e`, `%2E.`, `.%2e`): origin would resolve them to another path than the one matched;
//! - encoded slashes and backslashes (`%2f`, `%5c`, any case), raw backslashes: some origins
//!   decode or convert them into separators, others do not;
//! - NUL and other control characters, raw or encoded (`%00`, `%0a`), and raw spaces or
//!   non-ASCII (the caller decoded the path, which it must not);
//! - empty segments (`//`, except a trailing `/`): many servers merge them, so `//admin`
//!   would reach `/admin` without matching its rule;
//! - `;` path parameters: servlet containers strip them before routing (`/admin;x` is
//!   `/admin` there, `/public/..;/admin` is `/admin`), other servers do not;
//! - `?` or `#` (the caller passed a query or fragment as part of the path);
//! - malformed or double-encoded escapes (`%zz`, `%252e`, `%252f`, `%255c`, `%2500`).
//!
//! Equivalent spellings are then made one (RFC 3986 §6.2.2): percent-encoded unreserved
//! characters are decoded (`/%61dmin` is `/admin`, as origin will read it) and the hex digits
//! of other escapes are upper-cased. Rule paths are written the same way and normalised the
//! same way when the policy is loaded.
//!
//! Matching is **case-sensitive**: `/Admin` does not match a rule for `/admin`. That is only
//! safe when origin is case-sensitive too. In front of a case-insensitive origin (IIS, some
//! Windows or macOS file servers), write the rules in lower case *and* have the caller
//! lower-case the path before calling [`Policy::route`] / [`Policy::decide`], or `/ADMIN`
//! slips past the `/admin` rule. Methods are compared upper-cased.
//!
//! # Decision
//!
//! [`Policy::decide`] applies, in this order:
//!
//! 1. invalid path → 400 `invalid_path`; no rule → 403 `no_matching_route`;
//! 2. public route → allow, no identity (credentials are ignored; the worker still strips
//!    identity headers the client sent);
//! 3. no credential → 401 `missing_credential`, `WWW-Authenticate: Bearer` (no error
//!    attribute when no credential was sent, RFC 6750 §3.1);
//! 4. one credential that failed → its own code and status (401 for token problems, 503
//!    when keys could not be fetched), `Bearer error="invalid_token"` on 401;
//! 5. two credentials: either failed, or their subjects differ → 401
//!    `conflicting_credentials`. Both verified with one subject → the effective roles are
//!    those both grant, and both sources must be accepted;
//! 6. a source the rule does not accept → 401 `source_not_accepted`;
//! 7. none of the rule's roles → 403 `role_denied`, `Bearer error="insufficient_scope"`;
//! 8. allow, with the (effective) identity.

use std::fmt;

use serde::de::{Deserializer, Error as _, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};
use crate::identity::{Identity, TokenSource};
use crate::roles::is_role_name;

/// Every token source, the default for a rule without `sources`.
const ALL_SOURCES: [TokenSource; 4] = [
    TokenSource::Alb,
    TokenSource::CognitoAccess,
    TokenSource::CognitoId,
    TokenSource::Entra,
];

/// The longest `error_description` put in a `WWW-Authenticate` header: messages can quote
/// token contents, and a header is no place for a long story.
const MAX_DESCRIPTION_LEN: usize = 256;

/// How a rule's `path` is compared with the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The whole path, byte for byte (after normalisation).
    #[default]
    Exact,
    /// The rule's path and anything below it, on segment boundaries.
    Prefix,
}

/// One validated policy rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Normalised (see the module doc).
    path: String,
    match_kind: MatchKind,
    /// Upper-cased; `None` = every method.
    methods: Option<Vec<String>>,
    access: Access,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Access {
    Public,
    Roles {
        roles: Vec<String>,
        sources: Vec<TokenSource>,
    },
}

impl Rule {
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn match_kind(&self) -> MatchKind {
        self.match_kind
    }

    /// The methods this rule applies to; `None` = every method.
    pub fn methods(&self) -> Option<&[String]> {
        self.methods.as_deref()
    }

    pub fn is_public(&self) -> bool {
        self.access == Access::Public
    }

    /// The roles of which the caller needs one (empty for a public rule).
    pub fn roles(&self) -> &[String] {
        match &self.access {
            Access::Public => &[],
            Access::Roles { roles, .. } => roles,
        }
    }

    /// The token sources accepted (empty for a public rule, which looks at no token).
    pub fn sources(&self) -> &[TokenSource] {
        match &self.access {
            Access::Public => &[],
            Access::Roles { sources, .. } => sources,
        }
    }

    /// `method` upper-cased, `path` normalised.
    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = match &self.methods {
            None => true,
            Some(methods) => methods.iter().any(|m| m == method),
        };
        let path_ok = match self.match_kind {
            MatchKind::Exact => path == self.path,
            MatchKind::Prefix => prefix_matches(&self.path, path),
        };
        method_ok && path_ok
    }
}

/// `prefix` matches `path` itself and whatever lies below it, never a longer sibling name
/// (`/admin` does not cover `/administrator`).
fn prefix_matches(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

/// The route a request takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// Anyone passes; no credential is looked at.
    Public,
    /// A credential is needed, checked against this rule.
    Protected(&'a Rule),
}

/// Which request header a credential came in.
///
/// Declared `Alb` then `Bearer`; that order is stable (callers may use it as a tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// AWS ALB's `x-amzn-oidc-data`.
    Alb,
    /// `Authorization: Bearer` (RFC 6750 §2.1).
    Bearer,
}

impl CredentialKind {
    fn describe(self) -> &'static str {
        match self {
            CredentialKind::Alb => "ALB credential (x-amzn-oidc-data)",
            CredentialKind::Bearer => "Bearer credential (Authorization)",
        }
    }

    /// An ALB header holds ALB tokens only, and a Bearer header never does: an identity
    /// that says otherwise came from the wrong verifier.
    fn carries(self, source: TokenSource) -> bool {
        (self == CredentialKind::Alb) == (source == TokenSource::Alb)
    }
}

/// A credential the request carried, and what verifying it gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Presented {
    pub source_kind: CredentialKind,
    pub outcome: Result<Identity, Error>,
}

/// The verdict on one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Forward to origin, with this identity (`None` on a public route).
    Allow { identity: Option<Identity> },
    /// Answer `status` with `error` (see [`Error::to_json`]) and, when set, this
    /// `WWW-Authenticate` header value.
    Deny {
        status: u16,
        error: Error,
        www_authenticate: Option<String>,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    /// Deny with `error`'s own status, and the RFC 6750 §3 challenge that goes with it.
    fn deny(error: Error) -> Decision {
        let status = error.code().http_status();
        let www_authenticate = challenge(&error, status);
        Decision::Deny {
            status,
            error,
            www_authenticate,
        }
    }
}

/// The `WWW-Authenticate` value for a deny (RFC 6750 §3): plain `Bearer` when no
/// credential was sent (§3.1: no error code then), `insufficient_scope` when the credential
/// is good but not enough, `invalid_token` for any other 401; none for 400, 403 (no route),
/// 5xx, which no other credential would fix.
fn challenge(error: &Error, status: u16) -> Option<String> {
    match error.code() {
        ErrorCode::MissingCredential => Some("Bearer".to_owned()),
        ErrorCode::RoleDenied => Some("Bearer error=\"insufficient_scope\"".to_owned()),
        _ if status == 401 => Some(format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            quoted_string_content(error.message())
        )),
        _ => None,
    }
}

/// `text` made safe inside a header quoted-string (RFC 9110 §5.6.4): `"` and `\` escaped,
/// anything but printable ASCII dropped (so no CR/LF can split the header, and no byte a
/// `Headers` object would refuse), at most [`MAX_DESCRIPTION_LEN`] bytes.
fn quoted_string_content(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_DESCRIPTION_LEN));
    for c in text.chars().filter(|c| matches!(c, ' '..='~')) {
        let escaped = matches!(c, '"' | '\\');
        if out.len() + 1 + usize::from(escaped) > MAX_DESCRIPTION_LEN {
            break;
        }
        if escaped {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A validated route policy. Build it with [`Policy::from_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    rules: Vec<Rule>,
}

impl Policy {
    /// Parse and validate a policy document (format in the module doc).
    pub fn from_json(json: &str) -> Result<Policy> {
        let raw: RawPolicy = serde_json::from_slice(json.as_bytes()).map_err(|e| {
            invalid_policy(explain_parse_error(json).unwrap_or_else(|| e.to_string()))
        })?;
        let rules = raw
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, rule)| validate_rule(i, rule))
            .collect::<Result<Vec<_>>>()?;
        Ok(Policy { rules })
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The route for `method` and `path`: the first rule that matches. Refuses an unsafe
    /// path ([`ErrorCode::InvalidPath`]) and a request no rule covers
    /// ([`ErrorCode::NoMatchingRoute`]).
    pub fn route(&self, method: &str, path: &str) -> Result<Route<'_>> {
        let path = normalize_path(path).map_err(|why| {
            Error::new(
                ErrorCode::InvalidPath,
                format!("the request path is refused: {why}"),
            )
        })?;
        let method = method.to_ascii_uppercase();
        let rule = self
            .rules
            .iter()
            .find(|rule| rule.matches(&method, &path))
            .ok_or_else(|| {
                // The path is the client's: not echoed back.
                Error::new(
                    ErrorCode::NoMatchingRoute,
                    "no policy rule covers this method and path",
                )
            })?;
        Ok(if rule.is_public() {
            Route::Public
        } else {
            Route::Protected(rule)
        })
    }

    /// The verdict for a request carrying `credentials` (each already verified, or failed).
    /// The steps are listed in the module doc.
    pub fn decide(&self, method: &str, path: &str, credentials: &[Presented]) -> Decision {
        self.decide_on(self.route(method, path), credentials)
    }

    /// [`Policy::decide`] for a request whose route [`Policy::route`] just gave, so a caller
    /// that needed the route first (to know whether to read credentials) does not match the
    /// rules twice.
    pub fn decide_on(&self, route: Result<Route<'_>>, credentials: &[Presented]) -> Decision {
        let rule = match route {
            Ok(Route::Public) => return Decision::Allow { identity: None },
            Ok(Route::Protected(rule)) => rule,
            Err(e) => return Decision::deny(e),
        };
        let checked = effective_identity(credentials)
            .and_then(|eff| check_sources(rule, &eff.sources).map(|()| eff))
            .and_then(|eff| check_roles(rule, &eff.identity).map(|()| eff));
        match checked {
            Ok(eff) => Decision::Allow {
                identity: Some(eff.identity),
            },
            Err(e) => Decision::deny(e),
        }
    }
}

/// The identity a request acts as, and every token source it rests on.
struct Effective {
    identity: Identity,
    sources: Vec<TokenSource>,
}

/// Steps 3 to 5: no credential, one, or two that must agree.
fn effective_identity(credentials: &[Presented]) -> Result<Effective> {
    match credentials {
        [] => Err(Error::new(
            ErrorCode::MissingCredential,
            "this route needs a credential: x-amzn-oidc-data or Authorization: Bearer",
        )),
        [one] => {
            let identity = one.outcome.clone()?;
            consistent_source(one.source_kind, &identity, ErrorCode::SourceNotAccepted)?;
            Ok(Effective {
                sources: vec![identity.source],
                identity,
            })
        }
        [a, b] => agreeing_pair(a, b),
        _ => Err(conflict(format!(
            "{} credentials were presented; at most one ALB and one Bearer credential are read",
            credentials.len()
        ))),
    }
}

fn conflict(message: String) -> Error {
    Error::new(ErrorCode::ConflictingCredentials, message)
}

fn consistent_source(kind: CredentialKind, identity: &Identity, code: ErrorCode) -> Result<()> {
    if kind.carries(identity.source) {
        Ok(())
    } else {
        Err(Error::new(
            code,
            format!(
                "the {} holds a {} token, which that header never carries",
                kind.describe(),
                identity.source.as_str()
            ),
        ))
    }
}

/// Two credentials are only as good as the weaker: both must verify, name the same subject,
/// and only the roles both grant count. Otherwise a stolen or stale token could ride along
/// with a good one, or a request would act as two people at once.
fn agreeing_pair(a: &Presented, b: &Presented) -> Result<Effective> {
    if a.source_kind == b.source_kind {
        return Err(conflict(format!(
            "two {}s were presented",
            a.source_kind.describe()
        )));
    }
    let verified = |p: &Presented| -> Result<Identity> {
        let identity = p.outcome.clone().map_err(|e| {
            conflict(format!(
                "two credentials were presented and the {} was refused ({}: {})",
                p.source_kind.describe(),
                e.code(),
                e.message()
            ))
        })?;
        consistent_source(p.source_kind, &identity, ErrorCode::ConflictingCredentials)?;
        Ok(identity)
    };
    let (ia, ib) = (verified(a)?, verified(b)?);
    if ia.subject != ib.subject {
        return Err(conflict(
            "the ALB and Bearer credentials name different subjects".to_owned(),
        ));
    }
    // The ALB identity is the base: ALB put it there after its own login.
    let (mut base, other) = if a.source_kind == CredentialKind::Alb {
        (ia, ib)
    } else {
        (ib, ia)
    };
    base.roles.retain(|r| other.roles.contains(r));
    base.groups_overage |= other.groups_overage;
    base.expires_at = base.expires_at.min(other.expires_at);
    Ok(Effective {
        sources: vec![base.source, other.source],
        identity: base,
    })
}

/// Step 6: every source the identity rests on must be accepted by the rule.
fn check_sources(rule: &Rule, sources: &[TokenSource]) -> Result<()> {
    match sources.iter().find(|s| !rule.sources().contains(s)) {
        None => Ok(()),
        Some(source) => Err(Error::new(
            ErrorCode::SourceNotAccepted,
            format!(
                "this route does not accept {} tokens (accepted: {})",
                source.as_str(),
                join(rule.sources().iter().map(|s| s.as_str()))
            ),
        )),
    }
}

/// Step 7: any one of the rule's roles.
fn check_roles(rule: &Rule, identity: &Identity) -> Result<()> {
    if identity.roles.iter().any(|r| rule.roles().contains(r)) {
        return Ok(());
    }
    let needed = join(rule.roles().iter().map(String::as_str));
    let message = match (identity.groups_overage, identity.roles.is_empty()) {
        (true, true) => format!(
            "this route needs one of the roles {needed}; the token's group list overflowed \
             (Entra group overage), so roles from groups could not be read"
        ),
        (true, false) => format!(
            "this route needs one of the roles {needed}; the token's group list overflowed \
             (Entra group overage), so roles from groups may be missing"
        ),
        (false, _) => format!("this route needs one of the roles {needed}"),
    };
    Err(Error::new(ErrorCode::RoleDenied, message))
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

// --- paths -------------------------------------------------------------------------------

/// The normalised form of `path`, or why it is refused (see the module doc). The reason
/// never quotes the path.
fn normalize_path(path: &str) -> std::result::Result<String, &'static str> {
    if !path.starts_with('/') {
        return Err("it does not start with '/'");
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let value = hex_pair(bytes, i + 1).ok_or("malformed percent-encoding")?;
                check_escape(bytes, i, value)?;
                if is_unreserved(value) {
                    out.push(char::from(value));
                } else {
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    out.push('%');
                    out.push(char::from(HEX[usize::from(value >> 4)]));
                    out.push(char::from(HEX[usize::from(value & 0xf)]));
                }
                i += 3;
            }
            b'\\' => return Err("it contains a backslash"),
            b';' => return Err("it contains a ';' path parameter"),
            b'?' | b'#' => return Err("it contains a query or fragment"),
            0x00..=0x20 | 0x7f..=0xff => {
                return Err("it contains a control character, a space or raw non-ASCII")
            }
            _ => {
                out.push(char::from(b));
                i += 1;
            }
        }
    }
    check_segments(&out)?;
    Ok(out)
}

/// Refusals that depend on what an escape at `bytes[at]` encodes.
fn check_escape(bytes: &[u8], at: usize, value: u8) -> std::result::Result<(), &'static str> {
    match value {
        b'/' | b'\\' => Err("it contains an encoded slash or backslash"),
        0x00..=0x1f | 0x7f => Err("it contains an encoded NUL or control character"),
        // `%25` is `%`: an origin that decodes twice would see the next escape.
        b'%' => match hex_pair(bytes, at + 3) {
            Some(b'.' | b'/' | b'\\' | 0x00) => Err("it contains a double-encoded character"),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// No dot segments (after decoding, so `%2e%2e` counts) and no empty segment but a
/// trailing one.
fn check_segments(path: &str) -> std::result::Result<(), &'static str> {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (n, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => return Err("it contains a dot segment"),
            "" if n != last => return Err("it contains an empty segment ('//')"),
            _ => {}
        }
    }
    Ok(())
}

fn hex_pair(bytes: &[u8], at: usize) -> Option<u8> {
    let hi = hex_digit(*bytes.get(at)?)?;
    let lo = hex_digit(*bytes.get(at + 1)?)?;
    Some(hi << 4 | lo)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986 §2.3.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 9110 §5.6.2 `token`, which a method is (§9.1).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

// --- parsing -----------------------------------------------------------------------------

fn invalid_policy(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidPolicy, message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    rules: Vec<RawRule>,
}

/// A rule as written. Each field's deserializer names the field in its error (serde's own
/// messages name the type only), and `null` is a wrong type, not "absent".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(deserialize_with = "de_path")]
    path: String,
    #[serde(default, rename = "match", deserialize_with = "de_match")]
    match_kind: Option<MatchKind>,
    #[serde(default, deserialize_with = "de_methods")]
    methods: Option<Strings>,
    #[serde(default, deserialize_with = "de_public")]
    public: Option<bool>,
    #[serde(default, deserialize_with = "de_roles")]
    roles: Option<Strings>,
    #[serde(default, deserialize_with = "de_sources")]
    sources: Option<Strings>,
}

/// `field` + `message`, as a path: `.roles` + `[0]: ...` → `.roles[0]: ...`,
/// `.roles` + `invalid type` → `.roles: invalid type`.
fn at_path(field: &str, message: impl fmt::Display) -> String {
    let message = message.to_string();
    if message.starts_with('[') || message.starts_with('.') {
        format!("{field}{message}")
    } else {
        format!("{field}: {message}")
    }
}

fn named<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    field: &str,
    deserializer: D,
) -> std::result::Result<T, D::Error> {
    T::deserialize(deserializer).map_err(|e| D::Error::custom(at_path(field, e)))
}

fn de_path<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    named(".path", d)
}
fn de_match<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<MatchKind>, D::Error> {
    named(".match", d).map(Some)
}
fn de_methods<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Strings>, D::Error> {
    named(".methods", d).map(Some)
}
fn de_public<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
    named(".public", d).map(Some)
}
fn de_roles<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Strings>, D::Error> {
    named(".roles", d).map(Some)
}
fn de_sources<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Strings>, D::Error> {
    named(".sources", d).map(Some)
}

/// A list of strings whose errors name the index (`[2]: invalid type ...`).
struct Strings(Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct StringsVisitor;

        impl<'de> Visitor<'de> for StringsVisitor {
            type Value = Strings;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }

            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Strings, A::Error> {
                let mut out = Vec::new();
                loop {
                    let index = out.len();
                    match seq.next_element::<String>() {
                        Ok(Some(s)) => out.push(s),
                        Ok(None) => return Ok(Strings(out)),
                        Err(e) => return Err(A::Error::custom(at_path(&format!("[{index}]"), e))),
                    }
                }
            }
        }

        deserializer.deserialize_seq(StringsVisitor)
    }
}

/// A better message for a policy serde refused: find the first rule that fails on its own
/// and say which (`rules[3].methods[1]: ...`). `None` when the document is not JSON, the
/// problem is outside the rules, or only shows in the text (a duplicate key, which
/// `serde_json::Value` silently resolves): serde's own message, with line and column, is
/// then the best there is.
fn explain_parse_error(json: &str) -> Option<String> {
    let doc: Value = serde_json::from_slice(json.as_bytes()).ok()?;
    let rules = doc.get("rules")?.as_array()?;
    rules.iter().enumerate().find_map(|(i, rule)| {
        RawRule::deserialize(rule)
            .err()
            .map(|e| at_path(&format!("rules[{i}]"), e))
    })
}

/// Step two of loading: what serde cannot say (non-empty lists, names, paths, and which
/// fields go together).
fn validate_rule(i: usize, raw: RawRule) -> Result<Rule> {
    let err =
        |field: &str, message: String| invalid_policy(format!("rules[{i}].{field}: {message}"));

    if raw.path.contains('*') {
        return Err(err(
            "path",
            "'*' is not a wildcard here; use \"match\": \"prefix\"".to_owned(),
        ));
    }
    let path = normalize_path(&raw.path).map_err(|why| {
        err(
            "path",
            format!("{why} (rule paths follow the same rules as request paths)"),
        )
    })?;

    let methods = match raw.methods {
        None => None,
        Some(Strings(list)) if list.is_empty() => {
            return Err(err(
                "methods",
                "an empty list matches nothing; leave \"methods\" out to match every method"
                    .to_owned(),
            ))
        }
        Some(Strings(list)) => {
            let mut methods: Vec<String> = Vec::with_capacity(list.len());
            for (j, method) in list.iter().enumerate() {
                if !is_token(method) {
                    return Err(err(
                        &format!("methods[{j}]"),
                        format!("{method:?} is not an HTTP method"),
                    ));
                }
                let method = method.to_ascii_uppercase();
                if !methods.contains(&method) {
                    methods.push(method);
                }
            }
            Some(methods)
        }
    };

    let access = if raw.public == Some(true) {
        if raw.roles.is_some() {
            return Err(err(
                "roles",
                "a public rule admits everyone and must not carry roles".to_owned(),
            ));
        }
        if raw.sources.is_some() {
            return Err(err(
                "sources",
                "a public rule looks at no token and must not carry sources".to_owned(),
            ));
        }
        Access::Public
    } else {
        let roles = match raw.roles {
            None => {
                return Err(err(
                    "roles",
                    "required unless the rule is public (\"public\": true)".to_owned(),
                ))
            }
            Some(Strings(roles)) if roles.is_empty() => {
                return Err(err(
                    "roles",
                    "an empty list admits no one; name at least one role".to_owned(),
                ))
            }
            Some(Strings(roles)) => roles,
        };
        if let Some((j, role)) = roles.iter().enumerate().find(|(_, r)| !is_role_name(r)) {
            return Err(err(
                &format!("roles[{j}]"),
                format!(
                    "{role:?} is not a role name (1 to 256 visible ASCII characters, no comma)"
                ),
            ));
        }
        let sources =
            match raw.sources {
                None => ALL_SOURCES.to_vec(),
                Some(Strings(names)) if names.is_empty() => return Err(err(
                    "sources",
                    "an empty list accepts no token; leave \"sources\" out to accept every source"
                        .to_owned(),
                )),
                Some(Strings(names)) => {
                    let mut sources = Vec::with_capacity(names.len());
                    for (j, name) in names.iter().enumerate() {
                        let source = TokenSource::parse(name).ok_or_else(|| {
                            err(
                                &format!("sources[{j}]"),
                                format!(
                                    "unknown token source {name:?} (expected {})",
                                    join(ALL_SOURCES.iter().map(|s| s.as_str()))
                                ),
                            )
                        })?;
                        if !sources.contains(&source) {
                            sources.push(source);
                        }
                    }
                    sources
                }
            };
        Access::Roles { roles, sources }
    };

    Ok(Rule {
        path,
        match_kind: raw.match_kind.unwrap_or_default(),
        methods,
        access,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Map;

    /// The brief's example policy over the seed's roles.
    const SEED_POLICY: &str = r#"{"rules": [
        {"path": "/health", "public": true},
        {"path": "/admin", "match": "prefix", "roles": ["super_admin"]},
        {"path": "/itsm", "match": "prefix", "methods": ["GET", "HEAD"],
         "roles": ["viewer", "itsm_agent", "itsm_manager", "super_admin"]},
        {"path": "/itsm", "match": "prefix", "methods": ["POST", "PUT", "PATCH", "DELETE"],
         "roles": ["itsm_agent", "itsm_manager", "super_admin"], "sources": ["alb", "cognito_access"]}
    ]}"#;

    fn policy() -> Policy {
        Policy::from_json(SEED_POLICY).unwrap()
    }

    fn identity(source: TokenSource, subject: &str, roles: &[&str]) -> Identity {
        Identity {
            source,
            subject: subject.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            groups_overage: false,
            expires_at: 2_000_000_000,
            claims: Map::new(),
        }
    }

    fn alb(roles: &[&str]) -> Presented {
        Presented {
            source_kind: CredentialKind::Alb,
            outcome: Ok(identity(TokenSource::Alb, "user-1", roles)),
        }
    }

    fn bearer(source: TokenSource, subject: &str, roles: &[&str]) -> Presented {
        Presented {
            source_kind: CredentialKind::Bearer,
            outcome: Ok(identity(source, subject, roles)),
        }
    }

    fn failed(kind: CredentialKind, code: ErrorCode, message: &str) -> Presented {
        Presented {
            source_kind: kind,
            outcome: Err(Error::new(code, message)),
        }
    }

    /// (status, code, WWW-Authenticate) of a deny.
    fn denied(d: &Decision) -> (u16, ErrorCode, Option<&str>) {
        match d {
            Decision::Deny {
                status,
                error,
                www_authenticate,
            } => (*status, error.code(), www_authenticate.as_deref()),
            Decision::Allow { .. } => panic!("expected a deny, got {d:?}"),
        }
    }

    fn deny_message(d: &Decision) -> &str {
        match d {
            Decision::Deny { error, .. } => error.message(),
            Decision::Allow { .. } => panic!("expected a deny, got {d:?}"),
        }
    }

    fn allowed_identity(d: &Decision) -> Option<&Identity> {
        match d {
            Decision::Allow { identity } => identity.as_ref(),
            Decision::Deny { .. } => panic!("expected an allow, got {d:?}"),
        }
    }

    fn parse_error(json: &str) -> String {
        let e = Policy::from_json(json).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidPolicy, "{json}");
        e.message().to_owned()
    }

    // --- the seed roles against the seed routes ---

    #[test]
    fn seed_roles_against_seed_routes() {
        let p = policy();
        // (role, method, path, expected status: 200 = allowed)
        let table: &[(&[&str], &str, &str, u16)] = &[
            (&["viewer"], "GET", "/itsm/tickets", 200),
            (&["viewer"], "POST", "/itsm/tickets", 403),
            (&["viewer"], "GET", "/admin", 403),
            (&["viewer"], "GET", "/health", 200),
            (&["itsm_agent"], "GET", "/itsm/tickets", 200),
            (&["itsm_agent"], "POST", "/itsm/tickets", 200),
            (&["itsm_agent"], "GET", "/admin/users", 403),
            (&["itsm_manager"], "POST", "/itsm/tickets", 200),
            (&["itsm_manager"], "DELETE", "/itsm/tickets/7", 200),
            (&["itsm_manager"], "GET", "/admin", 403),
            (&["super_admin"], "GET", "/admin", 200),
            (&["super_admin"], "POST", "/admin/users", 200),
            (&["super_admin"], "POST", "/itsm/tickets", 200),
            (&[], "GET", "/itsm/tickets", 403),
            (&[], "GET", "/admin", 403),
            (&[], "GET", "/health", 200),
        ];
        for (roles, method, path, want) in table {
            let d = p.decide(method, path, &[alb(roles)]);
            let got = if d.is_allowed() { 200 } else { denied(&d).0 };
            assert_eq!(got, *want, "{roles:?} {method} {path}: {d:?}");
            if *want == 403 {
                assert_eq!(
                    denied(&d).1,
                    ErrorCode::RoleDenied,
                    "{roles:?} {method} {path}"
                );
            }
        }
    }

    #[test]
    fn allow_carries_the_identity() {
        let d = policy().decide("GET", "/itsm/tickets", &[alb(&["viewer"])]);
        assert_eq!(
            allowed_identity(&d).map(|i| i.subject.as_str()),
            Some("user-1")
        );
    }

    // --- matching ---

    #[test]
    fn prefix_matches_on_segment_boundaries() {
        let p = policy();
        assert!(matches!(p.route("GET", "/admin"), Ok(Route::Protected(_))));
        assert!(matches!(p.route("GET", "/admin/"), Ok(Route::Protected(_))));
        assert!(matches!(
            p.route("GET", "/admin/x/y"),
            Ok(Route::Protected(_))
        ));
        let e = p.route("GET", "/administrator").unwrap_err();
        assert_eq!(e.code(), ErrorCode::NoMatchingRoute);
    }

    #[test]
    fn prefix_with_trailing_slash_covers_only_below() {
        let p = Policy::from_json(
            r#"{"rules": [{"path": "/docs/", "match": "prefix", "public": true}]}"#,
        )
        .unwrap();
        assert_eq!(p.route("GET", "/docs/a"), Ok(Route::Public));
        assert_eq!(p.route("GET", "/docs/"), Ok(Route::Public));
        assert!(p.route("GET", "/docs").is_err());
        assert!(p.route("GET", "/docsx").is_err());
    }

    #[test]
    fn root_prefix_matches_everything() {
        let p =
            Policy::from_json(r#"{"rules": [{"path": "/", "match": "prefix", "public": true}]}"#)
                .unwrap();
        for path in ["/", "/a", "/a/b/", "/administrator"] {
            assert_eq!(p.route("GET", path), Ok(Route::Public), "{path}");
        }
    }

    #[test]
    fn exact_is_the_default_match() {
        let p = policy();
        assert_eq!(p.route("GET", "/health"), Ok(Route::Public));
        for path in ["/health/", "/health/x", "/healthz"] {
            assert_eq!(
                p.route("GET", path).unwrap_err().code(),
                ErrorCode::NoMatchingRoute,
                "{path}"
            );
        }
    }

    #[test]
    fn first_match_wins() {
        let p = Policy::from_json(
            r#"{"rules": [
                {"path": "/admin/status", "public": true},
                {"path": "/admin", "match": "prefix", "roles": ["super_admin"]},
                {"path": "/admin/open", "public": true}
            ]}"#,
        )
        .unwrap();
        assert_eq!(p.route("GET", "/admin/status"), Ok(Route::Public));
        assert!(
            matches!(p.route("GET", "/admin/open"), Ok(Route::Protected(r)) if r.roles() == ["super_admin"])
        );
    }

    #[test]
    fn no_match_denies() {
        let d = policy().decide("GET", "/elsewhere", &[alb(&["super_admin"])]);
        assert_eq!(denied(&d), (403, ErrorCode::NoMatchingRoute, None));
    }

    #[test]
    fn method_filter() {
        let p = policy();
        // OPTIONS is in neither /itsm rule.
        let d = p.decide("OPTIONS", "/itsm/tickets", &[alb(&["super_admin"])]);
        assert_eq!(denied(&d).1, ErrorCode::NoMatchingRoute);
        // The write rule, not the read rule, applies to POST.
        assert!(
            matches!(p.route("POST", "/itsm/x"), Ok(Route::Protected(r)) if !r.roles().iter().any(|r| r == "viewer"))
        );
        // GET does not imply HEAD, nor the other way round; both are listed here.
        assert!(p
            .decide("HEAD", "/itsm/x", &[alb(&["viewer"])])
            .is_allowed());
    }

    #[test]
    fn methods_are_compared_upper_cased() {
        // `fetch` leaves `patch` lower-case; it must not slip past the PATCH rule.
        let p = policy();
        assert!(
            matches!(p.route("patch", "/itsm/x"), Ok(Route::Protected(r)) if r.methods().is_some_and(|m| m.contains(&"PATCH".to_owned())))
        );
        let d = p.decide("patch", "/itsm/x", &[alb(&["viewer"])]);
        assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
        let p =
            Policy::from_json(r#"{"rules": [{"path": "/a", "methods": ["get"], "public": true}]}"#)
                .unwrap();
        assert_eq!(p.rules()[0].methods(), Some(&["GET".to_owned()][..]));
        assert_eq!(p.route("GET", "/a"), Ok(Route::Public));
    }

    #[test]
    fn matching_is_case_sensitive() {
        assert_eq!(
            policy().route("GET", "/ADMIN").unwrap_err().code(),
            ErrorCode::NoMatchingRoute
        );
    }

    // --- path safety ---

    fn assert_invalid_path(path: &str) {
        let d = policy().decide("GET", path, &[alb(&["super_admin"])]);
        assert_eq!(denied(&d), (400, ErrorCode::InvalidPath, None), "{path:?}");
        assert!(
            path.len() < 3 || !deny_message(&d).contains(path),
            "the path is echoed: {path:?}"
        );
    }

    #[test]
    fn rejects_dot_segments() {
        for path in ["/./admin", "/itsm/../admin", "/admin/.", "/admin/..", "/.."] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_encoded_dot_segments() {
        for path in [
            "/itsm/%2e%2e/admin",
            "/itsm/%2E%2E/admin",
            "/itsm/%2E./admin",
            "/itsm/.%2e/admin",
            "/itsm/%2e/admin",
            "/admin/%2e%2e",
        ] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_encoded_slash() {
        for path in ["/itsm%2fadmin", "/itsm%2Fadmin", "/health%2F"] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_encoded_backslash() {
        for path in ["/itsm%5cadmin", "/itsm%5C..%5Cadmin"] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_raw_backslash() {
        assert_invalid_path("/itsm\\..\\admin");
        assert_invalid_path("\\admin");
    }

    #[test]
    fn rejects_nul() {
        assert_invalid_path("/health\0");
        assert_invalid_path("/health%00");
        assert_invalid_path("/health%00.json");
    }

    #[test]
    fn rejects_path_not_starting_with_slash() {
        for path in ["", "health", "*", "http://x/health", "%2fhealth"] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_empty_segments() {
        assert_invalid_path("//admin");
        assert_invalid_path("/itsm//x");
        // A trailing slash is not an empty segment.
        assert!(policy().route("GET", "/admin/").is_ok());
    }

    #[test]
    fn rejects_path_parameters() {
        assert_invalid_path("/admin;jsessionid=1");
        assert_invalid_path("/health/..;/admin");
    }

    #[test]
    fn rejects_query_and_fragment() {
        assert_invalid_path("/health?x=1");
        assert_invalid_path("/health#x");
    }

    #[test]
    fn rejects_control_characters_spaces_and_raw_non_ascii() {
        for path in [
            "/health\r\n",
            "/he alth",
            "/health%0d%0aX: y",
            "/caf\u{e9}",
            "/a\x7f",
        ] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_malformed_and_double_encoding() {
        for path in [
            "/health%",
            "/health%2",
            "/health%zz",
            "/itsm/%252e%252e/admin",
            "/a%252F",
            "/a%255c",
            "/a%2500",
        ] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn encoded_unreserved_characters_match_as_decoded() {
        let p = policy();
        assert!(
            matches!(p.route("GET", "/%61dmin/x"), Ok(Route::Protected(r)) if r.path() == "/admin")
        );
        assert_eq!(p.route("GET", "/h%65alth"), Ok(Route::Public));
        // Other escapes stay encoded, hex upper-cased.
        let p =
            Policy::from_json(r#"{"rules": [{"path": "/caf%c3%a9", "public": true}]}"#).unwrap();
        assert_eq!(p.rules()[0].path(), "/caf%C3%A9");
        assert_eq!(p.route("GET", "/caf%C3%a9"), Ok(Route::Public));
    }

    // --- decisions ---

    #[test]
    fn public_route_ignores_credentials() {
        let p = policy();
        assert_eq!(
            p.decide("GET", "/health", &[]),
            Decision::Allow { identity: None }
        );
        let bad = failed(CredentialKind::Bearer, ErrorCode::TokenExpired, "expired");
        assert_eq!(
            p.decide("GET", "/health", &[bad]),
            Decision::Allow { identity: None }
        );
        assert_eq!(
            p.decide("GET", "/health", &[alb(&["super_admin"])]),
            Decision::Allow { identity: None }
        );
    }

    #[test]
    fn missing_credential_is_401_with_plain_bearer() {
        let d = policy().decide("GET", "/admin", &[]);
        assert_eq!(
            denied(&d),
            (401, ErrorCode::MissingCredential, Some("Bearer"))
        );
    }

    #[test]
    fn failed_credential_passes_its_code_through() {
        let p = policy();
        let d = p.decide(
            "GET",
            "/admin",
            &[failed(
                CredentialKind::Bearer,
                ErrorCode::TokenExpired,
                "the token expired",
            )],
        );
        assert_eq!(
            denied(&d),
            (
                401,
                ErrorCode::TokenExpired,
                Some("Bearer error=\"invalid_token\", error_description=\"the token expired\"")
            )
        );
        let d = p.decide(
            "GET",
            "/admin",
            &[failed(
                CredentialKind::Alb,
                ErrorCode::KeyFetchFailed,
                "key server down",
            )],
        );
        assert_eq!(denied(&d), (503, ErrorCode::KeyFetchFailed, None));
    }

    #[test]
    fn error_description_is_escaped_and_stripped() {
        let d = policy().decide(
            "GET",
            "/admin",
            &[failed(
                CredentialKind::Bearer,
                ErrorCode::IssuerMismatch,
                "iss \"evil\\\" is wrong\r\nSet-Cookie: x=1 \u{e9}\0",
            )],
        );
        assert_eq!(
            denied(&d).2,
            Some(
                "Bearer error=\"invalid_token\", error_description=\"iss \\\"evil\\\\\\\" is wrongSet-Cookie: x=1 \""
            )
        );
        let long = "x".repeat(10_000);
        let d = policy().decide(
            "GET",
            "/admin",
            &[failed(
                CredentialKind::Bearer,
                ErrorCode::MalformedToken,
                &long,
            )],
        );
        assert!(denied(&d).2.is_some_and(|h| h.len() < 400));
    }

    #[test]
    fn two_disagreeing_credentials_conflict() {
        let d = policy().decide(
            "GET",
            "/admin",
            &[
                alb(&["super_admin"]),
                bearer(TokenSource::CognitoAccess, "someone-else", &["super_admin"]),
            ],
        );
        let (status, code, www) = denied(&d);
        assert_eq!((status, code), (401, ErrorCode::ConflictingCredentials));
        assert!(www.is_some_and(|h| h.starts_with("Bearer error=\"invalid_token\"")));
    }

    #[test]
    fn good_and_bad_credentials_conflict() {
        let p = policy();
        for creds in [
            [
                alb(&["super_admin"]),
                failed(CredentialKind::Bearer, ErrorCode::TokenExpired, "expired"),
            ],
            [
                failed(
                    CredentialKind::Alb,
                    ErrorCode::BadSignature,
                    "bad signature",
                ),
                bearer(TokenSource::CognitoAccess, "user-1", &["super_admin"]),
            ],
        ] {
            let d = p.decide("GET", "/admin", &creds);
            assert_eq!(denied(&d).1, ErrorCode::ConflictingCredentials, "{creds:?}");
        }
    }

    #[test]
    fn two_agreeing_credentials_grant_only_shared_roles() {
        let p = policy();
        let both = [
            alb(&["super_admin", "viewer"]),
            bearer(
                TokenSource::CognitoAccess,
                "user-1",
                &["viewer", "itsm_agent"],
            ),
        ];
        let d = p.decide("GET", "/itsm/x", &both);
        let identity = allowed_identity(&d).unwrap();
        assert_eq!(identity.roles, ["viewer"]);
        assert_eq!(identity.source, TokenSource::Alb);
        assert_eq!(
            denied(&p.decide("GET", "/admin", &both)).1,
            ErrorCode::RoleDenied
        );
        assert_eq!(
            denied(&p.decide("POST", "/itsm/x", &both)).1,
            ErrorCode::RoleDenied
        );
    }

    #[test]
    fn two_credentials_need_both_sources_accepted() {
        let both = [
            alb(&["itsm_agent"]),
            bearer(TokenSource::CognitoId, "user-1", &["itsm_agent"]),
        ];
        let d = policy().decide("POST", "/itsm/x", &both);
        assert_eq!(denied(&d).1, ErrorCode::SourceNotAccepted);
    }

    #[test]
    fn two_credentials_of_one_kind_conflict() {
        let d = policy().decide(
            "GET",
            "/admin",
            &[alb(&["super_admin"]), alb(&["super_admin"])],
        );
        assert_eq!(denied(&d).1, ErrorCode::ConflictingCredentials);
        let three = [
            alb(&["super_admin"]),
            bearer(TokenSource::CognitoAccess, "user-1", &["super_admin"]),
            bearer(TokenSource::CognitoAccess, "user-1", &["super_admin"]),
        ];
        assert_eq!(
            denied(&policy().decide("GET", "/admin", &three)).1,
            ErrorCode::ConflictingCredentials
        );
    }

    #[test]
    fn source_not_accepted() {
        let d = policy().decide(
            "POST",
            "/itsm/tickets",
            &[bearer(TokenSource::CognitoId, "user-1", &["itsm_agent"])],
        );
        let (status, code, www) = denied(&d);
        assert_eq!((status, code), (401, ErrorCode::SourceNotAccepted));
        assert!(www.is_some_and(|h| h.starts_with("Bearer error=\"invalid_token\"")));
        assert!(deny_message(&d).contains("cognito_id"));
        // The same token is fine where every source is accepted.
        assert!(policy()
            .decide(
                "GET",
                "/itsm/tickets",
                &[bearer(TokenSource::CognitoId, "user-1", &["itsm_agent"])]
            )
            .is_allowed());
    }

    #[test]
    fn credential_in_the_wrong_header_is_refused() {
        let p = policy();
        let alb_as_bearer = bearer(TokenSource::Alb, "user-1", &["super_admin"]);
        assert_eq!(
            denied(&p.decide("GET", "/admin", &[alb_as_bearer])).1,
            ErrorCode::SourceNotAccepted
        );
        let cognito_as_alb = Presented {
            source_kind: CredentialKind::Alb,
            outcome: Ok(identity(
                TokenSource::CognitoAccess,
                "user-1",
                &["super_admin"],
            )),
        };
        assert_eq!(
            denied(&p.decide("GET", "/admin", &[cognito_as_alb])).1,
            ErrorCode::SourceNotAccepted
        );
    }

    #[test]
    fn role_denied_is_403_insufficient_scope_naming_the_roles() {
        let d = policy().decide("GET", "/admin", &[alb(&["viewer"])]);
        assert_eq!(
            denied(&d),
            (
                403,
                ErrorCode::RoleDenied,
                Some("Bearer error=\"insufficient_scope\"")
            )
        );
        assert!(deny_message(&d).contains("super_admin"));
        assert!(!deny_message(&d).contains("overflow"));
    }

    #[test]
    fn overage_message() {
        let mut overflowing = alb(&[]);
        if let Ok(i) = &mut overflowing.outcome {
            i.groups_overage = true;
        }
        let d = policy().decide("GET", "/admin", &[overflowing]);
        assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
        assert!(
            deny_message(&d).contains("group list overflowed"),
            "{}",
            deny_message(&d)
        );
        assert!(deny_message(&d).contains("could not be read"));
    }

    // --- policy parsing ---

    #[test]
    fn parses_the_seed_policy() {
        let p = policy();
        assert_eq!(p.rules().len(), 4);
        assert!(p.rules()[0].is_public());
        assert_eq!(p.rules()[1].match_kind(), MatchKind::Prefix);
        assert_eq!(p.rules()[1].sources(), ALL_SOURCES);
        assert_eq!(
            p.rules()[3].sources(),
            [TokenSource::Alb, TokenSource::CognitoAccess]
        );
    }

    #[test]
    fn parse_error_unknown_field() {
        let m = parse_error(
            r#"{"rules": [{"path": "/a", "roles": ["x"]}, {"path": "/b", "role": ["x"]}]}"#,
        );
        assert!(m.starts_with("rules[1]: unknown field `role`"), "{m}");
        let m = parse_error(r#"{"rules": [], "default": "allow"}"#);
        assert!(m.contains("unknown field `default`"), "{m}");
    }

    #[test]
    fn parse_error_wrong_types() {
        for (json, want) in [
            (
                r#"{"rules": [{"path": 1, "roles": ["x"]}]}"#,
                "rules[0].path: invalid type",
            ),
            (
                r#"{"rules": [{"path": "/a", "public": "yes"}]}"#,
                "rules[0].public: invalid type",
            ),
            (
                r#"{"rules": [{"path": "/a", "roles": "x"}]}"#,
                "rules[0].roles: invalid type",
            ),
            (
                r#"{"rules": [{"path": "/a", "roles": ["x", 2]}]}"#,
                "rules[0].roles[1]: invalid type",
            ),
            (
                r#"{"rules": [{"path": "/a", "roles": null}]}"#,
                "rules[0].roles: invalid type: null",
            ),
            (
                r#"{"rules": [{"path": "/a", "roles": ["x"], "methods": [{}]}]}"#,
                "rules[0].methods[0]: invalid type",
            ),
            (
                r#"{"rules": [{"path": "/a", "roles": ["x"], "sources": "alb"}]}"#,
                "rules[0].sources: invalid type",
            ),
            (
                r#"{"rules": [{"path": "/a", "match": "glob", "roles": ["x"]}]}"#,
                "rules[0].match: unknown variant `glob`",
            ),
        ] {
            let m = parse_error(json);
            assert!(m.starts_with(want), "{json}: {m}");
        }
    }

    #[test]
    fn parse_error_missing_path() {
        let m = parse_error(r#"{"rules": [{"roles": ["x"]}]}"#);
        assert!(m.starts_with("rules[0]: missing field `path`"), "{m}");
    }

    #[test]
    fn parse_error_bad_path() {
        for (path, want) in [
            ("a", "rules[0].path: it does not start with '/'"),
            ("/a/../b", "rules[0].path: it contains a dot segment"),
            ("/a%2fb", "rules[0].path: it contains an encoded slash"),
            ("/admin/*", "rules[0].path: '*' is not a wildcard"),
        ] {
            let m = parse_error(&format!(
                r#"{{"rules": [{{"path": "{path}", "roles": ["x"]}}]}}"#
            ));
            assert!(m.starts_with(want), "{path}: {m}");
        }
    }

    #[test]
    fn parse_error_roles_required_unless_public() {
        let m = parse_error(r#"{"rules": [{"path": "/a"}]}"#);
        assert!(m.starts_with("rules[0].roles: required"), "{m}");
        let m = parse_error(r#"{"rules": [{"path": "/a", "public": false}]}"#);
        assert!(m.starts_with("rules[0].roles: required"), "{m}");
    }

    #[test]
    fn parse_error_empty_roles() {
        let m = parse_error(r#"{"rules": [{"path": "/a", "roles": []}]}"#);
        assert!(m.starts_with("rules[0].roles: an empty list"), "{m}");
    }

    #[test]
    fn parse_error_bad_role_name() {
        let m = parse_error(r#"{"rules": [{"path": "/a", "roles": ["ok", "a,b"]}]}"#);
        assert!(m.starts_with("rules[0].roles[1]: "), "{m}");
    }

    #[test]
    fn parse_error_public_rule_with_roles_or_sources() {
        let m = parse_error(r#"{"rules": [{"path": "/a", "public": true, "roles": ["x"]}]}"#);
        assert!(m.starts_with("rules[0].roles: a public rule"), "{m}");
        let m = parse_error(r#"{"rules": [{"path": "/a", "public": true, "sources": ["alb"]}]}"#);
        assert!(m.starts_with("rules[0].sources: a public rule"), "{m}");
    }

    #[test]
    fn parse_error_unknown_source() {
        let m = parse_error(
            r#"{"rules": [{"path": "/h", "public": true}, {"path": "/a", "roles": ["x"]},
                {"path": "/b", "roles": ["x"], "sources": ["foo"]}]}"#,
        );
        assert!(
            m.starts_with("rules[2].sources[0]: unknown token source \"foo\""),
            "{m}"
        );
    }

    #[test]
    fn parse_error_empty_sources() {
        let m = parse_error(r#"{"rules": [{"path": "/a", "roles": ["x"], "sources": []}]}"#);
        assert!(m.starts_with("rules[0].sources: an empty list"), "{m}");
    }

    #[test]
    fn parse_error_bad_methods() {
        let m = parse_error(r#"{"rules": [{"path": "/a", "roles": ["x"], "methods": []}]}"#);
        assert!(m.starts_with("rules[0].methods: an empty list"), "{m}");
        let m = parse_error(
            r#"{"rules": [{"path": "/a", "roles": ["x"], "methods": ["GET", "GE T"]}]}"#,
        );
        assert!(m.starts_with("rules[0].methods[1]: "), "{m}");
    }

    #[test]
    fn parse_error_duplicate_key() {
        let m = parse_error(r#"{"rules": [{"path": "/a", "roles": ["x"], "roles": ["y"]}]}"#);
        assert!(m.contains("duplicate field `roles`"), "{m}");
    }

    #[test]
    fn parse_error_not_json_or_wrong_shape() {
        for json in ["", "{", "[]", r#"{"rules": {}}"#, r#"{}"#, "null"] {
            parse_error(json);
        }
    }

    #[test]
    fn empty_policy_denies_everything() {
        let p = Policy::from_json(r#"{"rules": []}"#).unwrap();
        assert_eq!(
            denied(&p.decide("GET", "/", &[])).1,
            ErrorCode::NoMatchingRoute
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_request(
            method in ".{0,8}",
            path in r"/?[/%.a-zA-F0-9;\\?# \x00\x7fé]{0,40}",
        ) {
            let d = policy().decide(&method, &path, &[alb(&["super_admin"])]);
            if d.is_allowed() {
                let lower = path.to_ascii_lowercase();
                for bad in ["/../", "/./", "%2f", "%5c", "%00", "\\", "//", ";"] {
                    proptest::prop_assert!(!lower.contains(bad), "{path:?} passed");
                }
            }
        }

        #[test]
        fn never_panics_on_any_policy(json in ".{0,200}") {
            let _ = Policy::from_json(&json);
            let _ = crate::roles::RoleMapping::from_json(&json);
        }
    }
}
