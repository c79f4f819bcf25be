//! Benchmarks of the activity pallet, worst cases: a claim of the most requests, and openings
//! of records with the most capsules, each path, Bob's signature and one fragment judged.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::RawOrigin;
use keymarket_primitives::{
	activity::{attestation_payload, claim_payload, in_tree_order, open as open_leaf, Leaf, Tree},
	policies::{
		fixture::{CAPSULE, CORRECT_CFRAG},
		ReencryptionRequest, RequestBody, ServedRecord, SignedCfrag, MAX_CAPSULES_PER_REQUEST,
		WIRE_VERSION,
	},
	staking::WORKER_KEY_TYPE,
	zk,
};

use crate::*;

/// The period claimed; the chain is in the next.
const PERIOD: Period = 3;

/// A key in the keystore and its account.
fn key<T: Config>() -> (sp_core::sr25519::Public, T::AccountId) {
	let key = sp_io::crypto::sr25519_generate(WORKER_KEY_TYPE, None);
	let account = T::AccountId::decode(&mut &key.0[..]).expect("an account is 32 bytes");
	(key, account)
}

/// A worker serving a policy of Bob's, in the period after [`PERIOD`]: the worker, its signing
/// key, the policy, Bob's key.
fn scene<T: Config>() -> (T::AccountId, sp_core::sr25519::Public, PolicyId, sp_core::sr25519::Public)
{
	let (signing, _) = key::<T>();
	let (bob_key, bob) = key::<T>();
	let (worker, policy) = T::BenchmarkHelper::worker_and_policy(signing.0, bob);
	T::BenchmarkHelper::go_to_period(PERIOD + 1);
	(worker, signing, policy, bob_key)
}

/// Bob's request `sequence` of the most capsules, served by `worker` in [`PERIOD`].
fn record<T: Config>(
	worker: &T::AccountId,
	policy: PolicyId,
	bob: &sp_core::sr25519::Public,
	sequence: u64,
) -> ServedRecord {
	let capsules = MAX_CAPSULES_PER_REQUEST as usize;
	let body = RequestBody {
		version: WIRE_VERSION,
		policy,
		ursula: keymarket_primitives::AccountId::decode(&mut &worker.encode()[..])
			.expect("an account is 32 bytes"),
		bob: keymarket_primitives::AccountId::from(bob.0),
		sequence,
		capsules: alloc::vec![CAPSULE.to_vec(); capsules],
	};
	let signature = sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, bob, &body.signing_payload())
		.expect("Bob's key is in the keystore");
	let cfrag = SignedCfrag { cfrag: CORRECT_CFRAG.to_vec(), signature: [0; 64] };
	ServedRecord {
		version: WIRE_VERSION,
		request: ReencryptionRequest { body, signature: signature.0, ticket: None },
		served_at: PERIOD,
		cfrags: alloc::vec![cfrag; capsules],
	}
}

