//! The records the slashing pallet keeps.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::Get, BoundedVec};
use keymarket_primitives::{slashing::OffenceKind, staking::Period};
use scale_info::TypeInfo;

/// A judged offence waiting for its period.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(MaxReporters))]
pub struct PendingSlash<AccountId, Balance, MaxReporters: Get<u32>> {
	/// Whose stake is cut.
	pub staker: AccountId,
	/// The worker that offended.
	pub worker: AccountId,
	/// What it did.
	pub kind: OffenceKind<Balance>,
	/// The evidence's hash.
	pub evidence: [u8; 32],
	/// The penalty as judged when reported.
	pub penalty: Balance,
	/// Who share the reporters' reward.
	pub reporters: BoundedVec<AccountId, MaxReporters>,
	/// The period at whose start it is applied.
	pub apply_at: Period,
}

/// A staker's record for one kind of offence.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct HistoryRecord<Balance> {
	/// Offences reported and not cancelled: the `history` of the capsule-fragment formula.
	pub count: u32,
	/// Stake taken for them.
	pub taken: Balance,
	/// Penalties that could not be taken.
	pub unapplied: Balance,
	/// Offences governance cancelled.
	pub cancelled: u32,
}
