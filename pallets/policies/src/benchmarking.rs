//! v2 benchmarks, each in its worst case: policies of `n` Ursulas, an Ursula serving `n`
//! policies of `n` Alices, and a real wrong capsule fragment checked with umbral-pre.

use alloc::vec::Vec;
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Mutate, MutateHold},
		Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use keymarket_primitives::{
	policies::{cfrag_signing_payload, EncryptedKeyFrag, WIRE_VERSION},
	staking::{Period, WORKER_KEY_TYPE},
};
use sp_runtime::traits::Bounded;

use crate::{fixture::*, *};

const NOW: Period = 10;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	who
}

/// `n` active Ursulas with registered keys; their signing keys are in the keystore.
fn ursulas<T: Config>(n: u32) -> Vec<T::AccountId> {
	T::BenchmarkHelper::go_to_period(NOW);
	(0..n)
		.map(|i| {
			let signing = sp_io::crypto::sr25519_generate(WORKER_KEY_TYPE, None);
			T::BenchmarkHelper::active_ursula(i, BOB_KEY, signing.0)
		})
		.collect()
}

fn grant<T: Config>(threshold: u8) -> PolicyGrantOf<T> {
	PolicyGrant {
		bob: account("bob", 0, 0),
		bob_key: BOB_KEY,
		verifying_key: VERIFYING_KEY,
		policy_key: POLICY_KEY,
		threshold,
		start: NOW,
		end: NOW + T::MaxPolicyPeriods::get(),
		rate: T::MinFeeRate::get(),
		price: T::MinFeeRate::get(),
	}
}

fn kfrags<T: Config>(n: u32) -> BoundedVec<BoundedVec<u8, T::MaxKeyFragLen>, T::MaxUrsulas> {
	let envelope = EncryptedKeyFrag {
		version: WIRE_VERSION,
		capsule: CAPSULE.to_vec(),
		ciphertext: alloc::vec![7; 300],
	}
	.encode();
	let one = BoundedVec::truncate_from(envelope);
	BoundedVec::truncate_from(alloc::vec![one; n as usize])
}

/// Policy `[index; 16]` of Alice, named on `workers`.
fn policy<T: Config>(alice: &T::AccountId, index: u8, workers: &[T::AccountId]) -> PolicyId {
	let id = [index; 16];
	Pallet::<T>::do_create_policy(
		alice.clone(),
		id,
		grant::<T>(1),
		BoundedVec::truncate_from(workers.to_vec()),
		kfrags::<T>(workers.len() as u32),
	)
	.expect("the Ursulas are active and have room");
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_policy(n: Linear<1, { T::MaxUrsulas::get() }>) {
		let workers = BoundedVec::truncate_from(ursulas::<T>(n));
		let alice = funded::<T>("alice", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(alice), [1; 16], grant::<T>(1), workers, kfrags::<T>(n));

		assert!(Policies::<T>::contains_key([1; 16]));
	}

	#[benchmark]
	fn revoke_policy(n: Linear<1, { T::MaxUrsulas::get() }>) {
		let workers = ursulas::<T>(n);
		let alice = funded::<T>("alice", 0);
		let id = policy::<T>(&alice, 1, &workers);

		#[extrinsic_call]
		_(RawOrigin::Signed(alice), id);

		assert!(Policies::<T>::get(id).is_some_and(|p| p.revoked_at.is_some()));
	}

	#[benchmark]
	fn clean_up_policy(n: Linear<1, { T::MaxUrsulas::get() }>) {
		let workers = ursulas::<T>(n);
		let alice = funded::<T>("alice", 0);
		let id = policy::<T>(&alice, 1, &workers);
		T::BenchmarkHelper::go_to_period(NOW + T::MaxPolicyPeriods::get());
		let anyone = funded::<T>("anyone", 0);

		// Settling (refund, key fragments, places) is the dearer of the two clean-up steps.
		#[extrinsic_call]
		_(RawOrigin::Signed(anyone), id);

		assert!(Policies::<T>::get(id).is_some_and(|p| p.settled));
	}

	#[benchmark]
	fn withdraw_fees() {
		let staker = funded::<T>("staker", 0);
		T::Currency::hold(&HoldReason::Fees.into(), &staker, T::MinFeeRate::get())
			.expect("the staker is funded");

		#[extrinsic_call]
		_(RawOrigin::Signed(staker.clone()));

		assert!(Pallet::<T>::earned_fees(&staker) == 0u32.into());
	}

	#[benchmark]
	fn report_incorrect_cfrag() {
		let worker = ursulas::<T>(1).remove(0);
		let alice = funded::<T>("alice", 0);
		let id = policy::<T>(&alice, 1, core::slice::from_ref(&worker));
		let signing = T::Ursulas::keys(&worker).expect("registered").signing_key;
		let payload = cfrag_signing_payload(&id, &worker, NOW, &CAPSULE, &WRONG_CFRAG);
		let signature = sp_io::crypto::sr25519_sign(
			WORKER_KEY_TYPE,
			&sp_core::sr25519::Public::from_raw(signing),
			&payload,
		)
		.expect("the key is in the keystore");
		let evidence = CfragEvidence {
			policy: id,
			served_at: NOW,
			capsule: BoundedVec::truncate_from(CAPSULE.to_vec()),
			cfrag: BoundedVec::truncate_from(WRONG_CFRAG.to_vec()),
			signature: signature.0,
		};
		let bob = funded::<T>("bob", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(bob), worker, evidence);
	}

	/// An Ursula serving `n` policies, each of another Alice, commits to the next period and is
	/// paid for this one.
	#[benchmark]
	fn on_commitment(n: Linear<1, { T::MaxPoliciesPerUrsula::get() }>) {
		let worker = ursulas::<T>(1).remove(0);
		for i in 0..n {
			let alice = funded::<T>("alice", i);
			policy::<T>(&alice, i as u8, core::slice::from_ref(&worker));
		}

		let staker = T::Ursulas::staker_of(&worker).expect("bonded");
		let commitment = Commitment {
			worker,
			staker: staker.clone(),
			period: NOW + 1,
			served: Some(NOW),
			stage: keymarket_primitives::staking::Stage::Inflation,
			stake: 1_000,
		};

		#[block]
		{
			Pallet::<T>::pay_for_available_period(&commitment);
		}

		assert!(Pallet::<T>::earned_fees(&staker) > 0u32.into());
	}

	/// What the lottery asks of a policy of `MaxUrsulas` in a redemption: its terms, then the
	/// first record of what its tickets paid.
	#[benchmark]
	fn ticket_policy() {
		let workers = ursulas::<T>(T::MaxUrsulas::get());
		let alice = funded::<T>("alice", 0);
		let id = policy::<T>(&alice, 1, &workers);
		let staker = T::Ursulas::staker_of(&workers[0]).expect("bonded");
		let amount = T::MinFeeRate::get();

		#[block]
		{
			use keymarket_primitives::lottery::TicketPolicies;
			let terms = <Pallet<T> as TicketPolicies<_, _>>::terms(&id).expect("the policy");
			<Pallet<T> as ServiceLedger<_, _>>::record_service(
				&id,
				&terms.ursulas[0],
				&staker,
				amount,
				PaidBy::Tickets,
			);
		}

		assert_eq!(ServicePaid::<T>::get(id).tickets, amount);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::tests::mock::new_bench_ext(),
		crate::tests::mock::Test
	);
}
