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
	weights::Weight,
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

/// Runs `test` after [`setup`] as the off-chain worker of a node that hosts u0 (its key in the
/// keystore), with an off-chain database and a transaction pool whose submitted transactions
/// `test` reads through its argument.
fn hosting_u0(test: impl FnOnce(&dyn Fn() -> Vec<Vec<u8>>)) {
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
		keystore.sr25519_generate_new(WORKER_KEY_TYPE, Some("//u0")).unwrap();
		test(&|| pool_state.read().transactions.clone());
	});
}

#[test]
fn the_outbox_becomes_signed_duties_of_the_hosted_worker() {
	hosting_u0(|transactions| {
		let duty = |worker: u32, round: Round| LotteryDuty::<AccountId, Balance>::Commit {
			worker: ursula(worker),
			commitment: commitment(worker, round),
		};
		// u1's duty is not this node's; a reveal with nothing to reveal would fail.
		let failing =
			LotteryDuty::Redeem { worker: ursula(0), revealed: value(0, 1), batch: vec![] };
		StorageValueRef::persistent(OUTBOX_KEY).set(&vec![duty(1, 1), failing, duty(0, 1)]);

		Lottery::offchain_worker(6);
		let pooled = transactions();
		assert_eq!(pooled.len(), 1, "only the hosted worker's duty that will succeed");
		let extrinsic = Extrinsic::decode(&mut &pooled[0][..]).unwrap();
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
		let pooled = transactions();
		assert_eq!(pooled.len(), 2);
		let extrinsic = Extrinsic::decode(&mut &pooled[1][..]).unwrap();
		assert_eq!(
			extrinsic.function,
			RuntimeCall::Lottery(Call::redeem {
				revealed: value(0, 1),
				batch: vec![winner].try_into().unwrap()
			})
		);
		// Nothing more next block.
		Lottery::offchain_worker(13);
		assert_eq!(transactions().len(), 2);
	});
}

/// The off-chain worker cuts the Ursula's reveal before it signs it: a batch crowded by sybil
/// payers, heavier than a transaction may be, goes out with what one may carry, the account
/// with the most winners whole.
#[test]
fn a_crowded_reveal_is_signed_cut_to_what_a_transaction_may_weigh() {
	hosting_u0(|transactions| {
		commit(0);
		go_to_round(2);
		commit(0);
		go_to_block(12);
		let batch = sybils_around_alice();
		let (alice, whole) = (Lottery::redeem_weight_of(10, 1, 1), Lottery::redeem_weight(&batch));
		assert!(alice.ref_time() < whole.ref_time());

		// A normal transaction may weigh about halfway between Alice's winners and the batch.
		let mut weights = MockBlockWeights::get();
		let normal = weights.per_class.get_mut(frame_support::dispatch::DispatchClass::Normal);
		let between = (alice.ref_time() + whole.ref_time()) / 2;
		let max = normal.base_extrinsic.ref_time() + between * 100 / 95;
		normal.max_extrinsic = Some(Weight::from_parts(max, u64::MAX / 2));
		MockBlockWeights::set(weights);
		let limit = Lottery::redemption_limit();
		assert!(alice.all_lte(limit) && !whole.all_lte(limit), "{alice} <= {limit} < {whole}");

		let reveal = LotteryDuty::Redeem { worker: ursula(0), revealed: value(0, 1), batch };
		StorageValueRef::persistent(OUTBOX_KEY).set(&vec![reveal.clone()]);
		Lottery::offchain_worker(12);
		let pooled = transactions();
		assert_eq!(pooled.len(), 1, "the reveal went out");
		let extrinsic = Extrinsic::decode(&mut &pooled[0][..]).unwrap();
		let RuntimeCall::Lottery(Call::redeem { revealed, batch: sent }) = extrinsic.function
		else {
			panic!("a redemption, not {:?}", extrinsic.function)
		};
		assert_eq!(revealed, value(0, 1));
		assert!(Lottery::redeem_weight(&sent).all_lte(limit), "within the limit");
		let LotteryDuty::Redeem { batch, .. } = reveal else { unreachable!() };
		assert_eq!(sent.to_vec(), Lottery::fit_batch(batch, limit).0);
		let from_alice = sent.iter().filter(|w| w.ticket.payer == account("Alice")).count();
		assert_eq!(from_alice, 10, "Alice's winners whole");
		assert!(sent.len() < 16, "some sybils left out: {}", sent.len());
	});
}

/// Six sybil payers with one winner each around Alice's ten, all against u0's value of round 1.
fn sybils_around_alice() -> Vec<SignedTicket<AccountId, Balance>> {
	let winner = |payer: &str, policy: u8, nonce: u64| {
		let mut ticket = ticket(0, 1, nonce);
		ticket.payer = account(payer);
		ticket.policy = [policy; 16];
		signed(ticket, "Bob")
	};
	let mut batch: Vec<_> = (0..6).map(|i| winner(&format!("sybil{i}"), i, i.into())).collect();
	batch.splice(3..3, (0..10).map(|nonce| winner("Alice", 7, 100 + nonce)));
	batch
}

/// Sybil payers, each with one winner, would make the Ursula's batch weigh more than one
/// transaction may: the pool would refuse it every time and every winner in it, the honest
/// payer's too, would be lost. The off-chain worker keeps what fits, the accounts with the
/// most winners first.
#[test]
fn a_batch_crowded_by_many_payers_is_cut_to_what_a_transaction_may_weigh() {
	run(|| {
		setup();
		let batch = sybils_around_alice();
		let whole = Lottery::redeem_weight(&batch);

		// Within the limit: untouched.
		assert_eq!(Lottery::fit_batch(batch.clone(), whole), (batch.clone(), 0));

		// Room for Alice's account and two more: hers whole, then the first two sybils.
		let limit = Lottery::redeem_weight_of(12, 3, 3);
		let (kept, left_out) = Lottery::fit_batch(batch.clone(), limit);
		assert_eq!(left_out, 4);
		assert!(Lottery::redeem_weight(&kept).all_lte(limit));
		let alice = kept.iter().filter(|w| w.ticket.payer == account("Alice")).count();
		assert_eq!(alice, 10, "the account with the most winners first");
		let order: Vec<_> = kept.iter().map(|w| w.ticket.nonce).collect();
		assert_eq!(
			order,
			[0, 1, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109],
			"in batch order"
		);

		// Room for fewer than Alice's ten: as many of hers as fit, nobody else's.
		let limit = Lottery::redeem_weight_of(4, 1, 1);
		let (kept, left_out) = Lottery::fit_batch(batch.clone(), limit);
		assert_eq!((kept.len(), left_out), (4, 12));
		assert!(kept.iter().all(|w| w.ticket.payer == account("Alice")));

		// Not even one ticket fits: nothing is kept.
		assert_eq!(Lottery::fit_batch(batch.clone(), Weight::zero()), (vec![], 16));

		// The limit the off-chain worker applies is within a normal transaction's.
		let weights: frame_system::limits::BlockWeights =
			<Test as frame_system::Config>::BlockWeights::get();
		let normal = weights.get(frame_support::dispatch::DispatchClass::Normal);
		let limit = Lottery::redemption_limit();
		assert!(limit.any_gt(Weight::zero()));
		assert!(limit.saturating_add(normal.base_extrinsic).all_lte(normal.max_extrinsic.unwrap()));
	});
}
