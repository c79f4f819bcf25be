//! The zero-knowledge scheme of proofs of served work (issue 14, docs/activity.md): an Ursula
//! proves that the ω requests it claims have distinct keys without revealing them.
//!
//! **What is proven.** The Ursula takes the 64-bit prefixes `k[0] < k[1] < … < k[ω−1]` of its
//! claim's request keys ([`key_prefix`], in tree order) and commits to each with Pedersen over
//! ristretto255, `C[i] = k[i]·B + r[i]·B̃`. One aggregated bulletproofs range proof shows that
//! every `k[i+1] − k[i] − 1` lies in `[0, 2^64)`; the verifier derives each difference's
//! commitment itself, `C[i+1] − C[i] − B`, so the proof speaks of the committed keys: they
//! strictly increase, hence are distinct. The range proof aggregates a power of two of values:
//! the prover adds commitments of padding values after the keys' ([`commitment_count`]). The
//! proof's transcript starts with [`private_claim_payload`]'s hash (worker, policy, period, ω,
//! the tree's root, the commitments' root): a proof is good for one claim only.
//!
//! **What is not proven** by the range proof: that a committed key is a real request's, that
//! Bob signed it, or that its fragment is correct. The sampled openings do that as in the
//! first scheme ([`PrivateOpening`], [`check_private_opening`]): an opened leaf's record is
//! judged, and its key's prefix must open `C[index]` with the revealed blinding. A leaf whose
//! record does not open its commitment is refuted, so a fake (a fabricated record, or a real
//! one repeated under another commitment) is caught with the same `(1 − f)^n` bound; keys are
//! distinct for all ω, not only where sampled. Two different requests share a prefix with
//! probability about `ω² / 2^65`: the Ursula then claims one of them.
//!
//! **Where it runs.** The verification is a host function ([`keymarket_zk`]) that the node
//! registers: in wasm it costs many times more (docs/activity.md has both figures). It is
//! deterministic, as consensus needs: the random weight that batches the proof's checks comes
//! from a hash of everything the verifier is given ([`native::VerifierRng`]) — a Fiat–Shamir
//! challenge, fixed once the proof is and unpredictable before it. (A constant weight would be
//! unsound: a zero weight drops the commitments from the check altogether.)

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;
use sp_crypto_hashing::blake2_256;
use sp_runtime_interface::{
	pass_by::{PassFatPointerAndRead, PassPointerAndRead},
	runtime_interface,
};

use crate::{
	activity::{depth_for, root_from_path, Leaf},
	policies::{PolicyId, ServedRecord},
	time::Period,
};

/// The bits of each proven value (a key prefix's difference).
pub const BITS: usize = 64;

/// The most requests a zero-knowledge claim counts: the verifier's work and the claim's bytes
/// grow linearly with ω (docs/activity.md).
pub const MAX_ZK_OMEGA: u32 = 256;

/// The most values one proof aggregates: the differences of [`MAX_ZK_OMEGA`] keys, padded.
pub const MAX_ZK_VALUES: u32 = MAX_ZK_OMEGA;

/// The longest proof: `(2 · log₂(64 · m) + 9) · 32` bytes, 1,184 at m = 256.
pub const MAX_ZK_PROOF: u32 = 1_184;

/// The domain of the proof's transcript.
pub const TRANSCRIPT: &[u8] = b"keymarket/activity/zk";

/// The values a claim of `omega` requests proves: its `ω − 1` differences padded to a power of
/// two (at least one). Past 2^31 differences (far beyond [`MAX_ZK_OMEGA`]) the power of two
/// does not fit a `u32`: the count saturates instead of overflowing (found by the
/// `service_proof` fuzz target).
pub fn proven_values(omega: u32) -> u32 {
	omega.saturating_sub(1).max(1).checked_next_power_of_two().unwrap_or(u32::MAX)
}

