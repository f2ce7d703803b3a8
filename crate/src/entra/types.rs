//! One type per protocol string, so a tenant id cannot be passed where a client id is
//! meant, nor a state where a nonce is. Secrets (authorization code, tokens, state, nonce)
//! print `[redacted]` in `Debug` and give their value only through `.secret()`.

use std::fmt;

use super::uri::{self, UrlRule};
use crate::error::{Error, ErrorCode, Result};
use crate::quote::quoted;
use crate::random::random_32;

/// A secret string: redacted `Debug`, `.secret()` accessor.
macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident $(, $derive:ident)*) => {
        $(#[$doc])*
        #[derive($($derive),*)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_string!(
    /// The `code` from the authorization response (RFC 6749 §4.1.2). Single use, so no
    /// `Clone`: it is consumed by one token request.
    AuthorizationCode
);
secret_string!(
    /// An access token (RFC 6749 §1.4).
    AccessToken,
    Clone
);
secret_string!(
    /// A refresh token (RFC 6749 §1.5). Entra's SPA refresh tokens live 24 hours.
    RefreshToken,
    Clone
);
secret_string!(
    /// An OpenID Connect ID token (OIDC Core §2), still unverified as far as this type
    /// knows: hand it to [`crate::jwt`] before trusting it.
    IdToken,
    Clone
);
secret_string!(
    /// The `state` parameter (RFC 6749 §10.12): binds the callback to the browser that
    /// started the login. Compare with [`CsrfState::ct_eq`], never `==`.
    CsrfState,
    Clone
);
secret_string!(
    /// The OIDC `nonce` (OIDC Core §3.1.2.1, §15.5.2): binds the ID token to this login.
    Nonce,
    Clone
);

impl CsrfState {
    /// 32 random bytes, base64url: 256 bits is far beyond guessing (RFC 6749 §10.10).
    pub fn from_entropy(bytes: [u8; 32]) -> Self {
        CsrfState(crate::base64url::encode(&bytes))
    }

    pub fn new_random() -> Result<Self> {
        Ok(CsrfState::from_entropy(random_32()?))
    }

    /// Constant-time comparison with the value the callback carried, so the time taken
    /// does not reveal how many leading characters matched.
    pub fn ct_eq(&self, other: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), other.as_bytes())
    }
}

impl Nonce {
    pub fn from_entropy(bytes: [u8; 32]) -> Self {
        Nonce(crate::base64url::encode(&bytes))
    }

    pub fn new_random() -> Result<Self> {
        Ok(Nonce::from_entropy(random_32()?))
    }
}

/// Equality whose running time depends only on the lengths. The lengths are not secret
/// (ours is always 43).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `8-4-4-4-12` hexadecimal, the shape of Entra tenant, object and group ids and ALB kids:
/// the crate's one GUID check. Byte by byte (36 bytes, dashes at 8, 13, 18 and 23), which
/// is the same set as splitting on `-` into groups of those lengths, without the splitter.
pub(crate) fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn invalid_config(message: String) -> Error {
    Error::new(ErrorCode::InvalidConfig, message)
}

/// The Entra directory (Microsoft identity platform v2 "tenant" path segment): a tenant
/// GUID, or `organizations`, `common` or `consumers`. Stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

/// The well-known tenant every personal Microsoft account token names in `tid`.
pub const CONSUMERS_TENANT_GUID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

