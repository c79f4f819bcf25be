//! Proofs of served work (issue 14, the paper's "confirm service activity"): what an Ursula's
//! claim of ω distinct served requests commits to, and the checks anyone can run on its
//! openings. One implementation for the runtime, the node and the clients.
//!
//! **Commit, challenge, open.** For a policy and a period, the Ursula takes the requests it
//! served (its served log's [`ServedRecord`]s), orders them by [`record_key`] — a hash of the
//! policy, Bob and the sequence number, which the Ursula's replay guard serves once — and
//! builds a Merkle tree ([`Tree`]) whose leaves are `(key, hash of the record)`. It claims ω
//! (the number of leaves) and the root, signed ([`claim_payload`]). Only after the claim is on
//! chain is a beacon drawn; [`challenges`] turns it into `n` distinct leaf indices. The Ursula
//! opens each challenged leaf with its path and with its right neighbour's key and path
//! ([`Opening`], [`check_opening`]): the path shows the leaf is in the committed tree at that
//! index, the neighbour shows the keys strictly increase there, so a duplicated request cannot
//! hide next to its twin. The record itself is then judged like any evidence (Bob's signature,
//! the period, each fragment).
//!
//! **The cheating bound.** A tree with ω leaves of which a fraction `f` are bad (a fabricated or
//! wrong record, or a key not below its right neighbour's) survives `n` distinct challenges
//! drawn after the commitment with probability at most `(1 − f)^n`: with `n = 16`, faking a
//! quarter of the leaves is caught 99 % of the time, with `n = 64` a tenth is caught 99.9 % of
//! the time. Because the beacon comes after the claim, the Ursula cannot rebuild its tree until
//! the challenges miss its fakes.

use alloc::{collections::BTreeSet, vec::Vec};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_crypto_hashing::blake2_256;

use crate::{
	policies::{PolicyId, ServedRecord},
	time::Period,
	AccountId,
};

/// The version of the claim and opening formats.
pub const ACTIVITY_VERSION: u8 = 1;

/// The hash of an empty place in the tree (places past ω, up to the next power of two).
pub const EMPTY_LEAF: [u8; 32] = [0; 32];

/// The most levels a tree has: ω is a `u32`.
pub const MAX_DEPTH: u32 = 32;

/// The key that orders an Ursula's served requests: the request's policy, Bob and sequence
/// number, which the Ursula serves once, hashed.
pub fn request_key(policy: &PolicyId, bob: &AccountId, sequence: u64) -> [u8; 32] {
	blake2_256(&(b"keymarket/activity/key", policy, bob, sequence).encode())
}

/// [`request_key`] of a served record.
pub fn record_key(record: &ServedRecord) -> [u8; 32] {
	let body = &record.request.body;
	request_key(&body.policy, &body.bob, body.sequence)
}

/// A leaf of the tree: a request's key and the hash of the SCALE record served for it.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Leaf {
	pub key: [u8; 32],
	pub record_hash: [u8; 32],
}

impl Leaf {
	/// The leaf of a served record.
	pub fn of(record: &ServedRecord) -> Self {
		Self { key: record_key(record), record_hash: blake2_256(&record.encode()) }
	}

	/// Its hash in the tree.
	pub fn hash(&self) -> [u8; 32] {
		blake2_256(&(b"keymarket/activity/leaf", self.key, self.record_hash).encode())
	}
}

/// An inner node of the tree.
fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
	blake2_256(&(b"keymarket/activity/node", left, right).encode())
}

/// The number of levels below the root of a tree of `omega` leaves: `⌈log₂ ω⌉` (32 for the
/// ω above 2^31, whose next power of two a `u32` cannot hold: found by the `service_proof`
/// fuzz target, where it overflowed).
pub fn depth_for(omega: u32) -> u32 {
	omega.max(1).checked_next_power_of_two().map_or(u32::BITS, u32::trailing_zeros)
}

