//! Access policies: what the policies pallet, the Ursula service and the clients agree on.
//!
//! - On chain: the policy as integrators see it ([`PolicyView`]), the runtime API, and the two
//!   traits through which the policies pallet reads the staking pallet ([`UrsulaRegistry`]) and
//!   hears of commitments ([`OnCommitment`]).
//! - Off chain: the messages between Alice, Bob and the Ursulas (SCALE, each starting with
//!   [`WIRE_VERSION`]), the byte strings that get signed, and the one check of a capsule fragment
//!   that the adjudicator in the runtime and Bob's client both run ([`judge_cfrag`]).
//!
//! Capsules, key fragments and capsule fragments travel as umbral-pre's own bytes (MessagePack),
//! so umbral-pre's Python and JavaScript packages can talk to Keymarket's Ursulas.
//! `docs/wire-formats.md` specifies every message byte by byte.

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Weight;

use crate::{
	staking::{Period, Stage},
	AccountId,
};

/// A policy's id: 16 bytes that Alice picks (at random), so she knows it before she submits.
pub type PolicyId = [u8; 16];

/// An Umbral public key: a compressed secp256k1 point.
pub type UmbralPublicKey = [u8; 33];

/// An sr25519 signature.
pub type Sr25519Signature = [u8; 64];

/// The keystore key type of an Ursula's Umbral key: a secp256k1 secret kept as an ecdsa key.
/// Insert it with `keymarket-node key insert --key-type umbr --scheme ecdsa`, or let the node
/// make one.
pub const UMBRAL_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"umbr");

/// The first byte of every SCALE message of the re-encryption protocol.
pub const WIRE_VERSION: u8 = 1;

/// The most capsules one re-encryption request may carry.
pub const MAX_CAPSULES_PER_REQUEST: u32 = 32;

/// The longest capsule accepted, in umbral-pre bytes (a capsule takes 105).
pub const MAX_CAPSULE_LEN: u32 = 256;

/// The longest capsule fragment accepted, in umbral-pre bytes (a fragment takes 381).
pub const MAX_CFRAG_LEN: u32 = 1024;

/// Where a policy is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize))]
#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
pub enum PolicyStatus {
	/// Created; service starts at its start period.
	Pending,
	/// In its service periods.
	Active,
	/// Alice revoked it in the given period.
	Revoked(Period),
	/// Its end period has come.
	Expired,
}

/// A policy as integrators see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound = "AccountId: serde::Serialize, Balance: core::fmt::Display"
	)
)]
pub struct PolicyView<AccountId, Balance> {
	/// The policy's id.
	#[cfg_attr(feature = "std", serde(with = "crate::staking::serde_helpers::hex"))]
	pub id: PolicyId,
	/// Alice: who created it, pays for it and may revoke it.
	pub owner: AccountId,
	/// Bob's account: the key that signs his re-encryption requests.
	pub bob: AccountId,
	/// Bob's Umbral public key: capsule fragments are made for it.
	#[cfg_attr(feature = "std", serde(with = "crate::staking::serde_helpers::hex"))]
	pub bob_key: UmbralPublicKey,
	/// Alice's Umbral verifying key: it signed the key fragments.
	#[cfg_attr(feature = "std", serde(with = "crate::staking::serde_helpers::hex"))]
	pub verifying_key: UmbralPublicKey,
	/// The policy's Umbral public key (Alice's delegating key): Enrico encrypts under it.
	#[cfg_attr(feature = "std", serde(with = "crate::staking::serde_helpers::hex"))]
	pub policy_key: UmbralPublicKey,
	/// How many capsule fragments Bob needs (M of N).
	pub threshold: u8,
	/// The N Ursulas (worker accounts), in key-fragment order.
	pub ursulas: Vec<AccountId>,
	/// The sr25519 key each of them had registered when the policy was made, in the same
	/// order: the key that signs their capsule fragments for this policy, by which Bob's
	/// client and the adjudicator judge them.
	#[cfg_attr(feature = "std", serde(with = "crate::staking::serde_helpers::hex_list"))]
	pub signing_keys: Vec<[u8; 32]>,
	/// The first period of service.
	pub start: Period,
	/// The first period after service.
	pub end: Period,
	/// The fee per Ursula per period.
	#[cfg_attr(feature = "std", serde(with = "crate::staking::serde_helpers::decimal"))]
	pub rate: Balance,
	/// What is still held in escrow for it.
	#[cfg_attr(feature = "std", serde(with = "crate::staking::serde_helpers::decimal"))]
	pub escrow: Balance,
	/// What has been paid to Ursulas so far.
	#[cfg_attr(feature = "std", serde(with = "crate::staking::serde_helpers::decimal"))]
	pub paid: Balance,
	/// Where it is in its life, as of the current period.
	pub status: PolicyStatus,
}

