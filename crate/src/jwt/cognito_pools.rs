//! Several Cognito user pools behind one verifier, as aws-jwt-verify's
//! `CognitoJwtVerifier.create([...])` does: each pool with its own issuer, key set and app
//! client ids, the pool chosen by the token's `iss` before any key is fetched.
//!
//! Choosing by the unverified `iss` decides only which pool's checks and keys apply: that
//! pool's verifier still checks `iss` itself after the signature, with that pool's keys,
//! and an app client id is only accepted for the pool it is listed under (a client id of
//! pool A in a token that pool B signed is refused). A token whose `iss` names no
//! configured pool is refused with `issuer_mismatch` at once, so made-up issuers cost no
//! key fetch. Keys are cached per key set URL ([`crate::keys`]), so each pool's keys,
//! unknown-kid cooldown and failed fetches are its own.

use serde::Deserialize;

use super::checks::required_str;
use super::cognito::CognitoVerifier;
use super::{Padding, UntrustedToken};
use crate::error::{Error, ErrorCode, Result};
use crate::quote::excerpt;
use crate::tuning::Tuning;

/// The most user pools one verifier accepts: a bound on configuration, not a pool count any
/// deployment approaches.
pub const MAX_POOLS: usize = 16;

/// One verifier per user pool, chosen by issuer.
#[derive(Debug, Clone)]
pub struct CognitoPools {
    pools: Vec<CognitoVerifier>,
    max_token_bytes: usize,
}

impl CognitoPools {
    /// Refused with `invalid_config`: no pool, more than [`MAX_POOLS`], or two pools with
    /// one issuer (named by position, `pool 2: ...`, from 1).
    pub fn new(pools: Vec<CognitoVerifier>, tuning: Tuning) -> Result<CognitoPools> {
        let invalid = |message: String| Error::new(ErrorCode::InvalidConfig, message);
        if pools.is_empty() {
            return Err(invalid("no user pool is configured".to_owned()));
        }
        if pools.len() > MAX_POOLS {
            return Err(invalid(format!(
                "{} user pools are configured; at most {MAX_POOLS} are accepted",
                pools.len()
            )));
        }
        for (i, pool) in pools.iter().enumerate() {
            let issuer = &pool.config().issuer;
            // The issuer is not quoted: configuration errors answer every request.
            if let Some(first) = pools[..i].iter().position(|p| &p.config().issuer == issuer) {
                return Err(invalid(format!(
                    "pool {}: its issuer is pool {}'s too (each pool is listed once)",
                    i + 1,
                    first + 1
                )));
            }
        }
        Ok(CognitoPools {
            pools,
            max_token_bytes: tuning.max_token_bytes,
        })
    }

    /// The pools, in the order configured.
    pub fn pools(&self) -> &[CognitoVerifier] {
        &self.pools
    }

    /// The verifier of the pool whose issuer is the token's unverified `iss`. A token that
    /// does not parse is refused as the verifier's precheck would refuse it; one without a
    /// string `iss`, or with an `iss` no pool has, before any key is looked up.
    pub fn verifier_for(&self, token: &str) -> Result<&CognitoVerifier> {
        let untrusted = UntrustedToken::parse(token, self.max_token_bytes, Padding::Forbidden)?;
        let iss = required_str(untrusted.claims_unverified(), "iss")?;
        self.pools
            .iter()
            .find(|pool| pool.config().issuer == iss)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::IssuerMismatch,
                    format!(
                        "issuer {} is not one of the configured Cognito user pools",
                        excerpt(iss)
                    ),
                )
            })
    }
}

/// One user pool as the worker's `COGNITO_ISSUERS` lists it, shape-checked (the URLs are
/// checked by the caller, with the platform's URL parser).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSetting {
    /// The pool's issuer, as `COGNITO_ISSUER` would name it.
    pub issuer: String,
    /// Its app client ids (at least one), as `COGNITO_CLIENT_IDS` would list them.
    pub client_ids: Vec<String>,
    /// Its key set, as `COGNITO_JWKS_URL`; absent: `{issuer}/.well-known/jwks.json`.
    #[serde(default)]
    pub jwks_url: Option<String>,
}

