//! The one check of a capsule fragment, which the runtime's adjudicator and Bob's client both
//! run, and the evidence it judges.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use super::{PolicyId, UmbralPublicKey};
use crate::{crypto::Sr25519Signature, staking::Period};

/// The evidence that an Ursula served a wrong capsule fragment.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct CfragEvidence<Capsule, Cfrag> {
	/// The policy it was served under.
	pub policy: PolicyId,
	/// The period the Ursula said it served it in.
	pub served_at: Period,
	/// The capsule Bob sent (umbral-pre bytes).
	pub capsule: Capsule,
	/// The fragment the Ursula answered with (umbral-pre bytes).
	pub cfrag: Cfrag,
	/// The Ursula's signature of [`cfrag_signing_payload`].
	pub signature: Sr25519Signature,
}

/// What a capsule fragment check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfragVerdict {
	/// The fragment is correct: nothing to punish.
	Correct,
	/// The fragment's re-encryption proof fails.
	IncorrectReencryption,
	/// The fragment does not carry Alice's signature of its key fragment for these keys.
	IncorrectKeyFragSignature,
}

/// Why evidence could not even be judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceError {
	/// The capsule is not umbral-pre bytes of a valid capsule.
	MalformedCapsule,
	/// The fragment is not umbral-pre bytes of a capsule fragment.
	MalformedCfrag,
	/// One of the policy's keys is not a valid point (cannot happen for stored policies).
	MalformedKey,
}

/// Whether `capsule` is an umbral-pre capsule that verifies itself (msgpack bytes): only such a
/// capsule can be re-encrypted, so only a request of such capsules can be held against an
/// Ursula that did not answer it.
pub fn capsule_is_valid(capsule: &[u8]) -> bool {
	crate::msgpack::from_slice::<umbral_pre::Capsule>(capsule).is_ok()
}

/// Checks a capsule fragment against its capsule and the policy's three keys (Alice's verifying
/// key, the policy key and Bob's key) with umbral-pre. The one check that the runtime's
/// adjudicator and Bob's client both run.
pub fn judge_cfrag(
	capsule: &[u8],
	cfrag: &[u8],
	verifying_key: &UmbralPublicKey,
	policy_key: &UmbralPublicKey,
	bob_key: &UmbralPublicKey,
) -> Result<CfragVerdict, EvidenceError> {
	use umbral_pre::{Capsule, CapsuleFrag, CapsuleFragVerificationError, PublicKey};
	let key = |bytes: &UmbralPublicKey| {
		PublicKey::try_from_compressed_bytes(bytes).map_err(|_| EvidenceError::MalformedKey)
	};
	let (verifying, delegating, receiving) = (key(verifying_key)?, key(policy_key)?, key(bob_key)?);
	let capsule: Capsule =
		crate::msgpack::from_slice(capsule).map_err(|_| EvidenceError::MalformedCapsule)?;
	let cfrag: CapsuleFrag =
		crate::msgpack::from_slice(cfrag).map_err(|_| EvidenceError::MalformedCfrag)?;
	Ok(match cfrag.verify(&capsule, &verifying, &delegating, &receiving) {
		Ok(_) => CfragVerdict::Correct,
		Err((CapsuleFragVerificationError::IncorrectReencryption, _)) => {
			CfragVerdict::IncorrectReencryption
		},
		Err((CapsuleFragVerificationError::IncorrectKeyFragSignature, _)) => {
			CfragVerdict::IncorrectKeyFragSignature
		},
	})
}
