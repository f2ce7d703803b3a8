//! The crate's base64url codec against the `base64` crate's URL-safe engines configured as
//! the token parser used them (padding required absent, or indifferent; trailing bits must
//! be zero): same bytes out, same texts refused.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use entra_edge_auth::base64url::{decode, encode, Padding};
use proptest::prelude::*;

const STRICT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

const PADDING_OPTIONAL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn reference(text: &str, padding: Padding) -> Option<Vec<u8>> {
    match padding {
        Padding::Forbidden => STRICT.decode(text).ok(),
        Padding::Tolerated => PADDING_OPTIONAL.decode(text).ok(),
    }
}

fn assert_same(text: &str) {
    for padding in [Padding::Forbidden, Padding::Tolerated] {
        assert_eq!(
            decode(text, padding),
            reference(text, padding),
            "{text:?} {padding:?}"
        );
    }
}

/// Every text of up to six symbols over a small alphabet that reaches each rule: valid
/// symbols with zero and non-zero low bits, padding, the other alphabet's symbols, a space.
#[test]
fn agrees_with_the_base64_crate_on_every_short_text() {
    const SYMBOLS: [char; 8] = ['A', 'B', 'g', 'w', '_', '=', '+', ' '];
    let mut texts = vec![String::new()];
    for _ in 0..6 {
        let longer: Vec<String> = texts
            .iter()
            .filter(|t| t.len() == texts.last().map_or(0, String::len))
            .flat_map(|t| SYMBOLS.iter().map(move |c| format!("{t}{c}")))
            .collect();
        texts.extend(longer);
    }
    assert_eq!(texts.len(), (0..=6).map(|n| 8usize.pow(n)).sum::<usize>());
    for text in &texts {
        assert_same(text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn round_trips_and_encodes_like_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = encode(&bytes);
        prop_assert_eq!(&text, &STRICT.encode(&bytes));
        prop_assert_eq!(decode(&text, Padding::Forbidden), Some(bytes.clone()));
        prop_assert_eq!(decode(&text, Padding::Tolerated), Some(bytes));
    }

    #[test]
    fn accepts_and_refuses_what_the_base64_crate_does(text in "[A-Za-z0-9_=+/. -]{0,40}") {
        assert_same(&text);
    }

    #[test]
    fn agrees_on_encodings_with_padding_and_stray_symbols(
        bytes in proptest::collection::vec(any::<u8>(), 0..40),
        pad in 0usize..4,
        at in any::<proptest::sample::Index>(),
        stray in "[A-Za-z0-9_=+/. -]",
    ) {
        let text = format!("{}{}", encode(&bytes), "=".repeat(pad));
        assert_same(&text);
        let mut mutated = text.clone();
        if !mutated.is_empty() {
            mutated.insert_str(at.index(mutated.len() + 1), &stray);
            assert_same(&mutated);
            mutated.remove(at.index(mutated.len()));
            assert_same(&mutated);
        }
    }
}
