mod adjudicator_tests;
mod fee_tests;
mod grant_tests;
mod migration_tests;
pub(crate) mod mock;

use frame_support::{assert_ok, BoundedVec};
use keymarket_primitives::staking::Period;
use mock::*;

use crate::{PolicyGrant, PolicyId};

pub const POLICY: PolicyId = [7; 16];
pub const RATE: Balance = 100;
pub const PRICE: Balance = 7;

/// Alice grants Bob, M of N, periods `start..end` at `RATE`, requests at `PRICE`.
pub fn grant(threshold: u8, start: Period, end: Period) -> PolicyGrant<AccountId, Balance> {
	PolicyGrant {
		bob: BOB,
		bob_key: umbral_public(2),
		verifying_key: umbral_public(3),
		policy_key: umbral_public(4),
		threshold,
		start,
		end,
		rate: RATE,
		price: PRICE,
	}
}

pub fn named(
	workers: &[AccountId],
) -> BoundedVec<AccountId, frame_support::traits::ConstU32<MAX_URSULAS>> {
	BoundedVec::truncate_from(workers.to_vec())
}

pub fn kfrags(
	n: usize,
) -> BoundedVec<
	BoundedVec<u8, frame_support::traits::ConstU32<1024>>,
	frame_support::traits::ConstU32<MAX_URSULAS>,
> {
	BoundedVec::truncate_from(vec![envelope(); n])
}

/// Alice's 2-of-3 policy `POLICY` on Ursulas 11, 12, 13 for periods 10..15.
pub fn alice_grants() {
	assert_ok!(Policies::create_policy(
		RuntimeOrigin::signed(ALICE),
		POLICY,
		grant(2, 10, 15),
		named(&URSULAS[..3]),
		kfrags(3),
	));
}

/// Moves to `period`, with the given workers committed to it and to the next one (so that each
/// commitment to the next pays for this one).
pub fn serve(period: Period, workers: &[AccountId]) {
	network(|n| {
		n.period = period;
		for w in workers {
			n.committed.insert((*w, period));
		}
	});
	for w in workers {
		network(|n| n.committed.insert((*w, period + 1)));
		commit(*w, period + 1);
	}
}

/// Tells the pallet that `worker` committed to `period`, as the staking pallet does: with its
/// staker, the stage, and whether it was committed to the period before.
pub fn commit(worker: AccountId, period: Period) {
	use crate::UrsulaRegistry;
	let served = period.checked_sub(1).filter(|p| MockUrsulas::committed_to(&worker, *p));
	let commitment = crate::Commitment {
		worker,
		staker: MockUrsulas::staker_of(&worker).expect("a mock worker has a staker"),
		period,
		served,
		stage: MockUrsulas::stage(),
		stake: 1_000,
	};
	<crate::Pallet<Test> as crate::OnCommitment<AccountId>>::on_commitment(&commitment);
}
