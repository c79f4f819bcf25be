//! Workers: bonding an Ursula node's account to a staker, its registration, and the per-period
//! availability commitment.

use frame_support::{ensure, pallet_prelude::*, traits::fungible::Inspect};
use keymarket_primitives::registry::{Commitment as Committed, OnCommitment};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchResult, SaturatedConversion,
};

use crate::{
	BalanceOf, Commitment, Config, Downtime, Error, Event, FormerWorkers, LockedInPeriod,
	MaxEndpointLen, Pallet, Period, Stakers, WorkerInfo, Workers, WorkersLeftIn,
};

/// A worker that may commit, and what its commitment records.
type AllowedCommitment<T> =
	(WorkerInfo<<T as frame_system::Config>::AccountId>, Commitment<BalanceOf<T>>);

impl<T: Config> Pallet<T> {
	pub(crate) fn do_bond_worker(
		staker: &T::AccountId,
		worker: Option<T::AccountId>,
	) -> DispatchResult {
		let mut info = Self::catch_up(staker).ok_or(Error::<T>::NotAStaker)?;
		if info.worker == worker {
			return Ok(());
		}
		let now = Self::current_period();
		if info.worker.is_some() {
			let bonded_for = now.saturating_sub(info.worker_bonded_in);
			ensure!(bonded_for >= T::MinWorkerPeriods::get(), Error::<T>::WorkerBondTooRecent);
		}
		if let Some(new) = &worker {
			ensure!(!Workers::<T>::contains_key(new), Error::<T>::WorkerAlreadyBonded);
			if let Some((former_staker, _)) = FormerWorkers::<T>::get(new) {
				// Offences of its recent past must still find the staker it served.
				ensure!(&former_staker == staker, Error::<T>::WorkerRecentlyBonded);
				FormerWorkers::<T>::remove(new);
			}
		}
		if let Some(old) = info.worker.take() {
			// The leaving worker still answers for this staker for a while.
			WorkersLeftIn::<T>::try_mutate(now, |left| left.try_push(old.clone()))
				.map_err(|_| Error::<T>::TooManyWorkerChanges)?;
			FormerWorkers::<T>::insert(&old, (staker.clone(), now));
			Workers::<T>::remove(&old);
			// Its account no longer needs to exist for duty transactions.
			frame_system::Pallet::<T>::dec_sufficients(&old);
			// What it served may be reported for the evidence window and applied after the
			// deferral: until then the stake stays.
			info.answerable_until = now.saturating_add(T::AnswerablePeriods::get());
			// The leaving worker will not serve the next period it committed to: neither does
			// the stake count in that period, nor is it rewarded.
			info.unrewarded.retain(|commitment| {
				let future = commitment.period > now;
				if future {
					LockedInPeriod::<T>::mutate(commitment.period, |total| {
						total.locked = total.locked.saturating_sub(commitment.locked)
					});
				}
				!future
			});
		}
		if let Some(new) = &worker {
			// A worker signs its duties as its own account, fee-free: the account must exist
			// (for its nonce) even if it holds no tokens.
			frame_system::Pallet::<T>::inc_sufficients(new);
			Workers::<T>::insert(
				new,
				WorkerInfo {
					staker: staker.clone(),
					endpoint: Default::default(),
					umbral_key: [0; 33],
					signing_key: [0; 32],
					registered: false,
					last_committed_period: None,
					committed_since: None,
				},
			);
		}
		info.worker = worker.clone();
		info.worker_bonded_in = now;
		Stakers::<T>::insert(staker, info);
		Self::deposit_event(Event::WorkerBonded { staker: staker.clone(), worker });
		Ok(())
	}

	pub(crate) fn do_register_worker(
		worker: &T::AccountId,
		endpoint: alloc::vec::Vec<u8>,
		umbral_key: [u8; 33],
		signing_key: [u8; 32],
		umbral_proof: [u8; 65],
		signing_proof: [u8; 64],
	) -> DispatchResult {
		use keymarket_primitives::{
			crypto::{ecdsa_signed, is_umbral_public_key, sr25519_signed},
			staking::registration_payload,
		};
		ensure!(Workers::<T>::contains_key(worker), Error::<T>::NotAWorker);
		ensure!(
			endpoint.len() as u32 <= <MaxEndpointLen as Get<u32>>::get(),
			Error::<T>::EndpointTooLong
		);
		ensure!(is_umbral_public_key(&umbral_key), Error::<T>::InvalidUmbralKey);
		let payload = registration_payload(worker, &umbral_key, &signing_key);
		ensure!(ecdsa_signed(&umbral_key, &payload, &umbral_proof), Error::<T>::BadUmbralKeyProof);
		ensure!(
			sr25519_signed(&signing_key, &payload, &signing_proof),
			Error::<T>::BadSigningKeyProof
		);
		Self::record_registration(worker, endpoint, umbral_key, signing_key)
	}

