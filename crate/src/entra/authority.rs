//! Who we log in with and where its endpoints are (Microsoft identity platform v2).
//!
//! Entra's endpoints follow fixed shapes under `{host}/{tenant}`, so they are built
//! without a network round trip. A provider that only publishes an OpenID Connect
//! discovery document (OIDC Discovery 1.0 §3–4; local test stacks) goes through
//! [`Discovery`] instead. Both paths produce the same [`Endpoints`].

use super::types::{ClientId, RedirectUri, TenantId, CONSUMERS_TENANT_GUID};
use super::uri::{self, UrlRule};
use super::{is_success, HttpRequest};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Map, Value};
use crate::quote::quoted;
use crate::text;

/// Entra's global cloud.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// What a SPA asks for by default: sign-in (`openid profile email`) and a refresh token
/// (`offline_access`).
pub const DEFAULT_SCOPES: &str = "openid profile email offline_access";

/// Placeholder Entra uses in multi-tenant issuers (and that its discovery documents for
/// `organizations`/`common` contain literally).
const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// The provider's origin (and optional base path), without a trailing slash: https, or
/// http on a loopback host for a local provider such as `http://127.0.0.1:4010`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityHost(String);

impl AuthorityHost {
    pub fn new(value: &str) -> Result<Self> {
        let trimmed = value.trim_end_matches('/');
        uri::check(trimmed, UrlRule::Base).map_err(|why| {
            Error::new(
                ErrorCode::InvalidConfig,
                format!("authority_host {} {why}", quoted(value)),
            )
        })?;
        Ok(AuthorityHost(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for AuthorityHost {
    fn default() -> Self {
        AuthorityHost(DEFAULT_AUTHORITY_HOST.to_owned())
    }
}

/// The requested scopes (RFC 6749 §3.3), space-separated on the wire. `openid` is always
/// present: without it Entra returns no ID token and this is not an OIDC login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// From a space-separated list; duplicates are dropped, `openid` added first if absent.
    pub fn parse(value: &str) -> Result<Self> {
        Scopes::from_list(value.split(' ').filter(|s| !s.is_empty()))
    }

    pub fn from_list<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let mut list = vec!["openid".to_owned()];
        for scope in scopes {
            // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
            let valid = !scope.is_empty()
                && scope
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
            if !valid {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    format!(
                        "scope {} is not a valid scope token (RFC 6749 §3.3)",
                        quoted(scope)
                    ),
                ));
            }
            if !list.iter().any(|s| s == scope) {
                list.push(scope.to_owned());
            }
        }
        Ok(Scopes(list))
    }

    /// The `scope` parameter value. A loop rather than `join`, whose generic copy code is a
    /// kilobyte of wasm for this one call.
    pub fn to_param(&self) -> String {
        let mut param = String::new();
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                param.push(' ');
            }
            param.push_str(scope);
        }
        param
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }
}

impl Default for Scopes {
    fn default() -> Self {
        let mut scopes = Vec::new();
        for scope in DEFAULT_SCOPES.split(' ') {
            scopes.push(scope.to_owned());
        }
        Scopes(scopes)
    }
}

/// The provider endpoints a login uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The expected `iss`; may contain `{tenantid}` (multi-tenant), see
    /// [`Endpoints::expected_issuer`].
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// RP-Initiated Logout 1.0 `end_session_endpoint`; optional in discovery.
    pub end_session_endpoint: Option<String>,
    pub jwks_uri: String,
}

impl Endpoints {
    /// Entra's v2 shapes under `{host}/{tenant}`. The issuer is `{host}/{tid}/v2.0`, where
    /// `tid` is the tenant GUID, the token's own `tid` for `organizations`/`common`, and
    /// the personal-account tenant for `consumers`.
    pub fn entra(host: &AuthorityHost, tenant: &TenantId) -> Self {
        let base = format!("{}/{}", host.as_str(), tenant.as_str());
        let issuer_tenant = if tenant.is_multi_tenant() {
            TENANT_PLACEHOLDER
        } else if tenant.as_str() == "consumers" {
            CONSUMERS_TENANT_GUID
        } else {
            tenant.as_str()
        };
        Endpoints {
            issuer: format!("{}/{issuer_tenant}/v2.0", host.as_str()),
            authorization_endpoint: format!("{base}/oauth2/v2.0/authorize"),
            token_endpoint: format!("{base}/oauth2/v2.0/token"),
            end_session_endpoint: Some(format!("{base}/oauth2/v2.0/logout")),
            jwks_uri: format!("{base}/discovery/v2.0/keys"),
        }
    }

