//! v2 benchmarks, each in its worst case: a proof with `s` real sr25519 gateway signatures and
//! Bob's, an answer of `c` real capsule fragments judged with umbral-pre that reports `g`
//! gateways, a round's draw of `n` gateways from a full candidate line, and the close of a case
//! against an Ursula serving `p` policies.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_benchmarking::v2::*;
use frame_support::{traits::Get, BoundedVec};
use frame_system::RawOrigin;
use keymarket_primitives::{
	gateway::{
		claim_signing_payload, ClaimKind, Complaint, ComplaintBody, SignerSet, GATEWAY_VERSION,
		MAX_GATEWAYS,
	},
	policies::{ReencryptionRequest, RequestBody, WIRE_VERSION},
	staking::WORKER_KEY_TYPE,
};

pub use keymarket_primitives::policies::fixture;

use crate::*;

/// The round the benchmarks run in: far enough from genesis for every window.
const ROUND: Round = 40;

/// Bob: an sr25519 key in the keystore and its account.
fn bob<T: Config>() -> (sp_core::sr25519::Public, T::AccountId) {
	let key = sp_io::crypto::sr25519_generate(WORKER_KEY_TYPE, None);
	let account = T::AccountId::decode(&mut &key.0[..]).expect("an account is 32 bytes");
	(key, account)
}

/// `count` active Ursulas as the gateways of [`ROUND`], each with its signing key in the
/// keystore, then the accused (active, not a gateway) serving a policy of Bob's.
fn round_with_accused<T: Config>(
	count: u32,
	policies: u32,
) -> (Vec<(T::AccountId, sp_core::sr25519::Public)>, T::AccountId, PolicyId, sp_core::sr25519::Public)
{
	T::BenchmarkHelper::go_to_round(ROUND);
	let gateways: Vec<_> = (0..count)
		.map(|i| {
			let key = sp_io::crypto::sr25519_generate(WORKER_KEY_TYPE, None);
			(T::BenchmarkHelper::active_ursula(i, key.0), key)
		})
		.collect();
	let accused_key = sp_io::crypto::sr25519_generate(WORKER_KEY_TYPE, None);
	let accused = T::BenchmarkHelper::active_ursula(count, accused_key.0);
	let (bob_key, bob) = bob::<T>();
	let policy = T::BenchmarkHelper::policy_of(&accused, &bob, policies);
	let list: BoundedVec<_, _> = gateways
		.iter()
		.map(|(worker, key)| Gateway { worker: worker.clone(), signing_key: key.0 })
		.collect::<Vec<_>>()
		.try_into()
		.expect("at most MAX_GATEWAYS");
	Rounds::<T>::insert(ROUND, RoundGateways { seed: [0; 32], gateways: list, threshold: count });
	(gateways, accused, policy, bob_key)
}

/// Bob's request to `accused` of `capsules` copies of the fixture's capsule, signed by Bob.
fn request<T: Config>(
	accused: &T::AccountId,
	policy: PolicyId,
	bob: sp_core::sr25519::Public,
	capsules: u32,
) -> Vec<u8> {
	let body = RequestBody {
		version: WIRE_VERSION,
		policy,
		ursula: keymarket_primitives::AccountId::decode(&mut &accused.encode()[..])
			.expect("accounts are 32 bytes"),
		bob: bob.into(),
		sequence: 1,
		capsules: alloc::vec![fixture::CAPSULE.to_vec(); capsules as usize],
	};
	let signature = sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, &bob, &body.signing_payload())
		.expect("Bob's key is in the keystore");
	ReencryptionRequest { body, signature: signature.0, ticket: None }.encode()
}

