//! The verified-token cache: a token verified once in this isolate is not verified again
//! until its `exp`.
//!
//! Keyed by SHA-256 of the credential kind and the whole token, so two tokens that differ
//! in any byte (a padded and an unpadded ALB token, say) are separate entries, and the
//! cache holds 32 bytes per key however large the tokens are. An entry is never returned
//! at or after the token's `exp` (no skew: the cache never extends a token's life). The
//! size is bounded; when full, expired entries go first, then the least recently used.
//! What is cached is the verified identity only (the route policy is decided per request),
//! and of it only what the gate uses: source, subject, roles, overage flag and `exp`; the
//! claims are dropped, which keeps entries small and cheap to hand to the policy.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use sha2::{Digest, Sha256};

use crate::identity::Identity;

/// Entries kept per isolate.
pub const DEFAULT_CAPACITY: usize = 4096;

pub use crate::policy::CredentialKind;

/// SHA-256 of the credential kind and the token.
pub type CacheKey = [u8; 32];
type Key = CacheKey;

struct Entry {
    identity: Rc<Identity>,
    last_used: u64,
}

pub struct TokenCache {
    capacity: usize,
    entries: HashMap<Key, Entry>,
    /// last_used tick → key: the oldest is first.
    recency: BTreeMap<u64, Key>,
    tick: u64,
    last_sweep: Option<u64>,
}

impl TokenCache {
    pub fn new(capacity: usize) -> Self {
        TokenCache {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            recency: BTreeMap::new(),
            tick: 0,
            last_sweep: None,
        }
    }

    pub fn key(kind: CredentialKind, token: &str) -> Key {
        let mut hasher = Sha256::new();
        hasher.update([kind as u8]);
        hasher.update(token.as_bytes());
        hasher.finalize().into()
    }

    /// The identity verified earlier for this key, if its token has not expired at `now`.
    pub fn get(&mut self, key: &Key, now: u64) -> Option<Rc<Identity>> {
        let entry = self.entries.get_mut(key)?;
        if now >= entry.identity.expires_at {
            self.remove(key);
            return None;
        }
        self.tick += 1;
        self.recency.remove(&entry.last_used);
        entry.last_used = self.tick;
        self.recency.insert(self.tick, *key);
        Some(entry.identity.clone())
    }

    pub fn insert(&mut self, key: Key, identity: Rc<Identity>, now: u64) {
        if now >= identity.expires_at {
            return;
        }
        self.remove(&key);
        // Sweeping expired entries is a full scan: at most once per second of clock.
        if self.entries.len() >= self.capacity && self.last_sweep != Some(now) {
            self.last_sweep = Some(now);
            let expired: Vec<Key> = self
                .entries
                .iter()
                .filter(|(_, e)| now >= e.identity.expires_at)
                .map(|(k, _)| *k)
                .collect();
            for k in &expired {
                self.remove(k);
            }
        }
        while self.entries.len() >= self.capacity {
            match self.recency.pop_first() {
                Some((_, oldest)) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
        self.tick += 1;
        self.recency.insert(self.tick, key);
        self.entries.insert(
            key,
            Entry {
                identity,
                last_used: self.tick,
            },
        );
    }

    fn remove(&mut self, key: &Key) {
        if let Some(entry) = self.entries.remove(key) {
            self.recency.remove(&entry.last_used);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::TokenSource;

    fn identity(exp: u64) -> Rc<Identity> {
        Rc::new(Identity {
            source: TokenSource::Alb,
            subject: "s".into(),
            roles: vec![],
            groups_overage: false,
            expires_at: exp,
            claims: Default::default(),
        })
    }

    #[test]
    fn never_outlives_exp() {
        let mut cache = TokenCache::new(4);
        let k = TokenCache::key(CredentialKind::Alb, "t");
        cache.insert(k, identity(100), 10);
        assert!(cache.get(&k, 99).is_some());
        assert!(cache.get(&k, 100).is_none());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn kinds_are_separate() {
        assert_ne!(
            TokenCache::key(CredentialKind::Alb, "t"),
            TokenCache::key(CredentialKind::Bearer, "t")
        );
    }

    #[test]
    fn evicts_least_recently_used() {
        let mut cache = TokenCache::new(2);
        let (a, b, c) = (
            TokenCache::key(CredentialKind::Alb, "a"),
            TokenCache::key(CredentialKind::Alb, "b"),
            TokenCache::key(CredentialKind::Alb, "c"),
        );
        cache.insert(a, identity(100), 0);
        cache.insert(b, identity(100), 0);
        assert!(cache.get(&a, 1).is_some());
        cache.insert(c, identity(100), 1);
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&b, 1).is_none());
        assert!(cache.get(&a, 1).is_some() && cache.get(&c, 1).is_some());
    }

    #[test]
    fn expired_entries_go_first() {
        let mut cache = TokenCache::new(2);
        let (a, b, c) = (
            TokenCache::key(CredentialKind::Alb, "a"),
            TokenCache::key(CredentialKind::Alb, "b"),
            TokenCache::key(CredentialKind::Alb, "c"),
        );
        cache.insert(a, identity(100), 0);
        cache.insert(b, identity(5), 0);
        assert!(cache.get(&b, 1).is_some());
        cache.insert(c, identity(100), 10);
        assert!(cache.get(&a, 10).is_some() && cache.get(&c, 10).is_some());
    }
}
