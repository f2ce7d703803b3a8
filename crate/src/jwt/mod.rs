//! Token verification: one verifier per token source, each with a fixed algorithm.
//!
//! Every verification runs the same three steps, each its own type:
//!
//! 1. [`TokenVerifier::precheck`] parses the token and checks what needs no key (size,
//!    shape, `alg` against the source's allow-list, `crit`, `kid`, ALB's `signer`). It
//!    returns a [`Pending`] that names the key to use ([`KeyRef`]).
//! 2. The caller looks the key up (see [`crate::keys`]), calls
//!    [`Pending::signature_job`], checks the [`SignatureJob`] with a backend, and gets a
//!    [`SignedToken`] back from [`SignatureJob::finish`].
//! 3. [`TokenVerifier::validate`] checks the claims of the signed token against `now`.
//!
//! [`verify_sync`] runs all three with a synchronous backend.

#[cfg(feature = "alb")]
pub mod alb;
pub mod checks;
pub mod cognito;
pub mod cognito_pools;
pub mod entra;
pub mod key;
pub mod numeric_date;
pub mod parse;
pub mod signature;

use crate::json::Map;

#[cfg(feature = "alb")]
pub use alb::{AlbConfig, AlbVerifier};
pub use cognito::{CognitoConfig, CognitoVerifier, TokenUse};
pub use cognito_pools::{CognitoPools, PoolSetting};
pub use entra::{EntraConfig, EntraTokenKind, EntraVerifier, ExpectedNonce};
pub use key::{Algorithm, PublicKey};
pub use parse::{Padding, UntrustedToken};
pub use signature::{SignatureBackend, SignatureJob};

use crate::error::Result;
use crate::identity::{Identity, TokenSource};
use crate::roles::{collect_roles, RoleMapping};
use crate::scopes::collect_scopes;

/// Where the key for a token lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeySource {
    /// A JWKS document at this URL (Cognito, Entra).
    Jwks { url: String },
    /// One PEM public key per kid at `{base_url}/{kid}` (ALB).
    AlbPem { base_url: String },
}

/// The key a token asks for: which key set and which `kid` in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyRef {
    pub source: KeySource,
    pub kid: String,
}

/// A token that passed its pre-checks and waits for its signature to be checked.
#[derive(Debug)]
pub struct Pending {
    token: UntrustedToken,
    algorithm: Algorithm,
    key: KeyRef,
}

impl Pending {
    pub(crate) fn new(token: UntrustedToken, algorithm: Algorithm, key: KeyRef) -> Self {
        Pending {
            token,
            algorithm,
            key,
        }
    }

    /// The key to look up.
    pub fn key_ref(&self) -> &KeyRef {
        &self.key
    }

    /// The token as parsed (nothing verified).
    pub fn untrusted(&self) -> &UntrustedToken {
        &self.token
    }

    /// Binds the token to the looked-up key, for the verifier's algorithm.
    pub fn signature_job(self, key: &PublicKey) -> Result<SignatureJob> {
        SignatureJob::new(self.token, self.algorithm, key)
    }
}

/// A token whose signature was checked, whose claims were not yet.
#[derive(Debug, Clone)]
pub struct SignedToken {
    /// Read by the ALB verifier only (its `exp` is in the header).
    #[cfg_attr(not(feature = "alb"), allow(dead_code))]
    pub(crate) header: Map,
    pub(crate) claims: Map,
}

/// A token whose signature and claims were checked.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedToken {
    pub source: TokenSource,
    pub subject: String,
    /// `exp`, whole Unix seconds.
    pub expires_at: u64,
    pub claims: Map,
}

impl VerifiedToken {
    /// The identity this token proves, with roles read through `mapping`.
    pub fn into_identity(self, mapping: &RoleMapping) -> Identity {
        let roles = collect_roles(&self.claims, mapping);
        Identity {
            source: self.source,
            subject: self.subject,
            roles: roles.roles,
            scopes: collect_scopes(self.source, &self.claims),
            groups_overage: roles.groups_overage,
            expires_at: self.expires_at,
            claims: self.claims,
        }
    }
}

/// What every source-specific verifier does.
pub trait TokenVerifier {
    /// Step 1: parse and check everything that needs no key.
    fn precheck(&self, token: &str) -> Result<Pending>;
    /// Step 3: check the claims of a signed token as of `now` (Unix seconds).
    fn validate(&self, signed: SignedToken, now: u64) -> Result<VerifiedToken>;
}

/// The pre-checks shared by the JWKS-backed sources (Cognito, Entra): strict base64url,
/// `alg` equal to the source's one algorithm, no `crit`, a `kid` naming a key in `jwks_url`.
pub(crate) fn precheck_jwks_token(
    token: &str,
    tuning: &crate::tuning::Tuning,
    algorithm: Algorithm,
    jwks_url: &str,
) -> Result<Pending> {
    let token = UntrustedToken::parse(token, tuning.max_token_bytes, Padding::Forbidden)?;
    checks::check_algorithm(&token, algorithm)?;
    checks::check_no_critical_extensions(&token)?;
    let kid = checks::require_kid(&token)?;
    let key = KeyRef {
        source: KeySource::Jwks {
            url: jwks_url.to_owned(),
        },
        kid,
    };
    Ok(Pending::new(token, algorithm, key))
}

/// All three steps with a synchronous signature backend; `lookup_key` resolves the key
/// (from a cache, a file, a test fixture).
pub fn verify_sync(
    verifier: &dyn TokenVerifier,
    token: &str,
    now: u64,
    lookup_key: &mut dyn FnMut(&KeyRef) -> Result<PublicKey>,
    backend: &dyn SignatureBackend,
) -> Result<VerifiedToken> {
    let pending = verifier.precheck(token)?;
    let key = lookup_key(pending.key_ref())?;
    let signed = pending.signature_job(&key)?.verify_with(backend)?;
    verifier.validate(signed, now)
}
