//! The activity pallet against honest and cheating Ursulas: every call's errors, a claim paid
//! for honest work, and each way of cheating — duplicated leaves, fabricated requests, wrong
//! paths, incorrect fragments, stale or foreign records, a root rebuilt after the challenge —
//! refuted and reported.

pub mod mock;

mod committee_tests;
mod duty_tests;
mod private_tests;

use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::Hooks, weights::Weight};
use keymarket_primitives::{
	activity::{Leaf, OpeningError},
	policies::{fixture::WRONG_CFRAG, PaidBy},
	slashing::OffenceKind,
	staking::Stage,
};
use mock::*;
use sp_core::Pair;

use crate::{ByPeriod, ClaimStatus, Claims, Error, Event, Refutation};

/// Benchmark set-up in the mock: a worker registered with the benchmark's key, serving the
/// mock's policy for the benchmark's Bob.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarks {
	fn worker_and_policy(signing_key: [u8; 32], bob: AccountId) -> (AccountId, crate::PolicyId) {
		let worker: AccountId = [0xb0; 32].into();
		network(|n| {
			n.workers.insert(worker.clone(), signing_key);
			n.terms.insert((POLICY, worker.clone()), crate::ActivityTerms { bob, ..terms() });
		});
		(worker, POLICY)
	}
	fn go_to_period(period: crate::Period) {
		go_to_block(period as u64 * BLOCKS_PER_PERIOD as u64);
	}
	fn committee(members: Vec<(AccountId, [u8; 32])>, threshold: u32) -> crate::Round {
		use keymarket_primitives::time::Clock;
		let round = MockUrsulas::current_round();
		let first_block = round * BLOCKS_PER_PERIOD;
		network(|n| {
			n.committees.insert(round, crate::Committee { members, threshold, first_block })
		});
		round
	}
}

fn refuted_with() -> Option<Refutation> {
	activity_events().into_iter().find_map(|e| match e {
		Event::ClaimRefuted { reason, .. } => Some(reason),
		_ => None,
	})
}

/// Claims `built`, waits for the beacon, opens the challenged leaves.
fn claim_and_open(built: &Built) {
	assert_ok!(claim(built));
	after_beacon();
	assert_ok!(open(openings(built)));
}

/// `omega` honest records.
fn records(omega: u64) -> Vec<keymarket_primitives::policies::ServedRecord> {
	(0..omega).map(record).collect()
}

#[test]
fn an_honest_claim_is_paid_the_price_of_its_requests_from_escrow() {
	run(|| {
		let built = honest(&records(20));
		assert_ok!(claim(&built));
		let claimed = Claims::<Test>::get(worker(), (POLICY, SERVED)).unwrap();
		assert_eq!((claimed.omega, claimed.root), (20, built.tree.root()));
		assert!(ByPeriod::<Test>::contains_key(SERVED, (worker(), POLICY)));
		after_beacon();
		let openings = openings(&built);
		assert_eq!(openings.len() as u32, CHALLENGES);
		let info = open(openings).expect("opened");
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::open(CHALLENGES)));
		// 20 requests at 10: 200 from escrow to the staker, on the policies' one path.
		assert_eq!(
			network(|n| n.paid.clone()),
			vec![(POLICY, worker(), staker(), 200, PaidBy::Activity)]
		);
		assert_eq!(
			Claims::<Test>::get(worker(), (POLICY, SERVED)).unwrap().status,
			ClaimStatus::Paid(200)
		);
		assert!(activity_events().contains(&Event::ClaimPaid {
			worker: worker(),
			policy: POLICY,
			period: SERVED,
			staker: staker(),
			paid: 200,
		}));
		assert!(network(|n| n.reported.is_empty()));
		// Once.
		assert_noop!(open(self::openings(&built)), Error::<Test>::AlreadyOpened);
		assert_noop!(claim(&built), Error::<Test>::AlreadyClaimed);
	});
}

#[test]
fn a_claim_is_paid_at_most_the_policys_rate_and_what_escrow_holds() {
	run(|| {
		// 150 requests at 10 would be 1,500: the rate caps a period at 1,000.
		claim_and_open(&honest(&records(150)));
		assert_eq!(network(|n| n.paid[0].3), 1_000);
	});
	run(|| {
		network(|n| n.escrow = 30);
		claim_and_open(&honest(&records(5)));
		assert_eq!(network(|n| n.paid[0].3), 30);
	});
}

