//! Property: no mutation of a valid token verifies, and none panics; every rejection
//! carries an error code. Runs on stable Rust in CI (the fuzz targets go further).

mod common;

use common::*;
use entra_edge_auth::jwt::{
    verify_sync, AlbConfig, AlbVerifier, CognitoConfig, CognitoVerifier, KeyRef, PublicKey,
    TokenUse, TokenVerifier,
};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::{Error, ErrorCode, Result, Tuning};
use proptest::prelude::*;
use serde_json::json;

fn alb() -> (AlbVerifier, String, PublicKey) {
    let signer = EcSigner::fixture("p256-a");
    let verifier = AlbVerifier::new(
        AlbConfig {
            signers: vec![ALB_ARN.into()],
            client_ids: vec![],
            issuer: None,
            keys_base_url: "http://127.0.0.1:9/keys".into(),
        },
        Tuning::default(),
    )
    .unwrap();
    let token = es256(
        &signer,
        json!({"alg": "ES256", "kid": ALB_KID, "signer": ALB_ARN, "exp": NOW + 60}),
        json!({"sub": "alice", "exp": NOW + 60, "email": "a@example.com"}),
        true,
    );
    (verifier, token, signer.public_key())
}

fn cognito() -> (CognitoVerifier, String, PublicKey) {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1";
    let verifier = CognitoVerifier::new(
        CognitoConfig {
            issuer: iss.into(),
            jwks_url: CognitoConfig::default_jwks_url(iss),
            client_ids: vec!["app".into()],
            token_uses: vec![TokenUse::Access],
        },
        Tuning::default(),
    )
    .unwrap();
    let token = rs256(
        &signer,
        json!({"alg": "RS256", "kid": "k1"}),
        json!({"sub": "u", "iss": iss, "token_use": "access", "client_id": "app", "exp": NOW + 60}),
    );
    (verifier, token, signer.public_key())
}

fn check(verifier: &dyn TokenVerifier, token: &str, key: &PublicKey) -> Result<()> {
    let mut lookup = |_: &KeyRef| -> Result<PublicKey> { Ok(key.clone()) };
    verify_sync(verifier, token, NOW, &mut lookup, &RustCrypto).map(|_| ())
}

/// Applies one mutation: flip a bit, replace, insert or delete a byte.
fn mutate(token: &str, op: u8, at: usize, byte: u8) -> Vec<u8> {
    let mut bytes = token.as_bytes().to_vec();
    let i = at % bytes.len();
    match op % 4 {
        0 => bytes[i] ^= 1 << (byte % 8),
        1 => bytes[i] = byte,
        2 => bytes.insert(i, byte),
        _ => {
            bytes.remove(i);
        }
    }
    bytes
}

fn assert_rejected(result: Result<()>, original: &str, mutated: &str) {
    match result {
        Ok(()) => {
            // Padding is optional for ALB, so adding or removing a trailing `=` run, or
            // trailing bits the base64 decoder ignores, can leave the same bytes. Such a
            // token must then decode to exactly the original segments.
            assert!(
                same_decoded(original, mutated),
                "mutation verified: {mutated}"
            );
        }
        Err(e) => assert!(ErrorCode::ALL.contains(&e.code()), "{e:?}"),
    }
}

fn same_decoded(a: &str, b: &str) -> bool {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;
    use base64::Engine;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let decode = |t: &str| -> Option<Vec<Vec<u8>>> {
        t.split('.').map(|s| LENIENT.decode(s).ok()).collect()
    };
    decode(a).is_some() && decode(a) == decode(b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_alb_tokens_never_verify(op: u8, at: usize, byte: u8) {
        let (verifier, token, key) = alb();
        let mutated = mutate(&token, op, at, byte);
        let Ok(mutated) = String::from_utf8(mutated) else { return Ok(()); };
        if mutated == token { return Ok(()); }
        assert_rejected(check(&verifier, &mutated, &key), &token, &mutated);
    }

    #[test]
    fn mutated_cognito_tokens_never_verify(op: u8, at: usize, byte: u8) {
        let (verifier, token, key) = cognito();
        let mutated = mutate(&token, op, at, byte);
        let Ok(mutated) = String::from_utf8(mutated) else { return Ok(()); };
        if mutated == token { return Ok(()); }
        let result = check(&verifier, &mutated, &key);
        prop_assert!(result.is_err(), "mutation verified: {}", mutated);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,400}") {
        let (verifier, _, key) = alb();
        let _: Option<Error> = check(&verifier, &s, &key).err();
        let (verifier, _, key) = cognito();
        let _: Option<Error> = check(&verifier, &s, &key).err();
    }
}

#[test]
fn originals_verify() {
    let (v, t, k) = alb();
    check(&v, &t, &k).unwrap();
    let (v, t, k) = cognito();
    check(&v, &t, &k).unwrap();
}
