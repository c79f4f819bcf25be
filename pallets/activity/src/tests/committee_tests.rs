//! The committee scheme: governance selects it, a committee of a round after the period
//! attests, the worker is paid; every way an attestation can be wrong is refused and changes
//! nothing; claims made before the switch are still opened and paid.

use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	pallet_prelude::{TransactionSource, TransactionValidityError},
};
use keymarket_primitives::{
	activity::{attestation_payload, ActivityScheme, ClaimState},
	gateway::SignerSet,
	time::{Clock, Round},
};
use sp_core::Pair;
use sp_runtime::{traits::DispatchTransaction, DispatchError};

use super::{mock::*, *};
use crate::{
	duty::{validity_code, CheckActivityDuty, DUTY_PRIORITY},
	Attestations, Call, Committee, Scheme,
};

/// The committee's members, in draw order.
const MEMBERS: [&str; 4] = ["m0", "m1", "m2", "m3"];

/// Governance selects the committee scheme; the current round's committee (drawn after
/// [`SERVED`] ended) is [`MEMBERS`], two signatures needed. Returns the round.
fn committee_scheme() -> Round {
	assert_ok!(Activity::set_scheme(RuntimeOrigin::root(), ActivityScheme::Committee));
	let round = MockUrsulas::current_round();
	seat(round, round * BLOCKS_PER_PERIOD, MEMBERS.iter().map(|m| account(m)).collect());
	round
}

/// Seats a committee of `members` (each signing with its own dev key) for `round`.
fn seat(round: Round, first_block: u32, members: Vec<AccountId>) {
	let members = members.into_iter().map(|m| (m.clone(), signing_key_of(&m))).collect::<Vec<_>>();
	network(|n| n.committees.insert(round, Committee { members, threshold: 2, first_block }));
}

fn signing_key_of(member: &AccountId) -> [u8; 32] {
	*<AccountId as AsRef<[u8; 32]>>::as_ref(member)
}

/// The members at `indices` sign that the worker served `omega` requests under `root`.
fn signed(indices: &[u32], omega: u32, root: [u8; 32], round: Round) -> (SignerSet, Attestations) {
	let payload = attestation_payload(&worker(), &POLICY, SERVED, omega, &root, round);
	let names: Vec<String> = indices
		.iter()
		.map(|i| MEMBERS.get(*i as usize).map_or("Ursula".to_string(), |m| m.to_string()))
		.collect();
	let signatures: Vec<[u8; 64]> = names.iter().map(|m| pair(m).sign(&payload).0).collect();
	(SignerSet::of(indices), signatures.try_into().unwrap())
}

fn attest_call(
	omega: u32,
	round: Round,
	signers: SignerSet,
	signatures: Attestations,
) -> Call<Test> {
	Call::attest {
		policy: POLICY,
		period: SERVED,
		omega,
		root: [9; 32],
		round,
		signers,
		signatures,
	}
}

fn attest(call: Call<Test>) -> sp_runtime::DispatchResult {
	let Call::attest { policy, period, omega, root, round, signers, signatures } = call else {
		unreachable!("an attestation")
	};
	Activity::attest(
		RuntimeOrigin::signed(worker()),
		policy,
		period,
		omega,
		root,
		round,
		signers,
		signatures,
	)
}

#[test]
fn governance_selects_the_scheme_and_claims_made_before_are_still_paid() {
	run(|| {
		assert_eq!(Scheme::<Test>::get(), ActivityScheme::CommitOpen);
		assert_noop!(
			Activity::set_scheme(RuntimeOrigin::signed(worker()), ActivityScheme::Committee),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Activity::set_scheme(RuntimeOrigin::root(), ActivityScheme::CommitOpen),
			Error::<Test>::SchemeUnchanged
		);
		// A claim made under commit / open, then the switch.
		let built = honest(&(0..6).map(record).collect::<Vec<_>>());
		assert_ok!(claim(&built));
		committee_scheme();
		assert!(activity_events().contains(&Event::SchemeSet { scheme: ActivityScheme::Committee }));
		// New claims are refused; the one made before is opened and paid.
		let other = honest(&(10..16).map(record).collect::<Vec<_>>());
		network(|n| n.terms.insert(([8; 16], worker()), terms()));
		let root = other.tree.root();
		assert_noop!(
			Activity::claim(
				RuntimeOrigin::signed(worker()),
				[8; 16],
				SERVED,
				6,
				root,
				signature(SERVED, 6, &root)
			),
			Error::<Test>::WrongScheme
		);
		after_beacon();
		assert_ok!(open(openings(&built)));
		assert_eq!(
			Claims::<Test>::get(worker(), (POLICY, SERVED)).unwrap().status,
			ClaimState::Paid(60)
		);
	});
}