/// A private claim's ω, commitments and a proof of the right shape that does not verify, for
/// at least `c` commitments: ω a power of two, whose claim carries ω + 1 commitments (`c − 1`
/// rounded up to a power of two, at most `MAX_ZK_OMEGA`).
fn shaped_claim(c: u32) -> (u32, Vec<[u8; 32]>, Vec<u8>) {
	let omega = c.saturating_sub(1).max(1).next_power_of_two().min(zk::MAX_ZK_OMEGA);
	let keys: Vec<u64> = (0..u64::from(omega)).collect();
	let blindings = zk::native::blindings(b"bench", &[0; 16], 0, &keys);
	let commitments = zk::native::commitments(&keys, &blindings).expect("as many blindings");
	(omega, commitments, zk::native::shaped_proof(zk::proven_values(omega)))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn claim() {
		let (worker, signing, policy, _) = scene::<T>();
		let (omega, root) = (T::MaxOmega::get(), [1; 32]);
		let payload = claim_payload(&worker, &policy, PERIOD, omega, &root);
		let signature = sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, &signing, &payload)
			.expect("the key is in the keystore");

		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), policy, PERIOD, omega, root, signature.0);

		assert!(Claims::<T>::contains_key(&worker, (policy, PERIOD)));
	}

	/// `n` leaves opened (a claim of `n` requests, each opened), each a record of the most
	/// capsules: every path, Bob's signature of each, one fragment of each judged, the pay.
	#[benchmark]
	fn open(n: Linear<1, { T::Challenges::get() }>) {
		let (worker, signing, policy, bob) = scene::<T>();
		let records: Vec<ServedRecord> =
			(0..n as u64).map(|s| record::<T>(&worker, policy, &bob, s)).collect();
		let sorted = in_tree_order(&records);
		let leaves: Vec<Leaf> = sorted.iter().map(|(l, _)| *l).collect();
		let tree = Tree::build(&leaves);
		let (omega, root) = (tree.omega(), tree.root());
		let payload = claim_payload(&worker, &policy, PERIOD, omega, &root);
		let signature = sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, &signing, &payload)
			.expect("the key is in the keystore");
		Pallet::<T>::do_claim(&worker, policy, PERIOD, omega, root, &signature.0)
			.expect("a good claim");
		let beacon_at = Claims::<T>::get(&worker, (policy, PERIOD)).expect("claimed").beacon_at;
		// The beacon block is past and known.
		frame_system::BlockHash::<T>::insert(
			frame_system::pallet_prelude::BlockNumberFor::<T>::from(beacon_at),
			T::Hash::decode(&mut &[7u8; 32][..]).expect("a 32-byte hash"),
		);
		frame_system::Pallet::<T>::set_block_number((beacon_at + 1).into());
		let challenged =
			Pallet::<T>::challenged(&worker, policy, PERIOD).expect("the beacon is drawn");
		let openings: Vec<OpeningOf<T>> = challenged
			.iter()
			.map(|i| {
				let o = open_leaf(&tree, &sorted, *i).expect("a leaf");
				BoundedOpening {
					index: o.index,
					record: o.record.try_into().expect("a record within MaxRecordLen"),
					path: o.path.try_into().expect("a path within the depth"),
					next: o.next.map(|(l, p)| (l, p.try_into().expect("a path"))),
				}
			})
			.collect();
		let openings: Openings<T> = openings.try_into().expect("at most Challenges");

		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), policy, PERIOD, openings);

		let status = Claims::<T>::get(&worker, (policy, PERIOD)).expect("claimed").status;
		assert!(matches!(status, ClaimStatus::Paid(_)), "proven");
	}

	#[benchmark]
	fn set_scheme() {
		#[extrinsic_call]
		_(RawOrigin::Root, ActivityScheme::Committee);

		assert_eq!(Scheme::<T>::get(), ActivityScheme::Committee);
	}

	/// An attestation of the most requests with `s` committee signatures, each checked, and
	/// the pay.
	#[benchmark]
	fn attest(s: Linear<1, { keymarket_primitives::gateway::MAX_GATEWAYS }>) {
		let (worker, _, policy, _) = scene::<T>();
		Scheme::<T>::put(ActivityScheme::Committee);
		let members: Vec<(sp_core::sr25519::Public, T::AccountId)> =
			(0..s).map(|_| key::<T>()).collect();
		let round = T::BenchmarkHelper::committee(
			members.iter().map(|(key, account)| (account.clone(), key.0)).collect(),
			s,
		);
		let (omega, root) = (T::MaxOmega::get(), [1; 32]);
		let payload = attestation_payload(&worker, &policy, PERIOD, omega, &root, round);
		let signatures: Vec<_> = members
			.iter()
			.map(|(key, _)| {
				sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, key, &payload)
					.expect("the key is in the keystore")
					.0
			})
			.collect();
		let indices: Vec<u32> = (0..s).collect();
		let signatures: Attestations = signatures.try_into().expect("at most MAX_GATEWAYS");

		#[extrinsic_call]
		_(
			RawOrigin::Signed(worker.clone()),
			policy,
			PERIOD,
			omega,
			root,
			round,
			SignerSet::of(&indices),
			signatures,
		);

		let status = Claims::<T>::get(&worker, (policy, PERIOD)).expect("attested").status;
		assert!(matches!(status, ClaimStatus::Paid(_)), "paid");
	}

	/// A private claim with `c` commitments (rounded up to the next a claim can carry: a
	/// power of two and one) whose proof has the right shape but does not verify: every
	/// check, the signature, the commitments' tree, the whole verification by the host
	/// function, then the refutation and the report — the worst case.
	#[benchmark]
	fn claim_private(c: Linear<2, { zk::MAX_ZK_OMEGA + 1 }>) {
		let (worker, signing, policy, _) = scene::<T>();
		Scheme::<T>::put(ActivityScheme::ZeroKnowledge);
		let (omega, commitments, proof) = shaped_claim(c);
		let root = [1; 32];
		let payload = zk::private_claim_payload(
			&worker,
			&policy,
			PERIOD,
			omega,
			&root,
			&zk::commitments_root(&commitments),
		);
		let signature = sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, &signing, &payload)
			.expect("the key is in the keystore");
		let commitments: Commitments = commitments.try_into().expect("at most the bound");
		let proof: ZkProof = proof.try_into().expect("at most MAX_ZK_PROOF");

		#[extrinsic_call]
		_(
			RawOrigin::Signed(worker.clone()),
			policy,
			PERIOD,
			omega,
			root,
			commitments,
			proof,
			signature.0,
		);

		let status = Claims::<T>::get(&worker, (policy, PERIOD)).expect("claimed").status;
		assert_eq!(status, ClaimStatus::Refuted, "the shaped proof does not verify");
	}

	/// The same verification as [`claim_private`]'s, run inside the runtime (wasm when the
	/// node benchmarks it) instead of by the host function: what the host function saves.
	/// Charged by no call.
	#[benchmark]
	fn verify_in_runtime(c: Linear<2, { zk::MAX_ZK_OMEGA + 1 }>) {
		let (omega, commitments, proof) = shaped_claim(c);
		let flat: Vec<u8> = commitments.iter().flatten().copied().collect();
		let verified;

		#[block]
		{
			verified = zk::native::verify_distinct(&[1; 32], omega, &flat, &proof);
		}

		assert_eq!(verified, Err(zk::native::ZkError::Refuted), "the whole check ran");
	}

	/// `n` leaves of a private claim opened, each a record of the most capsules: as `open`,
	/// and each commitment's path and opening.
	#[benchmark]
	fn open_private(n: Linear<1, { T::Challenges::get() }>) {
		let (worker, _, policy, bob) = scene::<T>();
		let records: Vec<ServedRecord> =
			(0..n as u64).map(|s| record::<T>(&worker, policy, &bob, s)).collect();
		let sorted = zk::distinct_prefixes(in_tree_order(&records));
		let leaves: Vec<Leaf> = sorted.iter().map(|(l, _)| *l).collect();
		let tree = Tree::build(&leaves);
		let omega = tree.omega();
		let keys: Vec<u64> = leaves.iter().map(|leaf| zk::key_prefix(&leaf.key)).collect();
		let blindings = zk::native::blindings(b"bench", &policy, PERIOD, &keys);
		let commitments = zk::native::commitments(&keys, &blindings).expect("as many blindings");
		Pallet::<T>::store_claim(&worker, policy, PERIOD, omega, tree.root());
		PrivateClaims::<T>::insert(&worker, (policy, PERIOD), zk::commitments_root(&commitments));
		let beacon_at = Claims::<T>::get(&worker, (policy, PERIOD)).expect("claimed").beacon_at;
		frame_system::BlockHash::<T>::insert(
			frame_system::pallet_prelude::BlockNumberFor::<T>::from(beacon_at),
			T::Hash::decode(&mut &[7u8; 32][..]).expect("a 32-byte hash"),
		);
		frame_system::Pallet::<T>::set_block_number((beacon_at + 1).into());
		let challenged =
			Pallet::<T>::challenged(&worker, policy, PERIOD).expect("the beacon is drawn");
		let openings: Vec<PrivateOpeningOf<T>> = challenged
			.iter()
			.map(|i| {
				let blinding = blindings[*i as usize].to_bytes();
				let o =
					zk::open_private(&tree, &sorted, &commitments, *i, blinding).expect("a leaf");
				BoundedPrivateOpening {
					index: o.index,
					record: o.record.try_into().expect("a record within MaxRecordLen"),
					path: o.path.try_into().expect("a path within the depth"),
					commitment: o.commitment,
					commitment_path: o.commitment_path.try_into().expect("a path"),
					blinding: o.blinding,
				}
			})
			.collect();
		let openings: PrivateOpenings<T> = openings.try_into().expect("at most Challenges");

		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), policy, PERIOD, openings);

		let status = Claims::<T>::get(&worker, (policy, PERIOD)).expect("claimed").status;
		assert!(matches!(status, ClaimStatus::Paid(_)), "proven");
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::tests::mock::new_bench_ext(),
		crate::tests::mock::Test
	);
}
