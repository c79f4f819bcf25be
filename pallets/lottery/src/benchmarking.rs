//! v2 benchmarks, each in its worst case: a batch of `n` winning tickets, each from its own
//! payer (so every ticket reads and writes its own account and moves its own transfer), signed
//! with real sr25519 keys; a reserve shared among `u` Ursulas.

use alloc::vec::Vec;
use codec::Decode;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use keymarket_primitives::{
	lottery::{commitment_of, SignedTicket, Ticket, CERTAIN, TICKET_VERSION},
	staking::WORKER_KEY_TYPE,
};

use crate::*;

/// The round the benchmarks make tickets in: far enough from genesis.
const ROUND: Round = 20;
/// The value the worker reveals.
const VALUE: [u8; 32] = [42; 32];

fn rich<T: Config>(who: &T::AccountId) {
	let amount: BalanceOf<T> = 1_000_000_000_000_000u128.try_into().ok().expect("a big balance");
	let _ = T::Currency::set_balance(who, amount);
}

fn amount<T: Config>(value: u128) -> BalanceOf<T> {
	value.try_into().ok().expect("a small amount")
}

/// A payer that funded `policy` and authorized its Bob.
fn payer<T: Config>(index: u32, policy: PolicyId, deposit: u128, reserve: u128) -> T::AccountId {
	let payer: T::AccountId = account("payer", index, 0);
	rich::<T>(&payer);
	let origin = RawOrigin::Signed(payer.clone());
	Pallet::<T>::fund(origin.clone().into(), policy, amount::<T>(deposit), amount::<T>(reserve))
		.expect("funded");
	// Authorized twice: the first cap stays in force for tickets made under it, so a
	// redemption reads it too (the worst case).
	for _ in 0..2 {
		Pallet::<T>::authorize(origin.clone().into(), policy, amount::<T>(u64::MAX as u128))
			.expect("authorized");
	}
	payer
}

/// Bob: an sr25519 key in the keystore and its account.
fn bob<T: Config>() -> (sp_core::sr25519::Public, T::AccountId) {
	let key = sp_io::crypto::sr25519_generate(WORKER_KEY_TYPE, None);
	let account = T::AccountId::decode(&mut &key.0[..]).expect("an account is 32 bytes");
	(key, account)
}

/// A worker serving a policy of `ursulas` Ursulas for Bob (whose key is in the keystore); the
/// worker committed to [`VALUE`] in [`ROUND`] and replaced it in the next round, which is now;
/// the hash of [`ROUND`]'s first block is known.
fn scene<T: Config>(ursulas: u32) -> (T::AccountId, PolicyId, sp_core::sr25519::Public) {
	let (worker, policy, bob_key) = policy_scene::<T>(ursulas);
	T::BenchmarkHelper::go_to_round(ROUND + 1);
	let first = Pallet::<T>::round_start(ROUND);
	frame_system::BlockHash::<T>::insert(
		frame_system::pallet_prelude::BlockNumberFor::<T>::from(first),
		T::Hash::decode(&mut &[7u8; 32][..]).expect("a 32-byte hash"),
	);
	CommitmentsOf::<T>::insert(
		&worker,
		Commitments {
			current: [1; 32],
			since: ROUND + 1,
			previous: Some((commitment_of(&VALUE), ROUND, ROUND + 1)),
			opened: None,
		},
	);
	(worker, policy, bob_key)
}

/// In [`ROUND`], a worker serving a policy of `ursulas` Ursulas for Bob, whose key is in the
/// keystore.
fn policy_scene<T: Config>(ursulas: u32) -> (T::AccountId, PolicyId, sp_core::sr25519::Public) {
	T::BenchmarkHelper::go_to_round(ROUND);
	let worker = T::BenchmarkHelper::worker(0);
	let (bob_key, bob) = bob::<T>();
	let policy = T::BenchmarkHelper::policy(&worker, &bob, ursulas);
	(worker, policy, bob_key)
}

