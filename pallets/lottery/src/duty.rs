//! The lottery's duty transactions, in the one form of duties (`keymarket_primitives::duty`):
//! signed by the worker, checked in the pool by the runtime's one duty extension before the fee
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
//! value revealed last) is an ordinary transaction: it pays its fee, and the extension does
//! nothing for it.

use codec::Encode;
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionValidityError,
	traits::{Get, IsSubType},
	weights::Weight,
};
pub use keymarket_primitives::duty::DUTY_PRIORITY;
use keymarket_primitives::{
	duty::{CheckDuties, Due, Duties},
	lottery::commitment_of,
};

use crate::{Call, Clock, Config, Error, Pallet};

/// The lottery's duties, for the runtime's [`CheckDuties`] (see the module docs).
pub struct LotteryDuties<T>(PhantomData<T>);

/// The duty extension with the lottery's duties alone (the pallet's tests use it).
pub type CheckLotteryDuty<T> = CheckDuties<
	<T as frame_system::Config>::RuntimeCall,
	<T as frame_system::Config>::AccountId,
	LotteryDuties<T>,
>;

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

impl<T: Config> Duties<<T as frame_system::Config>::RuntimeCall, T::AccountId> for LotteryDuties<T>
where
	<T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
	fn check(
		who: Option<&T::AccountId>,
		call: &<T as frame_system::Config>::RuntimeCall,
	) -> Result<Option<Due>, TransactionValidityError> {
		let Some(who) = who else { return Ok(None) };
		let tag = match call.is_sub_type() {
			Some(Call::commit { .. }) => match Pallet::<T>::check_commit(who) {
				Ok(round) => (b"keymarket/duty/lottery-commit", who.clone(), round).encode(),
				// Not a worker: an ordinary transaction that pays to fail.
				Err(Error::<T>::NotAWorker) => return Ok(None),
				Err(error) => return Err(validity_code(error).into()),
			},
			Some(Call::redeem { revealed, .. }) => {
				if !Pallet::<T>::reveal_opens_previous(who, revealed) {
					return Ok(None);
				}
				(b"keymarket/duty/lottery-reveal", who.clone(), commitment_of(revealed)).encode()
			},
			_ => return Ok(None),
		};
		Ok(Some(Due { tag, longevity: Pallet::<T>::blocks_left_in_round() }))
	}

	fn weight(call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		// The checks read the worker's registration and commitments.
		match call.is_sub_type() {
			Some(Call::commit { .. } | Call::redeem { .. }) => T::DbWeight::get().reads(3),
			_ => Weight::zero(),
		}
	}
}
