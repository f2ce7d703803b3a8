//! Which unknown ALB kids requests keep asking for while the unknown-kid refetch is paused.
//!
//! ALB keys live one URL per kid, and a fetch for an unknown kid is allowed once per
//! cooldown. During a flood of made-up kids, whichever request comes first after the
//! cooldown would get that one fetch, so a real rotated kid could wait many cooldowns for
//! its turn. Made-up kids are each asked for about once; a real new kid is asked for by
//! every request its ALB signs. So the fetch goes to the kid asked for most, and a kid
//! must have been asked for more than once to take it from the request at hand.
//!
//! The table is bounded: a newcomer evicts the oldest kid asked for only once
//! (flood noise), or, when every entry was asked for repeatedly, the least-asked one.

/// Most kids remembered per key set (a kid is at most 256 bytes: 64 KiB at most). A real
/// kid must be asked for again before this many made-up ones push it out, so it is found
/// while it is at least about 1 in 256 of the refused requests.
pub const MAX_WANTED_KIDS: usize = 256;

/// Kids asked for while refetch was paused, oldest first, with how often.
#[derive(Debug, Default)]
pub struct WantedKids {
    entries: Vec<(String, u32)>,
}

impl WantedKids {
    /// A request asked for `kid` and was refused because refetch is paused.
    pub fn note(&mut self, kid: &str) {
        if let Some((_, count)) = self.entries.iter_mut().find(|(k, _)| k == kid) {
            *count = count.saturating_add(1);
            return;
        }
        if self.entries.len() >= MAX_WANTED_KIDS {
            // The first of the least asked: counts start at 1, so that is the oldest kid
            // asked for once whenever there is one.
            let evict = (0..self.entries.len()).min_by_key(|&at| self.entries[at].1);
            if let Some(at) = evict {
                self.entries.remove(at);
            }
        }
        self.entries.push((kid.to_owned(), 1));
    }

    /// The refetch slot is open and a request asks for `kid`: the kid to fetch instead,
    /// when another was asked for more often than `kid` (counting this request), or
    /// `None` to fetch `kid` itself. Either way the kid chosen leaves the table.
    pub fn take_instead_of(&mut self, kid: &str) -> Option<String> {
        let asked = |k: &str| -> u32 {
            self.entries
                .iter()
                .find(|(known, _)| known == k)
                .map_or(0, |(_, c)| *c)
        };
        let demand = asked(kid).saturating_add(1);
        let most = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, (_, count))| *count > demand)
            .max_by_key(|(_, (_, count))| *count)
            .map(|(at, _)| at);
        match most {
            Some(at) => Some(self.entries.remove(at).0),
            None => {
                self.forget(kid);
                None
            }
        }
    }

    /// `kid` was fetched (found or not): no longer waiting.
    pub fn forget(&mut self, kid: &str) {
        self.entries.retain(|(k, _)| k != kid);
    }

    #[cfg(test)]
    fn count(&self, kid: &str) -> Option<u32> {
        self.entries.iter().find(|(k, _)| k == kid).map(|(_, c)| *c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_kid_outlives_a_flood_of_one_off_kids() {
        let mut wanted = WantedKids::default();
        wanted.note("real");
        wanted.note("real");
        for i in 0..10_000 {
            wanted.note(&format!("ghost-{i}"));
        }
        assert_eq!(wanted.count("real"), Some(2));
        assert_eq!(wanted.entries.len(), MAX_WANTED_KIDS);
        assert_eq!(wanted.take_instead_of("ghost-new"), Some("real".to_owned()));
        assert_eq!(wanted.count("real"), None);
    }

    #[test]
    fn one_off_kids_never_take_the_slot_from_the_request_at_hand() {
        let mut wanted = WantedKids::default();
        for i in 0..100 {
            wanted.note(&format!("ghost-{i}"));
        }
        assert_eq!(wanted.take_instead_of("ghost-new"), None);
        // A tie goes to the request at hand, which leaves the table as it is fetched.
        wanted.note("a");
        assert_eq!(wanted.take_instead_of("a"), None);
        assert_eq!(wanted.count("a"), None);
    }

    #[test]
    fn the_most_asked_kid_wins_and_full_tables_evict_the_least_asked() {
        let mut wanted = WantedKids::default();
        for i in 0..MAX_WANTED_KIDS {
            for _ in 0..=i {
                wanted.note(&format!("kid-{i}"));
            }
        }
        // kid-0 was asked for once: a newcomer evicts it.
        wanted.note("newcomer");
        assert_eq!(wanted.count("kid-0"), None);
        wanted.note("other");
        // Now the least asked is the newcomer (once) and goes.
        assert_eq!(wanted.count("newcomer"), None);
        let top = format!("kid-{}", MAX_WANTED_KIDS - 1);
        assert_eq!(wanted.take_instead_of("x"), Some(top));
    }
}
