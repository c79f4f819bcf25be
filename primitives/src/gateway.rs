//! Confirm availability (DESIGN.md section 7): who the gateways of a round are, what Bob sends a
//! gateway when an Ursula stays silent, what the gateways sign when it stays silent for them too,
//! and how a proof names its signers. One implementation for the runtime, the node and the
//! clients.
//!
//! - Round `r`'s **beacon** is the hash of block [`beacon_block`]`(r)`, the last block of round
//!   `r - 2`: when round `r` starts it is a full round and one block old, so under normal GRANDPA
//!   operation it is final, and the author who made it could not know which round's draw it would
//!   seed more than a round ahead. The runtime records it when the round starts.
//! - The **gateways** are [`draw_gateways`]: up to `n` distinct active Ursulas drawn by stake from
//!   the hash chain of [`gateway_seed`]`(beacon, r)`.
//! - Bob's [`Complaint`] carries his exact signed request, a fresh nonce, proof-of-work of the
//!   chain's difficulty ([`work_is_enough`]) and his signature ([`Complaint::signing_payload`]).
//! - A gateway that got no answer signs the [`UnavailabilityClaim`]
//!   ([`claim_signing_payload`]); a proof gives `t` such signatures and the [`SignerSet`] of
//!   their gateway indices.
//! - A gateway that does not mediate is complained about in turn ([`ClaimKind::Mediate`]): Bob
//!   sends his complaint to the silent gateway, wrapped in a new complaint, to a gateway of the
//!   round before; its gateways forward his complaint to the silent one, and sign if it stays
//!   silent. Each level goes one round back, so the proof window bounds the recursion
//!   ([`MAX_MEDIATION_DEPTH`] bounds its decoding).

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeAll, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_crypto_hashing::blake2_256;

use crate::{
	crypto::{sr25519_signed, Sr25519Signature},
	policies::{PolicyId, ReencryptionRequest, WIRE_VERSION},
	sampling::HashChain,
	time::Round,
};

/// The version of the complaint and claim formats.
pub const GATEWAY_VERSION: u8 = 2;

/// The most complaints one complaint may wrap: a complaint about a silent gateway wraps Bob's
/// complaint to it, which may itself be about a silent gateway of the next round.
pub const MAX_MEDIATION_DEPTH: u32 = 2;

/// The most gateways of one round: a proof names its signers in a `u64` bitmap.
pub const MAX_GATEWAYS: u32 = 64;

/// The most capsules of a complained request: a complaint is about one silent Ursula, and its
/// answer on chain is judged capsule by capsule.
pub const MAX_COMPLAINT_CAPSULES: u32 = 4;

/// The longest complained request in SCALE bytes: four capsules of
/// [`crate::policies::MAX_CAPSULE_LEN`] and the envelope fit.
pub const MAX_REQUEST_LEN: u32 = 2_048;

/// The most bytes a complaint adds around what it wraps (version, round, gateway, length,
/// nonce, work, kind, signature), with room to spare.
pub const COMPLAINT_ENVELOPE_LEN: u32 = 192;

/// The longest complained message a proof carries: a request, or complaints wrapping one up
/// to [`MAX_MEDIATION_DEPTH`] deep.
pub const MAX_COMPLAINED_LEN: u32 = MAX_REQUEST_LEN + MAX_MEDIATION_DEPTH * COMPLAINT_ENVELOPE_LEN;

/// The block whose hash seeds round `round`'s draw: the last block of round `round - 2` (block 0
/// for the first two rounds).
pub fn beacon_block(round: Round, blocks_per_round: u32) -> u32 {
	round.saturating_sub(1).saturating_mul(blocks_per_round).saturating_sub(1)
}

/// The seed of round `round`'s gateway draw: its beacon (the hash of [`beacon_block`]) hashed
/// with the round and a domain tag, so that no other draw from the same block repeats it.
pub fn gateway_seed(beacon_block_hash: &[u8; 32], round: Round) -> [u8; 32] {
	blake2_256(&(b"keymarket/gateways", crate::sampling::beacon(beacon_block_hash), round).encode())
}

