//! Silent gateways: a gateway of round `r` that does not mediate Bob's complaint is proven silent
//! by the gateways of round `r - 1`, and answers for it like any silent Ursula; it clears itself
//! on chain with the fragments, or by passing the case on to the one it mediated for. Every
//! forged, misaddressed or unworked complaint is refused with its error.

use super::*;
use crate::{CaseStatus, Cases, CasesClaimed, Closing, Records, Rounds};
use keymarket_primitives::{
	gateway::ClaimKind,
	slashing::{OffenceError, OffenceKind},
};
use sp_core::Pair as _;

/// The scene: the accused Ursula of the policy (silent to Bob), a gateway of round 2 that Bob
/// complained to (`silent`, neither the accused nor needed below), Bob's complaint to it, and
/// the threshold of round 1's gateways other than `silent`.
struct Scene {
	umbral: Umbral,
	accused: AccountId,
	silent: AccountId,
	request: Vec<u8>,
	complaint: Vec<u8>,
	signers: Vec<u32>,
}

fn scene() -> Scene {
	let umbral = setup();
	let accused = accused();
	let silent = Rounds::<Test>::get(2)
		.unwrap()
		.gateways
		.iter()
		.map(|g| g.worker.clone())
		.find(|g| g != &accused)
		.expect("a gateway other than the accused");
	let request = request(&accused, vec![umbral.capsule.clone()], 1);
	let complaint = complaint(2, &silent, ClaimKind::Serve, request.clone());
	let signers: Vec<u32> = gateways_of(1, &silent).into_iter().take(THRESHOLD as usize).collect();
	assert_eq!(signers.len() as u32, THRESHOLD, "round 1 has enough other gateways");
	Scene { umbral, accused, silent, request, complaint, signers }
}

fn prove_silent(
	scene: &Scene,
) -> sp_runtime::DispatchResultWithInfo<frame_support::dispatch::PostDispatchInfo> {
	let (claim, set, signatures) = mediation_proof(&scene.silent, &scene.complaint, &scene.signers);
	submit(claim, &scene.complaint, set, signatures)
}

/// The workers of round 1 at `indices`.
fn workers_of_round_1(indices: &[u32]) -> Vec<AccountId> {
	let round = Rounds::<Test>::get(1).unwrap();
	indices.iter().map(|i| round.gateways[*i as usize].worker.clone()).collect()
}

#[test]
fn a_silent_gateway_is_proven_by_the_round_before_and_punished_for_its_round() {
	run(|| {
		let scene = scene();
		assert_ok!(prove_silent(&scene));
		let case = Cases::<Test>::get(2, &scene.silent).expect("a case for the gateway's round");
		assert_eq!((case.kind, case.signed_in), (ClaimKind::Mediate, 1));
		assert_eq!(case.request.to_vec(), scene.complaint);
		assert_eq!(CasesClaimed::<Test>::get(2), 1);
		assert!(gateway_events().contains(&Event::UnavailabilityProven {
			round: 2,
			ursula: scene.silent.clone(),
			kind: ClaimKind::Mediate,
			policy: POLICY,
			request_hash: sp_crypto_hashing::blake2_256(&scene.complaint),
			signers: THRESHOLD,
			closes_at: 2 + ANSWER_ROUNDS,
		}));
		// One case per Ursula and round.
		let (claim, set, signatures) =
			mediation_proof(&scene.silent, &scene.complaint, &scene.signers);
		assert_noop!(
			submit(claim, &scene.complaint, set, signatures),
			Error::<Test>::AlreadyAccused
		);

		go_to_round(2 + ANSWER_ROUNDS);
		let case = Cases::<Test>::get(2, &scene.silent).unwrap();
		assert!(matches!(case.status, CaseStatus::Punished { .. }), "{:?}", case.status);
		let reported = network(|n| n.reported.clone());
		assert_eq!(reported.len(), 1);
		assert_eq!(reported[0].offender, scene.silent);
		assert!(matches!(reported[0].kind, OffenceKind::Unavailability { round: 2, .. }));
		assert_eq!(reported[0].reporters, workers_of_round_1(&scene.signers));
		// The round's inflation share is withheld from its staker, its fees refunded.
		let share = PERIOD_REWARD / ROUNDS_PER_PERIOD as u128;
		assert_eq!(network(|n| n.withheld.clone()), vec![(staker_of(&scene.silent), share)]);
		assert_eq!(Records::<Test>::get(&scene.silent).punished, 1);
	});
}