    /// The issuer an ID token with this `tid` must carry (OIDC Core §3.1.3.7 step 2). A
    /// `{tenantid}` template takes the token's `tid` only if it is a GUID, so a crafted
    /// `tid` cannot reshape the issuer URL.
    pub fn expected_issuer(&self, tid: &str) -> Result<String> {
        if !text::contains(&self.issuer, TENANT_PLACEHOLDER) {
            return Ok(self.issuer.clone());
        }
        if super::types::is_guid(tid) {
            Ok(text::replace(&self.issuer, TENANT_PLACEHOLDER, tid))
        } else {
            Err(Error::new(
                ErrorCode::IssuerMismatch,
                format!(
                    "the token's tid {} is not a tenant GUID, so no issuer can be derived",
                    quoted(tid)
                ),
            ))
        }
    }

    /// Whether the issuer depends on the token's `tid`.
    pub fn issuer_is_template(&self) -> bool {
        text::contains(&self.issuer, TENANT_PLACEHOLDER)
    }
}

/// Reads an OpenID Provider's discovery document (OIDC Discovery 1.0 §3) into the
/// [`Endpoints`] a login uses.
#[derive(Debug)]
pub struct Discovery;

impl Discovery {
    /// OIDC Discovery 1.0 §4.1: `GET {issuer}/.well-known/openid-configuration`.
    pub fn request(discovery_url: &str) -> HttpRequest {
        HttpRequest::get(discovery_url)
    }

    /// §4.2: the answer to [`Discovery::request`].
    pub fn parse_response(status: u16, body: &str) -> Result<Endpoints> {
        if !is_success(status) {
            let code = if (400..500).contains(&status) {
                // Entra answers 400 for an unknown tenant: a configuration problem.
                ErrorCode::InvalidConfig
            } else {
                ErrorCode::InvalidResponse
            };
            return Err(Error::new(
                code,
                format!(
                    "the discovery document request answered HTTP {status}: check the tenant and authority host"
                ),
            ));
        }
        Discovery::parse(body)
    }

    /// §3: reads `issuer`, `authorization_endpoint`, `token_endpoint`, `jwks_uri`
    /// (required) and `end_session_endpoint` (optional), each an https URL (http only on
    /// loopback): a document served over https must not send tokens or users elsewhere.
    pub fn parse(body: &str) -> Result<Endpoints> {
        let not_object = |why: String| {
            Error::new(
                ErrorCode::InvalidResponse,
                format!("the discovery document is not a JSON object: {why}"),
            )
        };
        let doc = match json::parse(body.as_bytes()) {
            Ok(Value::Object(doc)) => doc,
            Ok(other) => return Err(not_object(format!("it is {}", other.kind()))),
            Err(e) => return Err(not_object(e.to_string())),
        };
        let required = |name: &str| match field(&doc, name)? {
            Some(v) => Ok(v),
            None => Err(Error::new(
                ErrorCode::InvalidResponse,
                format!("the discovery document has no {name}"),
            )),
        };
        Ok(Endpoints {
            issuer: required("issuer")?,
            authorization_endpoint: required("authorization_endpoint")?,
            token_endpoint: required("token_endpoint")?,
            end_session_endpoint: field(&doc, "end_session_endpoint")?,
            jwks_uri: required("jwks_uri")?,
        })
    }
}

/// A URL-valued member of the discovery document: absent is `None`; present but not a
/// string, or not an acceptable URL, is an error naming the member.
fn field(doc: &Map, name: &str) -> Result<Option<String>> {
    let bad = |why: &str| {
        Error::new(
            ErrorCode::InvalidResponse,
            format!("the discovery document's {name} {why}"),
        )
    };
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            uri::check(s, UrlRule::Endpoint).map_err(bad)?;
            Ok(Some(s.clone()))
        }
        Some(_) => Err(bad("is not a string")),
    }
}

/// Everything a login needs to know about the app and its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityConfig {
    tenant: TenantId,
    client_id: ClientId,
    redirect_uri: RedirectUri,
    scopes: Scopes,
    authority_host: AuthorityHost,
    /// Set when the endpoints came from a discovery document.
    discovered: Option<Endpoints>,
}

impl AuthorityConfig {
    /// With the default scopes and `https://login.microsoftonline.com`. Each value is
    /// validated; an error names the field.
    pub fn new(tenant_id: &str, client_id: &str, redirect_uri: &str) -> Result<Self> {
        Ok(AuthorityConfig {
            tenant: TenantId::new(tenant_id)?,
            client_id: ClientId::new(client_id)?,
            redirect_uri: RedirectUri::new(redirect_uri)?,
            scopes: Scopes::default(),
            authority_host: AuthorityHost::default(),
            discovered: None,
        })
    }

    /// Replaces the scopes (space-separated); `openid` is kept.
    pub fn with_scopes(mut self, scopes: &str) -> Result<Self> {
        self.scopes = Scopes::parse(scopes)?;
        Ok(self)
    }

