//! Key material from a file or a URL: the CLI's only I/O besides printing.

use std::time::Duration;

use entra_edge_auth::keys::HttpAnswer;
use entra_edge_auth::{Error, ErrorCode, Result};

/// Largest key document read (the cache refuses larger ones anyway).
const MAX_BODY: u64 = 1 << 20;

pub fn is_url(location: &str) -> bool {
    location.starts_with("http://") || location.starts_with("https://")
}

/// GET `url` with a timeout; any status is an answer, no answer is an error.
pub fn http_get(url: &str) -> Result<HttpAnswer> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .redirects(0)
        .build();
    let response = match agent.get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => {
            return Err(Error::new(
                ErrorCode::KeyFetchFailed,
                format!("fetching {url}: {e}"),
            ))
        }
    };
    let status = response.status();
    let mut body = Vec::new();
    use std::io::Read;
    response
        .into_reader()
        .take(MAX_BODY)
        .read_to_end(&mut body)
        .map_err(|e| Error::new(ErrorCode::KeyFetchFailed, format!("reading {url}: {e}")))?;
    Ok((status, body))
}

/// Reads a key file, answering like a key server would (200 with the contents).
pub fn read_file(path: &str) -> Result<HttpAnswer> {
    std::fs::read(path)
        .map(|body| (200, body))
        .map_err(|e| Error::new(ErrorCode::KeyFetchFailed, format!("reading {path}: {e}")))
}
