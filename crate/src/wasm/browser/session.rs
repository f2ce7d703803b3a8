//! The signed-in session as a record the JS module keeps (in memory, or as text in
//! `sessionStorage`), and the views of it JS hands to the app: the `Account` (made once,
//! when the ID token was verified) and the `OboResult`.
//!
//! Record, JSON: `access_token`, `access_expires_at`, `access_obtained_at` (Unix seconds),
//! `refresh_token` (or null), `id_token`, `account` (an `Account`), `obo` (an `OboResult`
//! or null), `resources` (tokens for other scope sets: scope key → `{access_token,
//! expires_at, obtained_at}`).

use wasm_bindgen::prelude::*;

use super::json::{self, Map, Value};
use crate::error::{Error, ErrorCode, Result};
use crate::jwt::VerifiedToken;
use crate::obo::OboTokens;

#[wasm_bindgen(typescript_custom_section)]
const TS_SESSION: &'static str = r#"
/** The signed-in user, from the verified ID token. */
export interface Account {
  /** `preferred_username` (usually the UPN or e-mail). */
  username: string;
  name?: string;
  email?: string;
  /** `oid`: the user's object id in the directory. */
  objectId: string;
  /** `tid`: the directory the user signed in to. */
  tenantId: string;
  /** `sub`: the user's id for this app. */
  subject: string;
  /** `groups`, when the app registration emits them. */
  groups: string[];
  /** Always true: an account exists only after the ID token's signature (WebCrypto),
   *  issuer, audience, nonce, expiry and tenant were checked. */
  verified: true;
  /** ID token expiry, Unix seconds. */
  expiresAt: number;
  /** Every verified ID token claim. */
  claims: Record<string, unknown>;
}

/** What the OBO endpoint answered (seed 003), in JS naming. */
export interface OboResult {
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  expiresIn: number;
  /** Unix seconds. */
  expiresAt: number;
  /** `stackflow_user_id`. */
  userId: string;
  roles: string[];
}
"#;

use crate::entra::renewal::needs_renewal;

/// A signed-in user's tokens and the account their ID token proved.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub access_expires_at: u64,
    /// When the access token arrived: with `access_expires_at`, its lifetime.
    pub access_obtained_at: u64,
    pub refresh_token: Option<String>,
    pub id_token: String,
    /// An `Account` object.
    pub account: Map,
    /// An `OboResult` object, once exchanged.
    pub obo: Option<Map>,
    /// Access tokens for other scope sets (other resources), by [`scope_key`].
    pub resources: Map,
}

/// The key of a scope set: its scopes sorted, space-separated (the order an app lists
/// them in does not make another token).
pub fn scope_key(scopes: &crate::entra::Scopes) -> String {
    // Sorted by insertion and joined by hand: the browser build has no other use for the
    // standard sort and join (a kilobyte of wasm between them).
    let mut list: Vec<&str> = Vec::new();
    for scope in scopes.iter() {
        let at = list.iter().position(|s| *s > scope).unwrap_or(list.len());
        list.insert(at, scope);
    }
    let mut key = String::new();
    for (i, scope) in list.iter().enumerate() {
        if i > 0 {
            key.push(' ');
        }
        key.push_str(scope);
    }
    key
}

/// The `Account` view of a verified ID token's claims.
pub fn account(verified: &VerifiedToken) -> Map {
    let claims = &verified.claims;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);
    let text = |value: Option<&str>| json::string(value.unwrap_or_default());
    let mut account = Map::new();
    account.insert(
        "username",
        text(claim("preferred_username").or_else(|| claim("email"))),
    );
    for (member, name) in [("name", "name"), ("email", "email")] {
        if let Some(value) = claim(name) {
            account.insert(member, json::string(value));
        }
    }
    account.insert("objectId", text(claim("oid")));
    account.insert("tenantId", text(claim("tid")));
    account.insert("subject", json::string(&verified.subject));
    let groups = claims
        .get("groups")
        .filter(|g| g.as_array().is_some())
        .cloned();
    account.insert("groups", groups.unwrap_or(Value::Array(Vec::new())));
    account.insert("verified", Value::Bool(true));
    account.insert("expiresAt", json::number(verified.expires_at));
    account.insert("claims", Value::Object(claims.clone()));
    account
}

/// The `OboResult` view (JSON text) of the OBO answer that arrived at `now`.
pub fn obo_result(tokens: &OboTokens, now: u64) -> String {
    let mut result = json::ObjectWriter::new();
    result
        .string("accessToken", tokens.access_token.secret())
        .number("expiresAt", tokens.expires_at(now))
        .number("expiresIn", tokens.expires_in)
        .string("idToken", tokens.id_token.secret());
    if let Some(refresh) = &tokens.refresh_token {
        result.string("refreshToken", refresh.secret());
    }
    result
        .raw(
            "roles",
            &json::string_array(tokens.roles.iter().map(String::as_str)),
        )
        .string("userId", &tokens.stackflow_user_id)
        .finish()
}

fn not_signed_in() -> Error {
    Error::fixed(
        ErrorCode::LoginRequired,
        "nobody is signed in: call login() first",
    )
}

impl Session {
    /// The record from its text; `login_required` when there is none or it is unreadable
    /// (a session that cannot be read is no session).
    pub fn read(text: Option<&str>) -> Result<Session> {
        text.and_then(Session::from_json).ok_or_else(not_signed_in)
    }

