//! Reading the policy JSON (format in the [policy module doc](super)): serde for the shape,
//! with errors that name the rule and the field, then `validate_rule` for what serde cannot
//! say.

use std::fmt;

use serde::de::{Deserializer, Error as _, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::path::normalize_path;
use super::{join, Access, MatchKind, Rule, ALL_SOURCES};
use crate::error::{Error, ErrorCode, Result};
use crate::identity::TokenSource;
use crate::roles::is_role_name;
use crate::scopes::{is_scope_token, scope_claim};

/// The rules of a policy document, each validated (the whole of [`super::Policy::from_json`]).
pub(super) fn read_rules(json: &str) -> Result<Vec<Rule>> {
    let raw: RawPolicy = serde_json::from_slice(json.as_bytes())
        .map_err(|e| invalid_policy(explain_parse_error(json).unwrap_or_else(|| e.to_string())))?;
    raw.rules
        .into_iter()
        .enumerate()
        .map(|(i, rule)| validate_rule(i, rule))
        .collect()
}

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
    #[serde(default, deserialize_with = "de_scopes")]
    scopes: Option<Strings>,
    #[serde(default, deserialize_with = "de_authenticated")]
    authenticated: Option<bool>,
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
fn de_scopes<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Strings>, D::Error> {
    named(".scopes", d).map(Some)
}
fn de_authenticated<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<bool>, D::Error> {
    named(".authenticated", d).map(Some)
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
        if raw.scopes.is_some() {
            return Err(err(
                "scopes",
                "a public rule admits everyone and must not carry scopes".to_owned(),
            ));
        }
        if raw.sources.is_some() {
            return Err(err(
                "sources",
                "a public rule looks at no token and must not carry sources".to_owned(),
            ));
        }
        if raw.authenticated == Some(true) {
            return Err(err(
                "authenticated",
                "a rule is either public or for verified users, not both".to_owned(),
            ));
        }
        Access::Public
    } else {
        if raw.authenticated == Some(true) && raw.scopes.is_some() {
            return Err(err(
                "scopes",
                "a rule for any verified user (\"authenticated\": true) must not carry scopes"
                    .to_owned(),
            ));
        }
        let scopes = read_scopes(raw.scopes).map_err(|(field, message)| err(&field, message))?;
        let roles = match raw.roles {
            // Any verified user: the identity provider's own gate (Entra's user assignment)
            // already decided who may sign in, so no role is asked for.
            None if raw.authenticated == Some(true) => Vec::new(),
            // Scopes alone: a machine client (client credentials) has no roles.
            None if !scopes.is_empty() => Vec::new(),
            Some(_) if raw.authenticated == Some(true) => {
                return Err(err(
                    "roles",
                    "a rule for any verified user (\"authenticated\": true) must not carry roles"
                        .to_owned(),
                ))
            }
            None => {
                return Err(err(
                    "roles",
                    "required unless the rule names scopes, is public (\"public\": true) or is for any verified user (\"authenticated\": true)".to_owned(),
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
        if roles.is_empty()
            && !scopes.is_empty()
            && sources.iter().all(|s| scope_claim(*s).is_none())
        {
            return Err(err(
                "scopes",
                format!(
                    "no accepted source carries scopes ({} tokens have none), so this rule admits no one",
                    join(sources.iter().map(|s| s.as_str()))
                ),
            ));
        }
        Access::Roles {
            roles,
            scopes,
            sources,
        }
    };

    Ok(Rule {
        path,
        match_kind: raw.match_kind.unwrap_or_default(),
        methods,
        access,
    })
}

/// A rule's `scopes`: absent is none; listed, at least one, each a scope token
/// (RFC 6749 §3.3), duplicates dropped. `Err` is (field, message).
fn read_scopes(raw: Option<Strings>) -> std::result::Result<Vec<String>, (String, String)> {
    let Some(Strings(list)) = raw else {
        return Ok(Vec::new());
    };
    if list.is_empty() {
        return Err((
            "scopes".to_owned(),
            "an empty list admits no one; name at least one scope, or leave \"scopes\" out"
                .to_owned(),
        ));
    }
    let mut scopes: Vec<String> = Vec::with_capacity(list.len());
    for (j, scope) in list.into_iter().enumerate() {
        if !is_scope_token(&scope) {
            return Err((
                format!("scopes[{j}]"),
                format!(
                    "{scope:?} is not a scope (1 to 256 visible ASCII characters, no space, '\"' or '\\')"
                ),
            ));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
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

#[cfg(test)]
mod tests {
    use super::super::tests::{denied, policy};
    use super::*;
    use crate::policy::Policy;

    fn parse_error(json: &str) -> String {
        let e = Policy::from_json(json).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidPolicy, "{json}");
        e.message().to_owned()
    }

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
        fn never_panics_on_any_policy(json in ".{0,200}") {
            let _ = Policy::from_json(&json);
            let _ = crate::roles::RoleMapping::from_json(&json);
        }
    }
}
