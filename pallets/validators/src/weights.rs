//! Weights of the validators pallet.
//!
//! The runtime's weights come from the v2 benchmarks in `benchmarking.rs` (`./scripts/bench`);
//! `()` is for the pallet's own tests.

use frame_support::weights::Weight;

/// The weight of each call and of a session's choice.
pub trait WeightInfo {
	/// Naming `n` invulnerables beside a full list of candidates.
	fn set_invulnerables(n: u32) -> Weight;
	/// Offering with `c` candidates listed, the list not full.
	fn offer(c: u32) -> Weight;
	/// Offering to a full list: every candidate's stake and keys read, the weakest displaced.
	fn offer_displacing() -> Weight;
	/// Retiring from `c` candidates listed.
	fn retire(c: u32) -> Weight;
	/// Choosing among `c` qualifying candidates at a new session (inside the session pallet's
	/// rotation, which takes the whole block).
	fn new_session(c: u32) -> Weight;
}

/// Unit weights for tests.
impl WeightInfo for () {
	fn set_invulnerables(n: u32) -> Weight {
		Weight::from_parts(10_000 * (n as u64 + 1), 0)
	}
	fn offer(c: u32) -> Weight {
		Weight::from_parts(10_000 * (c as u64 + 1), 0)
	}
	fn offer_displacing() -> Weight {
		Weight::from_parts(2_000_000, 0)
	}
	fn retire(c: u32) -> Weight {
		Weight::from_parts(10_000 * (c as u64 + 1), 0)
	}
	fn new_session(c: u32) -> Weight {
		Weight::from_parts(10_000 * (c as u64 + 1), 0)
	}
}
