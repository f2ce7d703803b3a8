//! Route policy: which requests pass the edge, and with which credentials, roles and scopes.
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
//!    "roles": ["itsm_agent", "itsm_manager", "super_admin"], "sources": ["alb", "cognito_access"]},
//!   {"path": "/api/tickets", "match": "prefix", "methods": ["GET"], "scopes": ["tickets/read"],
//!    "sources": ["cognito_access"]},
//!   {"path": "/api/reports", "match": "prefix", "roles": ["itsm_manager"], "scopes": ["reports/read"]}
//! ]}
//! ```
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `path` | yes | starts with `/`; held to the same rules as request paths (below); no `*` (there are no globs: use `"match": "prefix"`) |
//! | `match` | no | `"exact"` (default) or `"prefix"`. A prefix matches whole segments: `/admin` matches `/admin` and `/admin/x`, not `/administrator`; `/admin/` matches `/admin/x` but not `/admin`; `/` matches every path |
//! | `methods` | no | HTTP methods the rule applies to (upper-cased, must be tokens, RFC 9110 §9.1); absent = every method. `GET` does not imply `HEAD` |
//! | `public` | no | `true`: anyone passes, credentials are not looked at. A public rule carries no `roles`, `scopes` or `sources` |
//! | `roles` | unless public, `authenticated` or `scopes` | non-empty; the caller needs **any one** of them (see [`crate::roles`]) |
//! | `scopes` | no | non-empty; a token granting **any one** of them passes (see [`crate::scopes`]: a Cognito access token's `scope`, an Entra token's `scp`; ID and ALB tokens carry none). Alone, the rule is for scopes only (a machine client's client-credentials token, which has no user and no roles); beside `roles`, **either** a role or a scope passes. At least one accepted source must carry scopes when the rule names no role |
//! | `authenticated` | no | `true`: any verified user passes, whatever their roles (for an identity provider that already gates who may sign in, such as Entra with user assignment required); carries no `roles` or `scopes`, may carry `sources` |
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
//! Matching is **case-sensitive** by default: `/Admin` does not match a rule for `/admin`.
//! That is only safe when origin is case-sensitive too. In front of a case-insensitive
//! origin (IIS, some Windows or macOS file servers), `/ADMIN` would slip past the `/admin`
//! rule and be served as `/admin`: build the policy with
//! [`Policy::from_json_case_insensitive`] (the worker's `PATH_CASE=insensitive`), which
//! compares rule and request paths with ASCII letters lower-cased (after normalisation;
//! escapes keep their hex digits). Methods are compared upper-cased.
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
//!    `conflicting_credentials`. Both verified with one subject → the effective roles (and
//!    scopes) are those both grant, and both sources must be accepted;
//! 6. a source the rule does not accept → 401 `source_not_accepted`;
//! 7. none of the rule's roles and none of its scopes → 403 `role_denied`,
//!    `Bearer error="insufficient_scope"` (a rule with `"authenticated": true` skips this
//!    step). One code for both: either way the credential is good but grants too little,
//!    and the message names what the route needs;
//! 8. allow, with the (effective) identity.

#[cfg(test)]
mod authenticated_tests;
mod parse;
mod path;
#[cfg(test)]
mod scope_tests;
#[cfg(test)]
mod tests;

use serde::Deserialize;

use crate::error::{Error, ErrorCode, Result};
use crate::identity::{Identity, TokenSource};

