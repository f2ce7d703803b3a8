//! The worker's configuration, parsed and checked once per isolate.
//!
//! Every setting is named exactly as `worker/README.md` documents it. A missing or malformed
//! setting is an `invalid_config` error whose message starts with the setting's name; the
//! gate remembers it and answers every request with it (500), so a broken deployment never
//! silently allows. A token source whose settings are all absent is disabled (its
//! credential is then refused); a half-configured one is an error.

use web_sys::Url;

use super::env::{invalid, Env};
use crate::error::Result;
use crate::jwt::{
    AlbConfig, AlbVerifier, CognitoConfig, CognitoPools, CognitoVerifier, PoolSetting, TokenUse,
};
use crate::policy::Policy;
use crate::roles::{RoleClaims, RoleMapping};
use crate::tuning::Tuning;

/// Key fetches that take longer than this are abandoned (and the request denied).
pub const DEFAULT_KEY_FETCH_TIMEOUT_MS: u32 = 3_000;
/// How long past its TTL a shared key document may still serve while one background fetch
/// revalidates it (`KEY_STALE_SECONDS`).
pub const DEFAULT_KEY_STALE_SECS: u64 = 300;
/// Bounds of `KEY_TTL_SECONDS` and `KEY_STALE_SECONDS`: a day at most.
const MAX_KEY_TTL_SECS: u64 = 86_400;
/// The largest clock skew accepted in `CLOCK_SKEW_SECONDS`: more would make `exp` meaningless.
const MAX_CLOCK_SKEW_SECS: u64 = 600;
/// Bounds of `KEY_REFETCH_COOLDOWN_SECONDS`: at least a second between unknown-kid fetches,
/// at most an hour of waiting for a rotated key.
const MIN_REFETCH_COOLDOWN_SECS: u64 = 1;
const MAX_REFETCH_COOLDOWN_SECS: u64 = 3_600;
/// The header naming the client's address by default (Cloudflare sets it; a client cannot).
const DEFAULT_CLIENT_ADDRESS_HEADER: &str = "cf-connecting-ip";
const DEFAULT_LOGOUT_PATH: &str = "/logout";
const DEFAULT_ENTRA_AUTHORITY: &str = "https://login.microsoftonline.com";

/// Where `/logout` sends the browser after clearing ALB's session cookies.
#[derive(Debug, Clone)]
pub struct LogoutConfig {
    /// The path that triggers the logout (`LOGOUT_PATH`, default `/logout`).
    pub path: String,
    /// Entra's end-session endpoint with `post_logout_redirect_uri`, ready to redirect to.
    pub end_session_url: String,
}

/// Everything the gate needs, checked.
pub struct GateConfig {
    /// `ORIGIN_URL` without a trailing slash; the request path and query are appended.
    pub origin: String,
    pub alb: Option<AlbVerifier>,
    /// One or more user pools (`COGNITO_ISSUER` or `COGNITO_ISSUERS`), chosen by `iss`.
    pub cognito: Option<CognitoPools>,
    /// Entra access tokens as Bearer (`ENTRA_AUDIENCES`; see `entra_access`).
    pub entra: Option<super::entra_access::EntraAccess>,
    pub roles: RoleMapping,
    /// `ROLE_CLAIMS`: which claims carry roles, per token source (default: all, as before).
    pub role_claims: RoleClaims,
    pub policy: Policy,
    pub tuning: Tuning,
    pub logout: Option<LogoutConfig>,
    pub key_fetch_timeout_ms: u32,
    /// The stale-while-revalidate window past the key TTL (`KEY_STALE_SECONDS`).
    pub key_stale_secs: u64,
    /// `ALB_FORWARD_ACCESS_TOKEN`: let the client's `x-amzn-oidc-accesstoken` travel on with
    /// a verified ALB token (unverified: origin's to verify). Default false.
    pub forward_alb_access_token: bool,
    /// `CLIENT_ADDRESS_HEADER`: where the client's address is read (lower-case), to count
    /// how many clients ask for an unknown key id. `None` with `CLIENT_ADDRESS_HEADER=none`.
    pub client_address_header: Option<String>,
    /// `LOG_SUBJECT`: how the verified `sub` appears in the decision log (default hash).
    pub log_subject: super::decision_log::LogSubject,
    /// `LOG_ALLOW_SAMPLE`: the share of allows logged (denies always are); default 1.
    pub allow_sample: super::decision_log::AllowSample,
    /// `LOG_BATCH_LINES` and `LOG_BATCH_MS`: decision-log lines written together (see
    /// `log_batch`); default each line at once.
    pub log_batch: super::log_batch::LogBatchSettings,
    /// `EXPOSE_DENY_DETAIL`: denies tell the client the core's detailed message rather
    /// than the fixed sentence for their code (see `deny_text`). Default false.
    pub expose_deny_detail: bool,
    /// `ASSERTION_*`: the signed identity assertion origin receives (see `origin_proof`).
    pub assertion: Option<super::origin_proof::AssertionConfig>,
    /// `ORIGIN_AUTH_HEADER` + `ORIGIN_AUTH_SECRET`: a shared secret on every forward.
    pub origin_auth: Option<super::origin_proof::OriginAuth>,
}

