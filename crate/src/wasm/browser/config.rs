//! The constructor's settings, read from the JS object and checked once.

use serde::Deserialize;

use crate::entra::{AuthorityConfig, ClientId, TenantId};
use crate::error::{Error, ErrorCode, Result};

/// Where tokens are kept. Never `localStorage`: it outlives the tab and every script of
/// the origin can read it for as long as it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStorage {
    /// In this page's memory: gone on reload (the safest, and the default).
    #[default]
    Memory,
    /// In `sessionStorage`: survives reloads of this tab, not other tabs.
    Session,
}

/// `scopes` as a space-separated string or an array.
///
/// Read with a small visitor rather than `#[serde(untagged)]`, which buffers the value
/// through serde's `Content` machinery (kilobytes of wasm).
#[derive(Debug, Clone)]
enum ScopeList {
    Text(String),
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for ScopeList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ScopeList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a space-separated string or an array of strings")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ScopeList, E> {
                Ok(ScopeList::Text(s.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ScopeList, A::Error> {
                let mut list = Vec::new();
                while let Some(scope) = seq.next_element::<String>()? {
                    list.push(scope);
                }
                Ok(ScopeList::List(list))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The JS `EntraAuthConfig`, field for field.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawConfig {
    tenant_id: String,
    client_id: String,
    redirect_uri: String,
    #[serde(default)]
    scopes: Option<ScopeList>,
    #[serde(default)]
    obo_endpoint: Option<String>,
    #[serde(default)]
    authority_host: Option<String>,
    #[serde(default)]
    post_logout_redirect_uri: Option<String>,
    #[serde(default)]
    storage: Option<TokenStorage>,
}

/// The checked settings.
#[derive(Debug, Clone)]
pub struct BrowserConfig {
    pub authority: AuthorityConfig,
    pub obo_endpoint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub storage: TokenStorage,
}

impl BrowserConfig {
    /// From the JSON text of the JS config object; an error names the field.
    pub fn from_json(json: &str) -> Result<Self> {
        let raw: RawConfig = serde_json::from_slice(json.as_bytes()).map_err(|e| {
            Error::new(
                ErrorCode::InvalidConfig,
                format!("EntraAuth config: {e} (expected tenantId, clientId, redirectUri and optional scopes, oboEndpoint, authorityHost, postLogoutRedirectUri, storage)"),
            )
        })?;
        let mut authority =
            AuthorityConfig::new(&raw.tenant_id, &raw.client_id, &raw.redirect_uri)?;
        if let Some(scopes) = raw.scopes {
            let text = match scopes {
                ScopeList::Text(text) => text,
                ScopeList::List(list) => list.join(" "),
            };
            authority = authority.with_scopes(&text)?;
        }
        if let Some(host) = raw.authority_host.filter(|h| !h.is_empty()) {
            authority = authority.with_authority_host(&host)?;
        }
        Ok(BrowserConfig {
            authority,
            obo_endpoint: raw.obo_endpoint.filter(|e| !e.is_empty()),
            post_logout_redirect_uri: raw.post_logout_redirect_uri.filter(|u| !u.is_empty()),
            storage: raw.storage.unwrap_or_default(),
        })
    }

    pub fn tenant(&self) -> &TenantId {
        self.authority.tenant()
    }

    pub fn client_id(&self) -> &ClientId {
        self.authority.client_id()
    }

    /// Prefix of every `sessionStorage` key and the BroadcastChannel name: one app (client
    /// id) per origin may run several logins without mixing them.
    pub fn storage_prefix(&self) -> String {
        format!("entra-edge-auth:{}", self.client_id())
    }
}
