//! Roles from verified claims: which claims carry roles, and how directory groups become roles.
//!
//! The policy ([`crate::policy`]) speaks in role names only. Tokens carry them in several
//! places, depending on who issued them:
//!
//! | claim | issuer | taken as |
//! |---|---|---|
//! | `roles` (array of strings, or one string) | Entra app roles | role names, verbatim |
//! | `cognito:groups` (array) | Cognito user pool groups | looked up in the [`RoleMapping`]; a group the table does not list is a role name, verbatim |
//! | `custom:role` (string, may be comma-separated) | a Cognito custom attribute | role names, verbatim |
//! | `groups` (array) | Entra group membership | looked up in the [`RoleMapping`]; unmapped groups are ignored |
//!
//! `groups` goes through the table only: directory groups are named (or, usually, identified
//! by object id) by the directory, not by the application, so the application decides what
//! they mean. `cognito:groups` goes through it too, for a pool whose groups are copied from
//! the directory (a federated IdP's groups mapped into the pool): `SG-StackFlow-ITSM-Managers`
//! there means what it means in Entra's `groups`. A pool group the table does not name keeps
//! counting as itself, as it always has: pools whose groups are the role names need no entry.
//! `roles` and `custom:role` are role names chosen by whoever configured the app.
//!
//! Which of these claims are read depends on the token's source ([`RoleClaims`], the
//! worker's `ROLE_CLAIMS`); by default every source reads all four.
//!
//! `custom:role` is a user attribute: it is only as trustworthy as the Cognito app client's
//! *write* permissions. If the app client lets users write `custom:role`
//! (`UpdateUserAttributes`), users can grant themselves any role; keep it read-only.
//!
//! Every role name is checked with [`is_role_name`]: roles are forwarded to origin as one
//! comma-separated header, so a role containing a comma, a space or a control character would
//! read as something else there. Such values are ignored, never split.
//!
//! # Group overage
//!
//! When a user is in too many groups for the token (200 in a JWT, 6 in an implicit-flow
//! token), Entra leaves `groups` out and says so instead: `_claim_names: {"groups": "src1"}`
//! (with `_claim_sources` pointing at Microsoft Graph), or `hasgroups: true`. Roles are then
//! incomplete, and [`Roles::groups_overage`] is set so that a deny can say why instead of
//! looking like a user with no groups. Resolving the groups through Graph is the caller's
//! business (it is I/O, and it needs a Graph token).

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::error::{Error, ErrorCode, Result};
use crate::identity::TokenSource;
use crate::json::{Map, Value};

/// The longest role name accepted; longer values are not role names but garbage.
const MAX_ROLE_LEN: usize = 256;

/// Whether `name` can be a role: 1 to 256 visible ASCII characters, no comma.
///
/// Roles reach origin as a comma-separated header value, so anything that would change how
/// that header reads (commas, whitespace, control characters, non-ASCII) is refused.
pub fn is_role_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ROLE_LEN
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b',')
}

/// Whether `s` is a GUID in its usual text form (`8-4-4-4-12` hex digits), as Entra writes
/// group object ids.
fn is_guid(s: &str) -> bool {
    crate::entra::types::is_guid(s)
}

/// The lookup key for a group: GUIDs are compared case-insensitively (the same object id
/// may be written in either case), names exactly (directories treat `Admins` and `admins`
/// as different groups).
fn group_key(group: &str) -> String {
    if is_guid(group) {
        group.to_ascii_lowercase()
    } else {
        group.to_owned()
    }
}

/// Which role each directory group grants. Configuration, not built in: an empty mapping
/// (the default) maps no group.
///
/// From JSON, an object of group → role:
///
/// ```json
/// {"SG-StackFlow-Admins": "super_admin", "0b7c1a52-4f3e-4c1d-9a4e-2d3f5e6a7b8c": "viewer"}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMapping {
    /// [`group_key`] → role.
    groups: HashMap<String, String>,
}

