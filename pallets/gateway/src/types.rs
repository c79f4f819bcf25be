//! The gateway pallet's records.

use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use keymarket_primitives::{
	gateway::{ClaimKind, SignerSet, MAX_COMPLAINED_LEN, MAX_COMPLAINT_CAPSULES, MAX_GATEWAYS},
	policies::{PolicyId, MAX_CFRAG_LEN},
	time::Round,
};
use scale_info::TypeInfo;

/// The complained message as a proof carries it: Bob's SCALE `ReencryptionRequest`, or his SCALE
/// `Complaint` to a silent gateway (see [`ClaimKind`]).
pub type Request = BoundedVec<u8, ConstU32<MAX_COMPLAINED_LEN>>;

/// The gateways' signatures of a claim, in the order of their indices.
pub type Signatures =
	BoundedVec<keymarket_primitives::crypto::Sr25519Signature, ConstU32<MAX_GATEWAYS>>;

/// The accused's answer: one capsule fragment (umbral-pre bytes) per capsule of the request.
pub type Answer =
	BoundedVec<BoundedVec<u8, ConstU32<MAX_CFRAG_LEN>>, ConstU32<MAX_COMPLAINT_CAPSULES>>;

/// A candidate of a period's draws: its worker and where its stake starts on the period's
/// cumulative stake line (it ends where the next candidate's starts, or at the line's total).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct Candidate<AccountId> {
	pub worker: AccountId,
	pub start: u128,
}

/// A period's cumulative stake line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct Line {
	/// Candidates on it.
	pub count: u32,
	/// The stake of all of them: the line's end.
	pub total: u128,
}

/// A gateway of a round: its worker and the sr25519 key it signs claims with (its registered
/// signing key when it was drawn).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct Gateway<AccountId> {
	pub worker: AccountId,
	pub signing_key: [u8; 32],
}

/// A round's gateways, in draw order (a proof's signer index is a place in this list).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct RoundGateways<AccountId> {
	/// The hash the draw started from ([`keymarket_primitives::gateway::gateway_seed`]).
	pub seed: [u8; 32],
	pub gateways: BoundedVec<Gateway<AccountId>, ConstU32<MAX_GATEWAYS>>,
	/// The signatures a proof of this round needs (the governance value when it began).
	pub threshold: u32,
}

/// Where a case is.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub enum CaseStatus<Balance> {
	/// Waiting for the accused's answer until its closing round.
	Open,
	/// The accused answered correctly (its fragments are in the case): void.
	Answered,
	/// The accused gateway passed the case on to the one it mediated for (a case of its own,
	/// with this gateway as its accuser): void.
	Passed,
	/// Closed unanswered: `penalty` goes from the Ursula's stake, `refunded` of its fees went
	/// back to Alice.
	Punished { penalty: Balance, refunded: Balance },
	/// Closed unanswered, but the slashing pallet refused the offence (e.g. its queue was full).
	Unpunished,
}

/// A case against an Ursula for the round it was silent in.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct Case<AccountId, Balance> {
	/// What the accused failed to do.
	pub kind: ClaimKind,
	pub policy: PolicyId,
	/// The complained message exactly as Bob signed it (see [`ClaimKind`]).
	pub request: Request,
	pub request_hash: [u8; 32],
	/// The block by which the gateways waited for the Ursula's answer.
	pub deadline: u32,
	/// The round of the gateways that signed: the case's own round for a request, the round
	/// before for a silent gateway.
	pub signed_in: Round,
	/// The gateways of `signed_in` that signed.
	pub signers: SignerSet,
	/// Who submitted the proof.
	pub submitter: AccountId,
	/// The round the proof came in.
	pub opened_in: Round,
	/// The round at whose start the case closes if unanswered.
	pub closes_at: Round,
	pub status: CaseStatus<Balance>,
	/// The accused's answer: one capsule fragment per capsule, for Bob to read.
	pub answer: Answer,
}

/// A case as this runtime stores it.
pub type CaseOf<T> = Case<<T as frame_system::Config>::AccountId, <T as crate::Config>::Balance>;

/// What is known of an Ursula as an accused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct UrsulaRecord {
	/// Cases opened against it.
	pub accused: u32,
	/// Cases it answered on chain.
	pub answered: u32,
	/// Cases closed unanswered and punished.
	pub punished: u32,
	/// The round of its latest case.
	pub last_round: Round,
}
