//! Proofs of unavailability: what opens a case, and every forged, replayed, late or flooding
//! proof refused with its error, changing nothing.

use super::*;
use crate::{CaseStatus, Cases, CasesClaimed, Closing, Records, Rounds};
use keymarket_primitives::gateway::claim_signing_payload;
use sp_core::Pair as _;

#[test]
fn t_gateway_signatures_open_one_case() {
	run(|| {
		let umbral = setup();
		let accused = accused();
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		let signers = signers_against(&accused);
		assert_ok!(prove(&accused, &request, &signers));
		let case = Cases::<Test>::get(2, &accused).expect("a case");
		assert_eq!(case.status, CaseStatus::Open);
		assert_eq!(case.signers, SignerSet::of(&signers));
		assert_eq!(case.closes_at, 2 + ANSWER_ROUNDS);
		assert_eq!(case.request.to_vec(), request);
		assert_eq!(Closing::<Test>::get(2 + ANSWER_ROUNDS).to_vec(), vec![(2, accused.clone())]);
		assert_eq!(CasesClaimed::<Test>::get(2), 1);
		assert_eq!(Records::<Test>::get(&accused).accused, 1);
		assert!(gateway_events().contains(&Event::UnavailabilityProven {
			round: 2,
			ursula: accused.clone(),
			kind: keymarket_primitives::gateway::ClaimKind::Serve,
			policy: POLICY,
			request_hash: sp_crypto_hashing::blake2_256(&request),
			signers: THRESHOLD,
			closes_at: 2 + ANSWER_ROUNDS,
		}));
	});
}

#[test]
fn a_proof_of_the_last_round_is_still_taken_and_later_ones_are_not() {
	run(|| {
		let umbral = setup();
		let accused = accused();
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		let (claim, set, signatures) = proof(&accused, &request, &signers_against(&accused));
		go_to_round(2 + PROOF_ROUNDS + 1);
		assert_noop!(
			submit(claim.clone(), &request, set, signatures.clone()),
			Error::<Test>::ProofWindowClosed
		);
		let future = crate::UnavailabilityClaim { round: 99, ..claim };
		assert_noop!(submit(future, &request, set, signatures), Error::<Test>::ProofWindowClosed);
	});
}

#[test]
fn forged_short_or_misnumbered_signatures_are_refused() {
	run(|| {
		let umbral = setup();
		let accused = accused();
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		let signers = signers_against(&accused);
		let (claim, set, mut signatures) = proof(&accused, &request, &signers);

		// One signature by the wrong key.
		let mut forged = signatures.clone();
		forged[1] = pair("Mallory").sign(&claim_signing_payload(&claim)).0;
		assert_noop!(
			submit(claim.clone(), &request, set, forged),
			Error::<Test>::BadGatewaySignature
		);

		// A signature of another claim (the same gateways, another request).
		let other = crate::UnavailabilityClaim { request_hash: [9; 32], ..claim.clone() };
		let replayed: Vec<[u8; 64]> = signers
			.iter()
			.map(|i| {
				let worker = &Rounds::<Test>::get(2).unwrap().gateways[*i as usize].worker;
				let u = (0..URSULAS).find(|u| &ursula(*u) == worker).unwrap();
				pair(&format!("u{u}")).sign(&claim_signing_payload(&other)).0
			})
			.collect();
		assert_noop!(
			submit(claim.clone(), &request, set, replayed),
			Error::<Test>::BadGatewaySignature
		);

		// Fewer than t signers.
		let (c, few, sigs) = proof(&accused, &request, &signers[..2]);
		assert_noop!(submit(c, &request, few, sigs), Error::<Test>::NotEnoughSigners);

		// One signature missing for the set.
		let last = signatures.pop().unwrap();
		assert_noop!(
			submit(claim.clone(), &request, set, signatures.clone()),
			Error::<Test>::SignatureCountMismatch
		);
		signatures.push(last);

		// A signer index past the round's gateways (the same signature repeated cannot fill it).
		let beyond = SignerSet::of(&[signers[0], signers[1], 40]);
		assert_noop!(
			submit(claim.clone(), &request, beyond, signatures.clone()),
			Error::<Test>::NotAGateway
		);
		assert!(Cases::<Test>::get(2, &accused).is_none());
	});
}

#[test]
fn the_accused_cannot_sign_against_itself_nor_be_proven_twice_in_a_round() {
	run(|| {
		let umbral = setup();
		// Every Ursula serves the policy; the round's first gateway is accused, and signs.
		network(|n| n.policies.get_mut(&POLICY).unwrap().0 = (0..URSULAS).map(ursula).collect());
		let (index, accused) = (0, Rounds::<Test>::get(2).unwrap().gateways[0].worker.clone());
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		let mut signers = vec![index];
		signers.extend(other_gateways(&accused).into_iter().take(2));
		assert_noop!(prove(&accused, &request, &signers), Error::<Test>::AccusedSigned);

		assert_ok!(prove(&accused, &request, &signers_against(&accused)));
		let again = super::mock::request(&accused, vec![umbral.capsule.clone()], 2);
		assert_noop!(
			prove(&accused, &again, &signers_against(&accused)),
			Error::<Test>::AlreadyAccused
		);
	});
}

