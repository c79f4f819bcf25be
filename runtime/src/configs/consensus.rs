//! Block production and finality: timestamps, Aura slots, GRANDPA votes, and the sessions that
//! hand both their authorities.

use frame_support::traits::{ConstBool, ConstU128, ConstU32, ConstU64};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::traits::{ConvertInto, OpaqueKeys};

use super::time::BlocksPerPeriod;
use crate::{
	opaque::SessionKeys, AccountId, Aura, Balances, Runtime, RuntimeEvent, SLOT_DURATION, UNITS,
};

/// The most block authors and finality voters in a session.
pub const MAX_AUTHORITIES: u32 = 32;

/// A session is a staking period: the set is chosen when stake is counted. Both halves of
/// `PeriodicSessions`: when a session ends, and when the next one is due.
pub type PeriodSessions = pallet_session::PeriodicSessions<BlocksPerPeriod, ConstU32<0>>;

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	// No equivocation reports yet: the key owner proof type is uninhabited.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// A validator is known by its account.
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = PeriodSessions;
	type NextSessionRotation = PeriodSessions;
	/// The validators pallet chooses each session's set.
	type SessionManager = crate::Validators;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	/// No offences of validators are judged yet, so none is disabled.
	type DisablingStrategy = ();
	/// The SDK's own measured weights: `pallet-session`'s benchmarks need `pallet-staking`,
	/// which this chain does not run.
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// One token held while keys are set: the keys' storage is paid for, and spamming it costs.
	type KeyDeposit = ConstU128<UNITS>;
}
