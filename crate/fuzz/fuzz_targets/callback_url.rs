//! The login callback parser and the address-bar cleaner on arbitrary input: never
//! panics, a code is only ever returned with the expected state, and the cleaned URL
//! keeps neither code nor state.
#![no_main]

use entra_edge_auth::entra::{parse_callback, strip_callback_params, CsrfState};
use libfuzzer_sys::fuzz_target;

const STATE: &str = "expected-state-value";

fn query(url: &str) -> &str {
    let before_fragment = url.split('#').next().unwrap_or("");
    before_fragment.split_once('?').map_or(before_fragment, |(_, q)| q)
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
    let cleaned = strip_callback_params(url);
    if cleaned.contains('?') {
        for (name, _) in form_urlencoded::parse(query(&cleaned).as_bytes()) {
            assert!(name != "code" && name != "state", "{cleaned}");
        }
    }
});
