//! The sans-IO key cache: what it asks to fetch, and what it answers from memory.

mod common;

use common::*;
use entra_edge_auth::jwt::{KeyRef, KeySource};
use entra_edge_auth::keys::{KeyCache, KeyLookup, MAX_ALB_KIDS};
use entra_edge_auth::{Error, ErrorCode, Tuning};

const JWKS_URL: &str = "http://127.0.0.1:9/jwks.json";
const ALB_BASE: &str = "http://127.0.0.1:9/alb";

fn jwks_ref(kid: &str) -> KeyRef {
    KeyRef {
        source: KeySource::Jwks {
            url: JWKS_URL.into(),
        },
        kid: kid.into(),
    }
}

fn alb_ref(kid: &str) -> KeyRef {
    KeyRef {
        source: KeySource::AlbPem {
            base_url: ALB_BASE.into(),
        },
        kid: kid.into(),
    }
}

fn uuid(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-000000000000")
}

fn expect_fetch(cache: &mut KeyCache, key: &KeyRef, now: u64) -> entra_edge_auth::keys::KeyFetch {
    match cache.lookup(key, now) {
        KeyLookup::Fetch(f) => f,
        other => panic!("expected a fetch, got {other:?}"),
    }
}

fn expect_unavailable(cache: &mut KeyCache, key: &KeyRef, now: u64) -> ErrorCode {
    match cache.lookup(key, now) {
        KeyLookup::Unavailable(e) => e.code(),
        other => panic!("expected unavailable, got {other:?}"),
    }
}

#[test]
fn first_lookup_asks_for_the_jwks_then_answers_from_memory() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let mut cache = KeyCache::new(Tuning::default());
    let fetch = expect_fetch(&mut cache, &jwks_ref("k1"), NOW);
    assert_eq!(fetch.url, JWKS_URL);
    cache.store_response(&fetch, 200, signer.jwks("k1").as_bytes(), NOW);
    assert_eq!(
        cache.lookup(&jwks_ref("k1"), NOW + 1),
        KeyLookup::Found(signer.public_key())
    );
}

#[test]
fn keys_are_refetched_after_their_ttl() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let tuning = Tuning::default();
    let mut cache = KeyCache::new(tuning);
    let fetch = expect_fetch(&mut cache, &jwks_ref("k1"), NOW);
    cache.store_response(&fetch, 200, signer.jwks("k1").as_bytes(), NOW);
    expect_fetch(&mut cache, &jwks_ref("k1"), NOW + tuning.key_ttl_secs);
}

#[test]
fn stale_key_is_not_used_when_the_refetch_fails() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let tuning = Tuning::default();
    let mut cache = KeyCache::new(tuning);
    let fetch = expect_fetch(&mut cache, &jwks_ref("k1"), NOW);
    cache.store_response(&fetch, 200, signer.jwks("k1").as_bytes(), NOW);
    let later = NOW + tuning.key_ttl_secs + 1;
    let fetch = expect_fetch(&mut cache, &jwks_ref("k1"), later);
    cache.store_response(&fetch, 503, b"down", later);
    assert_eq!(
        expect_unavailable(&mut cache, &jwks_ref("k1"), later),
        ErrorCode::KeyFetchFailed
    );
}

#[test]
fn unknown_kid_refetches_once_per_cooldown() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let tuning = Tuning::default();
    let mut cache = KeyCache::new(tuning);
    let fetch = expect_fetch(&mut cache, &jwks_ref("k1"), NOW);
    cache.store_response(&fetch, 200, signer.jwks("k1").as_bytes(), NOW);
    // A kid the fresh set lacks: one refetch (a rotation may have happened)...
    let fetch = expect_fetch(&mut cache, &jwks_ref("random-1"), NOW + 1);
    cache.store_response(&fetch, 200, signer.jwks("k1").as_bytes(), NOW + 1);
    // ...then every other unknown kid is refused from memory until the cooldown passes.
    for i in 0..1000 {
        let key = jwks_ref(&format!("random-{i}"));
        assert_eq!(
            expect_unavailable(&mut cache, &key, NOW + 2),
            ErrorCode::UnknownKid
        );
    }
    expect_fetch(
        &mut cache,
        &jwks_ref("random-x"),
        NOW + 1 + tuning.refetch_cooldown_secs,
    );
    // The known kid is still served throughout.
    assert!(matches!(
        cache.lookup(&jwks_ref("k1"), NOW + 3),
        KeyLookup::Found(_)
    ));
}

#[test]
fn fresh_key_answers_only_a_fresh_key_and_changes_nothing() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let tuning = Tuning::default();
    let mut cache = KeyCache::new(tuning);
    assert_eq!(cache.fresh_key(&jwks_ref("k1"), NOW), None);
    let fetch = expect_fetch(&mut cache, &jwks_ref("k1"), NOW);
    cache.store_response(&fetch, 200, signer.jwks("k1").as_bytes(), NOW);
    assert_eq!(
        cache.fresh_key(&jwks_ref("k1"), NOW + 1),
        Some(&signer.public_key())
    );
    assert_eq!(
        cache.fresh_key(&jwks_ref("k1"), NOW + tuning.key_ttl_secs),
        None
    );
    // Asking about unknown kids starts no cooldown: the refetch a lookup asks for still comes.
    for i in 0..10 {
        assert_eq!(
            cache.fresh_key(&jwks_ref(&format!("random-{i}")), NOW + 1),
            None
        );
    }
    expect_fetch(&mut cache, &jwks_ref("random-x"), NOW + 1);
}

