//! Weights of the slashing pallet.
//!
//! The runtime's weights come from the v2 benchmarks in `benchmarking.rs` (`./scripts/bench`);
//! `()` is for the pallet's own tests.

use frame_support::weights::Weight;

/// The weight of each call and of the work at the start of a period.
pub trait WeightInfo {
	fn cancel_slash() -> Weight;
	/// Applying `n` due slashes at the start of a period.
	fn apply_due_slashes(n: u32) -> Weight;
	/// Forgetting `n` reported offences that left the evidence window.
	fn prune_reported(n: u32) -> Weight;
	/// Judging and recording one offence (paid for by the reporting pallet's call).
	fn report() -> Weight;
}

/// Unit weights for tests.
impl WeightInfo for () {
	fn cancel_slash() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn apply_due_slashes(n: u32) -> Weight {
		Weight::from_parts(10_000 * n as u64, 0)
	}
	fn prune_reported(n: u32) -> Weight {
		Weight::from_parts(10_000 * n as u64, 0)
	}
	fn report() -> Weight {
		Weight::from_parts(10_000, 0)
	}
}
