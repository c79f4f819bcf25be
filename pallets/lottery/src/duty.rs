//! The lottery's duty transactions in the pool, in the form the staking pallet settled
//! (`pallet_keymarket_staking::duty`): signed by the worker, checked here before the fee
//! extension, fee-free through the calls' `feeless_if` when, and only when, they are due.
//!
//! - A worker's commitment to a new value: valid at [`DUTY_PRIORITY`] when it can succeed,
//!   one per worker and round in the pool (tag: worker and round), until the round ends. A
//!   worker's commitment that would fail (already committed this round) would be free: it is
//!   refused here with the pallet's error as a `Custom` validity code (its index in
//!   [`crate::Error`]).
//! - A worker's reveal of its previous value with its winners: valid at [`DUTY_PRIORITY`], one
//!   per worker and commitment in the pool, for a round.
//!
//! Anything else (a commitment from an account that is not a worker, a redemption against the
//! value revealed last) is an ordinary transaction: it pays its fee, and this extension does
//! nothing for it.

use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::{TransactionPriority, TransactionSource, ValidTransaction},
	traits::{Get, IsSubType},
	weights::Weight,
};
use keymarket_primitives::lottery::commitment_of;
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{
		AsSystemOriginSigner, DispatchInfoOf, DispatchOriginOf, Dispatchable, Implication,
		TransactionExtension, ValidateResult,
	},
};

use crate::{Call, Clock, Config, Error, Pallet};

/// The pool priority of a lottery duty: as high as the other duties', above any tip.
pub const DUTY_PRIORITY: TransactionPriority = u64::MAX / 4;

/// Checks workers' lottery duties in the pool (see the module docs).
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct CheckLotteryDuty<T: Config + Send + Sync>(PhantomData<T>);

impl<T: Config + Send + Sync> CheckLotteryDuty<T> {
	/// The extension (it carries nothing).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T: Config + Send + Sync> Default for CheckLotteryDuty<T> {
	fn default() -> Self {
		Self::new()
	}
}

impl<T: Config + Send + Sync> core::fmt::Debug for CheckLotteryDuty<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckLotteryDuty")
	}
}

/// An error of the pallet as a validity code: its index in [`crate::Error`].
pub use keymarket_primitives::staking::validity::of_error as validity_code;

impl<T: Config> Pallet<T> {
	/// Blocks left in the current round (at least one).
	fn blocks_left_in_round() -> u64 {
		use sp_runtime::traits::UniqueSaturatedInto;
		let now: u32 = frame_system::Pallet::<T>::block_number().unique_saturated_into();
		let next = Self::round_start(T::Ursulas::current_round().saturating_add(1));
		u64::from(next.saturating_sub(now)).max(1)
	}
}

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
	for CheckLotteryDuty<T>
where
	<T as frame_system::Config>::RuntimeCall: Dispatchable + IsSubType<Call<T>>,
	DispatchOriginOf<<T as frame_system::Config>::RuntimeCall>:
		AsSystemOriginSigner<T::AccountId> + Clone,
{
	const IDENTIFIER: &'static str = "CheckLotteryDuty";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		// The checks read the worker's registration and commitments.
		match call.is_sub_type() {
			Some(Call::commit { .. } | Call::redeem { .. }) => T::DbWeight::get().reads(3),
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
		let Some(who) = origin.as_system_origin_signer() else {
			return Ok((ValidTransaction::default(), (), origin));
		};
		let tag = match call.is_sub_type() {
			Some(Call::commit { .. }) => match Pallet::<T>::check_commit(who) {
				Ok(round) => (b"keymarket/duty/lottery-commit", who.clone(), round).encode(),
				// Not a worker: an ordinary transaction that pays to fail.
				Err(Error::<T>::NotAWorker) => {
					return Ok((ValidTransaction::default(), (), origin))
				},
				Err(error) => return Err(validity_code(error).into()),
			},
			Some(Call::redeem { revealed, .. }) => {
				if !Pallet::<T>::reveal_opens_previous(who, revealed) {
					return Ok((ValidTransaction::default(), (), origin));
				}
				(b"keymarket/duty/lottery-reveal", who.clone(), commitment_of(revealed)).encode()
			},
			_ => return Ok((ValidTransaction::default(), (), origin)),
		};
		let valid = ValidTransaction::with_tag_prefix("KeymarketLotteryDuty")
			.priority(DUTY_PRIORITY)
			.and_provides(tag)
			.longevity(Pallet::<T>::blocks_left_in_round())
			.propagate(true)
			.build()?;
		Ok((valid, (), origin))
	}

	impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
