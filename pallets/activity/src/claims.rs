//! Claims: made, challenged, opened and judged, paid or refuted, forgotten.

use alloc::vec::Vec;
use codec::Encode;
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use keymarket_primitives::{
	activity::{challenges, check_opening, check_served, claim_payload},
	crypto::sr25519_signed,
	policies::ActivityTerms,
	slashing::{Offence, OffenceKind},
	staking::Stage,
};
use sp_crypto_hashing::blake2_256;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

use crate::*;

/// A claim waiting to be opened, and its beacon.
type Challenged<T> = (Claim<<T as Config>::Balance>, [u8; 32]);

/// What an opening is judged against.
pub(crate) struct Judged<'a, T: Config> {
	worker: &'a T::AccountId,
	policy: &'a PolicyId,
	period: Period,
	pub(crate) claim: &'a Claim<T::Balance>,
	terms: &'a ActivityTerms<T::AccountId, T::Balance>,
	beacon: &'a [u8; 32],
}

impl<T: Config> Pallet<T> {
	/// The current block number.
	pub(crate) fn now() -> u32 {
		frame_system::Pallet::<T>::block_number().unique_saturated_into()
	}

	/// Every check of a claim; stores it. Returns its beacon block.
	pub(crate) fn do_claim(
		worker: &T::AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: [u8; 32],
		signature: &keymarket_primitives::crypto::Sr25519Signature,
	) -> Result<u32, DispatchError> {
		Self::check_claim(worker, policy, period, omega, &root, signature)?;
		Ok(Self::store_claim(worker, policy, period, omega, root).beacon_at)
	}

	/// Stores a new, committed claim, and returns it.
	pub(crate) fn store_claim(
		worker: &T::AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: [u8; 32],
	) -> Claim<T::Balance> {
		let beacon_at = Self::now().saturating_add(T::BeaconDelay::get());
		let open_until = Self::open_until(period);
		let claim = Claim { omega, root, beacon_at, open_until, status: ClaimStatus::Committed };
		Claims::<T>::insert(worker, (policy, period), &claim);
		ByPeriod::<T>::insert(period, (worker.clone(), policy), ());
		claim
	}

	/// The last block in which a claim of `period` may be opened: the end of the period after
	/// the last one it may be claimed in.
	pub(crate) fn open_until(period: Period) -> u32 {
		period
			.saturating_add(T::ClaimPeriods::get())
			.saturating_add(2)
			.saturating_mul(T::BlocksPerPeriod::get())
			.saturating_sub(1)
	}

	/// Every check of a claim, cheapest first, the signature last; changes nothing.
	pub(crate) fn check_claim(
		worker: &T::AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: &[u8; 32],
		signature: &keymarket_primitives::crypto::Sr25519Signature,
	) -> Result<(), Error<T>> {
		ensure!(Scheme::<T>::get() == ActivityScheme::CommitOpen, Error::<T>::WrongScheme);
		Self::check_claimable(worker, policy, period, omega)?;
		let key = T::Ursulas::keys(worker).ok_or(Error::<T>::NotPolicyUrsula)?.signing_key;
		let payload = claim_payload(worker, &policy, period, omega, root);
		ensure!(sr25519_signed(&key, &payload, signature), Error::<T>::BadSignature);
		Ok(())
	}

	/// What every scheme checks of a claim of `omega` requests of `policy` in `period` by
	/// `worker`: the stage, the period, the policy and its price, ω, and that it is the first.
	/// Returns the policy's terms.
	pub(crate) fn check_claimable(
		worker: &T::AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
	) -> Result<ActivityTerms<T::AccountId, T::Balance>, Error<T>> {
		ensure!(T::Ursulas::stage() == Stage::FeesOnly, Error::<T>::NotFeesOnly);
		let now = T::Ursulas::current_period();
		ensure!(
			period < now && now <= period.saturating_add(T::ClaimPeriods::get()),
			Error::<T>::PeriodNotClaimable
		);
		let terms =
			T::Policies::activity_terms(&policy, worker).ok_or(Error::<T>::NotPolicyUrsula)?;
		ensure!(terms.window.served_in(period), Error::<T>::ServedOutsidePolicy);
		ensure!(!terms.price.is_zero() && !terms.rate.is_zero(), Error::<T>::NothingToPay);
		ensure!(omega > 0 && omega <= T::MaxOmega::get(), Error::<T>::BadOmega);
		ensure!(!Claims::<T>::contains_key(worker, (policy, period)), Error::<T>::AlreadyClaimed);
		Ok(terms)
	}