/// A Merkle tree over leaves in key order (the Ursula's side).
#[derive(Clone, Debug)]
pub struct Tree {
	/// Each level's hashes, the leaves first, the root last.
	levels: Vec<Vec<[u8; 32]>>,
	omega: u32,
}

impl Tree {
	/// The tree of `leaves`, in the order given (an honest Ursula gives [`in_tree_order`]'s).
	pub fn build(leaves: &[Leaf]) -> Self {
		Self::of_hashes(leaves.iter().map(Leaf::hash).collect())
	}

	/// The tree whose leaves hash to `level`, in the order given.
	pub fn of_hashes(mut level: Vec<[u8; 32]>) -> Self {
		let omega = level.len() as u32;
		let width = 1usize << depth_for(omega);
		level.resize(width, EMPTY_LEAF);
		let mut levels = alloc::vec![level];
		while levels.last().map_or(0, Vec::len) > 1 {
			let below = levels.last().expect("a level");
			let above = below.chunks(2).map(|pair| node(&pair[0], &pair[1])).collect();
			levels.push(above);
		}
		Self { levels, omega }
	}

	/// ω: the distinct requests in the tree.
	pub fn omega(&self) -> u32 {
		self.omega
	}

	/// The root.
	pub fn root(&self) -> [u8; 32] {
		self.levels.last().and_then(|l| l.first()).copied().unwrap_or(EMPTY_LEAF)
	}

	/// The path of leaf `index`: its sibling at each level, from the leaves up.
	pub fn path(&self, index: u32) -> Vec<[u8; 32]> {
		let mut at = index as usize;
		let mut path = Vec::new();
		for level in &self.levels[..self.levels.len() - 1] {
			path.push(level[at ^ 1]);
			at /= 2;
		}
		path
	}
}

/// The root a leaf hash at `index` and its `path` lead to.
pub fn root_from_path(leaf: [u8; 32], index: u32, path: &[[u8; 32]]) -> [u8; 32] {
	let mut hash = leaf;
	for (level, sibling) in path.iter().enumerate() {
		hash = if (index >> level) & 1 == 0 { node(&hash, sibling) } else { node(sibling, &hash) };
	}
	hash
}

/// The `n` distinct leaf indices (fewer when ω is smaller: then every leaf) a claim of `omega`
/// leaves must open, drawn from `beacon`.
pub fn challenges(beacon: &[u8; 32], omega: u32, n: u32) -> Vec<u32> {
	if n >= omega {
		return (0..omega).collect();
	}
	let mut chosen = BTreeSet::new();
	let mut counter = 0u64;
	while (chosen.len() as u32) < n {
		let draw = blake2_256(&(b"keymarket/activity/challenge", beacon, counter).encode());
		let value = u64::from_le_bytes(draw[..8].try_into().expect("eight bytes"));
		chosen.insert((value % omega as u64) as u32);
		counter += 1;
	}
	chosen.into_iter().collect()
}

/// The bytes an Ursula signs to claim `omega` distinct requests of `policy` served in
/// `period`, committed to by `root`.
pub fn claim_payload(
	worker: &impl Encode,
	policy: &PolicyId,
	period: Period,
	omega: u32,
	root: &[u8; 32],
) -> Vec<u8> {
	let mut payload = b"keymarket/activity/claim/v1".to_vec();
	(worker, policy, period, omega, root).encode_to(&mut payload);
	payload
}

/// One challenged leaf opened: the record (SCALE [`ServedRecord`]), its path, and its right
/// neighbour's leaf and path (none for the last leaf).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct Opening {
	pub index: u32,
	pub record: Vec<u8>,
	pub path: Vec<[u8; 32]>,
	pub next: Option<(Leaf, Vec<[u8; 32]>)>,
}

/// Why an opening does not hold.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum OpeningError {
	/// The record is not a SCALE served record.
	MalformedRecord,
	/// The index is not below ω, or a path is not as long as the tree is deep.
	BadIndex,
	/// A path does not lead to the claimed root.
	BadPath,
	/// The right neighbour is missing (or given for the last leaf).
	NoNeighbour,
	/// The neighbour's key is not above the leaf's: keys do not strictly increase there.
	OutOfOrder,
}

