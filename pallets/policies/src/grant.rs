//! Granting, revoking and cleaning up policies; the escrow that goes with them.

use alloc::vec::Vec;
use codec::DecodeAll;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Preservation},
	},
};
use keymarket_primitives::{
	crypto::is_umbral_public_key,
	market::Quote,
	policies::{EncryptedKeyFrag, PolicyStatus, WIRE_VERSION},
	staking::{Period, Stage},
};
use sp_runtime::traits::{CheckedAdd, CheckedMul, SaturatedConversion, Saturating, Zero};

use crate::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_policy(
		owner: T::AccountId,
		id: PolicyId,
		grant: PolicyGrantOf<T>,
		ursulas: BoundedVec<T::AccountId, T::MaxUrsulas>,
		kfrags: BoundedVec<BoundedVec<u8, T::MaxKeyFragLen>, T::MaxUrsulas>,
	) -> DispatchResult {
		ensure!(!Policies::<T>::contains_key(id), Error::<T>::PolicyIdInUse);
		let shares = ursulas.len() as u32;
		ensure!(shares > 0, Error::<T>::BadUrsulaCount);
		ensure!(kfrags.len() as u32 == shares, Error::<T>::KeyFragCountMismatch);
		for key in [&grant.bob_key, &grant.verifying_key, &grant.policy_key] {
			ensure!(is_umbral_public_key(key), Error::<T>::InvalidUmbralKey);
		}
		let now = T::Ursulas::current_period();
		ensure!(grant.start >= now, Error::<T>::StartInPast);
		ensure!(grant.start - now <= T::MaxStartDelay::get(), Error::<T>::StartTooLate);
		ensure!(grant.end > grant.start, Error::<T>::EndNotAfterStart);
		let periods = grant.end - grant.start;
		ensure!(periods <= T::MaxPolicyPeriods::get(), Error::<T>::PolicyTooLong);
		ensure!(grant.rate >= T::MinFeeRate::get(), Error::<T>::FeeRateTooLow);
		ensure!(
			grant.threshold >= 1 && u32::from(grant.threshold) <= shares,
			Error::<T>::BadThreshold
		);
		for kfrag in &kfrags {
			let envelope = EncryptedKeyFrag::decode_all(&mut &kfrag[..])
				.map_err(|_| Error::<T>::MalformedKeyFrag)?;
			ensure!(envelope.version == WIRE_VERSION, Error::<T>::MalformedKeyFrag);
		}
		let mut members = Vec::with_capacity(ursulas.len());
		for (i, worker) in ursulas.iter().enumerate() {
			ensure!(!ursulas[..i].contains(worker), Error::<T>::DuplicateUrsula);
			let keys = T::Ursulas::keys(worker)
				.filter(|_| T::Ursulas::committed_to(worker, now))
				.ok_or(Error::<T>::UrsulaNotActive)?;
			// Cannot truncate: at most `MaxUrsulas` (checked to fit a `u8` by the integrity test).
			let index = i as u8;
			let (min_fee_rate, capacity) = match T::Ursulas::terms(worker) {
				Some(Terms { min_fee_rate, capacity }) => (min_fee_rate, capacity),
				None => (0, u32::MAX),
			};
			ensure!(
				grant.rate.saturated_into::<u128>() >= min_fee_rate,
				Error::<T>::RateBelowMinimum { ursula: index }
			);
			ensure!(
				UrsulaLoad::<T>::get(worker) < capacity.min(T::MaxPoliciesPerUrsula::get()),
				Error::<T>::UrsulaAtCapacity { ursula: index }
			);
			members.push(PolicyUrsula {
				worker: worker.clone(),
				signing_key: keys.signing_key,
				paid_through: None,
			});
		}
		let Quote { escrow, deposit, .. } =
			Self::quote(shares, grant.rate, periods).ok_or(Error::<T>::FeeOverflow)?;
		if grant.start > now {
			// Pending policies hold places before they pay anything: one owner may only have
			// so many. Entries of policies that have started since are dropped first.
			PendingOf::<T>::try_mutate(&owner, |pending| {
				pending.retain(|(_, start)| *start > now);
				pending.try_push((id, grant.start))
			})
			.map_err(|_| Error::<T>::TooManyPendingPolicies)?;
		}
		let place_fees = Self::pay_place_fees(id, &owner, &ursulas)?;
		T::Currency::hold(&HoldReason::Escrow.into(), &owner, escrow)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		T::Currency::hold(&HoldReason::Deposit.into(), &owner, deposit)
			.map_err(|_| Error::<T>::InsufficientBalance)?;

		for (worker, kfrag) in ursulas.iter().zip(kfrags) {
			KeyFrags::<T>::insert(id, worker, kfrag);
			ByUrsula::<T>::insert(worker, id, ());
			UrsulaLoad::<T>::mutate(worker, |load| *load = load.saturating_add(1));
		}
		Self::record_price(now, grant.rate, shares);
		ByOwner::<T>::insert(&owner, id, ());
		ByBob::<T>::insert(&grant.bob, id, ());
		Expiring::<T>::insert(grant.end.saturating_add(T::SettleDelay::get()), id, ());
		Self::deposit_event(Event::PolicyCreated {
			policy: id,
			owner: owner.clone(),
			bob: grant.bob.clone(),
			ursulas: ursulas.into_inner(),
			start: grant.start,
			end: grant.end,
			escrow,
			deposit,
			place_fees,
		});
		let policy = Policy {
			owner,
			grant,
			// Cannot fail: as many as the bounded Ursulas.
			ursulas: BoundedVec::truncate_from(members),
			escrow,
			paid: Zero::zero(),
			deposit,
			revoked_at: None,
			settled: false,
		};
		Policies::<T>::insert(id, policy);
		Ok(())
	}

	/// Adds a policy of `shares` Ursulas at `rate` to the prices of period `now`, in the slot
	/// of the ring that period takes (forgetting the period that held it before).
	fn record_price(now: Period, rate: BalanceOf<T>, shares: u32) {
		let per_period = rate.saturating_mul(shares.into());
		Prices::<T>::mutate(Self::price_slot(now), |slot| {
			let record = match slot.take() {
				Some((period, old)) if period == now => PriceRecord {
					policies: old.policies.saturating_add(1),
					places: old.places.saturating_add(shares),
					min_rate: old.min_rate.min(rate),
					max_rate: old.max_rate.max(rate),
					per_period: old.per_period.saturating_add(per_period),
				},
				_ => PriceRecord {
					policies: 1,
					places: shares,
					min_rate: rate,
					max_rate: rate,
					per_period,
				},
			};
			*slot = Some((now, record));
		});
	}

	/// The slot of the prices ring that `period` takes.
	fn price_slot(period: Period) -> u32 {
		period.checked_rem(T::PriceHistoryPeriods::get()).unwrap_or_default()
	}

	/// The prices of the policies made in `from..=to` that are still remembered, oldest first
	/// (at most `MAX_PRICE_PERIODS` periods: the newest of a longer range).
	pub fn prices_paid(from: Period, to: Period) -> Vec<(Period, PriceRecord<BalanceOf<T>>)> {
		use keymarket_primitives::market::MAX_PRICE_PERIODS;
		let now = T::Ursulas::current_period();
		let to = to.min(now);
		let from = from
			.max(now.saturating_sub(T::PriceHistoryPeriods::get().saturating_sub(1)))
			.max(to.saturating_sub(MAX_PRICE_PERIODS - 1));
		(from..=to)
			.filter_map(|p| match Prices::<T>::get(Self::price_slot(p)) {
				Some((period, record)) if period == p => Some((p, record)),
				_ => None,
			})
			.collect()
	}

	/// The places `worker` has left under `capacity` (and the chain's most).
	pub fn free_places(worker: &T::AccountId, capacity: u32) -> u32 {
		capacity.min(T::MaxPoliciesPerUrsula::get()).saturating_sub(UrsulaLoad::<T>::get(worker))
	}

	/// What a policy of `n` Ursulas at `rate` for `periods` periods costs its owner now:
	/// escrow, place fees and deposit (`None`: it overflows).
	pub fn quote(n: u32, rate: BalanceOf<T>, periods: Period) -> Option<Quote<BalanceOf<T>>> {
		let escrow = rate.checked_mul(&n.into())?.checked_mul(&periods.into())?;
		let place_fees = T::PlaceFee::get().checked_mul(&n.into())?;
		let deposit = T::DepositPerUrsula::get()
			.checked_mul(&n.into())?
			.checked_add(&T::DepositBase::get())?;
		let total = escrow.checked_add(&place_fees)?.checked_add(&deposit)?;
		Some(Quote { escrow, place_fees, deposit, total })
	}

	pub(crate) fn do_revoke(owner: &T::AccountId, id: PolicyId) -> DispatchResult {
		let mut policy = Policies::<T>::get(id).ok_or(Error::<T>::UnknownPolicy)?;
		ensure!(&policy.owner == owner, Error::<T>::NotOwner);
		let now = T::Ursulas::current_period();
		match policy.status(now) {
			PolicyStatus::Revoked(_) => return Err(Error::<T>::AlreadyRevoked.into()),
			PolicyStatus::Expired => return Err(Error::<T>::PolicyExpired.into()),
			PolicyStatus::Pending | PolicyStatus::Active => {},
		}
		// In the fees-only stage the Ursulas are paid after the period, by their claims of
		// served requests: what those may still take stays in escrow until the last of them
		// can have been opened; the rest goes back now.
		let held = if T::Ursulas::stage() == Stage::FeesOnly {
			Self::claimable_escrow(&policy, now)
		} else {
			Zero::zero()
		};
		let refund = Self::refund_escrow_above(&mut policy, held);
		Self::release_ursulas(id, &policy);
		Self::forget_pending(owner, id);
		Expiring::<T>::remove(Self::settle_period(&policy), id);
		policy.revoked_at = Some(now);
		if policy.escrow.is_zero() {
			// Nothing is served under it any more: it is settled now, and its record (with its
			// deposit) goes once the evidence window after the revocation has passed.
			policy.settled = true;
			Expiring::<T>::insert(Self::removal_period(&policy), id, ());
		} else {
			Expiring::<T>::insert(Self::settle_period(&policy), id, ());
		}
		Policies::<T>::insert(id, &policy);
		Self::deposit_event(Event::PolicyRevoked { policy: id, owner: policy.owner, refund });
		Ok(())
	}

	/// What claims of served requests may still take from `policy`'s escrow if it is revoked in
	/// `now`: the rate for each Ursula and each period it served whose claims may still be made
	/// or opened (the last `SettleDelay` periods and `now`), at most the escrow.
	pub(crate) fn claimable_escrow(policy: &PolicyOf<T>, now: Period) -> BalanceOf<T> {
		let first = policy.grant.start.max(now.saturating_sub(T::SettleDelay::get()));
		let last = now.min(policy.grant.end.saturating_sub(1));
		let periods = last.checked_sub(first).map_or(0, |n| n.saturating_add(1));
		let shares = periods.saturating_mul(policy.ursulas.len() as u32);
		policy.grant.rate.saturating_mul(shares.into()).min(policy.escrow)
	}

	pub(crate) fn do_clean_up(id: PolicyId) -> DispatchResult {
		let policy = Policies::<T>::get(id).ok_or(Error::<T>::UnknownPolicy)?;
		let now = T::Ursulas::current_period();
		let remove_at = Self::removal_period(&policy);
		if !policy.settled {
			ensure!(now >= Self::settle_period(&policy), Error::<T>::PolicyNotEnded);
			Self::settle(id, policy, remove_at);
		} else {
			ensure!(now >= remove_at, Error::<T>::AlreadySettled);
			Self::remove_policy(id, policy, remove_at);
		}
		Ok(())
	}

	/// When a policy is settled: `SettleDelay` periods after the last period it served (its
	/// end, or the period after its revocation).
	pub(crate) fn settle_period(policy: &PolicyOf<T>) -> Period {
		let served_until = match policy.revoked_at {
			Some(revoked) => policy.grant.end.min(revoked.saturating_add(1)),
			None => policy.grant.end,
		};
		served_until.saturating_add(T::SettleDelay::get())
	}

	/// When a policy's record may go: `EvidenceRetention` periods after the last period it
	/// could have been served in (its end, or its revocation).
	pub(crate) fn removal_period(policy: &PolicyOf<T>) -> Period {
		policy.revoked_at.unwrap_or(policy.grant.end).saturating_add(T::EvidenceRetention::get())
	}

	/// Gives back what is left in the policy's escrow; returns it.
	fn refund_escrow(policy: &mut PolicyOf<T>) -> BalanceOf<T> {
		Self::refund_escrow_above(policy, Zero::zero())
	}

	/// Gives back what the policy's escrow holds above `kept`; returns it.
	fn refund_escrow_above(policy: &mut PolicyOf<T>, kept: BalanceOf<T>) -> BalanceOf<T> {
		let amount = policy.escrow.saturating_sub(kept);
		// The owner's hold is at least the policy's escrow (`try_state`), so this is exact.
		match T::Currency::release(
			&HoldReason::Escrow.into(),
			&policy.owner,
			amount,
			Precision::Exact,
		) {
			Ok(refund) => {
				policy.escrow = policy.escrow.saturating_sub(refund);
				refund
			},
			Err(e) => {
				log::error!(target: "policies", "escrow of {:?} not released: {e:?}", policy.owner);
				Zero::zero()
			},
		}
	}

	/// Drops `id` from `owner`'s pending policies (revoked, or ended).
	fn forget_pending(owner: &T::AccountId, id: PolicyId) {
		PendingOf::<T>::mutate_exists(owner, |pending| {
			if let Some(list) = pending {
				list.retain(|(other, _)| *other != id);
			}
			if pending.as_ref().is_some_and(|list| list.is_empty()) {
				*pending = None;
			}
		});
	}

	/// Forgets the key fragments and frees the Ursulas' capacity.
	fn release_ursulas(id: PolicyId, policy: &PolicyOf<T>) {
		for ursula in &policy.ursulas {
			KeyFrags::<T>::remove(id, &ursula.worker);
			if ByUrsula::<T>::take(&ursula.worker, id).is_some() {
				UrsulaLoad::<T>::mutate_exists(&ursula.worker, |load| {
					*load = load.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
				});
			}
		}
	}

	/// At a policy's end: refund what is left, free its key fragments and Ursula places, and
	/// keep the record until `remove_at` for the adjudicator.
	fn settle(id: PolicyId, mut policy: PolicyOf<T>, remove_at: Period) {
		let refund = Self::refund_escrow(&mut policy);
		Self::release_ursulas(id, &policy);
		Self::forget_pending(&policy.owner, id);
		Expiring::<T>::remove(Self::settle_period(&policy), id);
		Expiring::<T>::insert(remove_at, id, ());
		policy.settled = true;
		Self::deposit_event(Event::PolicyEnded { policy: id, owner: policy.owner.clone(), refund });
		Policies::<T>::insert(id, policy);
	}

	/// After the evidence window: forget the policy and return its deposit.
	fn remove_policy(id: PolicyId, policy: PolicyOf<T>, remove_at: Period) {
		ByOwner::<T>::remove(&policy.owner, id);
		ByBob::<T>::remove(&policy.grant.bob, id);
		Expiring::<T>::remove(remove_at, id);
		Policies::<T>::remove(id);
		ServicePaid::<T>::remove(id);
		// The owner's deposit hold is at least this record's (`try_state`), so this is exact.
		let deposit = T::Currency::release(
			&HoldReason::Deposit.into(),
			&policy.owner,
			policy.deposit,
			Precision::Exact,
		)
		.unwrap_or_else(|e| {
			log::error!(target: "policies", "deposit of {:?} not released: {e:?}", policy.owner);
			Zero::zero()
		});
		Self::deposit_event(Event::PolicyRemoved { policy: id, owner: policy.owner, deposit });
	}

	/// Pays `PlaceFee` from `owner` to the staker of each of `ursulas`, held there as earned
	/// fees. Returns the total.
	fn pay_place_fees(
		id: PolicyId,
		owner: &T::AccountId,
		ursulas: &[T::AccountId],
	) -> Result<BalanceOf<T>, DispatchError> {
		let fee = T::PlaceFee::get();
		let mut total = BalanceOf::<T>::zero();
		if fee.is_zero() {
			return Ok(total);
		}
		for worker in ursulas {
			// Active Ursulas have stakers (checked by the caller).
			let staker = T::Ursulas::staker_of(worker).ok_or(Error::<T>::UrsulaNotActive)?;
			T::Currency::transfer_and_hold(
				&HoldReason::Fees.into(),
				owner,
				&staker,
				fee,
				Precision::Exact,
				Preservation::Preserve,
				Fortitude::Polite,
			)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
			total = total.saturating_add(fee);
			Self::deposit_event(Event::PlaceFeePaid {
				policy: id,
				worker: worker.clone(),
				staker,
				fee,
			});
		}
		Ok(total)
	}

	/// Removes ended policies, oldest end first, while `budget` lasts. Returns the weight used.
	pub(crate) fn clean_up_expired(budget: Weight) -> Weight {
		let now = T::Ursulas::current_period();
		let step = T::WeightInfo::clean_up_policy(T::MaxUrsulas::get());
		let look = T::DbWeight::get().reads(2);
		let mut used = T::DbWeight::get().reads_writes(1, 1);
		if budget.any_lt(used.saturating_add(look)) {
			return Weight::zero();
		}
		let mut cursor = CleanupCursor::<T>::get();
		while cursor <= now && used.saturating_add(look).all_lte(budget) {
			used.saturating_accrue(look);
			match Expiring::<T>::iter_key_prefix(cursor).next() {
				Some(id) => {
					if used.saturating_add(step).any_gt(budget) {
						break;
					}
					used.saturating_accrue(step);
					match Policies::<T>::get(id) {
						Some(policy) => {
							let due = if policy.settled {
								Self::removal_period(&policy)
							} else {
								Self::settle_period(&policy)
							};
							if cursor < due {
								// Scheduled before its step is due (the runtime lengthened
								// the settling delay since): moved to when it is.
								Expiring::<T>::remove(cursor, id);
								Expiring::<T>::insert(due, id, ());
							} else if policy.settled {
								Self::remove_policy(id, policy, cursor)
							} else {
								let remove_at = Self::removal_period(&policy);
								Self::settle(id, policy, remove_at)
							}
						},
						None => Expiring::<T>::remove(cursor, id),
					}
				},
				None => cursor = cursor.saturating_add(1),
			}
		}
		CleanupCursor::<T>::put(cursor);
		used
	}

	/// The invariants: each owner's escrow hold equals what its live policies still hold, the
	/// indexes agree with the policies, and Ursula loads match.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut owed: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut loads: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (id, policy) in Policies::<T>::iter() {
			let entry = owed.entry(policy.owner.clone()).or_default();
			*entry = entry.saturating_add(policy.escrow);
			let entry = deposits.entry(policy.owner.clone()).or_default();
			*entry = entry.saturating_add(policy.deposit);
			ensure!(ByOwner::<T>::contains_key(&policy.owner, id), "owner index misses a policy");
			ensure!(ByBob::<T>::contains_key(&policy.grant.bob, id), "Bob index misses a policy");
			let next_step = if policy.settled {
				Self::removal_period(&policy)
			} else {
				Self::settle_period(&policy)
			};
			ensure!(Expiring::<T>::contains_key(next_step, id), "clean-up misses a policy");
			ensure!(!policy.settled || policy.escrow.is_zero(), "a settled policy holds escrow");
			// Served until revoked or settled: indexed by its Ursulas until then.
			let live = policy.revoked_at.is_none() && !policy.settled;
			let periods = policy.grant.end.saturating_sub(policy.grant.start);
			let total = policy
				.grant
				.rate
				.saturating_mul((policy.ursulas.len() as u32).into())
				.saturating_mul(periods.into());
			ensure!(
				policy.escrow.saturating_add(policy.paid) <= total,
				"a policy paid or holds more than its fee"
			);
			for ursula in &policy.ursulas {
				ensure!(
					ByUrsula::<T>::contains_key(&ursula.worker, id) == live,
					"Ursula index disagrees with revocation"
				);
				if live {
					*loads.entry(ursula.worker.clone()).or_default() += 1;
				}
			}
		}
		for id in ServicePaid::<T>::iter_keys() {
			ensure!(Policies::<T>::contains_key(id), "service paid is kept for a removed policy");
		}
		for (owner, _) in ByOwner::<T>::iter_keys() {
			owed.entry(owner).or_default();
		}
		for (owner, escrow) in owed {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &owner) == escrow,
				"escrow held differs from what live policies still owe"
			);
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Deposit.into(), &owner)
					== deposits.get(&owner).copied().unwrap_or_default(),
				"deposit held differs from the deposits of the owner's records"
			);
		}
		// Key fragments exist only for live (policy, Ursula) pairs.
		for (id, worker) in KeyFrags::<T>::iter_keys() {
			let policy = Policies::<T>::get(id).ok_or("a key fragment of no policy")?;
			ensure!(
				policy.revoked_at.is_none() && !policy.settled,
				"a key fragment of a revoked or ended policy"
			);
			ensure!(
				policy.ursulas.iter().any(|u| u.worker == worker),
				"a key fragment of an Ursula the policy does not name"
			);
		}
		for (owner, pending) in PendingOf::<T>::iter() {
			ensure!(!pending.is_empty(), "an empty pending list is kept");
			for (id, _) in pending {
				let policy = Policies::<T>::get(id).ok_or("a pending entry names no policy")?;
				ensure!(policy.owner == owner, "a pending entry under another owner");
			}
		}
		for (worker, load) in UrsulaLoad::<T>::iter() {
			ensure!(loads.get(&worker) == Some(&load), "Ursula load is wrong");
		}
		ensure!(
			loads.iter().all(|(worker, load)| UrsulaLoad::<T>::get(worker) == *load),
			"Ursula load is missing"
		);
		Ok(())
	}
}