#[test]
fn rotation_is_picked_up() {
    let old = RsaSigner::fixture("rsa-2048-a.pem");
    let new = RsaSigner::fixture("rsa-2048-b.pem");
    let mut cache = KeyCache::new(Tuning::default());
    let fetch = expect_fetch(&mut cache, &jwks_ref("old"), NOW);
    cache.store_response(&fetch, 200, old.jwks("old").as_bytes(), NOW);
    let fetch = expect_fetch(&mut cache, &jwks_ref("new"), NOW + 5);
    cache.store_response(&fetch, 200, new.jwks("new").as_bytes(), NOW + 5);
    assert_eq!(
        cache.lookup(&jwks_ref("new"), NOW + 5),
        KeyLookup::Found(new.public_key())
    );
}

#[test]
fn failures_are_remembered_for_the_negative_ttl() {
    let tuning = Tuning::default();
    let mut cache = KeyCache::new(tuning);
    let fetch = expect_fetch(&mut cache, &jwks_ref("k1"), NOW);
    cache.store_failure(
        &fetch,
        Error::new(ErrorCode::KeyFetchFailed, "timed out"),
        NOW,
    );
    assert_eq!(
        expect_unavailable(&mut cache, &jwks_ref("k1"), NOW + 1),
        ErrorCode::KeyFetchFailed
    );
    expect_fetch(&mut cache, &jwks_ref("k1"), NOW + tuning.negative_ttl_secs);
}

#[test]
fn garbage_and_error_statuses_fail_closed() {
    let cases: [(u16, &[u8], ErrorCode); 4] = [
        (500, b"oops", ErrorCode::KeyFetchFailed),
        (200, b"<html>not json</html>", ErrorCode::MalformedKey),
        (200, b"{\"keys\": []}", ErrorCode::MalformedKey),
        (200, &[b' '; 70_000], ErrorCode::MalformedKey),
    ];
    for (status, body, want) in cases {
        let mut cache = KeyCache::new(Tuning::default());
        let fetch = expect_fetch(&mut cache, &jwks_ref("k1"), NOW);
        cache.store_response(&fetch, status, body, NOW);
        assert_eq!(
            expect_unavailable(&mut cache, &jwks_ref("k1"), NOW),
            want,
            "{status}"
        );
    }
}

#[test]
fn alb_keys_are_fetched_per_kid() {
    let signer = EcSigner::fixture("p256-a");
    let mut cache = KeyCache::new(Tuning::default());
    let fetch = expect_fetch(&mut cache, &alb_ref(ALB_KID), NOW);
    assert_eq!(fetch.url, format!("{ALB_BASE}/{ALB_KID}"));
    cache.store_response(&fetch, 200, signer.public_pem().as_bytes(), NOW);
    assert_eq!(
        cache.lookup(&alb_ref(ALB_KID), NOW),
        KeyLookup::Found(signer.public_key())
    );
}

#[test]
fn alb_404_is_an_unknown_kid() {
    let mut cache = KeyCache::new(Tuning::default());
    let fetch = expect_fetch(&mut cache, &alb_ref(&uuid(1)), NOW);
    cache.store_response(&fetch, 404, b"not found", NOW);
    assert_eq!(
        expect_unavailable(&mut cache, &alb_ref(&uuid(1)), NOW),
        ErrorCode::UnknownKid
    );
}

#[test]
fn alb_flood_of_unknown_kids_causes_one_fetch_per_cooldown() {
    let tuning = Tuning::default();
    let mut cache = KeyCache::new(tuning);
    let first = expect_fetch(&mut cache, &alb_ref(&uuid(0)), NOW);
    // While the first is in flight and after it 404s, no other new kid is fetched.
    for i in 1..500 {
        assert_eq!(
            expect_unavailable(&mut cache, &alb_ref(&uuid(i)), NOW),
            ErrorCode::UnknownKid
        );
    }
    cache.store_response(&first, 404, b"", NOW);
    for i in 500..1000 {
        assert_eq!(
            expect_unavailable(&mut cache, &alb_ref(&uuid(i)), NOW + 10),
            ErrorCode::UnknownKid
        );
    }
    expect_fetch(
        &mut cache,
        &alb_ref(&uuid(2000)),
        NOW + tuning.refetch_cooldown_secs,
    );
}