/// The structural checks of an opening against a claim of `omega` leaves under `root`: the
/// leaf and its neighbour are in the tree at `index` and `index + 1`, and their keys strictly
/// increase. Returns the record, for the checks of its content.
pub fn check_opening(
	root: &[u8; 32],
	omega: u32,
	opening: &Opening,
) -> Result<ServedRecord, OpeningError> {
	let depth = depth_for(omega) as usize;
	if opening.index >= omega || opening.path.len() != depth {
		return Err(OpeningError::BadIndex);
	}
	let record = ServedRecord::decode(&mut &opening.record[..])
		.ok()
		.filter(|r| r.encoded_size() == opening.record.len())
		.ok_or(OpeningError::MalformedRecord)?;
	let leaf = Leaf::of(&record);
	if root_from_path(leaf.hash(), opening.index, &opening.path) != *root {
		return Err(OpeningError::BadPath);
	}
	let last = opening.index + 1 == omega;
	match (&opening.next, last) {
		(None, true) => {},
		(Some((next, path)), false) => {
			if path.len() != depth {
				return Err(OpeningError::BadIndex);
			}
			if root_from_path(next.hash(), opening.index + 1, path) != *root {
				return Err(OpeningError::BadPath);
			}
			if next.key <= leaf.key {
				return Err(OpeningError::OutOfOrder);
			}
		},
		_ => return Err(OpeningError::NoNeighbour),
	}
	Ok(record)
}

/// What is wrong with a served record offered as proof of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum RecordFault {
	/// The request is to another Ursula or under another policy.
	NotThisService,
	/// Bob did not sign the request (or the signer is not the policy's Bob).
	NotSignedByBob,
	/// Served in another period than the claimed one.
	WrongPeriod,
	/// The request carried a lottery ticket: tickets pay for it.
	PaidByTicket,
	/// Not one fragment per capsule.
	WrongAnswerCount,
	/// A judged fragment is incorrect (or not a fragment of its capsule at all).
	IncorrectCfrag,
}

/// The checks of one served record offered as `worker`'s work under `policy` in `period`:
/// the request is to this worker under this policy, signed by the policy's Bob, served in that
/// period, carrying no ticket, answered with one fragment per capsule; and each fragment at
/// `judged` (indices of capsules: one chosen by a beacon on chain, every one for a committee
/// member) is correct by the adjudicator's judge.
pub fn check_served<AccountId: Encode, Balance>(
	record: &ServedRecord,
	worker: &AccountId,
	policy: &PolicyId,
	period: Period,
	terms: &crate::policies::ActivityTerms<AccountId, Balance>,
	judged: impl IntoIterator<Item = usize>,
) -> Result<(), RecordFault> {
	use crate::policies::{judge_cfrag, CfragVerdict};
	let body = &record.request.body;
	if body.policy != *policy || body.ursula.encode() != worker.encode() {
		return Err(RecordFault::NotThisService);
	}
	if body.bob.encode() != terms.bob.encode() || !record.request.bob_signed() {
		return Err(RecordFault::NotSignedByBob);
	}
	if record.served_at != period {
		return Err(RecordFault::WrongPeriod);
	}
	if record.request.ticket.is_some() {
		return Err(RecordFault::PaidByTicket);
	}
	let count = body.capsules.len();
	if count == 0 || record.cfrags.len() != count {
		return Err(RecordFault::WrongAnswerCount);
	}
	for i in judged {
		let (Some(capsule), Some(cfrag)) = (body.capsules.get(i), record.cfrags.get(i)) else {
			return Err(RecordFault::WrongAnswerCount);
		};
		let verdict = judge_cfrag(
			capsule,
			&cfrag.cfrag,
			&terms.verifying_key,
			&terms.policy_key,
			&terms.bob_key,
		);
		if verdict != Ok(CfragVerdict::Correct) {
			return Err(RecordFault::IncorrectCfrag);
		}
	}
	Ok(())
}

