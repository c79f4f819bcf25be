//! The activity pallet's duty transactions, in the one form of duties
//! (`keymarket_primitives::duty`): signed by the worker, checked in the pool by the runtime's one
//! duty extension before the fee extension, fee-free through the calls' `feeless_if` when, and
//! only when, they are due.
//!
//! - A worker's claim that will be taken (every check, its signature included): valid at
//!   [`DUTY_PRIORITY`], one per worker, policy and period in the pool, until the period can no
//!   longer be claimed. Its claim that would fail would be free: refused here with the pallet's
//!   error as a `Custom` validity code (its index in [`crate::Error`]). A claim from an account
//!   that is not the policy's Ursula is an ordinary transaction: it pays to fail.
//! - A worker's opening of its claim, when the claim waits to be opened, its beacon is drawn and
//!   the openings are exactly the challenged leaves: valid at [`DUTY_PRIORITY`], one per claim,
//!   until the claim's last block. Judging the leaves is the call's own work: an opening that
//!   is refuted still costs the worker its claim and a slash, so a free one is no gift. An
//!   opening of a claim that does not wait for it (none, opened, too early, too late, the wrong
//!   leaves) would be free: refused here. Without a claim it is an ordinary transaction.
//! - A worker's committee attestation that will be taken (every check, each member's signature
//!   included), under the `Committee` scheme: valid at [`DUTY_PRIORITY`], in the same one place
//!   per worker, policy and period as a claim. One that would fail is refused here; from an
//!   account that is not the policy's Ursula it is an ordinary transaction.
//! - A worker's private claim (the zero-knowledge scheme) that passes every check but its
//!   proof's: valid in the same place as a claim. The proof is the call's own work — a claim
//!   whose proof fails is kept refuted and its worker slashed, so a free one is no gift. Its
//!   opening is a duty as an opening is.

use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionValidityError,
	traits::{Get, IsSubType, OriginTrait},
	weights::Weight,
};
pub use keymarket_primitives::duty::DUTY_PRIORITY;
use keymarket_primitives::duty::{CheckDuties, Due, Duties};

use crate::{
	ActivityPolicies, Call, Claims, Config, Openings, Pallet, Period, PolicyId, WeightInfo,
};

/// The activity pallet's duties, for the runtime's [`CheckDuties`] (see the module docs).
pub struct ActivityDuties<T>(PhantomData<T>);

/// The duty extension with the activity pallet's duties alone (the pallet's tests use it).
pub type CheckActivityDuty<T> = CheckDuties<
	<T as frame_system::Config>::RuntimeCall,
	<T as frame_system::Config>::AccountId,
	ActivityDuties<T>,
>;

/// An error of the pallet as a validity code: its index in [`crate::Error`].
pub use keymarket_primitives::staking::validity::of_error as validity_code;

impl<T: Config> Pallet<T> {
	/// Blocks from now to the end of the last period in which `period` may be claimed.
	fn blocks_to_claim(period: Period) -> u64 {
		let last = period
			.saturating_add(T::ClaimPeriods::get())
			.saturating_add(1)
			.saturating_mul(T::BlocksPerPeriod::get());
		u64::from(last.saturating_sub(Self::now()))
	}

	/// The `feeless_if` of [`Call::claim`]: a signed worker whose claim will be taken.
	pub(crate) fn claim_is_a_duty(
		origin: &frame_system::pallet_prelude::OriginFor<T>,
		policy: &PolicyId,
		period: &Period,
		omega: &u32,
		root: &[u8; 32],
		signature: &keymarket_primitives::crypto::Sr25519Signature,
	) -> bool {
		origin.as_signer().is_some_and(|worker| {
			Self::check_claim(worker, *policy, *period, *omega, root, signature).is_ok()
		})
	}

	/// The `feeless_if` of [`Call::attest`]: a signed worker whose attestation will be taken.
	#[allow(clippy::too_many_arguments)]
	pub(crate) fn attest_is_a_duty(
		origin: &frame_system::pallet_prelude::OriginFor<T>,
		policy: &PolicyId,
		period: &Period,
		omega: &u32,
		root: &[u8; 32],
		round: &keymarket_primitives::time::Round,
		signers: &crate::SignerSet,
		signatures: &crate::Attestations,
	) -> bool {
		origin.as_signer().is_some_and(|worker| {
			Self::check_attest(worker, *policy, *period, *omega, root, *round, *signers, signatures)
				.is_ok()
		})
	}

	/// The `feeless_if` of [`Call::open`]: a signed worker opening exactly the challenged leaves
	/// of its claim that waits for them.
	pub(crate) fn open_is_a_duty(
		origin: &frame_system::pallet_prelude::OriginFor<T>,
		policy: &PolicyId,
		period: &Period,
		openings: &Openings<T>,
	) -> bool {
		let indices: alloc::vec::Vec<u32> = openings.iter().map(|o| o.index).collect();
		origin.as_signer().is_some_and(|worker| {
			Self::check_open(worker, *policy, *period, &indices, false).is_ok()
		})
	}
}

