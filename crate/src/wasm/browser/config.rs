//! The constructor's settings, read from the JSON text of the JS config object and
//! checked once; each error names the field.

use wasm_bindgen::prelude::*;

use super::json::{self, Map, Value};
use crate::entra::renewal::DEFAULT_RENEWAL_MARGIN_SECS;
use crate::entra::return_to::split_origin;
use crate::entra::{AuthorityConfig, ClientId, TenantId};
use crate::error::{Error, ErrorCode, Result};
use crate::quote::quoted;

#[wasm_bindgen(typescript_custom_section)]
const TS_CONFIG: &'static str = r#"
/** Settings for {@link EntraAuth}. */
export interface EntraAuthConfig {
  /** Directory (tenant) id: a GUID, or "organizations" / "common" for multi-tenant apps. */
  tenantId: string;
  /** Application (client) id of the app registration (platform "Single-page application"). */
  clientId: string;
  /** Exactly as registered under the SPA platform, e.g. "https://app.example.com/auth/callback". */
  redirectUri: string;
  /** Space-separated or a list; "openid" is always added.
   *  Default "openid profile email offline_access". Add your API's scope
   *  (e.g. "api://<api app id>/access_as_user") to get an access token the OBO endpoint accepts. */
  scopes?: string | string[];
  /** The OBO exchange endpoint (seed 003 contract), https (http only on loopback). */
  oboEndpoint?: string;
  /** Default "https://login.microsoftonline.com"; another cloud, or a local test provider. */
  authorityHost?: string;
  /** Where Entra sends the browser after logout; register it on the app. */
  postLogoutRedirectUri?: string;
  /** Where tokens are kept: "memory" (default; gone on reload) or "session" (sessionStorage,
   *  this tab only). Never localStorage. */
  storage?: "memory" | "session";
  /** Origins `auth.fetch` sends the app token to, e.g. ["https://api.example.com"]
   *  (https, or http on loopback). A call to any other origin never carries it. */
  apiOrigins?: string[];
  /** Seconds before expiry at which tokens are renewed (default 300; a token shorter than
   *  twice this is renewed at half its life). */
  renewalMargin?: number;
  /** Client capabilities declared to Entra in the `claims` parameter (`xms_cc`), e.g.
   *  ["CP1"] for Continuous Access Evaluation. */
  clientCapabilities?: string[];
  /** The tenant's OpenID discovery document shipped with the app (JSON text or the parsed
   *  object; MSAL.js calls it the same): the callback page then makes no discovery request.
   *  Checked as a fetched one is (its issuer against this authority, https endpoints);
   *  refresh it when Microsoft changes the document. */
  authorityMetadata?: string | Record<string, unknown>;
}
"#;

const EXPECTED: &str = "expected tenantId, clientId, redirectUri and optional scopes, oboEndpoint, authorityHost, postLogoutRedirectUri, storage, apiOrigins, renewalMargin, clientCapabilities";

/// Where tokens are kept. Never `localStorage`: it outlives the tab and every script of
/// the origin can read it for as long as it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenStorage {
    /// In this page's memory: gone on reload (the safest, and the default).
    #[default]
    Memory,
    /// In `sessionStorage`: survives reloads of this tab, not other tabs.
    Session,
}

/// The checked settings.
#[derive(Debug, Clone)]
pub struct BrowserConfig {
    pub authority: AuthorityConfig,
    pub obo_endpoint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub storage: TokenStorage,
    /// Origins (`scheme://host[:port]`, compared ignoring ASCII case) `auth.fetch` gives the
    /// app token to.
    pub api_origins: Vec<String>,
    /// Seconds before expiry at which tokens are renewed.
    pub renewal_margin: u64,
    /// `xms_cc` values.
    pub client_capabilities: Vec<String>,
    /// The origin of the redirect URI: the app's own, where `returnTo` paths lead.
    pub app_origin: String,
}

fn invalid(message: String) -> Error {
    Error::new(
        ErrorCode::InvalidConfig,
        format!("EntraAuth config: {message}"),
    )
}

/// A string member: absent, `null` and `""` are `None`; another type is an error.
fn text(config: &Map, name: &str) -> Result<Option<String>> {
    match config.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("{name} must be a string"))),
    }
}

fn required(config: &Map, name: &str) -> Result<String> {
    text(config, name)?.ok_or_else(|| invalid(format!("missing {name} ({EXPECTED})")))
}

/// `scopes` as a space-separated string or an array of strings.
fn scopes(config: &Map) -> Result<Option<String>> {
    match config.get("scopes") {
        Some(Value::Array(list)) => {
            let mut joined = String::new();
            for scope in list {
                let scope = scope
                    .as_str()
                    .ok_or_else(|| invalid("scopes must be strings".to_owned()))?;
                joined.push_str(scope);
                joined.push(' ');
            }
            Ok(Some(joined))
        }
        _ => text(config, "scopes"),
    }
}