#[test]
fn every_bad_silent_gateway_proof_is_refused_with_its_error() {
	run(|| {
		let scene = scene();
		let refused = |claim_of: &dyn Fn() -> (
			crate::UnavailabilityClaim<AccountId>,
			SignerSet,
			Vec<[u8; 64]>,
		),
		               message: &[u8],
		               error: Error<Test>| {
			let (claim, set, signatures) = claim_of();
			assert_noop!(submit(claim, message, set, signatures), error);
		};
		let mediated = |message: &[u8]| {
			let message = message.to_vec();
			let silent = scene.silent.clone();
			let signers = scene.signers.clone();
			move || mediation_proof(&silent, &message, &signers)
		};

		// Addressed to another gateway than the accused.
		let other = Rounds::<Test>::get(2)
			.unwrap()
			.gateways
			.iter()
			.map(|g| g.worker.clone())
			.find(|g| g != &scene.silent && g != &scene.accused)
			.unwrap();
		let elsewhere = complaint(2, &other, ClaimKind::Serve, scene.request.clone());
		refused(&mediated(&elsewhere), &elsewhere, Error::<Test>::ComplaintMismatch);
		// Of another round than the accused gateway's.
		let early = complaint(1, &scene.silent, ClaimKind::Serve, scene.request.clone());
		refused(&mediated(&early), &early, Error::<Test>::ComplaintMismatch);
		// About the gateway itself.
		let own = request(&scene.silent, vec![scene.umbral.capsule.clone()], 2);
		let about_itself = complaint(2, &scene.silent, ClaimKind::Serve, own);
		if network(|n| n.policies[&POLICY].0.contains(&scene.silent)) {
			refused(&mediated(&about_itself), &about_itself, Error::<Test>::ComplaintMismatch);
		}
		// Not Bob's complaint.
		let mut forged: keymarket_primitives::gateway::Complaint<AccountId> =
			codec::Decode::decode(&mut &scene.complaint[..]).unwrap();
		forged.signature = pair("Mallory").sign(&forged.body.signing_payload()).0;
		let forged = codec::Encode::encode(&forged);
		refused(&mediated(&forged), &forged, Error::<Test>::BadBobSignature);
		// Bob's, but without the work.
		let mut lazy: keymarket_primitives::gateway::Complaint<AccountId> =
			codec::Decode::decode(&mut &scene.complaint[..]).unwrap();
		lazy.body.work = (0..)
			.find(|w| {
				let body =
					keymarket_primitives::gateway::ComplaintBody { work: *w, ..lazy.body.clone() };
				!keymarket_primitives::gateway::work_is_enough(
					&body.work_hash(),
					crate::config_preludes::DIFFICULTY,
				)
			})
			.unwrap();
		lazy.signature = pair("Bob").sign(&lazy.body.signing_payload()).0;
		let lazy = codec::Encode::encode(&lazy);
		refused(&mediated(&lazy), &lazy, Error::<Test>::NotEnoughWork);
		// A request nobody could answer: its capsule does not verify itself.
		let mut garbage = scene.umbral.capsule.clone();
		let last = garbage.len() - 1;
		garbage[last] ^= 1;
		let unanswerable = complaint(
			2,
			&scene.silent,
			ClaimKind::Serve,
			request(&scene.accused, vec![garbage], 3),
		);
		refused(&mediated(&unanswerable), &unanswerable, Error::<Test>::InvalidCapsule);
		// The complaint given as a request, and a request given as a complaint.
		refused(
			&|| {
				let (claim, _, _) =
					mediation_proof(&scene.silent, &scene.complaint, &scene.signers);
				let claim = crate::UnavailabilityClaim { kind: ClaimKind::Serve, ..claim };
				sign_claim(claim, &scene.signers)
			},
			&scene.complaint,
			Error::<Test>::MalformedRequest,
		);
		refused(&mediated(&scene.request), &scene.request, Error::<Test>::MalformedRequest);
		// Signed by the accused gateway's own round instead of the round before: what they
		// signed is not the claim.
		refused(
			&|| {
				let (claim, _, _) =
					mediation_proof(&scene.silent, &scene.complaint, &scene.signers);
				let (_, set, signatures) = sign_claim(
					crate::UnavailabilityClaim { round: 2, ..claim.clone() },
					&scene.signers,
				);
				(claim, set, signatures)
			},
			&scene.complaint,
			Error::<Test>::BadGatewaySignature,
		);
		// A gateway of the current round cannot be proven silent for a round to come.
		refused(
			&|| {
				let (claim, _, _) =
					mediation_proof(&scene.silent, &scene.complaint, &scene.signers);
				let signers = other_gateways(&scene.silent);
				sign_claim(crate::UnavailabilityClaim { round: 2, ..claim }, &signers)
			},
			&scene.complaint,
			Error::<Test>::ProofWindowClosed,
		);
		assert!(Cases::<Test>::get(2, &scene.silent).is_none());
	});
}