	/// The claim's beacon: the hash of its beacon block bound to the claim, once that block is
	/// known (an unknown block reads as zeros).
	pub fn beacon(
		worker: &T::AccountId,
		policy: &PolicyId,
		period: Period,
		claim: &Claim<T::Balance>,
	) -> Option<[u8; 32]> {
		let hash =
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::from(claim.beacon_at));
		let hash = hash.encode();
		if hash.iter().all(|b| *b == 0) {
			return None;
		}
		Some(blake2_256(
			&(b"keymarket/activity/beacon", hash, worker, policy, period, claim.root).encode(),
		))
	}

	/// The leaves `worker` must open for its claim, once its beacon is drawn.
	pub fn challenged(worker: &T::AccountId, policy: PolicyId, period: Period) -> Option<Vec<u32>> {
		let claim = Claims::<T>::get(worker, (policy, period))?;
		let beacon = Self::beacon(worker, &policy, period, &claim)?;
		Some(challenges(&beacon, claim.omega, T::Challenges::get()))
	}

	/// The checks of an opening before any leaf is judged: the claim, opened the way it was
	/// made (`private`: `open_private` for a private claim), its time, and that the openings'
	/// `indices` are exactly the challenged leaves. Returns the claim and its beacon.
	pub(crate) fn check_open(
		worker: &T::AccountId,
		policy: PolicyId,
		period: Period,
		indices: &[u32],
		private: bool,
	) -> Result<Challenged<T>, Error<T>> {
		let claim = Claims::<T>::get(worker, (policy, period)).ok_or(Error::<T>::NoSuchClaim)?;
		ensure!(
			PrivateClaims::<T>::contains_key(worker, (policy, period)) == private,
			Error::<T>::OpenedTheOtherWay
		);
		ensure!(claim.status == ClaimStatus::Committed, Error::<T>::AlreadyOpened);
		let now = Self::now();
		ensure!(now > claim.beacon_at, Error::<T>::TooEarly);
		ensure!(now <= claim.open_until, Error::<T>::TooLate);
		let beacon = Self::beacon(worker, &policy, period, &claim).ok_or(Error::<T>::TooEarly)?;
		let challenged = challenges(&beacon, claim.omega, T::Challenges::get());
		ensure!(indices == challenged.as_slice(), Error::<T>::WrongChallenges);
		Ok((claim, beacon))
	}

	/// Opens `worker`'s claim: checks the openings are the challenged leaves, judges each, and
	/// pays or refutes. Returns how many openings were judged.
	pub(crate) fn do_open(
		worker: T::AccountId,
		policy: PolicyId,
		period: Period,
		openings: &Openings<T>,
	) -> Result<u32, DispatchError> {
		let indices: Vec<u32> = openings.iter().map(|o| o.index).collect();
		Self::judge_openings(worker, policy, period, &indices, false, |judged, at| {
			Self::judge(judged, &openings[at])
		})
	}

	/// Opens `worker`'s claim (made privately if `private`) whose openings are at `indices`:
	/// checks they are the challenged leaves, judges each with `judge` (given the opening's
	/// place), and pays or refutes. Returns how many openings were judged.
	pub(crate) fn judge_openings(
		worker: T::AccountId,
		policy: PolicyId,
		period: Period,
		indices: &[u32],
		private: bool,
		judge: impl Fn(&Judged<T>, usize) -> Result<(), Refutation>,
	) -> Result<u32, DispatchError> {
		let (claim, beacon) = Self::check_open(&worker, policy, period, indices, private)?;
		let terms =
			T::Policies::activity_terms(&policy, &worker).ok_or(Error::<T>::NotPolicyUrsula)?;
		let judged = Judged::<T> {
			worker: &worker,
			policy: &policy,
			period,
			claim: &claim,
			terms: &terms,
			beacon: &beacon,
		};
		let mut opened = 0u32;
		let mut refuted = None;
		for (at, index) in indices.iter().enumerate() {
			opened += 1;
			if let Err(reason) = judge(&judged, at) {
				refuted = Some((*index, reason));
				break;
			}
		}
		Self::conclude(worker, policy, period, claim, &terms, refuted)?;
		Ok(opened)
	}

	/// Pays `claim` (none `refuted`) or refutes it at the opening `refuted` names, reporting
	/// the worker; stores its status.
	pub(crate) fn conclude(
		worker: T::AccountId,
		policy: PolicyId,
		period: Period,
		mut claim: Claim<T::Balance>,
		terms: &ActivityTerms<T::AccountId, T::Balance>,
		refuted: Option<(u32, Refutation)>,
	) -> Result<(), DispatchError> {
		let staker = T::Ursulas::staker_of(&worker).ok_or(Error::<T>::NotPolicyUrsula)?;
		// What the claim is worth: the price of its requests, at most the policy's rate for
		// the period (what Alice budgeted each Ursula a period).
		let worth = terms.price.saturating_mul(claim.omega.into()).min(terms.rate);
		match refuted {
			None => {
				let paid = T::Policies::pay_from_escrow(&policy, &worker, &staker, worth);
				claim.status = ClaimStatus::Paid(paid);
				Self::deposit_event(Event::ClaimPaid {
					worker: worker.clone(),
					policy,
					period,
					staker,
					paid,
				});
			},
			Some((index, reason)) => {
				claim.status = ClaimStatus::Refuted;
				let offence = Offence {
					offender: worker.clone(),
					kind: OffenceKind::FalseServiceClaim { claimed: worth },
					evidence: blake2_256(
						&(
							b"keymarket/false-service-claim",
							&worker,
							policy,
							period,
							claim.root,
							index,
						)
							.encode(),
					),
					period,
					reporters: alloc::vec![],
				};
				if let Err(reason) = T::Offences::report(offence) {
					Self::deposit_event(Event::OffenceNotReported {
						worker: worker.clone(),
						reason,
					});
				}
				Self::deposit_event(Event::ClaimRefuted {
					worker: worker.clone(),
					policy,
					period,
					index,
					reason,
				});
			},
		}
		Claims::<T>::insert(&worker, (policy, period), claim);
		Ok(())
	}

	/// Every check of one opened leaf.
	fn judge(judged: &Judged<T>, opening: &OpeningOf<T>) -> Result<(), Refutation> {
		let record = check_opening(&judged.claim.root, judged.claim.omega, &opening.unbounded())
			.map_err(Refutation::Opening)?;
		Self::judge_record(judged, opening.index, &record)
	}

	/// The checks of an opened leaf's record: one fragment judged per record, chosen by the
	/// beacon (what the record counts is one request, and a fragment the judge finds correct
	/// is re-encryption done).
	pub(crate) fn judge_record(
		judged: &Judged<T>,
		index: u32,
		record: &keymarket_primitives::policies::ServedRecord,
	) -> Result<(), Refutation> {
		let count = record.request.body.capsules.len().max(1);
		let draw = blake2_256(&(b"keymarket/activity/judged", judged.beacon, index).encode());
		let pick = (u64::from_le_bytes(draw[..8].try_into().expect("eight bytes")) % count as u64)
			as usize;
		check_served(
			record,
			judged.worker,
			judged.policy,
			judged.period,
			judged.terms,
			core::iter::once(pick),
		)
		.map_err(Refutation::from)
	}

	/// Forgets the claims of periods that can no longer be claimed or opened, as far as
	/// `remaining` allows. Returns the weight used.
	pub(crate) fn forget_old(remaining: Weight) -> Weight {
		let db = T::DbWeight::get();
		let per_claim = db.reads_writes(1, 3);
		let mut used = db.reads_writes(2, 1);
		if remaining.any_lt(used.saturating_add(per_claim)) {
			return Weight::zero();
		}
		// A period's claims are made until `ClaimPeriods` after it and opened until the end of
		// the period after that.
		let now = T::Ursulas::current_period();
		let first_kept = now.saturating_sub(T::ClaimPeriods::get().saturating_add(1));
		let mut period = ForgottenBefore::<T>::get();
		let mut budget = remaining.saturating_sub(used).ref_time() / per_claim.ref_time().max(1);
		while period < first_kept && budget > 0 {
			let keys: Vec<(T::AccountId, PolicyId)> =
				ByPeriod::<T>::iter_key_prefix(period).take(budget as usize).collect();
			for (worker, policy) in &keys {
				Claims::<T>::remove(worker, (*policy, period));
				PrivateClaims::<T>::remove(worker, (*policy, period));
				ByPeriod::<T>::remove(period, (worker.clone(), *policy));
			}
			budget = budget.saturating_sub(keys.len() as u64);
			used = used.saturating_add(per_claim.saturating_mul(keys.len() as u64));
			if ByPeriod::<T>::iter_key_prefix(period).next().is_some() {
				break;
			}
			period = period.saturating_add(1);
			ForgottenBefore::<T>::put(period);
		}
		used
	}

	/// `worker`'s claims, oldest period first.
	pub fn claims_of(
		worker: &T::AccountId,
	) -> Vec<keymarket_primitives::activity::ClaimView<T::Balance>> {
		use keymarket_primitives::activity::ClaimView;
		let mut claims: Vec<_> = Claims::<T>::iter_prefix(worker)
			.map(|((policy, period), claim)| ClaimView {
				policy,
				period,
				omega: claim.omega,
				root: claim.root,
				beacon_at: claim.beacon_at,
				open_until: claim.open_until,
				state: claim.status,
				private: PrivateClaims::<T>::contains_key(worker, (policy, period)),
			})
			.collect();
		claims.sort_by_key(|c| (c.period, c.policy));
		claims
	}

	/// The invariants: every claim is indexed by its period and every index names a claim; a
	/// committed claim opens after its beacon.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for (worker, (policy, period), claim) in Claims::<T>::iter() {
			ensure!(
				ByPeriod::<T>::contains_key(period, (worker, policy)),
				"a claim is missing from its period's index"
			);
			ensure!(claim.beacon_at < claim.open_until, "a claim opens before its beacon");
			ensure!(claim.omega > 0, "a claim of nothing");
		}
		for (worker, (policy, period)) in PrivateClaims::<T>::iter_keys() {
			ensure!(
				Claims::<T>::contains_key(worker, (policy, period)),
				"a private claim's commitments name no claim"
			);
		}
		for (period, (worker, policy)) in ByPeriod::<T>::iter_keys() {
			ensure!(
				Claims::<T>::contains_key(worker, (policy, period)),
				"a period's index names no claim"
			);
		}
		Ok(())
	}
}