#[test]
fn bad_claims_are_refused_and_change_nothing() {
	run(|| {
		let built = honest(&records(3));
		let (omega, root) = (built.tree.omega(), built.tree.root());
		let origin = RuntimeOrigin::signed(worker());
		let with = |period: u32, omega: u32| signature(period, omega, &root);
		// Another stage.
		network(|n| n.stage = Stage::Inflation);
		assert_noop!(claim(&built), Error::<Test>::NotFeesOnly);
		network(|n| n.stage = Stage::FeesOnly);
		// The current period, a later one, one too old.
		for period in [SERVED + 1, SERVED + 2] {
			assert_noop!(
				Activity::claim(origin.clone(), POLICY, period, omega, root, with(period, omega)),
				Error::<Test>::PeriodNotClaimable
			);
		}
		go_to_block((SERVED + CLAIM_PERIODS + 1) as u64 * BLOCKS_PER_PERIOD as u64);
		assert_noop!(claim(&built), Error::<Test>::PeriodNotClaimable);
		go_to_block((SERVED + CLAIM_PERIODS) as u64 * BLOCKS_PER_PERIOD as u64 + 1);
		// Not the policy's Ursula, or not its policy.
		assert_noop!(
			Activity::claim(
				RuntimeOrigin::signed(account("Eve")),
				POLICY,
				SERVED,
				omega,
				root,
				with(SERVED, omega)
			),
			Error::<Test>::NotPolicyUrsula
		);
		assert_noop!(
			Activity::claim(origin.clone(), [9; 16], SERVED, omega, root, with(SERVED, omega)),
			Error::<Test>::NotPolicyUrsula
		);
		// A period the policy did not serve in (revoked before it).
		network(|n| n.terms.get_mut(&(POLICY, worker())).unwrap().window.revoked_at = Some(1));
		assert_noop!(claim(&built), Error::<Test>::ServedOutsidePolicy);
		network(|n| n.terms.insert((POLICY, worker()), terms()));
		// A zero price.
		network(|n| n.terms.get_mut(&(POLICY, worker())).unwrap().price = 0);
		assert_noop!(claim(&built), Error::<Test>::NothingToPay);
		network(|n| n.terms.insert((POLICY, worker()), terms()));
		// Nothing, or more than a claim counts.
		for omega in [0, MAX_OMEGA + 1] {
			assert_noop!(
				Activity::claim(origin.clone(), POLICY, SERVED, omega, root, with(SERVED, omega)),
				Error::<Test>::BadOmega
			);
		}
		// Signed for another ω, or by another key.
		assert_noop!(
			Activity::claim(origin.clone(), POLICY, SERVED, omega, root, with(SERVED, omega + 1)),
			Error::<Test>::BadSignature
		);
		let forged = pair("Mallory").sign(&keymarket_primitives::activity::claim_payload(
			&worker(),
			&POLICY,
			SERVED,
			omega,
			&root,
		));
		assert_noop!(
			Activity::claim(origin, POLICY, SERVED, omega, root, forged.0),
			Error::<Test>::BadSignature
		);
		assert_ok!(claim(&built));
	});
}

