//! Workers: bonding, registration and the per-period commitment.

use frame_support::{assert_noop, assert_ok};

use super::mock::*;
use crate::{Downtime, Error, Event, FormerWorkers, Workers};

#[test]
fn a_staker_bonds_a_worker_that_registers_its_keys() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		assert_eq!(last_event(), Event::WorkerRegistered { worker: URSULA_A, staker: ALICE });
		let info = Workers::<Test>::get(URSULA_A).unwrap();
		assert_eq!(info.staker, ALICE);
		assert_eq!(info.endpoint.to_vec(), b"https://127.0.0.1:9151".to_vec());
		let (umbral_key, signing_key, _, _) = keys_of(URSULA_A, "Ursula");
		assert_eq!(
			(info.umbral_key, info.signing_key, info.registered),
			(umbral_key, signing_key, true)
		);
	});
}

#[test]
fn bonding_errors() {
	run(|| {
		assert_noop!(
			Staking::bond_worker(RuntimeOrigin::signed(BOB), Some(URSULA_B)),
			Error::<Test>::NotAStaker
		);
		staked_and_registered(ALICE, URSULA_A);
		assert_ok!(Staking::stake(RuntimeOrigin::signed(BOB), 1_000, 10));
		assert_noop!(
			Staking::bond_worker(RuntimeOrigin::signed(BOB), Some(URSULA_A)),
			Error::<Test>::WorkerAlreadyBonded
		);
		assert_noop!(
			Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_B)),
			Error::<Test>::WorkerBondTooRecent
		);
		assert_noop!(
			Staking::bond_worker(RuntimeOrigin::signed(ALICE), None),
			Error::<Test>::WorkerBondTooRecent
		);
	});
}

#[test]
fn a_worker_can_be_replaced_after_the_minimum_periods() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		go_to_period(2);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_B)));
		assert_eq!(last_event(), Event::WorkerBonded { staker: ALICE, worker: Some(URSULA_B) });
		assert!(Workers::<Test>::get(URSULA_A).is_none());
		assert!(!Workers::<Test>::get(URSULA_B).unwrap().registered);
		go_to_period(4);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), None));
		assert!(Workers::<Test>::get(URSULA_B).is_none());
	});
}

#[test]
fn registration_errors() {
	run(|| {
		assert_noop!(register(URSULA_A, b"", "Ursula"), Error::<Test>::NotAWorker);
		staked_and_registered(ALICE, URSULA_A);
		assert_noop!(register(URSULA_A, &[b'x'; 257], "Ursula"), Error::<Test>::EndpointTooLong);
	});
}

#[test]
fn a_worker_cannot_register_keys_it_does_not_hold() {
	run(|| {
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 1_000, 10));
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_A)));
		let (umbral_key, signing_key, umbral_proof, signing_proof) = keys_of(URSULA_A, "Ursula");
		let try_register = |umbral_key, signing_key, umbral_proof, signing_proof| {
			Staking::register_worker(
				RuntimeOrigin::signed(URSULA_A),
				vec![],
				umbral_key,
				signing_key,
				umbral_proof,
				signing_proof,
			)
		};
		// Not a point: nobody could encrypt a key fragment to it.
		assert_noop!(
			try_register([5; 33], signing_key, umbral_proof, signing_proof),
			Error::<Test>::InvalidUmbralKey
		);
		// Another Ursula's keys, copied from the chain with their proofs: the proofs name the
		// worker that made them.
		let (other_umbral, other_signing, other_umbral_proof, other_signing_proof) =
			keys_of(URSULA_B, "Other");
		assert_noop!(
			try_register(other_umbral, other_signing, other_umbral_proof, other_signing_proof),
			Error::<Test>::BadUmbralKeyProof
		);
		// A signing key whose secret the worker does not hold (so that its fragments could
		// never be pinned on it).
		assert_noop!(
			try_register(umbral_key, other_signing, umbral_proof, signing_proof),
			Error::<Test>::BadUmbralKeyProof
		);
		let umbral_proof_for_other = {
			use sp_core::Pair;
			let umbral = sp_core::ecdsa::Pair::from_string("//Ursula//umbral", None).unwrap();
			let payload = keymarket_primitives::staking::registration_payload(
				&URSULA_A,
				&umbral_key,
				&other_signing,
			);
			umbral.sign(&payload).0
		};
		assert_noop!(
			try_register(umbral_key, other_signing, umbral_proof_for_other, signing_proof),
			Error::<Test>::BadSigningKeyProof
		);
		assert_ok!(try_register(umbral_key, signing_key, umbral_proof, signing_proof));
	});
}

