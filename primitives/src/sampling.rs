//! Randomness beacon and sampling: the one implementation that the runtime, the node and the
//! clients share (DESIGN.md section 5).
//!
//! - The beacon of a round is the hash of a block that was already final when the round began,
//!   hashed once more: [`beacon`].
//! - Iterative hashing turns the beacon into a stream of hashes: `h1 = H(beacon)`,
//!   `h(j+1) = H(h_j)`, with `H` = BLAKE2b-256: [`HashChain`].
//! - [`sample_weighted`] maps each hash to a point on the cumulative stake line of the candidates
//!   still in the draw and takes the candidate under it; a drawn candidate leaves the line, so the
//!   result is `n` distinct candidates after exactly `n` hashes. This is sampling without
//!   replacement with probabilities proportional to stake — the same distribution as redrawing on
//!   repeats, but with a bounded number of steps however skewed the stakes are.
//! - [`sample_uniform`] is the same with equal weights.

use alloc::vec::Vec;
use sp_crypto_hashing::blake2_256;

/// The beacon of a round, from the hash of a block that was final when the round began.
pub fn beacon(final_block_hash: &[u8; 32]) -> [u8; 32] {
	blake2_256(final_block_hash)
}

/// The endless chain of hashes `H(seed), H(H(seed)), ...`.
#[derive(Clone, Debug)]
pub struct HashChain {
	current: [u8; 32],
}

impl HashChain {
	/// A chain that starts after `seed`: the first item is `H(seed)`.
	pub fn new(seed: [u8; 32]) -> Self {
		Self { current: seed }
	}
}

impl Iterator for HashChain {
	type Item = [u8; 32];

	fn next(&mut self) -> Option<[u8; 32]> {
		self.current = blake2_256(&self.current);
		Some(self.current)
	}
}

/// Why a sample could not be drawn.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	scale_info::TypeInfo,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize))]
pub enum SamplingError {
	/// Fewer candidates with non-zero weight than the sample size.
	NotEnoughCandidates,
	/// The weights add up to more than `u128` holds.
	WeightOverflow,
}

/// A point in `[0, total)` from a hash: the first 16 bytes as a little-endian integer, reduced.
/// The bias of the reduction is below `total / 2^128`, negligible for any real stake.
fn point_below(hash: &[u8; 32], total: u128) -> u128 {
	let mut bytes = [0u8; 16];
	bytes.copy_from_slice(&hash[..16]);
	u128::from_le_bytes(bytes) % total
}

/// Draws `n` distinct indices of `weights`, each with probability proportional to its weight
/// among those not yet drawn, driven by the hash chain of `seed`. Zero weights are never drawn.
///
/// Cost: `O(n · len)` additions and `n` hashes.
pub fn sample_weighted(
	seed: [u8; 32],
	weights: &[u128],
	n: usize,
) -> Result<Vec<u32>, SamplingError> {
	let candidates = weights.iter().filter(|w| **w > 0).count();
	if candidates < n {
		return Err(SamplingError::NotEnoughCandidates);
	}
	let mut remaining: Vec<u128> = weights.to_vec();
	let mut total = remaining
		.iter()
		.try_fold(0u128, |acc, w| acc.checked_add(*w))
		.ok_or(SamplingError::WeightOverflow)?;
	let mut chosen = Vec::with_capacity(n);
	for hash in HashChain::new(seed).take(n) {
		let mut point = point_below(&hash, total);
		let index = remaining
			.iter()
			.position(|w| {
				if point < *w {
					true
				} else {
					point -= *w;
					false
				}
			})
			.expect("point < total = sum of remaining weights; qed");
		total -= remaining[index];
		remaining[index] = 0;
		chosen.push(index as u32);
	}
	Ok(chosen)
}

/// Draws `n` distinct indices out of `0..len`, uniformly, driven by the hash chain of `seed`.
pub fn sample_uniform(seed: [u8; 32], len: usize, n: usize) -> Result<Vec<u32>, SamplingError> {
	let weights: Vec<u128> = core::iter::repeat_n(1, len).collect();
	sample_weighted(seed, &weights, n)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_hash_chain_iterates_blake2() {
		let mut chain = HashChain::new([7; 32]);
		let h1 = chain.next().unwrap();
		assert_eq!(h1, blake2_256(&[7; 32]));
		assert_eq!(chain.next().unwrap(), blake2_256(&h1));
	}

	#[test]
	fn a_sample_is_distinct_deterministic_and_skips_zero_stake() {
		let weights = [5, 0, 10, 1, 0, 7];
		let a = sample_weighted([1; 32], &weights, 4).unwrap();
		let b = sample_weighted([1; 32], &weights, 4).unwrap();
		assert_eq!(a, b);
		let mut sorted = a.clone();
		sorted.sort();
		assert_eq!(sorted, vec![0, 2, 3, 5], "all four staked candidates, none without stake");
	}

	#[test]
	fn too_few_staked_candidates_is_an_error() {
		assert_eq!(
			sample_weighted([0; 32], &[1, 0, 1], 3),
			Err(SamplingError::NotEnoughCandidates)
		);
		assert_eq!(sample_uniform([0; 32], 2, 3), Err(SamplingError::NotEnoughCandidates));
	}

	#[test]
	fn overflowing_weights_are_an_error() {
		assert_eq!(
			sample_weighted([0; 32], &[u128::MAX, 1], 1),
			Err(SamplingError::WeightOverflow)
		);
	}

	#[test]
	fn the_first_draw_follows_stake() {
		// Over many seeds, a candidate with 3/4 of the stake is drawn first about 3/4 of the time.
		let weights = [3_000u128, 1_000];
		let trials = 4_000u32;
		let heavy = (0..trials)
			.filter(|i| {
				let seed = blake2_256(&i.to_le_bytes());
				sample_weighted(seed, &weights, 1).unwrap()[0] == 0
			})
			.count() as f64;
		let share = heavy / trials as f64;
		assert!((0.72..0.78).contains(&share), "share of the heavy candidate: {share}");
	}

	#[test]
	fn uniform_samples_cover_the_list() {
		let mut seen = [0u32; 10];
		for i in 0u32..2_000 {
			for index in sample_uniform(blake2_256(&i.to_le_bytes()), 10, 3).unwrap() {
				seen[index as usize] += 1;
			}
		}
		// 600 draws per candidate expected.
		assert!(seen.iter().all(|count| (480..720).contains(count)), "{seen:?}");
	}
}