/// A certain winner from `payer` to `worker`, signed by Bob's key.
fn winner<T: Config>(
	payer: &T::AccountId,
	policy: PolicyId,
	worker: &T::AccountId,
	bob: &sp_core::sr25519::Public,
	nonce: u64,
) -> SignedTicket<T::AccountId, BalanceOf<T>> {
	let ticket = Ticket {
		version: TICKET_VERSION,
		payer: payer.clone(),
		policy,
		recipient: worker.clone(),
		face_value: amount::<T>(1_000),
		win_probability: CERTAIN,
		nonce,
		commitment: commitment_of(&VALUE),
		created_round: ROUND,
		created_hash: [7; 32],
		expires: ROUND + T::TicketRounds::get(),
		request_hash: [0; 32],
	};
	let signature = sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, bob, &ticket.signing_payload())
		.expect("Bob's key is in the keystore");
	SignedTicket { ticket, signature: signature.0 }
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn fund() {
		let (_, policy, _) = policy_scene::<T>(1);
		let payer: T::AccountId = account("payer", 0, 0);
		rich::<T>(&payer);

		#[extrinsic_call]
		_(RawOrigin::Signed(payer.clone()), policy, amount::<T>(1_000), amount::<T>(1_000));

		assert!(Accounts::<T>::contains_key(&payer, policy));
	}

	/// The worst case: terms replaced while earlier ones still cover live tickets.
	#[benchmark]
	fn authorize() {
		let (_, policy, _) = policy_scene::<T>(1);
		let payer = payer::<T>(0, policy, 1_000, 1_000);

		#[extrinsic_call]
		_(RawOrigin::Signed(payer.clone()), policy, amount::<T>(1_000));

		assert!(Accounts::<T>::contains_key(&payer, policy));
		assert!(crate::Prior::<T>::contains_key(&payer, policy));
	}

	#[benchmark]
	fn unlock() {
		let (_, policy, _) = policy_scene::<T>(1);
		let payer = payer::<T>(0, policy, 1_000, 1_000);

		#[extrinsic_call]
		_(RawOrigin::Signed(payer.clone()), policy);

		assert!(Accounts::<T>::get(&payer, policy).is_some_and(|a| a.unlocks_at.is_some()));
	}

	#[benchmark]
	fn withdraw() {
		let (_, policy, _) = policy_scene::<T>(1);
		let payer = payer::<T>(0, policy, 1_000, 1_000);
		Pallet::<T>::unlock(RawOrigin::Signed(payer.clone()).into(), policy).expect("unlocking");
		T::BenchmarkHelper::go_to_round(ROUND + T::TicketRounds::get() + 1);

		#[extrinsic_call]
		_(RawOrigin::Signed(payer.clone()), policy);

		assert!(!Accounts::<T>::contains_key(&payer, policy));
	}

	#[benchmark]
	fn commit() {
		let (worker, _, _) = scene::<T>(1);
		CommitmentsOf::<T>::mutate(&worker, |c| {
			if let Some(c) = c {
				c.opened = c.previous.take();
			}
		});
		T::BenchmarkHelper::go_to_round(ROUND + 2);

		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), [9; 32]);

		assert!(CommitmentsOf::<T>::get(&worker).is_some_and(|c| c.current == [9; 32]));
	}

	/// `p` certain winners from `p` payers of their own, and `n` more from the first of them:
	/// every check of every ticket, one account and one transfer per payer.
	#[benchmark]
	fn redeem(n: Linear<0, { T::MaxBatch::get() / 2 }>, p: Linear<1, { T::MaxBatch::get() / 2 }>) {
		let (worker, policy, bob_key) = scene::<T>(1);
		let payers: Vec<_> = (0..p).map(|i| payer::<T>(i, policy, 10_000_000, 0)).collect();
		let batch: Vec<_> = (0..p + n)
			.map(|i| {
				let payer = &payers[(i as usize).min(payers.len() - 1)];
				winner::<T>(payer, policy, &worker, &bob_key, i as u64)
			})
			.collect();
		let batch: Batch<T> = BoundedVec::try_from(batch).ok().expect("within MaxBatch");

		#[extrinsic_call]
		_(RawOrigin::Signed(worker.clone()), VALUE, batch);

		assert_eq!(WinningsOf::<T>::get(&worker).tickets, (n + p) as u64);
	}

	/// One winner whose payer's deposit is empty: its reserve goes to `u` Ursulas' stakers.
	#[benchmark]
	fn share_reserve(u: Linear<1, { T::Policies::max_ursulas() }>) {
		let (_, policy, _) = scene::<T>(u);
		let payer = payer::<T>(0, policy, 1, 1_000_000);
		let ursulas = T::Policies::terms(&policy).expect("the policy").ursulas;
		let mut account = Accounts::<T>::get(&payer, policy).expect("funded");

		#[block]
		{
			Pallet::<T>::share_reserve(&payer, policy, &mut account, &ursulas);
		}

		assert!(account.reserve < amount::<T>(1_000_000));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::tests::mock::new_test_ext(),
		crate::tests::mock::Test
	);
}
