//! The Cognito side: a local RS256 key, its JWKS, and tokens shaped like a Cognito user
//! pool's (`iss` `https://cognito-idp.<region>.amazonaws.com/<pool>`, `token_use`,
//! `client_id`, `cognito:groups`, `custom:role`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwt_compact::alg::{Rsa, RsaPrivateKey};
use jwt_compact::{AlgorithmExt as _, Claims, Header};
use rsa::traits::PublicKeyParts as _;
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

use crate::config::CognitoSettings;

/// Who the app tokens are for, taken from the verified Entra token.
#[derive(Debug, Clone)]
pub struct Subject {
    pub tenant_id: String,
    pub oid: String,
    pub username: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<String>,
    /// Entra's `acrs`: authentication contexts the sign-in satisfied.
    pub acrs: Vec<String>,
}

/// The tokens one exchange issues.
#[derive(Debug)]
pub struct AppTokens {
    pub access_token: String,
    pub id_token: String,
    pub refresh_token: String,
    pub user_id: String,
}

/// Signs Cognito-shaped tokens with a key made at start-up (a restart invalidates them,
/// which a local stack can afford).
pub struct CognitoIssuer {
    settings: CognitoSettings,
    key: RsaPrivateKey,
    kid: String,
    /// The key the JWKS serves: the signing key, unless a test rotated without publishing.
    published: (RsaPrivateKey, String),
}

fn new_key() -> Result<(RsaPrivateKey, String), String> {
    let key = RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
        .map_err(|e| format!("could not make an RSA key: {e}"))?;
    let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(key.n().to_bytes_be())[..16]);
    Ok((key, kid))
}

impl CognitoIssuer {
    pub fn new(settings: CognitoSettings) -> Result<Self, String> {
        let (key, kid) = new_key()?;
        Ok(CognitoIssuer {
            settings,
            published: (key.clone(), kid.clone()),
            key,
            kid,
        })
    }

    /// A new signing key; published in the JWKS (alone) when `publish`.
    pub fn rotate(&mut self, publish: bool) -> Result<(), String> {
        let (key, kid) = new_key()?;
        if publish {
            self.published = (key.clone(), kid.clone());
        }
        self.key = key;
        self.kid = kid;
        Ok(())
    }

    pub fn issuer(&self) -> String {
        self.settings.issuer()
    }

    /// `{"keys": [...]}`, as Cognito serves at `{issuer}/.well-known/jwks.json`.
    pub fn jwks(&self) -> String {
        json!({ "keys": [{
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.published.1,
            "n": URL_SAFE_NO_PAD.encode(self.published.0.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.published.0.e().to_bytes_be()),
        }]})
        .to_string()
    }

    /// An access token, an ID token and an opaque refresh token for `subject`.
    pub fn issue(&self, subject: &Subject, now: u64, ttl: u64) -> Result<AppTokens, String> {
        let digest = Sha256::digest(format!("{}:{}", subject.tenant_id, subject.oid));
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        // Cognito's `sub` is a UUID; derive a stable one so a user keeps it across logins.
        let sub = format!(
            "{}-{}-4{}-8{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        );
        let user_id = format!("usr_{}", &hex[32..48]);
        let issuer = self.issuer();
        let username = format!("AzureAD_{}", subject.username);

        let mut common = Map::new();
        common.insert("sub".into(), json!(sub));
        common.insert("iss".into(), json!(issuer));
        common.insert("auth_time".into(), json!(now));
        common.insert("iat".into(), json!(now));
        common.insert("exp".into(), json!(now + ttl));
        if !subject.roles.is_empty() {
            // Cognito omits the claim for a user in no group.
            common.insert("cognito:groups".into(), json!(subject.roles));
            // The most privileged role: the mapping table lists roles in that order.
            common.insert("custom:role".into(), json!(subject.roles[0]));
        }

        let mut access = common.clone();
        access.insert("token_use".into(), json!("access"));
        access.insert("client_id".into(), json!(self.settings.app_client_id));
        access.insert("scope".into(), json!("openid profile email"));
        access.insert("username".into(), json!(username));
        access.insert("jti".into(), json!(random_id()?));
        access.insert("version".into(), json!(2));
        if !subject.acrs.is_empty() {
            access.insert("acrs".into(), json!(subject.acrs));
        }

        let mut id = common;
        id.insert("token_use".into(), json!("id"));
        id.insert("aud".into(), json!(self.settings.app_client_id));
        id.insert("cognito:username".into(), json!(username));
        id.insert("custom:tenant_id".into(), json!(subject.tenant_id));
        id.insert("custom:stackflow_user_id".into(), json!(user_id));
        id.insert("jti".into(), json!(random_id()?));
        for (claim, value) in [("name", &subject.name), ("email", &subject.email)] {
            if let Some(value) = value {
                id.insert(claim.into(), json!(value));
            }
        }

        Ok(AppTokens {
            access_token: self.sign(access)?,
            id_token: self.sign(id)?,
            // Cognito's refresh tokens are opaque to clients; so is this one.
            refresh_token: random_id()?,
            user_id,
        })
    }

    fn sign(&self, claims: Map<String, Value>) -> Result<String, String> {
        let header = Header::empty()
            .with_key_id(self.kid.clone())
            .with_token_type("JWT");
        Rsa::rs256()
            .token(&header, &Claims::new(claims), &self.key)
            .map_err(|e| format!("could not sign a token: {e}"))
    }
}

fn random_id() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut bytes)
        .map_err(|e| format!("no random source: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
