//! What a verified token tells us: who, from which source, with which roles.

use serde::Serialize;

use crate::json::Map;

/// Where a token came from. Each source has its own verifier and its own algorithm
/// allow-list; the token header never chooses between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// AWS ALB's `x-amzn-oidc-data` (ES256).
    Alb,
    /// A Cognito access token (`token_use: access`, RS256).
    CognitoAccess,
    /// A Cognito ID token (`token_use: id`, RS256).
    CognitoId,
    /// A Microsoft Entra ID v2 ID token (RS256).
    Entra,
}

impl TokenSource {
    /// The name used in policies and in `x-auth-source`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenSource::Alb => "alb",
            TokenSource::CognitoAccess => "cognito_access",
            TokenSource::CognitoId => "cognito_id",
            TokenSource::Entra => "entra",
        }
    }

    pub fn parse(name: &str) -> Option<TokenSource> {
        match name {
            "alb" => Some(TokenSource::Alb),
            "cognito_access" => Some(TokenSource::CognitoAccess),
            "cognito_id" => Some(TokenSource::CognitoId),
            "entra" => Some(TokenSource::Entra),
            _ => None,
        }
    }

    /// The family name forwarded in `x-auth-source` (`alb`, `cognito`, `entra`).
    pub fn family(self) -> &'static str {
        match self {
            TokenSource::Alb => "alb",
            TokenSource::CognitoAccess | TokenSource::CognitoId => "cognito",
            TokenSource::Entra => "entra",
        }
    }
}

/// A verified identity: only the verifiers construct one with claims from a token
/// whose signature and claims were checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    pub source: TokenSource,
    /// The `sub` claim.
    pub subject: String,
    /// Roles collected from the claims (see [`crate::roles`]).
    pub roles: Vec<String>,
    /// Scopes the access token grants (see [`crate::scopes`]); empty for ID and ALB tokens.
    pub scopes: Vec<String>,
    /// The token says the user has more groups than fit in it (Entra group overage), so
    /// `roles` may be incomplete.
    pub groups_overage: bool,
    /// `exp`, Unix seconds.
    pub expires_at: u64,
    /// All claims, as verified.
    pub claims: Map,
}