sp_api::decl_runtime_apis! {
	/// Policies and escrow for integrators, clients and the Ursula service.
	pub trait PoliciesApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// A policy (until it is cleaned up after its end).
		fn policy(id: PolicyId) -> Option<PolicyView<AccountId, Balance>>;
		/// The ids of the policies `owner` created.
		fn policies_of_owner(owner: AccountId) -> Vec<PolicyId>;
		/// The ids of the policies granted to `bob`.
		fn policies_of_bob(bob: AccountId) -> Vec<PolicyId>;
		/// The ids of the policies `worker` serves.
		fn policies_of_ursula(worker: AccountId) -> Vec<PolicyId>;
		/// `worker`'s key fragment of a policy, encrypted to its Umbral key (SCALE
		/// [`EncryptedKeyFrag`]); gone once the policy is revoked.
		fn encrypted_kfrag(id: PolicyId, worker: AccountId) -> Option<Vec<u8>>;
		/// What `owner` holds in escrow for all its policies.
		fn escrow_of(owner: AccountId) -> Balance;
		/// Fees `staker` earned and has not withdrawn.
		fn earned_fees(staker: AccountId) -> Balance;
	}
}

/// The public keys a staker's worker registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegisteredKeys {
	/// Umbral public key: key fragments are encrypted to it.
	pub umbral_key: UmbralPublicKey,
	/// sr25519 key that signs capsule fragments.
	pub signing_key: [u8; 32],
}

/// What the policies pallet needs to know about Ursulas (the staking pallet implements it).
pub trait UrsulaRegistry<AccountId> {
	/// The current period.
	fn current_period() -> Period;
	/// The network stage.
	fn stage() -> Stage;
	/// Whether `worker` committed to serve in `period` (is in its active set).
	fn committed_to(worker: &AccountId, period: Period) -> bool;
	/// The staker `worker` serves (or served within the evidence window).
	fn staker_of(worker: &AccountId) -> Option<AccountId>;
	/// The keys `worker` registered, if it did.
	fn keys(worker: &AccountId) -> Option<RegisteredKeys>;
}

/// Told of each commitment a worker makes (the staking pallet calls it).
pub trait OnCommitment<AccountId> {
	/// `worker` committed to serve in `period`. Returns the weight used.
	fn on_commitment(worker: &AccountId, period: Period) -> Weight;
	/// The most [`OnCommitment::on_commitment`] may weigh.
	fn max_weight() -> Weight;
}

impl<AccountId> OnCommitment<AccountId> for () {
	fn on_commitment(_: &AccountId, _: Period) -> Weight {
		Default::default()
	}
	fn max_weight() -> Weight {
		Default::default()
	}
}

/// A key fragment on its way to one Ursula: a SCALE [`BoundKeyFrag`] (the key fragment and its
/// policy), encrypted with Umbral to the Ursula's public key. Only that Ursula can open it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct EncryptedKeyFrag {
	/// [`WIRE_VERSION`].
	pub version: u8,
	/// umbral-pre capsule of the encryption.
	pub capsule: Vec<u8>,
	/// umbral-pre ciphertext of the key fragment's bytes.
	pub ciphertext: Vec<u8>,
}

/// What an encrypted key fragment holds: umbral-pre's key fragment bytes sealed together with
/// the policy they were made for. An Ursula uses the fragment only for the policy that matches
/// every field, so the fragments and keys that a policy put on chain in public cannot be
/// submitted again in another policy (another owner, a revoked Bob, a later end) and served:
/// nobody but Alice knows the fragment, so nobody but Alice can seal it to another binding.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct BoundKeyFrag {
	/// [`WIRE_VERSION`].
	pub version: u8,
	/// The policy's id.
	pub policy: PolicyId,
	/// Alice: the policy's owner.
	pub owner: AccountId,
	/// Bob's account.
	pub bob: AccountId,
	/// Bob's Umbral key.
	pub bob_key: UmbralPublicKey,
	/// The policy's end period.
	pub end: Period,
	/// umbral-pre key fragment bytes.
	pub kfrag: Vec<u8>,
}

impl BoundKeyFrag {
	/// Whether this fragment was sealed for the policy `view` shows.
	pub fn binds<Balance>(&self, view: &PolicyView<AccountId, Balance>) -> bool {
		self.version == WIRE_VERSION
			&& self.policy == view.id
			&& self.owner == view.owner
			&& self.bob == view.bob
			&& self.bob_key == view.bob_key
			&& self.end == view.end
	}
}

/// What Bob signs to ask an Ursula for capsule fragments.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct RequestBody {
	/// [`WIRE_VERSION`].
	pub version: u8,
	/// The policy.
	pub policy: PolicyId,
	/// The Ursula (worker account) asked: a request is good for that Ursula only.
	pub ursula: AccountId,
	/// Bob's account, as the policy names it.
	pub bob: AccountId,
	/// Not used before with this Ursula for this policy, and within the Ursula's replay window
	/// (1,024) of the highest used (docs/wire-formats.md).
	pub sequence: u64,
	/// umbral-pre capsules, at most [`MAX_CAPSULES_PER_REQUEST`].
	pub capsules: Vec<Vec<u8>>,
}

