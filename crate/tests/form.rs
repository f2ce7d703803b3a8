//! The crate's `application/x-www-form-urlencoded` codec against the `form_urlencoded`
//! crate it replaced: the same text written for any pairs, the same pairs read from any
//! query (escapes broken or not, bytes that are not UTF-8, empty sequences).

use entra_edge_auth::form::{pairs, Encoder};
use proptest::prelude::*;

/// Text rich in what form encoding treats specially.
fn tricky_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("%".to_owned()),
            Just("+".to_owned()),
            Just("&".to_owned()),
            Just("=".to_owned()),
            Just("%4".to_owned()),
            Just("%zz".to_owned()),
            Just("%FF".to_owned()),
            Just("%c3%a9".to_owned()),
            Just(" ".to_owned()),
            "[a-zA-Z0-9*._~-]{1,3}",
            any::<char>().prop_map(String::from),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn reference_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

fn our_pairs(query: &str) -> Vec<(String, String)> {
    pairs(query)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn reads_the_same_pairs(query in tricky_text()) {
        prop_assert_eq!(our_pairs(&query), reference_pairs(&query));
    }

    #[test]
    fn writes_the_same_text(list in proptest::collection::vec((tricky_text(), tricky_text()), 0..5)) {
        let mut ours = Encoder::new();
        let mut reference = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &list {
            ours.append_pair(name, value);
            reference.append_pair(name, value);
        }
        let written = ours.finish();
        prop_assert_eq!(&written, &reference.finish());
        let read_back = our_pairs(&written);
        prop_assert_eq!(read_back, list);
    }
}
