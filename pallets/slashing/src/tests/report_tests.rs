//! Judging offences: the rules, duplicates, and refused reports.

use frame_support::assert_ok;

use super::mock::*;
use crate::{
	Event, History, NextSlashId, Offence, OffenceError, OffenceKind, OffenceTag, ReportOffence,
	Slashes,
};

pub fn offence(
	offender: AccountId,
	kind: OffenceKind<Balance>,
	evidence: u8,
	period: u32,
) -> Offence<AccountId, Balance> {
	Offence { offender, kind, evidence: [evidence; 32], period, reporters: vec![BOB_REPORTER] }
}

fn penalty_of(id: u64) -> Balance {
	Slashes::<Test>::get(id).expect("a deferred slash").penalty
}

#[test]
fn an_incorrect_cfrag_costs_more_with_each_offence_up_to_a_share_of_the_stake() {
	run(|| {
		for evidence in 1..=3 {
			assert_ok!(Slashing::report(offence(
				URSULA_A,
				OffenceKind::IncorrectCfrag,
				evidence,
				0
			)));
		}
		// base + histCoef · history: 100, 150, 200.
		assert_eq!((penalty_of(0), penalty_of(1), penalty_of(2)), (100, 150, 200));
		assert_eq!(History::<Test>::get(ALICE, OffenceTag::IncorrectCfrag).count, 3);
		// Never more than locked / pctCoef.
		assert_eq!(Slashing::penalty(&OffenceKind::IncorrectCfrag, 1_000, 30), 100);
		assert_eq!(
			slashing_events()[..2],
			[
				Event::OffenceReported {
					id: 0,
					staker: ALICE,
					worker: URSULA_A,
					kind: OffenceTag::IncorrectCfrag,
					evidence: [1; 32],
				},
				Event::SlashDeferred { id: 0, staker: ALICE, penalty: 100, apply_at: DEFER },
			]
		);
	});
}

#[test]
fn unavailability_costs_the_rounds_earnings_once_per_ursula_and_round() {
	run(|| {
		let silent = |round, evidence| {
			offence(URSULA_A, OffenceKind::Unavailability { round, earnings: 300 }, evidence, 0)
		};
		assert_ok!(Slashing::report(silent(5, 1)));
		assert_eq!(penalty_of(0), 300);
		// Another proof for the same round, even with other evidence, is a duplicate.
		assert_eq!(Slashing::report(silent(5, 2)), Err(OffenceError::Duplicate));
		assert_ok!(Slashing::report(silent(6, 3)));
		// Bob's Ursula in the same round is another offence.
		assert_ok!(Slashing::report(offence(
			URSULA_B,
			OffenceKind::Unavailability { round: 5, earnings: 300 },
			4,
			0
		)));
	});
}

#[test]
fn false_claims_cost_double_up_to_a_share_of_the_stake_and_fraud_its_overdraft() {
	run(|| {
		assert_ok!(Slashing::report(offence(
			URSULA_A,
			OffenceKind::FalseServiceClaim { claimed: 200 },
			1,
			0
		)));
		assert_ok!(Slashing::report(offence(
			URSULA_A,
			OffenceKind::FalseServiceClaim { claimed: 5_000 },
			2,
			0
		)));
		assert_ok!(Slashing::report(offence(
			URSULA_B,
			OffenceKind::LotteryFraud { overdraft: 700 },
			3,
			0
		)));
		assert_eq!((penalty_of(0), penalty_of(1), penalty_of(2)), (400, 1_000, 700));
	});
}

#[test]
fn the_same_evidence_is_punished_once() {
	run(|| {
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 9, 0)));
		assert_eq!(
			Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 9, 0)),
			Err(OffenceError::Duplicate)
		);
		start_period(1);
		assert_eq!(
			Slashing::report(offence(URSULA_B, OffenceKind::IncorrectCfrag, 9, 1)),
			Err(OffenceError::Duplicate)
		);
	});
}

#[test]
fn bad_reports_are_refused_and_change_nothing() {
	run(|| {
		let refused = |report: Offence<AccountId, Balance>, why| {
			assert_eq!(Slashing::report(report), Err(why));
		};
		start_period(4);
		refused(offence(999, OffenceKind::IncorrectCfrag, 1, 4), OffenceError::UnknownOffender);
		refused(offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 5), OffenceError::InFuture);
		// Period 0 left the four-period window when period 4 began.
		refused(offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0), OffenceError::TooOld);
		let mut crowded = offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 4);
		crowded.reporters = vec![3, 4, 5];
		refused(crowded, OffenceError::TooManyReporters);
		assert!(slashing_events().is_empty());
		assert_eq!(NextSlashId::<Test>::get(), 0);

		// The fourth offence of a period with room for three.
		for evidence in 1..=MAX_PER_PERIOD as u8 {
			assert_ok!(Slashing::report(offence(
				URSULA_B,
				OffenceKind::IncorrectCfrag,
				evidence,
				4
			)));
		}
		refused(offence(URSULA_A, OffenceKind::IncorrectCfrag, 50, 4), OffenceError::QueueFull);
		assert_eq!(NextSlashId::<Test>::get(), MAX_PER_PERIOD as u64);
		// It may be reported in the next period, still within the window.
		start_period(5);
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 50, 4)));
	});
}

#[test]
fn governance_reports_through_the_same_rules_with_precise_errors() {
	use frame_support::assert_noop;
	use sp_runtime::DispatchError;
	run(|| {
		let report = |offence| Slashing::report_offence(RuntimeOrigin::root(), offence);
		assert_noop!(
			Slashing::report_offence(
				RuntimeOrigin::signed(ALICE),
				offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0)
			),
			DispatchError::BadOrigin
		);
		assert_ok!(report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0)));
		assert_eq!(penalty_of(0), 100);
		use crate::Error;
		assert_noop!(
			report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 1, 0)),
			Error::<Test>::Duplicate
		);
		assert_noop!(
			report(offence(999, OffenceKind::IncorrectCfrag, 2, 0)),
			Error::<Test>::UnknownOffender
		);
		assert_noop!(
			report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 2, 1)),
			Error::<Test>::InFuture
		);
		let mut crowded = offence(URSULA_A, OffenceKind::IncorrectCfrag, 2, 0);
		crowded.reporters = vec![3, 4, 5];
		assert_noop!(report(crowded), Error::<Test>::TooManyReporters);
		assert_ok!(report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 2, 0)));
		assert_ok!(report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 3, 0)));
		assert_noop!(
			report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 4, 0)),
			Error::<Test>::QueueFull
		);
		start_period(WINDOW);
		assert_noop!(
			report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 5, 0)),
			Error::<Test>::TooOld
		);
	});
}
