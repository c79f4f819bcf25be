//! Weights of the policies pallet.
//!
//! The runtime's weights come from the v2 benchmarks in `benchmarking.rs` (`./scripts/bench`);
//! `()` is for the pallet's own tests.

use frame_support::weights::Weight;

/// The weight of each call and of the work done for other pallets.
pub trait WeightInfo {
	/// Granting a policy to `n` Ursulas (sampled: the most expensive selection).
	fn create_policy(n: u32) -> Weight;
	/// Revoking a policy of `n` Ursulas.
	fn revoke_policy(n: u32) -> Weight;
	/// Removing an ended policy of `n` Ursulas.
	fn clean_up_policy(n: u32) -> Weight;
	fn withdraw_fees() -> Weight;
	/// Checking a capsule fragment and reporting it.
	fn report_incorrect_cfrag() -> Weight;
	/// Paying an Ursula that serves `n` policies for one period (on its commitment).
	fn on_commitment(n: u32) -> Weight;
	/// What the lottery asks of one policy in a redemption: its terms (a policy of
	/// `MaxUrsulas`), and the record of what its tickets paid.
	fn ticket_policy() -> Weight;
}

/// Unit weights for tests.
impl WeightInfo for () {
	fn create_policy(n: u32) -> Weight {
		Weight::from_parts(10_000 * (1 + n as u64), 0)
	}
	fn revoke_policy(n: u32) -> Weight {
		Weight::from_parts(10_000 * (1 + n as u64), 0)
	}
	fn clean_up_policy(n: u32) -> Weight {
		Weight::from_parts(10_000 * (1 + n as u64), 0)
	}
	fn withdraw_fees() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn report_incorrect_cfrag() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn on_commitment(n: u32) -> Weight {
		Weight::from_parts(10_000 * (1 + n as u64), 0)
	}
	fn ticket_policy() -> Weight {
		Weight::from_parts(10_000, 0)
	}
}
