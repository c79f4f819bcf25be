//! What the zero-knowledge scheme's core costs, natively: Pedersen commitments (ristretto255)
//! to an Ursula's ω request keys (64 bits each) in sorted order, and one aggregated bulletproofs
//! range proof that every consecutive difference minus one is in `[0, 2^64)` — so the keys
//! strictly increase and are distinct — without revealing them. The verifier derives each
//! difference's commitment from the keys' commitments (`C[i+1] − C[i] − B`), so the proof is
//! about the committed keys, which the sampled openings of the first scheme would tie to real
//! Bob-signed requests. Measured: the generators, proving, verifying, the proof's bytes and the
//! commitments' bytes a verifier needs, for ω = 16, 1,024 and 16,384 (the proof aggregates a
//! power of two of values, padded). First, the chain's own prover and verifier at the sizes a
//! private claim may have (ω up to 256). Run: `./scripts/bench --zk` (figures in
//! docs/activity.md).

use std::time::Instant;

use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
use curve25519_dalek::{ristretto::RistrettoPoint, scalar::Scalar};
use merlin::Transcript;

fn millis(since: Instant) -> f64 {
	since.elapsed().as_secs_f64() * 1e3
}

/// The chain's own prover and verifier (`keymarket_primitives::zk::native`, what the host
/// function runs, its generators made once) at the sizes a private claim may have.
fn as_the_chain_runs_it() {
	use keymarket_primitives::zk::{self, native};
	println!();
	println!("| ω (private claim) | commitments | prove (ms) | verify, host function (ms) | proof (bytes) |");
	println!("|---|---|---|---|---|");
	// The generators are made at the first verification: not counted.
	let blindings = native::blindings(b"bench", &[0; 16], 0, &[1, 2]);
	let (c, p) =
		native::prove_distinct(&[1, 2], &blindings, |_| [0; 32], &mut rand::thread_rng()).unwrap();
	let flat: Vec<u8> = c.iter().flatten().copied().collect();
	native::verify_distinct(&[0; 32], 2, &flat, &p).unwrap();
	for omega in [16u32, 64, 256] {
		let keys: Vec<u64> = (0..omega as u64).map(|i| i * 7_919 + 11).collect();
		let blindings = native::blindings(b"bench", &[0; 16], 0, &keys);
		let started = Instant::now();
		let (commitments, proof) =
			native::prove_distinct(&keys, &blindings, |_| [1; 32], &mut rand::thread_rng())
				.expect("distinct keys");
		let prove = millis(started);
		let flat: Vec<u8> = commitments.iter().flatten().copied().collect();
		let started = Instant::now();
		native::verify_distinct(&[1; 32], omega, &flat, &proof).expect("an honest proof");
		let verify = millis(started);
		println!(
			"| {omega} | {} | {prove:.0} | {verify:.1} | {} |",
			zk::commitment_count(omega),
			proof.len()
		);
	}
}

fn main() {
	as_the_chain_runs_it();
	let mut rng = rand::thread_rng();
	println!(
		"| ω | values proven | generators (ms) | prove (ms) | verify, native (ms) | proof (bytes) | commitments (bytes) |"
	);
	println!("|---|---|---|---|---|---|---|");
	for omega in [16usize, 1_024, 16_384] {
		let m = (omega - 1).next_power_of_two();
		let started = Instant::now();
		let bp_gens = BulletproofGens::new(64, m);
		let generators = millis(started);
		let pc_gens = PedersenGens::default();
		// Distinct keys, sorted: what an honest Ursula commits to.
		let mut keys: Vec<u64> = Vec::with_capacity(omega);
		while keys.len() < omega {
			keys.push(rand::Rng::gen(&mut rng));
			keys.sort_unstable();
			keys.dedup();
		}
		let blindings: Vec<Scalar> = keys.iter().map(|_| Scalar::random(&mut rng)).collect();
		let commitments: Vec<RistrettoPoint> = keys
			.iter()
			.zip(&blindings)
			.map(|(k, r)| pc_gens.commit(Scalar::from(*k), *r))
			.collect();
		let mut values: Vec<u64> = keys.windows(2).map(|w| w[1] - w[0] - 1).collect();
		let mut blinds: Vec<Scalar> = blindings.windows(2).map(|w| w[1] - w[0]).collect();
		while values.len() < m {
			values.push(0);
			blinds.push(Scalar::random(&mut rng));
		}
		let started = Instant::now();
		let mut transcript = Transcript::new(b"keymarket/activity/zk");
		let (proof, proved) =
			RangeProof::prove_multiple(&bp_gens, &pc_gens, &mut transcript, &values, &blinds, 64)
				.expect("values in range");
		let prove = millis(started);
		let started = Instant::now();
		let mut derived: Vec<_> =
			commitments.windows(2).map(|w| (w[1] - w[0] - pc_gens.B).compress()).collect();
		derived.extend(proved[omega - 1..].iter().copied());
		let mut transcript = Transcript::new(b"keymarket/activity/zk");
		proof
			.verify_multiple(&bp_gens, &pc_gens, &mut transcript, &derived, 64)
			.expect("an honest proof verifies");
		let verify = millis(started);
		assert_eq!(derived[..omega - 1], proved[..omega - 1], "the differences are the keys'");
		// A repeated key's difference minus one is −1, no u64: a cheater can only offer a proof
		// of other values, which does not verify against the keys' differences.
		let mut repeated = values.clone();
		repeated[0] = u64::MAX;
		let mut transcript = Transcript::new(b"keymarket/activity/zk");
		let (forged, _) =
			RangeProof::prove_multiple(&bp_gens, &pc_gens, &mut transcript, &repeated, &blinds, 64)
				.expect("any u64 proves");
		let mut transcript = Transcript::new(b"keymarket/activity/zk");
		assert!(
			forged.verify_multiple(&bp_gens, &pc_gens, &mut transcript, &derived, 64).is_err(),
			"a proof of other values does not verify against the keys' differences"
		);
		let padding = m - (omega - 1);
		println!(
			"| {omega} | {m} | {generators:.0} | {prove:.0} | {verify:.0} | {} | {} |",
			proof.to_bytes().len(),
			(omega + padding) * 32
		);
	}
}