/// A list member of strings: absent or `null` is empty.
fn strings<'a>(config: &'a Map, name: &str) -> Result<Vec<&'a str>> {
    match config.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| invalid(format!("{name} must be a list of strings")))
            })
            .collect(),
        Some(_) => Err(invalid(format!("{name} must be a list of strings"))),
    }
}

/// `apiOrigins`: each an origin alone (no path, query or fragment), https or loopback http.
fn api_origins(config: &Map) -> Result<Vec<String>> {
    let mut origins = Vec::new();
    for value in strings(config, "apiOrigins")? {
        let bad = |why: &str| invalid(format!("apiOrigins entry {} {why}", quoted(value)));
        crate::entra::uri::check(value, crate::entra::uri::UrlRule::Endpoint).map_err(bad)?;
        match split_origin(value) {
            // A browser's `URL.origin` drops the scheme's default port: written out, it
            // would never match, and the API would silently get no token.
            Some((origin, _))
                if ends_with_ignore_case(origin, "https", ":443")
                    || ends_with_ignore_case(origin, "http", ":80") =>
            {
                return Err(bad("names the default port: leave it out"))
            }
            Some((origin, "" | "/")) => origins.push(origin.to_owned()),
            _ => {
                return Err(bad(
                    "must be an origin like \"https://api.example.com\", without a path",
                ))
            }
        }
    }
    Ok(origins)
}

/// Whether `origin` has the scheme `scheme` and ends with `port`.
fn ends_with_ignore_case(origin: &str, scheme: &str, port: &str) -> bool {
    origin
        .get(..scheme.len() + 3)
        .is_some_and(|head| head.eq_ignore_ascii_case(&format!("{scheme}://")))
        && origin.ends_with(port)
}

fn renewal_margin(config: &Map) -> Result<u64> {
    match config.get("renewalMargin") {
        None | Some(Value::Null) => Ok(DEFAULT_RENEWAL_MARGIN_SECS),
        Some(value) => value.as_u64().filter(|secs| *secs <= 3600).ok_or_else(|| {
            invalid("renewalMargin must be whole seconds from 0 to 3600".to_owned())
        }),
    }
}

fn client_capabilities(config: &Map) -> Result<Vec<String>> {
    let mut capabilities = Vec::new();
    for value in strings(config, "clientCapabilities")? {
        if value.is_empty() || value.len() > 32 || !value.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(invalid(format!(
                "clientCapabilities entry {} must be a short name like \"CP1\"",
                quoted(value)
            )));
        }
        capabilities.push(value.to_owned());
    }
    Ok(capabilities)
}

fn storage(config: &Map) -> Result<TokenStorage> {
    match text(config, "storage")?.as_deref() {
        None | Some("memory") => Ok(TokenStorage::Memory),
        Some("session") => Ok(TokenStorage::Session),
        Some(other) => Err(invalid(format!(
            "storage {} must be \"memory\" or \"session\" (tokens never go to localStorage)",
            quoted(other)
        ))),
    }
}

impl BrowserConfig {
    /// From the JSON text of the JS config object; an error names the field.
    pub fn from_json(source: &str) -> Result<Self> {
        let config = match json::parse(source) {
            Ok(Value::Object(config)) => config,
            _ => return Err(invalid(format!("not an object ({EXPECTED})"))),
        };
        const KNOWN: [&str; 11] = [
            "tenantId",
            "clientId",
            "redirectUri",
            "scopes",
            "oboEndpoint",
            "authorityHost",
            "postLogoutRedirectUri",
            "storage",
            "apiOrigins",
            "renewalMargin",
            "clientCapabilities",
        ];
        if let Some(unknown) = config.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(invalid(format!(
                "unknown field {} ({EXPECTED})",
                quoted(unknown)
            )));
        }
        let mut authority = AuthorityConfig::new(
            &required(&config, "tenantId")?,
            &required(&config, "clientId")?,
            &required(&config, "redirectUri")?,
        )?;
        if let Some(scopes) = scopes(&config)? {
            authority = authority.with_scopes(&scopes)?;
        }
        if let Some(host) = text(&config, "authorityHost")? {
            authority = authority.with_authority_host(&host)?;
        }
        let app_origin = split_origin(authority.redirect_uri().as_str())
            .map(|(origin, _)| origin.to_owned())
            .unwrap_or_default();
        Ok(BrowserConfig {
            api_origins: api_origins(&config)?,
            renewal_margin: renewal_margin(&config)?,
            client_capabilities: client_capabilities(&config)?,
            app_origin,
            authority,
            obo_endpoint: text(&config, "oboEndpoint")?,
            post_logout_redirect_uri: text(&config, "postLogoutRedirectUri")?,
            storage: storage(&config)?,
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