/// The commitments a claim of `omega` requests carries: one per key, then one per padding
/// value.
pub fn commitment_count(omega: u32) -> u32 {
	omega.saturating_add(proven_values(omega)).saturating_sub(omega.saturating_sub(1))
}

/// The 64-bit prefix of a request key: the value committed to.
pub fn key_prefix(key: &[u8; 32]) -> u64 {
	u64::from_be_bytes(key[..8].try_into().expect("eight bytes"))
}

/// A commitment's leaf in the commitments' tree.
pub fn commitment_leaf(commitment: &[u8; 32]) -> [u8; 32] {
	blake2_256(&(b"keymarket/activity/zk-commitment", commitment).encode())
}

/// The root of the tree of `commitments` (in order), which the claim stores and openings
/// reach.
pub fn commitments_root(commitments: &[[u8; 32]]) -> [u8; 32] {
	let hashes: Vec<[u8; 32]> = commitments.iter().map(commitment_leaf).collect();
	crate::activity::Tree::of_hashes(hashes).root()
}

/// The path of commitment `index` in the tree of `commitments`.
pub fn commitment_path(commitments: &[[u8; 32]], index: u32) -> Vec<[u8; 32]> {
	let hashes: Vec<[u8; 32]> = commitments.iter().map(commitment_leaf).collect();
	crate::activity::Tree::of_hashes(hashes).path(index)
}

/// The bytes an Ursula signs to claim `omega` distinct requests of `policy` served in `period`
/// privately: its tree's `root` and the root of its commitments (the proof is bound to these
/// bytes by its transcript).
pub fn private_claim_payload(
	worker: &impl Encode,
	policy: &PolicyId,
	period: Period,
	omega: u32,
	root: &[u8; 32],
	commitments_root: &[u8; 32],
) -> Vec<u8> {
	let mut payload = b"keymarket/activity/private-claim/v1".to_vec();
	(worker, policy, period, omega, root, commitments_root).encode_to(&mut payload);
	payload
}

/// One challenged leaf of a private claim opened: the record and its path, as in the first
/// scheme (no neighbour: distinctness is proven), and the commitment at the same index with
/// its path in the commitments' tree and its blinding.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct PrivateOpening {
	pub index: u32,
	pub record: Vec<u8>,
	pub path: Vec<[u8; 32]>,
	pub commitment: [u8; 32],
	pub commitment_path: Vec<[u8; 32]>,
	pub blinding: [u8; 32],
}

/// Why a private opening does not hold.
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
	codec::MaxEncodedLen,
)]
pub enum PrivateOpeningError {
	/// The record is not a SCALE served record.
	MalformedRecord,
	/// The index is not below ω, or a path is not as long as its tree is deep.
	BadIndex,
	/// The record's path does not lead to the claimed root.
	BadPath,
	/// The commitment's path does not lead to the claimed commitments' root.
	BadCommitmentPath,
	/// The record's key prefix and the blinding do not open the commitment.
	NotCommitted,
}

/// The checks of a private opening against a claim of `omega` requests under `root` and
/// `commitments_root`: the record is the tree's leaf at `index`, the commitment is the
/// commitments' at `index`, and the record's key prefix opens it. Returns the record, for the
/// checks of its content.
pub fn check_private_opening(
	root: &[u8; 32],
	commitments_root: &[u8; 32],
	omega: u32,
	opening: &PrivateOpening,
) -> Result<ServedRecord, PrivateOpeningError> {
	let depth = depth_for(omega) as usize;
	let commitment_depth = depth_for(commitment_count(omega)) as usize;
	if opening.index >= omega
		|| opening.path.len() != depth
		|| opening.commitment_path.len() != commitment_depth
	{
		return Err(PrivateOpeningError::BadIndex);
	}
	let record = ServedRecord::decode(&mut &opening.record[..])
		.ok()
		.filter(|r| r.encoded_size() == opening.record.len())
		.ok_or(PrivateOpeningError::MalformedRecord)?;
	let leaf = Leaf::of(&record);
	if root_from_path(leaf.hash(), opening.index, &opening.path) != *root {
		return Err(PrivateOpeningError::BadPath);
	}
	let at = root_from_path(
		commitment_leaf(&opening.commitment),
		opening.index,
		&opening.commitment_path,
	);
	if at != *commitments_root {
		return Err(PrivateOpeningError::BadCommitmentPath);
	}
	if !keymarket_zk::opens(&opening.commitment, key_prefix(&leaf.key), &opening.blinding) {
		return Err(PrivateOpeningError::NotCommitted);
	}
	Ok(record)
}

