//! `verify`: build the verifier the options describe and run all three steps.

use entra_edge_auth::jwt::{
    verify_sync, AlbConfig, AlbVerifier, CognitoConfig, CognitoVerifier, EntraConfig,
    EntraTokenKind, EntraVerifier, ExpectedNonce, KeyRef, PublicKey, TokenUse, TokenVerifier,
};
use entra_edge_auth::keys::KeyCache;
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::{Error, ErrorCode, Result, Tuning};

use super::args::VerifyArgs;
use super::decode::{describe_times, now};
use super::fetch::{http_get, is_url, read_file};

const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Stands in for a key set URL when the keys come from a local file: never fetched
/// (`.invalid` cannot resolve, RFC 6761), it only names the cache entry.
const FILE_KEYS: &str = "https://local-key-file.invalid";

pub fn run(args: &VerifyArgs) -> i32 {
    let now = args.at.unwrap_or_else(now);
    match build(args).and_then(|(verifier, keys)| verify(&*verifier, &keys, &args.token, now)) {
        Ok(verified) => {
            println!("VERIFIED ({})", verified.source.as_str());
            println!("subject: {}", verified.subject);
            println!(
                "claims:\n{}",
                serde_json::to_string_pretty(&verified.claims).unwrap_or_default()
            );
            println!("times (UTC):\n{}", describe_times(&verified.claims, now));
            0
        }
        Err(e) => {
            println!("REJECTED: {}\nerror code: {}", e.message(), e.code());
            1
        }
    }
}

/// Where keys come from: a file, or URLs fetched on demand.
enum Keys {
    File(String),
    Remote,
}

fn verify(
    verifier: &dyn TokenVerifier,
    keys: &Keys,
    token: &str,
    now: u64,
) -> Result<entra_edge_auth::jwt::VerifiedToken> {
    let mut cache = KeyCache::new(Tuning::default());
    let mut lookup = |key: &KeyRef| -> Result<PublicKey> {
        cache.resolve_sync(key, now, &mut |url: &str| match keys {
            Keys::File(path) => read_file(path),
            Keys::Remote => http_get(url),
        })
    };
    verify_sync(verifier, token, now, &mut lookup, &RustCrypto)
}

fn missing(what: &str) -> Error {
    Error::new(ErrorCode::InvalidConfig, format!("{what} is required here"))
}

/// A key location: a file (read as is) or a URL (fetched by the cache).
fn keys_at(location: &str) -> (String, Keys) {
    if is_url(location) {
        (location.trim_end_matches('/').to_owned(), Keys::Remote)
    } else {
        (FILE_KEYS.to_owned(), Keys::File(location.to_owned()))
    }
}

fn build(args: &VerifyArgs) -> Result<(Box<dyn TokenVerifier>, Keys)> {
    let mut tuning = Tuning::default();
    if let Some(skew) = args.skew {
        tuning.clock_skew_secs = skew;
    }
    let source = args
        .source()
        .map_err(|why| Error::new(ErrorCode::InvalidConfig, why))?;
    match source {
        "alb" => {
            let (base, keys) = match (&args.alb_key, &args.region) {
                (Some(location), _) => keys_at(location),
                (None, Some(region)) => (AlbConfig::default_keys_base_url(region)?, Keys::Remote),
                (None, None) => return Err(missing("--alb-key or --region")),
            };
            let config = AlbConfig {
                signers: vec![args.signer.clone().ok_or_else(|| missing("--signer"))?],
                client_ids: args.client_id.iter().cloned().collect(),
                issuer: args.issuer.clone(),
                keys_base_url: base,
            };
            Ok((Box::new(AlbVerifier::new(config, tuning)?), keys))
        }
        "cognito" => {
            let issuer = args.issuer.clone().ok_or_else(|| missing("--issuer"))?;
            let (jwks_url, keys) = match &args.jwks {
                Some(location) => keys_at(location),
                None => (CognitoConfig::default_jwks_url(&issuer), Keys::Remote),
            };
            let config = CognitoConfig {
                issuer,
                jwks_url,
                client_ids: vec![args
                    .client_id
                    .clone()
                    .ok_or_else(|| missing("--client-id"))?],
                token_uses: match args.token_use {
                    Some(one) => vec![one],
                    None => vec![TokenUse::Access, TokenUse::Id],
                },
            };
            Ok((Box::new(CognitoVerifier::new(config, tuning)?), keys))
        }
        _ => {
            let authority = args.authority.as_deref().unwrap_or(DEFAULT_AUTHORITY);
            let tenant = args.tenant.clone().ok_or_else(|| missing("--tenant"))?;
            let (jwks_url, keys) = match &args.jwks {
                Some(location) => keys_at(location),
                None => (
                    EntraConfig::default_jwks_url(authority, &tenant),
                    Keys::Remote,
                ),
            };
            let config = EntraConfig {
                authority_host: authority.to_owned(),
                tenant,
                audiences: vec![args.audience.clone().ok_or_else(|| missing("--audience"))?],
                jwks_url,
                issuer_template: args
                    .issuer
                    .as_ref()
                    .map(|i| i.replace("{tid}", "{tenantid}")),
                kind: EntraTokenKind::IdToken {
                    nonce: match &args.nonce {
                        Some(n) => ExpectedNonce::Value(n.clone()),
                        None => ExpectedNonce::NotRequested,
                    },
                },
            };
            Ok((Box::new(EntraVerifier::new(config, tuning)?), keys))
        }
    }
}
