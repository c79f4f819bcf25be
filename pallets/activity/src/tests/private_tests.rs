//! The zero-knowledge scheme against honest and cheating Ursulas: an honest private claim is
//! paid; a duplicated request hidden under a made-up commitment, a proof of other values, a
//! proof replayed from another claim, a commitment that is no point, a wrong blinding or
//! commitment path, and fabricated records are each refuted and reported; bad calls change
//! nothing; the pool takes a due private claim free and refuses one that would fail.

use frame_support::traits::UnfilteredDispatchable;
use keymarket_primitives::{
	activity::{in_tree_order, ActivityScheme, Leaf},
	zk::{self, native, PrivateOpeningError},
};
use sp_crypto_hashing::blake2_256;

use super::*;
use crate::{BoundedPrivateOpening, Call, PrivateClaims, PrivateOpenings};

/// The Ursula's secret its blindings derive from.
const SECRET: &[u8] = b"the Ursula's secret";

/// A private claim as a worker makes it: its tree, its commitments and proof, the blindings.
struct Private {
	built: Built,
	commitments: Vec<[u8; 32]>,
	proof: Vec<u8>,
	blindings: Vec<[u8; 32]>,
}

/// The context a proof of `commitments` for a claim of `omega` requests under `root` is bound
/// to.
fn context(omega: u32, root: &[u8; 32], commitments: &[[u8; 32]]) -> [u8; 32] {
	blake2_256(&zk::private_claim_payload(
		&worker(),
		&POLICY,
		SERVED,
		omega,
		root,
		&zk::commitments_root(commitments),
	))
}

/// Proves `built` with the commitments to `keys` (the leaves' key prefixes when honest).
fn prove_keys(built: Built, keys: &[u64]) -> Private {
	let (omega, root) = (built.tree.omega(), built.tree.root());
	let blindings = native::blindings(SECRET, &POLICY, SERVED, keys);
	let (commitments, proof) = native::prove_distinct(
		keys,
		&blindings,
		|c| context(omega, &root, c),
		&mut rand::thread_rng(),
	)
	.expect("the keys strictly increase");
	Private {
		built,
		commitments,
		proof,
		blindings: blindings.iter().map(|b| b.to_bytes()).collect(),
	}
}

/// The honest private claim of `records`.
fn proven(records: &[keymarket_primitives::policies::ServedRecord]) -> Private {
	let built = built(zk::distinct_prefixes(in_tree_order(records)));
	let keys = prefixes(&built);
	prove_keys(built, &keys)
}

fn prefixes(built: &Built) -> Vec<u64> {
	built.sorted.iter().map(|(leaf, _)| zk::key_prefix(&leaf.key)).collect()
}

fn private_signature(omega: u32, root: &[u8; 32], commitments: &[[u8; 32]]) -> [u8; 64] {
	let payload = zk::private_claim_payload(
		&worker(),
		&POLICY,
		SERVED,
		omega,
		root,
		&zk::commitments_root(commitments),
	);
	pair("Ursula-signing").sign(&payload).0
}

fn claim_call(private: &Private) -> Call<Test> {
	let (omega, root) = (private.built.tree.omega(), private.built.tree.root());
	Call::claim_private {
		policy: POLICY,
		period: SERVED,
		omega,
		root,
		commitments: private.commitments.clone().try_into().unwrap(),
		proof: private.proof.clone().try_into().unwrap(),
		signature: private_signature(omega, &root, &private.commitments),
	}
}

fn claim_private(
	private: &Private,
) -> sp_runtime::DispatchResultWithInfo<frame_support::dispatch::PostDispatchInfo> {
	claim_call(private).dispatch_bypass_filter(RuntimeOrigin::signed(worker()))
}

/// The private opening of leaf `index` of `private`.
fn opening_at(private: &Private, index: u32) -> crate::PrivateOpeningOf<Test> {
	let o = zk::open_private(
		&private.built.tree,
		&private.built.sorted,
		&private.commitments,
		index,
		private.blindings[index as usize],
	)
	.unwrap();
	BoundedPrivateOpening {
		index: o.index,
		record: o.record.try_into().unwrap(),
		path: o.path.try_into().unwrap(),
		commitment: o.commitment,
		commitment_path: o.commitment_path.try_into().unwrap(),
		blinding: o.blinding,
	}
}

/// The openings of the challenged leaves of `private`, after its beacon.
fn private_openings(private: &Private) -> PrivateOpenings<Test> {
	let challenged = Activity::challenged(&worker(), POLICY, SERVED).expect("the beacon is drawn");
	let openings: Vec<_> = challenged.iter().map(|i| opening_at(private, *i)).collect();
	openings.try_into().unwrap()
}

