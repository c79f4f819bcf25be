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
fn the_same_offence_is_punished_once() {
	run(|| {
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 9, 0)));
		assert_eq!(
			Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 9, 0)),
			Err(OffenceError::Duplicate)
		);
		// The same evidence dated in another period, or as another kind, is another offence.
		start_period(1);
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 9, 1)));
		assert_ok!(Slashing::report(offence(
			URSULA_A,
			OffenceKind::FalseServiceClaim { claimed: 10 },
			9,
			1
		)));
	});
}

#[test]
fn an_accomplice_cannot_shield_an_offender_by_reporting_the_same_evidence_first() {
	run(|| {
		// Bob's Ursula signs the very fragment Alice's Ursula served and reports itself first.
		assert_ok!(Slashing::report(offence(URSULA_B, OffenceKind::IncorrectCfrag, 9, 0)));
		// The real report against Alice's Ursula is still accepted and priced in full.
		let id = Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 9, 0))
			.expect("the offender's own offence is not a duplicate of its accomplice's");
		assert_eq!(penalty_of(id), CFRAG_BASE);
		assert_eq!(Slashes::<Test>::get(id).unwrap().staker, ALICE);
	});
}

#[test]
fn one_offender_cannot_fill_the_queue_that_reports_against_others_need() {
	run(|| {
		// Alice's Ursula floods the period with distinct wrong fragments of its own.
		for evidence in 1..=MAX_PER_OFFENDER as u8 {
			assert_ok!(Slashing::report(offence(
				URSULA_A,
				OffenceKind::IncorrectCfrag,
				evidence,
				0
			)));
		}
		assert_eq!(
			Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 99, 0)),
			Err(OffenceError::OffenderQueueFull)
		);
		// The report against Bob's Ursula still finds its place.
		assert_ok!(Slashing::report(offence(URSULA_B, OffenceKind::IncorrectCfrag, 1, 0)));
		// Each flooding report costs the flooder real stake: the penalties grow with history.
		assert_eq!((penalty_of(0), penalty_of(1), penalty_of(2)), (100, 150, 200));
		// The next period, the offender may be reported again.
		start_period(1);
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 99, 0)));
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

		// The fifth offence of a period with room for four (three from one offender at most).
		for evidence in 1..=MAX_PER_OFFENDER as u8 {
			assert_ok!(Slashing::report(offence(
				URSULA_B,
				OffenceKind::IncorrectCfrag,
				evidence,
				4
			)));
		}
		refused(
			offence(URSULA_B, OffenceKind::IncorrectCfrag, 40, 4),
			OffenceError::OffenderQueueFull,
		);
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 49, 4)));
		refused(offence(URSULA_A, OffenceKind::IncorrectCfrag, 50, 4), OffenceError::QueueFull);
		assert_eq!(NextSlashId::<Test>::get(), MAX_PER_PERIOD as u64);
		// It may be reported in the next period, still within the window.
		start_period(5);
		assert_ok!(Slashing::report(offence(URSULA_A, OffenceKind::IncorrectCfrag, 50, 4)));
	});
}

#[test]
fn governance_cannot_report_without_evidence() {
	// The slashing pallet's only call is the cancellation: no origin can take stake by
	// naming an offence, every offence comes from a pallet that checked its evidence.
	let calls = <crate::Call<Test> as frame_support::traits::GetCallName>::get_call_names();
	assert_eq!(calls, ["cancel_slash"]);
}
