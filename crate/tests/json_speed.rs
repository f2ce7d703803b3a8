//! How the strict reader's speed compares with serde_json's on a realistic claim set (the
//! worker parses one per uncached token). A measurement, not a check: it prints and asserts
//! nothing about time. Run optimised:
//!
//! `cargo test --release -p entra-edge-auth --test json_speed -- --ignored --nocapture`

use std::hint::black_box;
use std::time::{Duration, Instant};

use entra_edge_auth::json;

/// The claims of a Cognito ID token as a user pool issues them (values invented).
const COGNITO_ID_CLAIMS: &[u8] = br#"{"sub":"9a7b3c1d-2e4f-4a6b-8c9d-0e1f2a3b4c5d","cognito:groups":["itsm_agent","viewer"],"email_verified":true,"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1","cognito:username":"9a7b3c1d-2e4f-4a6b-8c9d-0e1f2a3b4c5d","origin_jti":"4f1e2d3c-5b6a-4978-8695-a4b3c2d1e0f9","aud":"3n4b5c6d7e8f9g0h1i2j3k4l5m","event_id":"c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f","token_use":"id","auth_time":1700000000,"custom:role":"itsm_agent","exp":1700003600,"iat":1700000000,"jti":"0f9e8d7c-6b5a-4493-8271-6a5b4c3d2e1f","email":"agent@example.com","name":"Zo\u00eb Agent","given_name":"Zo\u00eb","family_name":"Agent"}"#;

const ROUNDS: usize = 200_000;

fn time(mut parse: impl FnMut()) -> Duration {
    for _ in 0..ROUNDS / 10 {
        parse();
    }
    let start = Instant::now();
    for _ in 0..ROUNDS {
        parse();
    }
    start.elapsed()
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture, optimised (see the module doc)"]
fn strict_reader_against_serde_json() {
    let ours = json::parse(COGNITO_ID_CLAIMS).expect("claims parse");
    let theirs: serde_json::Value = serde_json::from_slice(COGNITO_ID_CLAIMS).unwrap();
    assert_eq!(serde_json::to_value(&ours).unwrap(), theirs);

    let strict = time(|| {
        black_box(json::parse(black_box(COGNITO_ID_CLAIMS)).is_ok());
    });
    let serde = time(|| {
        black_box(
            serde_json::from_slice::<serde_json::Value>(black_box(COGNITO_ID_CLAIMS)).is_ok(),
        );
    });
    let per = |d: Duration| d.as_nanos() / ROUNDS as u128;
    println!(
        "{ROUNDS} parses of {} bytes: crate::json {} ns each, serde_json {} ns each, ratio {}.{:02}",
        COGNITO_ID_CLAIMS.len(),
        per(strict),
        per(serde),
        strict.as_nanos() / serde.as_nanos().max(1),
        strict.as_nanos() * 100 / serde.as_nanos().max(1) % 100,
    );
}
