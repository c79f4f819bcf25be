//! The accused's answer on chain, and the close of an unanswered case: no framing, and one
//! punishment per Ursula and round.

use super::*;
use crate::{CaseStatus, Cases, Closing, Records, Rounds};
use keymarket_primitives::slashing::{OffenceError, OffenceKind};

/// A case against a policy Ursula that is not a gateway of round 2, signed by every other
/// gateway: all of them collude. Returns the accused and the Umbral side.
fn open_case() -> (AccountId, Umbral) {
	let umbral = setup();
	let accused = accused();
	let request = request(&accused, vec![umbral.capsule.clone()], 1);
	assert_ok!(prove(&accused, &request, &other_gateways(&accused)));
	(accused, umbral)
}

#[test]
fn a_correct_answer_voids_the_case_and_reports_every_signing_gateway() {
	run(|| {
		let (accused, umbral) = open_case();
		let signers: Vec<AccountId> = {
			let round = Rounds::<Test>::get(2).unwrap();
			let case = Cases::<Test>::get(2, &accused).unwrap();
			case.signers.indices().map(|i| round.gateways[i as usize].worker.clone()).collect()
		};
		assert_ok!(Gateway::answer_case(
			RuntimeOrigin::signed(accused.clone()),
			2,
			answer(&[&umbral.cfrag])
		));
		let case = Cases::<Test>::get(2, &accused).unwrap();
		assert_eq!(case.status, CaseStatus::Answered);
		assert_eq!(case.answer[0].to_vec(), umbral.cfrag, "Bob reads his fragment on chain");
		assert!(Closing::<Test>::get(case.closes_at).is_empty());
		let reported = network(|n| n.reported.clone());
		assert_eq!(reported.len(), signers.len());
		for (offence, gateway) in reported.iter().zip(&signers) {
			assert_eq!(&offence.offender, gateway);
			assert_eq!(offence.kind, OffenceKind::FalseAccusation { round: 2 });
			assert_eq!(offence.reporters, vec![accused.clone()]);
		}
		assert_eq!(Records::<Test>::get(&accused).answered, 1);
		assert!(gateway_events().contains(&Event::CaseAnswered {
			round: 2,
			ursula: accused.clone(),
			reported: signers.len() as u32
		}));

		// Its closing round passes: nothing more happens to the Ursula.
		go_to_round(2 + ANSWER_ROUNDS + 1);
		assert!(network(|n| n.reported.iter().all(|o| o.offender != accused)));
		assert_eq!(Cases::<Test>::get(2, &accused).unwrap().status, CaseStatus::Answered);
	});
}

#[test]
fn a_wrong_short_or_foreign_answer_is_refused() {
	run(|| {
		let (accused, umbral) = open_case();
		let origin = RuntimeOrigin::signed(accused.clone());
		assert_noop!(
			Gateway::answer_case(origin.clone(), 2, answer(&[&umbral.wrong_cfrag])),
			Error::<Test>::IncorrectAnswer
		);
		assert_noop!(
			Gateway::answer_case(origin.clone(), 2, answer(&[b"not a fragment"])),
			Error::<Test>::IncorrectAnswer
		);
		assert_noop!(
			Gateway::answer_case(origin.clone(), 2, answer(&[&umbral.cfrag, &umbral.cfrag])),
			Error::<Test>::WrongAnswerCount
		);
		assert_noop!(
			Gateway::answer_case(origin.clone(), 1, answer(&[&umbral.cfrag])),
			Error::<Test>::NoSuchCase
		);
		// Someone else cannot answer for the accused.
		assert_noop!(
			Gateway::answer_case(RuntimeOrigin::signed(ursula(7)), 2, answer(&[&umbral.cfrag])),
			Error::<Test>::NoSuchCase
		);
		assert_ok!(Gateway::answer_case(origin.clone(), 2, answer(&[&umbral.cfrag])));
		assert_noop!(
			Gateway::answer_case(origin, 2, answer(&[&umbral.cfrag])),
			Error::<Test>::CaseClosed
		);
	});
}

