//! The service's settings, read once from a JSON file (the local stack writes it).

use serde::Deserialize;

/// Everything the service needs; see `tests/stack/stack.mjs` for the values it runs with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `127.0.0.1:PORT`.
    pub listen: String,
    pub entra: EntraSettings,
    /// Seed 003's table: an Entra group (as the token's `groups` claim names it) → a role.
    pub group_roles: Vec<GroupRole>,
    pub cognito: CognitoSettings,
    /// Lifetime of the issued app tokens (seed 003 answers 3600).
    #[serde(default = "default_ttl")]
    pub token_ttl_secs: u64,
    /// Browser origins allowed to call the service (the demo page).
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Enables `POST /test/rotate-key` (the local stack's tests rotate the signing key).
    #[serde(default)]
    pub test_controls: bool,
}

fn default_ttl() -> u64 {
    3600
}

/// Which Entra access tokens are accepted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntraSettings {
    /// `https://login.microsoftonline.com`, or the local provider's origin.
    pub authority_host: String,
    /// The tenant GUID; requests naming another tenant are refused.
    pub tenant_id: String,
    /// The API's application id(s): the `aud` of the access tokens the SPA sends.
    pub audiences: Vec<String>,
    /// Defaults to `{authority_host}/{tenant_id}/discovery/v2.0/keys`.
    #[serde(default)]
    pub jwks_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRole {
    pub group: String,
    pub role: String,
}

/// The Cognito user pool the issued tokens claim to come from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CognitoSettings {
    pub region: String,
    pub user_pool_id: String,
    pub app_client_id: String,
}

impl CognitoSettings {
    pub fn issuer(&self) -> String {
        entra_edge_auth::jwt::CognitoConfig::issuer_for_pool(&self.region, &self.user_pool_id)
    }
}

impl Config {
    pub fn from_json(text: &str) -> Result<Config, String> {
        serde_json::from_str(text).map_err(|e| format!("the configuration does not parse: {e}"))
    }
}