/// The gateways of a round, as the runtime draws them: each hash of `seed`'s chain picks the
/// point `hash mod total` on the candidates' cumulative stake line, `find` names the candidate
/// under it (the runtime searches its stored line, a client its copy), and a candidate already
/// drawn is skipped. Stops at `n` distinct candidates or after [`MAX_DRAW_TRIES`]` · n` hashes,
/// whichever comes first, so that one candidate with most of the stake cannot make the draw
/// long. Returns the candidates in draw order.
pub fn draw_gateways(
	seed: [u8; 32],
	total_stake: u128,
	n: u32,
	mut find: impl FnMut(u128) -> Option<u32>,
) -> Vec<u32> {
	let mut drawn: Vec<u32> = Vec::with_capacity(n as usize);
	if total_stake == 0 {
		return drawn;
	}
	for hash in HashChain::new(seed).take((n as usize).saturating_mul(MAX_DRAW_TRIES as usize)) {
		if drawn.len() >= n as usize {
			break;
		}
		let mut low = [0u8; 16];
		low.copy_from_slice(&hash[..16]);
		let point = u128::from_le_bytes(low) % total_stake;
		if let Some(index) = find(point) {
			if !drawn.contains(&index) {
				drawn.push(index);
			}
		}
	}
	drawn
}

/// Hashes per gateway a draw may take before it settles for fewer gateways.
pub const MAX_DRAW_TRIES: u32 = 4;

/// The candidate under `point` on a cumulative stake line: `line[i]` is the stake before
/// candidate `i` (ascending), `total` the end of the line. The client's copy of the runtime's
/// search.
pub fn find_on_line(line: &[u128], total: u128, point: u128) -> Option<u32> {
	if point >= total {
		return None;
	}
	let after = line.partition_point(|start| *start <= point);
	after.checked_sub(1).map(|i| i as u32)
}

/// Which gateways of a round signed a proof: bit `i` is gateway `i` of the round's list.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct SignerSet(pub u64);

impl SignerSet {
	/// The set of `indices` (each below [`MAX_GATEWAYS`]).
	pub fn of(indices: &[u32]) -> Self {
		Self(indices.iter().filter(|i| **i < MAX_GATEWAYS).fold(0, |bits, i| bits | 1 << i))
	}

	/// How many gateways signed.
	pub fn len(&self) -> u32 {
		self.0.count_ones()
	}

	/// Whether nobody signed.
	pub fn is_empty(&self) -> bool {
		self.0 == 0
	}

	/// The signers' indices, ascending: the order of a proof's signatures.
	pub fn indices(&self) -> impl Iterator<Item = u32> + '_ {
		(0..MAX_GATEWAYS).filter(move |i| self.0 & (1 << i) != 0)
	}

	/// The highest index named, if any.
	pub fn highest(&self) -> Option<u32> {
		(!self.is_empty()).then(|| 63 - self.0.leading_zeros())
	}
}

/// What the accused of a claim failed to do.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
pub enum ClaimKind {
	/// Serve Bob's re-encryption request: the complained message is his SCALE
	/// `ReencryptionRequest`, and the accused is the Ursula it names.
	#[default]
	Serve,
	/// Mediate Bob's complaint as a gateway: the complained message is Bob's SCALE [`Complaint`]
	/// to the accused, a gateway of the round after the signers'.
	Mediate,
}

/// What the gateways of a round attest when an Ursula did not answer a request they forwarded,
/// or a gateway of the next round did not answer a complaint they forwarded.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct UnavailabilityClaim<AccountId> {
	/// The silent Ursula (worker account).
	pub ursula: AccountId,
	/// The policy Bob's request was made under.
	pub policy: PolicyId,
	/// `blake2_256` of the complained message exactly as Bob signed and sent it (see
	/// [`ClaimKind`]).
	pub request_hash: [u8; 32],
	/// The round of the gateways that signed.
	pub round: Round,
	/// The block by which the Ursula had to answer.
	pub deadline: u32,
	/// What the Ursula failed to do.
	pub kind: ClaimKind,
}

