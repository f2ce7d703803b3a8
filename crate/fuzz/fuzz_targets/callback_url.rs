//! The login callback parser and the address-bar cleaner on arbitrary input: never
//! panics, a code is only ever returned with the expected state, and the cleaned URL
//! keeps neither code nor state.
#![no_main]

use entra_edge_auth::entra::{parse_callback, strip_callback_params, CsrfState};
use libfuzzer_sys::fuzz_target;

const STATE: &str = "expected-state-value";

/// What `parse_callback` reads: the query of a URL, or the whole input when it has no `?`.
fn query(url: &str) -> &str {
    let before_fragment = url.split('#').next().unwrap_or("");
    before_fragment.split_once('?').map_or(before_fragment, |(_, q)| q)
}

/// The query of a URL proper: only what stands between `?` and `#`.
fn url_query(url: &str) -> Option<&str> {
    let before_fragment = url.split('#').next().unwrap_or("");
    before_fragment.split_once('?').map(|(_, q)| q)
}

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else { return };
    if parse_callback(url, &CsrfState::new(STATE)).is_ok() {
        let states: Vec<_> = form_urlencoded::parse(query(url).as_bytes())
            .filter(|(name, _)| name == "state")
            .map(|(_, value)| value.into_owned())
            .collect();
        assert_eq!(states, vec![STATE.to_owned()], "{url}");
    }
    // A URL with a query keeps neither code nor state in it once cleaned.
    if url_query(url).is_some() {
        let cleaned = strip_callback_params(url);
        for (name, _) in form_urlencoded::parse(url_query(&cleaned).unwrap_or("").as_bytes()) {
            assert!(name != "code" && name != "state", "{cleaned}");
        }
    }
});
