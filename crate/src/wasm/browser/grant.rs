//! Tokens that arrived from the token endpoint and are being checked: the ID token goes
//! through the core's Entra verifier (pre-check → key → signature → claims, OIDC Core
//! §3.1.3.7), and only then do the tokens become a session record.
//!
//! The signature step is the JS module's: it reads the job (`alg`, `jwk`, `data`,
//! `signature`), runs `crypto.subtle.verify`, and hands the verdict to [`Grant::finish`].

use wasm_bindgen::prelude::*;

use super::fault::{thrown, Thrown};
use super::jwk::to_jwk;
use super::keyset::{jwks_url, PageKeys};
use super::session::{account, Session};
use crate::entra::{HttpRequest, TokenResponse};
use crate::error::{Error, ErrorCode, Result};
use crate::jwt::{EntraVerifier, Pending, SignatureJob, TokenVerifier};

/// What the tokens are for.
#[derive(Debug)]
pub enum Purpose {
    /// A new sign-in.
    Login,
    /// A refresh of this session.
    Refresh(Session),
}

/// Where the ID token's check stands.
#[derive(Debug)]
enum Check {
    /// No ID token came (a refresh may omit it): nothing to verify.
    NoIdToken,
    /// Pre-checked; its key is being looked up (`fetched`: the one fetch was asked for).
    NeedsKey {
        verifier: EntraVerifier,
        pending: Pending,
        fetched: bool,
    },
    /// Bound to its key: waiting for the signature verdict.
    Signature {
        verifier: EntraVerifier,
        job: SignatureJob,
    },
    /// Finished (or failed half-way): a grant is used once.
    Used,
}

/// Tokens from the token endpoint on their way to becoming a session (internal to the
/// package, like [`super::Core`]).
#[wasm_bindgen(skip_typescript)]
#[derive(Debug)]
pub struct Grant {
    tokens: TokenResponse,
    purpose: Purpose,
    check: Check,
}

fn used() -> Error {
    Error::fixed(
        ErrorCode::InvalidConfig,
        "this token answer was already used",
    )
}

impl Grant {
    /// Pre-checks the ID token (when there is one) with `verifier`.
    pub fn new(tokens: TokenResponse, purpose: Purpose, verifier: EntraVerifier) -> Result<Self> {
        let check = match &tokens.id_token {
            Some(id_token) => Check::NeedsKey {
                pending: verifier.precheck(id_token.secret())?,
                verifier,
                fetched: false,
            },
            None => Check::NoIdToken,
        };
        Ok(Grant {
            tokens,
            purpose,
            check,
        })
    }

    /// The request for the signing key, or `None` once the key is bound (or none is
    /// needed). One fetch at most: a kid the fresh key set lacks is `unknown_kid`.
    pub fn key_request(&mut self, keys: &PageKeys) -> Result<Option<HttpRequest>> {
        let Check::NeedsKey {
            pending, fetched, ..
        } = &mut self.check
        else {
            return Ok(None);
        };
        let key_ref = pending.key_ref();
        if let Some(key) = keys.find(key_ref) {
            let Check::NeedsKey {
                verifier, pending, ..
            } = std::mem::replace(&mut self.check, Check::Used)
            else {
                return Err(used());
            };
            let job = pending.signature_job(key)?;
            self.check = Check::Signature { verifier, job };
            return Ok(None);
        }
        if *fetched {
            return Err(Error::new(
                ErrorCode::UnknownKid,
                format!(
                    "the tenant's key set has no key {}",
                    crate::quote::quoted(&key_ref.kid)
                ),
            ));
        }
        *fetched = true;
        Ok(Some(HttpRequest::get(jwks_url(key_ref)?)))
    }

    /// The key set URL this grant's token names.
    pub fn key_url(&self) -> Result<&str> {
        match &self.check {
            Check::NeedsKey { pending, .. } => jwks_url(pending.key_ref()),
            _ => Err(used()),
        }
    }