fn open_private(
	openings: PrivateOpenings<Test>,
) -> sp_runtime::DispatchResultWithInfo<frame_support::dispatch::PostDispatchInfo> {
	Activity::open_private(RuntimeOrigin::signed(worker()), POLICY, SERVED, openings)
}

fn zero_knowledge() {
	assert_ok!(Activity::set_scheme(RuntimeOrigin::root(), ActivityScheme::ZeroKnowledge));
}

/// The claim was refuted for `reason`, nothing paid, and the worker reported once.
fn assert_refuted_for(reason: Refutation, omega: u32) {
	assert_eq!(refuted_with(), Some(reason));
	assert_eq!(
		Claims::<Test>::get(worker(), (POLICY, SERVED)).unwrap().status,
		ClaimStatus::Refuted
	);
	assert!(network(|n| n.paid.is_empty()), "nothing paid");
	let reported = network(|n| n.reported.clone());
	assert_eq!(reported.len(), 1);
	assert_eq!(reported[0].offender, worker());
	let worth = (PRICE * omega as u128).min(RATE);
	assert_eq!(reported[0].kind, OffenceKind::FalseServiceClaim { claimed: worth });
}

/// Claims `private`, waits for its beacon, opens the challenged leaves.
fn claim_and_open_private(private: &Private) {
	assert_ok!(claim_private(private));
	after_beacon();
	assert_ok!(open_private(private_openings(private)));
}

#[test]
fn an_honest_private_claim_is_paid_the_price_of_its_requests() {
	run(|| {
		zero_knowledge();
		let private = proven(&records(20));
		let omega = private.built.tree.omega();
		assert_eq!(omega, 20);
		assert_eq!(private.commitments.len() as u32, zk::commitment_count(20));
		assert_ok!(claim_private(&private));
		assert_eq!(
			PrivateClaims::<Test>::get(worker(), (POLICY, SERVED)),
			Some(zk::commitments_root(&private.commitments))
		);
		assert_eq!(
			Claims::<Test>::get(worker(), (POLICY, SERVED)).unwrap().status,
			ClaimStatus::Committed
		);
		after_beacon();
		let openings = private_openings(&private);
		assert_eq!(openings.len() as u32, CHALLENGES);
		let info = open_private(openings).expect("opened");
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::open_private(CHALLENGES)));
		assert_eq!(
			network(|n| n.paid.clone()),
			vec![(POLICY, worker(), staker(), 200, PaidBy::Activity)]
		);
		assert!(network(|n| n.reported.is_empty()));
		// Once; and the claim's periods are forgotten with it.
		assert_noop!(open_private(private_openings(&private)), Error::<Test>::AlreadyOpened);
		assert_noop!(claim_private(&private), Error::<Test>::AlreadyClaimed);
		go_to_block((SERVED + CLAIM_PERIODS + 2) as u64 * BLOCKS_PER_PERIOD as u64);
		Activity::on_idle(System::block_number(), Weight::MAX);
		assert!(!PrivateClaims::<Test>::contains_key(worker(), (POLICY, SERVED)));
	});
}

#[test]
fn a_duplicated_request_under_a_made_up_commitment_is_refuted() {
	run(|| {
		zero_knowledge();
		// Three requests claimed as four: the twin's commitment is to a value between its
		// neighbours, so the keys committed to strictly increase and the proof holds — but
		// the twin's record does not open it (ω ≤ n: every leaf is opened).
		let mut sorted = in_tree_order(&records(3));
		sorted.insert(1, sorted[1].clone());
		let cheat = built(sorted);
		let mut keys = prefixes(&cheat);
		assert!(keys[3] > keys[2] + 1);
		keys[2] += 1;
		let private = prove_keys(cheat, &keys);
		claim_and_open_private(&private);
		assert_refuted_for(Refutation::Private(PrivateOpeningError::NotCommitted), 4);
	});
}