/// Opens leaf `index` of a private claim (the Ursula's side): `sorted` is the claim's records
/// in tree order (as `activity::in_tree_order` gives them), `commitments` its commitments,
/// `blinding` the commitment's blinding at `index`.
pub fn open_private(
	tree: &crate::activity::Tree,
	sorted: &[(Leaf, Vec<u8>)],
	commitments: &[[u8; 32]],
	index: u32,
	blinding: [u8; 32],
) -> Option<PrivateOpening> {
	let (_, record) = sorted.get(index as usize)?;
	Some(PrivateOpening {
		index,
		record: record.clone(),
		path: tree.path(index),
		commitment: *commitments.get(index as usize)?,
		commitment_path: commitment_path(commitments, index),
		blinding,
	})
}

/// `sorted` (in tree order) without a request whose key prefix repeats the one before it: what
/// a private claim may count (the prefixes must strictly increase).
pub fn distinct_prefixes<T>(mut sorted: Vec<(Leaf, T)>) -> Vec<(Leaf, T)> {
	sorted.dedup_by(|a, b| key_prefix(&a.0.key) == key_prefix(&b.0.key));
	sorted
}

/// The zero-knowledge checks, as host functions the node registers (`HostFunctions`): natively
/// they cost a fraction of what they cost in wasm.
#[runtime_interface]
pub trait KeymarketZk {
	/// Whether `proof` (bytes of a bulletproofs range proof) shows, under a transcript that
	/// starts with `context`, that the `omega` key commitments at the head of `commitments`
	/// (32 bytes each, [`commitment_count`] in all) strictly increase.
	fn verify_distinct(
		context: PassPointerAndRead<&[u8; 32], 32>,
		omega: u32,
		commitments: PassFatPointerAndRead<&[u8]>,
		proof: PassFatPointerAndRead<&[u8]>,
	) -> bool {
		native::verify_distinct(context, omega, commitments, proof).is_ok()
	}

	/// Whether `value` and `blinding` (a canonical scalar) open the Pedersen `commitment`.
	fn opens(
		commitment: PassPointerAndRead<&[u8; 32], 32>,
		value: u64,
		blinding: PassPointerAndRead<&[u8; 32], 32>,
	) -> bool {
		native::opens(commitment, value, blinding)
	}
}

/// The checks and the prover in Rust: what the host functions run natively, and what the
/// benchmarks run inside the wasm runtime to measure it there.
#[cfg(feature = "zk")]
pub mod native {
	use super::*;
	use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
	use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
	pub use curve25519_dalek::scalar::Scalar;
	use merlin::Transcript;

	/// Why a proof does not verify.
	#[derive(Clone, Copy, Debug, PartialEq, Eq)]
	pub enum ZkError {
		/// ω is zero or above [`MAX_ZK_OMEGA`], or the commitments are not
		/// [`commitment_count`] of 32 bytes.
		BadShape,
		/// A commitment is not a point.
		BadCommitment,
		/// The proof's bytes do not parse.
		BadProof,
		/// The proof does not verify against the keys' differences.
		Refuted,
	}

