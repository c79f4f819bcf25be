//! Weights of the staking calls.
//!
//! The runtime's weights come from the v2 benchmarks in `benchmarking.rs` (run with the node's
//! `benchmark pallet`); `()` is for the pallet's own tests.

use frame_support::weights::Weight;

/// The weight of each call.
pub trait WeightInfo {
	fn stake() -> Weight;
	fn increase_stake() -> Weight;
	fn divide_stake() -> Weight;
	fn prolong_stake() -> Weight;
	fn merge_stakes() -> Weight;
	fn remove_unused_sub_stake() -> Weight;
	fn set_wind_down() -> Weight;
	fn set_restake() -> Weight;
	fn withdraw() -> Weight;
	fn bond_worker() -> Weight;
	fn register_worker() -> Weight;
	fn commit_to_next_period() -> Weight;
	fn check_duty() -> Weight;
	fn mint() -> Weight;
	fn set_stage() -> Weight;
	fn set_terms() -> Weight;
}

/// Unit weights for tests: each call counts as one read and one write.
impl WeightInfo for () {
	fn stake() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn increase_stake() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn divide_stake() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn prolong_stake() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn merge_stakes() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn remove_unused_sub_stake() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn set_wind_down() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn set_restake() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn withdraw() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn bond_worker() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn register_worker() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn commit_to_next_period() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn check_duty() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn mint() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn set_stage() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn set_terms() -> Weight {
		Weight::from_parts(10_000, 0)
	}
}