/// `records` in the tree's order, each request once, with their leaves and SCALE bytes (the
/// Ursula's side).
pub fn in_tree_order(records: &[ServedRecord]) -> Vec<(Leaf, Vec<u8>)> {
	let mut sorted: Vec<(Leaf, Vec<u8>)> =
		records.iter().map(|r| (Leaf::of(r), r.encode())).collect();
	sorted.sort_by_key(|entry| entry.0);
	sorted.dedup_by(|a, b| a.0.key == b.0.key);
	sorted
}

/// Opens leaf `index` of `tree`, built from `sorted` (the Ursula's side).
pub fn open(tree: &Tree, sorted: &[(Leaf, Vec<u8>)], index: u32) -> Option<Opening> {
	let (_, record) = sorted.get(index as usize)?;
	let next = sorted.get(index as usize + 1).map(|(leaf, _)| (*leaf, tree.path(index + 1)));
	Some(Opening { index, record: record.clone(), path: tree.path(index), next })
}

/// How served work is proven: the scheme governance selects (`Activity.set_scheme`).
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
pub enum ActivityScheme {
	/// The worker commits to a tree of its records and opens the leaves a later beacon picks.
	#[default]
	CommitOpen,
	/// A round's committee checks the worker's full record natively and `t` members sign.
	Committee,
	/// As `CommitOpen`, with the keys' distinctness proven for every leaf by a range proof over
	/// Pedersen commitments, the keys hidden (`crate::zk`).
	ZeroKnowledge,
}

/// The bytes a committee member signs to attest that `worker` served `omega` distinct, valid
/// requests of `policy` in `period`, whose tree has root `root`, as a member of `round`'s
/// committee.
pub fn attestation_payload(
	worker: &impl Encode,
	policy: &PolicyId,
	period: Period,
	omega: u32,
	root: &[u8; 32],
	round: crate::time::Round,
) -> Vec<u8> {
	let mut payload = b"keymarket/activity/attest/v1".to_vec();
	(worker, policy, period, omega, root, round).encode_to(&mut payload);
	payload
}

/// A round's committee: its members (worker, registered signing key) in draw order — an
/// attestation's signer index is a place in this list — the signatures it needs, and the
/// round's first block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committee<AccountId> {
	pub members: Vec<(AccountId, [u8; 32])>,
	pub threshold: u32,
	pub first_block: u32,
}

/// Where the activity pallet finds a round's committee: the gateway pallet's draw.
pub trait Committees<AccountId> {
	/// The committee of `round`, while the chain keeps it.
	fn committee(round: crate::time::Round) -> Option<Committee<AccountId>>;
}

/// The version of the attestation endpoint's messages (`POST /v1/attest`).
pub const ATTEST_VERSION: u8 = 1;

/// A worker's request to a member of a round's committee (`POST /v1/attest`, SCALE): its whole
/// record of a policy's period, for the member to check and sign.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct AttestationRequest<AccountId> {
	pub version: u8,
	pub worker: AccountId,
	pub policy: PolicyId,
	pub period: Period,
	/// The round whose committee the member sits on.
	pub round: crate::time::Round,
	pub records: Vec<ServedRecord>,
	/// The worker's signature of [`AttestationRequest::signing_payload`] with the signing key the
	/// policy recorded for it: nobody else can spend a member's checks of its period.
	pub signature: crate::crypto::Sr25519Signature,
}

impl<AccountId: Encode> AttestationRequest<AccountId> {
	/// What the worker signs: everything but the signature, the records by their hash.
	pub fn signing_payload(&self) -> Vec<u8> {
		let mut payload = b"keymarket/activity/attest-request/v1".to_vec();
		let records = blake2_256(&self.records.encode());
		(self.version, &self.worker, self.policy, self.period, self.round, records)
			.encode_to(&mut payload);
		payload
	}
}