#[test]
fn a_committees_attestation_pays_the_attested_requests() {
	run(|| {
		let round = committee_scheme();
		let (signers, signatures) = signed(&[0, 2], 30, [9; 32], round);
		assert_ok!(attest(attest_call(30, round, signers, signatures)));
		// 30 requests at 10 from escrow to the staker, on the policies' one path.
		assert_eq!(
			network(|n| n.paid.clone()),
			vec![(POLICY, worker(), staker(), 300, PaidBy::Activity)]
		);
		assert!(activity_events().contains(&Event::Attested {
			worker: worker(),
			policy: POLICY,
			period: SERVED,
			omega: 30,
			round,
			staker: staker(),
			paid: 300,
		}));
		let claim = Claims::<Test>::get(worker(), (POLICY, SERVED)).unwrap();
		assert_eq!((claim.omega, claim.root, claim.status), (30, [9; 32], ClaimState::Paid(300)));
		assert!(ByPeriod::<Test>::contains_key(SERVED, (worker(), POLICY)));
		// Once per period, whatever the scheme.
		let (signers, signatures) = signed(&[1, 3], 30, [9; 32], round);
		assert_noop!(
			attest(attest_call(30, round, signers, signatures)),
			Error::<Test>::AlreadyClaimed
		);
	});
}

#[test]
fn a_wrong_attestation_is_refused_and_changes_nothing() {
	run(|| {
		let round = MockUrsulas::current_round();
		let good = || {
			let (signers, signatures) = signed(&[0, 2], 30, [9; 32], round);
			attest_call(30, round, signers, signatures)
		};
		// Under commit / open.
		assert_noop!(attest(good()), Error::<Test>::WrongScheme);
		committee_scheme();
		// A round the chain does not keep; a committee drawn before the period ended, which
		// could not have seen the whole record.
		let (signers, signatures) = signed(&[0, 2], 30, [9; 32], round + 1);
		assert_noop!(
			attest(attest_call(30, round + 1, signers, signatures)),
			Error::<Test>::UnknownRound
		);
		seat(SERVED, SERVED * BLOCKS_PER_PERIOD, MEMBERS.iter().map(|m| account(m)).collect());
		let (signers, signatures) = signed(&[0, 2], 30, [9; 32], SERVED);
		assert_noop!(
			attest(attest_call(30, SERVED, signers, signatures)),
			Error::<Test>::UnknownRound
		);
		// Fewer than the threshold; a signature short.
		let (signers, signatures) = signed(&[1], 30, [9; 32], round);
		assert_noop!(
			attest(attest_call(30, round, signers, signatures)),
			Error::<Test>::NotEnoughSigners
		);
		let (_, signatures) = signed(&[0, 2], 30, [9; 32], round);
		let three = SignerSet::of(&[0, 1, 2]);
		assert_noop!(
			attest(attest_call(30, round, three, signatures)),
			Error::<Test>::NotEnoughSigners
		);
		// A signer index past the committee.
		let (signers, signatures) = signed(&[0, 5], 30, [9; 32], round);
		assert_noop!(
			attest(attest_call(30, round, signers, signatures)),
			Error::<Test>::NotACommitteeMember
		);
		// Signed for less work than claimed; signed by someone else at a member's place.
		let (signers, signatures) = signed(&[0, 2], 29, [9; 32], round);
		assert_noop!(
			attest(attest_call(30, round, signers, signatures)),
			Error::<Test>::BadAttestation
		);
		let (signers, mut signatures) = signed(&[0, 2], 30, [9; 32], round);
		signatures[1] = pair("Mallory")
			.sign(&attestation_payload(&worker(), &POLICY, SERVED, 30, &[9; 32], round))
			.0;
		assert_noop!(
			attest(attest_call(30, round, signers, signatures)),
			Error::<Test>::BadAttestation
		);
		// The worker sits on the committee: it may not attest its own work.
		seat(round, round * BLOCKS_PER_PERIOD, vec![account("m0"), worker(), account("m2")]);
		let payload = attestation_payload(&worker(), &POLICY, SERVED, 30, &[9; 32], round);
		let signatures: Attestations =
			vec![pair("m0").sign(&payload).0, pair("Ursula").sign(&payload).0].try_into().unwrap();
		assert_noop!(
			attest(attest_call(30, round, SignerSet::of(&[0, 1]), signatures)),
			Error::<Test>::OwnAttestation
		);
		// What every claim is checked for: ω, the policy, the period.
		seat(round, round * BLOCKS_PER_PERIOD, MEMBERS.iter().map(|m| account(m)).collect());
		let (signers, signatures) = signed(&[0, 2], 0, [9; 32], round);
		assert_noop!(attest(attest_call(0, round, signers, signatures)), Error::<Test>::BadOmega);
		network(|n| n.terms.clear());
		assert_noop!(attest(good()), Error::<Test>::NotPolicyUrsula);
		assert!(network(|n| n.paid.is_empty()));
	});
}

