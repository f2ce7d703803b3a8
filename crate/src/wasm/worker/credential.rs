//! Which credentials a request carries.
//!
//! - `x-amzn-oidc-data`: the token AWS ALB adds after its OIDC login (verified as ALB).
//! - `Authorization: Bearer <token>` (RFC 6750 §2.1): a Cognito access or ID token.
//!
//! An `Authorization` header with another scheme (Basic, say) is not a credential of ours
//! and is left for origin. Nothing here is trusted: this only finds the strings to verify.
//!
//! Both are presented to the policy when both are there (it then requires them to agree),
//! with one exception: a worker without Cognito settings does not read a Bearer token that
//! comes with an ALB token. It is then origin's own (ALB-only deployments often carry one)
//! and travels on untouched. A Bearer token alone, to such a worker, is presented and
//! refused (`source_not_accepted`).

/// The names the ALB puts its OIDC headers under; `x-amzn-oidc-data` is the signed one.
pub const ALB_DATA_HEADER: &str = "x-amzn-oidc-data";

/// The credentials found on a request, unverified.
use crate::policy::CredentialKind;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub alb: Option<String>,
    pub bearer: Option<String>,
}

impl Credentials {
    /// From the request's `x-amzn-oidc-data` and `Authorization` header values.
    pub fn from_headers(alb_data: Option<String>, authorization: Option<&str>) -> Self {
        Credentials {
            alb: alb_data,
            bearer: authorization.and_then(bearer_token).map(str::to_owned),
        }
    }

    /// The credentials to verify and present to the policy, ALB first.
    pub fn presented(self, cognito_enabled: bool) -> Vec<(CredentialKind, String)> {
        let read_bearer = cognito_enabled || self.alb.is_none();
        let mut out = Vec::with_capacity(2);
        if let Some(alb) = self.alb {
            out.push((CredentialKind::Alb, alb));
        }
        if let Some(bearer) = self.bearer.filter(|_| read_bearer) {
            out.push((CredentialKind::Bearer, bearer));
        }
        out
    }
}

/// The token of a `Bearer` authorization (scheme case-insensitive, RFC 7235 §2.1). A
/// `Bearer` header with an empty or spaced-out token is still returned, so that it is
/// refused as a malformed token rather than ignored.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let c = Credentials::from_headers(None, Some("bEaReR abc.def.ghi"));
        assert_eq!(c.bearer.as_deref(), Some("abc.def.ghi"));
    }

    #[test]
    fn other_schemes_are_not_credentials() {
        let c = Credentials::from_headers(None, Some("Basic dXNlcjpwYXNz"));
        assert_eq!(c, Credentials::default());
    }

    #[test]
    fn bearer_beside_alb_is_origins_when_cognito_is_off() {
        let both = || Credentials::from_headers(Some("a.b.c".into()), Some("Bearer x.y.z"));
        assert_eq!(both().presented(false).len(), 1);
        assert_eq!(both().presented(true).len(), 2);
        let alone = Credentials::from_headers(None, Some("Bearer x.y.z"));
        assert_eq!(alone.presented(false)[0].0, CredentialKind::Bearer);
    }

    #[test]
    fn empty_bearer_is_kept_to_be_refused() {
        let c = Credentials::from_headers(None, Some("Bearer"));
        assert_eq!(c.bearer.as_deref(), Some(""));
    }
}
