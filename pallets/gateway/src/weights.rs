//! Weights of the gateway pallet.
//!
//! The runtime's weights come from the v2 benchmarks in `benchmarking.rs` (`./scripts/bench`);
//! `()` is for the pallet's own tests.

use frame_support::weights::Weight;

/// The weight of each call and of the work at the start of a round.
pub trait WeightInfo {
	/// A proof with `s` gateway signatures (each checked).
	fn prove_unavailable(s: u32) -> Weight;
	/// An answer of `c` capsule fragments (each judged), reporting `g` gateways.
	fn answer_case(c: u32, g: u32) -> Weight;
	/// A round's start: `n` gateways drawn from a line of `m` candidates.
	fn start_round(n: u32, m: u32) -> Weight;
	/// Closing one case of an Ursula that serves `p` policies.
	fn close_case(p: u32) -> Weight;
	/// A silent gateway passing its case on (opening one against the next).
	fn pass_case() -> Weight;
}

/// Unit weights for tests.
impl WeightInfo for () {
	fn prove_unavailable(s: u32) -> Weight {
		Weight::from_parts(10_000 + 1_000 * s as u64, 0)
	}
	fn answer_case(c: u32, g: u32) -> Weight {
		Weight::from_parts(10_000 + 1_000 * c as u64 + 1_000 * g as u64, 0)
	}
	fn start_round(n: u32, m: u32) -> Weight {
		Weight::from_parts(10_000 + 1_000 * n as u64 + m as u64, 0)
	}
	fn close_case(p: u32) -> Weight {
		Weight::from_parts(10_000 + 1_000 * p as u64, 0)
	}
	fn pass_case() -> Weight {
		Weight::from_parts(10_000, 0)
	}
}