	/// The verifier's randomness: a stream of hashes of everything the verifier is given (the
	/// claim's context, the commitments, the proof). bulletproofs draws from it the weight `c`
	/// that batches the proof's two checks into one; drawn from the whole proof, it is a
	/// Fiat–Shamir challenge: fixed once the proof is, unpredictable to the prover before, the
	/// same on every node. It must not be constant: with `c = 0` the commitments drop out of
	/// the check and any proof of other values verifies.
	pub struct VerifierRng {
		seed: [u8; 32],
		counter: u64,
	}

	impl VerifierRng {
		/// The stream for a proof of `commitments` under `context`.
		pub fn new(context: &[u8; 32], commitments: &[u8], proof: &[u8]) -> Self {
			let seed = sp_crypto_hashing::blake2_256(
				&(b"keymarket/activity/zk-verifier", context, commitments, proof).encode(),
			);
			Self { seed, counter: 0 }
		}
	}

	impl rand_core::RngCore for VerifierRng {
		fn next_u32(&mut self) -> u32 {
			rand_core::impls::next_u32_via_fill(self)
		}
		fn next_u64(&mut self) -> u64 {
			rand_core::impls::next_u64_via_fill(self)
		}
		fn fill_bytes(&mut self, dest: &mut [u8]) {
			for chunk in dest.chunks_mut(32) {
				let block = sp_crypto_hashing::blake2_256(&(self.seed, self.counter).encode());
				self.counter = self.counter.wrapping_add(1);
				chunk.copy_from_slice(&block[..chunk.len()]);
			}
		}
		fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
			self.fill_bytes(dest);
			Ok(())
		}
	}

	impl rand_core::CryptoRng for VerifierRng {}

	/// The bulletproofs generators for up to [`MAX_ZK_VALUES`] values: made once natively
	/// (0.4 s), at each verification in wasm (no place to keep them).
	#[cfg(feature = "std")]
	fn with_generators<R>(values: usize, f: impl FnOnce(&BulletproofGens) -> R) -> R {
		static GENERATORS: std::sync::OnceLock<BulletproofGens> = std::sync::OnceLock::new();
		let _ = values;
		f(GENERATORS.get_or_init(|| BulletproofGens::new(BITS, MAX_ZK_VALUES as usize)))
	}

	#[cfg(not(feature = "std"))]
	fn with_generators<R>(values: usize, f: impl FnOnce(&BulletproofGens) -> R) -> R {
		f(&BulletproofGens::new(BITS, values))
	}

	fn transcript(context: &[u8; 32]) -> Transcript {
		let mut transcript = Transcript::new(TRANSCRIPT);
		transcript.append_message(b"claim", context);
		transcript
	}

	/// The Pedersen commitment to `value` with `blinding`.
	pub fn commit(value: u64, blinding: &Scalar) -> [u8; 32] {
		PedersenGens::default().commit(Scalar::from(value), *blinding).compress().to_bytes()
	}

	/// See [`keymarket_zk::verify_distinct`].
	pub fn verify_distinct(
		context: &[u8; 32],
		omega: u32,
		commitments: &[u8],
		proof: &[u8],
	) -> Result<(), ZkError> {
		if omega == 0
			|| omega > MAX_ZK_OMEGA
			|| commitments.len() != commitment_count(omega) as usize * 32
		{
			return Err(ZkError::BadShape);
		}
		let points: Vec<RistrettoPoint> = commitments
			.chunks_exact(32)
			.map(|c| CompressedRistretto::from_slice(c).ok().and_then(|c| c.decompress()))
			.collect::<Option<_>>()
			.ok_or(ZkError::BadCommitment)?;
		let pc_gens = PedersenGens::default();
		let (keys, padding) = points.split_at(omega as usize);
		let mut values: Vec<CompressedRistretto> =
			keys.windows(2).map(|w| (w[1] - w[0] - pc_gens.B).compress()).collect();
		values.extend(padding.iter().map(|p| p.compress()));
		let mut rng = VerifierRng::new(context, commitments, proof);
		let proof = RangeProof::from_bytes(proof).map_err(|_| ZkError::BadProof)?;
		with_generators(values.len(), |bp_gens| {
			proof.verify_multiple_with_rng(
				bp_gens,
				&pc_gens,
				&mut transcript(context),
				&values,
				BITS,
				&mut rng,
			)
		})
		.map_err(|_| ZkError::Refuted)
	}

	/// See [`keymarket_zk::opens`].
	pub fn opens(commitment: &[u8; 32], value: u64, blinding: &[u8; 32]) -> bool {
		let blinding: Option<Scalar> = Scalar::from_canonical_bytes(*blinding).into();
		blinding.is_some_and(|b| commit(value, &b) == *commitment)
	}

	/// A proof of the shape a claim of `values` proven values carries, which parses and runs
	/// the whole verification but does not verify (every point the base point, every scalar
	/// one): the worst case of a private claim, for the benchmarks.
	pub fn shaped_proof(values: u32) -> Vec<u8> {
		let point = curve25519_dalek::constants::RISTRETTO_BASEPOINT_COMPRESSED.to_bytes();
		let one = Scalar::ONE.to_bytes();
		let rounds = (BITS as u32 * values.max(1)).next_power_of_two().trailing_zeros();
		let mut proof = Vec::new();
		for _ in 0..4 {
			proof.extend_from_slice(&point);
		}
		for _ in 0..3 {
			proof.extend_from_slice(&one);
		}
		for _ in 0..2 * rounds {
			proof.extend_from_slice(&point);
		}
		proof.extend_from_slice(&one);
		proof.extend_from_slice(&one);
		proof
	}

	/// The blindings of a private claim of `keys` (its ω key prefixes, in tree order) of
	/// `policy` and `period` ([`commitment_count`] of them: the keys', then the padding's),
	/// derived from the claim's `secret`: a claim kept across a restart opens with the same
	/// blindings, an opening reveals no other, and a blinding is never reused for another
	/// value (each is bound to its index, ω and the value it hides).
	pub fn blindings(
		secret: &[u8],
		policy: &PolicyId,
		period: Period,
		keys: &[u64],
	) -> Vec<Scalar> {
		let omega = keys.len() as u32;
		let values = keys.iter().copied().chain(core::iter::repeat(0));
		(0..commitment_count(omega))
			.zip(values)
			.map(|(index, value)| {
				let wide = sp_crypto_hashing::blake2_512(
					&(
						b"keymarket/activity/zk-blinding",
						secret,
						policy,
						period,
						omega,
						index,
						value,
					)
						.encode(),
				);
				Scalar::from_bytes_mod_order_wide(&wide)
			})
			.collect()
	}

	/// Makes the generators now, natively, rather than in the first block that verifies a
	/// proof (the node calls it as it starts).
	#[cfg(feature = "std")]
	pub fn warm_up() {
		with_generators(MAX_ZK_VALUES as usize, |_| ());
	}

	/// The commitments to `keys` with the head of `blindings`, then to zero padding values with
	/// the rest: [`commitment_count`] in all. `None` when the blindings are not that many.
	pub fn commitments(keys: &[u64], blindings: &[Scalar]) -> Option<Vec<[u8; 32]>> {
		let omega = u32::try_from(keys.len()).ok()?;
		if blindings.len() != commitment_count(omega) as usize {
			return None;
		}
		let values = keys.iter().copied().chain(core::iter::repeat(0));
		Some(values.zip(blindings).map(|(k, r)| commit(k, r)).collect())
	}

	/// The prover (the Ursula's side): the [`commitments`] to `keys` (strictly increasing) and
	/// the padding values with `blindings`, and the proof under the context `context_of`
	/// makes of the commitments. Deterministic commitments, so that a claim made again after a
	/// crash is the same claim. `None` when the keys do not strictly increase, are none or too
	/// many, or the blindings are not [`commitment_count`].
	pub fn prove_distinct<R: rand_core::RngCore + rand_core::CryptoRng>(
		keys: &[u64],
		blindings: &[Scalar],
		context_of: impl FnOnce(&[[u8; 32]]) -> [u8; 32],
		rng: &mut R,
	) -> Option<(Vec<[u8; 32]>, Vec<u8>)> {
		let omega = u32::try_from(keys.len()).ok()?;
		if omega == 0 || omega > MAX_ZK_OMEGA || keys.windows(2).any(|w| w[0] >= w[1]) {
			return None;
		}
		let commitments = commitments(keys, blindings)?;
		let pc_gens = PedersenGens::default();
		let (key_blindings, padding) = blindings.split_at(keys.len());
		let mut values: Vec<u64> = keys.windows(2).map(|w| w[1] - w[0] - 1).collect();
		let mut blinds: Vec<Scalar> = key_blindings.windows(2).map(|w| w[1] - w[0]).collect();
		values.extend(core::iter::repeat_n(0, padding.len()));
		blinds.extend_from_slice(padding);
		let context = context_of(&commitments);
		let (proof, _) = with_generators(values.len(), |bp_gens| {
			RangeProof::prove_multiple_with_rng(
				bp_gens,
				&pc_gens,
				&mut transcript(&context),
				&values,
				&blinds,
				BITS,
				rng,
			)
		})
		.ok()?;
		Some((commitments, proof.to_bytes()))
	}
}

