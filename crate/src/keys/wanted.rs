//! Which unknown ALB kids requests keep asking for while the unknown-kid refetch is paused.
//!
//! ALB keys live one URL per kid, and a fetch for an unknown kid is allowed once per
//! cooldown. During a flood of made-up kids, whichever request comes first after the
//! cooldown would get that one fetch, so a real rotated kid could wait many cooldowns for
//! its turn. So the fetch goes to the kid wanted most, where "most" counts **distinct
//! clients** first and requests second: a real new kid is presented by every user its ALB
//! signs in, from their many addresses, while a flood comes from the attacker's few. An
//! attacker who repeats one made-up kid a thousand times from three addresses loses to a
//! rotated kid presented by four users; one who makes up a new kid per request gives each
//! one client. A kid must be wanted more than the request at hand's own kid to take its
//! fetch.
//!
//! Without a client address (no header configured or sent), every request counts as the
//! same client and the ranking falls back to requests.
//!
//! The table is bounded: a newcomer evicts the oldest of the least wanted (flood noise:
//! one client, one request), so a kid wanted by several clients stays.

/// Most kids remembered per key set (a kid is at most 256 bytes: 64 KiB at most). A real
/// kid must be asked for again before this many made-up ones push it out.
pub const MAX_WANTED_KIDS: usize = 256;
/// Distinct clients counted per kid; more count as this many (a handful already beats a
/// flood from a few addresses, and the table stays small).
pub const MAX_CLIENTS_PER_KID: usize = 16;

/// A client as the table counts it: a hash of its address (FNV-1a, 64 bits).
pub type ClientId = u64;

/// `address` as a [`ClientId`]. Deterministic: a client cannot pick its own collisions to
/// gain count (a collision only merges two clients into one).
pub fn client_id(address: &str) -> ClientId {
    address.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Debug)]
struct Wanted {
    kid: String,
    requests: u32,
    clients: Vec<ClientId>,
}

impl Wanted {
    /// How much this kid is wanted: distinct clients, then requests.
    fn demand(&self) -> (usize, u32) {
        (self.clients.len(), self.requests)
    }

    fn add(&mut self, client: ClientId) {
        self.requests = self.requests.saturating_add(1);
        if self.clients.len() < MAX_CLIENTS_PER_KID && !self.clients.contains(&client) {
            self.clients.push(client);
        }
    }
}

/// Kids asked for while refetch was paused, oldest first.
#[derive(Debug, Default)]
pub struct WantedKids {
    entries: Vec<Wanted>,
}