impl GateConfig {
    pub fn from_env(env: &Env) -> Result<GateConfig> {
        let mut tuning = Tuning::default();
        if let Some(skew) = env.get("CLOCK_SKEW_SECONDS")? {
            tuning.clock_skew_secs =
                parse_bounded("CLOCK_SKEW_SECONDS", &skew, 0, MAX_CLOCK_SKEW_SECS)?;
        }
        if let Some(ttl) = env.get("KEY_TTL_SECONDS")? {
            tuning.key_ttl_secs = parse_bounded("KEY_TTL_SECONDS", &ttl, 1, MAX_KEY_TTL_SECS)?;
        }
        let key_stale_secs = match env.get("KEY_STALE_SECONDS")? {
            Some(secs) => parse_bounded("KEY_STALE_SECONDS", &secs, 0, MAX_KEY_TTL_SECS)?,
            None => DEFAULT_KEY_STALE_SECS,
        };
        if let Some(cooldown) = env.get("KEY_REFETCH_COOLDOWN_SECONDS")? {
            tuning.refetch_cooldown_secs = parse_bounded(
                "KEY_REFETCH_COOLDOWN_SECONDS",
                &cooldown,
                MIN_REFETCH_COOLDOWN_SECS,
                MAX_REFETCH_COOLDOWN_SECS,
            )?;
        }
        let key_fetch_timeout_ms = match env.get("KEY_FETCH_TIMEOUT_MS")? {
            Some(ms) => parse_bounded("KEY_FETCH_TIMEOUT_MS", &ms, 100, 30_000)? as u32,
            None => DEFAULT_KEY_FETCH_TIMEOUT_MS,
        };
        let origin = env
            .get("ORIGIN_URL")?
            .ok_or_else(|| invalid("ORIGIN_URL", "is not set"))?;
        let origin = base_url("ORIGIN_URL", &origin)?;
        let assertion = super::origin_proof::assertion(env, &origin)?;
        let origin_auth = super::origin_proof::origin_auth(env)?;

        let alb = alb_verifier(env, tuning)?;
        let cognito = cognito_pools(
            cognito_verifier(env, tuning)?,
            env.get("COGNITO_ISSUERS")?.as_deref(),
            tuning,
        )?;
        let entra = super::entra_access::from_env(env, tuning)?;
        if alb.is_none() && cognito.is_none() && entra.is_none() {
            return Err(invalid(
                "ALB_ARNS",
                "and COGNITO_ISSUER(S) are both unset: configure at least one token source",
            ));
        }

        let roles = match env.get("GROUP_ROLES")? {
            Some(json) => RoleMapping::from_json(&json)
                .map_err(|e| invalid("GROUP_ROLES", &format!("is invalid: {}", e.message())))?,
            None => RoleMapping::default(),
        };
        let role_claims = match env.get("ROLE_CLAIMS")? {
            Some(json) => RoleClaims::from_json(&json)
                .map_err(|e| invalid("ROLE_CLAIMS", &format!("is invalid: {}", e.message())))?,
            None => RoleClaims::default(),
        };
        let policy = env
            .get("POLICY")?
            .ok_or_else(|| invalid("POLICY", "is not set"))?;
        let path_case_insensitive = match env.get("PATH_CASE")?.as_deref() {
            None | Some("sensitive") => false,
            Some("insensitive") => true,
            Some(_) => return Err(invalid("PATH_CASE", "must be sensitive or insensitive")),
        };
        let policy = if path_case_insensitive {
            Policy::from_json_case_insensitive(&policy)
        } else {
            Policy::from_json(&policy)
        }
        .map_err(|e| invalid("POLICY", &format!("is invalid: {}", e.message())))?;
        let client_address_header = client_address_header(env.get("CLIENT_ADDRESS_HEADER")?)?;

        Ok(GateConfig {
            origin,
            alb,
            cognito,
            entra,
            roles,
            role_claims,
            policy,
            tuning,
            logout: logout(env)?,
            key_fetch_timeout_ms,
            key_stale_secs,
            forward_alb_access_token: env.flag("ALB_FORWARD_ACCESS_TOKEN")?.unwrap_or(false),
            client_address_header,
            log_subject: super::decision_log::LogSubject::parse(
                env.get("LOG_SUBJECT")?.as_deref(),
            )?,
            allow_sample: super::decision_log::AllowSample::parse(
                env.get("LOG_ALLOW_SAMPLE")?.as_deref(),
            )?,
            log_batch: super::log_batch::LogBatchSettings::parse(
                env.get("LOG_BATCH_LINES")?.as_deref(),
                env.get("LOG_BATCH_MS")?.as_deref(),
            )?,
            expose_deny_detail: env.flag("EXPOSE_DENY_DETAIL")?.unwrap_or(false),
            assertion,
            origin_auth,
        })
    }
}