/// An open case of [`ROUND`] of `kind` against `accused` on `request`, signed by the first
/// `signers` gateways of its signers' round, as a proof leaves it (closing list and count
/// included).
fn open_case<T: Config>(
	kind: ClaimKind,
	accused: &T::AccountId,
	policy: PolicyId,
	request: Vec<u8>,
	signers: u32,
) {
	let closes_at = ROUND + T::AnswerRounds::get();
	let signed_in = match kind {
		ClaimKind::Serve => ROUND,
		ClaimKind::Mediate => ROUND - 1,
	};
	Cases::<T>::insert(
		ROUND,
		accused,
		Case {
			kind,
			policy,
			request_hash: sp_crypto_hashing::blake2_256(&request),
			request: request.try_into().expect("a short request"),
			deadline: Pallet::<T>::round_start(ROUND),
			signed_in,
			signers: SignerSet::of(&(0..signers).collect::<Vec<_>>()),
			submitter: account("submitter", 0, 0),
			opened_in: ROUND,
			closes_at,
			status: CaseStatus::Open,
			answer: Default::default(),
		},
	);
	CasesClaimed::<T>::insert(ROUND, 1);
	Closing::<T>::insert(
		closes_at,
		BoundedVec::truncate_from(alloc::vec![(ROUND, accused.clone())]),
	);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A proof signed by `s` gateways: every check passes, the last is `s` signatures.
	#[benchmark]
	fn prove_unavailable(s: Linear<1, MAX_GATEWAYS>) {
		let (gateways, accused, policy, bob) = round_with_accused::<T>(s, 1);
		let request = request::<T>(&accused, policy, bob, MAX_COMPLAINT_CAPSULES);
		T::BenchmarkHelper::go_to_round(ROUND);
		frame_system::Pallet::<T>::set_block_number((Pallet::<T>::round_start(ROUND) + 1).into());
		let claim = UnavailabilityClaim {
			ursula: accused.clone(),
			policy,
			request_hash: sp_crypto_hashing::blake2_256(&request),
			round: ROUND,
			deadline: Pallet::<T>::round_start(ROUND),
			kind: ClaimKind::Serve,
		};
		let payload = claim_signing_payload(&claim);
		let signatures: Vec<_> = gateways
			.iter()
			.map(|(_, key)| sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, key, &payload).unwrap().0)
			.collect();
		let signers = SignerSet::of(&(0..s).collect::<Vec<_>>());
		let submitter: T::AccountId = account("submitter", 0, 0);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(submitter),
			claim,
			request.try_into().expect("a short request"),
			signers,
			signatures.try_into().expect("at most MAX_GATEWAYS"),
		);

		assert!(Cases::<T>::get(ROUND, &accused).is_some_and(|c| c.status == CaseStatus::Open));
	}

	/// The accused answers `c` capsules with correct fragments, and `g` signing gateways are
	/// reported for a false accusation.
	#[benchmark]
	fn answer_case(c: Linear<1, MAX_COMPLAINT_CAPSULES>, g: Linear<1, MAX_GATEWAYS>) {
		let (_, accused, policy, bob) = round_with_accused::<T>(g, 1);
		let request = request::<T>(&accused, policy, bob, c);
		open_case::<T>(ClaimKind::Serve, &accused, policy, request, g);
		let cfrags: Answer = BoundedVec::truncate_from(alloc::vec![
			BoundedVec::truncate_from(fixture::CORRECT_CFRAG.to_vec());
			c as usize
		]);

		#[extrinsic_call]
		_(RawOrigin::Signed(accused.clone()), ROUND, cfrags);

		assert!(Cases::<T>::get(ROUND, &accused).is_some_and(|c| c.status == CaseStatus::Answered));
	}

	/// A round begins: `n` gateways drawn from a line of `MaxCandidates` candidates.
	#[benchmark]
	fn start_round(n: Linear<1, MAX_GATEWAYS>, m: Linear<1, { T::MaxCandidates::get() }>) {
		T::BenchmarkHelper::go_to_round(ROUND);
		let period = Pallet::<T>::period_of(ROUND);
		// `n` real Ursulas (their keys are read), then stakeless-looking strangers to `m`.
		let mut line = Line::default();
		for i in 0..m.max(n) {
			let worker = if i < n {
				T::BenchmarkHelper::active_ursula(i, [i as u8; 32])
			} else {
				account("candidate", i, 0)
			};
			Candidates::<T>::insert(period, line.count, Candidate { worker, start: line.total });
			line.count += 1;
			line.total += 1_000;
		}
		Lines::<T>::insert(period, line);

		#[block]
		{
			Pallet::<T>::start_round(ROUND);
		}

		assert!(Rounds::<T>::get(ROUND).is_some());
	}

	/// A case closes unanswered against an Ursula serving `p` policies: its round's fees are
	/// counted and refunded, its reward read, the offence reported.
	#[benchmark]
	fn close_case(p: Linear<1, { T::Policies::max_policies_per_ursula() }>) {
		let (_, accused, policy, bob) = round_with_accused::<T>(MAX_GATEWAYS.min(8), p);
		let request = request::<T>(&accused, policy, bob, 1);
		open_case::<T>(ClaimKind::Serve, &accused, policy, request, MAX_GATEWAYS.min(8));

		#[block]
		{
			Pallet::<T>::close_case(ROUND, &accused);
		}

		assert!(Cases::<T>::get(ROUND, &accused).is_some_and(|c| c.status != CaseStatus::Open));
	}

	/// A silent gateway passes its case on: Bob's complaint to it (about the accused's
	/// request of the most capsules) is opened, and a case opens against the accused.
	#[benchmark]
	fn pass_case() {
		let (gateways, accused, policy, bob) = round_with_accused::<T>(MAX_GATEWAYS, 1);
		let request = request::<T>(&accused, policy, bob, MAX_COMPLAINT_CAPSULES);
		let gateway = gateways[MAX_GATEWAYS as usize - 1].0.clone();
		let body = ComplaintBody {
			version: GATEWAY_VERSION,
			round: ROUND,
			gateway: gateway.clone(),
			kind: ClaimKind::Serve,
			request,
			nonce: [0; 16],
			work: 0,
		};
		let signature = sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, &bob, &body.signing_payload())
			.expect("Bob's key is in the keystore");
		let complaint = Complaint { body, signature: signature.0 }.encode();
		open_case::<T>(ClaimKind::Mediate, &gateway, policy, complaint, MAX_GATEWAYS.min(8));

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway.clone()), ROUND);

		assert!(Cases::<T>::get(ROUND, &gateway).is_some_and(|c| c.status == CaseStatus::Passed));
		assert!(Cases::<T>::get(ROUND, &accused).is_some_and(|c| c.status == CaseStatus::Open));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::tests::mock::new_test_ext(),
		crate::tests::mock::Test
	);
}
