//! The economic knobs that governance may turn while the chain runs, through
//! `pallet-parameters` (`Parameters.set_parameter`, root only): fee rates (and the range of the
//! stakers' minimum rates) and deposits of policies, penalties and the reporters' share of
//! slashes, the gateways' `n` and `t`, the complaint difficulty, and a validator's least stake.
//! Each is a `Get` that reads its
//! current value (or the default below, until governance sets one), so the pallets keep asking
//! their `Config`. Integrators read them from storage (`Parameters.Parameters`) or from the
//! pallets' metadata constants, which show the values in force.
//!
//! Durations are not here: they are the chain's, fixed at genesis ([`super::time`]).

// The parameter macros expand inside `dynamic_params` and need `codec` and the value types.
#[allow(unused_imports)]
use codec;
use frame_support::{
	dynamic_params::{dynamic_pallet_params, dynamic_params},
	traits::AsEnsureOriginWithArg,
};
use frame_system::EnsureRoot;
use sp_runtime::Perbill;

use crate::{AccountId, Balance, Runtime, RuntimeEvent, MILLI_UNITS, UNITS};

#[dynamic_params(RuntimeParameters, pallet_parameters::Parameters::<Runtime>)]
pub mod dynamic_params {
	use super::*;

	/// What policies cost beyond their fees' rate.
	#[dynamic_pallet_params]
	#[codec(index = 0)]
	pub mod policies {
		/// The lowest fee: a thousandth of a token per Ursula per period.
		#[codec(index = 0)]
		pub static MinFeeRate: Balance = MILLI_UNITS;

		/// A tenth of a token per Ursula per policy, to its staker: holding all 64 places of
		/// one Ursula costs 6.4 KEY however long the policies wait or however soon they are
		/// revoked.
		#[codec(index = 1)]
		pub static PlaceFee: Balance = 100 * MILLI_UNITS;

		/// A record of up to 16 Ursulas takes under 1.5 KiB (with its indexes): a tenth of a
		/// token...
		#[codec(index = 2)]
		pub static DepositBase: Balance = 100 * MILLI_UNITS;

		/// ...plus a hundredth per Ursula for its key fragment and place.
		#[codec(index = 3)]
		pub static DepositPerUrsula: Balance = 10 * MILLI_UNITS;

		/// The highest minimum fee rate a staker may ask (the stakers' range is `MinFeeRate`
		/// to this): a whole token per Ursula per period, a thousand times the lowest. Alices
		/// may pay more; no Ursula may refuse a rate at or above it.
		#[codec(index = 4)]
		pub static MaxFeeRate: Balance = UNITS;
	}

	/// What offences cost and what reporters earn.
	#[dynamic_pallet_params]
	#[codec(index = 1)]
	pub mod slashing {
		/// Incorrect capsule fragment: the penalty of a first offence.
		#[codec(index = 0)]
		pub static CfragBasePenalty: Balance = 100 * UNITS;

		/// Incorrect capsule fragment: added per earlier offence of the kind.
		#[codec(index = 1)]
		pub static CfragHistoryPenalty: Balance = 100 * UNITS;

		/// A tenth of what is taken goes to the reporters.
		#[codec(index = 2)]
		pub static ReporterShare: Perbill = Perbill::from_percent(10);

		/// At most a tenth of the stake for a capsule fragment or a false claim.
		#[codec(index = 3)]
		pub static MaxPenaltyDivisor: u32 = 10;

		/// A false claim costs twice the penalty it sought.
		#[codec(index = 4)]
		pub static FalseClaimMultiplier: u32 = 2;

		/// A gateway that signed a proof of unavailability which the accused answered on
		/// chain: ten tokens (at most a tenth of its stake). Enough that signing without
		/// trying costs more than a round's share of a proof's reward.
		#[codec(index = 5)]
		pub static FalseAccusationPenalty: Balance = 10 * UNITS;
	}

	/// Who confirms availability, and what a complaint costs Bob.
	#[dynamic_pallet_params]
	#[codec(index = 2)]
	pub mod gateway {
		/// `n`: eight gateways a round. With `t = 5`, a round proves nobody silent unless at
		/// least five of its gateways sign; docs/availability.md tabulates what collusion
		/// needs for other `n`, `t` and honest fractions. At most 64.
		#[codec(index = 0)]
		pub static GatewayCount: u32 = 8;

		/// `t`: five signatures prove a silence (a majority of eight).
		#[codec(index = 1)]
		pub static GatewayThreshold: u32 = 5;

		/// Sixteen leading zero bits: about 65,000 hashes, tens of milliseconds of Bob's
		/// machine per complaint, and as much for anyone who would flood the gateways.
		#[codec(index = 2)]
		pub static ComplaintDifficulty: u8 = 16;
	}

	/// Who may validate.
	#[dynamic_pallet_params]
	#[codec(index = 3)]
	pub mod validators {
		/// A candidate validator locks at least 100,000 tokens: a hundred times an Ursula's
		/// least stake, as a validator's misconduct harms the whole chain.
		#[codec(index = 0)]
		pub static MinValidatorStake: Balance = 100_000 * UNITS;
	}
}

impl pallet_parameters::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeParameters = RuntimeParameters;
	/// Governance (today the sudo key).
	type AdminOrigin = AsEnsureOriginWithArg<EnsureRoot<AccountId>>;
	/// Benchmarked in this runtime (`./scripts/bench pallet_parameters`).
	type WeightInfo = crate::weights::pallet_parameters::WeightInfo<Runtime>;
}

#[cfg(feature = "runtime-benchmarks")]
impl Default for RuntimeParameters {
	/// The parameter the `pallet-parameters` benchmark sets.
	fn default() -> Self {
		RuntimeParameters::Policies(dynamic_params::policies::Parameters::MinFeeRate(
			dynamic_params::policies::MinFeeRate,
			Some(crate::MILLI_UNITS),
		))
	}
}
