//! The identity assertion the edge gate signs for origin: a compact JWS (ES256) saying who
//! the verified user is, so origin can trust the request came through the gate without
//! trusting the network between them.
//!
//! Sans-IO like the rest of the crate: [`key`] reads the signing key and publishes its
//! public half, [`claims`] builds what to sign as of a given `now` (the signature itself is
//! the adapter's: WebCrypto in the worker), and [`verify`] is origin's check, with the
//! signature backend passed in.

pub mod claims;
pub mod key;
pub mod verify;

pub use claims::{
    compact, reusable, unsigned, AssertionSettings, Binding, BoundRequest, Unsigned,
    DEFAULT_TTL_SECS,
};
pub use key::{jwks_document, SigningKey};
pub use verify::{verify_assertion, Expected};