#[test]
fn a_gateway_that_got_the_fragments_answers_with_them() {
	run(|| {
		let scene = scene();
		assert_ok!(prove_silent(&scene));
		// A wrong fragment is refused; the right one clears the gateway.
		assert_noop!(
			Gateway::answer_case(
				RuntimeOrigin::signed(scene.silent.clone()),
				2,
				answer(&[&scene.umbral.wrong_cfrag])
			),
			Error::<Test>::IncorrectAnswer
		);
		assert_ok!(Gateway::answer_case(
			RuntimeOrigin::signed(scene.silent.clone()),
			2,
			answer(&[&scene.umbral.cfrag])
		));
		assert_eq!(Cases::<Test>::get(2, &scene.silent).unwrap().status, CaseStatus::Answered);
		// The gateways of round 1 that signed are reported for their false accusation.
		let reported = network(|n| n.reported.clone());
		assert_eq!(
			reported.iter().map(|o| o.offender.clone()).collect::<Vec<_>>(),
			workers_of_round_1(&scene.signers)
		);
		assert!(reported.iter().all(|o| o.kind == OffenceKind::FalseAccusation { round: 1 }));
		go_to_round(2 + ANSWER_ROUNDS + 1);
		assert!(network(|n| n.reported.iter().all(|o| o.offender != scene.silent)));
	});
}

#[test]
fn a_gateway_passes_its_case_to_the_silent_ursula_which_answers_for_it() {
	run(|| {
		let scene = scene();
		assert_ok!(prove_silent(&scene));
		advance(BLOCKS_PER_ROUND as u64);
		assert_ok!(Gateway::pass_case(RuntimeOrigin::signed(scene.silent.clone()), 2));
		assert_eq!(Cases::<Test>::get(2, &scene.silent).unwrap().status, CaseStatus::Passed);
		let passed = Cases::<Test>::get(2, &scene.accused).expect("a case against the Ursula");
		let index = Rounds::<Test>::get(2)
			.unwrap()
			.gateways
			.iter()
			.position(|g| g.worker == scene.silent)
			.unwrap() as u32;
		assert_eq!((passed.kind, passed.signed_in), (ClaimKind::Serve, 2));
		assert_eq!(passed.signers, SignerSet::of(&[index]));
		assert_eq!(passed.request.to_vec(), scene.request);
		// A whole answer window from the pass.
		assert_eq!(passed.closes_at, 3 + ANSWER_ROUNDS);
		assert!(Closing::<Test>::get(2 + ANSWER_ROUNDS).is_empty());
		assert!(gateway_events().contains(&Event::CasePassed {
			round: 2,
			gateway: scene.silent.clone(),
			to: scene.accused.clone(),
			opened: true,
			opened_in: 3,
		}));
		// Passed once: a case passed or answered is closed.
		assert_noop!(
			Gateway::pass_case(RuntimeOrigin::signed(scene.silent.clone()), 2),
			Error::<Test>::CaseClosed
		);

		// The Ursula did not answer the gateway, but answers on chain: the gateway that passed
		// the case on is reported for a false accusation, the round 1 gateways are not.
		assert_ok!(Gateway::answer_case(
			RuntimeOrigin::signed(scene.accused.clone()),
			2,
			answer(&[&scene.umbral.cfrag])
		));
		let reported = network(|n| n.reported.clone());
		assert_eq!(reported.len(), 1);
		assert_eq!(reported[0].offender, scene.silent);
		assert_eq!(reported[0].kind, OffenceKind::FalseAccusation { round: 2 });
		go_to_round(3 + ANSWER_ROUNDS + 1);
		assert_eq!(network(|n| n.reported.len()), 1, "nobody else is punished");
	});
}