	/// Stores a worker's endpoint and keys, their proofs checked (or, in benchmarks, keys the
	/// benchmark must choose).
	pub(crate) fn record_registration(
		worker: &T::AccountId,
		endpoint: alloc::vec::Vec<u8>,
		umbral_key: [u8; 33],
		signing_key: [u8; 32],
	) -> DispatchResult {
		let endpoint: BoundedVec<u8, _> =
			endpoint.try_into().map_err(|_| Error::<T>::EndpointTooLong)?;
		let staker = Workers::<T>::try_mutate(worker, |info| {
			let info = info.as_mut().ok_or(Error::<T>::NotAWorker)?;
			info.endpoint = endpoint;
			info.umbral_key = umbral_key;
			info.signing_key = signing_key;
			info.registered = true;
			Ok::<_, Error<T>>(info.staker.clone())
		})?;
		Self::deposit_event(Event::WorkerRegistered { worker: worker.clone(), staker });
		Ok(())
	}

	/// Registers `worker`'s keys without proofs of possession: for other pallets' benchmarks,
	/// which need Ursulas with keys they chose.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn register_for_benchmarks(
		worker: &T::AccountId,
		umbral_key: [u8; 33],
		signing_key: [u8; 32],
	) -> DispatchResult {
		Self::record_registration(
			worker,
			b"http://127.0.0.1:9151".to_vec(),
			umbral_key,
			signing_key,
		)
	}

	/// Whether `worker` may commit to `period` now, without changing anything: the checks shared
	/// by the signed call, the authorized call's validation and the off-chain worker.
	pub(crate) fn check_commit(
		worker: &T::AccountId,
		period: Period,
	) -> Result<AllowedCommitment<T>, Error<T>> {
		let info = Workers::<T>::get(worker).ok_or(Error::<T>::NotAWorker)?;
		ensure!(info.registered, Error::<T>::WorkerNotRegistered);
		ensure!(period == Self::current_period().saturating_add(1), Error::<T>::WrongCommitPeriod);
		ensure!(info.last_committed_period != Some(period), Error::<T>::AlreadyCommitted);
		let staker_info = Stakers::<T>::get(&info.staker).ok_or(Error::<T>::NotAStaker)?;
		// A re-bonded worker must not commit a period its predecessor already committed.
		ensure!(
			!staker_info.unrewarded.iter().any(|c| c.period == period),
			Error::<T>::AlreadyCommitted
		);
		let commitment = Self::commitment_for(&info.staker, &staker_info, period);
		ensure!(commitment.locked >= T::MinStake::get(), Error::<T>::NotEnoughLockedStake);
		Ok((info, commitment))
	}

	/// Records `worker`'s commitment to `period`, minting the rewards of passed periods first.
	/// Returns the weight the commitment hook used (fees for the period being served).
	pub(crate) fn do_commit(
		worker: &T::AccountId,
		period: Period,
	) -> Result<Weight, DispatchError> {
		let (mut info, commitment) = Self::check_commit(worker, period)?;
		let stake: u128 = commitment.locked.saturated_into();
		let staker = info.staker.clone();
		let mut staker_info = Self::catch_up(&staker).ok_or(Error::<T>::NotAStaker)?;
		Self::mint_passed(&staker, &mut staker_info);

		let now = Self::current_period();
		// Committed to the current period as well: available all through it.
		let served = Self::worker_committed_to(&info, now).then_some(now);
		match info.last_committed_period {
			// Committed to the current period too: the run goes on.
			Some(last) if last == now => {},
			Some(last) => {
				Self::record_downtime(&staker, last.saturating_add(1), now);
				info.committed_since = Some(period);
			},
			None => info.committed_since = Some(period),
		}
		info.last_committed_period = Some(period);
		LockedInPeriod::<T>::mutate(period, |total| {
			if total.locked.is_zero() {
				total.supply = T::Currency::total_issuance();
			}
			total.locked = total.locked.saturating_add(commitment.locked);
		});
		// After minting, only the current period can still be waiting: there is room.
		staker_info.unrewarded.try_push(commitment).map_err(|_| Error::<T>::Overflow)?;
		Workers::<T>::insert(worker, info);
		Stakers::<T>::insert(&staker, staker_info);
		Self::deposit_event(Event::Committed {
			worker: worker.clone(),
			staker: staker.clone(),
			period,
		});
		Ok(T::OnCommitment::on_commitment(&Committed {
			worker: worker.clone(),
			staker,
			period,
			served,
			stage: Self::stage(),
			stake,
		}))
	}

	fn record_downtime(staker: &T::AccountId, from: Period, to: Period) {
		Downtime::<T>::mutate(staker, |gaps| {
			if gaps.is_full() {
				gaps.remove(0);
			}
			// Cannot fail: a slot was freed above if needed.
			let _ = gaps.try_push((from, to));
		});
		Self::deposit_event(Event::DowntimeRecorded { staker: staker.clone(), from, to });
	}

	/// Whether `worker` committed to serve in `period`.
	pub fn committed_to(worker: &T::AccountId, period: Period) -> bool {
		Workers::<T>::get(worker).is_some_and(|info| Self::worker_committed_to(&info, period))
	}

	pub(crate) fn worker_committed_to(info: &WorkerInfo<T::AccountId>, period: Period) -> bool {
		match (info.committed_since, info.last_committed_period) {
			(Some(from), Some(to)) => from <= period && period <= to,
			_ => false,
		}
	}
}