impl<AccountId> UnavailabilityClaim<AccountId> {
	/// The round the accused was silent in, which its case is kept under: the signers' own
	/// round for a request, the next one (where the accused was a gateway) for a complaint.
	pub fn silent_round(&self) -> Round {
		match self.kind {
			ClaimKind::Serve => self.round,
			ClaimKind::Mediate => self.round.saturating_add(1),
		}
	}
}

/// The bytes a gateway signs for `claim`.
pub fn claim_signing_payload<AccountId: Encode>(claim: &UnavailabilityClaim<AccountId>) -> Vec<u8> {
	let mut payload = b"keymarket/unavailable/v2".to_vec();
	claim.encode_to(&mut payload);
	payload
}

/// Bob's complaint to a gateway (SCALE, `POST /v1/complain` of the gateway's endpoint).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Complaint<AccountId> {
	/// The body Bob signs.
	pub body: ComplaintBody<AccountId>,
	/// Bob's sr25519 signature of [`ComplaintBody::signing_payload`].
	pub signature: Sr25519Signature,
}

/// What Bob signs in a complaint.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ComplaintBody<AccountId> {
	/// [`GATEWAY_VERSION`].
	pub version: u8,
	/// The round of the gateway it is addressed to: the current round for a request, the round
	/// before the silent gateway's for a complaint ([`ClaimKind::Mediate`]).
	pub round: Round,
	/// The gateway it is addressed to.
	pub gateway: AccountId,
	/// What Bob complains of, and so what `request` holds.
	pub kind: ClaimKind,
	/// Bob's request to the silent Ursula, exactly as he signed it (SCALE
	/// `ReencryptionRequest`; it names the Ursula, the policy and Bob), or, for a silent gateway,
	/// his SCALE [`Complaint`] to it.
	pub request: Vec<u8>,
	/// Fresh for each complaint: no two complaints of Bob share one.
	pub nonce: [u8; 16],
	/// Proof of work: with it the complaint's work hash meets the chain's difficulty.
	pub work: u64,
}

impl<AccountId: Encode> ComplaintBody<AccountId> {
	/// Bob's complaint of `kind` about `message` to `gateway` of `round`, with `nonce`, its work
	/// done for `difficulty` (about `2^difficulty` hashes).
	pub fn worked(
		round: Round,
		gateway: AccountId,
		kind: ClaimKind,
		message: Vec<u8>,
		nonce: [u8; 16],
		difficulty: u8,
	) -> Self {
		let mut body = ComplaintBody {
			version: GATEWAY_VERSION,
			round,
			gateway,
			kind,
			request: message,
			nonce,
			work: 0,
		};
		body.work = find_work(&body, difficulty, 0);
		body
	}

	/// The bytes Bob signs.
	pub fn signing_payload(&self) -> Vec<u8> {
		let mut payload = b"keymarket/complaint/v2".to_vec();
		self.encode_to(&mut payload);
		payload
	}

	/// The hash the proof of work is judged by: everything but the work, then the work.
	pub fn work_hash(&self) -> [u8; 32] {
		work_hash(&self.unworked_hash(), self.work)
	}

	/// The hash of the complaint without its work, which the worker hashes with each try.
	pub fn unworked_hash(&self) -> [u8; 32] {
		blake2_256(
			&(
				b"keymarket/complaint-work",
				self.version,
				self.round,
				&self.gateway,
				self.kind,
				&self.request,
				self.nonce,
			)
				.encode(),
		)
	}
}

/// The work hash of `work` over a complaint's unworked hash.
pub fn work_hash(unworked: &[u8; 32], work: u64) -> [u8; 32] {
	let mut input = [0u8; 40];
	input[..32].copy_from_slice(unworked);
	input[32..].copy_from_slice(&work.to_le_bytes());
	blake2_256(&input)
}

/// Whether `hash` starts with at least `difficulty` zero bits.
pub fn work_is_enough(hash: &[u8; 32], difficulty: u8) -> bool {
	let mut needed = u32::from(difficulty);
	for byte in hash {
		if needed == 0 {
			return true;
		}
		let zeros = byte.leading_zeros().min(needed);
		if zeros < needed.min(8) {
			return false;
		}
		needed -= zeros;
	}
	needed == 0
}