#[test]
fn a_repeated_key_cannot_be_proven_and_a_proof_of_other_values_is_refuted_at_once() {
	run(|| {
		zero_knowledge();
		let mut sorted = in_tree_order(&records(3));
		sorted.insert(1, sorted[1].clone());
		let cheat = built(sorted);
		let keys = prefixes(&cheat);
		// The prover refuses keys that do not strictly increase.
		let blindings = native::blindings(SECRET, &POLICY, SERVED, &keys);
		assert!(native::prove_distinct(&keys, &blindings, |_| [0; 32], &mut rand::thread_rng())
			.is_none());
		// The honest commitments to the repeated key, with a proof made for other values.
		let mut other = keys.clone();
		other[2] += 1;
		let mut private = prove_keys(cheat, &other);
		private.commitments[2] = native::commit(keys[2], &blindings[2]);
		let info = claim_private(&private).expect("the claim is taken, refuted");
		assert!(info.actual_weight.is_none(), "charged the whole verification");
		assert_refuted_for(Refutation::NotDistinct, 4);
		assert!(activity_events().iter().any(|e| matches!(
			e,
			Event::ClaimRefuted { index: u32::MAX, reason: Refutation::NotDistinct, .. }
		)));
		// Refuted claims are not opened.
		after_beacon();
		assert_noop!(open_private(Default::default()), Error::<Test>::AlreadyOpened);
	});
}

#[test]
fn a_proof_replayed_from_another_claim_is_refuted() {
	run(|| {
		zero_knowledge();
		// An honest proof of eight requests, offered with the root of a tree that holds a
		// fabricated record in place of one of them: the proof is bound to the first root.
		let honest_claim = proven(&records(8));
		let mut sorted = honest_claim.built.sorted.clone();
		let fake = record_by("Mallory", 3, SERVED);
		let at = sorted.iter().position(|(l, _)| l.key == Leaf::of(&fake).key).unwrap();
		sorted[at] = (Leaf::of(&fake), fake.encode());
		let replayed = Private { built: built(sorted), ..honest_claim };
		assert_ok!(claim_private(&replayed));
		assert_refuted_for(Refutation::NotDistinct, 8);
	});
}

#[test]
fn a_commitment_that_is_no_point_is_refuted() {
	run(|| {
		zero_knowledge();
		let mut private = proven(&records(5));
		private.commitments[1] = [0xff; 32];
		assert_ok!(claim_private(&private));
		assert_refuted_for(Refutation::NotDistinct, 5);
	});
}

#[test]
fn fabricated_requests_in_a_private_claim_are_refuted() {
	run(|| {
		zero_knowledge();
		let fake: Vec<_> = (0..4).map(|s| record_by("Mallory", s, SERVED)).collect();
		claim_and_open_private(&proven(&fake));
		assert_refuted_for(Refutation::NotSignedByBob, 4);
	});
}

/// An honest private claim of four requests whose openings `tamper` changes is refuted for
/// `reason`.
fn refuted_when_tampered(
	tamper: impl FnOnce(&Private, &mut PrivateOpenings<Test>),
	reason: PrivateOpeningError,
) {
	run(|| {
		zero_knowledge();
		let private = proven(&records(4));
		assert_ok!(claim_private(&private));
		after_beacon();
		let mut openings = private_openings(&private);
		tamper(&private, &mut openings);
		assert_ok!(open_private(openings));
		assert_refuted_for(Refutation::Private(reason), 4);
	});
}

#[test]
fn a_wrong_blinding_or_commitment_path_is_refuted() {
	refuted_when_tampered(
		|private, openings| openings[1].blinding = private.blindings[2],
		PrivateOpeningError::NotCommitted,
	);
	refuted_when_tampered(
		|private, openings| openings[0].commitment = private.commitments[1],
		PrivateOpeningError::BadCommitmentPath,
	);
	refuted_when_tampered(
		|_, openings| openings[0].path[0] = [9; 32],
		PrivateOpeningError::BadPath,
	);
}

#[test]
fn bad_private_claims_are_refused_and_change_nothing() {
	run(|| {
		let private = proven(&records(6));
		// Another scheme in force.
		assert_noop!(claim_private(&private), Error::<Test>::WrongScheme);
		zero_knowledge();
		let (omega, root) = (private.built.tree.omega(), private.built.tree.root());
		let with = |omega: u32, commitments: Vec<[u8; 32]>, signature: [u8; 64]| {
			Activity::claim_private(
				RuntimeOrigin::signed(worker()),
				POLICY,
				SERVED,
				omega,
				root,
				commitments.try_into().unwrap(),
				private.proof.clone().try_into().unwrap(),
				signature,
			)
		};
		// More requests than a private claim counts.
		let too_many = zk::MAX_ZK_OMEGA + 1;
		assert_noop!(with(too_many, private.commitments.clone(), [0; 64]), Error::<Test>::BadOmega);
		// One commitment short, one too many.
		let mut short = private.commitments.clone();
		short.pop();
		assert_noop!(
			with(omega, short.clone(), private_signature(omega, &root, &short)),
			Error::<Test>::BadCommitments
		);
		let mut long = private.commitments.clone();
		long.push(long[0]);
		assert_noop!(
			with(omega, long.clone(), private_signature(omega, &root, &long)),
			Error::<Test>::BadCommitments
		);
		// Signed over other commitments, or the plain claim's payload.
		let mut other = private.commitments.clone();
		other.swap(0, 1);
		assert_noop!(
			with(omega, private.commitments.clone(), private_signature(omega, &root, &other)),
			Error::<Test>::BadSignature
		);
		assert_noop!(
			with(omega, private.commitments.clone(), signature(SERVED, omega, &root)),
			Error::<Test>::BadSignature
		);
		// Not the policy's Ursula.
		assert_noop!(
			claim_call(&private).dispatch_bypass_filter(RuntimeOrigin::signed(account("Eve"))),
			Error::<Test>::NotPolicyUrsula
		);
		assert!(network(|n| n.paid.is_empty() && n.reported.is_empty()));
		assert_ok!(claim_private(&private));
	});
}

