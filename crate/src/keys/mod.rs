//! A sans-IO key cache: it says what to fetch, the caller fetches, and the cache takes the
//! answer back.
//!
//! [`KeyCache::lookup`] answers one of:
//! - [`KeyLookup::Found`]: a fresh key for this kid;
//! - [`KeyLookup::Fetch`]: fetch this URL, then call [`KeyCache::store_response`] (or
//!   [`KeyCache::store_failure`] when no answer came) and look up again;
//! - [`KeyLookup::Unavailable`]: deny now, with the reason (an unknown kid whose refetch is
//!   not allowed yet, or a recent fetch failure).
//!
//! Two rules keep a flood of made-up kids from hammering a key server (jose's
//! `cooldownDuration`, aws-jwt-verify's penalty box):
//! - a fetch caused by an unknown kid is allowed at most once per
//!   [`Tuning::refetch_cooldown_secs`] per key set; for ALB, whose keys are one URL per kid,
//!   a successful fetch of a new kid lifts the cooldown, and the one fetch per cooldown goes
//!   to the unknown kid wanted by the most distinct clients, then the most requests
//!   ([`wanted`]; the caller names the client with [`KeyCache::lookup_for`]), so a real
//!   rotation presented by many users is not held up by a flood of made-up kids from a few
//!   addresses. For ALB the key server thus sees at most one fetch of an unknown kid per
//!   cooldown per key set and isolate (`1 + T / cooldown` in `T` seconds), plus one per
//!   key found;
//! - a failed fetch (error status, garbage, timeout) is remembered for
//!   [`Tuning::negative_ttl_secs`] and answered from memory meanwhile.
//!
//! Keys are used for [`Tuning::key_ttl_secs`] and then fetched again. If that fetch fails the
//! stale key is not used: the cache fails closed.

mod wanted;

use std::collections::HashMap;

use crate::error::{Error, ErrorCode, Result};
#[cfg(feature = "alb")]
use crate::jwt::key::parse_p256_pem;
use crate::jwt::key::{parse_jwks, Algorithm, PublicKey};
use crate::jwt::{KeyRef, KeySource};
use crate::quote::excerpt;
use crate::tuning::Tuning;
use wanted::{client_id, WantedKids};

/// Most kids kept per ALB key set; ALB has a handful per region. Bounds memory under a flood.
#[cfg(feature = "alb")]
pub const MAX_ALB_KIDS: usize = 64;
/// Largest key document accepted: real JWKS are a few KB.
pub const MAX_KEY_DOCUMENT_BYTES: usize = 64 * 1024;

/// An HTTP answer to a key fetch: status and body.
pub type HttpAnswer = (u16, Vec<u8>);

/// What the caller must do to get a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup {
    Found(PublicKey),
    Fetch(KeyFetch),
    Unavailable(Error),
}

/// A fetch the cache asks for: a GET of `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFetch {
    pub url: String,
    key: KeyRef,
}

impl KeyFetch {
    pub fn key_ref(&self) -> &KeyRef {
        &self.key
    }
}

#[derive(Debug, Default)]
struct KeySet {
    /// kid → (key, fetched_at).
    keys: HashMap<String, (PublicKey, u64)>,
    /// When the JWKS document was last fetched (JWKS sets only).
    fetched_at: Option<u64>,
    /// URL → (failed_at, error) for recent failed fetches.
    failures: HashMap<String, (u64, Error)>,
    /// When a fetch for an unknown kid was last started.
    unknown_kid_fetch_at: Option<u64>,
    /// ALB kids refused while that fetch was paused, and how often (per-kid URLs only).
    wanted: WantedKids,
}

/// Keys by key set and kid, with their freshness and recent failures.
#[derive(Debug)]
pub struct KeyCache {
    tuning: Tuning,
    sets: HashMap<KeySource, KeySet>,
}

impl KeyCache {
    pub fn new(tuning: Tuning) -> Self {
        KeyCache {
            tuning,
            sets: HashMap::new(),
        }
    }

    fn url_for(key: &KeyRef) -> String {
        match &key.source {
            KeySource::Jwks { url } => url.clone(),
            KeySource::AlbPem { base_url } => format!("{base_url}/{}", key.kid),
        }
    }