/// Finds the work for `body` at `difficulty` (about `2^difficulty` hashes), trying from `from`.
pub fn find_work<AccountId: Encode>(
	body: &ComplaintBody<AccountId>,
	difficulty: u8,
	from: u64,
) -> u64 {
	let unworked = body.unworked_hash();
	(from..=u64::MAX)
		.find(|work| work_is_enough(&work_hash(&unworked, *work), difficulty))
		.unwrap_or(from)
}

/// A complained message opened up: the complaints it wraps, outermost first (none for a
/// request), and Bob's request at its heart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened<AccountId> {
	pub complaints: Vec<Complaint<AccountId>>,
	pub request: ReencryptionRequest,
	/// `blake2_256` of the request's SCALE bytes as Bob sent them.
	pub request_hash: [u8; 32],
}

/// Opens the complained message of a `kind` claim or complaint: for [`ClaimKind::Mediate`],
/// Bob's complaint to the silent gateway, which may wrap another down to
/// [`MAX_MEDIATION_DEPTH`], each of the round after the one wrapping it; at the heart a SCALE
/// `ReencryptionRequest` of this wire version. Only the shape is checked here: Bob's work and
/// signatures are [`Opened::check_bob`]'s, his signature of the request, the policy and the
/// gateways of each round the caller's.
pub fn open_complained<AccountId: Decode>(
	kind: ClaimKind,
	bytes: &[u8],
) -> Result<Opened<AccountId>, ComplaintError> {
	let mut complaints: Vec<Complaint<AccountId>> = Vec::new();
	let mut kind = kind;
	// The innermost message so far: `bytes` itself, or the request of the last complaint.
	let mut inner: Option<Vec<u8>> = None;
	while kind == ClaimKind::Mediate {
		if complaints.len() >= MAX_MEDIATION_DEPTH as usize {
			return Err(ComplaintError::Malformed);
		}
		let message = inner.as_deref().unwrap_or(bytes);
		let complaint = Complaint::<AccountId>::decode_all(&mut &message[..])
			.map_err(|_| ComplaintError::Malformed)?;
		if complaint.body.version != GATEWAY_VERSION {
			return Err(ComplaintError::Malformed);
		}
		if let Some(outer) = complaints.last() {
			if complaint.body.round != outer.body.round.saturating_add(1) {
				return Err(ComplaintError::WrongRound);
			}
		}
		kind = complaint.body.kind;
		inner = Some(complaint.body.request.clone());
		complaints.push(complaint);
	}
	let message = inner.as_deref().unwrap_or(bytes);
	let request = ReencryptionRequest::decode_all(&mut &message[..])
		.map_err(|_| ComplaintError::Malformed)?;
	if request.body.version != WIRE_VERSION {
		return Err(ComplaintError::Malformed);
	}
	Ok(Opened { complaints, request_hash: blake2_256(message), request })
}

impl<AccountId: Encode> Opened<AccountId> {
	/// Each wrapped complaint is signed by the request's Bob and meets `difficulty`.
	pub fn check_bob(&self, difficulty: u8) -> Result<(), ComplaintError> {
		let bob: &[u8; 32] = self.request.body.bob.as_ref();
		for complaint in &self.complaints {
			if !work_is_enough(&complaint.body.work_hash(), difficulty) {
				return Err(ComplaintError::NotEnoughWork);
			}
			if !sr25519_signed(bob, &complaint.body.signing_payload(), &complaint.signature) {
				return Err(ComplaintError::BadSignature);
			}
		}
		Ok(())
	}

	/// What the complaint to the accused asks it to mediate: the kind and the bytes it wraps.
	pub fn mediated(&self) -> Option<(ClaimKind, &[u8])> {
		self.complaints.first().map(|c| (c.body.kind, &c.body.request[..]))
	}
}

