//! The request id in the decision log and in origin's `x-request-id`.
//!
//! On Cloudflare every request carries `cf-ray`, which Cloudflare sets (a client's own
//! value is replaced at the edge), and which Cloudflare support and its dashboards know:
//! the gate uses it when it has Cloudflare's shape. Otherwise the gate makes one: a random
//! prefix per isolate and a counter, so ids are unique without asking the platform for
//! randomness on every request. A client's `x-request-id` is never taken as the id: origin
//! receives the gate's id in its place, so its logs and the gate's agree.
//!
//! Self-hosted (`workerd serve`) nothing strips a client's `cf-ray`: a client that reaches
//! the gate directly can choose the id its own requests are logged under. The id is for
//! correlating lines, never for a decision.

/// `value` when it looks like a Cloudflare ray id (hex, optionally `-` and a data centre's
/// letters), at most 64 characters; `None` for anything else (then the gate makes one).
pub fn from_cf_ray(value: &str) -> Option<&str> {
    let (ray, colo) = match value.split_once('-') {
        // A `-` must be followed by the data centre.
        Some((_, "")) => return None,
        Some(split) => split,
        None => (value, ""),
    };
    let ray_ok = (8..=32).contains(&ray.len()) && ray.bytes().all(|b| b.is_ascii_hexdigit());
    let colo_ok = colo.len() <= 8 && colo.bytes().all(|b| b.is_ascii_alphanumeric());
    (ray_ok && colo_ok).then_some(value)
}

/// A gate-made id: the isolate's prefix and this request's number, e.g. `a1b2c3d4e5f6-2a`.
pub fn generated(prefix: &str, counter: u64) -> String {
    let mut id = String::with_capacity(prefix.len() + 17);
    id.push_str(prefix);
    id.push('-');
    crate::json::write::push_digits(&mut id, counter, 16);
    id
}

/// The isolate's prefix from random bytes: 12 hex characters.
pub fn prefix(random: &[u8; 32]) -> String {
    let mut prefix = String::with_capacity(12);
    crate::json::write::push_hex(&mut prefix, &random[..6]);
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudflare_rays_are_taken() {
        assert_eq!(
            from_cf_ray("8f2a1b3c4d5e6f70-LHR"),
            Some("8f2a1b3c4d5e6f70-LHR")
        );
        assert_eq!(from_cf_ray("8f2a1b3c4d5e6f70"), Some("8f2a1b3c4d5e6f70"));
    }

    #[test]
    fn anything_else_is_not() {
        for bad in [
            "",
            "x",
            "8f2a1b3c4d5e6f70-",
            "8f2a1b3c4d5e6f70-LHR\n",
            "8f2a1b3c4d5e6f70-LH R",
            "not-a-ray-at-all",
            "8f2a1b3c4d5e6f70-LHR-2",
            &"a".repeat(80),
        ] {
            assert_eq!(from_cf_ray(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn generated_ids_differ_per_request() {
        let p = prefix(&[0xab; 32]);
        assert_eq!(p, "abababababab");
        assert_eq!(generated(&p, 42), "abababababab-2a");
        assert_eq!(generated(&p, 0), "abababababab-0");
        assert_eq!(generated(&p, u64::MAX), "abababababab-ffffffffffffffff");
        assert_ne!(generated(&p, 1), generated(&p, 2));
    }
}