    /// The key `key` names when it is held and fresh as of `now`; `None` otherwise. Unlike
    /// [`KeyCache::lookup`] it changes nothing (no cooldown starts), so a caller may try it
    /// first and fall back to `lookup` (the worker does, to skip async work on a known key).
    pub fn fresh_key(&self, key: &KeyRef, now: u64) -> Option<&PublicKey> {
        let fresh = |fetched_at: u64| now < fetched_at.saturating_add(self.tuning.key_ttl_secs);
        let set = self.sets.get(&key.source)?;
        let (found, fetched_at) = set.keys.get(&key.kid)?;
        let set_fresh = match key.source {
            KeySource::Jwks { .. } => set.fetched_at.is_some_and(fresh),
            KeySource::AlbPem { .. } => fresh(*fetched_at),
        };
        set_fresh.then_some(found)
    }

    /// What to do to get the key `key` names, as of `now`, for a caller that cannot name the
    /// client (every request then counts as the same client).
    pub fn lookup(&mut self, key: &KeyRef, now: u64) -> KeyLookup {
        self.lookup_for(key, now, None)
    }

    /// What to do to get the key `key` names, as of `now`, for a request from `client` (its
    /// address, as the deployment knows it): unknown ALB kids are ranked by how many
    /// distinct clients want them.
    pub fn lookup_for(&mut self, key: &KeyRef, now: u64, client: Option<&str>) -> KeyLookup {
        let client = client_id(client.unwrap_or(""));
        let tuning = self.tuning;
        let fresh = |fetched_at: u64| now < fetched_at.saturating_add(tuning.key_ttl_secs);

        // The common case, a fresh key, allocates nothing: no URL, no new entry.
        if let Some(found) = self.fresh_key(key, now) {
            return KeyLookup::Found(found.clone());
        }
        let url = Self::url_for(key);
        let set = self.sets.entry(key.source.clone()).or_default();
        if let Some((failed_at, error)) = set.failures.get(&url) {
            if now < failed_at.saturating_add(tuning.negative_ttl_secs) {
                return KeyLookup::Unavailable(error.clone());
            }
        }
        let kid_is_new = match key.source {
            // A fresh document without the kid: only a refetch can find it (rotation).
            KeySource::Jwks { .. } => set.fetched_at.is_some_and(fresh),
            KeySource::AlbPem { .. } => !set.keys.contains_key(&key.kid),
        };
        let per_kid_urls = matches!(key.source, KeySource::AlbPem { .. });
        if kid_is_new {
            if let Some(at) = set.unknown_kid_fetch_at {
                if now < at.saturating_add(tuning.refetch_cooldown_secs) {
                    if per_kid_urls {
                        set.wanted.note(&key.kid, client);
                    }
                    return KeyLookup::Unavailable(Error::new(
                        ErrorCode::UnknownKid,
                        format!(
                            "no key with kid {}; key refetch is paused for up to {}s",
                            excerpt(&key.kid),
                            tuning.refetch_cooldown_secs
                        ),
                    ));
                }
            }
            set.unknown_kid_fetch_at = Some(now);
            if per_kid_urls {
                if let Some(kid) = set.wanted.take_instead_of(&key.kid, client) {
                    // This request stays refused (its lookup after the fetch finds the
                    // cooldown running); the kid asked for most gets the fetch.
                    let instead = KeyRef {
                        source: key.source.clone(),
                        kid,
                    };
                    return KeyLookup::Fetch(KeyFetch {
                        url: Self::url_for(&instead),
                        key: instead,
                    });
                }
            }
        }
        KeyLookup::Fetch(KeyFetch {
            url,
            key: key.clone(),
        })
    }

    /// The fetch that would load `key`'s document, without asking the cache's permission
    /// (no cooldown starts): for a caller that found the document elsewhere (a cache shared
    /// between isolates) and hands it to [`KeyCache::store_response`].
    pub fn fetch_for(key: &KeyRef) -> KeyFetch {
        KeyFetch {
            url: Self::url_for(key),
            key: key.clone(),
        }
    }

    /// Takes the answer to a [`KeyFetch`]: the HTTP status and body.
    pub fn store_response(&mut self, fetch: &KeyFetch, status: u16, body: &[u8], now: u64) {
        if let Err(error) = self.parse_and_store(fetch, status, body, now) {
            self.store_failure(fetch, error, now);
        }
    }