#[test]
fn bad_openings_are_refused_and_change_nothing() {
	run(|| {
		let built = honest(&records(12));
		assert_noop!(open(Default::default()), Error::<Test>::NoSuchClaim);
		assert_ok!(claim(&built));
		// Before the beacon block's hash is known.
		go_to_block(System::block_number() + BEACON_DELAY as u64);
		assert_noop!(open(Default::default()), Error::<Test>::TooEarly);
		go_to_block(System::block_number() + 1);
		let good = openings(&built);
		// Not the challenged leaves: one missing, one more, out of order, another leaf.
		let mut missing = good.clone();
		missing.pop();
		assert_noop!(open(missing), Error::<Test>::WrongChallenges);
		let mut reordered = good.to_vec();
		reordered.swap(0, 1);
		assert_noop!(open(reordered.try_into().unwrap()), Error::<Test>::WrongChallenges);
		let challenged: Vec<u32> = good.iter().map(|o| o.index).collect();
		let other = (0..12).find(|i| !challenged.contains(i)).unwrap();
		let mut elsewhere = good.clone();
		elsewhere[0] = openings_at(&built, other);
		assert_noop!(open(elsewhere), Error::<Test>::WrongChallenges);
		// Still in time in the last block of the period after the last one it could be
		// claimed in; too late after it.
		let last = (SERVED + CLAIM_PERIODS + 2) as u64 * BLOCKS_PER_PERIOD as u64 - 1;
		assert_eq!(
			Claims::<Test>::get(worker(), (POLICY, SERVED)).unwrap().open_until as u64,
			last
		);
		go_to_block(last + 1);
		assert_noop!(open(good), Error::<Test>::TooLate);
		assert!(network(|n| n.paid.is_empty() && n.reported.is_empty()));
	});
}

/// The opening of leaf `index` of `built`, whether challenged or not.
fn openings_at(built: &Built, index: u32) -> crate::OpeningOf<Test> {
	let o = keymarket_primitives::activity::open(&built.tree, &built.sorted, index).unwrap();
	crate::BoundedOpening {
		index: o.index,
		record: o.record.try_into().unwrap(),
		path: o.path.try_into().unwrap(),
		next: o.next.map(|(leaf, path)| (leaf, path.try_into().unwrap())),
	}
}

/// Claims `built`, opens it, and checks it was refuted for `reason` and reported.
fn assert_refuted(built: &Built, reason: Refutation) {
	claim_and_open(built);
	assert_eq!(refuted_with(), Some(reason));
	assert_eq!(
		Claims::<Test>::get(worker(), (POLICY, SERVED)).unwrap().status,
		ClaimStatus::Refuted
	);
	assert!(network(|n| n.paid.is_empty()), "nothing paid");
	let reported = network(|n| n.reported.clone());
	assert_eq!(reported.len(), 1);
	assert_eq!(reported[0].offender, worker());
	let worth = (PRICE * built.tree.omega() as u128).min(RATE);
	assert_eq!(reported[0].kind, OffenceKind::FalseServiceClaim { claimed: worth });
}

#[test]
fn a_duplicated_request_cannot_hide_beside_its_twin() {
	run(|| {
		// Three requests claimed as four (ω ≤ n: every leaf is opened).
		let mut sorted = keymarket_primitives::activity::in_tree_order(&records(3));
		sorted.insert(1, sorted[1].clone());
		assert_refuted(&built(sorted), Refutation::Opening(OpeningError::OutOfOrder));
	});
}

#[test]
fn fabricated_requests_are_refuted() {
	run(|| {
		// Requests Bob never signed (Mallory signed them as Bob).
		let fake: Vec<_> = (0..8).map(|s| record_by("Mallory", s, SERVED)).collect();
		assert_refuted(&honest(&fake), Refutation::NotSignedByBob);
	});
}

#[test]
fn stale_requests_are_refuted() {
	run(|| {
		// Served in another period than claimed.
		let stale: Vec<_> = (0..8).map(|s| record_by("Bob", s, SERVED - 1)).collect();
		assert_refuted(&honest(&stale), Refutation::WrongPeriod);
	});
}

#[test]
fn another_ursulas_or_policys_requests_are_refuted() {
	run(|| {
		let foreign: Vec<_> = (0..8)
			.map(|s| {
				let mut r = record(s);
				r.request.body.ursula = account("Eve");
				r.request.signature = pair("Bob").sign(&r.request.body.signing_payload()).0;
				r
			})
			.collect();
		assert_refuted(&honest(&foreign), Refutation::NotThisService);
	});
}

