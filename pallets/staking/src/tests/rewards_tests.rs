//! Inflation: the two-phase formula, re-staking, the cap and the stage.

use frame_support::{assert_noop, assert_ok, traits::Hooks};
use sp_runtime::DispatchError;

use super::mock::*;
use crate::{Error, Event, Issuance, LockedInPeriod, Stage, Stakers, SubStakes};

fn reward_events() -> Vec<Event<Test>> {
	staking_events()
		.into_iter()
		.filter(|e| matches!(e, Event::RewardMinted { .. } | Event::StageChanged { .. }))
		.collect()
}

fn commit(worker: AccountId) {
	assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(worker)));
}

#[test]
fn a_committed_period_earns_phase_one_inflation_once_it_has_passed() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		commit(URSULA_A);
		assert_eq!(LockedInPeriod::<Test>::get(1).locked, 1_000);
		go_to_period(1);
		assert_noop!(Staking::mint(RuntimeOrigin::signed(ALICE)), Error::<Test>::NoRewardDue);
		go_to_period(2);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		// Alone in the period: Imax · (k1 + T) / k2 = 1000 · (100 + 10) / 200.
		assert_eq!(
			reward_events(),
			vec![Event::RewardMinted { staker: ALICE, period: 1, value: 550, restaked: true }]
		);
		// Re-staked: locked in the sub-stake, held on the account.
		assert_eq!(SubStakes::<Test>::get(ALICE)[0].value, 1_550);
		assert_eq!(Issuance::<Test>::get().minted, 550);
		assert_noop!(Staking::mint(RuntimeOrigin::signed(ALICE)), Error::<Test>::NoRewardDue);
		assert_noop!(Staking::mint(RuntimeOrigin::signed(BOB)), Error::<Test>::NotAStaker);
	});
}

#[test]
fn longer_locks_earn_a_larger_share() {
	run(|| {
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 1_000, 100));
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_A)));
		assert_ok!(register(URSULA_A, b"", "Ursula"));
		staked_and_registered(BOB, URSULA_B);
		commit(URSULA_A);
		commit(URSULA_B);
		assert_eq!(LockedInPeriod::<Test>::get(1).locked, 2_000);
		go_to_period(2);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		assert_ok!(Staking::mint(RuntimeOrigin::signed(BOB)));
		// Alice: 1000 · 1000 · (100 + min(100, 100)) / (2000 · 200); Bob: (100 + 10) instead.
		assert_eq!(
			reward_events(),
			vec![
				Event::RewardMinted { staker: ALICE, period: 1, value: 500, restaked: true },
				Event::RewardMinted { staker: BOB, period: 1, value: 275, restaked: true },
			]
		);
	});
}

#[test]
fn winding_down_shortens_the_lock_that_the_reward_counts() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		assert_ok!(Staking::set_wind_down(RuntimeOrigin::signed(ALICE), true));
		commit(URSULA_A);
		go_to_period(2);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		// Nine periods are left in period 1: 1000 · (100 + 9) / 200.
		assert_eq!(
			reward_events(),
			vec![Event::RewardMinted { staker: ALICE, period: 1, value: 545, restaked: true }]
		);
	});
}

#[test]
fn without_restake_the_reward_stays_free() {
	run(|| {
		staked_and_registered(BOB, URSULA_B);
		assert_ok!(Staking::set_restake(RuntimeOrigin::signed(BOB), false));
		commit(URSULA_B);
		go_to_period(2);
		let free = Balances::free_balance(BOB);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(BOB)));
		assert_eq!(Balances::free_balance(BOB), free + 550);
		assert_eq!(Staking::locked(&BOB), 1_000);
		assert_eq!(
			reward_events(),
			vec![Event::RewardMinted { staker: BOB, period: 1, value: 550, restaked: false }]
		);
	});
}

#[test]
fn the_next_commitment_mints_the_passed_periods() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		commit(URSULA_A);
		go_to_period(1);
		commit(URSULA_A);
		assert!(reward_events().is_empty(), "period 1 is still running");
		go_to_period(2);
		commit(URSULA_A);
		assert_eq!(
			reward_events(),
			vec![Event::RewardMinted { staker: ALICE, period: 1, value: 550, restaked: true }]
		);
		let waiting: Vec<_> =
			Stakers::<Test>::get(ALICE).unwrap().unrewarded.iter().map(|c| c.period).collect();
		assert_eq!(waiting, vec![2, 3]);
	});
}

#[test]
fn phase_two_mints_a_share_of_what_is_left_under_the_cap() {
	// Supply 260,000: above the first phase, 40,000 left under the cap.
	run_in(ext_with_reserve(260_000 - 4 * INITIAL), || {
		staked_and_registered(ALICE, URSULA_A);
		commit(URSULA_A);
		go_to_period(2);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		// 40,000 · (100 + 10) / (200 · 50).
		assert_eq!(
			reward_events(),
			vec![Event::RewardMinted { staker: ALICE, period: 1, value: 440, restaked: true }]
		);
	});
}

#[test]
fn inflation_ends_at_the_cap_and_the_network_enters_fees_only() {
	// 49 units left under the cap: less than `d`, so a period's share rounds to nothing.
	run_in(ext_with_reserve(SUPPLY_CAP - 49 - 4 * INITIAL), || {
		staked_and_registered(ALICE, URSULA_A);
		commit(URSULA_A);
		go_to_period(2);
		commit(URSULA_A);
		assert_eq!(reward_events(), vec![Event::StageChanged { stage: Stage::FeesOnly }]);
		assert_eq!(Staking::stage(), Stage::FeesOnly);
		assert_eq!(Issuance::<Test>::get().minted, 0);
	});
}

