//! The node's fee-less commitment: its authorization (cheap checks first, signature last) and
//! the off-chain worker that submits it.

use codec::Decode;
use frame_support::{
	assert_noop, assert_ok,
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityError, ValidTransaction,
	},
	traits::{Authorize, Hooks, UnfilteredDispatchable},
};
use sp_core::offchain::{
	testing::{TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
};
use sp_runtime::{
	testing::{TestSignature, UintAuthorityId},
	DispatchError,
};

use super::mock::*;
use crate::{Call, Error, Event, Workers};

/// `worker`'s commitment to `period`, signed by `signer`.
fn commitment(worker: AccountId, period: u32, signer: AccountId) -> Call<Test> {
	let payload = Staking::commitment_payload(&worker, period);
	Call::submit_commitment { worker, period, signature: TestSignature(signer, payload) }
}

fn validity(call: &Call<Test>) -> Result<ValidTransaction, TransactionValidityError> {
	call.authorize(TransactionSource::External)
		.expect("submit_commitment is an authorized call")
		.map(|(valid, _refund)| valid)
}

fn invalid(why: InvalidTransaction) -> Result<ValidTransaction, TransactionValidityError> {
	Err(why.into())
}

#[test]
fn a_signed_commitment_from_the_node_is_valid_and_commits() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		let call = commitment(URSULA_A, 1, URSULA_A);
		let valid = validity(&call).unwrap();
		assert_eq!(valid.provides.len(), 1);
		// Valid until period 1 begins at block 10.
		assert_eq!(valid.longevity, 9);
		assert_ok!(call.clone().dispatch_bypass_filter(frame_system::RawOrigin::Authorized.into()));
		assert_eq!(last_event(), Event::Committed { worker: URSULA_A, staker: ALICE, period: 1 });
		// A replay is stale.
		assert_eq!(validity(&call), invalid(InvalidTransaction::Stale));
	});
}

#[test]
fn bad_commitments_get_precise_validity_errors() {
	run(|| {
		// A stranger.
		assert_eq!(validity(&commitment(BOB, 1, BOB)), invalid(InvalidTransaction::Custom(1)));
		// Bonded, not registered.
		assert_ok!(Staking::stake(RuntimeOrigin::signed(BOB), 1_000, 2));
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(BOB), Some(URSULA_B)));
		assert_eq!(
			validity(&commitment(URSULA_B, 1, URSULA_B)),
			invalid(InvalidTransaction::Custom(2))
		);
		// Bob's two-period stake winds down: it unlocks when period 2 begins.
		assert_ok!(Staking::set_wind_down(RuntimeOrigin::signed(BOB), true));
		staked_and_registered(ALICE, URSULA_A);
		go_to_period(1);
		// Past and future periods.
		assert_eq!(
			validity(&commitment(URSULA_A, 1, URSULA_A)),
			invalid(InvalidTransaction::Stale)
		);
		assert_eq!(
			validity(&commitment(URSULA_A, 3, URSULA_A)),
			invalid(InvalidTransaction::Future)
		);
		// Signed by someone else, or over another period.
		assert_eq!(
			validity(&commitment(URSULA_A, 2, URSULA_B)),
			invalid(InvalidTransaction::BadProof)
		);
		let mut other_period = commitment(URSULA_A, 2, URSULA_A);
		if let Call::submit_commitment { signature, .. } = &mut other_period {
			signature.1 = Staking::commitment_payload(&URSULA_A, 3);
		}
		assert_eq!(validity(&other_period), invalid(InvalidTransaction::BadProof));
		// Too little stake left locked through the next period.
		assert_ok!(register(URSULA_B, b"", "Ursula"));
		assert_eq!(
			validity(&commitment(URSULA_B, 2, URSULA_B)),
			invalid(InvalidTransaction::Custom(3))
		);
		assert!(staking_events().iter().all(|e| !matches!(e, Event::Committed { .. })));
	});
}

#[test]
fn only_the_authorization_may_dispatch_a_node_commitment() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		let call = commitment(URSULA_A, 1, URSULA_A);
		assert_noop!(
			call.clone().dispatch_bypass_filter(RuntimeOrigin::signed(URSULA_A)),
			DispatchError::BadOrigin
		);
		assert_noop!(call.dispatch_bypass_filter(RuntimeOrigin::root()), DispatchError::BadOrigin);
	});
}

#[test]
fn a_commitment_that_went_stale_after_validation_fails_at_dispatch() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		let call = commitment(URSULA_A, 1, URSULA_A);
		assert!(validity(&call).is_ok());
		// The period turned before the block that carries it.
		go_to_period(1);
		assert_noop!(
			call.dispatch_bypass_filter(frame_system::RawOrigin::Authorized.into()),
			Error::<Test>::WrongCommitPeriod
		);
	});
}

/// The staking calls in the pool's transactions.
fn decode_calls(transactions: &[Vec<u8>]) -> Vec<Call<Test>> {
	transactions
		.iter()
		.map(|bytes| {
			let xt = Extrinsic::decode(&mut &bytes[..]).expect("an extrinsic");
			match xt.function {
				RuntimeCall::Staking(call) => call,
				other => panic!("unexpected call {other:?}"),
			}
		})
		.collect()
}

#[test]
fn the_off_chain_worker_commits_for_the_hosted_worker_without_a_manual_step() {
	// Test externalities with off-chain storage and a transaction pool.
	let mut ext = new_test_ext();
	let (offchain, _state) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	let submitted = || decode_calls(&pool_state.read().transactions);
	run_in(ext, || {
		UintAuthorityId::set_all_keys(vec![URSULA_A, 99]);
		// Nothing to do before the worker is bonded and registered.
		Staking::offchain_worker(1);
		assert!(submitted().is_empty());

		staked_and_registered(ALICE, URSULA_A);
		Staking::offchain_worker(1);
		let calls = submitted();
		assert_eq!(calls.len(), 1, "one commitment, for the bonded key only");
		assert!(matches!(&calls[0], Call::submit_commitment { worker: URSULA_A, period: 1, .. }));
		assert!(validity(&calls[0]).is_ok());

		// The persistent lock stops a second submission in the next blocks...
		Staking::offchain_worker(2);
		assert_eq!(submitted().len(), 1);
		// ...and lets a lost one be retried.
		System::set_block_number(6);
		Staking::offchain_worker(6);
		assert_eq!(submitted().len(), 2);

		// Once the commitment landed there is nothing more to submit in this period.
		assert_ok!(calls[0]
			.clone()
			.dispatch_bypass_filter(frame_system::RawOrigin::Authorized.into()));
		System::set_block_number(9);
		Staking::offchain_worker(9);
		assert_eq!(submitted().len(), 2);
		assert_eq!(Workers::<Test>::get(URSULA_A).unwrap().last_committed_period, Some(1));

		// The next period brings the next commitment.
		go_to_period(1);
		Staking::offchain_worker(10);
		assert!(matches!(
			submitted().last(),
			Some(Call::submit_commitment { worker: URSULA_A, period: 2, .. })
		));
	});
}
