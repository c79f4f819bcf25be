//! Who validates: `pallet-session` rotates the keys of Aura and GRANDPA once a staking period,
//! and the validators pallet chooses each session's set — governance's invulnerables, then the
//! candidates with the most stake locked in the staking pallet (docs/operators.md argues the
//! choice).

use frame_support::traits::{ConstU32, Contains};
use frame_system::EnsureRoot;

use crate::{AccountId, Runtime, RuntimeEvent};

/// The accounts whose session keys `pallet-session` holds.
pub struct HasSessionKeys;

impl Contains<AccountId> for HasSessionKeys {
	fn contains(who: &AccountId) -> bool {
		pallet_session::NextKeys::<Runtime>::contains_key(who)
	}
}

impl pallet_keymarket_validators::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Stakes = crate::Staking;
	type SessionKeys = HasSessionKeys;
	/// Governance (today the sudo key).
	type InvulnerablesOrigin = EnsureRoot<AccountId>;
	/// As many as Aura and GRANDPA take (`MaxAuthorities`).
	type MaxValidators = ConstU32<{ super::consensus::MAX_AUTHORITIES }>;
	/// A hundred: choosing among them at a session start reads each one's sub-stakes and keys.
	type MaxCandidates = ConstU32<100>;
	type MinValidatorStake = super::parameters::dynamic_params::validators::MinValidatorStake;
	type WeightInfo = crate::weights::pallet_keymarket_validators::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ValidatorsBenchmarks;
}

/// Candidates for the validators benchmarks: stake in the most sub-stakes (the worst case of
/// reading it) through the staking pallet's call, and session keys written where
/// `pallet-session` keeps them.
#[cfg(feature = "runtime-benchmarks")]
pub struct ValidatorsBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_keymarket_validators::BenchmarkHelper<AccountId> for ValidatorsBenchmarks {
	fn qualified(index: u32, stake: u128) -> AccountId {
		use frame_support::traits::{fungible::Mutate, Get};
		use sp_core::{ed25519, sr25519};
		let who: AccountId = frame_benchmarking::account("validator", index, 0);
		if stake > 0 {
			let sub_stakes: u32 =
				<Runtime as pallet_keymarket_staking::Config>::MaxSubStakes::get();
			let min = super::staking::MinStake::get();
			let each = (stake / sub_stakes as u128).max(min);
			let _ = crate::Balances::set_balance(&who, each * (sub_stakes as u128 + 2));
			for _ in 0..sub_stakes {
				crate::Staking::stake(crate::RuntimeOrigin::signed(who.clone()), each, 120)
					.expect("the benchmark candidate can stake");
			}
		}
		let mut raw = [0u8; 32];
		raw[..4].copy_from_slice(&index.to_le_bytes());
		let keys = crate::opaque::SessionKeys {
			aura: sr25519::Public::from_raw(raw).into(),
			grandpa: ed25519::Public::from_raw(raw).into(),
		};
		pallet_session::NextKeys::<Runtime>::insert(&who, keys);
		who
	}
}
