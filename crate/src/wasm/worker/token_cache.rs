//! The verified-token cache: a token verified once in this isolate is not verified again
//! until its `exp`.
//!
//! Keyed by the credential kind and the whole token: two tokens that differ in any byte (a
//! padded and an unpadded ALB token, say) are separate entries, since lookups compare the
//! full token. Only the hash is partial: it covers the kind, the length and the token's
//! last [`HASHED_TAIL`] bytes, which lie in the signature and so differ between any two
//! signed tokens. That keeps a lookup on a repeated token to one short hash and one
//! compare, instead of a SHA-256 of the whole token. Only verified tokens are ever
//! inserted, so a client cannot fill a bucket with colliding keys.
//!
//! An entry is never returned at or after the token's `exp` (no skew: the cache never
//! extends a token's life). The size is bounded twice: at most `capacity` entries and at
//! most `max_bytes` of token text (tokens may be up to 16 KiB each); when either is
//! exceeded, expired entries go first, then the least recently used.
//! What is cached is the verified identity only (the route policy is decided per request),
//! and of it only what the gate uses: source, subject, roles, overage flag and `exp`; the
//! claims are dropped, which keeps entries small and cheap to hand to the policy.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use crate::identity::Identity;

/// Entries kept per isolate.
pub const DEFAULT_CAPACITY: usize = 4096;
/// Token bytes kept per isolate (about 4096 tokens of 2 KiB).
pub const DEFAULT_MAX_BYTES: usize = 8 * 1024 * 1024;
/// How many trailing bytes of the token the hash reads.
const HASHED_TAIL: usize = 64;

pub use crate::policy::CredentialKind;

/// A credential as the cache knows it: its kind and the whole token.
#[derive(Debug, PartialEq, Eq)]
pub struct CacheKey {
    kind: CredentialKind,
    token: String,
}

impl CacheKey {
    pub fn new(kind: CredentialKind, token: String) -> Self {
        CacheKey { kind, token }
    }

    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    pub fn token(&self) -> &str {
        &self.token
    }
}

impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let bytes = self.token.as_bytes();
        state.write_u8(self.kind as u8);
        state.write_usize(bytes.len());
        state.write(&bytes[bytes.len().saturating_sub(HASHED_TAIL)..]);
    }
}

type Key = Rc<CacheKey>;

struct Entry {
    identity: Rc<Identity>,
    last_used: u64,
}

pub struct TokenCache {
    capacity: usize,
    max_bytes: usize,
    /// Token bytes held by `entries`.
    bytes: usize,
    entries: HashMap<Key, Entry>,
    /// last_used tick → key: the oldest is first.
    recency: BTreeMap<u64, Key>,
    tick: u64,
    last_sweep: Option<u64>,
}

