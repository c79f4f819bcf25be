use frame_support::{assert_noop, assert_ok, dispatch::Pays, BoundedVec};
use keymarket_primitives::{
	policies::cfrag_signing_payload,
	slashing::{OffenceError, OffenceKind, ReportOffence},
};
use sp_core::Pair;
use umbral_pre::{DefaultSerialize, Signer};

use super::{mock::*, *};
use crate::{adjudicator::EvidenceOf, CfragEvidence, Error, Event};

/// What Bob holds after asking Ursula 11: a capsule and the fragment it answered with.
struct Served {
	capsule: Vec<u8>,
	cfrag: Vec<u8>,
}

/// Ursula 11 re-encrypts with its real key fragment: for `capsule_of` when honest, or for
/// another capsule while claiming it is for `capsule_of`.
fn served(honest: bool) -> Served {
	let alice = umbral_secret(4);
	let signer = Signer::new(umbral_secret(3));
	let bob = umbral_secret(2).public_key();
	let kfrags = umbral_pre::generate_kfrags(&alice, &bob, &signer, 2, 3, true, true);
	let (capsule, _) = umbral_pre::encrypt(&alice.public_key(), b"the plaintext").unwrap();
	let (other, _) = umbral_pre::encrypt(&alice.public_key(), b"something else").unwrap();
	let reencrypted = if honest { &capsule } else { &other };
	let cfrag = umbral_pre::reencrypt(reencrypted, kfrags[0].clone());
	Served { capsule: capsule.to_bytes().unwrap().into(), cfrag: cfrag.to_bytes().unwrap().into() }
}

fn evidence(served: &Served, worker: AccountId, served_at: u32) -> EvidenceOf {
	let payload =
		cfrag_signing_payload(&POLICY, &worker, served_at, &served.capsule, &served.cfrag);
	CfragEvidence {
		policy: POLICY,
		served_at,
		capsule: BoundedVec::truncate_from(served.capsule.clone()),
		cfrag: BoundedVec::truncate_from(served.cfrag.clone()),
		signature: signer(worker).sign(&payload).0,
	}
}

#[test]
fn bob_reports_a_wrong_capsule_fragment_and_the_offence_goes_to_slashing() {
	run(|| {
		alice_grants();
		let bad = served(false);
		let result = Policies::report_incorrect_cfrag(
			RuntimeOrigin::signed(BOB),
			11,
			evidence(&bad, 11, 10),
		);
		assert_eq!(result.unwrap().pays_fee, Pays::No);
		let reported = network(|n| n.reported.clone());
		assert_eq!(reported.len(), 1);
		assert_eq!(reported[0].offender, 11);
		assert_eq!(reported[0].kind, OffenceKind::IncorrectCfrag);
		assert_eq!(reported[0].period, 10);
		assert_eq!(reported[0].reporters, vec![BOB]);
		assert!(policy_events().contains(&Event::IncorrectCfragReported {
			policy: POLICY,
			worker: 11,
			reporter: BOB,
			slash: 0,
		}));
	});
}

#[test]
fn a_correct_fragment_is_not_an_offence() {
	run(|| {
		alice_grants();
		let good = served(true);
		assert_noop!(
			Policies::report_incorrect_cfrag(
				RuntimeOrigin::signed(BOB),
				11,
				evidence(&good, 11, 10)
			),
			Error::<Test>::CfragIsCorrect
		);
	});
}

#[test]
fn evidence_must_be_signed_by_an_ursula_of_the_policy() {
	run(|| {
		let bad = served(false);
		let report = |worker, evidence| {
			Policies::report_incorrect_cfrag(RuntimeOrigin::signed(BOB), worker, evidence)
		};
		assert_noop!(report(11, evidence(&bad, 11, 10)), Error::<Test>::UnknownPolicy);
		alice_grants();
		assert_noop!(report(14, evidence(&bad, 14, 10)), Error::<Test>::NotPolicyUrsula);
		// Signed by Ursula 12, blamed on Ursula 11.
		assert_noop!(report(11, evidence(&bad, 12, 10)), Error::<Test>::BadUrsulaSignature);
		// The signature covers the period.
		let mut moved = evidence(&bad, 11, 10);
		moved.served_at = 11;
		assert_noop!(report(11, moved), Error::<Test>::BadUrsulaSignature);
		// Dated before the policy, or after its revocation.
		assert_noop!(report(11, evidence(&bad, 11, 9)), Error::<Test>::ServedOutsidePolicy);
		network(|n| n.period = 12);
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY));
		assert_noop!(report(11, evidence(&bad, 11, 13)), Error::<Test>::ServedOutsidePolicy);
	});
}

