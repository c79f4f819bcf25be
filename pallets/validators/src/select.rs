//! The lists (invulnerables, candidates) and the choice of each session's validators.

use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::*, traits::Contains};
use keymarket_primitives::registry::StakeOf;
use pallet_session::SessionManager;
use sp_runtime::DispatchResult;

use crate::{Candidates, Chosen, Config, Error, Event, Invulnerables, Pallet, WeightInfo};

impl<T: Config> Pallet<T> {
	/// `invulnerables` as stored: at most `MaxValidators`, none twice.
	pub(crate) fn checked_invulnerables(
		invulnerables: Vec<T::AccountId>,
	) -> Result<BoundedVec<T::AccountId, T::MaxValidators>, Error<T>> {
		for (i, who) in invulnerables.iter().enumerate() {
			ensure!(!invulnerables[..i].contains(who), Error::<T>::DuplicateInvulnerable);
		}
		invulnerables.try_into().map_err(|_| Error::<T>::TooManyInvulnerables)
	}

	pub(crate) fn do_set_invulnerables(invulnerables: Vec<T::AccountId>) -> DispatchResult {
		let bounded = Self::checked_invulnerables(invulnerables)?;
		// An invulnerable is chosen anyway: its place on the candidates goes to someone else.
		Candidates::<T>::mutate(|candidates| candidates.retain(|c| !bounded.contains(c)));
		Invulnerables::<T>::put(&bounded);
		Self::deposit_event(Event::InvulnerablesSet { invulnerables: bounded.into_inner() });
		Ok(())
	}

	/// What a candidate's stake counts for: its locked stake while it qualifies, nothing once it
	/// has lost its keys or fallen below the minimum.
	fn standing(who: &T::AccountId) -> u128 {
		let stake = T::Stakes::locked_stake(who);
		if T::SessionKeys::contains(who) && stake >= T::MinValidatorStake::get() {
			stake
		} else {
			0
		}
	}

	/// The weight of `offer` to a list of `listed` candidates (`None`: the worst case).
	pub(crate) fn offer_weight(listed: Option<u32>) -> Weight {
		let max = T::MaxCandidates::get();
		match listed {
			Some(listed) if listed < max => T::WeightInfo::offer(listed),
			Some(_) => T::WeightInfo::offer_displacing(),
			None => {
				T::WeightInfo::offer(max.saturating_sub(1)).max(T::WeightInfo::offer_displacing())
			},
		}
	}

	/// Puts `who` on the candidates; returns how many were listed before.
	pub(crate) fn do_offer(who: T::AccountId) -> Result<u32, DispatchError> {
		ensure!(!Invulnerables::<T>::get().contains(&who), Error::<T>::AlreadyInvulnerable);
		let mut candidates = Candidates::<T>::get();
		let listed = candidates.len() as u32;
		ensure!(!candidates.contains(&who), Error::<T>::AlreadyCandidate);
		ensure!(T::SessionKeys::contains(&who), Error::<T>::NoSessionKeys);
		let stake = T::Stakes::locked_stake(&who);
		ensure!(stake >= T::MinValidatorStake::get(), Error::<T>::StakeBelowMinimum);
		if candidates.is_full() {
			// The weakest candidate, the latest of equals: it leaves if the newcomer has more.
			let (weakest, weakest_stake) = candidates
				.iter()
				.enumerate()
				.map(|(i, c)| (i, Self::standing(c)))
				.min_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
				.ok_or(Error::<T>::TooManyCandidates)?;
			ensure!(stake > weakest_stake, Error::<T>::TooManyCandidates);
			let displaced = candidates.remove(weakest);
			Self::deposit_event(Event::CandidateDisplaced { who: displaced, by: who.clone() });
		}
		candidates.try_push(who.clone()).map_err(|_| Error::<T>::TooManyCandidates)?;
		Candidates::<T>::put(candidates);
		Self::deposit_event(Event::CandidateOffered { who, stake });
		Ok(listed)
	}

