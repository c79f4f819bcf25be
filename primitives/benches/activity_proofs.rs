//! What a proof of served work by commit, challenge and open costs the Ursula and weighs on the
//! chain, for ω = 10, 1,000 and 100,000 requests and n = 16 and 64 challenges: the Ursula's
//! proving time (leaves hashed from its records, the tree built, the openings made), the sizes
//! of the claim and of the opening transaction's payload, and the native time of the structural
//! checks of the openings (the runtime's weights, from its wasm benchmarks, are in
//! docs/activity.md). Records are real-sized: one capsule (105 bytes) answered with one
//! fragment (381 bytes) and its signature, as Bob's client asks; and the largest, 32 of each.
//! Run: `./scripts/bench --activity` (figures in docs/activity.md).

use std::time::Instant;

use codec::Encode;
use keymarket_primitives::{
	activity::{challenges, check_opening, in_tree_order, open, Leaf, Tree},
	policies::{
		fixture::{CAPSULE, CORRECT_CFRAG},
		ReencryptionRequest, RequestBody, ServedRecord, SignedCfrag, WIRE_VERSION,
	},
	AccountId,
};

fn record(sequence: u64, capsules: usize) -> ServedRecord {
	ServedRecord {
		version: WIRE_VERSION,
		request: ReencryptionRequest {
			body: RequestBody {
				version: WIRE_VERSION,
				policy: [7; 16],
				ursula: AccountId::from([1; 32]),
				bob: AccountId::from([2; 32]),
				sequence,
				capsules: vec![CAPSULE.to_vec(); capsules],
			},
			signature: [3; 64],
			ticket: None,
		},
		served_at: 9,
		cfrags: vec![SignedCfrag { cfrag: CORRECT_CFRAG.to_vec(), signature: [4; 64] }; capsules],
	}
}

fn millis(since: Instant) -> f64 {
	since.elapsed().as_secs_f64() * 1e3
}

fn main() {
	println!(
		"| ω | capsules a request | n | prove: leaves + tree (ms) | openings (ms) | claim (bytes) | openings (bytes) | check, native (ms) |"
	);
	println!("|---|---|---|---|---|---|---|---|");
	for omega in [10u64, 1_000, 100_000] {
		for capsules in [1usize, 32] {
			if capsules == 32 && omega == 100_000 {
				// 100,000 records of 32 capsules are 1.7 GB: a period's log, not a benchmark.
				continue;
			}
			let records: Vec<ServedRecord> = (0..omega).map(|s| record(s, capsules)).collect();
			let started = Instant::now();
			let sorted = in_tree_order(&records);
			let leaves: Vec<Leaf> = sorted.iter().map(|(leaf, _)| *leaf).collect();
			let tree = Tree::build(&leaves);
			let prove = millis(started);
			// The claim: policy, period, ω, root, signature.
			let claim = ([7u8; 16], 9u32, omega as u32, tree.root(), [0u8; 64]).encode().len();
			for n in [16u32, 64] {
				let indices = challenges(&[5; 32], tree.omega(), n);
				let started = Instant::now();
				let openings: Vec<_> =
					indices.iter().map(|i| open(&tree, &sorted, *i).expect("a leaf")).collect();
				let opened = millis(started);
				let size = openings.encode().len();
				let started = Instant::now();
				for opening in &openings {
					check_opening(&tree.root(), tree.omega(), opening).expect("an honest opening");
				}
				let checked = millis(started);
				println!(
					"| {omega} | {capsules} | {n} | {prove:.1} | {opened:.2} | {claim} | {size} | {checked:.2} |"
				);
			}
		}
	}
}
