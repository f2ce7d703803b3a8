//! What the adapter keeps: the signed-in session (memory, or `sessionStorage` when asked)
//! and the pending logins (always `sessionStorage`, since they must survive the redirect).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::config::TokenStorage;
use super::platform::{keys_with_prefix, session_storage};
use crate::entra::{AccessToken, IdToken, PendingLogin, RefreshToken};
use crate::error::{Error, ErrorCode, Result};
use crate::obo::OboTokens;

/// A signed-in user's tokens. The ID token's claims were verified when it arrived.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub access_token: AccessToken,
    /// Unix seconds.
    pub access_expires_at: u64,
    /// When the access token arrived: with `access_expires_at`, its lifetime.
    pub access_obtained_at: u64,
    pub refresh_token: Option<RefreshToken>,
    pub id_token: IdToken,
    pub claims: Map<String, Value>,
    /// The OBO endpoint's answer, once exchanged.
    pub obo: Option<OboSession>,
}

/// The OBO answer and when its access token expires.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OboSession {
    pub tokens: OboTokens,
    pub expires_at: u64,
}

/// The core's verified claims in the form this adapter stores them (serde_json's tree).
pub fn stored_claims(claims: &crate::json::Map) -> Map<String, Value> {
    serde_json::from_slice(claims.to_json().as_bytes()).unwrap_or_default()
}

impl Session {
    /// A string claim of the ID token.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// Where the session lives: memory only, or mirrored to `sessionStorage`.
pub struct SessionStore {
    mode: TokenStorage,
    key: String,
    current: Option<Session>,
}

impl SessionStore {
    /// With `session` storage, picks up what this tab stored before a reload.
    pub fn new(mode: TokenStorage, prefix: &str) -> Self {
        let key = format!("{prefix}:session");
        let current = match mode {
            TokenStorage::Memory => None,
            TokenStorage::Session => session_storage()
                .ok()
                .and_then(|s| s.get_item(&key).ok().flatten())
                .and_then(|json| serde_json::from_slice(json.as_bytes()).ok()),
        };
        SessionStore { mode, key, current }
    }

    pub fn get(&self) -> Option<&Session> {
        self.current.as_ref()
    }

    pub fn set(&mut self, session: Session) -> Result<()> {
        if self.mode == TokenStorage::Session {
            let json = serde_json::to_string(&session).map_err(|e| {
                Error::new(
                    ErrorCode::InvalidConfig,
                    format!("cannot store the session: {e}"),
                )
            })?;
            session_storage()?.set_item(&self.key, &json).map_err(|_| {
                Error::new(
                    ErrorCode::InvalidConfig,
                    "sessionStorage refused the session (full or blocked)",
                )
            })?;
        }
        self.current = Some(session);
        Ok(())
    }

    /// Forgets every token, in memory and in `sessionStorage` (whatever the mode, so a
    /// mode change between page loads leaves nothing behind).
    pub fn clear(&mut self) {
        self.current = None;
        if let Ok(storage) = session_storage() {
            let _ = storage.remove_item(&self.key);
        }
    }
}

/// Pending logins in `sessionStorage`, one per `state`, each used at most once.
pub struct PendingStore {
    prefix: String,
}

impl PendingStore {
    pub fn new(prefix: &str) -> Self {
        PendingStore {
            prefix: format!("{prefix}:pending:"),
        }
    }

    pub fn save(&self, pending: &PendingLogin) -> Result<()> {
        let key = format!("{}{}", self.prefix, pending.state.secret());
        session_storage()?
            .set_item(&key, &pending.to_json())
            .map_err(|_| {
                Error::new(
                    ErrorCode::InvalidConfig,
                    "sessionStorage refused the pending login (full or blocked)",
                )
            })
    }

    /// Removes and returns the login started with `state`. Removed first, so that a
    /// replayed callback finds nothing, whatever happens next.
    pub fn take(&self, state: &str) -> Result<PendingLogin> {
        let storage = session_storage()?;
        let key = format!("{}{state}", self.prefix);
        let json = storage.get_item(&key).ok().flatten();
        let _ = storage.remove_item(&key);
        match json {
            Some(json) => PendingLogin::from_json(&json),
            None => Err(Error::new(
                ErrorCode::UnknownState,
                "this callback does not belong to a login started in this tab (unknown, already used or expired state): start the login again",
            )),
        }
    }

    /// Drops pending logins older than ten minutes (or unreadable).
    pub fn prune(&self, now: u64) {
        let Ok(storage) = session_storage() else {
            return;
        };
        for key in keys_with_prefix(&storage, &self.prefix) {
            let expired = storage
                .get_item(&key)
                .ok()
                .flatten()
                .and_then(|json| PendingLogin::from_json(&json).ok())
                .map_or(true, |p| p.is_expired(now));
            if expired {
                let _ = storage.remove_item(&key);
            }
        }
    }

    pub fn clear_all(&self) {
        if let Ok(storage) = session_storage() {
            for key in keys_with_prefix(&storage, &self.prefix) {
                let _ = storage.remove_item(&key);
            }
        }
    }
}
