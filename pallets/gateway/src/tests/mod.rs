pub mod mock;

mod answer_tests;
mod draw_tests;
mod duty_tests;
mod mediation_tests;
mod offchain_tests;
mod proof_tests;

use frame_support::{assert_noop, assert_ok, BoundedVec};
use keymarket_primitives::{gateway::SignerSet, policies::MAX_CFRAG_LEN};
use sp_runtime::traits::ConstU32;

use crate::{Error, Event};
use mock::*;

/// Benchmark set-up in the mock: the mock's network, a policy of Ursula 0 for Bob.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarks {
	fn active_ursula(index: u32, signing_key: [u8; 32]) -> AccountId {
		let worker: AccountId = frame_benchmarking::account("gateway", index, 0);
		network(|n| {
			n.keys.insert(
				worker.clone(),
				keymarket_primitives::registry::RegisteredKeys { umbral_key: [2; 33], signing_key },
			)
		});
		let period = <MockUrsulas as keymarket_primitives::time::Clock>::current_period();
		for p in period..=period + 1 {
			commit(&worker, p, 100 + index as u128);
		}
		worker
	}

	fn policy_of(worker: &AccountId, bob: &AccountId, _policies: u32) -> crate::PolicyId {
		use crate::benchmarking::fixture;
		let keys = keymarket_primitives::policies::AccusedPolicy {
			bob: bob.clone(),
			bob_key: fixture::BOB_KEY,
			verifying_key: fixture::VERIFYING_KEY,
			policy_key: fixture::POLICY_KEY,
			window: keymarket_primitives::policies::ServiceWindow {
				start: 0,
				end: 1_000,
				revoked_at: None,
			},
		};
		network(|n| n.policies.insert(POLICY, (vec![worker.clone()], keys)));
		POLICY
	}

	fn go_to_round(round: crate::Round) {
		System::set_block_number((round * BLOCKS_PER_ROUND) as u64);
	}
}

/// Submits a proof against `accused` on `request` signed by the gateways at `signers`, from
/// the first of them.
fn prove(
	accused: &AccountId,
	request: &[u8],
	signers: &[u32],
) -> sp_runtime::DispatchResultWithInfo<frame_support::dispatch::PostDispatchInfo> {
	let (claim, set, signatures) = proof(accused, request, signers);
	submit(claim, request, set, signatures)
}

fn submit(
	claim: crate::UnavailabilityClaim<AccountId>,
	request: &[u8],
	set: SignerSet,
	signatures: Vec<[u8; 64]>,
) -> sp_runtime::DispatchResultWithInfo<frame_support::dispatch::PostDispatchInfo> {
	Gateway::prove_unavailable(
		RuntimeOrigin::signed(account("Submitter")),
		claim,
		request.to_vec().try_into().expect("a short request"),
		set,
		signatures.try_into().expect("at most 64 signatures"),
	)
}

/// An answer of `cfrags`.
fn answer(
	cfrags: &[&[u8]],
) -> BoundedVec<BoundedVec<u8, ConstU32<MAX_CFRAG_LEN>>, ConstU32<{ crate::MAX_COMPLAINT_CAPSULES }>>
{
	cfrags
		.iter()
		.map(|c| c.to_vec().try_into().expect("a short fragment"))
		.collect::<Vec<_>>()
		.try_into()
		.expect("a few fragments")
}

/// An Ursula of the policy (Ursulas 0..3) that is not a gateway of round 2, if there is one.
fn accused() -> AccountId {
	let gateways = crate::Rounds::<Test>::get(2).expect("round 2 began").gateways;
	(0..3)
		.map(ursula)
		.find(|u| gateways.iter().all(|g| &g.worker != u))
		.unwrap_or_else(|| ursula(0))
}

/// The first `THRESHOLD` gateways of the current round other than `accused`.
fn signers_against(accused: &AccountId) -> Vec<u32> {
	other_gateways(accused).into_iter().take(THRESHOLD as usize).collect()
}

#[allow(unused_imports)]
use {assert_noop as _, assert_ok as _, Error as _, Event as _};