/// Why a committee member does not sign (the answer's body, SCALE, after [`ATTEST_VERSION`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum AttestationError {
	/// Not a SCALE [`AttestationRequest`] of this version.
	Malformed,
	/// This node's Ursula is not on the committee of that round.
	NotAMember,
	/// The worker is not one of the policy's Ursulas, or did not sign the request.
	BadSignature,
	/// Not the current round, or the period has not ended.
	WrongRound,
	/// The chain knows no such policy.
	UnknownPolicy,
	/// No records, or more than a claim may count.
	BadOmega,
	/// The record at `index` is not work of this worker under this policy in that period.
	Record { index: u32, fault: RecordFault },
	/// The record at `index` repeats a request already in the record.
	Duplicate { index: u32 },
	/// The member was asked too often for this worker's period.
	RateLimited,
	/// The member cannot check now.
	Unavailable,
}

/// What a committee member checks of a worker's record of a policy's period before it signs:
/// every record is the worker's work under the policy in the period ([`check_served`], every
/// fragment judged) and no request appears twice. Returns ω and the root of the records' tree
/// (as the first scheme builds it): what the member signs.
pub fn attest_records<AccountId: Encode, Balance>(
	records: &[ServedRecord],
	worker: &AccountId,
	policy: &PolicyId,
	period: Period,
	terms: &crate::policies::ActivityTerms<AccountId, Balance>,
	max_omega: u32,
) -> Result<(u32, [u8; 32]), AttestationError> {
	if records.is_empty() || records.len() > max_omega as usize {
		return Err(AttestationError::BadOmega);
	}
	let mut keys = BTreeSet::new();
	for (index, record) in records.iter().enumerate() {
		let index = index as u32;
		if !keys.insert(record_key(record)) {
			return Err(AttestationError::Duplicate { index });
		}
		let all = 0..record.request.body.capsules.len();
		check_served(record, worker, policy, period, terms, all)
			.map_err(|fault| AttestationError::Record { index, fault })?;
	}
	let leaves: Vec<Leaf> = in_tree_order(records).iter().map(|(leaf, _)| *leaf).collect();
	let tree = Tree::build(&leaves);
	Ok((tree.omega(), tree.root()))
}

/// Where the Ursula service leaves claims and openings for the activity pallet's off-chain
/// worker (the node's persistent off-chain storage).
pub const OUTBOX_KEY: &[u8] = b"keymarket/activity/outbox";

/// The most duties the off-chain worker submits in one block.
pub const MAX_OUTBOX: usize = 8;

/// An activity duty the Ursula service hands to the off-chain worker, which submits it as the
/// worker's own fee-free transaction.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ActivityDuty<AccountId> {
	/// Claim `omega` requests of `policy` served in `period` (`Activity.claim`).
	Claim {
		worker: AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: [u8; 32],
		signature: crate::crypto::Sr25519Signature,
	},
	/// Open the challenged leaves of that claim (`Activity.open`).
	Open { worker: AccountId, policy: PolicyId, period: Period, openings: Vec<Opening> },
	/// Submit a committee's attestation of `omega` requests (`Activity.attest`).
	Attest {
		worker: AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: [u8; 32],
		round: crate::time::Round,
		signers: crate::gateway::SignerSet,
		signatures: Vec<crate::crypto::Sr25519Signature>,
	},
	/// Claim `omega` requests privately, with the keys' commitments and the proof that they
	/// are distinct (`Activity.claim_private`).
	ClaimPrivate {
		worker: AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: [u8; 32],
		commitments: Vec<[u8; 32]>,
		proof: Vec<u8>,
		signature: crate::crypto::Sr25519Signature,
	},
	/// Open the challenged leaves of a private claim (`Activity.open_private`).
	OpenPrivate {
		worker: AccountId,
		policy: PolicyId,
		period: Period,
		openings: Vec<crate::zk::PrivateOpening>,
	},
}