/// Why a gateway refuses a complaint: the SCALE body of its error answers, and what Bob's
/// client reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ComplaintError {
	/// Not a complaint of this version.
	Malformed,
	/// The complaint names another round than the current one.
	WrongRound,
	/// The complaint is addressed to another gateway, or this Ursula is no gateway of the round.
	WrongGateway,
	/// The work does not meet the chain's difficulty.
	NotEnoughWork,
	/// Bob's signature (of the complaint or of the request) does not verify, or the request is
	/// not Bob's.
	BadSignature,
	/// No such policy, the request is not for one of its Ursulas, or the policy is not in
	/// service.
	NotInService,
	/// This nonce or this request was already complained about.
	Replayed,
	/// Bob, or the policy, complained too often this round.
	RateLimited,
	/// The gateway cannot take complaints now.
	Unavailable,
}

/// A gateway's request to the other gateways of its round (SCALE, `POST /v1/confirm`): try the
/// accused yourselves, and sign `claim` if it stays silent. It carries Bob's complaint as he sent
/// it, so that each confirming gateway checks Bob's signature and work itself: nobody but the
/// policy's Bob, paying the work, can make the gateways forward anything.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Confirmation<AccountId> {
	pub claim: UnavailabilityClaim<AccountId>,
	/// Bob's complaint to the asking gateway; its request hashes to `claim.request_hash`.
	pub complaint: Complaint<AccountId>,
}

/// A gateway's answer to a [`Confirmation`].
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Confirmed {
	/// The accused stayed silent: this gateway's signature of the claim.
	Signed(Sr25519Signature),
	/// The accused answered this gateway: its SCALE `ReencryptionResponse` (for a silent
	/// gateway: its SCALE [`ComplaintOutcome`]).
	Answered(Vec<u8>),
	/// The accused refused the request (its SCALE `RequestError`; for a silent gateway its SCALE
	/// [`ComplaintError`]): it is up.
	Refused(Vec<u8>),
}

/// A gateway's answer to a complaint.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ComplaintOutcome {
	/// The Ursula answered the forwarded request: its SCALE `ReencryptionResponse`.
	Answered(Vec<u8>),
	/// The Ursula refused the forwarded request (its SCALE `RequestError`): it is up, and says
	/// why it does not serve it.
	Refused(Vec<u8>),
	/// `signers` gateways of `round` confirmed the silence: the proof goes to the chain with the
	/// gateway's next block, and the case is `keymarket_case(round, ursula)`.
	Proven { round: Round, signers: u32 },
	/// Fewer gateways than the round needs confirmed the silence: no proof.
	NotProven { signers: u32, needed: u32 },
	/// The accused already has a case for `round` (one per Ursula and round): nothing more to
	/// prove; the case is `keymarket_case(round, ursula)`.
	AlreadyAccused { round: Round },
	/// The silent gateway Bob complained about answered, but refused his complaint with this
	/// error: it is up.
	GatewayRefused(ComplaintError),
}

/// The key of the node's gateway outbox in persistent off-chain storage: the Ursula service
/// appends the duties it prepared (a proof its round's gateways signed, an answer to a case
/// against it), and the gateway pallet's off-chain worker submits each as its worker's signed,
/// fee-free transaction. A SCALE `Vec<GatewayDuty<AccountId>>`.
pub const OUTBOX_KEY: &[u8] = b"keymarket/gateway/outbox";

/// The most duties the outbox holds: more wait for the next block.
pub const MAX_OUTBOX: usize = 16;

/// A duty the Ursula service hands to the off-chain worker.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum GatewayDuty<AccountId> {
	/// Submit a proof of unavailability as `submitter` (one of its signing gateways).
	Prove {
		submitter: AccountId,
		claim: UnavailabilityClaim<AccountId>,
		request: Vec<u8>,
		signers: SignerSet,
		signatures: Vec<Sr25519Signature>,
	},
	/// Answer the case of `round` against `ursula` with these fragments.
	Answer { ursula: AccountId, round: Round, cfrags: Vec<Vec<u8>> },
	/// Pass the case of `round` against `gateway` (a silent-gateway case) on to the one it
	/// mediated for, which stayed silent for it.
	Pass { gateway: AccountId, round: Round },
}

/// A gateway as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
pub struct GatewayView<AccountId> {
	pub worker: AccountId,
	/// The sr25519 key it signs claims with.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub signing_key: [u8; 32],
}