    /// Another cloud (e.g. `https://login.microsoftonline.us`) or a local provider.
    pub fn with_authority_host(mut self, host: &str) -> Result<Self> {
        self.authority_host = AuthorityHost::new(host)?;
        Ok(self)
    }

    /// Uses endpoints read from a discovery document instead of Entra's shapes.
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.discovered = Some(endpoints);
        self
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.redirect_uri
    }

    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    pub fn authority_host(&self) -> &AuthorityHost {
        &self.authority_host
    }

    /// The discovered endpoints if any, else Entra's.
    pub fn endpoints(&self) -> Endpoints {
        match &self.discovered {
            Some(e) => e.clone(),
            None => Endpoints::entra(&self.authority_host, &self.tenant),
        }
    }

    /// `{host}/{tenant}/v2.0/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            self.authority_host.as_str(),
            self.tenant.as_str()
        )
    }

    /// See [`Endpoints::expected_issuer`].
    pub fn expected_issuer(&self, tid: &str) -> Result<String> {
        self.endpoints().expected_issuer(tid)
    }

    /// OIDC Discovery 1.0 §4.3: the discovery document's `issuer` must be the issuer this
    /// authority expects, else its endpoints are not used (a document served for one
    /// tenant or host cannot speak for another). For `organizations` and `common`, Entra's
    /// document names the template `{host}/{tenantid}/v2.0`: the template is compared here,
    /// and each ID token's `iss` later against it with the token's own `tid`
    /// ([`Endpoints::expected_issuer`]).
    pub fn check_discovered_issuer(&self, discovered: &Endpoints) -> Result<()> {
        let expected = Endpoints::entra(&self.authority_host, &self.tenant).issuer;
        if discovered.issuer == expected {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::IssuerMismatch,
            format!(
                "the discovery document names the issuer {}, not the configured authority's {} (OpenID Connect Discovery 1.0 §4.3): check tenantId and authorityHost",
                quoted(&super::excerpt(&discovered.issuer, 200)),
                quoted(&expected)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "df4d171f-6cca-4c87-84cd-f299e4fca3a9";
    const CLIENT: &str = "11111111-2222-3333-4444-555555555555";

    fn config() -> AuthorityConfig {
        AuthorityConfig::new(TENANT, CLIENT, "https://app.example.com/auth/callback").unwrap()
    }

    #[test]
    fn builds_entra_v2_endpoints() {
        let e = config().endpoints();
        let base = format!("https://login.microsoftonline.com/{TENANT}");
        assert_eq!(
            e.authorization_endpoint,
            format!("{base}/oauth2/v2.0/authorize")
        );
        assert_eq!(e.token_endpoint, format!("{base}/oauth2/v2.0/token"));
        assert_eq!(
            e.end_session_endpoint,
            Some(format!("{base}/oauth2/v2.0/logout"))
        );
        assert_eq!(e.jwks_uri, format!("{base}/discovery/v2.0/keys"));
        assert_eq!(e.issuer, format!("{base}/v2.0"));
        assert_eq!(
            config().discovery_url(),
            format!("{base}/v2.0/.well-known/openid-configuration")
        );
    }

    #[test]
    fn multi_tenant_issuer_comes_from_tid() {
        let c =
            AuthorityConfig::new("organizations", CLIENT, "https://app.example.com/cb").unwrap();
        assert_eq!(
            c.expected_issuer(TENANT).unwrap(),
            format!("https://login.microsoftonline.com/{TENANT}/v2.0")
        );
        let err = c.expected_issuer("evil.example/x").unwrap_err();
        assert_eq!(err.code(), ErrorCode::IssuerMismatch);
        let consumers =
            AuthorityConfig::new("consumers", CLIENT, "https://app.example.com/cb").unwrap();
        assert_eq!(
            consumers.expected_issuer(TENANT).unwrap(),
            format!("https://login.microsoftonline.com/{CONSUMERS_TENANT_GUID}/v2.0")
        );
    }

    #[test]
    fn authority_host_trims_trailing_slash_and_allows_loopback_http() {
        let c = config()
            .with_authority_host("http://127.0.0.1:4010/")
            .unwrap();
        assert_eq!(
            c.endpoints().token_endpoint,
            format!("http://127.0.0.1:4010/{TENANT}/oauth2/v2.0/token")
        );
    }

    #[test]
    fn rejects_plain_http_authority_host() {
        let err = config()
            .with_authority_host("http://login.example.com")
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("authority_host"));
    }

    #[test]
    fn rejects_invalid_config_naming_the_field() {
        let cases = [
            (
                "not-a-tenant",
                CLIENT,
                "https://app.example.com/cb",
                "tenant_id",
            ),
            (TENANT, "", "https://app.example.com/cb", "client_id"),
            (TENANT, CLIENT, "http://app.example.com/cb", "redirect_uri"),
        ];
        for (tenant, client, redirect, field) in cases {
            let err = AuthorityConfig::new(tenant, client, redirect).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidConfig);
            assert!(err.message().contains(field), "{}", err.message());
        }
    }

    #[test]
    fn scopes_default_and_always_include_openid() {
        assert_eq!(config().scopes().to_param(), DEFAULT_SCOPES);
        let c = config()
            .with_scopes("User.Read  offline_access User.Read")
            .unwrap();
        assert_eq!(c.scopes().to_param(), "openid User.Read offline_access");
        assert_eq!(
            Scopes::parse("a\"b").unwrap_err().code(),
            ErrorCode::InvalidConfig
        );
    }

    #[test]
    fn parses_discovery_document() {
        let body = r#"{
            "issuer": "http://127.0.0.1:4010/v2.0",
            "authorization_endpoint": "http://127.0.0.1:4010/authorize",
            "token_endpoint": "http://127.0.0.1:4010/token",
            "jwks_uri": "http://127.0.0.1:4010/keys",
            "response_types_supported": ["code"]
        }"#;
        let e = Discovery::parse_response(200, body).unwrap();
        assert_eq!(e.token_endpoint, "http://127.0.0.1:4010/token");
        assert_eq!(e.end_session_endpoint, None);
        let c = config().with_endpoints(e.clone());
        assert_eq!(c.endpoints(), e);
    }

    fn discovered(issuer: &str) -> Endpoints {
        Endpoints {
            issuer: issuer.to_owned(),
            ..config().endpoints()
        }
    }

    #[test]
    fn discovery_issuer_must_be_the_configured_authoritys() {
        let c = config();
        let ok = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
        c.check_discovered_issuer(&discovered(&ok)).unwrap();
        for wrong in [
            format!("https://login.microsoftonline.com/{TENANT}/v2.0/"),
            format!("https://login.microsoftonline.com/{TENANT}"),
            "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0"
                .to_owned(),
            format!("https://evil.example/{TENANT}/v2.0"),
            "https://login.microsoftonline.com/{tenantid}/v2.0".to_owned(),
            String::new(),
        ] {
            let err = c.check_discovered_issuer(&discovered(&wrong)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::IssuerMismatch, "{wrong}");
        }
        let local = config()
            .with_authority_host("http://127.0.0.1:4010")
            .unwrap();
        local
            .check_discovered_issuer(&discovered(&format!("http://127.0.0.1:4010/{TENANT}/v2.0")))
            .unwrap();
    }

    #[test]
    fn multi_tenant_discovery_issuer_is_the_template() {
        for tenant in ["organizations", "common"] {
            let c = AuthorityConfig::new(tenant, CLIENT, "https://app.example.com/cb").unwrap();
            let template = "https://login.microsoftonline.com/{tenantid}/v2.0";
            c.check_discovered_issuer(&discovered(template)).unwrap();
            // A concrete tenant's issuer is not what a multi-tenant document names.
            let concrete = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
            assert_eq!(
                c.check_discovered_issuer(&discovered(&concrete))
                    .unwrap_err()
                    .code(),
                ErrorCode::IssuerMismatch
            );
            // ID tokens are then checked against the template with their own `tid`.
            let e = discovered(template);
            assert_eq!(e.expected_issuer(TENANT).unwrap(), concrete);
            assert_eq!(
                e.expected_issuer("../evil").unwrap_err().code(),
                ErrorCode::IssuerMismatch
            );
        }
    }

    #[test]
    fn discovery_rejects_missing_or_insecure_endpoints() {
        let missing =
            r#"{"issuer":"https://i","authorization_endpoint":"https://a","jwks_uri":"https://k"}"#;
        let err = Discovery::parse(missing).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidResponse);
        assert!(err.message().contains("token_endpoint"));
        let insecure = r#"{"issuer":"https://i","authorization_endpoint":"https://a","token_endpoint":"http://evil.example/t","jwks_uri":"https://k"}"#;
        assert_eq!(
            Discovery::parse(insecure).unwrap_err().code(),
            ErrorCode::InvalidResponse
        );
        assert_eq!(
            Discovery::parse("<html>").unwrap_err().code(),
            ErrorCode::InvalidResponse
        );
        assert_eq!(
            Discovery::parse_response(400, "{}").unwrap_err().code(),
            ErrorCode::InvalidConfig
        );
        assert_eq!(
            Discovery::parse_response(503, "").unwrap_err().code(),
            ErrorCode::InvalidResponse
        );
    }
}
