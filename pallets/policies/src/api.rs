//! What the runtime API shows: policies, their indexes, escrow and earned fees.

use alloc::vec::Vec;
use frame_support::traits::fungible::InspectHold;
use keymarket_primitives::policies::PolicyView;

use crate::*;

impl<T: Config> Pallet<T> {
	/// A policy as integrators see it, with its status as of the current period.
	pub fn policy_view(id: PolicyId) -> Option<PolicyView<T::AccountId, BalanceOf<T>>> {
		let policy = Policies::<T>::get(id)?;
		let status = policy.status(T::Ursulas::current_period());
		let service = ServicePaid::<T>::get(id);
		Some(PolicyView {
			id,
			owner: policy.owner,
			bob: policy.grant.bob,
			bob_key: policy.grant.bob_key,
			verifying_key: policy.grant.verifying_key,
			policy_key: policy.grant.policy_key,
			threshold: policy.grant.threshold,
			signing_keys: policy.ursulas.iter().map(|u| u.signing_key).collect(),
			ursulas: policy.ursulas.into_iter().map(|u| u.worker).collect(),
			start: policy.grant.start,
			end: policy.grant.end,
			rate: policy.grant.rate,
			price: policy.grant.price,
			escrow: policy.escrow,
			paid: policy.paid,
			paid_by_tickets: service.tickets,
			paid_by_activity: service.activity,
			status,
		})
	}

	/// The ids of `owner`'s policies.
	pub fn policies_of_owner(owner: &T::AccountId) -> Vec<PolicyId> {
		ByOwner::<T>::iter_key_prefix(owner).collect()
	}

	/// The ids of the policies granted to `bob`.
	pub fn policies_of_bob(bob: &T::AccountId) -> Vec<PolicyId> {
		ByBob::<T>::iter_key_prefix(bob).collect()
	}

	/// The ids of the live policies `worker` serves.
	pub fn policies_of_ursula(worker: &T::AccountId) -> Vec<PolicyId> {
		ByUrsula::<T>::iter_key_prefix(worker).collect()
	}

	/// `worker`'s encrypted key fragment of policy `id`.
	pub fn encrypted_kfrag(id: PolicyId, worker: &T::AccountId) -> Option<Vec<u8>> {
		KeyFrags::<T>::get(id, worker).map(|kfrag| kfrag.into_inner())
	}

	/// What `owner` holds in escrow.
	pub fn escrow_of(owner: &T::AccountId) -> BalanceOf<T> {
		T::Currency::balance_on_hold(&HoldReason::Escrow.into(), owner)
	}

	/// What `staker` earned and has not withdrawn.
	pub fn earned_fees(staker: &T::AccountId) -> BalanceOf<T> {
		T::Currency::balance_on_hold(&HoldReason::Fees.into(), staker)
	}
}