impl TenantId {
    pub fn new(value: &str) -> Result<Self> {
        let lower = value.trim().to_ascii_lowercase();
        if is_guid(&lower) || matches!(lower.as_str(), "organizations" | "common" | "consumers") {
            Ok(TenantId(lower))
        } else {
            Err(invalid_config(format!(
                "tenant_id {} must be a directory GUID, \"organizations\", \"common\" or \"consumers\"", quoted(value)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `organizations` or `common`: the issuer depends on the signed-in user's tenant.
    pub fn is_multi_tenant(&self) -> bool {
        matches!(self.0.as_str(), "organizations" | "common")
    }

    pub fn is_guid(&self) -> bool {
        is_guid(&self.0)
    }
}

impl TryFrom<String> for TenantId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        TenantId::new(&value)
    }
}

impl From<TenantId> for String {
    fn from(value: TenantId) -> String {
        value.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The application (client) id. A GUID in Entra; other providers (local test stacks) use
/// other strings, so any short printable value without URL delimiters is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

const MAX_CLIENT_ID_LEN: usize = 256;

impl ClientId {
    pub fn new(value: &str) -> Result<Self> {
        let ok = !value.is_empty()
            && value.len() <= MAX_CLIENT_ID_LEN
            && value
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '/' | '?' | '#'));
        if ok {
            Ok(ClientId(value.to_owned()))
        } else {
            Err(invalid_config(format!(
                "client_id {} must be non-empty, without whitespace, '/', '?' or '#'",
                quoted(value)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClientId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        ClientId::new(&value)
    }
}

impl From<ClientId> for String {
    fn from(value: ClientId) -> String {
        value.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `redirect_uri` (RFC 6749 §3.1.2): absolute, https (http only on a loopback host,
/// RFC 8252 §7.3, which Entra also allows), no fragment (§3.1.2), no user info. It is
/// compared byte for byte with the app registration, so it is kept exactly as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn new(value: &str) -> Result<Self> {
        uri::check(value, UrlRule::RedirectTarget)
            .map_err(|why| invalid_config(format!("redirect_uri {} {why}", quoted(value))))?;
        Ok(RedirectUri(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        RedirectUri::new(&value)
    }
}

impl From<RedirectUri> for String {
    fn from(value: RedirectUri) -> String {
        value.0
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let shown = format!(
            "{:?} {:?} {:?} {:?} {:?} {:?}",
            AuthorizationCode::new("c0de"),
            AccessToken::new("acc355"),
            RefreshToken::new("r3fr35h"),
            IdToken::new("1d70k3n"),
            CsrfState::new("5747e"),
            Nonce::new("n0nc3"),
        );
        for secret in ["c0de", "acc355", "r3fr35h", "1d70k3n", "5747e", "n0nc3"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("AccessToken([redacted])"));
    }

    #[test]
    fn state_and_nonce_are_32_bytes_base64url() {
        let state = CsrfState::from_entropy([7; 32]);
        let nonce = Nonce::from_entropy([8; 32]);
        assert_eq!(state.secret().len(), 43);
        assert_eq!(nonce.secret().len(), 43);
        assert!(state
            .secret()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(
            CsrfState::new_random().unwrap().secret(),
            CsrfState::new_random().unwrap().secret()
        );
    }

    #[test]
    fn state_comparison_is_exact() {
        let state = CsrfState::new("abc");
        assert!(state.ct_eq("abc"));
        assert!(!state.ct_eq("abd"));
        assert!(!state.ct_eq("ab"));
        assert!(!state.ct_eq(""));
    }

    #[test]
    fn tenant_accepts_guid_and_well_known_names() {
        let t = TenantId::new("DF4D171F-6CCA-4C87-84CD-F299E4FCA3A9").unwrap();
        assert_eq!(t.as_str(), "df4d171f-6cca-4c87-84cd-f299e4fca3a9");
        assert!(t.is_guid());
        for name in ["organizations", "common", "consumers"] {
            assert_eq!(TenantId::new(name).unwrap().as_str(), name);
        }
        assert!(TenantId::new("common").unwrap().is_multi_tenant());
        assert!(!TenantId::new("consumers").unwrap().is_multi_tenant());
    }

    #[test]
    fn rejects_malformed_tenant() {
        for bad in [
            "",
            "contoso.onmicrosoft.com",
            "df4d171f-6cca-4c87-84cd-f299e4fca3a",
            "df4d171f-6cca-4c87-84cd-f299e4fca3a9/../x",
            "gf4d171f-6cca-4c87-84cd-f299e4fca3a9",
        ] {
            let err = TenantId::new(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidConfig);
            assert!(err.message().contains("tenant_id"));
        }
    }

    #[test]
    fn rejects_client_id_with_url_delimiters() {
        assert!(ClientId::new("spa-local").is_ok());
        for bad in ["", "a/b", "a?b", "a#b", "a b", "a\nb"] {
            assert_eq!(
                ClientId::new(bad).unwrap_err().code(),
                ErrorCode::InvalidConfig
            );
        }
    }

    #[test]
    fn redirect_uri_requires_https_or_loopback_http() {
        for good in [
            "https://app.example.com/auth/callback",
            "http://localhost:5173/cb",
            "http://127.0.0.1:4010/",
            "http://[::1]:8080/cb",
        ] {
            assert!(RedirectUri::new(good).is_ok(), "{good}");
        }
        for bad in [
            "http://app.example.com/cb",
            "https://app.example.com/cb#frag",
            "/relative",
            "javascript:alert(1)",
            "https://user@app.example.com/cb",
            "http://localhost.evil.com/cb",
        ] {
            let err = RedirectUri::new(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidConfig, "{bad}");
            assert!(err.message().contains("redirect_uri"));
        }
    }

    /// The GUID shape as split on `-`: five groups of 8, 4, 4, 4 and 12 hex digits.
    fn guid_by_groups(s: &str) -> bool {
        let groups: Vec<&str> = s.split('-').collect();
        groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    proptest::proptest! {
        #[test]
        fn is_guid_is_the_grouped_shape(s in "[0-9a-fA-Fg-]{0,40}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f-]{4,5}-[0-9a-f]{4}-[0-9a-fé]{11,13}") {
            proptest::prop_assert_eq!(is_guid(&s), guid_by_groups(&s));
        }
    }

    #[test]
    fn is_guid_examples() {
        for s in [
            "df4d171f-6cca-4c87-84cd-f299e4fca3a9",
            "DF4D171F-6CCA-4C87-84CD-F299E4FCA3A9",
        ] {
            assert!(is_guid(s) && guid_by_groups(s), "{s}");
        }
        for s in [
            "",
            "df4d171f-6cca-4c87-84cd-f299e4fca3a",
            "df4d171f6cca-4c87-84cd-f299e4fca3a9-",
            "df4d171f--cca-4c87-84cd-f299e4fca3a9",
        ] {
            assert!(!is_guid(s) && !guid_by_groups(s), "{s}");
        }
    }
}
