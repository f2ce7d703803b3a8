//! The tenant's signing keys as this page last fetched them.
//!
//! Not the core's `KeyCache`: its refetch cooldown and negative caching protect an edge from
//! floods of made-up kids, while a page verifies a handful of ID tokens, each after a user's
//! action, and the cache's hash maps cost the package kilobytes. The rule here: the key set
//! is fetched when a token names a kid it lacks (first use, or a key rotation), at most once
//! per token; what it holds is what the core's `parse_jwks` accepts (RS256 signing keys).

use crate::error::{Error, ErrorCode, Result};
use crate::jwt::key::parse_jwks;
use crate::jwt::{Algorithm, KeyRef, KeySource, PublicKey};
use crate::keys::MAX_KEY_DOCUMENT_BYTES;

/// The key set of one JWKS URL.
#[derive(Debug, Default)]
pub struct PageKeys {
    url: String,
    keys: Vec<(String, PublicKey)>,
}

/// The JWKS URL a token's key lives at.
pub fn jwks_url(key: &KeyRef) -> Result<&str> {
    match &key.source {
        KeySource::Jwks { url } => Ok(url),
        KeySource::AlbPem { .. } => Err(Error::fixed(
            ErrorCode::MalformedKey,
            "the browser reads JWKS key sets only",
        )),
    }
}

impl PageKeys {
    /// The key `key` names, if the fetched key set has it.
    pub fn find(&self, key: &KeyRef) -> Option<&PublicKey> {
        let url = jwks_url(key).ok()?;
        (url == self.url)
            .then(|| self.keys.iter().find(|(kid, _)| *kid == key.kid))?
            .map(|(_, found)| found)
    }

    /// Takes the answer to a fetch of `url`; an error says why it holds no usable keys.
    pub fn store(&mut self, url: &str, status: u16, body: &str) -> Result<()> {
        if !(200..300).contains(&status) {
            return Err(Error::new(
                ErrorCode::KeyFetchFailed,
                format!("the key server answered {status} for {url}"),
            ));
        }
        if body.len() > MAX_KEY_DOCUMENT_BYTES {
            return Err(Error::new(
                ErrorCode::MalformedKey,
                format!("the key document is over {MAX_KEY_DOCUMENT_BYTES} bytes"),
            ));
        }
        self.keys = parse_jwks(body.as_bytes(), Algorithm::Rs256)?;
        self.url = url.to_owned();
        Ok(())
    }
}