#[cfg(test)]
mod tests {
	use super::{native::*, *};
	use crate::activity::{in_tree_order, Tree};
	use bulletproofs::RangeProof;
	use curve25519_dalek::ristretto::CompressedRistretto;
	use merlin::Transcript;

	const POLICY: PolicyId = [7; 16];

	fn keys(omega: u64) -> Vec<u64> {
		(0..omega).map(|i| i * 1_000 + 3).collect()
	}

	fn proven(keys: &[u64], context: [u8; 32]) -> (Vec<[u8; 32]>, Vec<u8>) {
		let blindings = blindings(b"secret", &POLICY, 1, keys);
		prove_distinct(keys, &blindings, |_| context, &mut rand::thread_rng()).expect("distinct")
	}

	fn flat(commitments: &[[u8; 32]]) -> Vec<u8> {
		commitments.iter().flatten().copied().collect()
	}

	#[test]
	fn counts_follow_the_power_of_two_padding() {
		let counts: Vec<_> = [1, 2, 3, 4, 5, 17, 129, 256].map(commitment_count).into();
		assert_eq!(counts, vec![2, 2, 3, 5, 5, 17, 129, 257]);
		assert_eq!(proven_values(MAX_ZK_OMEGA), MAX_ZK_VALUES);
		assert_eq!(shaped_proof(MAX_ZK_VALUES).len() as u32, MAX_ZK_PROOF);
	}