#[test]
fn an_attestation_that_will_be_taken_is_a_free_duty_and_a_failing_one_is_refused() {
	run(|| {
		let round = committee_scheme();
		let validate = |who: &AccountId, call: Call<Test>| {
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
		};
		let (signers, signatures) = signed(&[0, 2], 30, [9; 32], round);
		let good = attest_call(30, round, signers, signatures);
		let valid = validate(&worker(), good.clone()).expect("a due attestation");
		assert_eq!(valid.priority, DUTY_PRIORITY);
		{
			use frame_support::dispatch::CheckIfFeeless;
			let free = |call: Call<Test>| {
				RuntimeCall::Activity(call).is_feeless(&RuntimeOrigin::signed(worker()))
			};
			assert!(free(good.clone()));
			let (signers, signatures) = signed(&[0, 2], 29, [9; 32], round);
			let forged = attest_call(30, round, signers, signatures);
			assert!(!free(forged.clone()));
			assert_eq!(
				validate(&worker(), forged),
				Err(TransactionValidityError::from(validity_code(Error::<Test>::BadAttestation)))
			);
		}
		// A stranger's is an ordinary transaction that pays to fail.
		assert_eq!(validate(&account("Eve"), good.clone()), Ok(Default::default()));
		// It takes a claim's one place in the pool.
		let built = honest(&(0..6).map(record).collect::<Vec<_>>());
		let root = built.tree.root();
		assert_ok!(Activity::set_scheme(RuntimeOrigin::root(), ActivityScheme::CommitOpen));
		let claim = validate(
			&worker(),
			Call::claim {
				policy: POLICY,
				period: SERVED,
				omega: 6,
				root,
				signature: signature(SERVED, 6, &root),
			},
		)
		.expect("a due claim");
		assert_eq!(claim.provides, valid.provides);
	});
}

#[test]
fn the_off_chain_worker_submits_an_attestation_that_will_be_taken() {
	use frame_support::traits::Hooks;
	use keymarket_primitives::activity::{ActivityDuty, OUTBOX_KEY};
	use sp_runtime::offchain::storage::StorageValueRef;

	let (mut ext, submitted) = offchain_ext();
	ext.execute_with(|| {
		let round = committee_scheme();
		let duty = |omega: u32, signed_omega: u32| {
			let (signers, signatures) = self::signed(&[0, 2], signed_omega, [9; 32], round);
			ActivityDuty::Attest {
				worker: worker(),
				policy: POLICY,
				period: SERVED,
				omega,
				root: [9; 32],
				round,
				signers,
				signatures: signatures.into_inner(),
			}
		};
		// One signed for other work is dropped; the good one goes out.
		StorageValueRef::persistent(OUTBOX_KEY).set(&vec![duty(31, 30), duty(30, 30)]);
		Activity::offchain_worker(System::block_number());
		let sent = submitted();
		assert_eq!(sent.len(), 1);
		assert!(matches!(
			&sent[0].function,
			RuntimeCall::Activity(Call::attest { omega: 30, round: r, .. }) if *r == round
		));
	});
}
