//! The debug CLI, run as a process: decode, verify from files and from a key server on
//! 127.0.0.1, exit codes.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

use common::*;
use serde_json::json;

fn cli(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_entra-edge-auth"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn temp_file(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("eea-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

fn alb_token() -> String {
    let header = json!({"alg": "ES256", "kid": ALB_KID, "signer": ALB_ARN, "exp": NOW + 60});
    let claims = json!({"sub": "alice", "exp": NOW + 60, "iat": NOW});
    es256(&EcSigner::fixture("p256-a"), header, claims, true)
}

#[test]
fn decode_prints_claims_times_and_not_verified() {
    let (code, out) = cli(&["decode", &alb_token()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("NOT VERIFIED"));
    assert!(out.contains("\"sub\": \"alice\""));
    assert!(out.contains("exp: 2027-01-15T08:01:00Z"), "{out}");
    assert!(out.contains("EXPIRED") || out.contains("expires in"));
}

#[test]
fn decode_rejects_garbage() {
    let (code, out) = cli(&["decode", "not-a-token"]);
    assert_eq!(code, 1);
    assert!(out.contains("malformed_token"), "{out}");
}

#[test]
fn verify_alb_with_pem_file() {
    let pem = temp_file("alb.pem", EcSigner::fixture("p256-a").public_pem());
    let at = NOW.to_string();
    let (code, out) = cli(&[
        "verify",
        &alb_token(),
        "--alb-key",
        &pem,
        "--signer",
        ALB_ARN,
        "--at",
        &at,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VERIFIED (alb)"), "{out}");
}

#[test]
fn verify_reports_the_error_code_and_exits_1() {
    let pem = temp_file("alb2.pem", EcSigner::fixture("p256-a").public_pem());
    let later = (NOW + 3600).to_string();
    let (code, out) = cli(&[
        "verify",
        &alb_token(),
        "--alb-key",
        &pem,
        "--signer",
        ALB_ARN,
        "--at",
        &later,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error code: token_expired"), "{out}");
    let at = NOW.to_string();
    let (code, out) = cli(&[
        "verify",
        &alb_token(),
        "--alb-key",
        &pem,
        "--signer",
        "arn:other",
        "--at",
        &at,
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("error code: signer_mismatch"), "{out}");
}

#[test]
fn verify_without_a_source_is_a_usage_error() {
    let (code, out) = cli(&["verify", &alb_token()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid_config"), "{out}");
    let (code, _) = cli(&["verify", &alb_token(), "--at", "soon"]);
    assert_eq!(code, 2);
}

/// A one-shot key server on 127.0.0.1 that records the path it was asked for.
fn serve_once(body: String) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).unwrap();
        let request = String::from_utf8_lossy(&buf[..n]).into_owned();
        let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
            body.len(),
            body
        );
        stream.write_all(response.as_bytes()).unwrap();
        path
    });
    (base, handle)
}

#[test]
fn verify_cognito_fetching_jwks_from_a_key_server() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let (base, server) = serve_once(signer.jwks("c1"));
    let issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1";
    let token = rs256(
        &signer,
        json!({"alg": "RS256", "kid": "c1"}),
        json!({"sub": "u1", "iss": issuer, "token_use": "access", "client_id": "app1", "exp": NOW + 60}),
    );
    let jwks_url = format!("{base}/pool/.well-known/jwks.json");
    let at = NOW.to_string();
    let (code, out) = cli(&[
        "verify",
        &token,
        "--issuer",
        issuer,
        "--jwks",
        &jwks_url,
        "--client-id",
        "app1",
        "--token-use",
        "access",
        "--at",
        &at,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VERIFIED (cognito_access)"));
    assert_eq!(server.join().unwrap(), "/pool/.well-known/jwks.json");
}

/// An assertion as the gate makes it (the core's claims, an ES256 signature), with the
/// JWKS the gate would publish for its key (RFC 7515 A.3's).
fn gate_assertion(bound: Option<entra_edge_auth::assertion::BoundRequest<'_>>) -> (String, String) {
    use entra_edge_auth::assertion::{
        compact, jwks_document, unsigned, AssertionSettings, Binding, SigningKey,
    };
    use entra_edge_auth::identity::{Identity, TokenSource};
    use p256::ecdsa::signature::Signer;
    let d = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
    let jwk = format!(
        r#"{{"kty":"EC","crv":"P-256","d":"{d}","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}}"#
    );
    let key = SigningKey::parse(&jwk).unwrap();
    let settings = AssertionSettings {
        issuer: "https://gate.example".into(),
        audience: "https://origin.example".into(),
        ttl_secs: 60,
        binding: if bound.is_some() {
            Binding::Request
        } else {
            Binding::Token
        },
    };
    let identity = Identity {
        source: TokenSource::Alb,
        subject: "alice".into(),
        roles: vec!["viewer".into()],
        scopes: Vec::new(),
        groups_overage: false,
        expires_at: NOW + 600,
        claims: Default::default(),
    };
    let out = unsigned(&settings, key.kid(), &identity, NOW, bound).unwrap();
    use base64::Engine;
    let scalar = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(d)
        .unwrap();
    let signer = p256::ecdsa::SigningKey::from_slice(&scalar).unwrap();
    let signature: p256::ecdsa::Signature = signer.sign(out.signing_input.as_bytes());
    (
        compact(&out.signing_input, &signature.to_bytes()),
        jwks_document(&[&key]),
    )
}

#[test]
fn verify_assertion_with_a_jwks_file() {
    let (assertion, jwks) = gate_assertion(None);
    let jwks = temp_file("gate-jwks.json", &jwks);
    let at = NOW.to_string();
    let base = [
        "verify-assertion",
        &assertion,
        "--jwks",
        &jwks,
        "--at",
        &at,
        "--issuer",
        "https://gate.example",
    ];
    let (code, out) = cli(&[&base[..], &["--audience", "https://origin.example"]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VERIFIED (assertion)") && out.contains("\"sub\": \"alice\""));
    let (code, out) = cli(&[&base[..], &["--audience", "https://other.example"]].concat());
    assert_eq!(code, 1);
    assert!(out.contains("error code: audience_mismatch"), "{out}");
    // Past its exp (60 s), allowing the default 60 s of skew.
    let late = (NOW + 120).to_string();
    let (code, out) = cli(&[
        "verify-assertion",
        &assertion,
        "--jwks",
        &jwks,
        "--audience",
        "https://origin.example",
        "--at",
        &late,
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("token_expired"), "{out}");
}

#[test]
fn verify_assertion_checks_the_binding_when_asked() {
    let bound = entra_edge_auth::assertion::BoundRequest {
        method: "GET",
        path: "/itsm/tickets",
        id: "j1",
    };
    let (assertion, jwks) = gate_assertion(Some(bound));
    let jwks = temp_file("gate-jwks-bound.json", &jwks);
    let at = NOW.to_string();
    let run = |method: &str, path: &str| {
        cli(&[
            "verify-assertion",
            &assertion,
            "--jwks",
            &jwks,
            "--audience",
            "https://origin.example",
            "--at",
            &at,
            "--method",
            method,
            "--path",
            path,
        ])
    };
    assert_eq!(run("GET", "/itsm/tickets").0, 0);
    let (code, out) = run("GET", "/admin");
    assert_eq!(code, 1);
    assert!(out.contains("binding_mismatch"), "{out}");
    assert_eq!(run("DELETE", "/itsm/tickets").0, 1);
}

#[test]
fn verify_assertion_usage_errors() {
    let (assertion, _) = gate_assertion(None);
    for args in [
        vec!["verify-assertion", &assertion, "--audience", "a"],
        vec!["verify-assertion", &assertion, "--jwks", "f"],
        vec!["verify-assertion", "--jwks", "f", "--audience", "a"],
        vec![
            "verify-assertion",
            &assertion,
            "--jwks",
            "f",
            "--audience",
            "a",
            "--method",
            "GET",
        ],
    ] {
        assert_eq!(cli(&args).0, 2, "{args:?}");
    }
}
