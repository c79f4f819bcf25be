//! The one form of an Ursula's duty transactions: signed by the worker account (a version-4
//! extrinsic every Substrate client decodes), checked in the pool before the fee extension, and
//! fee-free when, and only when, the duty is due.
//!
//! Each pallet with duties says which of its calls are duties and whether one is due
//! ([`Duties`]); the runtime lists those pallets once, in the one transaction extension
//! [`CheckDuties`]. For a call that is one pallet's duty and can succeed, the transaction is
//! valid at [`DUTY_PRIORITY`] (above what any tip buys), provides the duty's tag (the pool keeps
//! one transaction per tag) and lives as long as the duty does. A free duty that would fail is
//! refused in the pool with a precise validity code and never reaches a block, so it costs
//! nobody anything. For every other call the extension does nothing. The calls' own
//! `feeless_if` repeats the checks, so that the fee waiver does not depend on this extension.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{
		AsSystemOriginSigner, DispatchInfoOf, DispatchOriginOf, Dispatchable, Implication,
		TransactionExtension, ValidateResult,
	},
	transaction_validity::{
		TransactionPriority, TransactionSource, TransactionValidityError, ValidTransaction,
	},
	Weight,
};

/// The pool priority of a duty: above what any tip buys a normal transaction (a tip's priority
/// is the tip scaled by the block's capacity, far below this), so duties are taken first.
pub const DUTY_PRIORITY: TransactionPriority = u64::MAX / 4;

/// A duty that can succeed: its place in the pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
	/// What it provides: the pool keeps one transaction per tag (one per worker and round,
	/// case or commitment, as the duty says).
	pub tag: Vec<u8>,
	/// For how many blocks it stays valid (at least one).
	pub longevity: u64,
}

impl Due {
	/// A duty with tag `tag`, valid for `longevity` blocks.
	pub fn new(tag: impl Encode, longevity: u64) -> Self {
		Self { tag: tag.encode(), longevity: longevity.max(1) }
	}
}

/// One pallet's duties, as [`CheckDuties`] asks them.
pub trait Duties<Call, AccountId> {
	/// What `call`, signed by `who` (`None`: not signed), is to this pallet: one of its duties
	/// that is due (`Ok(Some(..))`), one of its duties that would fail while free (`Err`: refused
	/// in the pool), or none of its duties (`Ok(None)`: an ordinary transaction that pays, or
	/// another pallet's).
	fn check(who: Option<&AccountId>, call: &Call)
		-> Result<Option<Due>, TransactionValidityError>;

	/// The weight of [`Duties::check`] for `call` (zero when it is not this pallet's duty).
	fn weight(call: &Call) -> Weight;
}

/// Several pallets' duties: the first that claims the call answers.
macro_rules! duties_for_tuples {
	($($name:ident),+) => {
		impl<Call, AccountId, $($name: Duties<Call, AccountId>),+> Duties<Call, AccountId>
			for ($($name,)+)
		{
			fn check(
				who: Option<&AccountId>,
				call: &Call,
			) -> Result<Option<Due>, TransactionValidityError> {
				$(
					if let Some(due) = $name::check(who, call)? {
						return Ok(Some(due));
					}
				)+
				Ok(None)
			}

			fn weight(call: &Call) -> Weight {
				Weight::zero()$(.saturating_add($name::weight(call)))+
			}
		}
	};
}

duties_for_tuples!(A);
duties_for_tuples!(A, B);
duties_for_tuples!(A, B, C);
duties_for_tuples!(A, B, C, D);
duties_for_tuples!(A, B, C, D, E);
duties_for_tuples!(A, B, C, D, E, F);

/// What [`CheckDuties`] is about, without owning any of it (always `Send` and `Sync`).
type Marker<Call, AccountId, D> = PhantomData<fn() -> (Call, AccountId, D)>;

/// The transaction extension that gives every pallet's duties their place in the pool (see the
/// module docs). It carries nothing: clients put nothing in it and sign nothing for it.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo)]
#[scale_info(skip_type_params(Call, AccountId, D))]
pub struct CheckDuties<Call, AccountId, D>(Marker<Call, AccountId, D>);