fn alb_verifier(env: &Env, tuning: Tuning) -> Result<Option<AlbVerifier>> {
    let arns = env.list("ALB_ARNS", "load balancer ARN")?;
    let client_ids = env.list("ALB_CLIENT_IDS", "client id")?;
    let issuer = env.get("ALB_ISSUER")?;
    let region = env.get("ALB_REGION")?;
    let keys_url = env.get("ALB_KEYS_URL")?;
    if arns.is_none()
        && client_ids.is_none()
        && issuer.is_none()
        && region.is_none()
        && keys_url.is_none()
    {
        return Ok(None);
    }
    let signers = arns.ok_or_else(|| {
        invalid(
            "ALB_ARNS",
            "is not set, but other ALB_* settings are (set it, or unset them all to disable ALB)",
        )
    })?;
    if let Some(at) = signers.iter().position(|arn| !arn.starts_with("arn:")) {
        return Err(invalid(
            "ALB_ARNS",
            &format!("entry {} is not an ARN (arn:…)", at + 1),
        ));
    }
    let keys_base_url = match (keys_url, region) {
        (Some(url), _) => base_url("ALB_KEYS_URL", &url)?,
        (None, Some(region)) => AlbConfig::default_keys_base_url(&region)?,
        (None, None) => {
            return Err(invalid(
                "ALB_REGION",
                "is not set (nor ALB_KEYS_URL): ALB keys cannot be fetched",
            ))
        }
    };
    let config = AlbConfig {
        signers,
        // Unset: any client of the configured load balancers (the signer is the binding).
        client_ids: client_ids.unwrap_or_default(),
        issuer,
        keys_base_url,
    };
    AlbVerifier::new(config, tuning).map(Some)
}

/// The user pools: `COGNITO_ISSUERS` (several), or the single-pool settings (`single`),
/// never both (which would leave it unclear whether the single pool is one more or the only
/// one). Takes the settings rather than `env`, so its rules are tested natively.
fn cognito_pools(
    single: Option<CognitoVerifier>,
    issuers: Option<&str>,
    tuning: Tuning,
) -> Result<Option<CognitoPools>> {
    let Some(json) = issuers else {
        return single
            .map(|pool| CognitoPools::new(vec![pool], tuning))
            .transpose();
    };
    if single.is_some() {
        return Err(invalid(
            "COGNITO_ISSUERS",
            "and COGNITO_ISSUER (with COGNITO_CLIENT_IDS) are both set: list every pool in COGNITO_ISSUERS and unset the others",
        ));
    }
    let in_list = |why: &str| invalid("COGNITO_ISSUERS", &format!("is invalid: {why}"));
    let mut pools = Vec::new();
    for (i, pool) in PoolSetting::list_from_json(json)
        .map_err(|e| in_list(e.message()))?
        .into_iter()
        .enumerate()
    {
        let at = |e: crate::error::Error| in_list(&format!("pool {}: {}", i + 1, e.message()));
        let issuer = base_url("issuer", &pool.issuer).map_err(at)?;
        let jwks_url = match pool.jwks_url {
            Some(url) => http_url("jwks_url", &url).map_err(at)?,
            None => CognitoConfig::default_jwks_url(&issuer),
        };
        let config = CognitoConfig {
            issuer,
            jwks_url,
            client_ids: pool.client_ids,
            token_uses: vec![TokenUse::Access, TokenUse::Id],
        };
        pools.push(CognitoVerifier::new(config, tuning).map_err(at)?);
    }
    CognitoPools::new(pools, tuning)
        .map(Some)
        .map_err(|e| in_list(e.message()))
}

