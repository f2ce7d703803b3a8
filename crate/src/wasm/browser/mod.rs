//! The browser adapter: `EntraAuth`, Entra ID login for single-page apps.
//!
//! Authorization code flow with PKCE S256; the ID token is verified with the core's Entra
//! verifier and WebCrypto; refresh with Entra's SPA refresh tokens; the OBO exchange of
//! seed 003; logout through Entra's end-session endpoint, told to the app's other tabs.
//!
//! - [`config`]: the constructor's settings;
//! - [`client`]: the flow (what to request, in which order; the core decides);
//! - [`store`]: the session (memory or `sessionStorage`) and pending logins;
//! - [`platform`]: `fetch`, storage, clock, address bar;
//! - [`js`]: TypeScript declarations and conversions to JS objects.

mod client;
mod config;
mod js;
mod platform;
mod store;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::error::Error;
use crate::wasm::js_error;
use client::{Client, Failure};
use config::BrowserConfig;

/// The message other tabs of the app receive on logout.
const SIGN_OUT_MESSAGE: &str = "signed-out";

fn throw(error: Error) -> JsValue {
    js_error::to_js(&error)
}

/// One `future_to_promise` instantiation for every async method (each generic copy of the
/// promise glue costs kilobytes of wasm).
fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    future_to_promise(boxed)
}

/// Entra ID sign-in for a single-page app.
///
/// ```js
/// import init, { EntraAuth } from 'entra-edge-auth/web';
/// await init();
/// const auth = new EntraAuth({ tenantId, clientId, redirectUri: location.origin + '/' });
/// const account = await auth.handleRedirect();   // on the redirect URI; undefined elsewhere
/// if (!account) auth.login();                     // navigates to Entra
/// ```
///
/// Errors are `Error` objects with a stable `code` (see `EntraAuthError`).
#[wasm_bindgen]
pub struct EntraAuth {
    client: Rc<Client>,
    channel: Option<BroadcastChannel>,
    on_sign_out: Rc<RefCell<Option<Function>>>,
    // Kept alive as long as the channel listens.
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
}