	#[test]
	fn distinct_keys_prove_and_verify_under_their_context_only() {
		for omega in [1, 2, 3, 9] {
			let (commitments, proof) = proven(&keys(omega), [1; 32]);
			assert_eq!(commitments.len() as u32, commitment_count(omega as u32));
			assert!(proof.len() as u32 <= MAX_ZK_PROOF);
			let c = flat(&commitments);
			assert_eq!(verify_distinct(&[1; 32], omega as u32, &c, &proof), Ok(()));
			assert!(keymarket_zk::verify_distinct(&[1; 32], omega as u32, &c, &proof));
			// Another claim's context, or another ω (the claim's context binds ω too).
			assert_eq!(verify_distinct(&[2; 32], omega as u32, &c, &proof), Err(ZkError::Refuted));
			assert!(verify_distinct(&[1; 32], omega as u32 + 1, &c, &proof).is_err());
		}
	}

	#[test]
	fn a_repeated_or_decreasing_key_cannot_be_proven() {
		let blindings = blindings(b"secret", &POLICY, 1, &[5, 6, 9]);
		for bad in [[5, 5, 9], [9, 5, 12]] {
			assert!(
				prove_distinct(&bad, &blindings, |_| [1; 32], &mut rand::thread_rng()).is_none()
			);
		}
		// The commitments to a repeated key with the proof of distinct values: refuted.
		let (mut commitments, proof) = proven(&[5, 6, 9], [1; 32]);
		commitments[1] = commit(5, &blindings[1]);
		assert_eq!(
			verify_distinct(&[1; 32], 3, &flat(&commitments), &proof),
			Err(ZkError::Refuted)
		);
	}