fn cognito_verifier(env: &Env, tuning: Tuning) -> Result<Option<CognitoVerifier>> {
    let issuer = env.get("COGNITO_ISSUER")?;
    let jwks_url = env.get("COGNITO_JWKS_URL")?;
    let client_ids = env.list("COGNITO_CLIENT_IDS", "app client id")?;
    if issuer.is_none() && jwks_url.is_none() && client_ids.is_none() {
        return Ok(None);
    }
    let issuer = issuer.ok_or_else(|| {
        invalid("COGNITO_ISSUER", "is not set, but other COGNITO_* settings are (set it, or unset them all to disable Cognito)")
    })?;
    let issuer = base_url("COGNITO_ISSUER", &issuer)?;
    let client_ids = client_ids.ok_or_else(|| invalid("COGNITO_CLIENT_IDS", "is not set"))?;
    let jwks_url = match jwks_url {
        Some(url) => http_url("COGNITO_JWKS_URL", &url)?,
        None => CognitoConfig::default_jwks_url(&issuer),
    };
    let config = CognitoConfig {
        issuer,
        jwks_url,
        client_ids,
        token_uses: vec![TokenUse::Access, TokenUse::Id],
    };
    CognitoVerifier::new(config, tuning).map(Some)
}

fn logout(env: &Env) -> Result<Option<LogoutConfig>> {
    let tenant = env.get("ENTRA_TENANT_ID")?;
    let authority = env.get("ENTRA_AUTHORITY")?;
    let redirect = env.get("LOGOUT_REDIRECT_URI")?;
    let path = env.get("LOGOUT_PATH")?;
    if tenant.is_none() && authority.is_none() && redirect.is_none() && path.is_none() {
        return Ok(None);
    }
    let tenant = tenant.ok_or_else(|| {
        invalid(
            "ENTRA_TENANT_ID",
            "is not set, but other logout settings are",
        )
    })?;
    if !is_tenant(&tenant) {
        return Err(invalid("ENTRA_TENANT_ID", "is not a tenant id or domain"));
    }
    let authority = base_url(
        "ENTRA_AUTHORITY",
        authority.as_deref().unwrap_or(DEFAULT_ENTRA_AUTHORITY),
    )?;
    let redirect = redirect.ok_or_else(|| {
        invalid(
            "LOGOUT_REDIRECT_URI",
            "is not set, but other logout settings are",
        )
    })?;
    let redirect = http_url("LOGOUT_REDIRECT_URI", &redirect)?;
    let path = logout_path(path)?;
    let query = crate::form::Encoder::new()
        .append_pair("post_logout_redirect_uri", &redirect)
        .finish();
    Ok(Some(LogoutConfig {
        path,
        end_session_url: format!("{authority}/{tenant}/oauth2/v2.0/logout?{query}"),
    }))
}

/// `CLIENT_ADDRESS_HEADER`: where the client's address is read to rank unknown ALB key ids
/// by distinct clients (unset: Cloudflare's `cf-connecting-ip`; `none`: every request
/// counts as one client).
fn client_address_header(value: Option<String>) -> Result<Option<String>> {
    match value {
        None => Ok(Some(DEFAULT_CLIENT_ADDRESS_HEADER.to_owned())),
        Some(name) if name == "none" => Ok(None),
        Some(name) if is_header_name(&name) => Ok(Some(name.to_ascii_lowercase())),
        Some(_) => Err(invalid(
            "CLIENT_ADDRESS_HEADER",
            "must be a header name or none",
        )),
    }
}

/// A tenant GUID or domain (`contoso.onmicrosoft.com`), the path segment of the
/// end-session URL: nothing that could add a segment, a query or another host.
fn is_tenant(tenant: &str) -> bool {
    tenant.len() <= 128
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// `LOGOUT_PATH` (unset: `/logout`): a path alone, as requests are matched on the path.
fn logout_path(value: Option<String>) -> Result<String> {
    let path = value.unwrap_or_else(|| DEFAULT_LOGOUT_PATH.to_owned());
    if !path.starts_with('/') || path.contains(['?', '#']) {
        return Err(invalid("LOGOUT_PATH", "must be a path starting with '/'"));
    }
    Ok(path)
}

pub(super) fn parse_bounded(name: &str, value: &str, min: u64, max: u64) -> Result<u64> {
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(
            name,
            &format!("must be a whole number from {min} to {max}"),
        )),
    }
}

