//! The strict JSON reader on arbitrary bytes: never panics, and whatever it accepts it
//! writes back as text that reads as the same value (and writes identically again).
#![no_main]

use entra_edge_auth::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = json::parse(data) else { return };
    let written = value.to_json();
    let again = json::parse(written.as_bytes()).expect("written JSON reads back");
    assert_eq!(again, value, "round trip changed {written}");
    assert_eq!(again.to_json(), written, "writing is not stable");
    // Whatever serde_json can read of it, it reads from our text as from the input.
    if let Ok(theirs) = serde_json::from_slice::<serde_json::Value>(data) {
        let from_written: serde_json::Value =
            serde_json::from_str(&written).expect("serde_json reads our text");
        assert_eq!(theirs, from_written, "serde_json disagrees on {written}");
    }
});