impl<Call, AccountId, D> CheckDuties<Call, AccountId, D> {
	/// The extension.
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<Call, AccountId, D> Default for CheckDuties<Call, AccountId, D> {
	fn default() -> Self {
		Self::new()
	}
}

impl<Call, AccountId, D> Clone for CheckDuties<Call, AccountId, D> {
	fn clone(&self) -> Self {
		Self::new()
	}
}

impl<Call, AccountId, D> PartialEq for CheckDuties<Call, AccountId, D> {
	fn eq(&self, _: &Self) -> bool {
		true
	}
}

impl<Call, AccountId, D> Eq for CheckDuties<Call, AccountId, D> {}

impl<Call, AccountId, D> core::fmt::Debug for CheckDuties<Call, AccountId, D> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckDuties")
	}
}

impl<Call, AccountId, D> TransactionExtension<Call> for CheckDuties<Call, AccountId, D>
where
	Call: Dispatchable + 'static,
	AccountId: 'static,
	D: Duties<Call, AccountId> + 'static,
	DispatchOriginOf<Call>: AsSystemOriginSigner<AccountId> + Clone,
{
	const IDENTIFIER: &'static str = "CheckDuties";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &Call) -> Weight {
		D::weight(call)
	}

	fn validate(
		&self,
		origin: DispatchOriginOf<Call>,
		call: &Call,
		_info: &DispatchInfoOf<Call>,
		_len: usize,
		_self_implicit: (),
		_inherited_implication: &impl Implication,
		_source: TransactionSource,
	) -> ValidateResult<(), Call> {
		let Some(due) = D::check(origin.as_system_origin_signer(), call)? else {
			return Ok((ValidTransaction::default(), (), origin));
		};
		let valid = ValidTransaction::with_tag_prefix("KeymarketDuty")
			.priority(DUTY_PRIORITY)
			.and_provides(due.tag)
			.longevity(due.longevity)
			.propagate(true)
			.build()?;
		Ok((valid, (), origin))
	}

	impl_tx_ext_default!(Call; prepare);
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::transaction_validity::InvalidTransaction;

	/// Even calls are its duties.
	struct Evens;
	/// Multiples of three are its duties; 9 would fail.
	struct Threes;

	impl Duties<u32, u8> for Evens {
		fn check(who: Option<&u8>, call: &u32) -> Result<Option<Due>, TransactionValidityError> {
			if !call.is_multiple_of(2) {
				return Ok(None);
			}
			let who = who.ok_or(InvalidTransaction::BadSigner)?;
			Ok(Some(Due::new((b"even", who, call), 0)))
		}
		fn weight(call: &u32) -> Weight {
			Weight::from_parts(if call.is_multiple_of(2) { 2 } else { 0 }, 0)
		}
	}

	impl Duties<u32, u8> for Threes {
		fn check(_: Option<&u8>, call: &u32) -> Result<Option<Due>, TransactionValidityError> {
			match call {
				9 => Err(InvalidTransaction::Custom(9).into()),
				c if c.is_multiple_of(3) => Ok(Some(Due::new((b"three", c), 7))),
				_ => Ok(None),
			}
		}
		fn weight(call: &u32) -> Weight {
			Weight::from_parts(if call.is_multiple_of(3) { 3 } else { 0 }, 0)
		}
	}

	type Both = (Evens, Threes);

	#[test]
	fn the_first_pallet_that_claims_a_call_answers_and_a_refusal_stops_the_rest() {
		// 6 is both pallets' duty: the first answers.
		let due = Both::check(Some(&1), &6).unwrap().unwrap();
		assert_eq!(due.tag, (b"even", 1u8, 6u32).encode());
		// A duty lives at least one block.
		assert_eq!(due.longevity, 1);
		assert_eq!(Both::check(Some(&1), &3).unwrap().unwrap().longevity, 7);
		// Nobody's duty: an ordinary transaction.
		assert_eq!(Both::check(Some(&1), &7), Ok(None));
		// A duty that would fail is refused with its own code; an unsigned one, as its pallet says.
		assert_eq!(Both::check(Some(&1), &9), Err(InvalidTransaction::Custom(9).into()));
		assert_eq!(Both::check(None, &4), Err(InvalidTransaction::BadSigner.into()));
		// The check's weight is each pallet's part.
		assert_eq!(Both::weight(&6), Weight::from_parts(5, 0));
		assert_eq!(Both::weight(&7), Weight::zero());
	}
}
