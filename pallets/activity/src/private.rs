//! Private claims (the zero-knowledge scheme): made with commitments and a range proof that
//! their keys are distinct, verified by the `keymarket_zk` host functions; opened like any
//! claim, each leaf with its commitment's opening.

use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::*};
use keymarket_primitives::{
	activity::ActivityScheme,
	crypto::sr25519_signed,
	zk::{
		check_private_opening, commitment_count, commitments_root, keymarket_zk,
		private_claim_payload, MAX_ZK_OMEGA,
	},
};
use sp_crypto_hashing::blake2_256;

use crate::{claims::Judged, *};

impl<T: Config> Pallet<T> {
	/// Every check of a private claim but its proof's, cheapest first, the signature last;
	/// changes nothing. Returns the commitments' root.
	pub(crate) fn check_private_claim(
		worker: &T::AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: &[u8; 32],
		commitments: &Commitments,
		signature: &keymarket_primitives::crypto::Sr25519Signature,
	) -> Result<[u8; 32], Error<T>> {
		ensure!(Scheme::<T>::get() == ActivityScheme::ZeroKnowledge, Error::<T>::WrongScheme);
		Self::check_claimable(worker, policy, period, omega)?;
		ensure!(omega <= MAX_ZK_OMEGA, Error::<T>::BadOmega);
		ensure!(commitments.len() == commitment_count(omega) as usize, Error::<T>::BadCommitments);
		let key = T::Ursulas::keys(worker).ok_or(Error::<T>::NotPolicyUrsula)?.signing_key;
		let commitments_root = commitments_root(commitments);
		let payload =
			private_claim_payload(worker, &policy, period, omega, root, &commitments_root);
		ensure!(sr25519_signed(&key, &payload, signature), Error::<T>::BadSignature);
		Ok(commitments_root)
	}

	/// Checks a private claim, verifies its proof and stores it: committed if the proof holds,
	/// refuted (and the worker reported) if not.
	#[allow(clippy::too_many_arguments)]
	pub(crate) fn do_claim_private(
		worker: T::AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: [u8; 32],
		commitments: &Commitments,
		proof: &ZkProof,
		signature: &keymarket_primitives::crypto::Sr25519Signature,
	) -> DispatchResult {
		let commitments_root = Self::check_private_claim(
			&worker,
			policy,
			period,
			omega,
			&root,
			commitments,
			signature,
		)?;
		let terms =
			T::Policies::activity_terms(&policy, &worker).ok_or(Error::<T>::NotPolicyUrsula)?;
		let context = blake2_256(&private_claim_payload(
			&worker,
			&policy,
			period,
			omega,
			&root,
			&commitments_root,
		));
		let flat: Vec<u8> = commitments.iter().flatten().copied().collect();
		let distinct = keymarket_zk::verify_distinct(&context, omega, &flat, proof);
		let claim = Self::store_claim(&worker, policy, period, omega, root);
		PrivateClaims::<T>::insert(&worker, (policy, period), commitments_root);
		Self::deposit_event(Event::Claimed {
			worker: worker.clone(),
			policy,
			period,
			omega,
			root,
			beacon_at: claim.beacon_at,
		});
		if !distinct {
			Self::conclude(
				worker,
				policy,
				period,
				claim,
				&terms,
				Some((u32::MAX, Refutation::NotDistinct)),
			)?;
		}
		Ok(())
	}

	/// Opens `worker`'s private claim: the challenged leaves, each judged as in `open` and its
	/// record's key checked against the commitment at its index. Returns how many openings
	/// were judged.
	pub(crate) fn do_open_private(
		worker: T::AccountId,
		policy: PolicyId,
		period: Period,
		openings: &PrivateOpenings<T>,
	) -> Result<u32, DispatchError> {
		// `check_open` (in `judge_openings`) refuses a claim that is not private first.
		let commitments_root =
			PrivateClaims::<T>::get(&worker, (policy, period)).unwrap_or_default();
		let indices: Vec<u32> = openings.iter().map(|o| o.index).collect();
		Self::judge_openings(worker, policy, period, &indices, true, |judged, at| {
			Self::judge_private(judged, &commitments_root, &openings[at])
		})
	}

	/// Every check of one privately opened leaf.
	fn judge_private(
		judged: &Judged<T>,
		commitments_root: &[u8; 32],
		opening: &PrivateOpeningOf<T>,
	) -> Result<(), Refutation> {
		let record = check_private_opening(
			&judged.claim.root,
			commitments_root,
			judged.claim.omega,
			&opening.unbounded(),
		)
		.map_err(Refutation::Private)?;
		Self::judge_record(judged, opening.index, &record)
	}

	/// The `feeless_if` of [`Call::claim_private`]: a signed worker whose claim passes every
	/// check but the proof's (a failing proof gets it refuted and slashed).
	#[allow(clippy::too_many_arguments)]
	pub(crate) fn claim_private_is_a_duty(
		origin: &frame_system::pallet_prelude::OriginFor<T>,
		policy: &PolicyId,
		period: &Period,
		omega: &u32,
		root: &[u8; 32],
		commitments: &Commitments,
		signature: &keymarket_primitives::crypto::Sr25519Signature,
	) -> bool {
		use frame_support::traits::OriginTrait;
		origin.as_signer().is_some_and(|worker| {
			Self::check_private_claim(
				worker,
				*policy,
				*period,
				*omega,
				root,
				commitments,
				signature,
			)
			.is_ok()
		})
	}

	/// The `feeless_if` of [`Call::open_private`]: a signed worker opening exactly the
	/// challenged leaves of its private claim that waits for them.
	pub(crate) fn open_private_is_a_duty(
		origin: &frame_system::pallet_prelude::OriginFor<T>,
		policy: &PolicyId,
		period: &Period,
		openings: &PrivateOpenings<T>,
	) -> bool {
		use frame_support::traits::OriginTrait;
		let indices: Vec<u32> = openings.iter().map(|o| o.index).collect();
		origin.as_signer().is_some_and(|worker| {
			Self::check_open(worker, *policy, *period, &indices, true).is_ok()
		})
	}
}
