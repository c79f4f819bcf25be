//! Weights of the activity pallet.
//!
//! The runtime's weights come from the v2 benchmarks in `benchmarking.rs` (`./scripts/bench`);
//! `()` is for the pallet's own tests.

use frame_support::weights::Weight;

/// The weight of each call.
pub trait WeightInfo {
	/// A claim: its checks and its signature.
	fn claim() -> Weight;
	/// Opening `n` leaves, each a record of the most capsules, one fragment of each judged.
	fn open(n: u32) -> Weight;
	/// Governance selecting the scheme.
	fn set_scheme() -> Weight;
	/// An attestation with `s` committee signatures: its checks, each signature, the payment.
	fn attest(s: u32) -> Weight;
	/// A private claim with `c` commitments: its checks, its signature, the commitments' tree
	/// and the proof's verification by the host function.
	fn claim_private(c: u32) -> Weight;
	/// Opening `n` leaves of a private claim: as `open`, and each commitment's opening.
	fn open_private(n: u32) -> Weight;
	/// The proof's verification for `c` commitments run inside the runtime (wasm), not by the
	/// host function: measured to compare, charged by no call.
	fn verify_in_runtime(c: u32) -> Weight;
}

/// Unit weights for tests.
impl WeightInfo for () {
	fn claim() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn open(n: u32) -> Weight {
		Weight::from_parts(10_000 * (1 + n as u64), 0)
	}
	fn set_scheme() -> Weight {
		Weight::from_parts(10_000, 0)
	}
	fn attest(s: u32) -> Weight {
		Weight::from_parts(10_000 * (1 + s as u64), 0)
	}
	fn claim_private(c: u32) -> Weight {
		Weight::from_parts(10_000 * (1 + c as u64), 0)
	}
	fn open_private(n: u32) -> Weight {
		Weight::from_parts(10_000 * (1 + n as u64), 0)
	}
	fn verify_in_runtime(c: u32) -> Weight {
		Weight::from_parts(10_000 * (1 + c as u64), 0)
	}
}