#[test]
fn an_ursula_cannot_escape_by_changing_its_keys() {
	run(|| {
		alice_grants();
		let bad = served(false);
		// It registers another signing key and unregisters: the policy keeps the old one.
		network(|n| n.keys.remove(&11));
		assert_ok!(Policies::report_incorrect_cfrag(
			RuntimeOrigin::signed(BOB),
			11,
			evidence(&bad, 11, 10)
		));
	});
}

#[test]
fn a_signed_malformed_fragment_is_an_offence_but_a_malformed_capsule_proves_nothing() {
	run(|| {
		alice_grants();
		// An Ursula that answers with garbage signed what an honest Ursula never signs.
		let mut garbage = served(true);
		garbage.cfrag = vec![0xc4, 3, 1, 2, 3];
		assert_ok!(Policies::report_incorrect_cfrag(
			RuntimeOrigin::signed(BOB),
			11,
			evidence(&garbage, 11, 10)
		));
		assert_eq!(network(|n| n.reported.len()), 1);
		// A capsule the runtime cannot read is Bob's input, not the Ursula's fault: a valid
		// capsule with a byte appended (which a lax reader might take) frames nobody.
		for bent in [
			{
				let mut c = served(true);
				c.capsule.push(0);
				c
			},
			{
				let mut c = served(true);
				c.capsule.truncate(40);
				c
			},
			{
				// Points at infinity (SEC1's one-byte encoding): umbral-pre 0.11 panics reading
				// such a capsule (found by the `umbral_msgpack` fuzz target).
				let mut c = served(true);
				c.capsule = [&[0x93, 0xc4, 1, 0, 0xc4, 1, 0, 0xc4, 32][..], &[1; 32]].concat();
				c
			},
		] {
			assert_noop!(
				Policies::report_incorrect_cfrag(
					RuntimeOrigin::signed(BOB),
					11,
					evidence(&bent, 11, 10)
				),
				Error::<Test>::MalformedCapsule
			);
		}
	});
}

#[test]
fn the_evidence_binds_the_policy() {
	run(|| {
		alice_grants();
		let bad = served(false);
		assert_ok!(Policies::report_incorrect_cfrag(
			RuntimeOrigin::signed(BOB),
			11,
			evidence(&bad, 11, 10)
		));
		let expected = sp_crypto_hashing::blake2_256(&codec::Encode::encode(&(
			POLICY,
			sp_crypto_hashing::blake2_256(&bad.capsule),
			sp_crypto_hashing::blake2_256(&bad.cfrag),
		)));
		assert_eq!(network(|n| n.reported[0].evidence), expected);
		assert_ne!(expected, sp_crypto_hashing::blake2_256(&bad.cfrag));
	});
}

#[test]
fn slashing_refusals_come_back_as_precise_errors() {
	run(|| {
		alice_grants();
		let bad = served(false);
		// Each refusal comes back as the slashing pallet's own error, unrenamed.
		for refusal in [
			OffenceError::Duplicate,
			OffenceError::TooOld,
			OffenceError::InFuture,
			OffenceError::UnknownOffender,
			OffenceError::QueueFull,
			OffenceError::OffenderQueueFull,
			OffenceError::NothingToSlash,
		] {
			let error = <MockOffences as ReportOffence<_, _>>::refusal(refusal);
			network(|n| n.refuse_reports = Some(refusal));
			assert_noop!(
				Policies::report_incorrect_cfrag(
					RuntimeOrigin::signed(BOB),
					11,
					evidence(&bad, 11, 10)
				),
				error
			);
		}
		network(|n| n.refuse_reports = None);
		assert_ok!(Policies::report_incorrect_cfrag(
			RuntimeOrigin::signed(BOB),
			11,
			evidence(&bad, 11, 10)
		));
	});
}

#[test]
fn the_benchmark_fixture_is_a_wrong_fragment() {
	use crate::fixture::*;
	assert_eq!(
		keymarket_primitives::policies::judge_cfrag(
			&CAPSULE,
			&WRONG_CFRAG,
			&VERIFYING_KEY,
			&POLICY_KEY,
			&BOB_KEY
		),
		Ok(keymarket_primitives::policies::CfragVerdict::IncorrectReencryption)
	);
	assert_eq!(
		(POLICY_KEY, VERIFYING_KEY, BOB_KEY),
		(umbral_public(4), umbral_public(3), umbral_public(2))
	);
}
