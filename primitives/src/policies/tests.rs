//! The policies primitives against umbral-pre itself.

use super::*;
use umbral_pre::{DefaultSerialize, SecretKey, Signer};

#[test]
fn the_service_window_is_one_rule_for_status_fees_judgement_and_service() {
	let window = ServiceWindow { start: 10, end: 20, revoked_at: None };
	assert_eq!(window.status(9, false), PolicyStatus::Pending);
	assert_eq!(window.status(10, false), PolicyStatus::Active);
	assert_eq!(window.status(15, true), PolicyStatus::Expired);
	assert_eq!(window.status(20, false), PolicyStatus::Expired);
	assert!(!window.covers(9) && window.covers(10) && window.covers(19) && !window.covers(20));
	assert!(window.pays_for(19) && window.served_in(19));
	let revoked = ServiceWindow { revoked_at: Some(14), ..window };
	assert_eq!(revoked.status(12, false), PolicyStatus::Revoked(14));
	// The revocation period was still served (Bob may have been answered in it), later
	// ones not; no period of a revoked policy is paid any more (it was settled at once).
	assert!(revoked.served_in(14) && !revoked.served_in(15));
	assert!(!revoked.pays_for(11));
}

struct Grant {
	alice: SecretKey,
	signer: Signer,
	bob: SecretKey,
	kfrags: Vec<umbral_pre::VerifiedKeyFrag>,
}

fn key_bytes(key: &umbral_pre::PublicKey) -> UmbralPublicKey {
	key.to_compressed_bytes().as_ref().try_into().unwrap()
}

fn grant() -> Grant {
	let alice = SecretKey::random();
	let signer = Signer::new(SecretKey::random());
	let bob = SecretKey::random();
	let kfrags = umbral_pre::generate_kfrags(&alice, &bob.public_key(), &signer, 2, 3, true, true)
		.into_vec();
	Grant { alice, signer, bob, kfrags }
}

fn judge(g: &Grant, capsule: &[u8], cfrag: &[u8]) -> Result<CfragVerdict, EvidenceError> {
	judge_cfrag(
		capsule,
		cfrag,
		&key_bytes(&g.signer.verifying_key()),
		&key_bytes(&g.alice.public_key()),
		&key_bytes(&g.bob.public_key()),
	)
}

#[test]
fn reads_what_umbral_pre_writes() {
	let g = grant();
	let (capsule, _) = umbral_pre::encrypt(&g.alice.public_key(), b"secret").unwrap();
	let cfrag = umbral_pre::reencrypt(&capsule, g.kfrags[0].clone());
	let capsule_bytes = capsule.to_bytes().unwrap();
	let cfrag_bytes = cfrag.to_bytes().unwrap();
	assert_eq!(capsule_bytes.len(), 105);
	let read: umbral_pre::Capsule = crate::msgpack::from_slice(&capsule_bytes).unwrap();
	assert_eq!(read, capsule);
	let read: umbral_pre::CapsuleFrag = crate::msgpack::from_slice(&cfrag_bytes).unwrap();
	assert_eq!(read, cfrag.clone().unverify());
	assert_eq!(cfrag_bytes.len(), 381);
	assert_eq!(judge(&g, &capsule_bytes, &cfrag_bytes), Ok(CfragVerdict::Correct));
}

#[test]
fn a_fragment_for_another_capsule_fails_its_proof() {
	let g = grant();
	let (capsule, _) = umbral_pre::encrypt(&g.alice.public_key(), b"one").unwrap();
	let (other, _) = umbral_pre::encrypt(&g.alice.public_key(), b"two").unwrap();
	let cfrag = umbral_pre::reencrypt(&other, g.kfrags[1].clone()).to_bytes().unwrap();
	assert_eq!(
		judge(&g, &capsule.to_bytes().unwrap(), &cfrag),
		Ok(CfragVerdict::IncorrectReencryption)
	);
}

#[test]
fn a_fragment_for_another_bob_fails_its_key_fragment_signature() {
	let g = grant();
	let other = grant();
	let (capsule, _) = umbral_pre::encrypt(&g.alice.public_key(), b"one").unwrap();
	let cfrag = umbral_pre::reencrypt(&capsule, g.kfrags[0].clone()).to_bytes().unwrap();
	let verdict = judge_cfrag(
		&capsule.to_bytes().unwrap(),
		&cfrag,
		&key_bytes(&g.signer.verifying_key()),
		&key_bytes(&g.alice.public_key()),
		&key_bytes(&other.bob.public_key()),
	);
	assert_eq!(verdict, Ok(CfragVerdict::IncorrectKeyFragSignature));
}

#[test]
fn garbage_is_malformed_not_a_panic() {
	let g = grant();
	let (capsule, _) = umbral_pre::encrypt(&g.alice.public_key(), b"one").unwrap();
	let capsule = capsule.to_bytes().unwrap();
	let cfrag = umbral_pre::reencrypt(
		&umbral_pre::Capsule::clone(&crate::msgpack::from_slice(&capsule).unwrap()),
		g.kfrags[0].clone(),
	)
	.to_bytes()
	.unwrap();
	assert_eq!(judge(&g, &capsule[..50], &cfrag), Err(EvidenceError::MalformedCapsule));
	assert_eq!(judge(&g, &capsule, &cfrag[1..]), Err(EvidenceError::MalformedCfrag));
	let mut bent = capsule.to_vec();
	bent[10] ^= 1;
	assert_eq!(judge(&g, &bent, &cfrag), Err(EvidenceError::MalformedCapsule));
}