impl RoleMapping {
    /// Parse `{"group": "role", ...}`.
    ///
    /// Refused with [`ErrorCode::InvalidConfig`], naming the entry: not a JSON object, a
    /// value that is not a string, an empty group, a role that fails [`is_role_name`], and
    /// the same group twice (including one GUID written in two cases) — a duplicate key is
    /// a copy-and-paste mistake whose outcome JSON parsers disagree on, so it is not
    /// silently resolved.
    pub fn from_json(json: &str) -> Result<Self> {
        let entries: Entries = serde_json::from_slice(json.as_bytes()).map_err(|e| {
            Error::new(ErrorCode::InvalidConfig, format!("group role mapping: {e}"))
        })?;
        let invalid = |msg: String| Error::new(ErrorCode::InvalidConfig, msg);
        let mut groups = HashMap::with_capacity(entries.0.len());
        for (group, value) in entries.0 {
            let role = match value {
                serde_json::Value::String(role) => role,
                other => {
                    return Err(invalid(format!(
                        "group {group:?}: the role must be a string, not {}",
                        json_kind(&other)
                    )))
                }
            };
            if group.is_empty() {
                return Err(invalid("group \"\": empty group name".to_owned()));
            }
            if !is_role_name(&role) {
                return Err(invalid(format!(
                    "group {group:?}: {role:?} is not a role name (1 to {MAX_ROLE_LEN} visible ASCII characters, no comma)"
                )));
            }
            if groups.insert(group_key(&group), role).is_some() {
                return Err(invalid(format!("group {group:?}: listed more than once")));
            }
        }
        Ok(RoleMapping { groups })
    }

    /// The role `group` grants, if any.
    pub fn role_for(&self, group: &str) -> Option<&str> {
        self.groups.get(&group_key(group)).map(String::as_str)
    }
}

/// A JSON object's entries in document order, duplicates kept (a `Map` would keep only the
/// last one, hiding the mistake). Operator configuration, read with serde_json: it never
/// reaches the browser build.
struct Entries(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct EntriesVisitor;

        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of group name or id → role name")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }

        deserializer.deserialize_map(EntriesVisitor)
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value as V;
    match v {
        V::Null => "null",
        V::Bool(_) => "a boolean",
        V::Number(_) => "a number",
        V::String(_) => "a string",
        V::Array(_) => "an array",
        V::Object(_) => "an object",
    }
}

/// The roles found in a token's claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles {
    /// De-duplicated, in the order first seen (`roles`, `cognito:groups`, `custom:role`,
    /// then mapped `groups`).
    pub roles: Vec<String>,
    /// Entra left `groups` out because the user is in too many groups: roles that groups
    /// would have granted are missing.
    pub groups_overage: bool,
}

impl Roles {
    fn add(&mut self, role: &str) {
        if is_role_name(role) && !self.roles.iter().any(|r| r == role) {
            self.roles.push(role.to_owned());
        }
    }
}

/// The roles in `claims` (see the module doc for which claims and how), reading all four
/// role claims. Values of the wrong type are ignored: a claim that is not what we expect
/// grants nothing.
pub fn collect_roles(claims: &Map, mapping: &RoleMapping) -> Roles {
    collect_roles_from(claims, mapping, &RoleClaim::ALL)
}

/// [`collect_roles`] reading only the claims in `which` (in the fixed order `roles`,
/// `cognito:groups`, `custom:role`, `groups`, whatever the order of `which`). Group overage
/// is only reported when `groups` is read: otherwise groups could grant nothing anyway.
pub fn collect_roles_from(claims: &Map, mapping: &RoleMapping, which: &[RoleClaim]) -> Roles {
    let mut out = Roles::default();
    let reads = |claim: RoleClaim| which.contains(&claim);

    if reads(RoleClaim::Roles) {
        match claims.get("roles") {
            Some(Value::Array(items)) => strings(items).for_each(|r| out.add(r)),
            Some(Value::String(role)) => out.add(role),
            _ => {}
        }
    }
    if let (true, Some(Value::Array(items))) = (
        reads(RoleClaim::CognitoGroups),
        claims.get("cognito:groups"),
    ) {
        strings(items)
            .map(|g| mapping.role_for(g).unwrap_or(g))
            .for_each(|r| out.add(r));
    }
    if let (true, Some(Value::String(list))) =
        (reads(RoleClaim::CustomRole), claims.get("custom:role"))
    {
        list.split(',').map(str::trim).for_each(|r| out.add(r));
    }
    if reads(RoleClaim::Groups) {
        if let Some(Value::Array(items)) = claims.get("groups") {
            strings(items)
                .filter_map(|g| mapping.role_for(g))
                .for_each(|r| out.add(r));
        }
        out.groups_overage = has_groups_overage(claims);
    }
    out
}

/// A claim that can carry roles (see the module doc for how each is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleClaim {
    /// `roles`: role names.
    Roles,
    /// `cognito:groups`: through the group table, else verbatim.
    CognitoGroups,
    /// `custom:role`: comma-separated role names.
    CustomRole,
    /// `groups`: through the group table only.
    Groups,
}

