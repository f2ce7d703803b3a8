//! What the gate reads of a request, fetched from JS in one crossing: the URL's path and
//! query, the method, the header names (for stripping) and the two credential headers.
//!
//! Reading them one by one cost a crossing (and a string copy) each, plus a `URL` object;
//! this is one call returning one UTF-8 string. The fields are joined by `\n` and an absent
//! header is `\0`: neither can occur inside a field (header values may not hold NUL, CR or
//! LF; a serialized URL escapes them; methods and header names are tokens). A string of
//! any other shape is refused, not guessed at.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use web_sys::Request;

use super::credential::ALB_DATA_HEADER;

// The header names match `ALB_DATA_HEADER` and `authorization`. The answer is UTF-8 bytes
// rather than a string: wasm-bindgen copies a returned string into wasm one character at a
// time in JS, while a byte array is one native copy (tokens are a kilobyte or more).
#[wasm_bindgen(inline_js = r#"
const encoder = new TextEncoder();
export function read_head(r) {
  const h = r.headers;
  return encoder.encode([r.url, r.method, [...h.keys()].join(','),
    h.get('x-amzn-oidc-data') ?? '\0', h.get('authorization') ?? '\0'].join('\n'));
}
"#)]
extern "C" {
    fn read_head(request: &Request) -> Uint8Array;
}

const _: () = assert!(matches!(ALB_DATA_HEADER.as_bytes(), b"x-amzn-oidc-data"));

const ABSENT: &str = "\0";

#[derive(Debug, Clone, PartialEq)]
pub struct RequestHead {
    /// As `URL.pathname`.
    pub path: String,
    /// As `URL.search`: `?` and the query, or empty when the query is absent or empty.
    pub search: String,
    pub method: String,
    /// The header names, lower-case, `,`-separated.
    pub header_names: String,
    pub alb_data: Option<String>,
    pub authorization: Option<String>,
    /// Not read from the request: the gate's own bookkeeping for the decision log, set
    /// as the request goes through (see `gate`).
    pub trace: Trace,
}

/// What the gate notes about a request for its decision log and for origin.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// `cf-ray` when it has Cloudflare's shape, else an id the gate made; forwarded to
    /// origin as `x-request-id`.
    pub request_id: String,
    /// When the request reached the gate (Unix ms, platform clock).
    pub started_ms: f64,
    /// Whether the verified-token cache answered for every credential (`None`: no
    /// credential was looked at).
    pub token_cache_hit: Option<bool>,
}

impl RequestHead {
    pub fn read(request: &Request) -> Option<Self> {
        let bytes = read_head(request).to_vec();
        Self::parse(std::str::from_utf8(&bytes).ok()?)
    }

    fn parse(raw: &str) -> Option<Self> {
        let mut fields = raw.split('\n');
        let url = fields.next()?;
        let method = fields.next()?;
        let header_names = fields.next()?;
        let alb_data = fields.next()?;
        let authorization = fields.next()?;
        if fields.next().is_some() {
            return None;
        }
        let (path, search) = split_url(url)?;
        let header = |v: &str| (v != ABSENT).then(|| v.to_owned());
        Some(RequestHead {
            path: path.to_owned(),
            search: search.to_owned(),
            method: method.to_owned(),
            header_names: header_names.to_owned(),
            alb_data: header(alb_data),
            authorization: header(authorization),
            trace: Trace::default(),
        })
    }
}

/// The path and query of a request URL, as `URL.pathname` and `URL.search` give them.
///
/// `request.url` is the runtime's serialization of a URL it already parsed (WHATWG URL),
/// so splitting it is enough: the authority holds no `/`, `?` or `#`, the path runs to the
/// first `?` or `#`, the query to the `#`.
fn split_url(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty() {
        return None;
    }
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let at = rest.find(['/', '?'])?;
    let (path, query) = rest[at..].split_once('?').unwrap_or((&rest[at..], ""));
    if !path.starts_with('/') {
        return None;
    }
    let search = if query.is_empty() {
        ""
    } else {
        &rest[at + path.len()..]
    };
    Some((path, search))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_url_pathname_and_search() {
        let split = split_url;
        assert_eq!(split("https://e.example/"), Some(("/", "")));
        assert_eq!(
            split("https://e.example/a/b?x=1&y"),
            Some(("/a/b", "?x=1&y"))
        );
        assert_eq!(split("https://e.example:8443/a?"), Some(("/a", "")));
        assert_eq!(
            split("https://e.example/a?q=%20#frag"),
            Some(("/a", "?q=%20"))
        );
        assert_eq!(split("https://e.example/a#f?x"), Some(("/a", "")));
        assert_eq!(
            split("https://u:p@e.example/%2e%2e/x?a?b"),
            Some(("/%2e%2e/x", "?a?b"))
        );
    }

    #[test]
    fn refuses_what_is_not_a_serialized_url() {
        for url in [
            "/a/b",
            "https://e.example",
            "https://e.example?x",
            "://e.example/",
        ] {
            assert_eq!(split_url(url), None, "{url}");
        }
    }

    #[test]
    fn reads_fields_and_absent_headers() {
        let head =
            RequestHead::parse("https://e.example/a?b\nGET\naccept,authorization\n\0\nBearer x")
                .expect("parses");
        assert_eq!(head.path, "/a");
        assert_eq!(head.search, "?b");
        assert_eq!(head.method, "GET");
        assert_eq!(head.header_names, "accept,authorization");
        assert_eq!(head.alb_data, None);
        assert_eq!(head.authorization.as_deref(), Some("Bearer x"));
        let empty = RequestHead::parse("https://e.example/\nGET\n\n\n\0").expect("parses");
        assert_eq!(empty.alb_data.as_deref(), Some(""));
    }

    #[test]
    fn refuses_any_other_shape() {
        assert_eq!(RequestHead::parse("https://e.example/\nGET\n\n\0"), None);
        assert_eq!(
            RequestHead::parse("https://e.example/\nGET\n\n\0\n\0\nx"),
            None
        );
    }
}