#[test]
fn a_worker_commits_once_per_period_and_becomes_active() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)));
		assert_eq!(last_event(), Event::Committed { worker: URSULA_A, staker: ALICE, period: 1 });
		assert_noop!(
			Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)),
			Error::<Test>::AlreadyCommitted
		);
		assert!(
			Staking::active_ursulas(Staking::current_period()).is_empty(),
			"active only from the committed period"
		);
		go_to_period(1);
		assert_eq!(Staking::active_ursulas(Staking::current_period()).len(), 1);
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)));
		// Still active in period 1 after committing to period 2.
		assert_eq!(Staking::active_ursulas(Staking::current_period()).len(), 1);
		assert!(Staking::committed_to(&URSULA_A, 1) && Staking::committed_to(&URSULA_A, 2));
		assert!(Downtime::<Test>::get(ALICE).is_empty());
	});
}

#[test]
fn missed_periods_are_recorded_as_downtime() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)));
		go_to_period(5);
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)));
		assert_eq!(Downtime::<Test>::get(ALICE).to_vec(), vec![(2, 5)]);
		assert!(System::events().iter().any(|r| r.event
			== RuntimeEvent::Staking(Event::DowntimeRecorded { staker: ALICE, from: 2, to: 5 })));
		assert!(!Staking::committed_to(&URSULA_A, 3));
		assert!(Staking::committed_to(&URSULA_A, 6));
	});
}

#[test]
fn commit_errors() {
	run(|| {
		// A stranger.
		assert_noop!(
			Staking::commit_to_next_period(RuntimeOrigin::signed(BOB)),
			Error::<Test>::NotAWorker
		);
		// Bonded but unregistered.
		assert_ok!(Staking::stake(RuntimeOrigin::signed(BOB), 1_000, 2));
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(BOB), Some(URSULA_B)));
		assert_noop!(
			Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_B)),
			Error::<Test>::WorkerNotRegistered
		);
		assert_ok!(register(URSULA_B, b"", "Ursula"));
		// Winding down with one period left: the stake unlocks before the next period ends.
		assert_ok!(Staking::set_wind_down(RuntimeOrigin::signed(BOB), true));
		go_to_period(1);
		assert_noop!(
			Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_B)),
			Error::<Test>::NotEnoughLockedStake
		);
	});
}

#[test]
fn a_worker_that_left_still_answers_for_its_staker_within_the_window() {
	use frame_support::traits::Hooks;
	use keymarket_primitives::registry::UrsulaRegistry;
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		go_to_period(2);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), None));
		assert!(Workers::<Test>::get(URSULA_A).is_none());
		assert_eq!(<Staking as UrsulaRegistry<_>>::staker_of(&URSULA_A), Some(ALICE));
		// Nobody else may take it on while it answers for Alice...
		assert_ok!(Staking::stake(RuntimeOrigin::signed(BOB), 1_000, 10));
		assert_noop!(
			Staking::bond_worker(RuntimeOrigin::signed(BOB), Some(URSULA_A)),
			Error::<Test>::WorkerRecentlyBonded
		);
		// ...and once the window has passed it is free.
		let end = 2 + ACCOUNTABILITY;
		go_to_period(end);
		Staking::on_initialize(end as u64 * BLOCKS_PER_PERIOD);
		assert_eq!(<Staking as UrsulaRegistry<_>>::staker_of(&URSULA_A), None);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(BOB), Some(URSULA_A)));
		assert_eq!(<Staking as UrsulaRegistry<_>>::staker_of(&URSULA_A), Some(BOB));
	});
}

#[test]
fn its_own_staker_may_bond_a_former_worker_again_at_once() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		go_to_period(2);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_B)));
		go_to_period(4);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_A)));
		assert!(!FormerWorkers::<Test>::contains_key(URSULA_A));
		assert!(FormerWorkers::<Test>::contains_key(URSULA_B));
	});
}

#[test]
fn worker_changes_per_period_are_bounded() {
	run(|| {
		for (staker, worker) in [(ALICE, URSULA_A), (BOB, URSULA_B), (3, 13)] {
			assert_ok!(Staking::stake(RuntimeOrigin::signed(staker), 1_000, 10));
			assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(staker), Some(worker)));
		}
		go_to_period(2);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), None));
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(BOB), None));
		assert_noop!(
			Staking::bond_worker(RuntimeOrigin::signed(3), None),
			Error::<Test>::TooManyWorkerChanges
		);
		go_to_period(3);
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(3), None));
	});
}
