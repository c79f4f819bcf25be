//! Sub-stakes: their life from stake to withdrawal, every error, and slashing.

use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};

use keymarket_primitives::slashing::SlashOutcome;
use sp_runtime::Perbill;

use super::mock::*;
use crate::{Error, Event, HoldReason, Stakers, SubStake, SubStakes};

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Staking(HoldReason::Staking), &who)
}

fn subs(who: AccountId) -> Vec<(Balance, u32)> {
	SubStakes::<Test>::get(who).iter().map(|s| (s.value, s.remaining_periods)).collect()
}

#[test]
fn a_stake_is_held_in_the_stakers_own_account() {
	run(|| {
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 1_000, 10));
		assert_eq!(
			last_event(),
			Event::Staked { staker: ALICE, index: 0, value: 1_000, periods: 10 }
		);
		assert_eq!(held(ALICE), 1_000);
		assert_eq!(Balances::free_balance(ALICE), INITIAL - 1_000);
		assert_eq!(Staking::locked(&ALICE), 1_000);
		assert_eq!(
			SubStakes::<Test>::get(ALICE)[0],
			SubStake { value: 1_000, remaining_periods: 10, first_period: 0 }
		);
		let info = Stakers::<Test>::get(ALICE).unwrap();
		assert!(!info.wind_down && info.restake);
	});
}

#[test]
fn bad_stakes_are_refused_and_change_nothing() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_noop!(Staking::stake(alice.clone(), 0, 10), Error::<Test>::StakeBelowMinimum);
		assert_noop!(
			Staking::stake(alice.clone(), MIN_STAKE - 1, 10),
			Error::<Test>::StakeBelowMinimum
		);
		assert_noop!(Staking::stake(alice.clone(), 1_000, 1), Error::<Test>::LockTooShort);
		assert_noop!(Staking::stake(alice.clone(), 1_000, 366), Error::<Test>::LockTooLong);
		assert_noop!(
			Staking::stake(alice.clone(), MAX_STAKE + 1, 10),
			Error::<Test>::StakeAboveMaximum
		);
		// Account 5 has no funds at all.
		assert_noop!(
			Staking::stake(RuntimeOrigin::signed(5), 1_000, 10),
			Error::<Test>::InsufficientBalance
		);
		assert!(Stakers::<Test>::get(ALICE).is_none());
	});
}

#[test]
fn at_most_max_sub_stakes_and_at_most_max_stake() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		for _ in 0..3 {
			assert_ok!(Staking::stake(alice.clone(), 3_000, 10));
		}
		assert_noop!(Staking::stake(alice.clone(), 100, 10), Error::<Test>::TooManySubStakes);
		assert_noop!(
			Staking::increase_stake(alice.clone(), 0, 1_001),
			Error::<Test>::StakeAboveMaximum
		);
		assert_ok!(Staking::increase_stake(alice.clone(), 0, 1_000));
		assert_eq!(last_event(), Event::StakeIncreased { staker: ALICE, index: 0, value: 1_000 });
		assert_eq!(held(ALICE), MAX_STAKE);
	});
}

#[test]
fn a_value_that_overflows_the_stake_is_refused_before_the_maximum_is_checked() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 3_000, 10));
		assert_noop!(Staking::stake(alice.clone(), Balance::MAX, 10), Error::<Test>::Overflow);
		assert_noop!(
			Staking::increase_stake(alice.clone(), 0, Balance::MAX),
			Error::<Test>::Overflow
		);
		assert_eq!(held(ALICE), 3_000);
	});
}

#[test]
fn increase_needs_a_locked_sub_stake_and_funds() {
	run(|| {
		let bob = RuntimeOrigin::signed(BOB);
		assert_noop!(Staking::increase_stake(bob.clone(), 0, 10), Error::<Test>::NotAStaker);
		assert_ok!(Staking::stake(bob.clone(), 500, 2));
		assert_noop!(Staking::increase_stake(bob.clone(), 1, 10), Error::<Test>::NoSuchSubStake);
		assert_noop!(Staking::increase_stake(bob.clone(), 0, 0), Error::<Test>::StakeBelowMinimum);
		assert_ok!(Staking::set_wind_down(bob.clone(), true));
		go_to_period(2);
		assert_noop!(Staking::increase_stake(bob.clone(), 0, 10), Error::<Test>::SubStakeUnlocked);
	});
}