/// An HTTP field name (RFC 9110 §5.1: a token).
pub(super) fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// An absolute http(s) URL without credentials or fragment, as the platform's URL parser
/// reads it (the same parser `fetch` uses).
fn http_url(name: &str, value: &str) -> Result<String> {
    let url = Url::new(value).map_err(|_| invalid(name, "is not an absolute URL"))?;
    if url.protocol() != "https:" && url.protocol() != "http:" {
        return Err(invalid(name, "must be an http(s) URL"));
    }
    if !url.username().is_empty() || !url.password().is_empty() || !url.hash().is_empty() {
        return Err(invalid(name, "must not carry credentials or a fragment"));
    }
    Ok(value.to_owned())
}

/// A URL that paths are appended to: no query, no trailing slash.
fn base_url(name: &str, value: &str) -> Result<String> {
    http_url(name, value)?;
    if value.contains('?') {
        return Err(invalid(name, "must not have a query string"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AAA";

    fn single() -> Option<CognitoVerifier> {
        let config = CognitoConfig {
            issuer: ISSUER.to_owned(),
            jwks_url: CognitoConfig::default_jwks_url(ISSUER),
            client_ids: vec!["c".to_owned()],
            token_uses: vec![TokenUse::Access, TokenUse::Id],
        };
        Some(CognitoVerifier::new(config, Tuning::default()).unwrap())
    }

    fn refused(single: Option<CognitoVerifier>, issuers: &str) -> String {
        let e = cognito_pools(single, Some(issuers), Tuning::default())
            .err()
            .unwrap();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        e.message().to_owned()
    }

    #[test]
    fn the_single_pool_settings_keep_working() {
        let pools = cognito_pools(single(), None, Tuning::default())
            .unwrap()
            .unwrap();
        assert_eq!(pools.pools().len(), 1);
        assert_eq!(pools.pools()[0].config().issuer, ISSUER);
    }

    #[test]
    fn no_cognito_settings_disable_cognito() {
        assert!(cognito_pools(None, None, Tuning::default())
            .unwrap()
            .is_none());
    }

    #[test]
    fn both_forms_at_once_are_refused_naming_them() {
        let m = refused(single(), "[]");
        assert!(
            m.starts_with(
                "COGNITO_ISSUERS and COGNITO_ISSUER (with COGNITO_CLIENT_IDS) are both set"
            ),
            "{m}"
        );
    }

    #[test]
    fn the_client_address_header_is_a_header_name_or_none() {
        let read = |v: Option<&str>| client_address_header(v.map(str::to_owned));
        assert_eq!(
            read(None).unwrap().as_deref(),
            Some(DEFAULT_CLIENT_ADDRESS_HEADER)
        );
        assert_eq!(read(Some("none")).unwrap(), None);
        assert_eq!(
            read(Some("X-Real-IP")).unwrap().as_deref(),
            Some("x-real-ip")
        );
        for bad in ["", "x y", "x:y", "caf\u{e9}"] {
            let e = read(Some(bad)).err().unwrap();
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            assert!(e.message().starts_with("CLIENT_ADDRESS_HEADER "), "{bad}");
        }
    }

    #[test]
    fn a_tenant_is_a_guid_or_a_domain_of_at_most_128_bytes() {
        assert!(is_tenant("11111111-2222-3333-4444-555555555555"));
        assert!(is_tenant("contoso.onmicrosoft.com"));
        assert!(is_tenant(&"a".repeat(128)));
        assert!(!is_tenant(&"a".repeat(129)));
        for bad in ["contoso/x", "a b", "x?y", "x#y", "x@y", "x%2f"] {
            assert!(!is_tenant(bad), "{bad}");
        }
    }

    #[test]
    fn the_logout_path_is_a_path_alone() {
        assert_eq!(logout_path(None).unwrap(), DEFAULT_LOGOUT_PATH);
        assert_eq!(logout_path(Some("/out".to_owned())).unwrap(), "/out");
        for bad in ["out", "", "/out?x", "/out#x", "https://x.example/out"] {
            let e = logout_path(Some(bad.to_owned())).err().unwrap();
            assert!(e.message().starts_with("LOGOUT_PATH "), "{bad}");
        }
    }

    #[test]
    fn a_malformed_pool_list_is_refused_naming_the_setting() {
        for (issuers, want) in [
            ("[{", "COGNITO_ISSUERS is invalid: not a JSON list"),
            ("[]", "COGNITO_ISSUERS is invalid: no user pool"),
            (
                r#"[{"issuer": "https://x.example/p", "client_ids": []}]"#,
                "COGNITO_ISSUERS is invalid: pool 1: \"client_ids\" names no app client id",
            ),
        ] {
            let m = refused(None, issuers);
            assert!(m.starts_with(want), "{issuers}: {m}");
        }
    }
}