	/// Takes `who` off the candidates; returns how many were listed before.
	pub(crate) fn do_retire(who: T::AccountId) -> Result<u32, DispatchError> {
		let mut candidates = Candidates::<T>::get();
		let listed = candidates.len() as u32;
		let at = candidates.iter().position(|c| c == &who).ok_or(Error::<T>::NotCandidate)?;
		candidates.remove(at);
		Candidates::<T>::put(candidates);
		Self::deposit_event(Event::CandidateRetired { who });
		Ok(listed)
	}

	/// The places candidates may take beside `invulnerables` chosen: fewer than half of them, so
	/// that the stake-backed validators stay under a third of the set and the invulnerables
	/// alone are GRANDPA's two thirds (none while there is no invulnerable), and no more than
	/// `MaxValidators` in all.
	pub fn candidate_places(invulnerables: usize) -> usize {
		let third = invulnerables.saturating_sub(1) / 2;
		third.min((T::MaxValidators::get() as usize).saturating_sub(invulnerables))
	}

	/// The validators for the next session: the invulnerables with keys, then the qualifying
	/// candidates by locked stake (most first, earlier offers first among equals) in the places
	/// [`Self::candidate_places`] leaves them; in the order of their accounts, so that the same
	/// validators are always the same set.
	pub fn choose() -> Vec<T::AccountId> {
		let mut chosen: Vec<T::AccountId> =
			Invulnerables::<T>::get().into_iter().filter(T::SessionKeys::contains).collect();
		let mut ranked: Vec<(u128, T::AccountId)> = Candidates::<T>::get()
			.into_iter()
			.filter(|c| !chosen.contains(c))
			.map(|c| (Self::standing(&c), c))
			.filter(|(standing, _)| *standing > 0)
			.collect();
		// Stable: equal stakes keep the order they offered in.
		ranked.sort_by_key(|(standing, _)| core::cmp::Reverse(*standing));
		let places = Self::candidate_places(chosen.len());
		chosen.extend(ranked.into_iter().take(places).map(|(_, who)| who));
		chosen.sort();
		chosen
	}

	/// Chooses for `session`: `None` (no change) when the set is the last one or empty. An empty
	/// choice forgets the last set, so that the next non-empty one is given to the session
	/// pallet even if it is the same (whose own set may have emptied meanwhile, its validators'
	/// keys gone).
	fn choose_for(session: u32, genesis: bool) -> Option<Vec<T::AccountId>> {
		let chosen = Self::choose();
		if chosen.is_empty() {
			Chosen::<T>::kill();
			Self::deposit_event(Event::NoValidatorsQualified { session });
			return None;
		}
		if !genesis && Chosen::<T>::get().as_slice() == chosen.as_slice() {
			return None;
		}
		// `choose` takes at most `MaxValidators`.
		let bounded = BoundedVec::truncate_from(chosen.clone());
		Chosen::<T>::put(bounded);
		Self::deposit_event(Event::ValidatorsChosen { session, validators: chosen.clone() });
		Some(chosen)
	}

	/// The invariants: the lists are disjoint and hold nobody twice.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let invulnerables = Invulnerables::<T>::get();
		let candidates = Candidates::<T>::get();
		for (i, who) in candidates.iter().enumerate() {
			ensure!(!candidates[..i].contains(who), "a candidate is listed twice");
			ensure!(!invulnerables.contains(who), "an invulnerable is a candidate");
		}
		for (i, who) in invulnerables.iter().enumerate() {
			ensure!(!invulnerables[..i].contains(who), "an invulnerable is listed twice");
		}
		Ok(())
	}
}

impl<T: Config> SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(new_index: u32) -> Option<Vec<T::AccountId>> {
		Self::choose_for(new_index, false)
	}

	fn new_session_genesis(new_index: u32) -> Option<Vec<T::AccountId>> {
		Self::choose_for(new_index, true)
	}

	fn end_session(_: u32) {}

	fn start_session(_: u32) {}
}