	/// A prover that puts commitments of its choice in the transcript but proves other values
	/// (bulletproofs' own multi-party prover, the value commitments swapped in transit): the
	/// attack a constant verifier weight would let through, as the weight then drops the value
	/// commitments from the check.
	#[test]
	fn a_proof_of_other_values_over_chosen_commitments_does_not_verify() {
		use bulletproofs::{
			range_proof_mpc::{dealer::Dealer, party::Party},
			BulletproofGens, PedersenGens,
		};
		// The cheater's commitments: the same key twice (one request claimed as two).
		let keys = [5u64, 5];
		let blindings = blindings(b"secret", &POLICY, 1, &keys);
		let commitments = native::commitments(&keys, &blindings).unwrap();
		let points: Vec<curve25519_dalek::ristretto::RistrettoPoint> = commitments
			.iter()
			.map(|c| CompressedRistretto::from_slice(c).unwrap().decompress().unwrap())
			.collect();
		let pc_gens = PedersenGens::default();
		let target = [(points[1] - points[0] - pc_gens.B).compress()];
		// A proof of the value 7 whose transcript carries the target commitment instead.
		let bp_gens = BulletproofGens::new(BITS, 1);
		let mut rng = rand::thread_rng();
		let mut transcript = Transcript::new(TRANSCRIPT);
		transcript.append_message(b"claim", &[1; 32]);
		let dealer = Dealer::new(&bp_gens, &pc_gens, &mut transcript, BITS, 1).unwrap();
		let party = Party::new(&bp_gens, &pc_gens, 7, Scalar::random(&mut rng), BITS).unwrap();
		let (party, bit_commitment) = party.assign_position_with_rng(0, &mut rng).unwrap();
		let mut swapped = serde_json::to_value(bit_commitment).unwrap();
		swapped["V_j"] = serde_json::to_value(target[0]).unwrap();
		let bit_commitment = serde_json::from_value(swapped).unwrap();
		let (dealer, bit_challenge) = dealer.receive_bit_commitments(vec![bit_commitment]).unwrap();
		let (party, poly_commitment) = party.apply_challenge_with_rng(&bit_challenge, &mut rng);
		let (dealer, poly_challenge) =
			dealer.receive_poly_commitments(vec![poly_commitment]).unwrap();
		let share = party.apply_challenge(&poly_challenge).unwrap();
		let forged = dealer.receive_trusted_shares(&[share]).unwrap().to_bytes();
		// Checked with a zero weight, as a constant verifier RNG gave, it passes.
		let mut zero_weight = Transcript::new(TRANSCRIPT);
		zero_weight.append_message(b"claim", &[1; 32]);
		let proof = RangeProof::from_bytes(&forged).unwrap();
		assert!(
			proof
				.verify_multiple_with_rng(
					&bp_gens,
					&pc_gens,
					&mut zero_weight,
					&target,
					BITS,
					&mut ZeroRng,
				)
				.is_ok(),
			"the attack works against a constant weight"
		);
		// The chain's verifier refuses it.
		assert_eq!(
			verify_distinct(&[1; 32], 2, &flat(&commitments), &forged),
			Err(ZkError::Refuted)
		);
	}

