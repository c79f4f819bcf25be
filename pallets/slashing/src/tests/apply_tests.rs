//! Deferred application, cancellation, history and the views.

use frame_support::{assert_noop, assert_ok, traits::ReservableCurrency};
use keymarket_primitives::slashing::HistoryView;
use sp_runtime::DispatchError;

use super::{mock::*, report_tests::offence};
use crate::{
	Error, Event, History, HistoryRecord, OffenceKind, OffenceTag, ReportOffence, Reported,
};

fn applied() -> Vec<(u64, Balance, Balance, Balance)> {
	slashing_events()
		.into_iter()
		.filter_map(|e| match e {
			Event::SlashApplied { id, taken, rewarded, unapplied, .. } => {
				Some((id, taken, rewarded, unapplied))
			},
			_ => None,
		})
		.collect()
}

#[test]
fn a_slash_waits_its_periods_then_cuts_the_stake_pays_the_reporters_and_burns_the_rest() {
	run(|| {
		let mut report = offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0);
		report.reporters = vec![BOB_REPORTER, CAROL_REPORTER];
		assert_ok!(Slashing::report(report));
		start_period(1);
		assert!(applied().is_empty());
		assert_eq!(Balances::reserved_balance(ALICE), STAKE);

		start_period(2);
		// 100 taken; a tenth to the two reporters, 5 each; 90 burned.
		assert_eq!(applied(), vec![(0, 100, 10, 0)]);
		assert_eq!(Balances::reserved_balance(ALICE), STAKE - 100);
		assert_eq!(Balances::free_balance(BOB_REPORTER), 15);
		assert_eq!(Balances::free_balance(CAROL_REPORTER), 15);
		assert_eq!(burned(), 90);
		assert_eq!(
			History::<Test>::get(ALICE, OffenceTag::IncorrectCfrag),
			HistoryRecord { count: 1, taken: 100, unapplied: 0, cancelled: 0 }
		);
		// Applied once: the next period start does nothing more.
		start_period(3);
		assert_eq!(applied().len(), 1);
	});
}

#[test]
fn a_stake_smaller_than_the_penalty_is_taken_whole_and_the_rest_recorded() {
	run(|| {
		assert_ok!(Slashing::report(offence(
			URSULA_A,
			OffenceKind::Unavailability { round: 1, earnings: 15_000 },
			1,
			0
		)));
		start_period(DEFER);
		assert_eq!(applied(), vec![(0, STAKE, STAKE / 10, 5_000)]);
		assert_eq!(Balances::reserved_balance(ALICE), 0);
		let record = History::<Test>::get(ALICE, OffenceTag::Unavailability);
		assert_eq!((record.taken, record.unapplied), (STAKE, 5_000));
	});
}

#[test]
fn a_report_against_an_offender_without_stake_is_refused_not_free() {
	run(|| {
		Balances::unreserve(&ALICE, STAKE);
		// The capsule-fragment penalty is capped by a share of nothing: the report could take
		// nothing, so it is refused (the reporting call pays its fee) and takes no place.
		assert_eq!(
			Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0)),
			Err(crate::OffenceError::NothingToSlash)
		);
		assert_eq!(crate::ReportedIn::<Test>::get(0).len(), 0);
		assert_eq!(History::<Test>::get(ALICE, OffenceTag::IncorrectCfrag).count, 0);
		assert!(slashing_events().is_empty());
	});
}

#[test]
fn governance_cancels_a_deferred_slash_which_is_then_not_applied() {
	run(|| {
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0)));
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 2, 0)));
		assert_noop!(
			Slashing::cancel_slash(RuntimeOrigin::signed(ALICE), 1),
			DispatchError::BadOrigin
		);
		assert_noop!(Slashing::cancel_slash(RuntimeOrigin::root(), 7), Error::<Test>::NoSuchSlash);
		assert_ok!(Slashing::cancel_slash(RuntimeOrigin::root(), 1));
		assert_eq!(slashing_events().last(), Some(&Event::SlashCancelled { id: 1, staker: ALICE }));
		assert_noop!(Slashing::cancel_slash(RuntimeOrigin::root(), 1), Error::<Test>::NoSuchSlash);
		start_period(DEFER);
		assert_eq!(applied(), vec![(0, 100, 10, 0)]);
		assert_eq!(
			History::<Test>::get(ALICE, OffenceTag::IncorrectCfrag),
			HistoryRecord { count: 1, taken: 100, unapplied: 0, cancelled: 1 }
		);
		// Too late to cancel once applied.
		assert_noop!(Slashing::cancel_slash(RuntimeOrigin::root(), 0), Error::<Test>::NoSuchSlash);
	});
}

#[test]
fn several_offences_in_one_period_are_all_applied_in_order() {
	run(|| {
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0)));
		assert_ok!(Slashing::report(offence(
			URSULA_A,
			OffenceKind::Unavailability { round: 3, earnings: 250 },
			2,
			0
		)));
		assert_ok!(Slashing::report(offence(
			URSULA_B,
			OffenceKind::FalseServiceClaim { claimed: 100 },
			3,
			0
		)));
		start_period(DEFER);
		assert_eq!(applied(), vec![(0, 100, 10, 0), (1, 250, 25, 0), (2, 200, 20, 0)]);
		assert_eq!(Balances::reserved_balance(ALICE), STAKE - 350);
		assert_eq!(Balances::reserved_balance(BOB), STAKE - 200);
	});
}

#[test]
fn reported_offences_are_forgotten_when_they_leave_the_window() {
	run(|| {
		let reported = offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0);
		let key = Slashing::offence_key(&reported);
		assert_ok!(Slashing::report(reported));
		start_period(WINDOW - 1);
		assert!(Reported::<Test>::contains_key(key));
		start_period(WINDOW);
		assert!(!Reported::<Test>::contains_key(key));
		// Which cannot let it be punished again: it is too old now.
		assert_eq!(
			Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0)),
			Err(crate::OffenceError::TooOld)
		);
	});
}

#[test]
fn integrators_see_histories_and_pending_slashes() {
	run(|| {
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0)));
		assert_ok!(Slashing::report(offence(
			URSULA_B,
			OffenceKind::LotteryFraud { overdraft: 70 },
			2,
			0
		)));
		let pending = Slashing::pending_slashes(None);
		assert_eq!(pending.iter().map(|s| s.id).collect::<Vec<_>>(), vec![0, 1]);
		let bobs = Slashing::pending_slashes(Some(&BOB));
		assert_eq!((bobs.len(), bobs[0].penalty, bobs[0].apply_at), (1, 70, DEFER));
		start_period(DEFER);
		assert!(Slashing::pending_slashes(None).is_empty());
		assert_eq!(
			Slashing::history(&BOB),
			vec![HistoryView {
				kind: OffenceTag::LotteryFraud,
				count: 1,
				taken: 70,
				unapplied: 0,
				cancelled: 0
			}]
		);
	});
}

#[test]
fn an_offender_cannot_collect_the_reporters_reward_of_its_own_slash() {
	run(|| {
		let mut report = offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0);
		report.reporters = vec![ALICE, BOB_REPORTER];
		assert_ok!(Slashing::report(report));
		let alice_free = Balances::free_balance(ALICE);
		start_period(DEFER);
		// Only Bob's reporter shares the tenth: 10 of the 100 taken.
		assert_eq!(applied(), vec![(0, 100, 10, 0)]);
		assert_eq!(Balances::free_balance(BOB_REPORTER), 20);
		assert_eq!(Balances::free_balance(ALICE), alice_free);
	});
}