/// A round's gateways as clients see them, in draw order (a signer index is a place here).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
pub struct RoundView<AccountId> {
	pub round: Round,
	/// The draw's seed ([`gateway_seed`] of the round's beacon).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub seed: [u8; 32],
	pub gateways: Vec<GatewayView<AccountId>>,
	/// Signatures a proof of the round needs.
	pub threshold: u32,
}

/// Where a case is, as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub enum CaseStatusView<Balance> {
	Open,
	Answered,
	/// The accused gateway passed the case on to the one it mediated for.
	Passed,
	Punished {
		#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
		penalty: Balance,
		#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
		refunded: Balance,
	},
	Unpunished,
}

/// A case as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display",
			deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct CaseView<AccountId, Balance> {
	/// The round the accused was silent in (the case's key).
	pub round: Round,
	pub ursula: AccountId,
	/// What it failed to do.
	pub kind: ClaimKind,
	/// The round of the gateways that signed (the round before `round` for a silent gateway).
	pub signed_in: Round,
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub policy: PolicyId,
	/// The complained message as Bob signed it (SCALE `ReencryptionRequest`, or his SCALE
	/// `Complaint` to a silent gateway).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub request: Vec<u8>,
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub request_hash: [u8; 32],
	pub deadline: u32,
	/// The signing gateways' indices in the round's list.
	pub signers: Vec<u32>,
	pub submitter: AccountId,
	pub opened_in: Round,
	pub closes_at: Round,
	pub status: CaseStatusView<Balance>,
	/// The accused's answer: one capsule fragment per capsule (umbral-pre bytes).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex_list"))]
	pub answer: Vec<Vec<u8>>,
}

/// What is known of an Ursula as an accused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
pub struct AccusedView {
	pub accused: u32,
	pub answered: u32,
	pub punished: u32,
	pub last_round: Round,
}