#[test]
fn alb_rotation_during_a_flood_gets_the_next_fetch() {
    let tuning = Tuning::default();
    let rotated = EcSigner::fixture("p256-b");
    let mut cache = KeyCache::new(tuning);
    // A made-up kid took the fetch and 404ed: the cooldown runs.
    let ghost = expect_fetch(&mut cache, &alb_ref(&uuid(0)), NOW);
    cache.store_response(&ghost, 404, b"", NOW);
    // Meanwhile the ALB rotated: its new kid arrives on many requests, among a flood of
    // made-up kids that each arrive once. All are refused while the cooldown runs.
    let real = alb_ref(&uuid(7_777_777));
    for i in 1..2000 {
        let key = if i % 100 == 0 {
            real.clone()
        } else {
            alb_ref(&uuid(i))
        };
        assert_eq!(
            expect_unavailable(&mut cache, &key, NOW + 1),
            ErrorCode::UnknownKid
        );
    }
    // The first request after the cooldown carries yet another made-up kid, but the fetch
    // goes to the kid asked for most, and that request itself stays refused.
    let after = NOW + tuning.refetch_cooldown_secs;
    let flood = alb_ref(&uuid(5000));
    let fetch = expect_fetch(&mut cache, &flood, after);
    assert_eq!(fetch.key_ref(), &real);
    assert_eq!(fetch.url, format!("{ALB_BASE}/{}", real.kid));
    assert_eq!(
        expect_unavailable(&mut cache, &flood, after),
        ErrorCode::UnknownKid
    );
    cache.store_response(&fetch, 200, rotated.public_pem().as_bytes(), after);
    assert_eq!(
        cache.lookup(&real, after),
        KeyLookup::Found(rotated.public_key())
    );
}

#[test]
fn alb_successful_new_kid_lifts_the_cooldown() {
    let a = EcSigner::fixture("p256-a");
    let b = EcSigner::fixture("p256-b");
    let mut cache = KeyCache::new(Tuning::default());
    let fetch = expect_fetch(&mut cache, &alb_ref(&uuid(1)), NOW);
    cache.store_response(&fetch, 200, a.public_pem().as_bytes(), NOW);
    // A second real kid (another ALB region, or a rotation) is fetched at once.
    let fetch = expect_fetch(&mut cache, &alb_ref(&uuid(2)), NOW + 1);
    cache.store_response(&fetch, 200, b.public_pem().as_bytes(), NOW + 1);
    assert_eq!(
        cache.lookup(&alb_ref(&uuid(2)), NOW + 1),
        KeyLookup::Found(b.public_key())
    );
}

#[test]
fn alb_rejects_rsa_or_garbage_pem() {
    let mut cache = KeyCache::new(Tuning::default());
    let fetch = expect_fetch(&mut cache, &alb_ref(ALB_KID), NOW);
    cache.store_response(
        &fetch,
        200,
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        NOW,
    );
    assert_eq!(
        expect_unavailable(&mut cache, &alb_ref(ALB_KID), NOW),
        ErrorCode::MalformedKey
    );
}

#[test]
fn a_stale_key_set_is_refetched_while_the_unknown_kid_cooldown_runs() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let tuning = Tuning::default();
    let mut cache = KeyCache::new(tuning);
    let fetch = expect_fetch(&mut cache, &jwks_ref("k1"), NOW);
    cache.store_response(&fetch, 200, signer.jwks("k1").as_bytes(), NOW);
    // An unknown kid in the set's last fresh second starts the cooldown (its fetch is
    // still in flight)...
    let stale_at = NOW + tuning.key_ttl_secs;
    expect_fetch(&mut cache, &jwks_ref("random"), stale_at - 1);
    // ...which holds back unknown kids of a fresh set, not the refresh of a stale one.
    expect_fetch(&mut cache, &jwks_ref("k1"), stale_at);
}

#[test]
fn a_failed_alb_key_stays_remembered_when_another_kid_fails() {
    let mut cache = KeyCache::new(Tuning::default());
    let (a, b) = (alb_ref(&uuid(1)), alb_ref(&uuid(2)));
    let fetch = expect_fetch(&mut cache, &a, NOW);
    cache.store_response(&fetch, 503, b"down", NOW);
    cache.store_response(&KeyCache::fetch_for(&b), 503, b"down", NOW + 1);
    // Each kid answers its own failure, not the cooldown's unknown_kid.
    for key in [&a, &b] {
        assert_eq!(
            expect_unavailable(&mut cache, key, NOW + 2),
            ErrorCode::KeyFetchFailed
        );
    }
}

#[test]
fn alb_key_sets_keep_the_newest_kids_up_to_their_bound() {
    let signer = EcSigner::fixture("p256-a");
    let mut cache = KeyCache::new(Tuning::default());
    let kids = MAX_ALB_KIDS as u32 + 1;
    for i in 0..kids {
        let fetch = KeyCache::fetch_for(&alb_ref(&uuid(i)));
        let at = NOW + u64::from(i);
        cache.store_response(&fetch, 200, signer.public_pem().as_bytes(), at);
    }
    let now = NOW + u64::from(kids);
    // The oldest made room for the newest; every other kid is still held.
    expect_fetch(&mut cache, &alb_ref(&uuid(0)), now);
    for i in 1..kids {
        assert_eq!(
            cache.fresh_key(&alb_ref(&uuid(i)), now),
            Some(&signer.public_key()),
            "kid {i}"
        );
    }
}
