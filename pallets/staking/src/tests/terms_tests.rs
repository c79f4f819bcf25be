//! A staker's terms: set within governance's range, in force from the next period, read inside
//! the range that holds when they are read, gone with the staker; and how long a stake stays
//! locked for the policies an Alice would give it.

use frame_support::{assert_noop, assert_ok};
use keymarket_primitives::registry::UrsulaRegistry;

use super::mock::*;
use crate::{
	config_preludes::{MAX_CAPACITY, MAX_FEE_RATE, MIN_FEE_RATE},
	Error, Event, StakerTerms, Terms,
};

const DEFAULTS: Terms<Balance> = Terms { min_fee_rate: MIN_FEE_RATE, capacity: MAX_CAPACITY };

#[test]
fn terms_take_effect_from_the_next_period_and_a_second_change_replaces_the_first() {
	run(|| {
		staked_and_registered(ALICE, URSULA_A);
		assert_eq!(Staking::terms_of(&ALICE, 0), DEFAULTS);
		assert_eq!(
			<Staking as UrsulaRegistry<_>>::terms(&URSULA_A).unwrap().capacity,
			MAX_CAPACITY
		);
		let dear = Terms { min_fee_rate: 300, capacity: 2 };
		assert_ok!(Staking::set_terms(RuntimeOrigin::signed(ALICE), 300, 2));
		assert_eq!(last_event(), Event::TermsSet { staker: ALICE, terms: dear, from: 1 });
		// Not yet: the period goes on under the defaults.
		assert_eq!(Staking::terms_of(&ALICE, 0), DEFAULTS);
		assert_eq!(Staking::terms_of(&ALICE, 1), dear);
		// A second change in the same period replaces the first.
		let cheaper = Terms { min_fee_rate: 200, capacity: 1 };
		assert_ok!(Staking::set_terms(RuntimeOrigin::signed(ALICE), 200, 1));
		assert_eq!(Staking::terms_of(&ALICE, 1), cheaper);
		assert_eq!(Staking::terms_of(&ALICE, 0), DEFAULTS);
		go_to_period(1);
		let registry = <Staking as UrsulaRegistry<_>>::terms(&URSULA_A).unwrap();
		assert_eq!((registry.min_fee_rate, registry.capacity), (200, 1));
		// A change in period 3 keeps period 3 under the terms of period 1 and holds from 4.
		go_to_period(3);
		assert_ok!(Staking::set_terms(RuntimeOrigin::signed(ALICE), MAX_FEE_RATE, 3));
		let record = StakerTerms::<Test>::get(ALICE).unwrap();
		assert_eq!(record.in_force, Some(cheaper));
		assert_eq!(record.next, Some((4, Terms { min_fee_rate: MAX_FEE_RATE, capacity: 3 })));
		assert_eq!(Staking::terms_of(&ALICE, 3), cheaper);
		assert_eq!(Staking::terms_of(&ALICE, 4).min_fee_rate, MAX_FEE_RATE);
		// A worker that is not bonded has no terms to show.
		assert!(<Staking as UrsulaRegistry<_>>::terms(&URSULA_B).is_none());
	});
}

#[test]
fn bad_terms_get_a_precise_error_and_change_nothing() {
	run(|| {
		assert_noop!(
			Staking::set_terms(RuntimeOrigin::signed(BOB), 100, 1),
			Error::<Test>::NotAStaker
		);
		staked_and_registered(ALICE, URSULA_A);
		assert_noop!(
			Staking::set_terms(RuntimeOrigin::signed(ALICE), MIN_FEE_RATE - 1, 1),
			Error::<Test>::FeeRateOutOfRange
		);
		assert_noop!(
			Staking::set_terms(RuntimeOrigin::signed(ALICE), MAX_FEE_RATE + 1, 1),
			Error::<Test>::FeeRateOutOfRange
		);
		assert_noop!(
			Staking::set_terms(RuntimeOrigin::signed(ALICE), MIN_FEE_RATE, MAX_CAPACITY + 1),
			Error::<Test>::CapacityOutOfRange
		);
		// No place at all is no offer: an Ursula paid for availability takes policies.
		assert_noop!(
			Staking::set_terms(RuntimeOrigin::signed(ALICE), MIN_FEE_RATE, 0),
			Error::<Test>::CapacityOutOfRange
		);
		assert_noop!(
			Staking::set_terms(frame_system::RawOrigin::None.into(), MIN_FEE_RATE, 1),
			sp_runtime::DispatchError::BadOrigin
		);
		// The edges of the range are inside it.
		assert_ok!(Staking::set_terms(RuntimeOrigin::signed(ALICE), MIN_FEE_RATE, 1));
		assert_ok!(Staking::set_terms(RuntimeOrigin::signed(ALICE), MAX_FEE_RATE, MAX_CAPACITY));
	});
}

#[test]
fn terms_are_read_inside_the_range_and_maximum_in_force_when_read() {
	run(|| {
		// As if governance had moved the range after the staker chose: raised to the bottom,
		// lowered to the top, capacity to the chain's most.
		let below = Terms { min_fee_rate: MIN_FEE_RATE - 5, capacity: MAX_CAPACITY + 7 };
		assert_eq!(Staking::bounded_terms(Some(below)), DEFAULTS);
		let above = Terms { min_fee_rate: MAX_FEE_RATE * 2, capacity: 1 };
		assert_eq!(
			Staking::bounded_terms(Some(above)),
			Terms { min_fee_rate: MAX_FEE_RATE, capacity: 1 }
		);
		assert_eq!(Staking::bounded_terms(None), DEFAULTS);
	});
}

#[test]
fn a_staker_that_leaves_takes_its_terms_along() {
	run(|| {
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 1_000, 2));
		assert_ok!(Staking::set_terms(RuntimeOrigin::signed(ALICE), 100, 1));
		assert_ok!(Staking::set_wind_down(RuntimeOrigin::signed(ALICE), true));
		go_to_period(3);
		assert_ok!(Staking::withdraw(RuntimeOrigin::signed(ALICE), 1_000));
		assert!(StakerTerms::<Test>::get(ALICE).is_none());
		assert_eq!(Staking::terms_of(&ALICE, 3), DEFAULTS);
	});
}

#[test]
fn a_stake_is_locked_through_its_longest_locks_that_make_the_minimum() {
	run(|| {
		assert_eq!(Staking::locked_through(&ALICE), None);
		assert_ok!(Staking::stake(RuntimeOrigin::signed(ALICE), 1_000, 10));
		// Wind-down off: the locks stand still.
		assert_eq!(Staking::locked_through(&ALICE), None);
		assert_ok!(Staking::set_wind_down(RuntimeOrigin::signed(ALICE), true));
		// Ten periods from period 0: locked in 0..=9.
		assert_eq!(Staking::locked_through(&ALICE), Some(9));
		// A sub-stake of the minimum locked for twenty periods makes the minimum alone.
		assert_ok!(Staking::stake(
			RuntimeOrigin::signed(ALICE),
			crate::config_preludes::MIN_STAKE,
			20
		));
		assert_eq!(Staking::locked_through(&ALICE), Some(19));
		go_to_period(5);
		assert_eq!(Staking::locked_through(&ALICE), Some(19));
		go_to_period(25);
		// Nothing locked now: a period before the current one.
		assert_eq!(Staking::locked_through(&ALICE), Some(24));
	});
}
