//! Proof Key for Code Exchange (RFC 7636), S256 only.
//!
//! A public client (the browser) cannot keep a secret, so each login proves it is the
//! party that started the authorization request by sending `S256(verifier)` with the
//! authorize request (§4.3) and the verifier itself with the token request (§4.5). `plain`
//! is never offered: it only helps clients that cannot compute SHA-256 (§4.2), and sending
//! the verifier in the front channel defeats the point.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode, Result};
use crate::random::random_32;

/// The `code_challenge_method` this crate sends (RFC 7636 §4.3).
pub const CHALLENGE_METHOD: &str = "S256";

/// RFC 7636 §4.1: a verifier is 43 to 128 characters.
const MIN_VERIFIER_LEN: usize = 43;
const MAX_VERIFIER_LEN: usize = 128;

/// The `code_verifier` (RFC 7636 §4.1). A secret: `Debug` prints `[redacted]`, the value
/// is reachable only through [`PkceVerifier::secret`], and there is no `Clone`, so one
/// verifier serves one login.
///
/// The pending login stores it as a plain string in `sessionStorage` and reads it back
/// through [`PkceVerifier::new`], which re-checks the §4.1 alphabet and length.
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// Wraps a verifier that came back from storage. RFC 7636 §4.1: 43–128 characters of
    /// `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
    pub fn new(value: String) -> Result<Self> {
        let unreserved =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if (MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&value.len())
            && value.bytes().all(unreserved)
        {
            Ok(PkceVerifier(value))
        } else {
            Err(Error::fixed(
                ErrorCode::InvalidConfig,
                "the PKCE code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)",
            ))
        }
    }

    /// RFC 7636 §4.1: 32 octets of entropy, base64url without padding → 43 characters.
    pub fn from_entropy(bytes: [u8; 32]) -> Self {
        PkceVerifier(crate::base64url::encode(&bytes))
    }

    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PkceVerifier {
    type Error = Error;

    fn try_from(value: String) -> Result<Self> {
        PkceVerifier::new(value)
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([redacted])")
    }
}

/// The `code_challenge` (RFC 7636 §4.2). Public by design: it travels in the authorize URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceChallenge(String);

impl PkceChallenge {
    /// RFC 7636 §4.2: `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
    pub fn s256(verifier: &PkceVerifier) -> Self {
        let digest = Sha256::digest(verifier.secret().as_bytes());
        PkceChallenge(crate::base64url::encode(&digest))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PkceChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A verifier and its S256 challenge.
#[derive(Debug)]
pub struct Pkce {
    verifier: PkceVerifier,
    challenge: PkceChallenge,
}

impl Pkce {
    /// From 32 caller-supplied random bytes (tests pass fixed ones).
    pub fn from_entropy(bytes: [u8; 32]) -> Self {
        let verifier = PkceVerifier::from_entropy(bytes);
        let challenge = PkceChallenge::s256(&verifier);
        Pkce {
            verifier,
            challenge,
        }
    }

    /// From the platform's secure random source.
    pub fn new_random() -> Result<Self> {
        Ok(Pkce::from_entropy(random_32()?))
    }

    pub fn challenge(&self) -> &PkceChallenge {
        &self.challenge
    }

    pub fn verifier(&self) -> &PkceVerifier {
        &self.verifier
    }

    /// The verifier alone, to keep until the token request.
    pub fn into_verifier(self) -> PkceVerifier {
        self.verifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B: the octets, the verifier they encode to, and its challenge
    /// (`...uGJSstw-cM`, as the RFC prints it and SHA-256 confirms).
    const RFC7636_OCTETS: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn matches_rfc7636_appendix_b() {
        let pkce = Pkce::from_entropy(RFC7636_OCTETS);
        assert_eq!(pkce.verifier().secret(), RFC7636_VERIFIER);
        assert_eq!(pkce.challenge().as_str(), RFC7636_CHALLENGE);
    }

    #[test]
    fn challenge_displays_as_the_text_the_authorize_url_carries() {
        // Public API: a caller may format the challenge into its own authorize URL.
        let pkce = Pkce::from_entropy(RFC7636_OCTETS);
        assert_eq!(pkce.challenge().to_string(), RFC7636_CHALLENGE);
    }

    #[test]
    fn verifier_is_43_unreserved_chars() {
        let pkce = Pkce::from_entropy([0xff; 32]);
        assert_eq!(pkce.verifier().secret().len(), 43);
        assert!(PkceVerifier::new(pkce.into_verifier().secret().to_owned()).is_ok());
    }

    #[test]
    fn verifier_debug_is_redacted() {
        let pkce = Pkce::from_entropy(RFC7636_OCTETS);
        let shown = format!("{pkce:?}");
        assert!(!shown.contains(RFC7636_VERIFIER), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn rejects_verifier_outside_rfc7636_alphabet_or_length() {
        for bad in ["short", &"a".repeat(129), &format!("{}+", "a".repeat(43))] {
            let err = PkceVerifier::new(bad.to_owned()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidConfig);
        }
        assert!(PkceVerifier::new("a".repeat(42)).is_err());
    }

    #[test]
    fn accepts_verifiers_of_43_to_128_unreserved_characters() {
        // cargo-mutants never mutates functions named `new`: both ends are tested here.
        for good in [
            "a".repeat(43),
            "a".repeat(128),
            format!("{}-._~Z9", "a".repeat(37)),
        ] {
            assert!(PkceVerifier::new(good.clone()).is_ok(), "{good}");
        }
    }

    #[test]
    fn verifier_round_trips_through_its_text() {
        let text = PkceVerifier::from_entropy(RFC7636_OCTETS)
            .secret()
            .to_owned();
        assert_eq!(text, RFC7636_VERIFIER);
        assert_eq!(PkceVerifier::new(text).unwrap().secret(), RFC7636_VERIFIER);
    }

    #[test]
    fn random_verifiers_differ() {
        let a = Pkce::new_random().unwrap();
        let b = Pkce::new_random().unwrap();
        assert_ne!(a.verifier().secret(), b.verifier().secret());
    }
}