#[test]
fn each_claim_is_opened_the_way_it_was_made() {
	run(|| {
		// A plain claim made before the switch is opened with `open`, not `open_private`.
		let plain = honest(&records(4));
		assert_ok!(claim(&plain));
		zero_knowledge();
		after_beacon();
		assert_noop!(open_private(Default::default()), Error::<Test>::OpenedTheOtherWay);
		assert_ok!(open(openings(&plain)));
	});
	run(|| {
		zero_knowledge();
		assert_noop!(open_private(Default::default()), Error::<Test>::NoSuchClaim);
		let private = proven(&records(4));
		assert_ok!(claim_private(&private));
		after_beacon();
		assert_noop!(open(Default::default()), Error::<Test>::OpenedTheOtherWay);
		// Not the challenged leaves.
		let mut missing = private_openings(&private);
		missing.pop();
		assert_noop!(open_private(missing), Error::<Test>::WrongChallenges);
		assert_ok!(open_private(private_openings(&private)));
	});
}

#[test]
fn a_due_private_claim_is_a_free_duty_and_a_failing_one_is_refused_in_the_pool() {
	use super::duty_tests::{feeless, validate};
	run(|| {
		zero_knowledge();
		let private = proven(&records(6));
		let good = claim_call(&private);
		assert!(feeless(&worker(), good.clone()));
		let valid = validate(&worker(), good.clone()).expect("a due claim");
		assert_eq!(valid.priority, crate::duty::DUTY_PRIORITY);
		// Its checks but the proof's fail: refused with the pallet's error.
		let Call::claim_private { policy, period, omega, root, commitments, proof, .. } = good
		else {
			unreachable!()
		};
		let forged = Call::claim_private {
			policy,
			period,
			omega,
			root,
			commitments,
			proof,
			signature: [0; 64],
		};
		assert!(!feeless(&worker(), forged.clone()));
		assert_eq!(
			validate(&worker(), forged),
			Err(crate::duty::validity_code(Error::<Test>::BadSignature).into())
		);
		// From another account: an ordinary transaction.
		assert!(validate(&account("Eve"), claim_call(&private)).is_ok());
		assert!(!feeless(&account("Eve"), claim_call(&private)));
	});
}

#[test]
fn a_private_opening_is_a_free_duty_when_due_and_a_failing_one_is_refused_in_the_pool() {
	run(|| {
		zero_knowledge();
		let private = proven(&records(6));
		assert_ok!(claim_private(&private));
		super::duty_tests::an_opening_is_a_duty_only_when_due(
			|openings: Vec<crate::PrivateOpeningOf<Test>>| Call::open_private {
				policy: POLICY,
				period: SERVED,
				openings: openings.try_into().unwrap(),
			},
			|| private_openings(&private).to_vec(),
			|good| {
				assert_ok!(open_private(good.try_into().unwrap()));
			},
		);
	});
}

#[test]
fn a_private_opening_before_its_beacon_or_after_its_window_is_refused() {
	run(|| {
		zero_knowledge();
		let private = proven(&records(12));
		assert_ok!(claim_private(&private));
		// Before the beacon block's hash is known.
		go_to_block(System::block_number() + BEACON_DELAY as u64);
		assert_noop!(open_private(Default::default()), Error::<Test>::TooEarly);
		go_to_block(System::block_number() + 1);
		let good = private_openings(&private);
		// After the last block it could be opened in.
		let last = Claims::<Test>::get(worker(), (POLICY, SERVED)).unwrap().open_until as u64;
		go_to_block(last + 1);
		assert_noop!(open_private(good), Error::<Test>::TooLate);
		assert!(network(|n| n.paid.is_empty() && n.reported.is_empty()));
	});
}