#[test]
fn requests_paid_by_tickets_are_refuted() {
	run(|| {
		// Bob's requests with lottery tickets: the lottery pays for them, a claim may not.
		let ticketed: Vec<_> = (0..8)
			.map(|s| {
				let mut r = record(s);
				let ticket = keymarket_primitives::lottery::Ticket {
					version: keymarket_primitives::lottery::TICKET_VERSION,
					payer: account("Alice"),
					policy: POLICY,
					recipient: worker(),
					face_value: PRICE,
					win_probability: u64::MAX,
					nonce: s,
					commitment: [0; 32],
					created_round: 0,
					created_hash: [0; 32],
					expires: 1,
					request_hash: r.request.body_hash(),
				};
				r.request.signature = pair("Bob").sign(&ticket.signing_payload()).0;
				r.request.ticket = Some(ticket);
				assert!(r.request.bob_signed());
				r
			})
			.collect();
		assert_refuted(&honest(&ticketed), Refutation::PaidByTicket);
	});
}

#[test]
fn incorrect_fragments_are_refuted() {
	run(|| {
		let wrong: Vec<_> = (0..8)
			.map(|s| {
				let mut r = record(s);
				r.cfrags[0].cfrag = WRONG_CFRAG.to_vec();
				r
			})
			.collect();
		assert_refuted(&honest(&wrong), Refutation::IncorrectCfrag);
	});
	run(|| {
		// No answer at all.
		let unanswered: Vec<_> = (0..8)
			.map(|s| {
				let mut r = record(s);
				r.cfrags.clear();
				r
			})
			.collect();
		assert_refuted(&honest(&unanswered), Refutation::WrongAnswerCount);
	});
}

#[test]
fn a_wrong_path_is_refuted() {
	run(|| {
		let built = honest(&records(8));
		assert_ok!(claim(&built));
		after_beacon();
		let mut bad = openings(&built);
		bad[0].path[0] = [9; 32];
		assert_ok!(open(bad));
		assert_eq!(refuted_with(), Some(Refutation::Opening(OpeningError::BadPath)));
	});
}

#[test]
fn a_root_rebuilt_after_the_challenge_does_not_open() {
	run(|| {
		// The worker claims 16 leaves of which half are fabricated.
		let mut mixed = records(8);
		mixed.extend((100..108).map(|s| record_by("Mallory", s, SERVED)));
		let claimed = honest(&mixed);
		assert_ok!(claim(&claimed));
		after_beacon();
		// Seeing the challenges, it rebuilds a tree of honest records only at those places —
		// but the claim holds the old root: the new paths lead elsewhere.
		let rebuilt = honest(&records(16));
		let mut openings = openings(&claimed);
		for o in openings.iter_mut() {
			*o = openings_at(&rebuilt, o.index);
		}
		assert_ok!(open(openings));
		assert_eq!(refuted_with(), Some(Refutation::Opening(OpeningError::BadPath)));
		// And it cannot claim the period again with the new root.
		assert_noop!(claim(&rebuilt), Error::<Test>::AlreadyClaimed);
	});
}

#[test]
fn claims_are_forgotten_once_they_can_no_longer_be_made_or_opened() {
	run(|| {
		let built = honest(&records(4));
		assert_ok!(claim(&built));
		// Still kept while the period can be claimed.
		go_to_block((SERVED + CLAIM_PERIODS + 1) as u64 * BLOCKS_PER_PERIOD as u64);
		Activity::on_idle(0, Weight::MAX);
		assert!(Claims::<Test>::contains_key(worker(), (POLICY, SERVED)));
		// A period later, gone; with no room, nothing is done.
		go_to_block((SERVED + CLAIM_PERIODS + 2) as u64 * BLOCKS_PER_PERIOD as u64);
		assert_eq!(Activity::on_idle(0, Weight::zero()), Weight::zero());
		Activity::on_idle(0, Weight::MAX);
		assert!(!Claims::<Test>::contains_key(worker(), (POLICY, SERVED)));
		assert!(!ByPeriod::<Test>::contains_key(SERVED, (worker(), POLICY)));
	});
}

#[test]
fn leaves_key_the_request_not_its_answer() {
	// The same request answered twice is one key: a second answer cannot count twice.
	let a = Leaf::of(&record(1));
	let mut again = record(1);
	again.cfrags[0].signature = [1; 64];
	let b = Leaf::of(&again);
	assert_eq!(a.key, b.key);
	assert_ne!(a.record_hash, b.record_hash);
	assert_ne!(record(1).encode(), again.encode());
}
