//! Weights of the lottery pallet.
//!
//! The runtime's weights come from the v2 benchmarks in `benchmarking.rs` (`./scripts/bench`);
//! `()` is for the pallet's own tests.

use frame_support::weights::Weight;

/// The weight of each call.
pub trait WeightInfo {
	fn fund() -> Weight;
	fn authorize() -> Weight;
	fn unlock() -> Weight;
	fn withdraw() -> Weight;
	fn commit() -> Weight;
	/// A batch of winning tickets from `p` payers' accounts: one ticket per account and `n`
	/// more (every check of every ticket; one account written and one transfer per payer).
	fn redeem(n: u32, p: u32) -> Weight;
	/// A reserve shared among `u` Ursulas, and the fraud reported.
	fn share_reserve(u: u32) -> Weight;
}

/// Unit weights for tests.
impl WeightInfo for () {
	fn fund() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn authorize() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn unlock() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn withdraw() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn commit() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	/// An account costs more than a ticket, as in the runtime's weights.
	fn redeem(n: u32, p: u32) -> Weight {
		Weight::from_parts(10_000 + 1_000 * n as u64 + 8_000 * p as u64, 0)
	}
	fn share_reserve(u: u32) -> Weight {
		Weight::from_parts(10_000 + 1_000 * u as u64, 0)
	}
}
