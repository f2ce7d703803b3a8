//! Unbound assertions kept for reuse, so a token's later requests are not signed again
//! (signing is a WebCrypto call per assertion; the verified-token cache already spares the
//! verification).
//!
//! Keyed by what the assertion says: the identity (source, subject, roles) and the token's
//! `exp`, which with the settings fix every claim but `iat`. Two tokens that say the same
//! share one assertion, which is then true of both. An entry is returned only while
//! `assertion::reusable` says enough of it remains. Bounded: when full, expired entries go
//! first, then everything (an isolate's working set re-signs within seconds).

use std::collections::HashMap;
use std::rc::Rc;

use crate::assertion::reusable;
use crate::identity::Identity;

/// Assertions kept per isolate (the verified-token cache's size).
pub const DEFAULT_CAPACITY: usize = 4096;

struct Cached {
    jws: Rc<str>,
    expires_at: u64,
}

pub struct AssertionCache {
    capacity: usize,
    entries: HashMap<String, Cached>,
}

/// The cache key for `identity`: fields joined by `\n`, which none of them can hold (they
/// went out as header values, or are the gate's own words).
pub fn key_for(identity: &Identity) -> String {
    let mut key = String::with_capacity(identity.subject.len() + 64);
    key.push_str(identity.source.as_str());
    key.push('\n');
    key.push_str(&identity.subject);
    key.push('\n');
    key.push_str(&identity.expires_at.to_string());
    for role in &identity.roles {
        key.push('\n');
        key.push_str(role);
    }
    key
}

impl AssertionCache {
    pub fn new(capacity: usize) -> Self {
        AssertionCache {
            capacity: capacity.max(1),
            entries: HashMap::new(),
        }
    }

    /// The assertion kept under `key` if it may still be sent at `now`.
    pub fn get(&self, key: &str, now: u64, ttl_secs: u64) -> Option<Rc<str>> {
        self.entries
            .get(key)
            .filter(|cached| reusable(cached.expires_at, now, ttl_secs))
            .map(|cached| cached.jws.clone())
    }

    pub fn insert(&mut self, key: String, jws: Rc<str>, expires_at: u64, now: u64) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            self.entries.retain(|_, cached| cached.expires_at > now);
            if self.entries.len() >= self.capacity {
                self.entries.clear();
            }
        }
        self.entries.insert(key, Cached { jws, expires_at });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::TokenSource;

    fn identity(subject: &str, roles: &[&str], exp: u64) -> Identity {
        Identity {
            source: TokenSource::Alb,
            subject: subject.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            scopes: vec![],
            groups_overage: false,
            expires_at: exp,
            claims: Default::default(),
        }
    }

    #[test]
    fn an_assertion_is_reused_until_the_margin_before_its_exp() {
        let mut cache = AssertionCache::new(4);
        let key = key_for(&identity("u", &["viewer"], 2_000));
        cache.insert(key.clone(), "a.b.c".into(), 1_060, 1_000);
        assert_eq!(cache.get(&key, 1_049, 60).as_deref(), Some("a.b.c"));
        assert_eq!(cache.get(&key, 1_050, 60), None);
    }

    #[test]
    fn every_claim_of_the_identity_is_in_the_key() {
        let base = key_for(&identity("u", &["viewer"], 2_000));
        let mut cognito = identity("u", &["viewer"], 2_000);
        cognito.source = TokenSource::CognitoAccess;
        for other in [
            identity("v", &["viewer"], 2_000),
            identity("u", &["viewer", "admin"], 2_000),
            identity("u", &[], 2_000),
            identity("u", &["viewer"], 2_001),
            cognito,
        ] {
            assert_ne!(key_for(&other), base, "{other:?}");
        }
        let mut cache = AssertionCache::new(4);
        cache.insert(base, "a.b.c".into(), 1_060, 1_000);
        let admin = key_for(&identity("u", &["viewer", "admin"], 2_000));
        assert_eq!(cache.get(&admin, 1_001, 60), None);
    }

    #[test]
    fn stays_within_its_capacity_dropping_expired_entries_first() {
        let mut cache = AssertionCache::new(2);
        cache.insert("a".into(), "1".into(), 1_005, 1_000);
        cache.insert("b".into(), "2".into(), 1_100, 1_000);
        cache.insert("c".into(), "3".into(), 1_100, 1_010);
        assert_eq!(cache.len(), 2);
        assert!(cache.get("b", 1_010, 60).is_some());
        cache.insert("d".into(), "4".into(), 1_100, 1_010);
        assert_eq!(cache.len(), 1);
        // Replacing a present key never evicts.
        cache.insert("d".into(), "5".into(), 1_100, 1_010);
        cache.insert("e".into(), "6".into(), 1_100, 1_010);
        cache.insert("e".into(), "7".into(), 1_100, 1_010);
        assert_eq!(cache.get("e", 1_010, 60).as_deref(), Some("7"));
        assert_eq!(cache.len(), 2);
    }
}