impl PoolSetting {
    /// `[{"issuer": "...", "client_ids": ["..."], "jwks_url": "..."}, ...]`, refused with
    /// `invalid_config` when it is not that (unknown fields included), a pool names no
    /// client id or an empty one, or its issuer is empty. Messages name the pool by position
    /// (`pool 2: ...`, from 1).
    pub fn list_from_json(json: &str) -> Result<Vec<PoolSetting>> {
        let invalid = |message: String| Error::new(ErrorCode::InvalidConfig, message);
        let raw: Vec<serde_json::Value> = serde_json::from_str(json)
            .map_err(|e| invalid(format!("not a JSON list of user pools: {e}")))?;
        let mut out = Vec::with_capacity(raw.len());
        for (i, value) in raw.into_iter().enumerate() {
            let at = |why: String| invalid(format!("pool {}: {why}", i + 1));
            let pool = PoolSetting::deserialize(value).map_err(|e| at(e.to_string()))?;
            if pool.issuer.is_empty() {
                return Err(at("\"issuer\" is empty".to_owned()));
            }
            if pool.client_ids.is_empty() {
                return Err(at("\"client_ids\" names no app client id".to_owned()));
            }
            if pool.client_ids.iter().any(String::is_empty) {
                return Err(at("\"client_ids\" has an empty entry".to_owned()));
            }
            out.push(pool);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::{CognitoConfig, KeySource, TokenUse, TokenVerifier};
    use base64::Engine;

    const POOL_A: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AAA";
    const POOL_B: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BBB";

    fn config(issuer: &str, client: &str) -> CognitoConfig {
        CognitoConfig {
            issuer: issuer.to_owned(),
            jwks_url: CognitoConfig::default_jwks_url(issuer),
            client_ids: vec![client.to_owned()],
            token_uses: vec![TokenUse::Access, TokenUse::Id],
        }
    }

    fn verifier(issuer: &str, client: &str) -> CognitoVerifier {
        CognitoVerifier::new(config(issuer, client), Tuning::default()).unwrap()
    }

    fn pools() -> CognitoPools {
        CognitoPools::new(
            vec![verifier(POOL_A, "client-a"), verifier(POOL_B, "client-b")],
            Tuning::default(),
        )
        .unwrap()
    }

    fn token(claims: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","kid":"k1"}"#),
            b64(claims),
            b64("signature")
        )
    }

    fn with_iss(iss: &str) -> String {
        token(&format!(r#"{{"iss":"{iss}","sub":"s","exp":4000000000}}"#))
    }

    fn jwks_url(pending: &crate::jwt::Pending) -> &str {
        match &pending.key_ref().source {
            KeySource::Jwks { url } => url,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_issuer_gets_its_own_pool_and_key_set() {
        let p = pools();
        for (iss, client) in [(POOL_A, "client-a"), (POOL_B, "client-b")] {
            let verifier = p.verifier_for(&with_iss(iss)).unwrap();
            assert_eq!(verifier.config().issuer, iss);
            assert_eq!(verifier.config().client_ids, [client]);
            let pending = verifier.precheck(&with_iss(iss)).unwrap();
            assert_eq!(
                jwks_url(&pending),
                format!("{iss}/.well-known/jwks.json"),
                "{iss}"
            );
        }
    }

    #[test]
    fn an_unknown_issuer_is_refused_before_any_key_is_named() {
        let p = pools();
        for iss in [
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_CCC",
            // Near misses: a trailing slash, another case, a prefix of a pool.
            &format!("{POOL_A}/"),
            &POOL_A.to_uppercase(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AA",
        ] {
            let e = p.verifier_for(&with_iss(iss)).unwrap_err();
            assert_eq!(e.code(), ErrorCode::IssuerMismatch, "{iss}");
        }
    }

    #[test]
    fn a_missing_or_non_string_iss_is_refused() {
        let p = pools();
        let e = p.verifier_for(&token(r#"{"sub":"s"}"#)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MissingClaim);
        for iss in ["7", "\"\"", "[\"x\"]", "null"] {
            let e = p
                .verifier_for(&token(&format!(r#"{{"iss":{iss}}}"#)))
                .unwrap_err();
            assert_eq!(e.code(), ErrorCode::MissingClaim, "{iss}");
        }
    }

    #[test]
    fn a_token_that_does_not_parse_is_refused_as_the_precheck_would() {
        let p = pools();
        let e = p.verifier_for("not a token").unwrap_err();
        let precheck = p.pools()[0].precheck("not a token").unwrap_err();
        assert_eq!(e.code(), precheck.code());
        // Over the size limit: refused without reading it.
        let big = with_iss(&format!("{POOL_A}{}", "x".repeat(20_000)));
        assert_eq!(
            p.verifier_for(&big).unwrap_err().code(),
            ErrorCode::TokenTooLarge
        );
    }

    #[test]
    fn one_pool_is_enough() {
        let one = CognitoPools::new(vec![verifier(POOL_A, "c")], Tuning::default()).unwrap();
        assert_eq!(one.pools().len(), 1);
        assert!(one.verifier_for(&with_iss(POOL_A)).is_ok());
        assert!(one.verifier_for(&with_iss(POOL_B)).is_err());
    }

    #[test]
    fn settings_are_refused_naming_the_pool() {
        let err = |verifiers: Vec<CognitoVerifier>| {
            let e = CognitoPools::new(verifiers, Tuning::default()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            e.message().to_owned()
        };
        assert!(err(vec![]).starts_with("no user pool"));
        let m = err(vec![verifier(POOL_A, "a"), verifier(POOL_A, "b")]);
        assert_eq!(
            m,
            "pool 2: its issuer is pool 1's too (each pool is listed once)"
        );
        let m = err(vec![
            verifier(POOL_A, "a"),
            verifier(POOL_B, "b"),
            verifier(POOL_B, "c"),
        ]);
        assert_eq!(
            m,
            "pool 3: its issuer is pool 2's too (each pool is listed once)"
        );
    }

    #[test]
    fn the_pool_count_is_bounded() {
        let many = |n: usize| -> Vec<CognitoVerifier> {
            (0..n)
                .map(|i| verifier(&format!("{POOL_A}{i}"), "c"))
                .collect()
        };
        assert!(CognitoPools::new(many(MAX_POOLS), Tuning::default()).is_ok());
        let e = CognitoPools::new(many(MAX_POOLS + 1), Tuning::default()).unwrap_err();
        assert!(e.message().contains("at most 16"), "{}", e.message());
    }

    #[test]
    fn pool_settings_read_the_documented_shape() {
        let pools = PoolSetting::list_from_json(&format!(
            r#"[{{"issuer": "{POOL_A}", "client_ids": ["a1", "a2"]}},
                {{"issuer": "{POOL_B}", "client_ids": ["b"], "jwks_url": "https://keys.example/b"}}]"#
        ))
        .unwrap();
        assert_eq!(
            pools,
            [
                PoolSetting {
                    issuer: POOL_A.to_owned(),
                    client_ids: vec!["a1".to_owned(), "a2".to_owned()],
                    jwks_url: None,
                },
                PoolSetting {
                    issuer: POOL_B.to_owned(),
                    client_ids: vec!["b".to_owned()],
                    jwks_url: Some("https://keys.example/b".to_owned()),
                },
            ]
        );
    }

    #[test]
    fn pool_settings_refuse_what_they_cannot_mean() {
        for (json, want) in [
            ("", "not a JSON list"),
            (r#"{"issuer": "x", "client_ids": ["c"]}"#, "not a JSON list"),
            (r#"[{"issuer": "x"}]"#, "pool 1: missing field `client_ids`"),
            (
                r#"[{"client_ids": ["c"]}]"#,
                "pool 1: missing field `issuer`",
            ),
            (
                r#"[{"issuer": "x", "client_ids": ["c"]}, {"issuer": "y", "client_ids": []}]"#,
                "pool 2: \"client_ids\" names no app client id",
            ),
            (
                r#"[{"issuer": "x", "client_ids": ["c", ""]}]"#,
                "pool 1: \"client_ids\" has an empty entry",
            ),
            (
                r#"[{"issuer": "", "client_ids": ["c"]}]"#,
                "pool 1: \"issuer\" is empty",
            ),
            (
                r#"[{"issuer": "x", "client_ids": "c"}]"#,
                "pool 1: invalid type",
            ),
            (
                r#"[{"issuer": "x", "client_ids": ["c"], "clientIds": ["d"]}]"#,
                "pool 1: unknown field `clientIds`",
            ),
            (
                r#"[{"issuer": "x", "client_ids": ["c"], "jwks_url": 1}]"#,
                "pool 1: invalid type",
            ),
            (r#"["x"]"#, "pool 1: invalid type"),
        ] {
            let e = PoolSetting::list_from_json(json).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "{json}");
            assert!(e.message().starts_with(want), "{json}: {}", e.message());
        }
        // An empty list is read; CognitoPools::new refuses it.
        assert_eq!(PoolSetting::list_from_json("[]").unwrap(), []);
    }
}
