//! `verify-assertion`: origin's check of the gate's `x-auth-assertion`, from the command
//! line. The JWKS comes from a file or the gate's public URL; every decision is the
//! library's (`assertion::verify_assertion`, ES256 only).

use entra_edge_auth::assertion::{verify_assertion, Expected};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::{Error, ErrorCode, Result};

use super::args::{positional_and_options, whole_seconds};
use super::decode::{describe_times, now};
use super::fetch::{http_get, is_url, read_file};

/// The assertion and what origin expects of it.
#[derive(Debug, Default)]
pub struct AssertionArgs {
    pub assertion: String,
    pub jwks: String,
    pub expected: Expected,
    pub at: Option<u64>,
}

impl AssertionArgs {
    pub fn parse(argv: &[String]) -> std::result::Result<Self, String> {
        let mut args = AssertionArgs::default();
        args.expected.skew_secs = 60;
        let (mut jwks, mut audience, mut method, mut path) = (None, None, None, None);
        let (assertion, options) = positional_and_options(argv)?;
        args.assertion = assertion;
        for (arg, value) in options {
            match arg.as_str() {
                "--jwks" => jwks = Some(value),
                "--audience" => audience = Some(value),
                "--issuer" => args.expected.issuer = Some(value),
                "--method" => method = Some(value),
                "--path" => path = Some(value),
                "--at" | "--skew" => {
                    let n = whole_seconds(&arg, &value)?;
                    if arg == "--at" {
                        args.at = Some(n);
                    } else {
                        args.expected.skew_secs = n;
                    }
                }
                _ => return Err(format!("unknown option {arg}")),
            }
        }
        if args.assertion.is_empty() {
            return Err("verify-assertion needs an assertion".into());
        }
        args.jwks = jwks.ok_or("verify-assertion needs --jwks FILE|URL")?;
        args.expected.audience = audience.ok_or("verify-assertion needs --audience")?;
        args.expected.request = match (method, path) {
            (Some(method), Some(path)) => Some((method, path)),
            (None, None) => None,
            _ => return Err("--method and --path go together".into()),
        };
        Ok(args)
    }
}

pub fn run(args: &AssertionArgs) -> i32 {
    let now = args.at.unwrap_or_else(now);
    let checked = jwks(&args.jwks).and_then(|jwks| {
        verify_assertion(&args.assertion, &jwks, &args.expected, now, &RustCrypto)
    });
    match checked {
        Ok(claims) => {
            println!("VERIFIED (assertion)");
            println!(
                "claims:\n{}",
                serde_json::to_string_pretty(&claims).unwrap_or_default()
            );
            println!("times (UTC):\n{}", describe_times(&claims, now));
            0
        }
        Err(e) => {
            println!("REJECTED: {}\nerror code: {}", e.message(), e.code());
            1
        }
    }
}

/// The JWKS document from a file or an http(s) URL (a non-200 answer is an error).
fn jwks(location: &str) -> Result<Vec<u8>> {
    let (status, body) = if is_url(location) {
        http_get(location)?
    } else {
        read_file(location)?
    };
    if status != 200 {
        return Err(Error::new(
            ErrorCode::KeyFetchFailed,
            format!("{location} answered {status}"),
        ));
    }
    Ok(body)
}