#[wasm_bindgen]
impl EntraAuth {
    /// Checks the settings (each error names the field) and, with `storage: "session"`,
    /// picks up the tokens this tab kept before a reload. Throws on a bad setting.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "EntraAuthConfig")] config: JsValue,
    ) -> Result<EntraAuth, JsValue> {
        let json = js::stringify(&config).map_err(throw)?;
        let config = BrowserConfig::from_json(&json).map_err(throw)?;
        let channel_name = config.storage_prefix();
        let client = Rc::new(Client::new(config));
        let on_sign_out: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));

        // Another tab signed out: drop this tab's tokens too, then tell the app.
        let channel = BroadcastChannel::new(&channel_name).ok();
        let on_message = channel.as_ref().map(|channel| {
            let client = Rc::clone(&client);
            let callback = Rc::clone(&on_sign_out);
            let closure = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if event.data().as_string().as_deref() == Some(SIGN_OUT_MESSAGE) {
                    client.forget();
                    if let Some(f) = callback.borrow().as_ref() {
                        let _ = f.call1(&JsValue::NULL, &"other-tab".into());
                    }
                }
            });
            channel.set_onmessage(Some(closure.as_ref().unchecked_ref()));
            closure
        });
        Ok(EntraAuth {
            client,
            channel,
            on_sign_out,
            _on_message: on_message,
        })
    }

    /// Builds the authorize URL (PKCE S256 challenge, `state`, `nonce`, all from
    /// `crypto.getRandomValues`), keeps the verifier, state and nonce in `sessionStorage`
    /// under the state (one use, at most 10 minutes), and returns the URL without
    /// navigating: for apps that navigate themselves.
    #[wasm_bindgen(js_name = authorizeUrl)]
    pub fn authorize_url(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LoginOptions | undefined")] options: JsValue,
    ) -> Result<String, JsValue> {
        let options = js::login_options(&options).map_err(throw)?;
        self.client.start_login(&options).map_err(throw)
    }

    /// Like `authorizeUrl`, then navigates to it. Returns the URL (the page unloads soon).
    pub fn login(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LoginOptions | undefined")] options: JsValue,
    ) -> Result<String, JsValue> {
        let url = self.authorize_url(options)?;
        platform::navigate(&url).map_err(throw)?;
        Ok(url)
    }

    /// On the redirect URI: reads `code`/`state` or `error`, removes them from the address
    /// bar (`history.replaceState`), checks the state against the pending login (one use),
    /// redeems the code with the PKCE verifier, verifies the ID token (signature with
    /// WebCrypto against the tenant JWKS from discovery; `iss`, `aud`, `nonce`, `exp`,
    /// `tid`) and returns the account. Resolves `undefined` when the URL is not a callback.
    /// A replayed or unknown state, a nonce mismatch or an Entra error rejects with a
    /// coded error and stores nothing.
    #[wasm_bindgen(js_name = handleRedirect, unchecked_return_type = "Promise<Account | undefined>")]
    pub fn handle_redirect(&self) -> Promise {
        let client = Rc::clone(&self.client);
        promise(async move {
            match client.handle_redirect().await {
                Ok(Some(session)) => Ok(js::account(&session)),
                Ok(None) => Ok(JsValue::UNDEFINED),
                Err(failure) => Err(failure.into_js()),
            }
        })
    }

    /// A valid Entra access token; refreshed with the refresh token when less than five
    /// minutes (or half its lifetime) remain, one refresh at a time. Rejects with
    /// `login_required` when nobody is signed in or the refresh token is dead (Entra's SPA
    /// refresh tokens expire after 24 hours, AADSTS700084): call `login()` then.
    #[wasm_bindgen(js_name = accessToken, unchecked_return_type = "Promise<string>")]
    pub fn access_token(&self) -> Promise {
        let client = Rc::clone(&self.client);
        promise(async move {
            client
                .access_token()
                .await
                .map(|t| JsValue::from_str(&t))
                .map_err(Failure::into_js)
        })
    }

    /// POSTs `{azure_token, tenant_id}` to the OBO endpoint and returns its tokens and
    /// roles. Errors carry `status`, the endpoint's message, and for missing consent the
    /// code `consent_required` with the advice; the Entra session is kept either way.
    #[wasm_bindgen(js_name = exchangeObo, unchecked_return_type = "Promise<OboResult>")]
    pub fn exchange_obo(&self) -> Promise {
        let client = Rc::clone(&self.client);
        promise(async move {
            client
                .exchange_obo()
                .await
                .map(|obo| js::obo_result(&obo))
                .map_err(Failure::into_js)
        })
    }

    /// The signed-in account, or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "Account | undefined")]
    pub fn account(&self) -> JsValue {
        match self.client.session.borrow().get() {
            Some(session) => js::account(session),
            None => JsValue::UNDEFINED,
        }
    }

    /// The last OBO answer of this session, or `undefined`.
    #[wasm_bindgen(js_name = oboResult, unchecked_return_type = "OboResult | undefined")]
    pub fn obo_result(&self) -> JsValue {
        match self
            .client
            .session
            .borrow()
            .get()
            .and_then(|s| s.obo.as_ref())
        {
            Some(obo) => js::obo_result(obo),
            None => JsValue::UNDEFINED,
        }
    }

    /// The roles the OBO endpoint granted (empty before `exchangeObo()`).
    pub fn roles(&self) -> Vec<String> {
        self.client
            .session
            .borrow()
            .get()
            .and_then(|s| s.obo.as_ref())
            .map(|obo| obo.tokens.roles.clone())
            .unwrap_or_default()
    }

    /// Whether the OBO endpoint granted `role`.
    #[wasm_bindgen(js_name = hasRole)]
    pub fn has_role(&self, role: &str) -> bool {
        self.roles().iter().any(|r| r == role)
    }

    /// Clears every token and pending login, tells the app's other tabs (they drop their
    /// tokens and call their `onSignOut` callback), then navigates to Entra's end-session
    /// endpoint with `post_logout_redirect_uri` and `logout_hint`. Returns that URL.
    pub fn logout(&self) -> Result<String, JsValue> {
        // Built first (it needs the login_hint), used after everything is cleared.
        let url = self.client.logout_url();
        self.client.forget();
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&SIGN_OUT_MESSAGE.into());
        }
        let url = url.map_err(throw)?;
        platform::navigate(&url).map_err(throw)?;
        Ok(url)
    }

    /// Called with `"other-tab"` when another tab of this app signed out and this tab's
    /// tokens were dropped.
    #[wasm_bindgen(js_name = onSignOut)]
    pub fn on_sign_out(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(reason: \"other-tab\") => void")]
        callback: Function,
    ) {
        *self.on_sign_out.borrow_mut() = Some(callback);
    }
}

impl Drop for EntraAuth {
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}