	/// A constant (zero) randomness source: what the verifier must not use.
	struct ZeroRng;

	impl rand_core::RngCore for ZeroRng {
		fn next_u32(&mut self) -> u32 {
			0
		}
		fn next_u64(&mut self) -> u64 {
			0
		}
		fn fill_bytes(&mut self, dest: &mut [u8]) {
			dest.fill(0)
		}
		fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
			dest.fill(0);
			Ok(())
		}
	}

	impl rand_core::CryptoRng for ZeroRng {}

	#[test]
	fn malformed_inputs_are_refused_not_panicked_on() {
		let (commitments, proof) = proven(&keys(4), [1; 32]);
		let c = flat(&commitments);
		assert_eq!(verify_distinct(&[1; 32], 0, &c, &proof), Err(ZkError::BadShape));
		assert_eq!(verify_distinct(&[1; 32], MAX_ZK_OMEGA + 1, &c, &proof), Err(ZkError::BadShape));
		assert_eq!(verify_distinct(&[1; 32], 4, &c[1..], &proof), Err(ZkError::BadShape));
		let mut junk = c.clone();
		junk[..32].fill(0xff);
		assert_eq!(verify_distinct(&[1; 32], 4, &junk, &proof), Err(ZkError::BadCommitment));
		assert_eq!(verify_distinct(&[1; 32], 4, &c, &proof[1..]), Err(ZkError::BadProof));
		assert_eq!(verify_distinct(&[1; 32], 4, &c, &[]), Err(ZkError::BadProof));
		// A proof of the right shape that proves nothing runs the whole check and fails.
		let shaped = shaped_proof(proven_values(4));
		assert_eq!(verify_distinct(&[1; 32], 4, &c, &shaped), Err(ZkError::Refuted));
	}

	#[test]
	fn a_commitment_opens_to_its_value_and_blinding_only() {
		let rs = blindings(b"secret", &POLICY, 1, &[42, 43]);
		let c = commit(42, &rs[0]);
		assert!(opens(&c, 42, &rs[0].to_bytes()));
		assert!(!opens(&c, 43, &rs[0].to_bytes()));
		assert!(!opens(&c, 42, &rs[1].to_bytes()));
		// A non-canonical scalar is no blinding.
		assert!(!opens(&c, 42, &[0xff; 32]));
	}

	#[test]
	fn an_opening_ties_the_record_to_the_commitment_at_its_index() {
		let records: Vec<_> = (0..5).map(|s| crate::activity::tests::record(2, s)).collect();
		let sorted = distinct_prefixes(in_tree_order(&records));
		let leaves: Vec<Leaf> = sorted.iter().map(|(l, _)| *l).collect();
		let tree = Tree::build(&leaves);
		let keys: Vec<u64> = leaves.iter().map(|l| key_prefix(&l.key)).collect();
		let blindings = blindings(b"secret", &POLICY, 1, &keys);
		let commitments = native::commitments(&keys, &blindings).unwrap();
		let croot = commitments_root(&commitments);
		for index in 0..5 {
			let opening = open_private(
				&tree,
				&sorted,
				&commitments,
				index,
				blindings[index as usize].to_bytes(),
			)
			.unwrap();
			assert!(check_private_opening(&tree.root(), &croot, 5, &opening).is_ok());
			let mut shifted = opening.clone();
			shifted.blinding = blindings[(index as usize + 1) % 5].to_bytes();
			assert_eq!(
				check_private_opening(&tree.root(), &croot, 5, &shifted),
				Err(PrivateOpeningError::NotCommitted)
			);
			let mut elsewhere = opening.clone();
			elsewhere.commitment = commitments[(index as usize + 1) % 5];
			assert_eq!(
				check_private_opening(&tree.root(), &croot, 5, &elsewhere),
				Err(PrivateOpeningError::BadCommitmentPath)
			);
		}
	}
}
