//! What integrators read: staker views, the active Ursulas of a period, and samples of them.

use frame_support::assert_ok;
use keymarket_primitives::sampling::SamplingError;

use super::mock::*;

#[test]
fn a_staker_view_applies_the_passed_periods() {
	run(|| {
		assert!(Staking::staker_view(&ALICE).is_none());
		staked_and_registered(ALICE, URSULA_A);
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 500, 3));
		assert_ok!(Staking::set_wind_down(RuntimeOrigin::signed(ALICE), true));
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)));
		go_to_period(3);
		let view = Staking::staker_view(&ALICE).unwrap();
		// The three-period sub-stake ran out; the ten-period one has seven left.
		assert_eq!((view.locked, view.unlocked), (1_000, 500));
		let remaining: Vec<_> = view.sub_stakes.iter().map(|s| s.remaining_periods).collect();
		assert_eq!(remaining, vec![7, 0]);
		assert_eq!(view.worker, Some(URSULA_A));
		assert_eq!(view.unrewarded_periods, vec![1]);
		assert!(view.wind_down && view.restake);
	});
}

#[test]
fn the_active_ursulas_of_a_period_are_the_committed_ones_in_account_order() {
	run(|| {
		staked_and_registered(BOB, URSULA_B);
		staked_and_registered(ALICE, URSULA_A);
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_B)));
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)));
		assert!(Staking::active_ursulas(0).is_empty());
		let active = Staking::active_ursulas(1);
		let workers: Vec<_> = active.iter().map(|u| u.worker).collect();
		assert_eq!(workers, vec![URSULA_A, URSULA_B]);
		assert_eq!(active[0].staker, ALICE);
		assert_eq!(active[0].endpoint, b"https://127.0.0.1:9151".to_vec());
		let (umbral_key, signing_key, _, _) = keys_of(URSULA_A, "Ursula");
		assert_eq!((active[0].umbral_key, active[0].signing_key), (umbral_key, signing_key));
		assert_eq!(active[0].locked, 1_000);
		assert_eq!(Staking::ursula(URSULA_B).unwrap().last_committed_period, Some(1));
		assert!(Staking::ursula(BOB).is_none());
	});
}

#[test]
fn a_sample_draws_distinct_active_ursulas_and_is_reproducible() {
	run(|| {
		for (staker, worker) in [(ALICE, URSULA_A), (BOB, URSULA_B), (3, 13)] {
			staked_and_registered(staker, worker);
			assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(worker)));
		}
		let sample = Staking::sample([7; 32], 2, 1).unwrap();
		assert_eq!(sample.len(), 2);
		assert_ne!(sample[0], sample[1]);
		assert_eq!(Staking::sample([7; 32], 2, 1).unwrap(), sample);
		let all = Staking::sample([9; 32], 3, 1).unwrap();
		let mut sorted = all.clone();
		sorted.sort();
		assert_eq!(sorted, vec![URSULA_A, URSULA_B, 13]);
		assert_eq!(Staking::sample([7; 32], 4, 1), Err(SamplingError::NotEnoughCandidates));
		assert_eq!(Staking::sample([7; 32], 1, 0), Err(SamplingError::NotEnoughCandidates));
	});
}

#[test]
fn the_active_set_weighs_each_ursula_by_the_stake_it_committed() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_A)));
		// More stake after committing counts from the next commitment on.
		assert_ok!(Staking::increase_stake(RuntimeOrigin::signed(ALICE), 0, 500));
		assert_eq!(Staking::active_ursulas(1)[0].locked, 1_000);
		assert_eq!(Staking::ursula(URSULA_A).unwrap().locked, 1_500);
		go_to_period(2);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		// Period 1's commitment is settled: its active set is no longer known.
		assert!(Staking::active_ursulas(1).is_empty());
	});
}