#[test]
fn governance_switches_the_stage_and_fees_only_mints_nothing() {
	run(|| {
		assert_noop!(
			Staking::set_stage(RuntimeOrigin::signed(ALICE), Stage::FeesOnly),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Staking::set_stage(RuntimeOrigin::root(), Stage::Inflation),
			Error::<Test>::StageUnchanged
		);
		assert_ok!(Staking::set_stage(RuntimeOrigin::root(), Stage::FeesOnly));
		assert_eq!(last_event(), Event::StageChanged { stage: Stage::FeesOnly });
		staked_and_registered(ALICE, URSULA_A);
		commit(URSULA_A);
		go_to_period(2);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		assert_eq!(reward_events(), vec![Event::StageChanged { stage: Stage::FeesOnly }]);
		assert_ok!(Staking::set_stage(RuntimeOrigin::root(), Stage::Inflation));
		assert_eq!(Staking::stage(), Stage::Inflation);
	});
}

#[test]
fn period_totals_are_pruned_after_the_reward_history() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		commit(URSULA_A);
		let late = 1 + REWARD_HISTORY;
		go_to_period(late);
		Staking::on_initialize(late as u64 * BLOCKS_PER_PERIOD);
		assert_eq!(LockedInPeriod::<Test>::get(1).locked, 0);
		// The commitment is settled, without reward: it came too late.
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		assert!(reward_events().is_empty());
	});
}

#[test]
fn a_replacement_worker_takes_over_the_next_period_without_counting_the_stake_twice() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		go_to_period(2);
		commit(URSULA_A);
		assert_eq!(LockedInPeriod::<Test>::get(3).locked, 1_000);
		// The leaving worker's commitment to period 3 is dropped with it.
		assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(ALICE), Some(URSULA_B)));
		assert_eq!(LockedInPeriod::<Test>::get(3).locked, 0);
		assert!(Stakers::<Test>::get(ALICE).unwrap().unrewarded.is_empty());
		assert_ok!(register(URSULA_B, b"", "Ursula"));
		commit(URSULA_B);
		assert_eq!(LockedInPeriod::<Test>::get(3).locked, 1_000);
		assert_noop!(
			Staking::commit_to_next_period(RuntimeOrigin::signed(URSULA_B)),
			Error::<Test>::AlreadyCommitted
		);
		go_to_period(4);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		assert_eq!(reward_events().len(), 1, "one reward for period 3");
	});
}

#[test]
fn a_period_is_measured_against_the_supply_when_it_was_first_committed_to() {
	// Supply 199,000: one more Imax fits the first phase.
	run_in(ext_with_reserve(199_000 - 4 * INITIAL), || {
		staked_and_registered(ALICE, URSULA_A);
		commit(URSULA_A);
		assert_eq!(LockedInPeriod::<Test>::get(1).supply, 199_000);
		go_to_period(1);
		commit(URSULA_A);
		go_to_period(3);
		// Period 1 pays phase 1 (550) even though minting it first pushes supply over the
		// first phase; period 2 was committed to at the same supply, and pays phase 1 too.
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		let values: Vec<_> = reward_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::RewardMinted { value, .. } => Some(value),
				_ => None,
			})
			.collect();
		assert_eq!(values, vec![550, 550]);
	});
}

#[test]
fn a_silent_rounds_inflation_is_withheld_from_the_rewards_minted_after_it() {
	use keymarket_primitives::registry::PeriodReward;
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		commit(URSULA_A);
		go_to_period(1);
		commit(URSULA_A);
		// The gateway pallet withholds a silent round's share (and then some more) before the
		// period's reward is minted.
		assert_eq!(<Staking as PeriodReward<_, _>>::period_reward(&ALICE, 1), 550);
		<Staking as PeriodReward<_, _>>::withhold(&ALICE, 200);
		<Staking as PeriodReward<_, _>>::withhold(&ALICE, 500);
		<Staking as PeriodReward<_, _>>::withhold(&ALICE, 0);
		assert_eq!(crate::Withheld::<Test>::get(ALICE), 700);
		go_to_period(2);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		// Period 1 earned 550, all withheld: nothing minted, the rest waits for period 2.
		assert!(staking_events().contains(&Event::RewardWithheld {
			staker: ALICE,
			period: 1,
			value: 550,
			left: 150
		}));
		assert!(!reward_events().iter().any(|e| matches!(e, Event::RewardMinted { .. })));
		assert_eq!(Issuance::<Test>::get().minted, 0);
		assert_eq!(SubStakes::<Test>::get(ALICE)[0].value, 1_000);
		// What it earned still prices its rounds.
		assert_eq!(<Staking as PeriodReward<_, _>>::period_reward(&ALICE, 1), 550);

		commit(URSULA_A);
		go_to_period(3);
		assert_ok!(Staking::mint(RuntimeOrigin::signed(ALICE)));
		let minted = Issuance::<Test>::get().minted;
		let earned = <Staking as PeriodReward<_, _>>::period_reward(&ALICE, 2);
		assert_eq!(minted, earned - 150, "the rest comes off period 2's reward");
		assert!(staking_events().contains(&Event::RewardWithheld {
			staker: ALICE,
			period: 2,
			value: 150,
			left: 0
		}));
		assert!(!crate::Withheld::<Test>::contains_key(ALICE));
	});
}
