//! The start of each period: applying the slashes that are due and forgetting the offences that
//! left the evidence window. Governance's cancellation, and the pallet's invariants.

use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::*, traits::Get};
use keymarket_primitives::{
	slashing::{SlashId, StakeSlasher},
	time::{Clock, OnPeriodStart, Period},
};
use sp_runtime::traits::Saturating;

use crate::{
	Config, DueSlashes, Error, Event, History, OffencesAgainst, Pallet, Reported, ReportedIn,
	Slashes, WeightInfo,
};

impl<T: Config> Pallet<T> {
	/// Runs once per period, in the first block of the period (the clock calls it).
	pub(crate) fn start_period(now: Period) -> Weight {
		let Some(previous) = now.checked_sub(1) else { return Weight::zero() };
		let due = DueSlashes::<T>::take(now);
		for id in &due {
			Self::apply(*id);
		}
		// The per-staker counts of the period that ended are done with (every period before it
		// was cleared at its own end; at most one entry per accepted offence).
		let cleared =
			OffencesAgainst::<T>::clear_prefix(previous, T::MaxSlashesPerPeriod::get(), None)
				.unique;
		let mut pruned = 0;
		if let Some(old) = now.checked_sub(T::EvidenceWindow::get()) {
			let keys = ReportedIn::<T>::take(old);
			pruned = keys.len() as u32;
			for key in keys {
				Reported::<T>::remove(key);
			}
		}
		T::DbWeight::get()
			.reads_writes(1, 1 + cleared as u64)
			.saturating_add(T::WeightInfo::apply_due_slashes(due.len() as u32))
			.saturating_add(T::WeightInfo::prune_reported(pruned))
	}

	/// Applies slash `id` unless it was cancelled.
	fn apply(id: SlashId) {
		let Some(slash) = Slashes::<T>::take(id) else { return };
		// The offender's own accounts take no reporter's reward.
		let reporters: Vec<_> = slash
			.reporters
			.iter()
			.filter(|r| **r != slash.staker && **r != slash.worker)
			.cloned()
			.collect();
		let outcome =
			T::Stakes::slash(&slash.staker, slash.penalty, &reporters, T::ReporterShare::get());
		let unapplied = slash.penalty.saturating_sub(outcome.taken);
		History::<T>::mutate(&slash.staker, slash.kind.tag(), |record| {
			record.taken = record.taken.saturating_add(outcome.taken);
			record.unapplied = record.unapplied.saturating_add(unapplied);
		});
		Self::deposit_event(Event::SlashApplied {
			id,
			staker: slash.staker,
			penalty: slash.penalty,
			taken: outcome.taken,
			rewarded: outcome.rewarded,
			unapplied,
		});
	}

	pub(crate) fn do_cancel_slash(id: SlashId) -> DispatchResult {
		let slash = Slashes::<T>::take(id).ok_or(Error::<T>::NoSuchSlash)?;
		DueSlashes::<T>::mutate(slash.apply_at, |due| due.retain(|other| *other != id));
		History::<T>::mutate(&slash.staker, slash.kind.tag(), |record| {
			record.count = record.count.saturating_sub(1);
			record.cancelled = record.cancelled.saturating_add(1);
		});
		Self::deposit_event(Event::SlashCancelled { id, staker: slash.staker });
		Ok(())
	}

	/// The invariants: every deferred slash is due in its period and nothing else is due; every
	/// reported key is listed under the period it was reported in; no staker has more offences
	/// in a period than allowed, and only the current period's counts are kept.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for (id, slash) in Slashes::<T>::iter() {
			ensure!(
				DueSlashes::<T>::get(slash.apply_at).contains(&id),
				"a deferred slash is not in its period's due list"
			);
		}
		for (_, due) in DueSlashes::<T>::iter() {
			for id in due {
				ensure!(Slashes::<T>::contains_key(id), "a due slash does not exist");
			}
		}
		for (period, _, count) in OffencesAgainst::<T>::iter() {
			ensure!(
				count <= T::MaxSlashesPerOffender::get(),
				"more offences against one staker than a period allows"
			);
			ensure!(period >= T::Stakes::current_period(), "a past period's counts were kept");
		}
		for (key, period) in Reported::<T>::iter() {
			ensure!(
				ReportedIn::<T>::get(period).contains(&key),
				"a reported offence is not listed under its period"
			);
		}
		Ok(())
	}
}

impl<T: Config> OnPeriodStart for Pallet<T> {
	fn on_period_start(period: Period) -> Weight {
		Self::start_period(period)
	}
}
