//! Fees: paid per period to each Ursula that was available in it, withdrawn by its staker.

use frame_support::{
	pallet_prelude::*,
	storage::with_storage_layer,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use keymarket_primitives::staking::{Period, Stage};
use sp_runtime::traits::{Saturating, Zero};

use crate::*;

impl<T: Config> Pallet<T> {
	/// A worker committed to the next period: if it was committed to the current one too, it
	/// was available all through it, and each policy it serves that covers that period pays it.
	/// Everything it needs the staking pallet passed along; it asks nothing back.
	pub(crate) fn pay_for_available_period(commitment: &Commitment<T::AccountId>) -> Weight {
		if commitment.stage != Stage::Inflation {
			return Weight::zero();
		}
		let Some(served) = commitment.served else { return Weight::zero() };
		let (worker, staker) = (&commitment.worker, &commitment.staker);
		let mut paid = 0u32;
		for id in ByUrsula::<T>::iter_key_prefix(worker) {
			if Self::pay_fee(id, worker, staker, served) {
				paid += 1;
			}
		}
		T::WeightInfo::on_commitment(paid.max(UrsulaLoad::<T>::get(worker)))
	}

	/// Pays `worker`'s fee of `served` from policy `id`, once. Returns whether it paid.
	fn pay_fee(id: PolicyId, worker: &T::AccountId, staker: &T::AccountId, served: Period) -> bool {
		let Some(mut policy) = Policies::<T>::get(id) else { return false };
		if !policy.window().pays_for(served) || policy.escrow < policy.grant.rate {
			return false;
		}
		let Some(share) = policy.ursulas.iter_mut().find(|u| &u.worker == worker) else {
			return false;
		};
		if share.paid_through.is_some_and(|through| through >= served) {
			return false;
		}
		let fee = policy.grant.rate;
		// A staker account that cannot take the fee leaves it in escrow, for Alice.
		if Self::escrow_to_fees(&policy.owner, staker, fee).is_err() {
			return false;
		}
		share.paid_through = Some(served);
		policy.escrow = policy.escrow.saturating_sub(fee);
		policy.paid = policy.paid.saturating_add(fee);
		Policies::<T>::insert(id, policy);
		Self::deposit_event(Event::FeePaid {
			policy: id,
			worker: worker.clone(),
			staker: staker.clone(),
			period: served,
			fee,
		});
		true
	}

	/// Moves `amount` of `owner`'s escrow to `staker`'s earned fees, all or nothing.
	fn escrow_to_fees(
		owner: &T::AccountId,
		staker: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		with_storage_layer(|| {
			T::Currency::transfer_on_hold(
				&HoldReason::Escrow.into(),
				owner,
				staker,
				amount,
				Precision::Exact,
				Restriction::Free,
				// As `hold` placed it: freezes do not keep escrow from its payee.
				Fortitude::Force,
			)?;
			T::Currency::hold(&HoldReason::Fees.into(), staker, amount)
		})
	}

	pub(crate) fn do_withdraw_fees(staker: &T::AccountId) -> DispatchResult {
		let amount = T::Currency::balance_on_hold(&HoldReason::Fees.into(), staker);
		ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
		T::Currency::release(&HoldReason::Fees.into(), staker, amount, Precision::Exact)?;
		Self::deposit_event(Event::FeesWithdrawn { staker: staker.clone(), amount });
		Ok(())
	}
}

impl<T: Config> PolicyDirectory<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn accused_policy(id: &PolicyId, worker: &T::AccountId) -> Option<AccusedPolicy<T::AccountId>> {
		let policy = Policies::<T>::get(id)?;
		policy.ursulas.iter().any(|u| &u.worker == worker).then(|| AccusedPolicy {
			bob: policy.grant.bob.clone(),
			bob_key: policy.grant.bob_key,
			verifying_key: policy.grant.verifying_key,
			policy_key: policy.grant.policy_key,
			window: policy.window(),
		})
	}

	fn round_fees(worker: &T::AccountId, period: Period, rounds_per_period: u32) -> BalanceOf<T> {
		ByUrsula::<T>::iter_key_prefix(worker)
			.filter_map(Policies::<T>::get)
			.filter(|policy| policy.window().pays_for(period))
			.fold(Zero::zero(), |total: BalanceOf<T>, policy| {
				total.saturating_add(policy.grant.rate / rounds_per_period.max(1).into())
			})
	}

	fn refund_round(
		worker: &T::AccountId,
		staker: &T::AccountId,
		period: Period,
		rounds_per_period: u32,
	) -> BalanceOf<T> {
		let mut refunded: BalanceOf<T> = Zero::zero();
		for id in ByUrsula::<T>::iter_key_prefix(worker) {
			let Some(mut policy) = Policies::<T>::get(id) else { continue };
			let paid = policy.ursulas.iter().any(|u| {
				&u.worker == worker && u.paid_through.is_some_and(|through| through >= period)
			});
			if !paid || !policy.window().covers(period) {
				continue;
			}
			let held = T::Currency::balance_on_hold(&HoldReason::Fees.into(), staker);
			let amount = (policy.grant.rate / rounds_per_period.max(1).into()).min(held);
			if amount.is_zero() {
				continue;
			}
			let moved = T::Currency::transfer_on_hold(
				&HoldReason::Fees.into(),
				staker,
				&policy.owner,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			);
			if moved.is_err() {
				continue;
			}
			policy.paid = policy.paid.saturating_sub(amount);
			Policies::<T>::insert(id, policy);
			refunded = refunded.saturating_add(amount);
			Self::deposit_event(Event::RoundFeeRefunded {
				policy: id,
				worker: worker.clone(),
				staker: staker.clone(),
				period,
				amount,
			});
		}
		refunded
	}

	fn max_policies_per_ursula() -> u32 {
		T::MaxPoliciesPerUrsula::get()
	}
}

