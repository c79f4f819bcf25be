//! The staking pallet's duty: a worker's commitment to the next period, in the one form of
//! duty transactions (`keymarket_primitives::duty`): signed by the worker account (a version-4
//! extrinsic every Substrate client decodes), fee-free when, and only when, the duty is due.
//!
//! [`CommitDuty`] is this pallet's part of the runtime's one duty extension
//! ([`CheckDuties`](keymarket_primitives::duty::CheckDuties)). For
//! [`Call::commit_to_next_period`] it runs the commitment's own state checks in the pool,
//! before the fee extension: a duty that cannot succeed is refused there with a precise validity
//! code ([`keymarket_primitives::staking::validity`], or `Stale` when already committed) and
//! never reaches a block, so it costs nobody anything. One that can succeed is valid at
//! [`DUTY_PRIORITY`] (above any tip), provides one tag per worker and period (the pool keeps
//! one), lives until the period it commits to begins, and the call's `feeless_if` lets
//! `SkipCheckIfFeeless` waive its fee. A commitment needs a signer (`BadSigner` otherwise).
//!
//! The worker's signature is checked before any extension, as for every signed transaction:
//! a flood of forged duties costs the pool one sr25519 check each, like any forged transaction.
//! `feeless_if` repeats the state checks (a few cached reads, once per worker and period) so that
//! the fee waiver does not depend on the extension being in the runtime's list.

use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::{InvalidTransaction, TransactionValidityError},
	traits::{Get, IsSubType, OriginTrait},
	weights::Weight,
};
pub use keymarket_primitives::duty::DUTY_PRIORITY;
use keymarket_primitives::{
	duty::{CheckDuties, Due, Duties},
	staking::validity,
};
use sp_runtime::traits::UniqueSaturatedInto;

use crate::{Call, Config, Error, Pallet, Period, WeightInfo};

/// The pool priority of a commitment: a duty's.
pub const COMMITMENT_PRIORITY: frame_support::pallet_prelude::TransactionPriority = DUTY_PRIORITY;

/// The tag prefix of commitments in the pool.
const DUTY_TAG: &[u8] = b"keymarket/duty/commit";

/// The staking pallet's duties, for the runtime's [`CheckDuties`] (see the module docs).
pub struct CommitDuty<T>(PhantomData<T>);

/// The duty extension with this pallet's duties alone (the pallet's tests use it).
pub type CheckDuty<T> = CheckDuties<
	<T as frame_system::Config>::RuntimeCall,
	<T as frame_system::Config>::AccountId,
	CommitDuty<T>,
>;

impl<T: Config> Pallet<T> {
	/// Whether `worker`'s commitment to the next period can succeed now, as a validity code.
	pub fn duty_validity(worker: &T::AccountId) -> Result<Period, InvalidTransaction> {
		let next = Self::current_period().saturating_add(1);
		Self::check_commit(worker, next).map(|_| next).map_err(|e| match e {
			Error::<T>::NotAWorker => InvalidTransaction::Custom(validity::NOT_A_WORKER),
			Error::<T>::WorkerNotRegistered => InvalidTransaction::Custom(validity::NOT_REGISTERED),
			Error::<T>::AlreadyCommitted => InvalidTransaction::Stale,
			Error::<T>::NotEnoughLockedStake => {
				InvalidTransaction::Custom(validity::NOT_ENOUGH_STAKE)
			},
			_ => InvalidTransaction::Call,
		})
	}

	/// The `feeless_if` of [`Call::commit_to_next_period`]: a signed worker whose commitment can
	/// succeed pays no fee.
	pub(crate) fn duty_is_due(origin: &frame_system::pallet_prelude::OriginFor<T>) -> bool {
		origin.as_signer().is_some_and(|worker| Self::duty_validity(worker).is_ok())
	}

	/// Blocks until `period` begins (at least one).
	fn blocks_until(period: Period) -> u64 {
		let blocks_per_period: u64 = T::BlocksPerPeriod::get().unique_saturated_into();
		let now: u64 = frame_system::Pallet::<T>::block_number().unique_saturated_into();
		(period as u64).saturating_mul(blocks_per_period).saturating_sub(now).max(1)
	}
}

impl<T: Config> Duties<<T as frame_system::Config>::RuntimeCall, T::AccountId> for CommitDuty<T>
where
	<T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
	fn check(
		who: Option<&T::AccountId>,
		call: &<T as frame_system::Config>::RuntimeCall,
	) -> Result<Option<Due>, TransactionValidityError> {
		let Some(Call::commit_to_next_period {}) = call.is_sub_type() else { return Ok(None) };
		let worker = who.ok_or(InvalidTransaction::BadSigner)?;
		let period = Pallet::<T>::duty_validity(worker)?;
		Ok(Some(Due::new((DUTY_TAG, worker, period), Pallet::<T>::blocks_until(period))))
	}

	fn weight(call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		match call.is_sub_type() {
			Some(Call::commit_to_next_period {}) => T::WeightInfo::check_duty(),
			_ => Weight::zero(),
		}
	}
}