sp_api::decl_runtime_apis! {
	/// Gateways, cases and proofs for Bob's client, the Ursula service and integrators.
	pub trait GatewayApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// The gateways of `round` (recent rounds only: `None` before it began or once pruned).
		fn round_gateways(round: Round) -> Option<RoundView<AccountId>>;
		/// The case against `ursula` for `round`.
		fn case(round: Round, ursula: AccountId) -> Option<CaseView<AccountId, Balance>>;
		/// The recent cases against `ursula`, oldest first.
		fn cases_of(ursula: AccountId) -> Vec<CaseView<AccountId, Balance>>;
		/// The cases open now, by closing round.
		fn open_cases() -> Vec<CaseView<AccountId, Balance>>;
		/// `ursula`'s record as an accused.
		fn accused(ursula: AccountId) -> AccusedView;
		/// The leading zero bits a complaint's work needs now.
		fn complaint_difficulty() -> u8;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_beacon_block_is_the_last_block_of_the_round_before_last() {
		assert_eq!(beacon_block(0, 5), 0);
		assert_eq!(beacon_block(1, 5), 0);
		assert_eq!(beacon_block(2, 5), 4);
		assert_eq!(beacon_block(7, 5), 29);
		// Round 7 starts at block 35: its beacon block is a round and a block old.
		assert_eq!(7 * 5 - beacon_block(7, 5), 5 + 1);
	}

	/// Stakes 10, 0, 30, 5 as a cumulative line.
	const LINE: [u128; 4] = [0, 10, 10, 40];
	const TOTAL: u128 = 45;

	#[test]
	fn a_point_finds_the_candidate_under_it() {
		let find = |point| find_on_line(&LINE, TOTAL, point);
		assert_eq!(find(0), Some(0));
		assert_eq!(find(9), Some(0));
		// Candidate 1 has no stake: nothing of the line is its.
		assert_eq!(find(10), Some(2));
		assert_eq!(find(39), Some(2));
		assert_eq!(find(40), Some(3));
		assert_eq!(find(44), Some(3));
		assert_eq!(find(45), None);
	}

	#[test]
	fn the_gateways_are_distinct_by_stake_and_all_when_few() {
		let seed = gateway_seed(&[1; 32], 3);
		let find = |point| find_on_line(&LINE, TOTAL, point);
		let drawn = draw_gateways(seed, TOTAL, 2, find);
		assert_eq!(drawn.len(), 2);
		assert_ne!(drawn[0], drawn[1]);
		assert!(!drawn.contains(&1), "no stake, never drawn");
		let mut all = draw_gateways(seed, TOTAL, 10, find);
		all.sort();
		assert_eq!(all, vec![0, 2, 3], "every staked candidate when there are few");
		assert_eq!(draw_gateways(seed, TOTAL, 2, find), drawn, "reproducible");
		assert_ne!(gateway_seed(&[1; 32], 3), gateway_seed(&[1; 32], 4));
		assert!(draw_gateways(seed, 0, 2, find).is_empty());
	}

	#[test]
	fn a_draw_follows_stake() {
		// Over many rounds, the candidate with 30 of 45 is drawn first about two times in three.
		let find = |point| find_on_line(&LINE, TOTAL, point);
		let firsts = (0..3_000u32)
			.filter(|round| draw_gateways(gateway_seed(&[2; 32], *round), TOTAL, 1, find) == [2])
			.count();
		assert!((1_850..2_150).contains(&firsts), "{firsts} of 3000");
	}

	#[test]
	fn a_dominant_stake_cannot_make_a_draw_long() {
		// One candidate holds nearly all: the draw stops after 4n hashes with what it has.
		let line = [0u128, u128::MAX / 2, u128::MAX / 2 + 1];
		let total = u128::MAX / 2 + 2;
		let mut tries = 0;
		let drawn = draw_gateways([3; 32], total, 3, |point| {
			tries += 1;
			find_on_line(&line, total, point)
		});
		assert_eq!(tries, 12);
		assert!(drawn.len() < 3 && drawn.contains(&0));
	}

	#[test]
	fn a_signer_set_lists_its_indices_in_order() {
		let set = SignerSet::of(&[5, 0, 63, 5]);
		assert_eq!(set.len(), 3);
		assert_eq!(set.indices().collect::<Vec<_>>(), vec![0, 5, 63]);
		assert_eq!(set.highest(), Some(63));
		assert_eq!(SignerSet::default().highest(), None);
		assert_eq!(SignerSet::of(&[64]), SignerSet::default());
	}

	#[test]
	fn work_is_judged_by_leading_zero_bits() {
		let mut hash = [0xffu8; 32];
		assert!(work_is_enough(&hash, 0));
		assert!(!work_is_enough(&hash, 1));
		hash[0] = 0x0f;
		assert!(work_is_enough(&hash, 4));
		assert!(!work_is_enough(&hash, 5));
		hash[0] = 0;
		hash[1] = 0x7f;
		assert!(work_is_enough(&hash, 9));
		assert!(!work_is_enough(&hash, 10));
		assert!(work_is_enough(&[0; 32], 255));
	}

	#[test]
	fn found_work_meets_the_difficulty_and_changes_with_the_complaint() {
		let body = ComplaintBody {
			version: GATEWAY_VERSION,
			round: 4,
			gateway: [7u8; 32],
			kind: ClaimKind::Serve,
			request: vec![1, 2, 3],
			nonce: [9; 16],
			work: 0,
		};
		let work = find_work(&body, 12, 0);
		let worked = ComplaintBody { work, ..body.clone() };
		assert!(work_is_enough(&worked.work_hash(), 12));
		// The first that meets it: every smaller try fails.
		let unworked = body.unworked_hash();
		assert!((0..work).all(|w| !work_is_enough(&work_hash(&unworked, w), 12)));
		// The work covers the whole complaint: another nonce hashes otherwise.
		let other = ComplaintBody { nonce: [8; 16], work, ..body };
		assert_ne!(other.work_hash(), worked.work_hash());
	}

	mod opening {
		use super::super::*;
		use crate::policies::RequestBody;
		use sp_core::{crypto::Pair as _, sr25519};

		fn bob() -> sr25519::Pair {
			sr25519::Pair::from_string("//Bob", None).unwrap()
		}

		fn request() -> Vec<u8> {
			let body = RequestBody {
				version: WIRE_VERSION,
				policy: [1; 16],
				ursula: [5u8; 32].into(),
				bob: bob().public().into(),
				sequence: 1,
				capsules: vec![vec![1; 10]],
			};
			let signature = bob().sign(&body.signing_payload()).0;
			ReencryptionRequest { body, signature, ticket: None }.encode()
		}

		/// Bob's complaint to `gateway` of `round` about `message`, worked for difficulty 4.
		fn wrap(
			round: Round,
			gateway: u8,
			kind: ClaimKind,
			message: Vec<u8>,
			signer: &sr25519::Pair,
		) -> Vec<u8> {
			let mut body = ComplaintBody {
				version: GATEWAY_VERSION,
				round,
				gateway: [gateway; 32],
				kind,
				request: message,
				nonce: [round as u8; 16],
				work: 0,
			};
			body.work = find_work(&body, 4, 0);
			let signature = signer.sign(&body.signing_payload()).0;
			Complaint { body, signature }.encode()
		}

		#[test]
		fn a_request_opens_as_itself() {
			let request = request();
			let opened = open_complained::<[u8; 32]>(ClaimKind::Serve, &request).unwrap();
			assert_eq!(opened.check_bob(40), Ok(()), "no complaint, no work");
			assert!(opened.complaints.is_empty());
			assert_eq!(opened.request_hash, blake2_256(&request));
		}

		#[test]
		fn complaints_open_down_to_bobs_request_one_round_apart() {
			// Bob complained to gateway 7 of round 9; it was silent, so to gateway 6 of round 8;
			// silent too, so to gateway 5 of round 7 about gateway 6.
			let request = request();
			let to_7 = wrap(9, 7, ClaimKind::Serve, request.clone(), &bob());
			let to_6 = wrap(8, 6, ClaimKind::Mediate, to_7.clone(), &bob());
			let open = |bytes: &[u8], difficulty| {
				open_complained::<[u8; 32]>(ClaimKind::Mediate, bytes)
					.and_then(|opened| opened.check_bob(difficulty).map(|_| opened))
			};
			let opened = open(&to_6, 4).unwrap();
			assert_eq!(opened.complaints.len(), 2);
			// The accused (gateway 6) was asked to mediate Bob's complaint to gateway 7.
			assert_eq!(opened.mediated(), Some((ClaimKind::Mediate, &to_7[..])));
			assert_eq!(opened.complaints[0].body.gateway, [6; 32]);
			assert_eq!(opened.complaints[1].body.gateway, [7; 32]);
			assert_eq!(opened.request_hash, blake2_256(&request));

			// One level more than the bound is refused.
			let to_5 = wrap(7, 5, ClaimKind::Mediate, to_6.clone(), &bob());
			assert_eq!(open(&to_5, 4).unwrap_err(), ComplaintError::Malformed);
			// Rounds that do not follow each other, another signer, too little work, garbage.
			let skipped = wrap(7, 6, ClaimKind::Mediate, to_7.clone(), &bob());
			assert_eq!(open(&skipped, 4).unwrap_err(), ComplaintError::WrongRound);
			let mallory = sr25519::Pair::from_string("//Mallory", None).unwrap();
			let forged = wrap(8, 6, ClaimKind::Mediate, to_7.clone(), &mallory);
			assert_eq!(open(&forged, 4).unwrap_err(), ComplaintError::BadSignature);
			assert_eq!(open(&to_6, 40).unwrap_err(), ComplaintError::NotEnoughWork);
			assert_eq!(open(&request, 4).unwrap_err(), ComplaintError::Malformed);
			assert_eq!(
				open_complained::<[u8; 32]>(ClaimKind::Serve, &to_7).unwrap_err(),
				ComplaintError::Malformed
			);
		}

		#[test]
		fn the_silent_round_is_the_accused_ones() {
			let claim = UnavailabilityClaim {
				ursula: [1u8; 32],
				policy: [1; 16],
				request_hash: [0; 32],
				round: 8,
				deadline: 0,
				kind: ClaimKind::Serve,
			};
			assert_eq!(claim.silent_round(), 8);
			assert_eq!(UnavailabilityClaim { kind: ClaimKind::Mediate, ..claim }.silent_round(), 9);
		}
	}
}
