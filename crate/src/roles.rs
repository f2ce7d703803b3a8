//! Roles from verified claims: which claims carry roles, and how directory groups become roles.
//!
//! The policy ([`crate::policy`]) speaks in role names only. Tokens carry them in several
//! places, depending on who issued them:
//!
//! | claim | issuer | taken as |
//! |---|---|---|
//! | `roles` (array of strings, or one string) | Entra app roles | role names, verbatim |
//! | `cognito:groups` (array) | Cognito user pool groups | role names, verbatim |
//! | `custom:role` (string, may be comma-separated) | a Cognito custom attribute | role names, verbatim |
//! | `groups` (array) | Entra group membership | looked up in the [`RoleMapping`]; unmapped groups are ignored |
//!
//! Only `groups` goes through the table: directory groups are named (or, usually, identified
//! by object id) by the directory, not by the application, so the application decides what
//! they mean. The other claims are already role names chosen by whoever configured the app.
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

    /// How many groups are mapped.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
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

/// The roles in `claims` (see the module doc for which claims and how). Values of the wrong
/// type are ignored: a claim that is not what we expect grants nothing.
pub fn collect_roles(claims: &Map, mapping: &RoleMapping) -> Roles {
    let mut out = Roles::default();

    match claims.get("roles") {
        Some(Value::Array(items)) => strings(items).for_each(|r| out.add(r)),
        Some(Value::String(role)) => out.add(role),
        _ => {}
    }
    if let Some(Value::Array(items)) = claims.get("cognito:groups") {
        strings(items).for_each(|r| out.add(r));
    }
    if let Some(Value::String(list)) = claims.get("custom:role") {
        list.split(',').map(str::trim).for_each(|r| out.add(r));
    }
    if let Some(Value::Array(items)) = claims.get("groups") {
        strings(items)
            .filter_map(|g| mapping.role_for(g))
            .for_each(|r| out.add(r));
    }

    out.groups_overage = has_groups_overage(claims);
    out
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
    }

    #[test]
    fn mapping_rejects_non_string_values_naming_the_entry() {
        for json in [
            r#"{"SG-A": "viewer", "SG-Bad": ["viewer"]}"#,
            r#"{"SG-Bad": 1}"#,
            r#"{"SG-Bad": null}"#,
        ] {
            let e = RoleMapping::from_json(json).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "{json}");
            assert!(e.message().contains("\"SG-Bad\""), "{}", e.message());
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