impl RoleClaim {
    /// Every role claim, in the order they are read.
    pub const ALL: [RoleClaim; 4] = [
        RoleClaim::Roles,
        RoleClaim::CognitoGroups,
        RoleClaim::CustomRole,
        RoleClaim::Groups,
    ];

    /// The claim's name in a token.
    pub fn name(self) -> &'static str {
        match self {
            RoleClaim::Roles => "roles",
            RoleClaim::CognitoGroups => "cognito:groups",
            RoleClaim::CustomRole => "custom:role",
            RoleClaim::Groups => "groups",
        }
    }

    fn parse(name: &str) -> Option<RoleClaim> {
        RoleClaim::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Which claims carry roles, per token source. Configuration; the default reads every role
/// claim from every source (the behaviour before it was configurable).
///
/// From JSON, an object of token source (as policies name them) → list of claim names; a
/// source left out keeps the default, an empty list reads no role from that source (its
/// tokens pass only rules for any verified user, or by scope):
///
/// ```json
/// {"cognito_access": [], "cognito_id": ["cognito:groups"], "entra": ["roles", "groups"]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleClaims {
    /// By [`TokenSource`], indexed by `source_index`.
    per_source: [Vec<RoleClaim>; 4],
}

impl Default for RoleClaims {
    fn default() -> Self {
        RoleClaims {
            per_source: std::array::from_fn(|_| RoleClaim::ALL.to_vec()),
        }
    }
}

impl RoleClaims {
    /// Parse `{"source": ["claim", ...], ...}`.
    ///
    /// Refused with [`ErrorCode::InvalidConfig`], naming the entry: not a JSON object, an
    /// unknown source, a source listed twice, a value that is not a list of strings, an
    /// unknown claim name, a claim listed twice for one source.
    pub fn from_json(json: &str) -> Result<Self> {
        let entries: Entries = serde_json::from_slice(json.as_bytes())
            .map_err(|e| Error::new(ErrorCode::InvalidConfig, format!("role claims: {e}")))?;
        let invalid = |msg: String| Error::new(ErrorCode::InvalidConfig, msg);
        let mut out = RoleClaims::default();
        let mut seen: Vec<TokenSource> = Vec::new();
        for (name, value) in entries.0 {
            let source = TokenSource::parse(&name).ok_or_else(|| {
                invalid(format!(
                    "source {name:?}: unknown (expected alb, cognito_access, cognito_id or entra)"
                ))
            })?;
            if seen.contains(&source) {
                return Err(invalid(format!("source {name:?}: listed more than once")));
            }
            seen.push(source);
            let serde_json::Value::Array(items) = value else {
                return Err(invalid(format!(
                    "source {name:?}: must be a list of claim names, not {}",
                    json_kind(&value)
                )));
            };
            let mut claims = Vec::with_capacity(items.len());
            for item in items {
                let claim = item.as_str().and_then(RoleClaim::parse).ok_or_else(|| {
                    invalid(format!(
                        "source {name:?}: {item} is not a role claim (expected roles, cognito:groups, custom:role or groups)"
                    ))
                })?;
                if claims.contains(&claim) {
                    return Err(invalid(format!(
                        "source {name:?}: {item} is listed more than once"
                    )));
                }
                claims.push(claim);
            }
            out.per_source[source_index(source)] = claims;
        }
        Ok(out)
    }

    /// The claims read for `source`.
    pub fn for_source(&self, source: TokenSource) -> &[RoleClaim] {
        &self.per_source[source_index(source)]
    }

    /// The roles a verified token of `source` carries.
    pub fn collect(&self, source: TokenSource, claims: &Map, mapping: &RoleMapping) -> Roles {
        collect_roles_from(claims, mapping, self.for_source(source))
    }
}

fn source_index(source: TokenSource) -> usize {
    match source {
        TokenSource::Alb => 0,
        TokenSource::CognitoAccess => 1,
        TokenSource::CognitoId => 2,
        TokenSource::Entra => 3,
    }
}

fn strings(items: &[Value]) -> impl Iterator<Item = &str> {
    items.iter().filter_map(Value::as_str)
}

