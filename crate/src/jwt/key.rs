//! Public key material: JWKS documents (RFC 7517) and PEM SubjectPublicKeyInfo (RFC 7468,
//! RFC 5480), turned into the two key types this crate verifies with.
//!
//! Keys are kept in the form both backends import directly: RSA as big-endian `n` and `e`
//! (WebCrypto imports them as a JWK), P-256 as the uncompressed SEC1 point (WebCrypto
//! imports it as `raw`).

use std::fmt;

use super::parse::{decode_segment, Padding};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Value};

/// The JWS algorithms this crate verifies (RFC 7518 §3.1). Each token source allows exactly
/// one of them; the header's `alg` is checked against that, never used to choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256, signature as raw `r ‖ s` (64 bytes).
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::Rs256 => "RS256",
        }
    }
}

/// Smallest RSA modulus accepted (NIST SP 800-131A); Entra and Cognito use 2048.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted: bounds the verification cost an attacker's key could cause.
pub const MAX_RSA_BITS: usize = 8192;

/// An RSA public key.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl RsaPublicKey {
    /// From big-endian modulus and exponent; leading zero bytes are dropped.
    pub fn new(n: &[u8], e: &[u8]) -> Result<Self> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_length(n);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(Error::new(
                ErrorCode::MalformedKey,
                format!("RSA modulus of {bits} bits is outside {MIN_RSA_BITS}..={MAX_RSA_BITS}"),
            ));
        }
        // An even or tiny exponent is never a real signing key; 65537 is the norm.
        if e.is_empty() || e.len() > 8 || e[e.len() - 1] & 1 == 0 || e == [1] {
            return Err(Error::fixed(
                ErrorCode::MalformedKey,
                "RSA public exponent is not usable",
            ));
        }
        Ok(RsaPublicKey {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// Big-endian modulus, no leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.n
    }

    /// Big-endian public exponent, no leading zeros.
    pub fn exponent(&self) -> &[u8] {
        &self.e
    }

    /// Modulus size in bytes: the exact length of a valid RS256 signature.
    pub fn size_bytes(&self) -> usize {
        self.n.len()
    }

    /// `n` base64url, as a JWK carries it (for WebCrypto's `importKey("jwk")`).
    pub fn n_b64(&self) -> String {
        crate::base64url::encode(&self.n)
    }

    /// `e` base64url.
    pub fn e_b64(&self) -> String {
        crate::base64url::encode(&self.e)
    }
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPublicKey({} bits)", bit_length(&self.n))
    }
}

/// A P-256 public key as the uncompressed SEC1 point `04 ‖ x ‖ y`.
#[derive(Clone, PartialEq, Eq)]
pub struct P256PublicKey {
    point: [u8; 65],
}

impl P256PublicKey {
    /// From an uncompressed SEC1 point. Whether it lies on the curve is checked by the
    /// backend when it imports the key (both WebCrypto and `p256` refuse points off the curve).
    pub fn from_sec1(point: &[u8]) -> Result<Self> {
        match <[u8; 65]>::try_from(point) {
            Ok(point) if point[0] == 0x04 => Ok(P256PublicKey { point }),
            _ => Err(Error::fixed(
                ErrorCode::MalformedKey,
                "P-256 key must be an uncompressed point (65 bytes starting 0x04)",
            )),
        }
    }

    fn from_coordinates(x: &[u8], y: &[u8]) -> Result<Self> {
        if x.len() != 32 || y.len() != 32 {
            return Err(Error::fixed(
                ErrorCode::MalformedKey,
                "P-256 coordinates must be 32 bytes each",
            ));
        }
        let mut point = [0u8; 65];
        point[0] = 0x04;
        point[1..33].copy_from_slice(x);
        point[33..].copy_from_slice(y);
        Ok(P256PublicKey { point })
    }

    pub fn sec1(&self) -> &[u8] {
        &self.point
    }
}

impl fmt::Debug for P256PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("P256PublicKey")
    }
}

/// A public key of one of the supported types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    Rsa(RsaPublicKey),
    P256(P256PublicKey),
}

