//! Nothing here: the tests in `tests/` exercise the `entra-edge-auth` browser build.