impl TokenCache {
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        TokenCache {
            capacity: capacity.max(1),
            max_bytes,
            bytes: 0,
            entries: HashMap::new(),
            recency: BTreeMap::new(),
            tick: 0,
            last_sweep: None,
        }
    }

    /// The identity verified earlier for this key, if its token has not expired at `now`.
    pub fn get(&mut self, key: &CacheKey, now: u64) -> Option<Rc<Identity>> {
        let entry = self.entries.get_mut(key)?;
        if now >= entry.identity.expires_at {
            self.remove(key);
            return None;
        }
        self.tick += 1;
        let shared = self.recency.remove(&entry.last_used)?;
        entry.last_used = self.tick;
        let identity = entry.identity.clone();
        self.recency.insert(self.tick, shared);
        Some(identity)
    }

    /// Keeps `identity` for `key` until its `exp`. A token larger than the whole byte
    /// budget is not kept.
    pub fn insert(&mut self, key: CacheKey, identity: Rc<Identity>, now: u64) {
        let size = key.token.len();
        if now >= identity.expires_at || size > self.max_bytes {
            return;
        }
        self.remove(&key);
        let over = |c: &Self| c.entries.len() >= c.capacity || c.bytes + size > c.max_bytes;
        // Sweeping expired entries is a full scan: at most once per second of clock.
        if over(self) && self.last_sweep != Some(now) {
            self.last_sweep = Some(now);
            let expired: Vec<Key> = self
                .entries
                .iter()
                .filter(|(_, e)| now >= e.identity.expires_at)
                .map(|(k, _)| k.clone())
                .collect();
            for k in &expired {
                self.remove(k);
            }
        }
        while over(self) {
            match self.recency.pop_first() {
                Some((_, oldest)) => {
                    if self.entries.remove(&*oldest).is_some() {
                        self.bytes -= oldest.token.len();
                    }
                }
                None => break,
            }
        }
        self.tick += 1;
        let key = Rc::new(key);
        self.bytes += size;
        self.recency.insert(self.tick, key.clone());
        self.entries.insert(
            key,
            Entry {
                identity,
                last_used: self.tick,
            },
        );
    }

    fn remove(&mut self, key: &CacheKey) {
        if let Some((key, entry)) = self.entries.remove_entry(key) {
            self.bytes -= key.token.len();
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
            scopes: vec![],
            groups_overage: false,
            expires_at: exp,
            claims: Default::default(),
        })
    }

    fn key(token: &str) -> CacheKey {
        CacheKey::new(CredentialKind::Alb, token.to_owned())
    }

    #[test]
    fn never_outlives_exp() {
        let mut cache = TokenCache::new(4, 1024);
        cache.insert(key("t"), identity(100), 10);
        assert!(cache.get(&key("t"), 99).is_some());
        assert!(cache.get(&key("t"), 100).is_none());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn kinds_are_separate() {
        let mut cache = TokenCache::new(4, 1024);
        cache.insert(key("t"), identity(100), 0);
        let bearer = CacheKey::new(CredentialKind::Bearer, "t".into());
        assert!(cache.get(&bearer, 1).is_none());
        assert!(cache.get(&key("t"), 1).is_some());
    }

    #[test]
    fn whole_token_is_compared() {
        // Same length and same tail: only the head differs.
        let tail = "x".repeat(HASHED_TAIL);
        let (a, b) = (format!("a{tail}"), format!("b{tail}"));
        let mut cache = TokenCache::new(4, 1024);
        cache.insert(key(&a), identity(100), 0);
        assert!(cache.get(&key(&b), 1).is_none());
        assert!(cache.get(&key(&a), 1).is_some());
    }

    #[test]
    fn evicts_least_recently_used() {
        let mut cache = TokenCache::new(2, 1024);
        cache.insert(key("a"), identity(100), 0);
        cache.insert(key("b"), identity(100), 0);
        assert!(cache.get(&key("a"), 1).is_some());
        cache.insert(key("c"), identity(100), 1);
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&key("b"), 1).is_none());
        assert!(cache.get(&key("a"), 1).is_some() && cache.get(&key("c"), 1).is_some());
    }

    #[test]
    fn byte_budget_is_kept() {
        let mut cache = TokenCache::new(100, 10);
        cache.insert(key("aaaa"), identity(100), 0);
        cache.insert(key("bbbb"), identity(100), 0);
        assert!(cache.get(&key("aaaa"), 1).is_some());
        cache.insert(key("cccc"), identity(100), 1);
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&key("bbbb"), 1).is_none());
        cache.insert(key(&"z".repeat(11)), identity(100), 1);
        assert_eq!(cache.len(), 2, "a token over the whole budget is not kept");
        cache.insert(key(&"y".repeat(10)), identity(100), 1);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.bytes, 10);
    }

    #[test]
    fn the_byte_budget_can_be_filled_exactly() {
        let mut cache = TokenCache::new(100, 10);
        cache.insert(key("aaaaa"), identity(100), 0);
        cache.insert(key("bbbbb"), identity(100), 0);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.bytes, 10);
    }

    #[test]
    fn evictions_give_their_bytes_back() {
        // Nine-byte tokens, a 30-byte budget: three fit, and each one taken in past that
        // pushes exactly one out.
        let mut cache = TokenCache::new(100, 30);
        for i in 0..10 {
            cache.insert(key(&format!("token-{i:03}")), identity(100), 0);
            assert_eq!(cache.len(), (i + 1).min(3));
        }
        assert_eq!(cache.bytes, 27);
    }

    #[test]
    fn replacing_a_token_gives_its_bytes_back() {
        let mut cache = TokenCache::new(100, 30);
        for t in ["aaaaaaaaa", "bbbbbbbbb", "ccccccccc"] {
            cache.insert(key(t), identity(100), 0);
        }
        for _ in 0..5 {
            cache.insert(key("aaaaaaaaa"), identity(100), 0);
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.bytes, 27);
        assert!(cache.get(&key("bbbbbbbbb"), 1).is_some());
    }

    #[test]
    fn the_defaults_hold_their_count_of_2_kib_tokens() {
        let mut cache = TokenCache::new(DEFAULT_CAPACITY, DEFAULT_MAX_BYTES);
        for i in 0..DEFAULT_CAPACITY {
            cache.insert(key(&format!("{i:0>2048}")), identity(100), 0);
        }
        assert_eq!(cache.len(), DEFAULT_CAPACITY);
        assert_eq!(cache.bytes, DEFAULT_MAX_BYTES);
    }

    #[test]
    fn expired_entries_go_first() {
        let mut cache = TokenCache::new(2, 1024);
        cache.insert(key("a"), identity(100), 0);
        cache.insert(key("b"), identity(5), 0);
        assert!(cache.get(&key("b"), 1).is_some());
        cache.insert(key("c"), identity(100), 10);
        assert!(cache.get(&key("a"), 10).is_some() && cache.get(&key("c"), 10).is_some());
    }
}
