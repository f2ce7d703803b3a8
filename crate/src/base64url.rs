//! base64url (RFC 4648 §5), strict: the one codec of the crate (token segments, JWK
//! members, PKCE, state and nonce).
//!
//! Why not the `base64` crate: its engines are generic over alphabets and padding modes and
//! tuned for long inputs, and cost the browser's wasm about 7 KB; JOSE needs one alphabet,
//! inputs of a few kilobytes and two padding modes. The rules are the ones the `base64`
//! crate's URL-safe engine applies with `decode_allow_trailing_bits` off (its default),
//! which `tests/base64url.rs` checks against that crate on random input:
//!
//! - only `A–Z a–z 0–9 - _`, plus trailing `=` where [`Padding::Tolerated`];
//! - a final group of one symbol is no encoding of anything;
//! - the bits a final group of two or three symbols carries beyond its bytes must be zero
//!   (otherwise several texts would decode to the same bytes);
//! - padding, where tolerated, may be canonical or shorter (`AA==`, `AA=`, `AA`), never
//!   longer, and never after a complete group.

/// Whether `=` padding is tolerated in base64url text.
///
/// RFC 7515 §2 says base64url without padding, and jose/openidconnect reject padding.
/// AWS ALB, however, pads the segments of `x-amzn-oidc-data`, so the ALB verifier (and only
/// it) opts in. The signing input stays the segments exactly as sent, padding included,
/// because that is what ALB signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    Forbidden,
    Tolerated,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `bytes` as base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let mut bits = 0u32;
        for (i, &byte) in group.iter().enumerate() {
            bits |= u32::from(byte) << (16 - 8 * i);
        }
        // One byte makes two symbols, two make three, three make four.
        for i in 0..=group.len() {
            let index = (bits >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// Marks a byte that is no base64url symbol in [`SYMBOL_VALUES`]; its high bit is set, which
/// no symbol's six bits have, so one test over a group's OR finds any bad symbol in it.
const NOT_A_SYMBOL: u8 = 0xff;

/// The six bits each byte stands for as a base64url symbol, or [`NOT_A_SYMBOL`]: one load
/// per symbol instead of a chain of range tests (decoding runs over every token segment).
const SYMBOL_VALUES: [u8; 256] = {
    let mut table = [NOT_A_SYMBOL; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The bytes `text` encodes, or `None` when it is not strict base64url (see the module
/// docs).
pub fn decode(text: &str, padding: Padding) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    let symbols = match padding {
        Padding::Forbidden => text,
        Padding::Tolerated => {
            let end = text.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
            let (symbols, pad) = text.split_at(end);
            // `=` only completes a final group of two or three symbols, up to four.
            let in_last_group = symbols.len() % 4;
            let fits = in_last_group >= 2 && in_last_group + pad.len() <= 4;
            if !pad.is_empty() && !fits {
                return None;
            }
            symbols
        }
    };
    let groups = symbols.chunks_exact(4);
    let last = groups.remainder();
    if last.len() == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3 + last.len().saturating_sub(1));
    // Whole groups: four symbols, three bytes.
    for group in groups {
        let [a, b, c, d] = [0, 1, 2, 3].map(|i| SYMBOL_VALUES[usize::from(group[i])]);
        if (a | b | c | d) & 0x80 != 0 {
            return None;
        }
        let bits = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        out.extend_from_slice(&bits.to_be_bytes()[1..]);
    }
    // A final group of two or three symbols: one or two bytes.
    if !last.is_empty() {
        let mut bits = 0u32;
        for &symbol in last {
            let value = SYMBOL_VALUES[usize::from(symbol)];
            if value & 0x80 != 0 {
                return None;
            }
            bits = bits << 6 | u32::from(value);
        }
        // 2 symbols: 12 bits, one byte and 4 spare; 3 symbols: 18 bits, two bytes and 2 spare.
        let spare = if last.len() == 2 { 4 } else { 2 };
        // The spare bits belong to no byte: zero only.
        if bits & ((1 << spare) - 1) != 0 {
            return None;
        }
        let bytes = (bits >> spare).to_be_bytes();
        out.extend_from_slice(&bytes[4 - (last.len() - 1)..]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 §10, in the URL-safe alphabet (the same symbols for these inputs).
    const RFC_4648_VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn encodes_and_decodes_the_rfc_4648_vectors() {
        for (plain, encoded) in RFC_4648_VECTORS {
            assert_eq!(encode(plain.as_bytes()), encoded);
            for padding in [Padding::Forbidden, Padding::Tolerated] {
                assert_eq!(decode(encoded, padding).as_deref(), Some(plain.as_bytes()));
            }
        }
    }

    #[test]
    fn tolerates_the_rfc_4648_padded_forms_only_where_asked() {
        for (plain, padded) in [("f", "Zg=="), ("fo", "Zm8="), ("foob", "Zm9vYg==")] {
            assert_eq!(decode(padded, Padding::Forbidden), None);
            assert_eq!(
                decode(padded, Padding::Tolerated).as_deref(),
                Some(plain.as_bytes())
            );
        }
        // Shorter padding is tolerated too; longer, or after a complete group, is not.
        assert_eq!(
            decode("Zg=", Padding::Tolerated).as_deref(),
            Some(&b"f"[..])
        );
        for text in ["Zg===", "Zm8==", "Zm9v=", "Zm9v==", "=", "==", "Z=", "Zg=g"] {
            assert_eq!(decode(text, Padding::Tolerated), None, "{text}");
        }
    }

    #[test]
    fn uses_the_url_safe_alphabet() {
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode("-_8", Padding::Forbidden), Some(vec![0xfb, 0xff]));
        for text in ["+_8", "-/8", "-_8 ", "Zm9v\n"] {
            assert_eq!(decode(text, Padding::Forbidden), None, "{text}");
        }
    }

    #[test]
    fn rejects_non_canonical_trailing_bits() {
        // "Zg" is 'f'; "Zh" carries the same byte with a stray low bit.
        assert_eq!(decode("Zh", Padding::Forbidden), None);
        assert_eq!(decode("Zm9", Padding::Forbidden), None);
        assert_eq!(
            decode("Zm8", Padding::Forbidden).as_deref(),
            Some(&b"fo"[..])
        );
    }

    #[test]
    fn rejects_a_lone_final_symbol() {
        for padding in [Padding::Forbidden, Padding::Tolerated] {
            assert_eq!(decode("Zm9vY", padding), None);
            assert_eq!(decode("A", padding), None);
        }
    }
}