use path::{lowercase_outside_escapes, normalize_path};

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
    /// A verified token from one of `sources`, granting one of `roles` or one of `scopes`
    /// (both empty: any verified token).
    Roles {
        roles: Vec<String>,
        scopes: Vec<String>,
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

    /// Whether any verified user passes (`"authenticated": true`): a protected rule that
    /// names no role and no scope. The parser only builds one from that field.
    pub fn admits_any_verified_user(&self) -> bool {
        matches!(&self.access, Access::Roles { roles, scopes, .. } if roles.is_empty() && scopes.is_empty())
    }

    /// The roles of which the caller needs one (empty for a public rule and for a rule
    /// admitting any verified user).
    pub fn roles(&self) -> &[String] {
        match &self.access {
            Access::Public => &[],
            Access::Roles { roles, .. } => roles,
        }
    }

    /// The scopes of which the caller's token may carry one instead of a role (empty when
    /// the rule names none).
    pub fn scopes(&self) -> &[String] {
        match &self.access {
            Access::Public => &[],
            Access::Roles { scopes, .. } => scopes,
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
pub fn challenge(error: &Error, status: u16) -> Option<String> {
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
    /// Paths compared lower-cased (see "Paths" in the module doc).
    case_insensitive: bool,
}

impl Policy {
    /// Parse and validate a policy document (format in the module doc).
    pub fn from_json(json: &str) -> Result<Policy> {
        let rules = parse::read_rules(json)?;
        Ok(Policy {
            rules,
            case_insensitive: false,
        })
    }

    /// Like [`Policy::from_json`], for a case-insensitive origin: rule paths and request
    /// paths are compared with ASCII letters lower-cased (escapes keep their upper-case hex),
    /// so `/ADMIN` meets the `/admin` rule as IIS would serve it.
    pub fn from_json_case_insensitive(json: &str) -> Result<Policy> {
        let mut rules = parse::read_rules(json)?;
        for rule in &mut rules {
            rule.path = lowercase_outside_escapes(&rule.path);
        }
        Ok(Policy {
            rules,
            case_insensitive: true,
        })
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The route for `method` and `path`: the first rule that matches. Refuses an unsafe
    /// path ([`ErrorCode::InvalidPath`]) and a request no rule covers
    /// ([`ErrorCode::NoMatchingRoute`]).
    pub fn route(&self, method: &str, path: &str) -> Result<Route<'_>> {
        let mut path = normalize_path(path).map_err(|why| {
            Error::new(
                ErrorCode::InvalidPath,
                format!("the request path is refused: {why}"),
            )
        })?;
        if self.case_insensitive {
            path = lowercase_outside_escapes(&path);
        }
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

    /// The first rule matching `method` and `path`, with its index in the policy; `None`
    /// for a refused path or no match. For the decision log: it matches again, so it is
    /// called only when a log line is written, never on the decision's own path.
    pub fn matched_rule(&self, method: &str, path: &str) -> Option<(usize, &Rule)> {
        let mut path = normalize_path(path).ok()?;
        if self.case_insensitive {
            path = lowercase_outside_escapes(&path);
        }
        let method = method.to_ascii_uppercase();
        self.rules
            .iter()
            .enumerate()
            .find(|(_, rule)| rule.matches(&method, &path))
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
            .and_then(|eff| check_grant(rule, &eff.identity).map(|()| eff));
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
    base.scopes.retain(|s| other.scopes.contains(s));
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

/// Step 7: any one of the rule's roles, or any one of its scopes.
fn check_grant(rule: &Rule, identity: &Identity) -> Result<()> {
    if rule.admits_any_verified_user() {
        return Ok(());
    }
    let has_role = identity.roles.iter().any(|r| rule.roles().contains(r));
    let has_scope = identity.scopes.iter().any(|s| rule.scopes().contains(s));
    if has_role || has_scope {
        return Ok(());
    }
    let roles = join(rule.roles().iter().map(String::as_str));
    let scopes = join(rule.scopes().iter().map(String::as_str));
    let needed = match (rule.roles().is_empty(), rule.scopes().is_empty()) {
        (false, true) => format!("one of the roles {roles}"),
        (true, false) => format!("one of the scopes {scopes}"),
        _ => format!("one of the roles {roles} or one of the scopes {scopes}"),
    };
    // Overage only matters where a role could have granted the request.
    let overage = identity.groups_overage && !rule.roles().is_empty();
    let message = match (overage, identity.roles.is_empty()) {
        (true, true) => format!(
            "this route needs {needed}; the token's group list overflowed \
             (Entra group overage), so roles from groups could not be read"
        ),
        (true, false) => format!(
            "this route needs {needed}; the token's group list overflowed \
             (Entra group overage), so roles from groups may be missing"
        ),
        (false, _) => format!("this route needs {needed}"),
    };
    Err(Error::new(ErrorCode::RoleDenied, message))
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}
