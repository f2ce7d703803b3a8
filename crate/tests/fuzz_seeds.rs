//! Writes real tokens from the test fixtures into the fuzz corpora (run by
//! `crate/fuzz/run.sh` with `--ignored`; it is not a check).

mod common;

use common::*;
use serde_json::json;

#[test]
#[ignore = "writes the fuzz seed corpora; run by crate/fuzz/run.sh"]
fn write_fuzz_seeds() {
    let dir = std::env::var("FUZZ_CORPUS_DIR").expect("FUZZ_CORPUS_DIR");
    let write = |target: &str, name: &str, data: &str| {
        let path = format!("{dir}/{target}");
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(format!("{path}/{name}"), data).unwrap();
    };
    let ec = EcSigner::fixture("p256-a");
    let alb_header = json!({"alg": "ES256", "kid": ALB_KID, "signer": ALB_ARN, "exp": NOW + 60,
                            "client": "c", "iss": "https://login.example/v2.0"});
    let alb_claims = json!({"sub": "alice", "exp": NOW + 60, "email": "a@example.com",
                            "groups": ["SG-StackFlow-Agents"]});
    write(
        "token_alb",
        "padded",
        &es256(&ec, alb_header.clone(), alb_claims.clone(), true),
    );
    write(
        "token_alb",
        "unpadded",
        &es256(&ec, alb_header, alb_claims, false),
    );

    let rsa = RsaSigner::fixture("rsa-2048-a.pem");
    let iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1";
    let access = json!({"sub": "u", "iss": iss, "token_use": "access", "client_id": "app",
                        "exp": NOW + 60, "cognito:groups": ["viewer"]});
    write(
        "token_cognito",
        "access",
        &rs256(&rsa, json!({"alg": "RS256", "kid": "fuzz"}), access),
    );
    let id = json!({"sub": "u", "iss": iss, "token_use": "id", "aud": "app", "exp": NOW + 60,
                    "custom:role": "viewer"});
    write(
        "token_cognito",
        "id",
        &rs256(&rsa, json!({"alg": "RS256", "kid": "fuzz"}), id),
    );

    let tenant = "df4d171f-6cca-4c87-84cd-f299e4fca3a9";
    let entra = json!({"iss": format!("http://127.0.0.1:4010/{tenant}/v2.0"),
                       "aud": "11111111-2222-3333-4444-555555555555", "tid": tenant,
                       "sub": "s", "nonce": "n", "exp": NOW + 60, "iat": NOW});
    write(
        "token_entra",
        "id_token",
        &rs256(&rsa, json!({"alg": "RS256", "kid": "fuzz"}), entra),
    );

    write("key_material", "jwks", &rsa.jwks("k1"));
    write(
        "policy_json",
        "policy",
        include_str!("../fuzz/corpus_seed_policy.json"),
    );
    write(
        "policy_json",
        "groups",
        r#"{"SG-StackFlow-Admins": "super_admin", "SG-StackFlow-ReadOnly": "viewer"}"#,
    );
    write("policy_json", "path", "/itsm/tickets/42");
    write(
        "callback_url",
        "code",
        "http://127.0.0.1:5173/callback?code=abc&state=expected-state-value&session_state=x",
    );
    write(
        "callback_url",
        "error",
        "http://127.0.0.1:5173/callback?error=access_denied&error_description=AADSTS65001%3A+consent&state=expected-state-value",
    );
    write("key_material", "pem", ec.public_pem());

    // The claims_* targets take the claims segment alone (they sign it themselves): seeds
    // that pass, so mutations start next to every check.
    write(
        "claims_alb",
        "valid",
        &json!({"sub": "alice", "exp": NOW + 60, "iss": "https://login.example/v2.0",
                "nbf": NOW - 5, "iat": NOW - 5})
        .to_string(),
    );
    for (name, claims) in [
        (
            "access",
            json!({"sub": "u", "iss": iss, "token_use": "access", "client_id": "app",
                          "exp": NOW + 60, "iat": NOW - 5}),
        ),
        (
            "id",
            json!({"sub": "u", "iss": iss, "token_use": "id", "aud": ["app", "other"],
                      "exp": NOW + 60, "nbf": NOW - 5}),
        ),
    ] {
        write("claims_cognito", name, &claims.to_string());
    }
    write(
        "claims_entra",
        "valid",
        &json!({"iss": format!("http://127.0.0.1:4010/{tenant}/v2.0"), "tid": tenant,
                "aud": ["11111111-2222-3333-4444-555555555555", "api"],
                "azp": "11111111-2222-3333-4444-555555555555", "sub": "s", "nonce": "n",
                "exp": NOW + 60, "iat": NOW, "nbf": NOW})
        .to_string(),
    );

    write(
        "json_value",
        "claims",
        &json!({"sub": "u", "aud": ["a", "b"], "exp": NOW + 60, "auth_time": 1.5e9,
                "name": "Zoë \"Q\" \u{1F600}", "_claim_names": {"groups": "src1"},
                "hasgroups": true, "x": null})
        .to_string(),
    );
    write(
        "json_value",
        "escapes",
        r#"["\u0000\ud83d\ude00\/\b\f\n\r\t", -0, 1E400, 0.5e-7, {}, [[]]]"#,
    );
}
