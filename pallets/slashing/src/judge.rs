//! Judging an offence: refusing duplicates and stale reports, pricing it by its kind's rule, and
//! deferring its slash.

use codec::Encode;
use frame_support::traits::Get;
use keymarket_primitives::{
	registry::UrsulaRegistry,
	slashing::{Offence, OffenceError, OffenceKind, SlashId, StakeSlasher},
	time::Clock,
};
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	Config, DueSlashes, Event, History, NextSlashId, OffencesAgainst, Pallet, PendingSlash,
	Reported, ReportedIn, Slashes,
};

impl<T: Config> Pallet<T> {
	/// The penalty of `kind` for a staker who holds `stake` (locked or not: stake that may
	/// answer for an offence cannot be withdrawn) and has `history` earlier offences of the
	/// kind:
	///
	/// - incorrect capsule fragment: `min(base + histCoef · history, stake / pctCoef)`;
	/// - unavailability: what the Ursula would have earned in the round;
	/// - false service claim: `min(claimed · FalseClaimMultiplier, stake / pctCoef)`;
	/// - lottery fraud: what the payees lost;
	/// - false accusation: `min(FalseAccusationPenalty, stake / pctCoef)`.
	///
	/// None exceeds what the staker holds when applied: the rest is recorded as unapplied.
	pub fn penalty(kind: &OffenceKind<T::Balance>, stake: T::Balance, history: u32) -> T::Balance {
		let cap = stake / T::MaxPenaltyDivisor::get().max(1).into();
		match kind {
			OffenceKind::IncorrectCfrag => T::CfragBasePenalty::get()
				.saturating_add(T::CfragHistoryPenalty::get().saturating_mul(history.into()))
				.min(cap),
			OffenceKind::Unavailability { earnings, .. } => *earnings,
			OffenceKind::FalseServiceClaim { claimed } => {
				claimed.saturating_mul(T::FalseClaimMultiplier::get().into()).min(cap)
			},
			OffenceKind::LotteryFraud { overdraft } => *overdraft,
			OffenceKind::FalseAccusation { .. } => T::FalseAccusationPenalty::get().min(cap),
		}
	}

	/// What makes an offence the same offence: the offender, the kind, the period and the
	/// evidence; for unavailability the Ursula and the round (at most one proof of
	/// unavailability per Ursula and round). The offender is part of it, so an accomplice that
	/// reports the same evidence against itself first takes nothing from the report against
	/// the real offender.
	pub fn offence_key(offence: &Offence<T::AccountId, T::Balance>) -> [u8; 32] {
		match offence.kind {
			OffenceKind::Unavailability { round, .. } => sp_crypto_hashing::blake2_256(
				&(b"keymarket/unavailable", &offence.offender, round).encode(),
			),
			ref kind => sp_crypto_hashing::blake2_256(
				&(
					b"keymarket/offence",
					&offence.offender,
					kind.tag(),
					offence.period,
					offence.evidence,
				)
					.encode(),
			),
		}
	}

	pub(crate) fn do_report(
		offence: Offence<T::AccountId, T::Balance>,
	) -> Result<SlashId, OffenceError> {
		let reporters =
			offence.reporters.clone().try_into().map_err(|_| OffenceError::TooManyReporters)?;
		let now = T::Stakes::current_period();
		if offence.period > now {
			return Err(OffenceError::InFuture);
		}
		if offence.period.saturating_add(T::EvidenceWindow::get()) <= now {
			return Err(OffenceError::TooOld);
		}
		let key = Self::offence_key(&offence);
		if Reported::<T>::contains_key(key) {
			return Err(OffenceError::Duplicate);
		}
		let staker =
			T::Stakes::staker_of(&offence.offender).ok_or(OffenceError::UnknownOffender)?;
		let tag = offence.kind.tag();
		let history = History::<T>::get(&staker, tag).count;
		let penalty = Self::penalty(&offence.kind, T::Stakes::slashable(&staker), history);
		// A report that can take nothing would be free for the reporting pallet's caller, and
		// would still take a place in the queue.
		if penalty.is_zero() {
			return Err(OffenceError::NothingToSlash);
		}
		let against = OffencesAgainst::<T>::get(now, &staker);
		if against >= T::MaxSlashesPerOffender::get() {
			return Err(OffenceError::OffenderQueueFull);
		}
		let apply_at = now.saturating_add(T::DeferPeriods::get());
		// One slot in this period's reports and in the due list of `apply_at`; the first bounds
		// the second, as every report of this period is due in the same period.
		ReportedIn::<T>::try_mutate(now, |keys| keys.try_push(key))
			.map_err(|_| OffenceError::QueueFull)?;
		let id = NextSlashId::<T>::mutate(|next| {
			let id = *next;
			*next = next.saturating_add(1);
			id
		});
		if DueSlashes::<T>::try_mutate(apply_at, |due| due.try_push(id)).is_err() {
			// Unreachable while both lists share their bound; keep the state consistent anyway.
			ReportedIn::<T>::mutate(now, |keys| keys.retain(|k| k != &key));
			return Err(OffenceError::QueueFull);
		}
		Reported::<T>::insert(key, now);
		OffencesAgainst::<T>::insert(now, &staker, against.saturating_add(1));
		History::<T>::mutate(&staker, tag, |record| record.count = record.count.saturating_add(1));
		Slashes::<T>::insert(
			id,
			PendingSlash {
				staker: staker.clone(),
				worker: offence.offender.clone(),
				kind: offence.kind,
				evidence: offence.evidence,
				penalty,
				reporters,
				apply_at,
			},
		);
		Self::deposit_event(Event::OffenceReported {
			id,
			staker: staker.clone(),
			worker: offence.offender,
			kind: tag,
			evidence: offence.evidence,
		});
		Self::deposit_event(Event::SlashDeferred { id, staker, penalty, apply_at });
		Ok(id)
	}
}