    fn job(&self) -> Option<&SignatureJob> {
        match &self.check {
            Check::Signature { job, .. } => Some(job),
            _ => None,
        }
    }

    /// The session these tokens make, once the signature verdict is in: a new one for a
    /// login; for a refresh, the refreshed `current` session (which must still be the one
    /// the refresh started from, and a new ID token must name the same user, OIDC Core
    /// §12.2).
    fn session(
        &mut self,
        signature_valid: bool,
        now: u64,
        current: Option<&str>,
    ) -> Result<String> {
        let verified = match std::mem::replace(&mut self.check, Check::Used) {
            Check::NoIdToken => None,
            Check::Signature { verifier, job } => {
                Some(verifier.validate(job.finish(signature_valid)?, now)?)
            }
            Check::NeedsKey { .. } | Check::Used => return Err(used()),
        };
        let tokens = &self.tokens;
        let mut session = match &self.purpose {
            Purpose::Login => {
                let (Some(verified), Some(id_token)) = (&verified, &tokens.id_token) else {
                    return Err(Error::fixed(
                        ErrorCode::InvalidResponse,
                        "the token response has no id_token",
                    ));
                };
                Session {
                    access_token: String::new(),
                    access_expires_at: 0,
                    access_obtained_at: 0,
                    refresh_token: None,
                    id_token: id_token.secret().to_owned(),
                    account: account(verified),
                    obo: None,
                    resources: super::json::Map::new(),
                }
            }
            Purpose::Refresh(old) => {
                let still_current = current
                    .and_then(|text| Session::read(Some(text)).ok())
                    .is_some_and(|now_current| now_current.id_token == old.id_token);
                if !still_current {
                    return Err(Error::fixed(
                        ErrorCode::LoginRequired,
                        "the session ended while its token was being refreshed",
                    ));
                }
                let mut session = old.clone();
                if let (Some(verified), Some(id_token)) = (&verified, &tokens.id_token) {
                    if verified.subject != old.subject() {
                        return Err(Error::fixed(
                            ErrorCode::InvalidResponse,
                            "the refreshed ID token names another user than the signed-in one",
                        ));
                    }
                    session.id_token = id_token.secret().to_owned();
                    session.account = account(verified);
                }
                session
            }
        };
        session.access_token = tokens.access_token.secret().to_owned();
        session.access_obtained_at = now;
        session.access_expires_at = tokens.expires_at(now);
        if let Some(rotated) = &tokens.refresh_token {
            session.refresh_token = Some(rotated.secret().to_owned());
        }
        Ok(session.to_json())
    }
}

#[wasm_bindgen]
impl Grant {
    /// The signature job's algorithm (`"RS256"`), or `""` when there is nothing to verify.
    #[wasm_bindgen(getter)]
    pub fn alg(&self) -> String {
        self.job()
            .map(|job| job.algorithm().as_str().to_owned())
            .unwrap_or_default()
    }

    /// The key as JWK text for `importKey("jwk")`.
    #[wasm_bindgen(getter)]
    pub fn jwk(&self) -> String {
        self.job().map(|job| to_jwk(job.key())).unwrap_or_default()
    }

    /// The signing input: `BASE64URL(header) "." BASE64URL(payload)` as received.
    #[wasm_bindgen(getter)]
    pub fn data(&self) -> Vec<u8> {
        self.job()
            .map(|job| job.signing_input().to_vec())
            .unwrap_or_default()
    }

    /// The signature bytes (length already checked against the key).
    #[wasm_bindgen(getter)]
    pub fn signature(&self) -> Vec<u8> {
        self.job()
            .map(|job| job.signature().to_vec())
            .unwrap_or_default()
    }

    /// Takes WebCrypto's verdict and checks the claims as of `now`; returns the new session
    /// record (JSON text). `current`: the session record JS holds now (refresh only).
    pub fn finish(
        &mut self,
        signature_valid: bool,
        now: f64,
        current: Option<String>,
    ) -> Thrown<String> {
        thrown(self.session(signature_valid, super::seconds(now), current.as_deref()))
    }
}