#[test]
fn an_unlocked_sub_stake_takes_no_change_and_an_increase_needs_free_funds() {
	run(|| {
		let bob = RuntimeOrigin::signed(BOB);
		// Bob keeps 1,000 and stakes 500 of it twice over: nothing left to add.
		assert_ok!(Balances::transfer_allow_death(bob.clone(), ALICE, INITIAL - 1_000));
		assert_ok!(Staking::stake(bob.clone(), 500, 2));
		assert_ok!(Staking::stake(bob.clone(), 400, 2));
		assert_noop!(
			Staking::increase_stake(bob.clone(), 0, 200),
			Error::<Test>::InsufficientBalance
		);
		// Wound down and past its lock, a sub-stake is only for withdrawing.
		assert_ok!(Staking::set_wind_down(bob.clone(), true));
		go_to_period(2);
		assert_noop!(
			Staking::divide_stake(bob.clone(), 0, 200, 1),
			Error::<Test>::SubStakeUnlocked
		);
		assert_noop!(Staking::prolong_stake(bob.clone(), 0, 1), Error::<Test>::SubStakeUnlocked);
		assert_noop!(Staking::merge_stakes(bob.clone(), 0, 1), Error::<Test>::SubStakeUnlocked);
		assert_eq!(held(BOB), 900, "nothing moved");
	});
}

#[test]
fn divide_splits_off_a_longer_sub_stake() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 10));
		assert_ok!(Staking::divide_stake(alice.clone(), 0, 300, 5));
		assert_eq!(
			last_event(),
			Event::StakeDivided {
				staker: ALICE,
				index: 0,
				new_index: 1,
				value: 300,
				extra_periods: 5
			}
		);
		assert_eq!(subs(ALICE), vec![(700, 10), (300, 15)]);
		assert_eq!(held(ALICE), 1_000);
	});
}

#[test]
fn divide_errors() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 10));
		assert_noop!(Staking::divide_stake(alice.clone(), 0, 300, 0), Error::<Test>::LockTooShort);
		assert_noop!(
			Staking::divide_stake(alice.clone(), 0, 50, 5),
			Error::<Test>::StakeBelowMinimum
		);
		// The rest would fall under the minimum.
		assert_noop!(
			Staking::divide_stake(alice.clone(), 0, 950, 5),
			Error::<Test>::StakeBelowMinimum
		);
		assert_noop!(Staking::divide_stake(alice.clone(), 0, 300, 356), Error::<Test>::LockTooLong);
		assert_noop!(
			Staking::divide_stake(alice.clone(), 3, 300, 5),
			Error::<Test>::NoSuchSubStake
		);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 10));
		assert_ok!(Staking::stake(alice.clone(), 1_000, 10));
		assert_noop!(
			Staking::divide_stake(alice.clone(), 0, 300, 5),
			Error::<Test>::TooManySubStakes
		);
		assert_eq!(subs(ALICE), vec![(1_000, 10); 3]);
	});
}

#[test]
fn prolong_lengthens_a_lock_within_bounds() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 10));
		assert_ok!(Staking::prolong_stake(alice.clone(), 0, 5));
		assert_eq!(last_event(), Event::StakeProlonged { staker: ALICE, index: 0, periods: 5 });
		assert_eq!(subs(ALICE), vec![(1_000, 15)]);
		assert_noop!(Staking::prolong_stake(alice.clone(), 0, 0), Error::<Test>::LockTooShort);
		assert_noop!(Staking::prolong_stake(alice.clone(), 0, 351), Error::<Test>::LockTooLong);
		assert_noop!(
			Staking::prolong_stake(alice.clone(), 0, u32::MAX),
			Error::<Test>::LockTooLong
		);
		assert_noop!(Staking::prolong_stake(alice.clone(), 1, 1), Error::<Test>::NoSuchSubStake);
	});
}

#[test]
fn merge_joins_sub_stakes_that_end_together() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 10));
		assert_ok!(Staking::stake(alice.clone(), 400, 10));
		assert_ok!(Staking::stake(alice.clone(), 400, 12));
		assert_noop!(Staking::merge_stakes(alice.clone(), 0, 0), Error::<Test>::SameSubStake);
		assert_noop!(
			Staking::merge_stakes(alice.clone(), 0, 2),
			Error::<Test>::SubStakesNotMergeable
		);
		assert_noop!(Staking::merge_stakes(alice.clone(), 0, 7), Error::<Test>::NoSuchSubStake);
		assert_ok!(Staking::merge_stakes(alice.clone(), 0, 1));
		assert_eq!(last_event(), Event::StakesMerged { staker: ALICE, into: 0, from: 1 });
		assert_eq!(subs(ALICE), vec![(1_400, 10), (400, 12)]);
	});
}

