//! Committee attestation, the second scheme: after a period, a committee of a later round (the
//! gateway pallet's stake-weighted draw, the t-of-n list its proofs of unavailability use)
//! checks the worker's full record of a policy's period natively — distinct request keys, Bob's
//! signatures, every fragment, ω — and its members sign what they found
//! ([`attestation_payload`]). The worker submits `t` signatures; the runtime checks them
//! against the round's list and pays. What it proves rests on the committee: `t` colluding
//! members can attest work never done, as `t` colluding gateways can prove an Ursula silent.

use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::*};
use keymarket_primitives::{
	activity::{attestation_payload, ClaimState},
	crypto::sr25519_signed,
};
use sp_runtime::traits::Saturating;

use crate::*;

impl<T: Config> Pallet<T> {
	/// Every check of an attestation, cheapest first, the signatures last; changes nothing.
	/// Returns what the attested work is worth.
	#[allow(clippy::too_many_arguments)]
	pub(crate) fn check_attest(
		worker: &T::AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: &[u8; 32],
		round: Round,
		signers: SignerSet,
		signatures: &[keymarket_primitives::crypto::Sr25519Signature],
	) -> Result<T::Balance, Error<T>> {
		ensure!(Scheme::<T>::get() == ActivityScheme::Committee, Error::<T>::WrongScheme);
		let terms = Self::check_claimable(worker, policy, period, omega)?;
		// A committee drawn after the period ended: its members could fetch the whole record.
		let committee = T::Committees::committee(round).ok_or(Error::<T>::UnknownRound)?;
		let period_end = period.saturating_add(1).saturating_mul(T::BlocksPerPeriod::get());
		ensure!(committee.first_block >= period_end, Error::<T>::UnknownRound);
		ensure!(
			signers.len() >= committee.threshold.max(1)
				&& signatures.len() == signers.len() as usize,
			Error::<T>::NotEnoughSigners
		);
		ensure!(
			signers.highest().is_some_and(|i| (i as usize) < committee.members.len()),
			Error::<T>::NotACommitteeMember
		);
		let signing: Vec<&(T::AccountId, [u8; 32])> =
			signers.indices().map(|i| &committee.members[i as usize]).collect();
		ensure!(signing.iter().all(|(member, _)| member != worker), Error::<T>::OwnAttestation);
		let payload = attestation_payload(worker, &policy, period, omega, root, round);
		for ((_, key), signature) in signing.iter().zip(signatures) {
			ensure!(sr25519_signed(key, &payload, signature), Error::<T>::BadAttestation);
		}
		Ok(terms.price.saturating_mul(omega.into()).min(terms.rate))
	}

	/// Checks an attestation, pays it, and keeps it as the worker's claim of the period.
	#[allow(clippy::too_many_arguments)]
	pub(crate) fn do_attest(
		worker: T::AccountId,
		policy: PolicyId,
		period: Period,
		omega: u32,
		root: [u8; 32],
		round: Round,
		signers: SignerSet,
		signatures: &[keymarket_primitives::crypto::Sr25519Signature],
	) -> DispatchResult {
		let worth =
			Self::check_attest(&worker, policy, period, omega, &root, round, signers, signatures)?;
		let staker = T::Ursulas::staker_of(&worker).ok_or(Error::<T>::NotPolicyUrsula)?;
		let paid = T::Policies::pay_from_escrow(&policy, &worker, &staker, worth);
		let now = Self::now();
		let claim = Claim {
			omega,
			root,
			beacon_at: now,
			open_until: Self::open_until(period).max(now.saturating_add(1)),
			status: ClaimState::Paid(paid),
		};
		Claims::<T>::insert(&worker, (policy, period), claim);
		ByPeriod::<T>::insert(period, (worker.clone(), policy), ());
		Self::deposit_event(Event::Attested { worker, policy, period, omega, round, staker, paid });
		Ok(())
	}
}
