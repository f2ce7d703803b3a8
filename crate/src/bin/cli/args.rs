//! `verify` options.

use entra_edge_auth::jwt::TokenUse;

#[derive(Debug, Default)]
pub struct VerifyArgs {
    pub token: String,
    pub source: Option<String>,
    pub jwks: Option<String>,
    pub alb_key: Option<String>,
    pub region: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub client_id: Option<String>,
    pub signer: Option<String>,
    pub token_use: Option<TokenUse>,
    pub tenant: Option<String>,
    pub nonce: Option<String>,
    pub authority: Option<String>,
    pub at: Option<u64>,
    pub skew: Option<u64>,
}

/// A command's arguments: one positional value (the token; a second is an error) and
/// `--option value` pairs, in order.
pub fn positional_and_options(argv: &[String]) -> Result<(String, Vec<(String, String)>), String> {
    let (mut positional, mut options) = (String::new(), Vec::new());
    let mut it = argv.iter();
    while let Some(arg) = it.next() {
        if !arg.starts_with("--") {
            if !positional.is_empty() {
                return Err(format!("unexpected argument {arg:?}"));
            }
            positional = arg.trim().to_owned();
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
        options.push((arg.clone(), value.clone()));
    }
    Ok((positional, options))
}

/// `--at` / `--skew`: whole seconds.
pub fn whole_seconds(option: &str, value: &str) -> Result<u64, String> {
    value
        .parse::<u64>()
        .map_err(|_| format!("{option} takes whole seconds, not {value:?}"))
}

impl VerifyArgs {
    pub fn parse(argv: &[String]) -> Result<Self, String> {
        let mut args = VerifyArgs::default();
        let (token, options) = positional_and_options(argv)?;
        args.token = token;
        for (arg, value) in options {
            let slot = match arg.as_str() {
                "--source" => &mut args.source,
                "--jwks" => &mut args.jwks,
                "--alb-key" => &mut args.alb_key,
                "--region" => &mut args.region,
                "--issuer" => &mut args.issuer,
                "--audience" => &mut args.audience,
                "--client-id" => &mut args.client_id,
                "--signer" => &mut args.signer,
                "--tenant" => &mut args.tenant,
                "--nonce" => &mut args.nonce,
                "--authority" => &mut args.authority,
                "--token-use" => {
                    args.token_use =
                        Some(TokenUse::parse(&value).ok_or_else(|| {
                            format!("--token-use is access or id, not {value:?}")
                        })?);
                    continue;
                }
                "--at" | "--skew" => {
                    let n = whole_seconds(&arg, &value)?;
                    if arg == "--at" {
                        args.at = Some(n);
                    } else {
                        args.skew = Some(n);
                    }
                    continue;
                }
                _ => return Err(format!("unknown option {arg}")),
            };
            *slot = Some(value);
        }
        if args.token.is_empty() {
            return Err("verify needs a token".into());
        }
        Ok(args)
    }

    /// `--source`, or the source the other options imply.
    pub fn source(&self) -> Result<&str, String> {
        if let Some(source) = &self.source {
            return match source.as_str() {
                "alb" | "cognito" | "entra" => Ok(source),
                other => Err(format!("--source is alb, cognito or entra, not {other:?}")),
            };
        }
        if self.alb_key.is_some() || self.signer.is_some() {
            Ok("alb")
        } else if self.token_use.is_some()
            || self
                .issuer
                .as_deref()
                .is_some_and(|i| i.contains("cognito-idp."))
        {
            Ok("cognito")
        } else if self.audience.is_some() || self.tenant.is_some() {
            Ok("entra")
        } else {
            Err("cannot tell the token source: give --source, or the options of one source".into())
        }
    }
}