impl PublicKey {
    /// The only algorithm this key may verify. Binding key type to algorithm here is what
    /// stops an `alg` switch (RS256 header, EC key) from reaching a backend.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Rsa(_) => Algorithm::Rs256,
            PublicKey::P256(_) => Algorithm::Es256,
        }
    }
}

/// One JWK as RFC 7517 §4 / RFC 7518 §6 describe it, borrowed from the document; unknown
/// members are ignored.
struct Jwk<'a> {
    kty: &'a str,
    kid: Option<&'a str>,
    /// `use`.
    use_: Option<&'a str>,
    alg: Option<&'a str>,
    n: Option<&'a str>,
    e: Option<&'a str>,
    crv: Option<&'a str>,
    x: Option<&'a str>,
    y: Option<&'a str>,
}

impl<'a> Jwk<'a> {
    /// The members this crate reads, from one entry of `keys`: `None` (the key is skipped)
    /// when the entry is not an object, has no string `kty`, or a member read here is
    /// neither a string nor null.
    fn from_value(value: &'a Value) -> Option<Jwk<'a>> {
        let object = value.as_object()?;
        let member = |name: &str| -> Option<Option<&'a str>> {
            match object.get(name) {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(s)) => Some(Some(s)),
                Some(_) => None,
            }
        };
        Some(Jwk {
            kty: member("kty")??,
            kid: member("kid")?,
            use_: member("use")?,
            alg: member("alg")?,
            n: member("n")?,
            e: member("e")?,
            crv: member("crv")?,
            x: member("x")?,
            y: member("y")?,
        })
    }
}

/// Parses a JWKS document and keeps the keys usable for `alg`: right key type, `use`
/// absent or `sig`, `alg` absent or equal, a `kid`. Others are skipped, not errors, since
/// real key sets mix encryption keys and other types. A document that is not a JWKS, or
/// has no usable key at all, is `malformed_key`.
pub fn parse_jwks(body: &[u8], alg: Algorithm) -> Result<Vec<(String, PublicKey)>> {
    let mut usable = Vec::new();
    for entry in &jwks_entries(body)? {
        if let Some(key) = Jwk::from_value(entry).and_then(|jwk| jwk_to_key(jwk, alg)) {
            usable.push(key);
        }
    }
    if usable.is_empty() {
        return Err(Error::new(
            ErrorCode::MalformedKey,
            format!("key set holds no usable {} signing key", alg.as_str()),
        ));
    }
    Ok(usable)
}

/// RFC 7517 §5: a JSON object whose `keys` is an array. The entries are read one by one.
fn jwks_entries(body: &[u8]) -> Result<Vec<Value>> {
    let not_jwks = |why: String| {
        Error::new(
            ErrorCode::MalformedKey,
            format!("key set is not a JWKS document: {why}"),
        )
    };
    let mut doc = json::parse_object(body).map_err(not_jwks)?;
    match doc.remove("keys") {
        Some(Value::Array(keys)) => Ok(keys),
        Some(other) => Err(not_jwks(format!(
            "\"keys\" is {}, not an array",
            other.kind()
        ))),
        None => Err(not_jwks("it has no \"keys\"".to_owned())),
    }
}

