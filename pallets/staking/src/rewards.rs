//! Inflation: NuCypher's two-phase reward for committed periods, the supply cap and the network
//! stage.
//!
//! For a committed period `p` with `L` tokens locked by all committed stakers, a sub-stake of
//! `v` tokens still locked for `T` periods in `p` earns
//!
//! - phase 1 (while a period's `Imax` keeps supply within `FirstPhaseSupply`):
//!   `Imax · v · (k1 + min(T, kmax)) / (L · k2)`;
//! - phase 2: `(cap − supply) · v · (k1 + min(T, kmax)) / (L · d · k2)`,
//!
//! and never more than is left under the cap. A staker's reward for `p` is the sum over its
//! sub-stakes, computed in one division from the commitment's `weighted` sum so that rounding
//! loses at most one unit per staker and period. Integer arithmetic only: products go through a
//! 256-bit intermediate, divisions round down (towards the cap, never above it).

use frame_support::traits::{
	fungible::{Inspect, Mutate, MutateHold},
	Get,
};
use keymarket_primitives::time::OnPeriodStart;
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Saturating, Zero},
	DispatchResult, Rounding, SaturatedConversion, Weight,
};

use crate::{
	BalanceOf, Commitment, Config, CurrentStage, Error, Event, FormerWorkers, HoldReason, Issuance,
	LockedInPeriod, Pallet, Period, PeriodTotal, RecentRewards, Stage, StakerInfo, Stakers,
	SubStakes, Withheld, WorkersLeftIn,
};