#[test]
fn the_request_must_be_bobs_exact_request_to_the_accused_under_the_policy() {
	run(|| {
		let umbral = setup();
		let accused = accused();
		let signers = signers_against(&accused);
		let good = request(&accused, vec![umbral.capsule.clone()], 1);

		// Not the request the gateways signed for.
		let (claim, set, signatures) = proof(&accused, &good, &signers);
		let other = request(&accused, vec![umbral.capsule.clone()], 2);
		assert_noop!(submit(claim, &other, set, signatures), Error::<Test>::RequestHashMismatch);

		// Garbage.
		assert_noop!(prove(&accused, &[1, 2, 3], &signers), Error::<Test>::MalformedRequest);

		// A request to another Ursula of the policy.
		let elsewhere = request(&ursula(7), vec![umbral.capsule.clone()], 1);
		assert_noop!(prove(&accused, &elsewhere, &signers), Error::<Test>::RequestMismatch);

		// No capsule, or too many.
		let empty = request(&accused, vec![], 1);
		assert_noop!(prove(&accused, &empty, &signers), Error::<Test>::BadCapsuleCount);
		let many = request(&accused, vec![umbral.capsule.clone(); 5], 1);
		assert_noop!(prove(&accused, &many, &signers), Error::<Test>::BadCapsuleCount);

		// Bob's request with a forged signature.
		let mut forged: keymarket_primitives::policies::ReencryptionRequest =
			codec::Decode::decode(&mut &good[..]).unwrap();
		forged.signature = pair("Mallory").sign(&forged.body.signing_payload()).0;
		let forged = codec::Encode::encode(&forged);
		assert_noop!(prove(&accused, &forged, &signers), Error::<Test>::BadBobSignature);

		// Mallory's own, well-signed request: Mallory is not the policy's Bob.
		let mut mallory: keymarket_primitives::policies::ReencryptionRequest =
			codec::Decode::decode(&mut &good[..]).unwrap();
		mallory.body.bob = account("Mallory");
		mallory.signature = pair("Mallory").sign(&mallory.body.signing_payload()).0;
		let mallory = codec::Encode::encode(&mallory);
		assert_noop!(prove(&accused, &mallory, &signers), Error::<Test>::NotBobsRequest);
	});
}

#[test]
fn only_an_ursula_on_duty_for_the_policy_can_be_accused() {
	run(|| {
		let umbral = setup();
		// Ursula 7 does not serve the policy.
		let stranger = ursula(7);
		let request7 = request(&stranger, vec![umbral.capsule.clone()], 1);
		assert_noop!(
			prove(&stranger, &request7, &signers_against(&stranger)),
			Error::<Test>::NotPolicyUrsula
		);
		// An Ursula of the policy that did not commit to the period was not on duty.
		let accused = accused();
		network(|n| n.committed.remove(&(accused.clone(), 1)));
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		assert_noop!(
			prove(&accused, &request, &signers_against(&accused)),
			Error::<Test>::NotOnDuty
		);
		network(|n| n.committed.insert((accused.clone(), 1)));
		// A policy out of service in the period.
		network(|n| n.policies.get_mut(&POLICY).unwrap().1.window.end = 1);
		assert_noop!(
			prove(&accused, &request, &signers_against(&accused)),
			Error::<Test>::PolicyNotInService
		);
	});
}

#[test]
fn the_deadline_lies_in_the_round_and_has_passed() {
	run(|| {
		let umbral = setup();
		let accused = accused();
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		let signers = signers_against(&accused);
		for deadline in [9, 12, 50] {
			let (mut claim, set, _) = proof(&accused, &request, &signers);
			claim.deadline = deadline;
			// Signed by the gateways as given: only the deadline is wrong.
			let gateways = Rounds::<Test>::get(2).unwrap().gateways;
			let signatures = set
				.indices()
				.map(|i| {
					let u =
						(0..URSULAS).find(|u| ursula(*u) == gateways[i as usize].worker).unwrap();
					pair(&format!("u{u}")).sign(&claim_signing_payload(&claim)).0
				})
				.collect();
			assert_noop!(submit(claim, &request, set, signatures), Error::<Test>::BadDeadline);
		}
	});
}

#[test]
fn a_flood_of_proofs_stops_at_the_rounds_bound() {
	run(|| {
		let umbral = setup();
		// Give Ursulas 3..8 the policy too, so that more than MAX_CASES can be accused.
		network(|n| n.policies.get_mut(&POLICY).unwrap().0 = (0..URSULAS).map(ursula).collect());
		let gateways = Rounds::<Test>::get(2).unwrap().gateways;
		let accusable: Vec<AccountId> =
			(0..URSULAS).map(ursula).filter(|u| gateways.iter().all(|g| &g.worker != u)).collect();
		// Three non-gateways exist with five of eight drawn: MAX_CASES of them fill the round.
		assert!(accusable.len() as u32 >= MAX_CASES);
		let mut opened = 0;
		for (i, accused) in (0..URSULAS).map(ursula).enumerate() {
			let request = request(&accused, vec![umbral.capsule.clone()], i as u64);
			let signers = signers_against(&accused);
			if signers.len() < THRESHOLD as usize {
				continue;
			}
			if opened < MAX_CASES {
				assert_ok!(prove(&accused, &request, &signers));
				opened += 1;
			} else {
				assert_noop!(prove(&accused, &request, &signers), Error::<Test>::TooManyCases);
			}
		}
		assert_eq!(opened, MAX_CASES);
	});
}

#[test]
fn a_round_without_a_record_takes_no_proof() {
	run(|| {
		let umbral = setup();
		let accused = accused();
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		let (claim, set, signatures) = proof(&accused, &request, &signers_against(&accused));
		Rounds::<Test>::remove(2);
		assert_noop!(submit(claim, &request, set, signatures), Error::<Test>::UnknownRound);
	});
}
