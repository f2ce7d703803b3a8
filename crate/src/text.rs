//! Substring search and replacement over plain text, without `str`'s pattern machinery.
//!
//! Why: `str::find(&str)`, `contains(&str)`, `split_once(&str)` and `replace(&str, …)`
//! bring the two-way searcher, and an out-of-range `&s[a..b]` the slice panic with its
//! `char` formatting: together kilobytes of the browser's wasm for needles of a few bytes
//! in texts of at most kilobytes. Matches here are whole needles of valid UTF-8 inside
//! valid UTF-8, so every index found is a character boundary, and cuts use `str::get`.

/// `text` as a `u64` exactly as `str::parse::<u64>` reads it (an optional `+`, then one or
/// more ASCII digits, no overflow), without its generic integer parser.
pub fn parse_u64(text: &str) -> Option<u64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

/// Byte offset of the first `needle` in `haystack`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

/// The text before and after the first `needle`.
pub fn split_once<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = find(haystack, needle)?;
    Some((haystack.get(..at)?, haystack.get(at + needle.len()..)?))
}

/// `haystack` with every `needle` replaced by `with` (`needle` must not be empty).
pub fn replace(haystack: &str, needle: &str, with: &str) -> String {
    let mut out = String::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some((before, after)) = split_once(rest, needle).filter(|_| !needle.is_empty()) {
        out.push_str(before);
        out.push_str(with);
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_str() {
        for (haystack, needle) in [
            ("https://a/b", "://"),
            ("no scheme", "://"),
            ("AADSTS50076: x AADSTS1", "AADSTS"),
            ("é{tenantid}é", "{tenantid}"),
            ("", "x"),
            ("abc", ""),
            ("ab", "abc"),
        ] {
            assert_eq!(find(haystack, needle), haystack.find(needle), "{haystack}");
            assert_eq!(contains(haystack, needle), haystack.contains(needle));
            assert_eq!(
                split_once(haystack, needle),
                haystack.split_once(needle),
                "{haystack}"
            );
        }
    }

    #[test]
    fn replaces_like_str() {
        for (haystack, needle, with) in [
            ("https://h/{tenantid}/v2.0", "{tenantid}", "t1"),
            ("{x}{x}é{x}", "{x}", "ü"),
            ("none here", "{x}", "y"),
            ("", "{x}", "y"),
        ] {
            assert_eq!(
                replace(haystack, needle, with),
                haystack.replace(needle, with)
            );
        }
        assert_eq!(replace("abc", "", "-"), "abc");
    }

    #[test]
    fn parses_u64_like_str() {
        for text in [
            "0",
            "3600",
            "+3600",
            "+",
            "",
            "-0",
            "-1",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "00042",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "++1",
            "٣",
        ] {
            assert_eq!(parse_u64(text), text.parse::<u64>().ok(), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_u64_is_str_parse(text in "[+-]?[0-9]{0,22}|\\PC{0,6}") {
            proptest::prop_assert_eq!(parse_u64(&text), text.parse::<u64>().ok());
        }
    }
}
