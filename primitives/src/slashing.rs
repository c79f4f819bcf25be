//! The offence interface: how the pallets that catch misbehaviour (the adjudicator, gateways,
//! activity proofs, the lottery) report it to the slashing pallet, which alone takes stake.

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::staking::Period;

/// What an Ursula did wrong, with what each rule needs to price it.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub enum OffenceKind<Balance> {
	/// A capsule fragment signed by the Ursula whose correctness proof fails.
	IncorrectCfrag,
	/// Proven silent in `round`, in which the Ursula would have earned `earnings` (fees and
	/// subsidies).
	Unavailability {
		round: u32,
		#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
		earnings: Balance,
	},
	/// Claimed `claimed` of fees for service it did not give.
	FalseServiceClaim {
		#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
		claimed: Balance,
	},
	/// Tickets it issued could not be paid: `overdraft` is what payees lost.
	LotteryFraud {
		#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
		overdraft: Balance,
	},
	/// As a gateway of `round`, signed a proof that an Ursula was silent, and the Ursula
	/// answered the request on chain.
	FalseAccusation { round: u32 },
}

/// The kind of an offence without its data: the key of a staker's history.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub enum OffenceTag {
	IncorrectCfrag,
	Unavailability,
	FalseServiceClaim,
	LotteryFraud,
	FalseAccusation,
}

impl<Balance> OffenceKind<Balance> {
	/// The kind without its data.
	pub fn tag(&self) -> OffenceTag {
		match self {
			Self::IncorrectCfrag => OffenceTag::IncorrectCfrag,
			Self::Unavailability { .. } => OffenceTag::Unavailability,
			Self::FalseServiceClaim { .. } => OffenceTag::FalseServiceClaim,
			Self::LotteryFraud { .. } => OffenceTag::LotteryFraud,
			Self::FalseAccusation { .. } => OffenceTag::FalseAccusation,
		}
	}
}

/// An offence as a reporting pallet hands it over.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct Offence<AccountId, Balance> {
	/// The Ursula's worker account (the key that signed the bad work).
	pub offender: AccountId,
	/// What it did.
	pub kind: OffenceKind<Balance>,
	/// The hash of the evidence. With the offender, the kind and the period it is the offence's
	/// identity: the same offence is punished once, and a report against another Ursula with the
	/// same evidence is another offence.
	pub evidence: [u8; 32],
	/// The period the offence happened in.
	pub period: Period,
	/// Who reported it: they share the reporters' reward.
	pub reporters: Vec<AccountId>,
}

/// Why an offence was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum OffenceError {
	/// The offender is not a bonded worker.
	UnknownOffender,
	/// This evidence (or, for unavailability, this Ursula and round) was already reported.
	Duplicate,
	/// The offence is older than the evidence window.
	TooOld,
	/// The offence is dated in a future period.
	InFuture,
	/// More reporters than the slashing pallet accepts.
	TooManyReporters,
	/// Too many slashes are already waiting for the period this one would be applied in, and
	/// the periods after it.
	QueueFull,
	/// Too many offences against the offender's staker were accepted this period already.
	OffenderQueueFull,
	/// The offender's staker has no stake a penalty could take: a report would be free.
	NothingToSlash,
}

/// A slash's number.
pub type SlashId = u64;

/// Implemented by the slashing pallet; named in the `Config` of every pallet that reports.
pub trait ReportOffence<AccountId, Balance> {
	/// Judges `offence`: prices it, records it, and defers its slash. Returns the slash's id.
	fn report(offence: Offence<AccountId, Balance>) -> Result<SlashId, OffenceError>;
	/// The dispatch error a refusal stands for: the slashing pallet's own error of the same
	/// name. A reporting pallet returns it unchanged, so a client sees one vocabulary
	/// (`slashing.Duplicate`, `slashing.TooOld`, ...) whichever pallet took the evidence.
	fn refusal(error: OffenceError) -> sp_runtime::DispatchError;
}

/// A slash waiting for its period, as integrators see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display",
			deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct PendingSlashView<AccountId, Balance> {
	pub id: SlashId,
	pub staker: AccountId,
	pub worker: AccountId,
	pub kind: OffenceKind<Balance>,
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub evidence: [u8; 32],
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub penalty: Balance,
	pub apply_at: Period,
}

/// A staker's record for one kind of offence.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct HistoryView<Balance> {
	pub kind: OffenceTag,
	/// Offences reported and not cancelled.
	pub count: u32,
	/// Stake actually taken for them.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub taken: Balance,
	/// Penalties that could not be taken (too little locked when applied).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub unapplied: Balance,
	/// Penalties cancelled by governance.
	pub cancelled: u32,
}

sp_api::decl_runtime_apis! {
	/// Offences and slashes for integrators.
	pub trait SlashingApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// A staker's history, one entry per kind it has offended in.
		fn history(staker: AccountId) -> Vec<HistoryView<Balance>>;
		/// The slashes waiting to be applied (of one staker, or all).
		fn pending_slashes(staker: Option<AccountId>) -> Vec<PendingSlashView<AccountId, Balance>>;
	}
}

/// What a slash did to a stake.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct SlashOutcome<Balance> {
	/// Locked stake taken away.
	pub taken: Balance,
	/// Of that, paid to the reporters.
	pub rewarded: Balance,
	/// Of that, burned.
	pub burned: Balance,
}

/// What the slashing pallet needs of the staking pallet beyond its registry
/// ([`crate::registry::UrsulaRegistry`]): the only way stake is taken.
pub trait StakeSlasher<AccountId, Balance> {
	/// What a slash of the staker could take now: all the stake it still holds, locked or not,
	/// since stake that may answer for an offence cannot be withdrawn.
	fn slashable(staker: &AccountId) -> Balance;
	/// Takes up to `amount` of the stake, shortest locks first and unlocked stake last; pays
	/// `reporter_share` of what was taken to the reporters in equal parts and burns the rest.
	fn slash(
		staker: &AccountId,
		amount: Balance,
		reporters: &[AccountId],
		reporter_share: sp_runtime::Perbill,
	) -> SlashOutcome<Balance>;
}
