//! The re-encryption protocol's messages between Alice, Bob and the Ursulas (SCALE, each starting
//! with [`WIRE_VERSION`]) and the byte strings that get signed. `docs/wire-formats.md` specifies
//! every message byte by byte.

use alloc::vec::Vec;
use codec::{Decode, Encode};

use super::{PolicyId, PolicyView, UmbralPublicKey};
use crate::{crypto::Sr25519Signature, staking::Period, AccountId};

/// The first byte of every SCALE message of the re-encryption protocol.
pub const WIRE_VERSION: u8 = 1;

/// The most capsules one re-encryption request may carry.
pub const MAX_CAPSULES_PER_REQUEST: u32 = 32;

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

/// A re-encryption request: the body, the lottery ticket that pays for it (if the policy's
/// payer pays by tickets), and Bob's one sr25519 signature of both.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ReencryptionRequest {
	/// What is asked.
	pub body: RequestBody,
	/// Bob's signature: of the ticket's payload when there is a ticket (the ticket names the
	/// body by [`ReencryptionRequest::body_hash`]), else of [`RequestBody::signing_payload`].
	pub signature: Sr25519Signature,
	/// The ticket paying for the request.
	pub ticket: Option<crate::lottery::Ticket<AccountId, crate::Balance>>,
}

impl ReencryptionRequest {
	/// The hash a ticket names its request by: `blake2_256` of the SCALE body.
	pub fn body_hash(&self) -> [u8; 32] {
		sp_crypto_hashing::blake2_256(&self.body.encode())
	}

	/// What Bob signed: the ticket's payload, or the body's.
	pub fn signed_payload(&self) -> Vec<u8> {
		match &self.ticket {
			Some(ticket) => ticket.signing_payload(),
			None => self.body.signing_payload(),
		}
	}

	/// Whether the body's Bob signed the request: the body's payload, or a ticket that names
	/// this very body.
	pub fn bob_signed(&self) -> bool {
		if self.ticket.as_ref().is_some_and(|t| t.request_hash != self.body_hash()) {
			return false;
		}
		let bob: &[u8; 32] = self.body.bob.as_ref();
		crate::crypto::sr25519_signed(bob, &self.signed_payload(), &self.signature)
	}
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
	/// The request carries no ticket, and this policy is paid by tickets (its owner
	/// authorized tickets for it, or the chain is in its fees-only stage).
	TicketRequired,
	/// The request's ticket cannot pay for it (`docs/lottery.md`).
	Ticket(crate::lottery::TicketError),
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