impl WantedKids {
    /// A request from `client` asked for `kid` and was refused because refetch is paused.
    pub fn note(&mut self, kid: &str, client: ClientId) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.kid == kid) {
            entry.add(client);
            return;
        }
        if self.entries.len() >= MAX_WANTED_KIDS {
            // The first of the least wanted: the oldest one-client, one-request kid
            // whenever there is one.
            let evict = (0..self.entries.len()).min_by_key(|&at| self.entries[at].demand());
            if let Some(at) = evict {
                self.entries.remove(at);
            }
        }
        self.entries.push(Wanted {
            kid: kid.to_owned(),
            requests: 1,
            clients: vec![client],
        });
    }

    /// The refetch slot is open and a request from `client` asks for `kid`: the kid to
    /// fetch instead, when another is wanted more than `kid` (counting this request), or
    /// `None` to fetch `kid` itself. Either way the kid chosen leaves the table.
    pub fn take_instead_of(&mut self, kid: &str, client: ClientId) -> Option<String> {
        let at_hand = match self.entries.iter().find(|e| e.kid == kid) {
            Some(entry) => {
                let mut clients = entry.clients.len();
                if clients < MAX_CLIENTS_PER_KID && !entry.clients.contains(&client) {
                    clients += 1;
                }
                (clients, entry.requests.saturating_add(1))
            }
            None => (1, 1),
        };
        let most = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.demand() > at_hand)
            .max_by_key(|(_, e)| e.demand())
            .map(|(at, _)| at);
        match most {
            Some(at) => Some(self.entries.remove(at).kid),
            None => {
                self.forget(kid);
                None
            }
        }
    }

    /// `kid` was fetched (found or not): no longer waiting.
    pub fn forget(&mut self, kid: &str) {
        self.entries.retain(|e| e.kid != kid);
    }

    #[cfg(test)]
    fn demand_of(&self, kid: &str) -> Option<(usize, u32)> {
        self.entries
            .iter()
            .find(|e| e.kid == kid)
            .map(Wanted::demand)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: ClientId = 1;

    #[test]
    fn a_repeated_kid_outlives_a_flood_of_one_off_kids() {
        let mut wanted = WantedKids::default();
        wanted.note("real", ONE);
        wanted.note("real", ONE);
        for i in 0..10_000 {
            wanted.note(&format!("ghost-{i}"), ONE);
        }
        assert_eq!(wanted.demand_of("real"), Some((1, 2)));
        assert_eq!(wanted.entries.len(), MAX_WANTED_KIDS);
        assert_eq!(
            wanted.take_instead_of("ghost-new", ONE),
            Some("real".to_owned())
        );
        assert_eq!(wanted.demand_of("real"), None);
    }

    #[test]
    fn one_off_kids_never_take_the_slot_from_the_request_at_hand() {
        let mut wanted = WantedKids::default();
        for i in 0..100 {
            wanted.note(&format!("ghost-{i}"), ONE);
        }
        assert_eq!(wanted.take_instead_of("ghost-new", ONE), None);
        // A tie goes to the request at hand, which leaves the table as it is fetched.
        wanted.note("a", ONE);
        assert_eq!(wanted.take_instead_of("a", ONE), None);
        assert_eq!(wanted.demand_of("a"), None);
    }

    #[test]
    fn the_most_wanted_kid_wins_and_full_tables_evict_the_least_wanted() {
        let mut wanted = WantedKids::default();
        for i in 0..MAX_WANTED_KIDS {
            for _ in 0..=i {
                wanted.note(&format!("kid-{i}"), ONE);
            }
        }
        // kid-0 was asked for once: a newcomer evicts it.
        wanted.note("newcomer", ONE);
        assert_eq!(wanted.demand_of("kid-0"), None);
        wanted.note("other", ONE);
        // Now the least asked is the newcomer (once) and goes.
        assert_eq!(wanted.demand_of("newcomer"), None);
        let top = format!("kid-{}", MAX_WANTED_KIDS - 1);
        assert_eq!(wanted.take_instead_of("x", ONE), Some(top));
    }

    #[test]
    fn distinct_clients_outrank_repeated_requests() {
        let mut wanted = WantedKids::default();
        // A flood: one made-up kid, 10,000 requests from three addresses.
        for i in 0..10_000 {
            wanted.note("ghost", client_id(&format!("203.0.113.{}", i % 3)));
        }
        // The rotated kid: four users, once each.
        for user in 0..4 {
            wanted.note("rotated", client_id(&format!("198.51.100.{user}")));
        }
        assert_eq!(wanted.demand_of("ghost"), Some((3, 10_000)));
        assert_eq!(wanted.demand_of("rotated"), Some((4, 4)));
        // The flood's request holds the slot open: the rotated kid gets the fetch.
        let attacker = client_id("203.0.113.0");
        assert_eq!(
            wanted.take_instead_of("ghost", attacker),
            Some("rotated".to_owned())
        );
        // Three users are not enough against three addresses plus more requests.
        let mut wanted = WantedKids::default();
        for i in 0..30 {
            wanted.note("ghost", client_id(&format!("203.0.113.{}", i % 3)));
        }
        for user in 0..3 {
            wanted.note("rotated", client_id(&format!("198.51.100.{user}")));
        }
        assert_eq!(wanted.take_instead_of("ghost", attacker), None);
    }

    #[test]
    fn the_request_at_hand_counts_its_own_client_once() {
        let mut wanted = WantedKids::default();
        wanted.note("a", 1);
        wanted.note("a", 2);
        wanted.note("b", 1);
        wanted.note("b", 2);
        wanted.note("b", 2);
        // "a" with a third client (3, 3) beats "b" (2, 3).
        assert_eq!(wanted.take_instead_of("a", 3), None);
        wanted.note("a", 1);
        wanted.note("a", 2);
        // "a" again from a known client: (2, 3) does not beat "b" (2, 3): a tie stays.
        assert_eq!(wanted.take_instead_of("a", 2), None);
        // ...but "c" (1, 1) loses to "b".
        assert_eq!(wanted.take_instead_of("c", 9), Some("b".to_owned()));
    }

    #[test]
    fn only_a_new_client_adds_to_the_request_at_hands_clients() {
        let mut wanted = WantedKids::default();
        wanted.note("a", 1);
        wanted.note("a", 2);
        for _ in 0..5 {
            wanted.note("b", 1);
            wanted.note("b", 2);
        }
        // "a" from a third client is (3, 3): more clients beat "b"'s (2, 10) requests.
        assert_eq!(wanted.take_instead_of("a", 3), None);
        wanted.note("a", 1);
        wanted.note("a", 2);
        // "a" from a client it already has is (2, 3), and loses to "b".
        assert_eq!(wanted.take_instead_of("a", 2), Some("b".to_owned()));
    }

    #[test]
    fn the_request_at_hand_counts_no_more_clients_than_the_cap() {
        let mut wanted = WantedKids::default();
        for c in 0..MAX_CLIENTS_PER_KID as ClientId {
            wanted.note("a", c);
            wanted.note("b", c);
            wanted.note("b", c);
        }
        // "a" (16, 16) from one more client counts as the cap, (16, 17): "b" (16, 32) wins.
        assert_eq!(wanted.take_instead_of("a", 99), Some("b".to_owned()));
    }

    #[test]
    fn clients_per_kid_are_capped() {
        let mut wanted = WantedKids::default();
        for c in 0..100 {
            wanted.note("k", c);
        }
        assert_eq!(wanted.demand_of("k"), Some((MAX_CLIENTS_PER_KID, 100)));
    }

    #[test]
    fn client_ids_are_fnv1a() {
        // FNV-1a's published test values.
        assert_eq!(client_id(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(client_id("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(client_id("203.0.113.1"), client_id("203.0.113.2"));
    }
}