#[test]
fn wind_down_unlocks_and_withdraw_releases_only_unlocked_tokens() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 3));
		assert_ok!(Staking::stake(alice.clone(), 500, 10));
		// Without wind-down the locks stand still.
		go_to_period(5);
		assert_noop!(Staking::withdraw(alice.clone(), 1), Error::<Test>::InsufficientUnlocked);
		assert_ok!(Staking::set_wind_down(alice.clone(), true));
		assert_eq!(last_event(), Event::WindDownSet { staker: ALICE, enabled: true });
		go_to_period(8);
		assert_ok!(Staking::set_restake(alice.clone(), false));
		assert_eq!(subs(ALICE), vec![(1_000, 0), (500, 7)]);
		assert_eq!(Staking::locked(&ALICE), 500);
		assert_noop!(Staking::withdraw(alice.clone(), 1_001), Error::<Test>::InsufficientUnlocked);
		assert_noop!(Staking::withdraw(alice.clone(), 0), Error::<Test>::InsufficientUnlocked);
		assert_ok!(Staking::withdraw(alice.clone(), 600));
		assert_eq!(last_event(), Event::Withdrawn { staker: ALICE, value: 600 });
		assert_eq!(held(ALICE), 900);
		assert_eq!(Balances::free_balance(ALICE), INITIAL - 900);
		assert_ok!(Staking::withdraw(alice.clone(), 400));
		// The emptied sub-stake is gone; the locked one stays.
		assert_eq!(subs(ALICE), vec![(500, 7)]);
	});
}

#[test]
fn remove_unused_frees_a_slot_and_keeps_the_tokens_withdrawable() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 2));
		assert_ok!(Staking::stake(alice.clone(), 500, 10));
		assert_noop!(
			Staking::remove_unused_sub_stake(alice.clone(), 0),
			Error::<Test>::SubStakeStillLocked
		);
		assert_ok!(Staking::set_wind_down(alice.clone(), true));
		go_to_period(2);
		assert_ok!(Staking::remove_unused_sub_stake(alice.clone(), 0));
		assert_eq!(last_event(), Event::SubStakeRemoved { staker: ALICE, index: 0, value: 1_000 });
		assert_eq!(subs(ALICE), vec![(500, 8)]);
		assert_eq!(Stakers::<Test>::get(ALICE).unwrap().unlocked, 1_000);
		assert_noop!(
			Staking::remove_unused_sub_stake(alice.clone(), 1),
			Error::<Test>::NoSuchSubStake
		);
		assert_ok!(Staking::withdraw(alice.clone(), 1_000));
		assert_eq!(held(ALICE), 500);
	});
}

#[test]
fn switches_need_a_staker() {
	run(|| {
		let bob = RuntimeOrigin::signed(BOB);
		assert_noop!(Staking::set_wind_down(bob.clone(), true), Error::<Test>::NotAStaker);
		assert_noop!(Staking::set_restake(bob.clone(), false), Error::<Test>::NotAStaker);
		assert_noop!(Staking::withdraw(bob.clone(), 1), Error::<Test>::NotAStaker);
		assert_noop!(Staking::merge_stakes(bob.clone(), 0, 1), Error::<Test>::NotAStaker);
		assert_noop!(Staking::remove_unused_sub_stake(bob, 0), Error::<Test>::NotAStaker);
	});
}

#[test]
fn slashing_cuts_the_shortest_lock_first_and_never_more_than_is_locked() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 20));
		assert_ok!(Staking::stake(alice.clone(), 400, 5));
		assert_ok!(Staking::stake(alice.clone(), 600, 10));
		let issuance = Balances::total_issuance();

		assert_eq!(Staking::slash(&ALICE, 700, &[], Perbill::zero()).taken, 700);
		assert_eq!(
			last_event(),
			Event::Slashed { staker: ALICE, requested: 700, taken: 700, rewarded: 0 }
		);
		// The 5-period sub-stake is emptied and dropped, the 10-period one loses 300.
		assert_eq!(subs(ALICE), vec![(1_000, 20), (300, 10)]);
		assert_eq!(held(ALICE), 1_300);
		assert_eq!(Balances::total_issuance(), issuance - 700);

		assert_eq!(Staking::slash(&ALICE, 5_000, &[], Perbill::zero()).taken, 1_300);
		assert_eq!(subs(ALICE), vec![]);
		assert_eq!(held(ALICE), 0);
		assert_eq!(Balances::total_issuance(), issuance - 2_000);
		assert_eq!(Balances::free_balance(ALICE), INITIAL - 2_000);
	});
}

#[test]
fn slashing_takes_unlocked_stake_last_and_spares_strangers() {
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 2));
		assert_ok!(Staking::stake(alice.clone(), 500, 10));
		assert_ok!(Staking::set_wind_down(alice.clone(), true));
		go_to_period(3);
		assert_ok!(Staking::remove_unused_sub_stake(alice.clone(), 0));
		assert_ok!(Staking::stake(alice.clone(), 300, 4));
		// Locked first (shortest lock first), then the unlocked tokens.
		assert_eq!(Staking::slash(&ALICE, 900, &[], Perbill::zero()).taken, 900);
		assert_eq!(subs(ALICE), vec![]);
		assert_eq!(Stakers::<Test>::get(ALICE).unwrap().unlocked, 900);
		assert_eq!(held(ALICE), 900);
		assert_eq!(Staking::slash(&ALICE, 10_000, &[], Perbill::zero()).taken, 900);
		assert_eq!(held(ALICE), 0);
		assert_eq!(Staking::slash(&BOB, 100, &[], Perbill::zero()), SlashOutcome::default());
		assert_eq!(Staking::slash(&ALICE, 0, &[], Perbill::zero()), SlashOutcome::default());
	});
}

