//! Claims and openings in the pool: a worker's claim and its opening are free, one place each,
//! when and only when they are due; a free one that would fail never reaches a block.

use frame_support::{
	dispatch::GetDispatchInfo,
	pallet_prelude::{TransactionSource, TransactionValidityError, ValidTransaction},
};
use sp_runtime::traits::DispatchTransaction;

use super::{mock::*, *};
use crate::{
	duty::{validity_code, CheckActivityDuty, DUTY_PRIORITY},
	Call,
};

pub(super) fn validate(
	who: &AccountId,
	call: Call<Test>,
) -> Result<ValidTransaction, TransactionValidityError> {
	let call = RuntimeCall::Activity(call);
	let info = call.get_dispatch_info();
	CheckActivityDuty::<Test>::new()
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

pub(super) fn feeless(who: &AccountId, call: Call<Test>) -> bool {
	use frame_support::dispatch::CheckIfFeeless;
	RuntimeCall::Activity(call).is_feeless(&RuntimeOrigin::signed(who.clone()))
}

fn claim_call(built: &Built, omega: u32) -> Call<Test> {
	let root = built.tree.root();
	Call::claim {
		policy: POLICY,
		period: SERVED,
		omega,
		root,
		signature: signature(SERVED, omega, &root),
	}
}

#[test]
fn a_workers_claim_is_a_free_duty_once_and_a_failing_one_is_refused() {
	run(|| {
		let built = honest(&(0..6).map(record).collect::<Vec<_>>());
		let good = claim_call(&built, 6);
		let valid = validate(&worker(), good.clone()).expect("a due claim");
		assert_eq!(valid.priority, DUTY_PRIORITY);
		assert_eq!(valid.provides.len(), 1);
		// It lives until the period can no longer be claimed.
		let last = (SERVED + CLAIM_PERIODS + 1) as u64 * BLOCKS_PER_PERIOD as u64;
		assert_eq!(valid.longevity, last - System::block_number());
		assert!(feeless(&worker(), good.clone()));
		// Signed for another ω: it would fail, and it would be free — refused in the pool.
		let root = built.tree.root();
		let forged = Call::claim {
			policy: POLICY,
			period: SERVED,
			omega: 7,
			root,
			signature: signature(SERVED, 6, &root),
		};
		assert_eq!(
			validate(&worker(), forged.clone()),
			Err(validity_code(Error::<Test>::BadSignature).into())
		);
		assert!(!feeless(&worker(), forged));
		// A stranger's claim is an ordinary transaction: it pays to learn its error.
		assert_eq!(validate(&account("Eve"), good.clone()), Ok(ValidTransaction::default()));
		assert!(!feeless(&account("Eve"), good.clone()));
		// Taken once: again, it is refused in the pool.
		assert_ok!(claim(&built));
		assert_eq!(
			validate(&worker(), good),
			Err(validity_code(Error::<Test>::AlreadyClaimed).into())
		);
	});
}

#[test]
fn opening_the_challenged_leaves_is_a_free_duty_and_anything_else_is_refused() {
	run(|| {
		let built = honest(&(0..6).map(record).collect::<Vec<_>>());
		let open_call = |openings| Call::open { policy: POLICY, period: SERVED, openings };
		// No claim: an ordinary transaction.
		assert_eq!(
			validate(&worker(), open_call(Default::default())),
			Ok(ValidTransaction::default())
		);
		assert_ok!(claim(&built));
		an_opening_is_a_duty_only_when_due(
			|openings: Vec<crate::OpeningOf<Test>>| open_call(openings.try_into().unwrap()),
			|| openings(&built).to_vec(),
			|good| {
				assert_ok!(open(good.try_into().unwrap()));
			},
		);
	});
}

/// An opening in the pool once its claim is made: refused before the claim's beacon
/// (`TooEarly`); with the challenged leaves (`openings`, read after the beacon) a free duty;
/// without one of them refused (`WrongChallenges`) and not free; refused once `open` made it
/// (`AlreadyOpened`). `call` makes the opening's call of a list of openings.
pub(super) fn an_opening_is_a_duty_only_when_due<O: Clone>(
	call: impl Fn(Vec<O>) -> Call<Test>,
	openings: impl FnOnce() -> Vec<O>,
	open: impl FnOnce(Vec<O>),
) {
	let refused = |error: Error<Test>| -> Result<ValidTransaction, TransactionValidityError> {
		Err(validity_code(error).into())
	};
	assert_eq!(validate(&worker(), call(vec![])), refused(Error::<Test>::TooEarly));
	after_beacon();
	let good = openings();
	let valid = validate(&worker(), call(good.clone())).expect("a due opening");
	assert_eq!(valid.priority, DUTY_PRIORITY);
	assert!(feeless(&worker(), call(good.clone())));
	let mut fewer = good.clone();
	fewer.pop();
	assert_eq!(validate(&worker(), call(fewer.clone())), refused(Error::<Test>::WrongChallenges));
	assert!(!feeless(&worker(), call(fewer)));
	open(good.clone());
	assert_eq!(validate(&worker(), call(good)), refused(Error::<Test>::AlreadyOpened));
}

#[test]
fn the_outbox_becomes_signed_duties_of_the_hosted_worker() {
	use frame_support::traits::Hooks;
	use keymarket_primitives::activity::{ActivityDuty, OUTBOX_KEY};
	use sp_runtime::offchain::storage::StorageValueRef;

	let (mut ext, submitted) = offchain_ext();
	ext.execute_with(|| {
		// This node hosts the worker.
		let built = honest(&(0..6).map(record).collect::<Vec<_>>());
		let (omega, root) = (built.tree.omega(), built.tree.root());
		let duty = |worker: AccountId, omega: u32, signed: u32| ActivityDuty::Claim {
			worker,
			policy: POLICY,
			period: SERVED,
			omega,
			root,
			signature: signature(SERVED, signed, &root),
		};
		// Another worker's claim (not this node's key), a claim that would fail (signed for
		// another ω), and the hosted worker's good one.
		StorageValueRef::persistent(OUTBOX_KEY).set(&vec![
			duty(account("Eve"), omega, omega),
			duty(worker(), omega + 1, omega),
			duty(worker(), omega, omega),
		]);
		Activity::offchain_worker(System::block_number());
		let sent = submitted();
		assert_eq!(sent.len(), 1, "only the hosted worker's claim that will succeed");
		match &sent[0].preamble {
			sp_runtime::generic::Preamble::Signed(signer, ..) => assert_eq!(*signer, worker()),
			other => panic!("a signed transaction, not {other:?}"),
		}
		// The hosted worker's claim (sr25519 signatures differ each time they are made).
		assert!(matches!(
			&sent[0].function,
			RuntimeCall::Activity(Call::claim { policy: POLICY, period: SERVED, omega: o, root: r, .. })
				if *o == omega && *r == root
		));
		assert!(crate::offchain::read_outbox::<AccountId>().is_empty(), "taken");

		// The claim lands. An opening before the beacon is dropped; after it, the challenged
		// leaves go out, and openings of other leaves are dropped.
		assert_ok!(claim(&built));
		let open_duty = |openings: Vec<keymarket_primitives::activity::Opening>| {
			ActivityDuty::Open { worker: worker(), policy: POLICY, period: SERVED, openings }
		};
		StorageValueRef::persistent(OUTBOX_KEY).set(&vec![open_duty(vec![])]);
		Activity::offchain_worker(System::block_number());
		assert_eq!(submitted().len(), 1);
		after_beacon();
		let good = openings(&built);
		let unbounded: Vec<_> = good.iter().map(|o| o.unbounded()).collect();
		let mut others = unbounded.clone();
		others.reverse();
		StorageValueRef::persistent(OUTBOX_KEY).set(&vec![open_duty(others), open_duty(unbounded)]);
		Activity::offchain_worker(System::block_number());
		let sent = submitted();
		assert_eq!(sent.len(), 2);
		assert_eq!(
			sent[1].function,
			RuntimeCall::Activity(Call::open { policy: POLICY, period: SERVED, openings: good })
		);
		// Nothing more next block.
		Activity::offchain_worker(System::block_number());
		assert_eq!(submitted().len(), 2);
	});
}
