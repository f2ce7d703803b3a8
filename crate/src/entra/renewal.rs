//! When a token is renewed: before it expires, by a margin, so that no request goes out
//! with a token that expires on its way. One rule for the Entra access tokens (renewed
//! with the refresh token) and the app tokens (renewed by a new OBO exchange).

/// The default margin: MSAL renews five minutes before expiry too.
pub const DEFAULT_RENEWAL_MARGIN_SECS: u64 = 300;

/// Whether a token obtained at `obtained_at` and expiring at `expires_at` (Unix seconds)
/// must be renewed at `now`: when less than `margin` is left, or less than half its
/// lifetime for tokens shorter than twice the margin (so a short-lived token is used for
/// a while instead of being renewed on every call). An expiry at or before `obtained_at`
/// (no lifetime) always needs renewal.
pub fn needs_renewal(obtained_at: u64, expires_at: u64, now: u64, margin: u64) -> bool {
    let lifetime = expires_at.saturating_sub(obtained_at);
    let margin = margin.min(lifetime / 2);
    now.saturating_add(margin) >= expires_at
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    #[test]
    fn renews_at_the_margin_before_expiry() {
        let expires = T0 + 3600;
        let margin = DEFAULT_RENEWAL_MARGIN_SECS;
        assert!(!needs_renewal(T0, expires, expires - margin - 1, margin));
        assert!(needs_renewal(T0, expires, expires - margin, margin));
        assert!(needs_renewal(T0, expires, expires + 10, margin));
        // A configured margin.
        assert!(!needs_renewal(T0, expires, expires - 61, 60));
        assert!(needs_renewal(T0, expires, expires - 60, 60));
    }

    #[test]
    fn short_tokens_live_half_their_lifetime() {
        let expires = T0 + 10;
        assert!(!needs_renewal(T0, expires, T0 + 4, 300));
        assert!(needs_renewal(T0, expires, T0 + 5, 300));
    }

    #[test]
    fn no_lifetime_means_renew() {
        assert!(needs_renewal(T0, T0, T0, 300));
        assert!(needs_renewal(T0 + 5, T0, T0, 0));
    }
}
