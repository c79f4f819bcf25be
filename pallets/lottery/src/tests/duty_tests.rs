//! Duties in the pool and from the off-chain worker: a worker's commitment and its reveal are
//! free, one place each in the pool, when and only when they will succeed; the off-chain worker
//! submits what the Ursula service left in the outbox as the hosted worker's transactions.

use super::*;
use crate::{
	duty::{validity_code, CheckLotteryDuty, DUTY_PRIORITY},
	offchain::read_outbox,
	Call, Round,
};
use codec::Decode;
use frame_support::{
	dispatch::GetDispatchInfo,
	pallet_prelude::{TransactionSource, TransactionValidityError, ValidTransaction},
	traits::Hooks,
};
use keymarket_primitives::{
	lottery::{LotteryDuty, OUTBOX_KEY},
	staking::WORKER_KEY_TYPE,
};
use sp_core::offchain::{
	testing::{TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
};
use sp_keystore::Keystore;
use sp_runtime::{offchain::storage::StorageValueRef, traits::DispatchTransaction};

fn validate(
	who: &AccountId,
	call: Call<Test>,
) -> Result<ValidTransaction, TransactionValidityError> {
	let call = RuntimeCall::Lottery(call);
	let info = call.get_dispatch_info();
	CheckLotteryDuty::<Test>::new()
		.validate_only(
			RuntimeOrigin::signed(who.clone()),
			&call,
			&info,
			0,
			TransactionSource::External,
			0,
		)
		.map(|(valid, _, _)| valid)
}

fn commit_call(i: u32, round: Round) -> Call<Test> {
	Call::commit { commitment: commitment(i, round) }
}

fn redeem_call(i: u32, round: Round) -> Call<Test> {
	Call::redeem { revealed: value(i, round), batch: Default::default() }
}

#[test]
fn a_workers_commitment_is_a_duty_once_a_round() {
	run(|| {
		setup();
		let valid = validate(&ursula(0), commit_call(0, 1)).expect("a due commitment");
		assert_eq!(valid.priority, DUTY_PRIORITY);
		assert_eq!(valid.provides.len(), 1);
		// Until the round ends: round 1 is blocks 5..10 and the chain is at block 6.
		assert_eq!(valid.longevity, 4);
		// Another value from the same worker in the same round takes the same place.
		assert_eq!(validate(&ursula(0), commit_call(0, 7)).unwrap().provides, valid.provides);
		assert_ne!(validate(&ursula(1), commit_call(1, 1)).unwrap().provides, valid.provides);

		commit(0);
		// Done for the round: a second would be free and fail, so the pool refuses it.
		assert_eq!(
			validate(&ursula(0), commit_call(0, 1)),
			Err(validity_code(Error::<Test>::AlreadyCommitted).into())
		);
		go_to_round(2);
		commit(0);
		// Anyone else's commitment is an ordinary transaction: it pays to fail.
		assert_eq!(validate(&account("Dave"), commit_call(0, 3)), Ok(ValidTransaction::default()));
	});
}

#[test]
fn a_reveal_of_the_previous_value_is_a_duty_and_any_other_redemption_pays() {
	run(|| {
		setup();
		commit(0);
		// Nothing to reveal yet: an ordinary transaction.
		assert_eq!(validate(&ursula(0), redeem_call(0, 1)), Ok(ValidTransaction::default()));
		go_to_round(2);
		commit(0);
		let valid = validate(&ursula(0), redeem_call(0, 1)).expect("a due reveal");
		assert_eq!(valid.priority, DUTY_PRIORITY);
		assert_eq!(valid.provides.len(), 1);
		// A wrong value, or someone else revealing: ordinary.
		assert_eq!(validate(&ursula(0), redeem_call(0, 2)), Ok(ValidTransaction::default()));
		assert_eq!(validate(&ursula(1), redeem_call(0, 1)), Ok(ValidTransaction::default()));
		assert_ok!(redeem(0, 1, vec![]));
		// Revealed: a second redemption against it pays its fee.
		assert_eq!(validate(&ursula(0), redeem_call(0, 1)), Ok(ValidTransaction::default()));
		// A worker that is no longer one (its redemption would fail) pays too, however often.
		go_to_round(3);
		commit(0);
		network(|n| n.workers.remove(&ursula(0)));
		assert_eq!(validate(&ursula(0), redeem_call(0, 2)), Ok(ValidTransaction::default()));
		use frame_support::dispatch::CheckIfFeeless;
		assert!(!redeem_call(0, 2).is_feeless(&RuntimeOrigin::signed(ursula(0))));
		network(|n| n.workers.insert(ursula(0)));
		assert!(redeem_call(0, 2).is_feeless(&RuntimeOrigin::signed(ursula(0))));
	});
}

#[test]
fn the_outbox_becomes_signed_duties_of_the_hosted_worker() {
	let mut ext = new_test_ext();
	let (offchain, _) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	let keystore = sp_keystore::testing::MemoryKeystore::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(sp_keystore::KeystoreExt::new(keystore.clone()));
	ext.execute_with(|| {
		setup();
		// This node hosts u0.
		keystore.sr25519_generate_new(WORKER_KEY_TYPE, Some("//u0")).unwrap();
		let duty = |worker: u32, round: Round| LotteryDuty::<AccountId, Balance>::Commit {
			worker: ursula(worker),
			commitment: commitment(worker, round),
		};
		// u1's duty is not this node's; a reveal with nothing to reveal would fail.
		let failing =
			LotteryDuty::Redeem { worker: ursula(0), revealed: value(0, 1), batch: vec![] };
		StorageValueRef::persistent(OUTBOX_KEY).set(&vec![duty(1, 1), failing, duty(0, 1)]);

		Lottery::offchain_worker(6);
		let transactions = pool_state.read().transactions.clone();
		assert_eq!(transactions.len(), 1, "only the hosted worker's duty that will succeed");
		let extrinsic = Extrinsic::decode(&mut &transactions[0][..]).unwrap();
		match &extrinsic.preamble {
			sp_runtime::generic::Preamble::Signed(signer, ..) => assert_eq!(*signer, ursula(0)),
			other => panic!("a signed transaction, not {other:?}"),
		}
		assert_eq!(extrinsic.function, RuntimeCall::Lottery(commit_call(0, 1)));
		assert!(read_outbox::<Test>().is_empty(), "taken");

		// The commitment lands; next round the reveal with its winners goes out too.
		commit(0);
		go_to_round(2);
		commit(0);
		alice_funds(1_000, 0, 1_000);
		go_to_block(12);
		let winner = signed(ticket(0, 1, 1), "Bob");
		let reveal = LotteryDuty::Redeem {
			worker: ursula(0),
			revealed: value(0, 1),
			batch: vec![winner.clone()],
		};
		StorageValueRef::persistent(OUTBOX_KEY).set(&vec![reveal]);
		Lottery::offchain_worker(12);
		let transactions = pool_state.read().transactions.clone();
		assert_eq!(transactions.len(), 2);
		let extrinsic = Extrinsic::decode(&mut &transactions[1][..]).unwrap();
		assert_eq!(
			extrinsic.function,
			RuntimeCall::Lottery(Call::redeem {
				revealed: value(0, 1),
				batch: vec![winner].try_into().unwrap()
			})
		);
		// Nothing more next block.
		Lottery::offchain_worker(13);
		assert_eq!(pool_state.read().transactions.len(), 2);
	});
}
