//! The callback parser against a URL that has no query (issue 14; a mutant crate/mutants.sh
//! found missed): its path is never read as parameters, so a path such as
//! `/&state=…&code=…` cannot hand over a code.

use entra_edge_auth::entra::parse_callback;
use entra_edge_auth::entra::types::CsrfState;
use entra_edge_auth::ErrorCode;

#[test]
fn a_url_without_a_query_has_no_parameters_even_if_its_path_looks_like_some() {
    let state = CsrfState::new("s7ate");
    for url in [
        "http://127.0.0.1:5173/&state=s7ate&code=stolen",
        "http://127.0.0.1:5173/callback/state=s7ate&code=stolen",
        "https://app.example/cb&code=stolen&state=s7ate#x",
    ] {
        let error = parse_callback(url, &state).unwrap_err();
        // No parameters at all: the (absent) state is the first thing refused.
        assert_eq!(error.code(), ErrorCode::StateMismatch, "{url}");
    }
    // The same parameters in the query are read.
    let code = parse_callback("http://127.0.0.1:5173/?state=s7ate&code=real", &state).unwrap();
    assert_eq!(code.secret(), "real");
    // A bare query (no scheme) is read as a query.
    assert!(parse_callback("state=s7ate&code=real", &state).is_ok());
}