/// Where a claim is in its life: as the activity pallet stores it and clients see it.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
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
pub enum ClaimState<Balance> {
	/// Committed; to be opened after its beacon block.
	Committed,
	/// Opened and proven: this much was paid.
	Paid(#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))] Balance),
	/// Opened and refuted: nothing paid, the worker reported.
	Refuted,
}

/// A worker's claim, as clients see it.
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
pub struct ClaimView<Balance> {
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub policy: PolicyId,
	pub period: Period,
	pub omega: u32,
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub root: [u8; 32],
	/// The block whose hash is its beacon, and the last block it may be opened in.
	pub beacon_at: u32,
	pub open_until: u32,
	pub state: ClaimState<Balance>,
	/// Made privately (the zero-knowledge scheme): opened with `Activity.open_private`.
	pub private: bool,
}

sp_api::decl_runtime_apis! {
	/// What the Ursula service and integrators read of proofs of served work.
	pub trait ActivityApi<AccountId, Balance>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
	{
		/// `worker`'s claims still kept (the last few periods'), oldest period first.
		fn claims(worker: AccountId) -> Vec<ClaimView<Balance>>;
		/// The leaves `worker` must open for its claim of `policy` and `period`, once its beacon
		/// block is known.
		fn challenged(worker: AccountId, policy: PolicyId, period: Period) -> Option<Vec<u32>>;
		/// How served work is proven now.
		fn scheme() -> ActivityScheme;
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use crate::policies::{ReencryptionRequest, RequestBody, SignedCfrag, WIRE_VERSION};

	pub(crate) fn record(bob: u8, sequence: u64) -> ServedRecord {
		ServedRecord {
			version: WIRE_VERSION,
			request: ReencryptionRequest {
				body: RequestBody {
					version: WIRE_VERSION,
					policy: [7; 16],
					ursula: AccountId::from([1; 32]),
					bob: AccountId::from([bob; 32]),
					sequence,
					capsules: alloc::vec![alloc::vec![2; 98]],
				},
				signature: [3; 64],
				ticket: None,
			},
			served_at: 4,
			cfrags: alloc::vec![SignedCfrag { cfrag: alloc::vec![5; 10], signature: [6; 64] }],
		}
	}

	fn honest(omega: u64) -> (Tree, Vec<(Leaf, Vec<u8>)>) {
		let records: Vec<_> = (0..omega).map(|s| record(2, s)).collect();
		let sorted = in_tree_order(&records);
		let leaves: Vec<Leaf> = sorted.iter().map(|(l, _)| *l).collect();
		(Tree::build(&leaves), sorted)
	}

	#[test]
	fn depth_is_the_ceiling_of_the_logarithm() {
		let depths: Vec<u32> = [0, 1, 2, 3, 4, 5, 1_000, 100_000].map(depth_for).to_vec();
		assert_eq!(depths, vec![0, 0, 1, 2, 2, 3, 10, 17]);
		// Past 2^31 the next power of two does not fit a u32: no overflow, the depth is 32.
		let depths: Vec<u32> = [1 << 31, (1 << 31) + 1, u32::MAX].map(depth_for).to_vec();
		assert_eq!(depths, vec![31, 32, 32]);
	}

	#[test]
	fn every_leaf_of_an_honest_tree_opens_and_each_request_counts_once() {
		for omega in [1u64, 2, 3, 5, 8, 33] {
			let (tree, sorted) = honest(omega);
			assert_eq!(tree.omega() as u64, omega);
			for index in 0..omega as u32 {
				let opening = open(&tree, &sorted, index).unwrap();
				let record = check_opening(&tree.root(), tree.omega(), &opening).unwrap();
				assert_eq!(record.encode(), sorted[index as usize].1);
			}
		}
		// The same request served twice is one leaf.
		let twice = in_tree_order(&[record(2, 1), record(2, 1), record(2, 2)]);
		assert_eq!(twice.len(), 2);
	}

	#[test]
	fn a_duplicated_request_is_caught_beside_its_twin() {
		let (_, mut sorted) = honest(6);
		// The Ursula repeats leaf 2 to claim seven.
		sorted.insert(3, sorted[2].clone());
		let leaves: Vec<Leaf> = sorted.iter().map(|(l, _)| *l).collect();
		let tree = Tree::build(&leaves);
		let opened = |i| check_opening(&tree.root(), 7, &open(&tree, &sorted, i).unwrap());
		assert_eq!(opened(2), Err(OpeningError::OutOfOrder));
		// Its other leaves open: only the challenge that hits the twin's left catches it.
		assert!(opened(3).is_ok() && opened(5).is_ok());
	}

	#[test]
	fn a_record_that_is_not_in_the_tree_or_at_its_place_fails() {
		let (tree, sorted) = honest(5);
		let root = tree.root();
		let good = open(&tree, &sorted, 1).unwrap();
		// A fabricated record in the place of a real one.
		let mut forged = good.clone();
		forged.record = record(9, 1).encode();
		assert_eq!(check_opening(&root, 5, &forged), Err(OpeningError::BadPath));
		// The right record at another index.
		let mut moved = good.clone();
		moved.index = 2;
		assert_eq!(check_opening(&root, 5, &moved), Err(OpeningError::BadPath));
		// Past ω, or a path of another depth (a smaller tree claiming more).
		moved.index = 5;
		assert_eq!(check_opening(&root, 5, &moved), Err(OpeningError::BadIndex));
		assert_eq!(check_opening(&root, 9, &good), Err(OpeningError::BadIndex));
		// No neighbour for an inner leaf; a neighbour for the last one.
		let mut lonely = good.clone();
		lonely.next = None;
		assert_eq!(check_opening(&root, 5, &lonely), Err(OpeningError::NoNeighbour));
		let mut last = open(&tree, &sorted, 4).unwrap();
		last.next = good.next.clone();
		assert_eq!(check_opening(&root, 5, &last), Err(OpeningError::NoNeighbour));
		// Bytes that are not a record, or a record with bytes after it.
		let mut garbage = good.clone();
		garbage.record = vec![1, 2, 3];
		assert_eq!(check_opening(&root, 5, &garbage), Err(OpeningError::MalformedRecord));
		garbage.record = [sorted[1].1.clone(), vec![0]].concat();
		assert_eq!(check_opening(&root, 5, &garbage), Err(OpeningError::MalformedRecord));
	}

	#[test]
	fn challenges_are_distinct_in_range_and_the_beacons_alone() {
		let a = challenges(&[1; 32], 1_000, 64);
		assert_eq!(a.len(), 64);
		assert!(a.windows(2).all(|w| w[0] < w[1]) && a.iter().all(|&i| i < 1_000));
		assert_eq!(a, challenges(&[1; 32], 1_000, 64));
		assert_ne!(a, challenges(&[2; 32], 1_000, 64));
		// Fewer leaves than challenges: every leaf.
		assert_eq!(challenges(&[1; 32], 5, 16), vec![0, 1, 2, 3, 4]);
		assert!(challenges(&[1; 32], 0, 16).is_empty());
	}

	#[test]
	fn the_cheating_bound_holds_over_many_beacons() {
		// A quarter of 64 leaves fabricated; 16 challenges miss them all with probability at
		// most (3/4)^16 ≈ 1 %. Over 2,000 beacons, the fakes escape at most about 20 times.
		let omega = 64u32;
		let fake: BTreeSet<u32> = (0..omega).filter(|i| i % 4 == 1).collect();
		let escaped = (0..2_000u32)
			.filter(|b| {
				let beacon = blake2_256(&b.encode());
				challenges(&beacon, omega, 16).iter().all(|i| !fake.contains(i))
			})
			.count();
		let bound = 2_000.0 * 0.75f64.powi(16);
		assert!((escaped as f64) <= bound + 5.0 * bound.sqrt(), "{escaped} escaped, bound {bound}");
	}
}
