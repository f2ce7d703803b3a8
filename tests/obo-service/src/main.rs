//! The local OBO exchange service: `local-obo-service CONFIG.json`.
//!
//! Routes (CORS for the configured origins):
//! - `POST /obo/exchange`: seed 003's contract (see [`exchange`]);
//! - `GET /.well-known/jwks.json`: the key the app tokens are signed with (the edge worker
//!   in front of the demo's origin API verifies them with it);
//! - `GET /health`;
//! - `POST /test/rotate-key?publish=true|false` when `test_controls` is set: a new signing
//!   key, served in the JWKS or not (the browser tests' key rotation).
//!
//! Requests are handled one at a time: this serves a demo and its tests, not traffic.

mod cognito;
mod config;
mod exchange;

use std::io::Read as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use entra_edge_auth::keys::{HttpAnswer, MAX_KEY_DOCUMENT_BYTES};
use entra_edge_auth::{Error, ErrorCode};
use tiny_http::{Header, Method, Request, Response, Server};

use cognito::CognitoIssuer;
use config::Config;
use exchange::{Exchange, Refusal};

/// Largest request body read: an Entra access token is a few KB.
const MAX_BODY_BYTES: u64 = 64 * 1024;

fn main() {
    if let Err(message) = run() {
        eprintln!("local-obo-service: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: local-obo-service CONFIG.json")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let config = Config::from_json(&text)?;
    let issuer = CognitoIssuer::new(config.cognito.clone())?;
    let mut exchange = Exchange::new(&config, issuer)?;
    let server = Server::http(&config.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    println!("local-obo-service listening on http://{}", config.listen);

    for mut request in server.incoming_requests() {
        let origin = header(&request, "Origin");
        let cors_origin = origin.filter(|o| config.cors_origins.iter().any(|c| c == o));
        let (status, body) = answer(&mut request, &mut exchange, config.test_controls);
        let mut headers = vec![
            ("Content-Type", "application/json".to_owned()),
            ("Cache-Control", "no-store".to_owned()),
        ];
        if let Some(origin) = cors_origin {
            headers.extend([
                ("Access-Control-Allow-Origin", origin),
                ("Vary", "Origin".to_owned()),
                (
                    "Access-Control-Allow-Methods",
                    "GET, POST, OPTIONS".to_owned(),
                ),
                (
                    "Access-Control-Allow-Headers",
                    "Content-Type, Authorization".to_owned(),
                ),
                ("Access-Control-Max-Age", "600".to_owned()),
            ]);
        }
        let mut response = Response::from_string(body).with_status_code(status);
        for (name, value) in headers {
            // Constants, or an origin already matched against the configuration.
            if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        }
        let _ = request.respond(response);
    }
    Ok(())
}

/// Routes one request; returns status and JSON body.
fn answer(request: &mut Request, exchange: &mut Exchange, test_controls: bool) -> (u16, String) {
    let path = request.url().split('?').next().unwrap_or("").to_owned();
    let publish = !request.url().contains("publish=false");
    let now = unix_now();
    let result = match (request.method(), path.as_str()) {
        (Method::Options, _) => Ok(String::new()),
        (Method::Post, "/obo/exchange") => match read_body(request) {
            Ok(body) => exchange.handle(&body, now, &mut fetch),
            Err(refusal) => Err(refusal),
        },
        (Method::Get, "/.well-known/jwks.json") => Ok(exchange.issuer().jwks()),
        (Method::Get, "/health") => Ok(r#"{"status":"ok"}"#.to_owned()),
        (Method::Post, "/test/rotate-key") if test_controls => exchange
            .rotate_key(publish)
            .map(|()| r#"{"rotated":true}"#.to_owned())
            .map_err(|e| Refusal::other(500, "internal_error", &e)),
        _ => Err(Refusal::other(404, "not_found", "no such route")),
    };
    let (status, body) = match result {
        Ok(body) if request.method() == &Method::Options => (204, body),
        Ok(body) => (200, body),
        Err(refusal) => (refusal.status, refusal.body),
    };
    println!("{} {path} -> {status}", request.method());
    (status, body)
}

fn read_body(request: &mut Request) -> Result<Vec<u8>, Refusal> {
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| Refusal::other(400, "invalid_request", &format!("unreadable body: {e}")))?;
    if body.len() as u64 > MAX_BODY_BYTES {
        return Err(Refusal::other(
            413,
            "invalid_request",
            "the body is too large",
        ));
    }
    Ok(body)
}

/// GETs a key document for the core's key cache. Plain http only (the local provider).
fn fetch(url: &str) -> entra_edge_auth::Result<HttpAnswer> {
    let failed = |why: String| Error::new(ErrorCode::KeyFetchFailed, format!("{url}: {why}"));
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .redirects(0)
        .build();
    let response = match agent.get(url).call() {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => return Err(failed(e.to_string())),
    };
    let status = response.status();
    let mut body = Vec::new();
    response
        .into_reader()
        .take(MAX_KEY_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| failed(e.to_string()))?;
    Ok((status, body))
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_owned())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