#[test]
fn a_passed_case_left_unanswered_punishes_the_ursula_on_the_gateways_word() {
	run(|| {
		let scene = scene();
		assert_ok!(prove_silent(&scene));
		assert_ok!(Gateway::pass_case(RuntimeOrigin::signed(scene.silent.clone()), 2));
		go_to_round(2 + ANSWER_ROUNDS);
		let case = Cases::<Test>::get(2, &scene.accused).unwrap();
		assert!(matches!(case.status, CaseStatus::Punished { .. }), "{:?}", case.status);
		let reported = network(|n| n.reported.clone());
		assert_eq!(reported.len(), 1);
		assert_eq!(reported[0].offender, scene.accused);
		assert_eq!(reported[0].reporters, vec![scene.silent.clone()]);
	});
}

#[test]
fn a_pass_to_an_ursula_already_accused_for_the_round_opens_nothing_more() {
	run(|| {
		let scene = scene();
		assert_ok!(prove(
			&scene.accused,
			&request(&scene.accused, vec![scene.umbral.capsule.clone()], 5),
			&signers_against(&scene.accused)
		));
		assert_ok!(prove_silent(&scene));
		assert_ok!(Gateway::pass_case(RuntimeOrigin::signed(scene.silent.clone()), 2));
		assert!(gateway_events().contains(&Event::CasePassed {
			round: 2,
			gateway: scene.silent.clone(),
			to: scene.accused.clone(),
			opened: false,
			opened_in: 2,
		}));
		assert_eq!(Records::<Test>::get(&scene.accused).accused, 1);
		assert_eq!(CasesClaimed::<Test>::get(2), 2);
	});
}

#[test]
fn only_an_open_silent_gateway_case_of_its_own_is_passed() {
	run(|| {
		let scene = scene();
		assert_noop!(
			Gateway::pass_case(RuntimeOrigin::signed(scene.silent.clone()), 2),
			Error::<Test>::NoSuchCase
		);
		assert_ok!(prove(&scene.accused, &scene.request, &signers_against(&scene.accused)));
		assert_noop!(
			Gateway::pass_case(RuntimeOrigin::signed(scene.accused.clone()), 2),
			Error::<Test>::NotPassable
		);
		assert_ok!(prove_silent(&scene));
		assert_noop!(
			Gateway::pass_case(RuntimeOrigin::signed(account("Mallory")), 2),
			Error::<Test>::NoSuchCase
		);
	});
}

#[test]
fn a_pass_is_a_free_duty_until_it_is_made_and_a_failing_one_is_refused_in_the_pool() {
	use crate::duty::{validity_code, DUTY_PRIORITY};
	use frame_support::pallet_prelude::InvalidTransaction;
	run(|| {
		let scene = scene();
		// The Ursula's own case (of serving) cannot be passed: its free pass never reaches a
		// block.
		assert_ok!(prove(&scene.accused, &scene.request, &signers_against(&scene.accused)));
		let pass = crate::Call::pass_case { round: 2 };
		assert_eq!(
			super::duty_tests::validate(&scene.accused, pass.clone()),
			Err(validity_code(Error::<Test>::NotPassable).into())
		);
		assert_eq!(validity_code(Error::<Test>::NotPassable), InvalidTransaction::Custom(26));
		// The silent gateway's pass is its duty while its case is open, and refused once made.
		assert_ok!(prove_silent(&scene));
		let valid = super::duty_tests::validate(&scene.silent, pass.clone()).expect("a due pass");
		assert_eq!(valid.priority, DUTY_PRIORITY);
		assert_ok!(Gateway::pass_case(RuntimeOrigin::signed(scene.silent.clone()), 2));
		assert_eq!(
			super::duty_tests::validate(&scene.silent, pass),
			Err(validity_code(Error::<Test>::CaseClosed).into())
		);
	});
}

#[test]
fn a_refused_punishment_of_a_silent_gateway_leaves_its_pay_alone() {
	run(|| {
		let scene = scene();
		assert_ok!(prove_silent(&scene));
		network(|n| n.refuse_reports = Some(OffenceError::QueueFull));
		go_to_round(2 + ANSWER_ROUNDS);
		assert_eq!(Cases::<Test>::get(2, &scene.silent).unwrap().status, CaseStatus::Unpunished);
		assert!(network(|n| n.withheld.is_empty() && n.refunds.is_empty()));
	});
}