/// Entra's group overage markers: `_claim_names.groups` (JWT) or `hasgroups: true`
/// (implicit flow).
fn has_groups_overage(claims: &Map) -> bool {
    let claim_names = claims
        .get("_claim_names")
        .and_then(Value::as_object)
        .is_some_and(|names| names.contains_key("groups"));
    let hasgroups = matches!(claims.get("hasgroups"), Some(Value::Bool(true)));
    claim_names || hasgroups
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The seed's group table (StackFlow): example configuration, not built in.
    const SEED_MAPPING: &str = r#"{
        "SG-StackFlow-Admins": "super_admin",
        "SG-StackFlow-ITSM-Managers": "itsm_manager",
        "SG-StackFlow-Agents": "itsm_agent",
        "SG-StackFlow-ReadOnly": "viewer"
    }"#;

    fn seed() -> RoleMapping {
        RoleMapping::from_json(SEED_MAPPING).unwrap()
    }

    fn claims(v: serde_json::Value) -> Map {
        crate::json::object_from_serde(v)
    }

    fn roles_of(v: serde_json::Value) -> Vec<String> {
        collect_roles(&claims(v), &seed()).roles
    }

    /// Claims naming a role in each of the four role claims (and Entra overage).
    fn every_claim() -> Map {
        claims(json!({
            "roles": ["from_roles"],
            "cognito:groups": ["from_cognito_groups"],
            "custom:role": "from_custom_role",
            "groups": ["SG-StackFlow-ReadOnly"],
            "hasgroups": true
        }))
    }

    #[test]
    fn each_seed_group_maps_to_its_role() {
        for (group, role) in [
            ("SG-StackFlow-Admins", "super_admin"),
            ("SG-StackFlow-ITSM-Managers", "itsm_manager"),
            ("SG-StackFlow-Agents", "itsm_agent"),
            ("SG-StackFlow-ReadOnly", "viewer"),
        ] {
            assert_eq!(roles_of(json!({ "groups": [group] })), [role], "{group}");
        }
    }

    #[test]
    fn several_groups_give_several_roles_in_order() {
        let roles = roles_of(json!({
            "groups": ["SG-StackFlow-ReadOnly", "SG-StackFlow-Agents", "SG-StackFlow-Admins"]
        }));
        assert_eq!(roles, ["viewer", "itsm_agent", "super_admin"]);
    }

    #[test]
    fn unmapped_group_is_ignored() {
        let roles = roles_of(json!({ "groups": ["SG-Other", "SG-StackFlow-Agents"] }));
        assert_eq!(roles, ["itsm_agent"]);
    }

    #[test]
    fn group_names_are_case_sensitive() {
        assert!(roles_of(json!({ "groups": ["sg-stackflow-admins"] })).is_empty());
    }

    #[test]
    fn group_guids_are_case_insensitive() {
        let mapping =
            RoleMapping::from_json(r#"{"0B7C1A52-4F3E-4C1D-9A4E-2D3F5E6A7B8C": "viewer"}"#)
                .unwrap();
        let c = claims(json!({ "groups": ["0b7c1a52-4f3e-4c1d-9a4e-2d3f5e6a7b8c"] }));
        assert_eq!(collect_roles(&c, &mapping).roles, ["viewer"]);
    }

    #[test]
    fn the_mapping_is_not_built_in() {
        let c = claims(json!({ "groups": ["SG-StackFlow-Admins"] }));
        assert!(collect_roles(&c, &RoleMapping::default()).roles.is_empty());
    }

    #[test]
    fn roles_claim_array_is_taken_verbatim() {
        assert_eq!(
            roles_of(json!({ "roles": ["itsm_agent", "viewer"] })),
            ["itsm_agent", "viewer"]
        );
    }

    #[test]
    fn roles_claim_single_string_is_taken() {
        assert_eq!(roles_of(json!({ "roles": "viewer" })), ["viewer"]);
    }

    #[test]
    fn roles_claim_is_not_mapped_through_the_table() {
        assert_eq!(
            roles_of(json!({ "roles": ["SG-StackFlow-Admins"] })),
            ["SG-StackFlow-Admins"]
        );
    }

    #[test]
    fn cognito_groups_named_after_directory_groups_go_through_the_table() {
        // A pool whose groups are copied from Entra: the same name, the same role.
        assert_eq!(
            roles_of(json!({ "cognito:groups": ["SG-StackFlow-ITSM-Managers"] })),
            roles_of(json!({ "groups": ["SG-StackFlow-ITSM-Managers"] }))
        );
        assert_eq!(
            roles_of(json!({ "cognito:groups": ["SG-StackFlow-ITSM-Managers", "viewer"] })),
            ["itsm_manager", "viewer"]
        );
    }

    #[test]
    fn an_unmapped_cognito_group_keeps_counting_as_itself() {
        assert_eq!(
            roles_of(json!({ "cognito:groups": ["SG-Other", "itsm_agent"] })),
            ["SG-Other", "itsm_agent"]
        );
        // Even with no table at all (the behaviour before the table applied to them).
        let c = claims(json!({ "cognito:groups": ["itsm_agent"] }));
        assert_eq!(
            collect_roles(&c, &RoleMapping::default()).roles,
            ["itsm_agent"]
        );
    }

    #[test]
    fn default_role_claims_read_everything_from_every_source() {
        let all = RoleClaims::default();
        for source in [
            TokenSource::Alb,
            TokenSource::CognitoAccess,
            TokenSource::CognitoId,
            TokenSource::Entra,
        ] {
            assert_eq!(all.for_source(source), RoleClaim::ALL, "{source:?}");
            let r = all.collect(source, &every_claim(), &seed());
            assert_eq!(
                r.roles,
                [
                    "from_roles",
                    "from_cognito_groups",
                    "from_custom_role",
                    "viewer"
                ]
            );
            assert!(r.groups_overage);
        }
    }

    #[test]
    fn role_claims_choose_per_source() {
        let rc = RoleClaims::from_json(
            r#"{"cognito_access": [], "cognito_id": ["custom:role", "cognito:groups"],
                "entra": ["groups"]}"#,
        )
        .unwrap();
        let roles = |source| rc.collect(source, &every_claim(), &seed());
        assert!(roles(TokenSource::CognitoAccess).roles.is_empty());
        assert!(!roles(TokenSource::CognitoAccess).groups_overage);
        // The fixed reading order, whatever the order listed.
        assert_eq!(
            roles(TokenSource::CognitoId).roles,
            ["from_cognito_groups", "from_custom_role"]
        );
        assert!(!roles(TokenSource::CognitoId).groups_overage);
        assert_eq!(roles(TokenSource::Entra).roles, ["viewer"]);
        assert!(roles(TokenSource::Entra).groups_overage);
        // Left out: the default.
        assert_eq!(roles(TokenSource::Alb).roles.len(), 4);
        let only_roles = RoleClaims::from_json(r#"{"alb": ["roles"]}"#).unwrap();
        assert_eq!(
            only_roles
                .collect(TokenSource::Alb, &every_claim(), &seed())
                .roles,
            ["from_roles"]
        );
    }

    #[test]
    fn role_claims_refuse_what_they_cannot_mean() {
        for (json, want) in [
            ("{not json", "role claims:"),
            (r#"["roles"]"#, "role claims:"),
            (r#"{"cognito": ["roles"]}"#, "source \"cognito\": unknown"),
            (
                r#"{"entra": ["roles"], "entra": []}"#,
                "source \"entra\": listed more than once",
            ),
            (r#"{"entra": "roles"}"#, "source \"entra\": must be a list"),
            (
                r#"{"entra": ["role"]}"#,
                "source \"entra\": \"role\" is not a role claim",
            ),
            (
                r#"{"entra": [1]}"#,
                "source \"entra\": 1 is not a role claim",
            ),
            (
                r#"{"entra": ["scp"]}"#,
                "source \"entra\": \"scp\" is not a role claim",
            ),
            (
                r#"{"entra": ["roles", "roles"]}"#,
                "source \"entra\": \"roles\" is listed more than once",
            ),
        ] {
            let e = RoleClaims::from_json(json).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "{json}");
            assert!(e.message().starts_with(want), "{json}: {}", e.message());
        }
    }

    #[test]
    fn role_claim_names() {
        for claim in RoleClaim::ALL {
            assert_eq!(RoleClaim::parse(claim.name()), Some(claim));
        }
        assert_eq!(RoleClaim::parse("Roles"), None);
    }

    #[test]
    fn cognito_groups_are_roles() {
        assert_eq!(
            roles_of(json!({ "cognito:groups": ["itsm_manager"] })),
            ["itsm_manager"]
        );
    }

    #[test]
    fn custom_role_is_a_role() {
        assert_eq!(roles_of(json!({ "custom:role": "viewer" })), ["viewer"]);
    }

    #[test]
    fn custom_role_may_be_comma_separated() {
        assert_eq!(
            roles_of(json!({ "custom:role": "viewer, itsm_agent,,super_admin " })),
            ["viewer", "itsm_agent", "super_admin"]
        );
    }

    #[test]
    fn roles_are_deduplicated_in_first_seen_order() {
        let roles = roles_of(json!({
            "roles": ["viewer", "viewer"],
            "cognito:groups": ["itsm_agent", "viewer"],
            "custom:role": "itsm_agent,super_admin",
            "groups": ["SG-StackFlow-Admins", "SG-StackFlow-ReadOnly"]
        }));
        assert_eq!(roles, ["viewer", "itsm_agent", "super_admin"]);
    }

    #[test]
    fn overage_via_claim_names() {
        let r = collect_roles(
            &claims(json!({
                "_claim_names": { "groups": "src1" },
                "_claim_sources": { "src1": { "endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects" } }
            })),
            &seed(),
        );
        assert!(r.groups_overage);
        assert!(r.roles.is_empty());
    }

    #[test]
    fn overage_via_hasgroups() {
        let r = collect_roles(&claims(json!({ "hasgroups": true })), &seed());
        assert!(r.groups_overage);
    }

    #[test]
    fn no_overage_without_markers() {
        let r = collect_roles(
            &claims(
                json!({ "hasgroups": false, "_claim_names": { "other": "src1" }, "groups": [] }),
            ),
            &seed(),
        );
        assert!(!r.groups_overage);
    }

    #[test]
    fn garbage_types_are_ignored() {
        let r = collect_roles(
            &claims(json!({
                "roles": [1, null, {"a": "b"}, ["viewer"], true, "itsm_agent"],
                "cognito:groups": "super_admin",
                "custom:role": ["super_admin"],
                "groups": [7, {"SG-StackFlow-Admins": 1}, "SG-StackFlow-ReadOnly"],
                "_claim_names": "groups",
                "hasgroups": "true"
            })),
            &seed(),
        );
        assert_eq!(r.roles, ["itsm_agent", "viewer"]);
        assert!(!r.groups_overage);
    }

    #[test]
    fn values_that_are_not_role_names_are_ignored() {
        assert_eq!(
            roles_of(json!({ "roles": ["", "a,b", "has space", "tab\t", "ünï", "viewer"] })),
            ["viewer"]
        );
    }

    #[test]
    fn mapping_rejects_bad_json() {
        let e = RoleMapping::from_json("{not json").unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        let e = RoleMapping::from_json(r#"["SG-StackFlow-Admins"]"#).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        // The operator is told what was expected, not only that it failed.
        assert!(
            e.message()
                .contains("expected a JSON object of group name or id → role name"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn mapping_rejects_non_string_values_naming_the_entry() {
        for (json, kind) in [
            (r#"{"SG-A": "viewer", "SG-Bad": ["viewer"]}"#, "an array"),
            (r#"{"SG-Bad": 1}"#, "a number"),
            (r#"{"SG-Bad": null}"#, "null"),
            (r#"{"SG-Bad": true}"#, "a boolean"),
            (r#"{"SG-Bad": {"role": "viewer"}}"#, "an object"),
        ] {
            let e = RoleMapping::from_json(json).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "{json}");
            assert!(e.message().contains("\"SG-Bad\""), "{}", e.message());
            // What was found instead of a string, so the entry can be fixed without guessing.
            assert!(
                e.message().ends_with(&format!("not {kind}")),
                "{}",
                e.message()
            );
        }
    }

    #[test]
    fn mapping_rejects_roles_that_are_not_role_names() {
        let e = RoleMapping::from_json(r#"{"SG-Bad": "viewer,super_admin"}"#).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        assert!(e.message().contains("\"SG-Bad\""), "{}", e.message());
    }

    #[test]
    fn mapping_rejects_duplicate_groups() {
        let e = RoleMapping::from_json(r#"{"SG-A": "viewer", "SG-A": "super_admin"}"#).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        let e = RoleMapping::from_json(
            r#"{"0b7c1a52-4f3e-4c1d-9a4e-2d3f5e6a7b8c": "viewer",
                "0B7C1A52-4F3E-4C1D-9A4E-2D3F5E6A7B8C": "super_admin"}"#,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
    }

    #[test]
    fn mapping_rejects_empty_group() {
        let e = RoleMapping::from_json(r#"{"": "viewer"}"#).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
    }

    #[test]
    fn guid_shape() {
        assert!(is_guid("0b7c1a52-4f3e-4c1d-9a4e-2d3f5e6a7b8c"));
        assert!(!is_guid("0b7c1a52-4f3e-4c1d-9a4e-2d3f5e6a7b8"));
        assert!(!is_guid("0b7c1a52-4f3e-4c1d-9a4e-2d3f5e6a7b8c-"));
        assert!(!is_guid("SG-StackFlow-Admins"));
    }
}
