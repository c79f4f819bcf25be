//! The worker's duty transaction: a signed `commit_to_next_period`, checked in the pool by
//! [`CheckDuty`] (precise codes, one per worker and period, above any tip), fee-free only when
//! the commitment can succeed; and the off-chain worker that signs and submits it.

use codec::Decode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{CheckIfFeeless, GetDispatchInfo},
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityError, ValidTransaction,
	},
	traits::Hooks,
};
use keymarket_primitives::staking::validity;
use sp_core::offchain::{
	testing::{TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
};
use sp_runtime::{generic::Preamble, testing::UintAuthorityId, traits::DispatchTransaction};

use super::mock::*;
use crate::{Call, CheckDuty, Error, Event, Workers, COMMITMENT_PRIORITY};

fn commit() -> RuntimeCall {
	RuntimeCall::Staking(Call::commit_to_next_period {})
}

/// What the pool's duty check says of `call` signed by `who`.
fn validity(
	who: AccountId,
	call: &RuntimeCall,
) -> Result<ValidTransaction, TransactionValidityError> {
	CheckDuty::<Test>::new()
		.validate_only(
			RuntimeOrigin::signed(who),
			call,
			&call.get_dispatch_info(),
			0,
			TransactionSource::External,
			0,
		)
		.map(|(valid, _, _)| valid)
}

fn invalid(why: InvalidTransaction) -> Result<ValidTransaction, TransactionValidityError> {
	Err(why.into())
}

fn feeless(who: AccountId) -> bool {
	commit().is_feeless(&RuntimeOrigin::signed(who))
}

#[test]
fn a_due_commitment_is_valid_fee_free_first_in_line_and_commits() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		let valid = validity(URSULA_A, &commit()).unwrap();
		assert_eq!(valid.priority, COMMITMENT_PRIORITY);
		assert_eq!(valid.provides.len(), 1);
		// Valid until period 1 begins at block 10.
		assert_eq!(valid.longevity, 9);
		assert!(feeless(URSULA_A));
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)));
		assert_eq!(last_event(), Event::Committed { worker: URSULA_A, staker: ALICE, period: 1 });
		// Sent again (a replay, or a second transaction with a fresh nonce): stale, and it
		// would pay its fee.
		assert_eq!(validity(URSULA_A, &commit()), invalid(InvalidTransaction::Stale));
		assert!(!feeless(URSULA_A));
	});
}

#[test]
fn two_transactions_of_one_duty_provide_the_same_tag_so_the_pool_keeps_one() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		staked_and_registered(BOB, URSULA_B);
		let first = validity(URSULA_A, &commit()).unwrap();
		let second = validity(URSULA_A, &commit()).unwrap();
		assert_eq!(first.provides, second.provides);
		// Another worker's duty, or the same worker's next period, is another tag.
		assert_ne!(validity(URSULA_B, &commit()).unwrap().provides, first.provides);
		go_to_period(1);
		assert_ne!(validity(URSULA_A, &commit()).unwrap().provides, first.provides);
	});
}

#[test]
fn bad_commitments_get_precise_validity_errors_and_pay_if_they_get_in() {
	run(|| {
		// A stranger.
		assert_eq!(
			validity(BOB, &commit()),
			invalid(InvalidTransaction::Custom(validity::NOT_A_WORKER))
		);
		assert!(!feeless(BOB));
		// A bonded but unregistered worker.
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 1_000, 10));
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_A)));
		assert_eq!(
			validity(URSULA_A, &commit()),
			invalid(InvalidTransaction::Custom(validity::NOT_REGISTERED))
		);
		assert!(!feeless(URSULA_A));
		// A registered worker whose staker lets its lock run out.
		assert_ok!(register(URSULA_A, b"https://127.0.0.1:9151", "Ursula"));
		assert_ok!(Staking::set_wind_down(RuntimeOrigin::signed(ALICE), true));
		go_to_period(10);
		assert_eq!(
			validity(URSULA_A, &commit()),
			invalid(InvalidTransaction::Custom(validity::NOT_ENOUGH_STAKE))
		);
		assert!(!feeless(URSULA_A));
		// Root is not a worker: a duty needs a signer.
		let root = CheckDuty::<Test>::new().validate_only(
			RuntimeOrigin::root(),
			&commit(),
			&commit().get_dispatch_info(),
			0,
			TransactionSource::External,
			0,
		);
		assert_eq!(root.map(|_| ()), Err(InvalidTransaction::BadSigner.into()));
		// Were one to reach a block anyway, it fails as a call.
		assert_noop!(
			Staking::commit_to_next_period(RuntimeOrigin::signed(BOB)),
			Error::<Test>::NotAWorker
		);
	});
}

#[test]
fn other_calls_pass_the_duty_check_untouched() {
	run(|| {
		let stake = RuntimeCall::Staking(Call::stake { value: 1_000, periods: 10 });
		assert_eq!(validity(ALICE, &stake), Ok(ValidTransaction::default()));
		assert!(!stake.is_feeless(&RuntimeOrigin::signed(ALICE)));
	});
}

/// The staking calls in the pool's transactions, with their signers.
fn decode_calls(transactions: &[Vec<u8>]) -> Vec<(AccountId, Call<Test>)> {
	transactions
		.iter()
		.map(|bytes| {
			let xt = Extrinsic::decode(&mut &bytes[..]).expect("an extrinsic");
			let Preamble::Signed(signer, _, _) = xt.preamble else {
				panic!("a duty is a signed transaction: {:?}", xt.preamble)
			};
			match xt.function {
				RuntimeCall::Staking(call) => (signer, call),
				other => panic!("unexpected call {other:?}"),
			}
		})
		.collect()
}

#[test]
fn the_off_chain_worker_signs_the_hosted_workers_duty_without_a_manual_step() {
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
		assert_eq!(calls[0], (URSULA_A, Call::commit_to_next_period {}));
		assert!(validity(URSULA_A, &commit()).is_ok());

		// The persistent lock stops a second submission in the next blocks...
		Staking::offchain_worker(2);
		assert_eq!(submitted().len(), 1);
		// ...and lets a lost one be retried.
		System::set_block_number(6);
		Staking::offchain_worker(6);
		assert_eq!(submitted().len(), 2);

		// Once the commitment landed there is nothing more to submit in this period.
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)));
		System::set_block_number(9);
		Staking::offchain_worker(9);
		assert_eq!(submitted().len(), 2);
		assert_eq!(Workers::<Test>::get(URSULA_A).unwrap().last_committed_period, Some(1));

		// The next period brings the next commitment.
		go_to_period(1);
		Staking::offchain_worker(10);
		assert_eq!(submitted().last(), Some(&(URSULA_A, Call::commit_to_next_period {})));
		assert_eq!(submitted().len(), 3);
	});
}

#[test]
fn a_bonded_worker_account_exists_for_its_nonce_without_holding_tokens() {
	run(|| {
		assert!(!System::account_exists(&URSULA_A));
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 1_000, 10));
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_A)));
		assert!(System::account_exists(&URSULA_A));
		assert_eq!(Balances::free_balance(URSULA_A), 0);
		// Replaced by another worker, it no longer needs to exist.
		go_to_period(2);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_B)));
		assert!(!System::account_exists(&URSULA_A));
		assert!(System::account_exists(&URSULA_B));
		go_to_period(4);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), None));
		assert!(!System::account_exists(&URSULA_B));
	});
}