#[test]
fn a_staker_cannot_escape_a_late_report_by_winding_down_and_withdrawing() {
	use keymarket_primitives::slashing::StakeSlasher;
	run(|| {
		let alice = RuntimeOrigin::signed(ALICE);
		assert_ok!(Staking::stake(alice.clone(), 1_000, 2));
		assert_ok!(Staking::bond_worker(alice.clone(), Some(URSULA_A)));
		assert_ok!(Staking::set_wind_down(alice.clone(), true));
		go_to_period(3);
		// The lock ran out, but the worker may still be serving: nothing can be withdrawn.
		assert_ok!(Staking::set_restake(alice.clone(), true));
		assert_eq!(Staking::locked(&ALICE), 0);
		assert_noop!(Staking::withdraw(alice.clone(), 1_000), Error::<Test>::StakeStillAnswerable);
		// Unbonding starts the clock: the evidence window plus the deferral.
		assert_ok!(Staking::bond_worker(alice.clone(), None));
		let left = 3;
		go_to_period(left + ACCOUNTABILITY + 1);
		assert_noop!(Staking::withdraw(alice.clone(), 1_000), Error::<Test>::StakeStillAnswerable);
		// A report made on the window's last period is applied meanwhile, from unlocked stake.
		assert_eq!(<Staking as StakeSlasher<_, _>>::slashable(&ALICE), 1_000);
		assert_eq!(Staking::slash(&ALICE, 100, &[], Perbill::zero()).taken, 100);
		go_to_period(left + ACCOUNTABILITY + 2);
		assert_ok!(Staking::withdraw(alice.clone(), 900));
		// Nothing left, no worker: the staker's record is gone.
		assert_eq!(last_event(), Event::StakerRemoved { staker: ALICE });
		assert!(Stakers::<Test>::get(ALICE).is_none());
		assert_eq!(held(ALICE), 0);
		assert_noop!(Staking::withdraw(alice, 1), Error::<Test>::NotAStaker);
	});
}

#[test]
fn reporters_share_their_part_of_a_slash_and_the_rest_is_burned() {
	run(|| {
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 1_000, 20));
		let issuance = Balances::total_issuance();
		let (bob, carol) = (Balances::free_balance(BOB), Balances::free_balance(3));
		// A tenth of 600 to two reporters: 30 each; 540 burned.
		let outcome = Staking::slash(&ALICE, 600, &[BOB, 3], Perbill::from_percent(10));
		assert_eq!(outcome, SlashOutcome { taken: 600, rewarded: 60, burned: 540 });
		assert_eq!(Balances::free_balance(BOB), bob + 30);
		assert_eq!(Balances::free_balance(3), carol + 30);
		assert_eq!(held(ALICE), 400);
		assert_eq!(Balances::total_issuance(), issuance - 540);
		assert_eq!(crate::Issuance::<Test>::get().burned, 540);
	});
}

#[test]
fn the_stake_a_validator_is_ranked_by_is_what_is_locked_now() {
	use keymarket_primitives::registry::StakeOf;
	run(|| {
		assert_eq!(<Staking as StakeOf<AccountId>>::locked_stake(&ALICE), 0);
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 1_000, 10));
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 2_000, 20));
		assert_eq!(<Staking as StakeOf<AccountId>>::locked_stake(&ALICE), 3_000);
		// Winding down, untouched for ten periods: the first lock ran out, though storage has
		// not caught up (the pallet's own `locked` still counts it).
		assert_ok!(Staking::set_wind_down(RuntimeOrigin::signed(ALICE), true));
		go_to_period(10);
		assert_eq!(Staking::locked(&ALICE), 3_000);
		assert_eq!(<Staking as StakeOf<AccountId>>::locked_stake(&ALICE), 2_000);
		go_to_period(20);
		assert_eq!(<Staking as StakeOf<AccountId>>::locked_stake(&ALICE), 0);
		// Without wind-down, locks do not shorten.
		assert_ok!(Staking::stake(RuntimeOrigin::signed(BOB), 1_000, 10));
		go_to_period(40);
		assert_eq!(<Staking as StakeOf<AccountId>>::locked_stake(&BOB), 1_000);
	});
}