impl RequestBody {
	/// The bytes Bob signs: a context string, then the SCALE body.
	pub fn signing_payload(&self) -> Vec<u8> {
		let mut payload = b"keymarket/request/v1".to_vec();
		self.encode_to(&mut payload);
		payload
	}
}

/// A re-encryption request: the body and Bob's sr25519 signature of its payload.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ReencryptionRequest {
	/// What is asked.
	pub body: RequestBody,
	/// Bob's signature of [`RequestBody::signing_payload`].
	pub signature: Sr25519Signature,
}

/// One capsule fragment and the Ursula's signature that makes it evidence.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SignedCfrag {
	/// umbral-pre capsule fragment bytes.
	pub cfrag: Vec<u8>,
	/// The Ursula's sr25519 signature of [`cfrag_signing_payload`].
	pub signature: Sr25519Signature,
}

/// An Ursula's answer: one signed capsule fragment per capsule, in request order.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ReencryptionResponse {
	/// [`WIRE_VERSION`].
	pub version: u8,
	/// The policy.
	pub policy: PolicyId,
	/// The answering Ursula (worker account).
	pub ursula: AccountId,
	/// The period in which it was served (part of every fragment's signature).
	pub served_at: Period,
	/// The fragments.
	pub cfrags: Vec<SignedCfrag>,
}

/// One entry of an Ursula's log of served requests: the signed request (Bob's evidence that he
/// asked) and the signed fragments (the Ursula's answer). Later proofs of service are built from
/// these.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ServedRecord {
	/// [`WIRE_VERSION`].
	pub version: u8,
	/// The request as Bob signed it.
	pub request: ReencryptionRequest,
	/// The period it was served in.
	pub served_at: Period,
	/// The answer.
	pub cfrags: Vec<SignedCfrag>,
}

/// Why an Ursula refused a request (SCALE, after [`WIRE_VERSION`], with an HTTP error status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum RequestError {
	/// The body is not a SCALE request, or is larger than the Ursula accepts.
	Malformed,
	/// The version byte is not one this Ursula speaks.
	UnsupportedVersion,
	/// No such policy on chain.
	UnknownPolicy,
	/// Alice revoked the policy.
	PolicyRevoked,
	/// The policy's end period has come.
	PolicyExpired,
	/// The policy's start period has not come yet.
	PolicyNotStarted,
	/// This Ursula does not serve that policy, or the request names another Ursula.
	NotAssigned,
	/// The requester is not the policy's Bob.
	NotGrantee,
	/// Bob's signature does not verify.
	BadSignature,
	/// The sequence number is not above the last one used.
	ReplayedSequence,
	/// Capsule number `.0` is not a valid umbral-pre capsule.
	MalformedCapsule(u32),
	/// No capsules, or more than [`MAX_CAPSULES_PER_REQUEST`].
	BadCapsuleCount,
	/// The client sent too much too fast; try later.
	RateLimited,
	/// The Ursula has no valid key fragment for the policy (yet).
	NoKeyFrag,
	/// The Ursula cannot reach its chain state right now.
	Unavailable,
}

/// The bytes an Ursula signs for each capsule fragment it serves: what makes the fragment
/// evidence against it. Binds the policy, the Ursula, the period, the capsule and the fragment.
pub fn cfrag_signing_payload(
	policy: &PolicyId,
	ursula: &impl Encode,
	served_at: Period,
	capsule: &[u8],
	cfrag: &[u8],
) -> Vec<u8> {
	let mut payload = b"keymarket/cfrag/v1".to_vec();
	(
		policy,
		ursula,
		served_at,
		sp_crypto_hashing::blake2_256(capsule),
		sp_crypto_hashing::blake2_256(cfrag),
	)
		.encode_to(&mut payload);
	payload
}

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

/// Whether `key` is a compressed secp256k1 point: what umbral-pre accepts as a public key.
pub fn is_umbral_public_key(key: &UmbralPublicKey) -> bool {
	umbral_pre::PublicKey::try_from_compressed_bytes(key).is_ok()
}

/// Whether `signature` is `signer`'s sr25519 signature of `payload`.
pub fn sr25519_signed(signer: &[u8; 32], payload: &[u8], signature: &Sr25519Signature) -> bool {
	use sp_runtime::traits::Verify;
	let signature = sp_core::sr25519::Signature::from_raw(*signature);
	signature.verify(payload, &sp_core::sr25519::Public::from_raw(*signer))
}

#[cfg(test)]
mod tests {
	use super::*;
	use umbral_pre::{DefaultSerialize, SecretKey, Signer};

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
		let kfrags =
			umbral_pre::generate_kfrags(&alice, &bob.public_key(), &signer, 2, 3, true, true)
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
}