impl<T: Config> keymarket_primitives::registry::PeriodReward<T::AccountId, BalanceOf<T>>
	for Pallet<T>
{
	fn period_reward(staker: &T::AccountId, period: Period) -> BalanceOf<T> {
		if let Some((_, minted)) =
			RecentRewards::<T>::get(staker).into_iter().find(|(p, _)| *p == period)
		{
			return minted;
		}
		Stakers::<T>::get(staker)
			.and_then(|info| info.unrewarded.into_iter().find(|c| c.period == period))
			.map(|commitment| Self::reward_for(&commitment, LockedInPeriod::<T>::get(period)))
			.unwrap_or_else(Zero::zero)
	}

	fn withhold(staker: &T::AccountId, amount: BalanceOf<T>) {
		if !amount.is_zero() {
			Withheld::<T>::mutate(staker, |left| *left = left.saturating_add(amount));
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The network stage: other pallets read it to decide how Ursulas are paid.
	pub fn stage() -> Stage {
		CurrentStage::<T>::get()
	}

	/// `k1 + min(T, kmax)`: how much a lock of `remaining` periods weighs.
	pub fn lock_coefficient(remaining: u32) -> u32 {
		T::LockCoefficient1::get().saturating_add(remaining.min(T::LockBonusPeriods::get()))
	}

	/// What `staker` has locked in `period` (a period after its last processed one), and the
	/// lock-weighted sum of it: read-only, so that validation can use it.
	pub(crate) fn commitment_for(
		staker: &T::AccountId,
		info: &StakerInfo<T::AccountId, BalanceOf<T>>,
		period: Period,
	) -> Commitment<BalanceOf<T>> {
		let passed = period.saturating_sub(info.last_processed_period);
		let mut commitment: Commitment<BalanceOf<T>> =
			Commitment { period, locked: Zero::zero(), weighted: Zero::zero() };
		for sub in SubStakes::<T>::get(staker).iter() {
			let remaining = if info.wind_down {
				sub.remaining_periods.saturating_sub(passed)
			} else {
				sub.remaining_periods
			};
			if remaining == 0 {
				continue;
			}
			commitment.locked = commitment.locked.saturating_add(sub.value);
			let weight: BalanceOf<T> = Self::lock_coefficient(remaining).into();
			commitment.weighted =
				commitment.weighted.saturating_add(sub.value.saturating_mul(weight));
		}
		commitment
	}

	/// What one period's inflation is measured against, as `(base, divisor)`: a period mints at
	/// most `base / divisor · (k1 + kmax) / k2`. `None` once inflation can mint nothing more:
	/// in phase 2 that is when less than `d` units are left under the cap, since `1/d` of the
	/// rest then rounds to nothing.
	fn inflation_base(supply: BalanceOf<T>) -> Option<(u128, u128)> {
		let supply: u128 = supply.saturated_into();
		let cap: u128 = T::SupplyCap::get().saturated_into();
		let imax: u128 = T::MaxIssuancePerPeriod::get().saturated_into();
		let first_phase: u128 = T::FirstPhaseSupply::get().saturated_into();
		let k2 = u128::from(T::LockCoefficient2::get());
		let decay = u128::from(T::DecayPeriods::get());
		if supply.saturating_add(imax) <= first_phase {
			Some((imax, k2))
		} else {
			let left = cap.saturating_sub(supply);
			(left >= decay).then_some((left, k2.saturating_mul(decay)))
		}
	}

	/// The reward of one commitment, given its period's totals: measured against the supply
	/// when the period's first commitment was made, zero in stage `FeesOnly` and once inflation
	/// is exhausted, never more than is left under the cap now.
	pub fn reward_for(
		commitment: &Commitment<BalanceOf<T>>,
		total: PeriodTotal<BalanceOf<T>>,
	) -> BalanceOf<T> {
		if Self::stage() == Stage::FeesOnly || total.locked.is_zero() {
			return Zero::zero();
		}
		let Some((base, divisor)) = Self::inflation_base(total.supply) else { return Zero::zero() };
		let share = multiply_by_rational_with_rounding(
			base,
			commitment.weighted.saturated_into(),
			total.locked.saturated_into(),
			Rounding::Down,
		)
		.unwrap_or(0);
		let left = T::SupplyCap::get().saturating_sub(T::Currency::total_issuance());
		BalanceOf::<T>::saturated_from(share / divisor.max(1)).min(left)
	}

	/// Mints the rewards of the staker's committed periods that have passed, and forgets them.
	/// Returns how many commitments were settled.
	pub(crate) fn mint_passed(
		staker: &T::AccountId,
		info: &mut StakerInfo<T::AccountId, BalanceOf<T>>,
	) -> usize {
		let now = Self::current_period();
		let (due, waiting): (alloc::vec::Vec<_>, alloc::vec::Vec<_>) =
			info.unrewarded.iter().partition(|c| c.period < now);
		// `waiting` is a subset of a bounded vector: it fits.
		info.unrewarded = waiting.try_into().unwrap_or_default();
		if Self::stage() == Stage::Inflation
			&& Self::inflation_base(T::Currency::total_issuance()).is_none()
		{
			Self::enter_stage(Stage::FeesOnly);
		}
		for commitment in &due {
			// Zero when the period's total was pruned: the reward came too late.
			let total = LockedInPeriod::<T>::get(commitment.period);
			let reward = Self::reward_for(commitment, total);
			if !reward.is_zero() {
				Self::pay_reward(staker, commitment.period, reward, info);
			}
		}
		due.len()
	}

	/// Mints `earned`, less what is withheld from the staker, to it: locked into its longest
	/// sub-stake when it re-stakes and has a locked sub-stake, free otherwise. The withheld part
	/// is never minted.
	fn pay_reward(
		staker: &T::AccountId,
		period: Period,
		earned: BalanceOf<T>,
		info: &StakerInfo<T::AccountId, BalanceOf<T>>,
	) {
		RecentRewards::<T>::mutate(staker, |recent| {
			if recent.is_full() {
				recent.remove(0);
			}
			// Cannot fail: a place was freed above if needed.
			let _ = recent.try_push((period, earned));
		});
		let withheld = Withheld::<T>::get(staker).min(earned);
		let reward = earned.saturating_sub(withheld);
		if !withheld.is_zero() {
			let left = Withheld::<T>::mutate_exists(staker, |left| {
				let rest = left.unwrap_or_default().saturating_sub(withheld);
				*left = (!rest.is_zero()).then_some(rest);
				rest
			});
			Self::deposit_event(Event::RewardWithheld {
				staker: staker.clone(),
				period,
				value: withheld,
				left,
			});
		}
		if reward.is_zero() {
			return;
		}
		if let Err(e) = T::Currency::mint_into(staker, reward) {
			log::error!(target: "runtime::staking", "minting a reward of {reward:?} failed: {e:?}");
			return;
		}
		Issuance::<T>::mutate(|record| record.minted = record.minted.saturating_add(reward));
		let mut restaked = false;
		if info.restake {
			SubStakes::<T>::mutate(staker, |subs| {
				let longest = subs
					.iter_mut()
					.filter(|sub| !sub.is_unlocked())
					.max_by_key(|sub| sub.remaining_periods);
				if let Some(sub) = longest {
					if T::Currency::hold(&HoldReason::Staking.into(), staker, reward).is_ok() {
						sub.value = sub.value.saturating_add(reward);
						restaked = true;
					}
				}
			});
		}
		Self::deposit_event(Event::RewardMinted {
			staker: staker.clone(),
			period,
			value: reward,
			restaked,
		});
		if Self::inflation_base(T::Currency::total_issuance()).is_none() {
			Self::enter_stage(Stage::FeesOnly);
		}
	}

	fn enter_stage(stage: Stage) {
		if CurrentStage::<T>::get() != stage {
			CurrentStage::<T>::put(stage);
			Self::deposit_event(Event::StageChanged { stage });
		}
	}

	pub(crate) fn do_mint(staker: &T::AccountId) -> DispatchResult {
		let mut info = Self::catch_up(staker).ok_or(Error::<T>::NotAStaker)?;
		let settled = Self::mint_passed(staker, &mut info);
		frame_support::ensure!(settled > 0, Error::<T>::NoRewardDue);
		Stakers::<T>::insert(staker, info);
		Ok(())
	}

	pub(crate) fn do_set_stage(stage: Stage) -> DispatchResult {
		frame_support::ensure!(Self::stage() != stage, Error::<T>::StageUnchanged);
		Self::enter_stage(stage);
		Ok(())
	}

	/// Records `amount` burned outside the staking rules (a fee nobody could take): keeps the
	/// issuance accounting whole.
	pub fn note_burned(amount: BalanceOf<T>) {
		Issuance::<T>::mutate(|record| record.burned = record.burned.saturating_add(amount));
	}

	/// At the first block of each period, forgets the total locked of the period that left the
	/// reward history, and the former workers whose accountability ran out.
	pub(crate) fn on_period_start(now: frame_system::pallet_prelude::BlockNumberFor<T>) -> Weight {
		if !(now % T::BlocksPerPeriod::get()).is_zero() {
			return Weight::zero();
		}
		let period = Self::current_period();
		if let Some(old) = period.checked_sub(T::RewardHistoryPeriods::get()) {
			LockedInPeriod::<T>::remove(old);
		}
		let mut former = 0u64;
		if let Some(old) = period.checked_sub(T::WorkerAccountabilityPeriods::get()) {
			for worker in WorkersLeftIn::<T>::take(old) {
				former += 1;
				// Only if it did not leave again later (then a later period prunes it).
				if FormerWorkers::<T>::get(&worker).is_some_and(|(_, left)| left == old) {
					FormerWorkers::<T>::remove(&worker);
				}
			}
		}
		T::DbWeight::get()
			.reads_writes(1 + former, 2 + former)
			.saturating_add(T::OnPeriodStart::on_period_start(period))
	}
}
