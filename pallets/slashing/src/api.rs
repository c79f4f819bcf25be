//! What the runtime API shows: histories and deferred slashes.

use alloc::vec::Vec;
use keymarket_primitives::slashing::{HistoryView, PendingSlashView};

use crate::{Config, History, Pallet, Slashes};

impl<T: Config> Pallet<T> {
	/// A staker's record, one entry per kind it has been reported for.
	pub fn history(staker: &T::AccountId) -> Vec<HistoryView<T::Balance>> {
		let mut history: Vec<_> = History::<T>::iter_prefix(staker)
			.map(|(kind, record)| HistoryView {
				kind,
				count: record.count,
				taken: record.taken,
				unapplied: record.unapplied,
				cancelled: record.cancelled,
			})
			.collect();
		history.sort_by_key(|entry| entry.kind);
		history
	}

	/// The deferred slashes (of `staker`, or all), by id.
	pub fn pending_slashes(
		staker: Option<&T::AccountId>,
	) -> Vec<PendingSlashView<T::AccountId, T::Balance>> {
		let mut pending: Vec<_> = Slashes::<T>::iter()
			.filter(|(_, slash)| staker.is_none_or(|who| &slash.staker == who))
			.map(|(id, slash)| PendingSlashView {
				id,
				staker: slash.staker,
				worker: slash.worker,
				kind: slash.kind,
				evidence: slash.evidence,
				penalty: slash.penalty,
				apply_at: slash.apply_at,
			})
			.collect();
		pending.sort_by_key(|slash| slash.id);
		pending
	}
}