impl<T: Config> ServiceLedger<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn record_service(
		policy: &PolicyId,
		worker: &T::AccountId,
		staker: &T::AccountId,
		amount: BalanceOf<T>,
		by: PaidBy,
	) {
		// A policy already removed keeps no record; the payment itself stands.
		if amount.is_zero() || !Policies::<T>::contains_key(policy) {
			return;
		}
		ServicePaid::<T>::mutate(policy, |tally| {
			let by = match by {
				PaidBy::Tickets => &mut tally.tickets,
				PaidBy::Activity => &mut tally.activity,
			};
			*by = by.saturating_add(amount);
		});
		Self::deposit_event(Event::ServicePaid {
			policy: *policy,
			worker: worker.clone(),
			staker: staker.clone(),
			amount,
			by,
		});
	}
}

impl<T: Config> ActivityPolicies<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn activity_terms(
		id: &PolicyId,
		worker: &T::AccountId,
	) -> Option<ActivityTerms<T::AccountId, BalanceOf<T>>> {
		let policy = Policies::<T>::get(id)?;
		policy.ursulas.iter().any(|u| &u.worker == worker).then(|| ActivityTerms {
			window: policy.window(),
			bob: policy.grant.bob,
			bob_key: policy.grant.bob_key,
			verifying_key: policy.grant.verifying_key,
			policy_key: policy.grant.policy_key,
			price: policy.grant.price,
			rate: policy.grant.rate,
		})
	}

	fn pay_from_escrow(
		id: &PolicyId,
		worker: &T::AccountId,
		staker: &T::AccountId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		let Some(mut policy) = Policies::<T>::get(id) else { return Zero::zero() };
		let amount = amount.min(policy.escrow);
		if amount.is_zero() || Self::escrow_to_fees(&policy.owner, staker, amount).is_err() {
			return Zero::zero();
		}
		policy.escrow = policy.escrow.saturating_sub(amount);
		policy.paid = policy.paid.saturating_add(amount);
		Policies::<T>::insert(id, policy);
		Self::record_service(id, worker, staker, amount, PaidBy::Activity);
		amount
	}
}

impl<T: Config> keymarket_primitives::lottery::TicketPolicies<T::AccountId, BalanceOf<T>>
	for Pallet<T>
{
	fn terms(
		id: &PolicyId,
	) -> Option<keymarket_primitives::lottery::TicketTerms<T::AccountId, BalanceOf<T>>> {
		let policy = Policies::<T>::get(id)?;
		Some(keymarket_primitives::lottery::TicketTerms {
			bob: policy.grant.bob,
			ursulas: policy.ursulas.into_iter().map(|u| u.worker).collect(),
			price: policy.grant.price,
		})
	}

	fn ticket_policy_weight() -> Weight {
		T::WeightInfo::ticket_policy()
	}

	fn max_ursulas() -> u32 {
		T::MaxUrsulas::get()
	}
}

impl<T: Config> OnCommitment<T::AccountId> for Pallet<T> {
	fn on_commitment(commitment: &Commitment<T::AccountId>) -> Weight {
		Self::pay_for_available_period(commitment)
	}

	fn max_weight() -> Weight {
		T::WeightInfo::on_commitment(T::MaxPoliciesPerUrsula::get())
	}
}