fn jwk_to_key(jwk: Jwk<'_>, alg: Algorithm) -> Option<(String, PublicKey)> {
    if jwk.use_.is_some_and(|u| u != "sig") {
        return None;
    }
    if jwk.alg.is_some_and(|a| a != alg.as_str()) {
        return None;
    }
    let kid = jwk.kid?;
    let b64 = |s: Option<&str>| decode_segment(s?, Padding::Tolerated);
    let key = match (alg, jwk.kty) {
        (Algorithm::Rs256, "RSA") => {
            PublicKey::Rsa(RsaPublicKey::new(&b64(jwk.n)?, &b64(jwk.e)?).ok()?)
        }
        (Algorithm::Es256, "EC") if jwk.crv == Some("P-256") => {
            PublicKey::P256(P256PublicKey::from_coordinates(&b64(jwk.x)?, &b64(jwk.y)?).ok()?)
        }
        _ => return None,
    };
    Some((kid.to_owned(), key))
}

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
#[cfg(feature = "alb")]
const ID_EC_PUBLIC_KEY: spki::ObjectIdentifier =
    spki::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` / `prime256v1` (RFC 5480 §2.1.1.1).
#[cfg(feature = "alb")]
const SECP256R1: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

#[cfg(feature = "alb")]
const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";

/// One `PUBLIC KEY` block read the way RFC 7468 §3 calls "lax" (people paste keys into
/// settings and files: the base64 on one line or wrapped at any width, CRLF line ends,
/// spaces or tabs), rewritten in the strict form (64-character lines, LF) that the strict
/// decoder then checks, canonical base64 included. `None` for anything but exactly one
/// such block, with nothing but white space around it.
#[cfg(feature = "alb")]
fn canonical_public_key_pem(text: &str) -> Option<String> {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let inner = text.trim().strip_prefix(BEGIN)?.strip_suffix(END)?;
    if inner.contains("-----") {
        return None;
    }
    let base64: Vec<u8> = inner
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .collect();
    if base64.is_empty() {
        return None;
    }
    let mut out =
        String::with_capacity(base64.len() + base64.len() / 64 + BEGIN.len() + END.len() + 4);
    out.push_str(BEGIN);
    out.push('\n');
    for line in base64.chunks(64) {
        out.push_str(std::str::from_utf8(line).ok()?);
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    Some(out)
}

/// Parses a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) holding a P-256 key, as ALB serves at
/// `{keys base}/{kid}`. Read laxly ([`canonical_public_key_pem`]), decoded strictly.
#[cfg(feature = "alb")]
pub fn parse_p256_pem(body: &[u8]) -> Result<PublicKey> {
    let malformed = |why: String| Error::new(ErrorCode::MalformedKey, why);
    let text = std::str::from_utf8(body).map_err(|_| malformed("PEM is not UTF-8".into()))?;
    let canonical = canonical_public_key_pem(text).ok_or_else(|| {
        malformed("not one PEM \"PUBLIC KEY\" block (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----)".into())
    })?;
    let (label, der) = pem_rfc7468::decode_vec(canonical.as_bytes())
        .map_err(|e| malformed(format!("not a PEM document: {e}")))?;
    if label != PUBLIC_KEY_LABEL {
        return Err(malformed("the PEM label is not PUBLIC KEY".into()));
    }
    let info = spki::SubjectPublicKeyInfoRef::try_from(der.as_slice())
        .map_err(|e| malformed(format!("not a SubjectPublicKeyInfo: {e}")))?;
    if info.algorithm.oid != ID_EC_PUBLIC_KEY {
        return Err(malformed("PEM key is not an EC key".into()));
    }
    let curve = info
        .algorithm
        .parameters_oid()
        .map_err(|_| malformed("EC key names no curve".into()))?;
    if curve != SECP256R1 {
        return Err(malformed("EC key is not on P-256".into()));
    }
    let point = info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| malformed("EC point has unused bits".into()))?;
    Ok(PublicKey::P256(P256PublicKey::from_sec1(point)?))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn bit_length(be: &[u8]) -> usize {
    match be.first() {
        None => 0,
        Some(&top) => be.len() * 8 - top.leading_zeros() as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7515 appendix A.3's P-256 key, as a JWK.
    const A3_JWK: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"a3",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

    #[test]
    fn parses_ec_jwk() {
        let keys = parse_jwks(A3_JWK.as_bytes(), Algorithm::Es256).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].0, "a3");
        assert_eq!(keys[0].1.algorithm(), Algorithm::Es256);
    }

    #[test]
    fn skips_keys_with_mistyped_members() {
        // A key whose `kid` is not a string is skipped; the good key beside it is kept.
        let body = A3_JWK.replace(
            r#"[{"kty""#,
            r#"[{"kty":"EC","crv":"P-256","kid":7,"x":"","y":""},{"kty""#,
        );
        let keys = parse_jwks(body.as_bytes(), Algorithm::Es256).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].0, "a3");
        // Entries that are not objects are skipped too; none usable is malformed_key.
        let body = br#"{"keys":[["EC","P-256"],"a3",null]}"#;
        let e = parse_jwks(body, Algorithm::Es256).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedKey);
    }

    #[test]
    fn skips_keys_for_other_algorithms() {
        // An EC key is never returned when RS256 keys are asked for: the set is then empty.
        let e = parse_jwks(A3_JWK.as_bytes(), Algorithm::Rs256).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedKey);
    }

    #[test]
    fn rejects_non_jwks() {
        for body in ["", "[]", "{\"keys\":3}", "{}"] {
            let e = parse_jwks(body.as_bytes(), Algorithm::Rs256).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MalformedKey, "{body}");
        }
    }

    #[test]
    fn rejects_small_rsa_modulus() {
        let e = RsaPublicKey::new(&[0xff; 128], &[1, 0, 1]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedKey);
        assert!(RsaPublicKey::new(&[0xff; 256], &[1, 0, 1]).is_ok());
        assert!(RsaPublicKey::new(&[0xff; 256], &[2]).is_err());
    }

    /// A modulus of exactly `bits` bits (the top bit set, the rest zero: only its size counts).
    fn modulus_of(bits: usize) -> Vec<u8> {
        let mut n = vec![0u8; bits.div_ceil(8)];
        n[0] = 1 << ((bits - 1) % 8);
        n
    }

    #[test]
    fn rsa_modulus_size_is_bounded_on_both_sides() {
        const F4: [u8; 3] = [1, 0, 1];
        for bits in [MIN_RSA_BITS, MAX_RSA_BITS] {
            assert!(RsaPublicKey::new(&modulus_of(bits), &F4).is_ok(), "{bits}");
        }
        for bits in [MIN_RSA_BITS - 1, MAX_RSA_BITS + 1] {
            let e = RsaPublicKey::new(&modulus_of(bits), &F4).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MalformedKey, "{bits}");
        }
        // Leading zero bytes do not make a small modulus large.
        let padded = [vec![0; 300], modulus_of(MIN_RSA_BITS - 1)].concat();
        assert!(RsaPublicKey::new(&padded, &F4).is_err());
    }

    #[test]
    fn rsa_exponent_must_be_odd_above_one_and_at_most_eight_bytes() {
        let n = modulus_of(MIN_RSA_BITS);
        for usable in [&[3][..], &[1, 0, 1], &[0, 1, 0, 1], &[1; 8]] {
            assert!(RsaPublicKey::new(&n, usable).is_ok(), "{usable:?}");
        }
        for unusable in [&[][..], &[0, 0], &[1], &[0, 1], &[2], &[1, 0, 0], &[1; 9]] {
            let e = RsaPublicKey::new(&n, unusable).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MalformedKey, "{unusable:?}");
        }
    }

    #[test]
    fn rsa_key_hands_webcrypto_its_jwk_members_without_leading_zeros() {
        let n = modulus_of(MIN_RSA_BITS);
        let key = RsaPublicKey::new(&[&[0, 0][..], &n].concat(), &[0, 1, 0, 1]).unwrap();
        assert_eq!(key.e_b64(), "AQAB");
        let n_back = crate::base64url::decode(&key.n_b64(), Padding::Forbidden);
        assert_eq!(n_back, Some(n));
        assert_eq!(format!("{key:?}"), "RsaPublicKey(2048 bits)");
    }

    #[test]
    fn p256_points_are_uncompressed_and_coordinates_32_bytes_each() {
        let mut point = [7u8; 65];
        point[0] = 0x04;
        assert_eq!(P256PublicKey::from_sec1(&point).unwrap().sec1(), &point[..]);
        // Compressed (02, 03), the point at infinity (00), a byte short.
        for first in [0x02, 0x03, 0x00] {
            point[0] = first;
            let e = P256PublicKey::from_sec1(&point).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MalformedKey, "{first:#04x}");
        }
        assert!(P256PublicKey::from_sec1(&[0x04; 64]).is_err());

        let from_xy = P256PublicKey::from_coordinates(&[1; 32], &[2; 32]).unwrap();
        assert_eq!(from_xy.sec1(), [&[4][..], &[1; 32], &[2; 32]].concat());
        assert_eq!(format!("{from_xy:?}"), "P256PublicKey");
        // Either coordinate of the wrong length alone is refused.
        for (x, y) in [(&[1u8; 31][..], &[2u8; 32][..]), (&[1; 32], &[2; 33])] {
            let e = P256PublicKey::from_coordinates(x, y).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MalformedKey);
        }
    }

    /// An RSA JWK with a 2048-bit modulus, `extra` members appended.
    fn rsa_jwk(kid: &str, extra: &str) -> String {
        let n = crate::base64url::encode(&modulus_of(MIN_RSA_BITS));
        format!(r#"{{"kty":"RSA","kid":"{kid}","n":"{n}","e":"AQAB"{extra}}}"#)
    }

    #[test]
    fn keeps_keys_whose_alg_is_absent_or_the_one_asked_for() {
        let body = format!(
            r#"{{"keys":[{},{},{}]}}"#,
            rsa_jwk("no-alg", ""),
            rsa_jwk("rs256", r#","alg":"RS256""#),
            rsa_jwk("rs384", r#","alg":"RS384""#)
        );
        let keys = parse_jwks(body.as_bytes(), Algorithm::Rs256).unwrap();
        let kids: Vec<&str> = keys.iter().map(|(kid, _)| kid.as_str()).collect();
        assert_eq!(kids, ["no-alg", "rs256"]);
    }

    #[test]
    fn skips_ec_keys_on_another_curve_or_none() {
        for crv in [r#""crv":"secp256k1","#, ""] {
            let body = A3_JWK.replace(r#""crv":"P-256","#, crv);
            let e = parse_jwks(body.as_bytes(), Algorithm::Es256).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MalformedKey, "{crv}");
        }
    }

    /// A P-256 SubjectPublicKeyInfo (OpenSSL's output, wrapped at 64).
    #[cfg(feature = "alb")]
    const P256_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7
6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
-----END PUBLIC KEY-----
";

    #[test]
    #[cfg(feature = "alb")]
    fn reads_public_key_pem_laxly() {
        let strict = parse_p256_pem(P256_PEM.as_bytes()).unwrap();
        let body: String = P256_PEM
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let one_line = format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----");
        let crlf = P256_PEM.replace('\n', "\r\n");
        let narrow: String = body
            .as_bytes()
            .chunks(20)
            .map(|c| format!("{}  \t\n", std::str::from_utf8(c).unwrap()))
            .collect();
        let narrow =
            format!("\n  -----BEGIN PUBLIC KEY-----\n{narrow}-----END PUBLIC KEY-----\n\n");
        let same_line = format!("-----BEGIN PUBLIC KEY-----{body}-----END PUBLIC KEY-----");
        for text in [one_line, crlf, narrow, same_line] {
            assert_eq!(parse_p256_pem(text.as_bytes()).unwrap(), strict, "{text:?}");
        }
    }

    #[test]
    #[cfg(feature = "alb")]
    fn lax_reading_still_refuses_what_is_not_one_canonical_public_key_block() {
        let body: String = P256_PEM
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let two = format!("{P256_PEM}{P256_PEM}");
        let text_before = format!("key:\n{P256_PEM}");
        let private = P256_PEM.replace("PUBLIC KEY", "PRIVATE KEY");
        // Non-canonical base64: the last symbol's unused bits set (`Q==` → `R==`).
        let non_canonical = P256_PEM.replace("rQ==", "rR==");
        let bad_char = P256_PEM.replace("MFkw", "MF*w");
        let empty = "-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----".to_owned();
        let unterminated = format!("-----BEGIN PUBLIC KEY-----\n{body}\n");
        for text in [
            two,
            text_before,
            private,
            non_canonical,
            bad_char,
            empty,
            unterminated,
        ] {
            assert_eq!(
                parse_p256_pem(text.as_bytes()).unwrap_err().code(),
                ErrorCode::MalformedKey,
                "{text:?}"
            );
        }
    }

    #[test]
    #[cfg(feature = "alb")]
    fn rejects_pem_of_wrong_kind() {
        let e = parse_p256_pem(b"garbage").unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedKey);
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(
            parse_p256_pem(cert.as_bytes()).unwrap_err().code(),
            ErrorCode::MalformedKey
        );
    }
}
