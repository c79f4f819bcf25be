//! The form of an Ursula's duty transactions: signed by the worker account (a version-4
//! extrinsic every Substrate client decodes), fee-free when, and only when, the duty is due.
//!
//! [`CheckDuty`] is a transaction extension. For a duty call (today
//! [`Call::commit_to_next_period`]; complaints, proofs, ticket redemptions and activity claims
//! take the same form as they land) it runs the duty's own state checks in the pool, before the
//! fee extension: a duty that cannot succeed is refused there with a precise validity code
//! ([`keymarket_primitives::staking::validity`], or `Stale` when already committed) and never
//! reaches a block, so it costs nobody anything. A duty that can succeed is valid at
//! [`COMMITMENT_PRIORITY`] (above any tip), provides one tag per worker and period (the pool keeps one), lives until the period
//! it commits to begins, and the call's `feeless_if` lets `SkipCheckIfFeeless` waive its fee. For
//! every other call the extension does nothing.
//!
//! The worker's signature is checked before any extension, as for every signed transaction:
//! a flood of forged duties costs the pool one sr25519 check each, like any forged transaction.
//! `feeless_if` repeats the state checks (a few cached reads, once per worker and period) so that
//! the fee waiver does not depend on this extension being in the runtime's list.

use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityError, ValidTransaction,
	},
	traits::{Get, IsSubType, OriginTrait},
	weights::Weight,
};
use keymarket_primitives::staking::validity;
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{
		AsSystemOriginSigner, DispatchInfoOf, DispatchOriginOf, Dispatchable, Implication,
		TransactionExtension, UniqueSaturatedInto, ValidateResult,
	},
};

use crate::{Call, Config, Error, Pallet, Period, WeightInfo};

/// The pool priority of a duty: above what any tip buys a normal transaction (a tip's priority
/// is the tip scaled by the block's capacity, far below this), so duties are taken first; there
/// is at most one per worker and period.
pub const COMMITMENT_PRIORITY: frame_support::pallet_prelude::TransactionPriority = u64::MAX / 4;

/// The tag prefix of duties in the pool.
const DUTY_TAG: &[u8] = b"keymarket/duty/commit";

/// Checks a worker's duty transaction in the pool and gives it its place (see the module docs).
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct CheckDuty<T: Config + Send + Sync>(PhantomData<T>);

impl<T: Config + Send + Sync> CheckDuty<T> {
	/// The extension (it carries nothing).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T: Config + Send + Sync> Default for CheckDuty<T> {
	fn default() -> Self {
		Self::new()
	}
}

impl<T: Config + Send + Sync> core::fmt::Debug for CheckDuty<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckDuty")
	}
}

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

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
	for CheckDuty<T>
where
	<T as frame_system::Config>::RuntimeCall: Dispatchable + IsSubType<Call<T>>,
	DispatchOriginOf<<T as frame_system::Config>::RuntimeCall>:
		AsSystemOriginSigner<T::AccountId> + Clone,
{
	const IDENTIFIER: &'static str = "CheckDuty";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		match call.is_sub_type() {
			Some(Call::commit_to_next_period {}) => T::WeightInfo::check_duty(),
			_ => Weight::zero(),
		}
	}

	fn validate(
		&self,
		origin: DispatchOriginOf<<T as frame_system::Config>::RuntimeCall>,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_self_implicit: (),
		_inherited_implication: &impl Implication,
		_source: TransactionSource,
	) -> ValidateResult<(), <T as frame_system::Config>::RuntimeCall> {
		let Some(Call::commit_to_next_period {}) = call.is_sub_type() else {
			return Ok((ValidTransaction::default(), (), origin));
		};
		let Some(worker) = origin.as_system_origin_signer() else {
			return Err(InvalidTransaction::BadSigner.into());
		};
		let period = Pallet::<T>::duty_validity(worker).map_err(TransactionValidityError::from)?;
		let valid = ValidTransaction::with_tag_prefix("KeymarketDuty")
			.priority(COMMITMENT_PRIORITY)
			.and_provides((DUTY_TAG, worker, period))
			.longevity(Pallet::<T>::blocks_until(period))
			.propagate(true)
			.build()?;
		Ok((valid, (), origin))
	}

	impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