    /// Records that a [`KeyFetch`] got no answer (network error, timeout).
    pub fn store_failure(&mut self, fetch: &KeyFetch, error: Error, now: u64) {
        let negative_ttl = self.tuning.negative_ttl_secs;
        let set = self.sets.entry(fetch.key.source.clone()).or_default();
        set.wanted.forget(&fetch.key.kid);
        set.failures
            .retain(|_, (at, _)| now < at.saturating_add(negative_ttl));
        set.failures.insert(fetch.url.clone(), (now, error));
    }

    fn parse_and_store(
        &mut self,
        fetch: &KeyFetch,
        status: u16,
        body: &[u8],
        now: u64,
    ) -> Result<()> {
        let kid = &fetch.key.kid;
        if status == 404 && matches!(fetch.key.source, KeySource::AlbPem { .. }) {
            return Err(Error::new(
                ErrorCode::UnknownKid,
                format!("the ALB key server has no key {}", excerpt(kid)),
            ));
        }
        if !(200..300).contains(&status) {
            // The URL is configuration: not in a message that may reach the client.
            return Err(Error::new(
                ErrorCode::KeyFetchFailed,
                format!("the key server answered HTTP {status}"),
            ));
        }
        if body.len() > MAX_KEY_DOCUMENT_BYTES {
            return Err(Error::new(
                ErrorCode::MalformedKey,
                format!("the key document is over {MAX_KEY_DOCUMENT_BYTES} bytes"),
            ));
        }
        let set = self.sets.entry(fetch.key.source.clone()).or_default();
        match &fetch.key.source {
            KeySource::Jwks { .. } => {
                let keys = parse_jwks(body, Algorithm::Rs256)?;
                set.keys = keys
                    .into_iter()
                    .map(|(kid, key)| (kid, (key, now)))
                    .collect();
                set.fetched_at = Some(now);
            }
            #[cfg(not(feature = "alb"))]
            KeySource::AlbPem { .. } => {
                // Fail closed: this build cannot read ALB keys (no `alb` feature).
                return Err(Error::new(
                    ErrorCode::MalformedKey,
                    "ALB PEM keys need the crate's `alb` feature",
                ));
            }
            #[cfg(feature = "alb")]
            KeySource::AlbPem { .. } => {
                let key = parse_p256_pem(body)?;
                if set.keys.len() >= MAX_ALB_KIDS {
                    evict_oldest(&mut set.keys);
                }
                set.keys.insert(kid.clone(), (key, now));
                set.wanted.forget(kid);
                // A real new key: later new kids need not wait out the cooldown.
                set.unknown_kid_fetch_at = None;
            }
        }
        set.failures.remove(&fetch.url);
        Ok(())
    }

    /// Resolves a key with a synchronous fetcher (CLI, tests, native services).
    /// `fetch` returns `(status, body)` or an error when no answer came.
    pub fn resolve_sync(
        &mut self,
        key: &KeyRef,
        now: u64,
        fetch: &mut dyn FnMut(&str) -> Result<HttpAnswer>,
    ) -> Result<PublicKey> {
        match self.lookup(key, now) {
            KeyLookup::Found(key) => return Ok(key),
            KeyLookup::Unavailable(error) => return Err(error),
            KeyLookup::Fetch(request) => match fetch(&request.url) {
                Ok((status, body)) => self.store_response(&request, status, &body, now),
                Err(error) => self.store_failure(&request, error, now),
            },
        }
        match self.lookup(key, now) {
            KeyLookup::Found(key) => Ok(key),
            KeyLookup::Unavailable(error) => Err(error),
            KeyLookup::Fetch(_) => Err(Error::new(
                ErrorCode::UnknownKid,
                format!(
                    "no key with kid {} after fetching the key set",
                    excerpt(&key.kid)
                ),
            )),
        }
    }
}

#[cfg(feature = "alb")]
fn evict_oldest(keys: &mut HashMap<String, (PublicKey, u64)>) {
    if let Some(oldest) = keys
        .iter()
        .min_by_key(|(_, (_, at))| *at)
        .map(|(kid, _)| kid.clone())
    {
        keys.remove(&oldest);
    }
}
