//! Explicit tuning knobs, all in one place, with the defaults a careful deployment wants.

/// Timing and size limits shared by the verifiers and the key cache.
///
/// | field | default | why |
/// |---|---|---|
/// | `clock_skew_secs` | 60 | tolerated clock difference for `exp`, `nbf`, `iat` |
/// | `max_token_bytes` | 16 KiB | refuse oversized tokens before decoding anything |
/// | `key_ttl_secs` | 600 | how long fetched keys are used before they are fetched again |
/// | `refetch_cooldown_secs` | 30 | after a fetch that did not find a kid, no further fetch for unknown kids of that key set until this has passed (stops a flood of random kids from hammering the key server) |
/// | `negative_ttl_secs` | 30 | how long a failed key fetch is remembered before it is tried again |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    pub clock_skew_secs: u64,
    pub max_token_bytes: usize,
    pub key_ttl_secs: u64,
    pub refetch_cooldown_secs: u64,
    pub negative_ttl_secs: u64,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            clock_skew_secs: 60,
            max_token_bytes: 16 * 1024,
            key_ttl_secs: 600,
            refetch_cooldown_secs: 30,
            negative_ttl_secs: 30,
        }
    }
}