    fn from_json(text: &str) -> Option<Session> {
        let Ok(Value::Object(record)) = json::parse(text) else {
            return None;
        };
        let string = |name: &str| record.get(name)?.as_str().map(str::to_owned);
        let seconds = |name: &str| record.get(name)?.as_u64();
        let object = |name: &str| match record.get(name) {
            Some(Value::Object(map)) => Some(map.clone()),
            _ => None,
        };
        Some(Session {
            access_token: string("access_token")?,
            access_expires_at: seconds("access_expires_at")?,
            access_obtained_at: seconds("access_obtained_at")?,
            refresh_token: string("refresh_token"),
            id_token: string("id_token")?,
            account: object("account")?,
            obo: object("obo"),
            resources: object("resources").unwrap_or_default(),
        })
    }

    pub fn to_json(&self) -> String {
        let mut record = json::ObjectWriter::new();
        record
            .number("access_expires_at", self.access_expires_at)
            .number("access_obtained_at", self.access_obtained_at)
            .string("access_token", &self.access_token)
            .object("account", &self.account)
            .string("id_token", &self.id_token);
        match &self.obo {
            Some(obo) => record.object("obo", obo),
            None => record.raw("obo", "null"),
        };
        record
            .optional("refresh_token", self.refresh_token.as_deref())
            .object("resources", &self.resources)
            .finish()
    }

    /// A claim of the verified ID token.
    pub fn claim(&self, name: &str) -> Option<&str> {
        match self.account.get("claims") {
            Some(Value::Object(claims)) => claims.get(name)?.as_str(),
            _ => None,
        }
    }

    /// The `sub` the session was verified for.
    pub fn subject(&self) -> &str {
        self.account
            .get("subject")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Whether the access token still has more than the renewal margin to live.
    pub fn is_fresh(&self, now: u64, margin: u64) -> bool {
        !needs_renewal(self.access_obtained_at, self.access_expires_at, now, margin)
    }

    /// The app token (the OBO answer's `accessToken`) while it has more than the margin to
    /// live, else `None` (none yet, or due for renewal).
    pub fn fresh_app_token(&self, now: u64, margin: u64) -> Option<&str> {
        let obo = self.obo.as_ref()?;
        let expires_at = obo.get("expiresAt")?.as_u64()?;
        let obtained_at = expires_at.saturating_sub(obo.get("expiresIn")?.as_u64()?);
        if needs_renewal(obtained_at, expires_at, now, margin) {
            return None;
        }
        obo.get("accessToken")?.as_str().filter(|t| !t.is_empty())
    }

    /// The access token kept for the scope set `key` while it has more than the margin to
    /// live.
    pub fn fresh_resource_token(&self, key: &str, now: u64, margin: u64) -> Option<&str> {
        let Some(Value::Object(token)) = self.resources.get(key) else {
            return None;
        };
        let expires_at = token.get("expires_at")?.as_u64()?;
        let obtained_at = token.get("obtained_at")?.as_u64()?;
        if needs_renewal(obtained_at, expires_at, now, margin) {
            return None;
        }
        token.get("access_token")?.as_str()
    }

    /// Keeps `access_token` for the scope set `key`, obtained at `now`.
    pub fn keep_resource_token(
        &mut self,
        key: &str,
        access_token: &str,
        now: u64,
        expires_at: u64,
    ) {
        let mut token = Map::new();
        token.insert("access_token", json::string(access_token));
        token.insert("expires_at", json::number(expires_at));
        token.insert("obtained_at", json::number(now));
        self.resources.insert(key, Value::Object(token));
    }
}

/// The refresh rule's edges (issue 14): just inside and just outside the margin, for a
/// normal lifetime, a short one (half the lifetime) and the shortest ones.
#[cfg(test)]
mod refresh_margin_tests {
    use super::*;

    fn session(obtained_at: u64, expires_at: u64) -> Session {
        Session {
            access_token: "at".into(),
            access_expires_at: expires_at,
            access_obtained_at: obtained_at,
            refresh_token: None,
            id_token: "id".into(),
            account: Map::new(),
            obo: None,
            resources: Map::new(),
        }
    }

    const T: u64 = 1_800_000_000;
    /// The default renewal margin (five minutes).
    const M: u64 = crate::entra::renewal::DEFAULT_RENEWAL_MARGIN_SECS;

    #[test]
    fn an_hour_token_is_fresh_until_five_minutes_are_left() {
        let s = session(T, T + 3600);
        assert!(s.is_fresh(T + 3600 - 301, M));
        assert!(!s.is_fresh(T + 3600 - 300, M));
        assert!(!s.is_fresh(T + 3600, M));
        assert!(!s.is_fresh(T + 7200, M));
    }

    #[test]
    fn a_ten_minute_token_has_the_full_margin() {
        let s = session(T, T + 600);
        assert!(s.is_fresh(T + 299, M));
        assert!(!s.is_fresh(T + 300, M));
    }

    #[test]
    fn a_short_token_refreshes_at_half_its_lifetime() {
        let s = session(T, T + 120);
        assert!(s.is_fresh(T + 59, M));
        assert!(!s.is_fresh(T + 60, M));
        let s = session(T, T + 3);
        assert!(s.is_fresh(T + 1, M));
        assert!(!s.is_fresh(T + 2, M));
    }

    #[test]
    fn a_one_second_or_spent_token_is_never_fresh_at_its_expiry() {
        let s = session(T, T + 1);
        assert!(s.is_fresh(T, M));
        assert!(!s.is_fresh(T + 1, M));
        // Expiry at arrival (a bad answer): refreshed at once.
        assert!(!session(T, T).is_fresh(T, M));
    }
}
