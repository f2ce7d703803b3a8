//! Argument handling and output for the `entra-edge-auth` binary.

mod args;
mod assertion;
mod decode;
mod fetch;
mod verify;

const USAGE: &str = "usage:
  entra-edge-auth decode <jwt>
      Print header and claims (NOT VERIFIED), with exp/iat/nbf as UTC times.
  entra-edge-auth verify <jwt> [options]
      --source alb|cognito|entra   which verifier (else inferred from the options)
      --jwks FILE|URL              Cognito or Entra key set
      --alb-key FILE|URL           ALB PEM key file, or the ALB keys base URL (kid is appended)
      --region REGION              ALB region, for the default ALB keys URL
      --issuer ISS                 expected issuer (Cognito: required; ALB: optional)
      --audience AUD               Entra client id (or API id) expected in aud
      --client-id ID               Cognito app client id / ALB client id
      --signer ARN                 ALB load balancer ARN expected in the signer header
      --token-use access|id        Cognito token kind (default: both accepted)
      --tenant TENANT              Entra tenant GUID, organizations or common
      --nonce NONCE                Entra ID token nonce (default: not checked)
      --authority URL              Entra authority host (default https://login.microsoftonline.com)
      --at UNIX_SECONDS            verify as of this time (default: now)
      --skew SECONDS               clock skew allowed (default 60)
  entra-edge-auth verify-assertion <jws> --jwks FILE|URL --audience AUD [options]
      Origin's check of the edge gate's x-auth-assertion (ES256, kid from the JWKS).
      --jwks FILE|URL              the gate's key set (its public JWKS path, or a copy)
      --audience AUD               this origin (ASSERTION_AUDIENCE)
      --issuer ISS                 the gate (ASSERTION_ISSUER; default: not checked)
      --method M --path P          the request it came with (ASSERTION_BIND=request)
      --at UNIX_SECONDS            verify as of this time (default: now)
      --skew SECONDS               clock skew allowed (default 60)
Exit status: 0 verified, 1 rejected, 2 usage error.";

/// Runs the CLI and returns the process exit status.
pub fn run(argv: Vec<String>) -> i32 {
    let mut argv = argv.into_iter();
    let command = argv.next();
    let rest: Vec<String> = argv.collect();
    match command.as_deref() {
        Some("decode") => match rest.as_slice() {
            [token] => decode::run(token),
            _ => usage("decode takes exactly one token"),
        },
        Some("verify") => match args::VerifyArgs::parse(&rest) {
            Ok(args) => verify::run(&args),
            Err(why) => usage(&why),
        },
        Some("verify-assertion") => match assertion::AssertionArgs::parse(&rest) {
            Ok(args) => assertion::run(&args),
            Err(why) => usage(&why),
        },
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            0
        }
        _ => usage("expected a command"),
    }
}

fn usage(why: &str) -> i32 {
    eprintln!("error: {why}\n\n{USAGE}");
    2
}