impl<T: Config> ActivityDuties<T> {
	/// An opening (of a private claim if `private`) at `indices` of `who`'s claim: a duty when
	/// the claim waits for exactly those leaves; an ordinary transaction without a claim.
	fn opening_due(
		who: &T::AccountId,
		policy: &PolicyId,
		period: &Period,
		indices: &[u32],
		private: bool,
	) -> Result<Option<Due>, TransactionValidityError> {
		if !Claims::<T>::contains_key(who, (*policy, *period)) {
			return Ok(None);
		}
		let (claim, _) = Pallet::<T>::check_open(who, *policy, *period, indices, private)
			.map_err(|error| TransactionValidityError::from(validity_code(error)))?;
		Ok(Some(Due::new(
			(b"keymarket/duty/activity-open", who, policy, period),
			u64::from(claim.open_until.saturating_sub(Pallet::<T>::now())),
		)))
	}
}

impl<T: Config> Duties<<T as frame_system::Config>::RuntimeCall, T::AccountId> for ActivityDuties<T>
where
	<T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
	fn check(
		who: Option<&T::AccountId>,
		call: &<T as frame_system::Config>::RuntimeCall,
	) -> Result<Option<Due>, TransactionValidityError> {
		let Some(who) = who else { return Ok(None) };
		match call.is_sub_type() {
			Some(Call::claim { policy, period, omega, root, signature }) => {
				// Not the policy's Ursula: an ordinary transaction that pays to fail.
				if T::Policies::activity_terms(policy, who).is_none() {
					return Ok(None);
				}
				Pallet::<T>::check_claim(who, *policy, *period, *omega, root, signature)
					.map_err(|error| TransactionValidityError::from(validity_code(error)))?;
				Ok(Some(Due::new(
					(b"keymarket/duty/activity-claim", who, policy, period),
					Pallet::<T>::blocks_to_claim(*period),
				)))
			},
			Some(Call::attest { policy, period, omega, root, round, signers, signatures }) => {
				if T::Policies::activity_terms(policy, who).is_none() {
					return Ok(None);
				}
				Pallet::<T>::check_attest(
					who, *policy, *period, *omega, root, *round, *signers, signatures,
				)
				.map_err(|error| TransactionValidityError::from(validity_code(error)))?;
				// The same place as a claim's: one proof per worker, policy and period.
				Ok(Some(Due::new(
					(b"keymarket/duty/activity-claim", who, policy, period),
					Pallet::<T>::blocks_to_claim(*period),
				)))
			},
			Some(Call::open { policy, period, openings }) => {
				let indices: alloc::vec::Vec<u32> = openings.iter().map(|o| o.index).collect();
				Self::opening_due(who, policy, period, &indices, false)
			},
			Some(Call::claim_private {
				policy,
				period,
				omega,
				root,
				commitments,
				proof: _,
				signature,
			}) => {
				if T::Policies::activity_terms(policy, who).is_none() {
					return Ok(None);
				}
				// Every check but the proof's, which the call makes: a claim whose proof fails
				// is refuted and its worker slashed, so a free one is no gift.
				Pallet::<T>::check_private_claim(
					who,
					*policy,
					*period,
					*omega,
					root,
					commitments,
					signature,
				)
				.map_err(|error| TransactionValidityError::from(validity_code(error)))?;
				Ok(Some(Due::new(
					(b"keymarket/duty/activity-claim", who, policy, period),
					Pallet::<T>::blocks_to_claim(*period),
				)))
			},
			Some(Call::open_private { policy, period, openings }) => {
				let indices: alloc::vec::Vec<u32> = openings.iter().map(|o| o.index).collect();
				Self::opening_due(who, policy, period, &indices, true)
			},
			_ => Ok(None),
		}
	}

	fn weight(call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		match call.is_sub_type() {
			// Every check of a claim, its signature included: the claim's own weight bounds it.
			Some(Call::claim { .. }) => T::WeightInfo::claim(),
			// Every check of an attestation, its signatures included: its own weight.
			Some(Call::attest { signatures, .. }) => T::WeightInfo::attest(signatures.len() as u32),
			// The claim, the beacon block's hash, the challenges drawn.
			Some(Call::open { .. }) | Some(Call::open_private { .. }) => {
				T::DbWeight::get().reads(5)
			},
			// Every check but the proof's: a claim's (its signature included), and the
			// commitments' tree — two hashes a commitment, at 4 µs generously.
			Some(Call::claim_private { commitments, .. }) => T::WeightInfo::claim().saturating_add(
				Weight::from_parts(4_000_000, 0).saturating_mul(commitments.len() as u64),
			),
			_ => Weight::zero(),
		}
	}
}