#[test]
fn an_unanswered_case_punishes_the_round_once_and_pays_its_gateways() {
	run(|| {
		let (accused, _) = open_case();
		let case = Cases::<Test>::get(2, &accused).unwrap();
		let round = Rounds::<Test>::get(2).unwrap();
		let signers: Vec<AccountId> =
			case.signers.indices().map(|i| round.gateways[i as usize].worker.clone()).collect();

		// Still answerable the round before it closes.
		go_to_round(case.closes_at - 1);
		assert!(network(|n| n.reported.is_empty()));
		go_to_round(case.closes_at);

		// One policy's round fee and half the period's reward (two rounds per period).
		let penalty = ROUND_FEE + PERIOD_REWARD / ROUNDS_PER_PERIOD as u128;
		let reported = network(|n| n.reported.clone());
		assert_eq!(reported.len(), 1);
		assert_eq!(reported[0].offender, accused);
		assert_eq!(reported[0].kind, OffenceKind::Unavailability { round: 2, earnings: penalty });
		assert_eq!(reported[0].reporters, signers, "the signing gateways share the reward");
		assert_eq!(reported[0].period, 1);
		assert_eq!(network(|n| n.refunds.clone()), vec![(accused.clone(), 1)]);
		assert_eq!(
			Cases::<Test>::get(2, &accused).unwrap().status,
			CaseStatus::Punished { penalty, refunded: ROUND_FEE }
		);
		assert_eq!(Records::<Test>::get(&accused).punished, 1);
		assert!(gateway_events().contains(&Event::UrsulaPunished {
			round: 2,
			ursula: accused.clone(),
			penalty,
			refunded: ROUND_FEE,
			slash: 0
		}));

		// Too late to answer now; and the next rounds do not punish it again.
		assert_noop!(
			Gateway::answer_case(RuntimeOrigin::signed(accused.clone()), 2, answer(&[b"x"])),
			Error::<Test>::CaseClosed
		);
		go_to_round(case.closes_at + 3);
		assert_eq!(network(|n| n.reported.len()), 1);
	});
}

#[test]
fn a_refused_punishment_is_recorded_and_changes_no_money() {
	run(|| {
		let (accused, _) = open_case();
		network(|n| n.refuse_reports = Some(OffenceError::QueueFull));
		let closes_at = Cases::<Test>::get(2, &accused).unwrap().closes_at;
		go_to_round(closes_at);
		assert_eq!(Cases::<Test>::get(2, &accused).unwrap().status, CaseStatus::Unpunished);
		assert!(network(|n| n.refunds.is_empty()), "no refund without the penalty");
		assert!(gateway_events().contains(&Event::PunishmentRefused {
			round: 2,
			ursula: accused,
			reason: OffenceError::QueueFull
		}));
	});
}

#[test]
fn an_ursula_that_answers_is_never_punished_however_many_cases() {
	run(|| {
		let umbral = setup();
		let accused = ursula(0);
		let mut round = 2;
		let mut answered = 0;
		while answered < 4 {
			// Ursula 0 serves the policy; whenever it is no gateway, the others accuse it.
			let signers = signers_against(&accused);
			let is_gateway =
				Rounds::<Test>::get(round).unwrap().gateways.iter().any(|g| g.worker == accused);
			if !is_gateway && signers.len() >= THRESHOLD as usize {
				let request = request(&accused, vec![umbral.capsule.clone()], round as u64);
				assert_ok!(prove(&accused, &request, &signers));
				assert_ok!(Gateway::answer_case(
					RuntimeOrigin::signed(accused.clone()),
					round,
					answer(&[&umbral.cfrag])
				));
				answered += 1;
			}
			round += 1;
			let period = round / ROUNDS_PER_PERIOD + 1;
			for i in 0..URSULAS {
				if !network(|n| n.committed.contains(&(ursula(i), period))) {
					commit(&ursula(i), period, 100 * (i as u128 + 1));
				}
			}
			go_to_round(round);
			advance(2);
		}
		go_to_round(round + ANSWER_ROUNDS + 1);
		assert!(network(|n| n.reported.iter().all(|o| o.offender != accused)));
		assert_eq!(Records::<Test>::get(&accused).punished, 0);
		assert_eq!(Records::<Test>::get(&accused).answered, 4);
	});
}
