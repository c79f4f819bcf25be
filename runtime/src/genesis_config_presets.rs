//! Typed genesis presets. The node's chain specs name a preset instead of carrying a JSON copy of
//! the genesis state, so the runtime stays the single source of truth.

use crate::{
	opaque::SessionKeys, AccountId, BalancesConfig, RuntimeGenesisConfig, SessionConfig,
	StakingConfig, SudoConfig, ValidatorsConfig, UNITS,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use keymarket_primitives::time::Durations;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each endowed development account starts with: a million tokens.
pub const ENDOWMENT: u128 = 1_000_000 * UNITS;

/// The name of the `staging` preset.
pub const STAGING_RUNTIME_PRESET: &str = "staging";

/// The durations of `dev` and `local`: a minute a period, so that tests and a quick look pass
/// through locks, windows and deferrals in minutes ([`Durations::dev`]).
pub const SHORT_DURATIONS: Durations = Durations::dev();

/// The durations a real network would use (`staging`); docs/time.md gives the reasons.
pub const STAGING_DURATIONS: Durations = Durations {
	// A day of 6-second blocks: fees accrue, inflation is minted and availability is signalled
	// once a day, as in NuCypher's first network.
	blocks_per_period: 14_400,
	// An hour: gateways and committees change 24 times a period, so a silent Ursula is caught
	// within the hour and a colluding committee serves an hour at most.
	blocks_per_round: 600,
	periods_per_year: 365,
	// NuCypher's shortest lock, thirty days; the longest, five years.
	min_lock_periods: 30,
	max_lock_periods: 5 * 365,
	// A worker stays at least two days (NuCypher's `minWorkerPeriods`).
	min_worker_periods: 2,
	// Two weeks to find and report a bad capsule fragment: Bob may decrypt late.
	evidence_window: 14,
	// A week for governance to cancel a wrong slash before it is applied.
	defer_periods: 7,
	// A month of period totals: a staker may mint up to a month late.
	reward_history_periods: 30,
	// Policies of up to two years, starting at most a month ahead.
	max_policy_periods: 2 * 365,
	max_start_delay: 30,
	// A day to answer a proof of unavailability on chain: an Ursula that was down for hours,
	// or framed by its round's gateways, learns of it and answers before it is punished.
	answer_rounds: 24,
};

/// A genesis state: validators (Aura and GRANDPA keys), funded accounts, the sudo key and the
/// chain's durations.
fn genesis(
	validators: Vec<(AccountId, AuraId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	sudo: AccountId,
	durations: Durations,
) -> Value {
	// The genesis validators are the validators pallet's invulnerables, and their keys the
	// session's: the session hands Aura and GRANDPA their first authorities (whose own genesis
	// lists stay empty).
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts.iter().cloned().map(|k| (k, ENDOWMENT)).collect::<Vec<_>>(),
		},
		validators: ValidatorsConfig {
			invulnerables: validators
				.iter()
				.map(|(account, ..)| account.clone())
				.collect::<Vec<_>>(),
		},
		session: SessionConfig {
			keys: validators
				.iter()
				.map(|(account, aura, grandpa)| {
					let keys = SessionKeys { aura: aura.clone(), grandpa: grandpa.clone() };
					(account.clone(), account.clone(), keys)
				})
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(sudo) },
		staking: StakingConfig { durations },
	})
}

/// A development validator: its account, Aura and GRANDPA keys all derived from `//Name`.
fn validator_keys(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AccountId, AuraId, GrandpaId) {
	(aura.to_account_id(), aura.public().into(), grandpa.public().into())
}

fn endowed_dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter()
		.filter(|k| k != &Sr25519Keyring::One && k != &Sr25519Keyring::Two)
		.map(|k| k.to_account_id())
		.collect()
}

/// `development`: one validator, //Alice, who is also sudo.
pub fn development_config_genesis() -> Value {
	genesis(
		vec![validator_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		endowed_dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		SHORT_DURATIONS,
	)
}

/// `local_testnet`: four validators, //Alice, //Bob, //Charlie and //Dave, so that finality
/// survives one of them down (GRANDPA needs more than two thirds: three of four); //Alice is sudo.
pub fn local_config_genesis() -> Value {
	genesis(
		vec![
			validator_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			validator_keys(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			validator_keys(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			validator_keys(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		endowed_dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		SHORT_DURATIONS,
	)
}

/// `staging`: the durations of a real network, on three validators. The keys are the well-known
/// development ones, to be replaced (with `export-chain-spec --chain staging` and an edit of the
/// JSON, or a preset of one's own) before anything of value runs on it; only the validators'
/// accounts are funded.
pub fn staging_config_genesis() -> Value {
	let validators = [
		(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
		(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
	];
	genesis(
		validators.iter().map(|(aura, grandpa)| validator_keys(*aura, *grandpa)).collect(),
		validators.iter().map(|(aura, _)| aura.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
		STAGING_DURATIONS,
	)
}

/// The JSON patch of a named preset, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		STAGING_RUNTIME_PRESET => staging_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of the presets this runtime knows.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(STAGING_RUNTIME_PRESET),
	]
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::BuildStorage;

	/// Applies a JSON patch the way the node's chain-spec builder does: objects merge key by key,
	/// everything else is replaced.
	fn merge(base: &mut Value, patch: Value) {
		match (base, patch) {
			(Value::Object(base), Value::Object(patch)) => {
				for (key, value) in patch {
					merge(base.entry(key).or_insert(Value::Null), value);
				}
			},
			(base, patch) => *base = patch,
		}
	}

	fn genesis_of(preset: &str) -> sp_io::TestExternalities {
		let patch = get_preset(&PresetId::from(preset)).expect("the preset exists");
		let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
		merge(&mut config, serde_json::from_slice(&patch).unwrap());
		let config: RuntimeGenesisConfig = serde_json::from_value(config).unwrap();
		sp_io::TestExternalities::new(config.build_storage().unwrap())
	}

	#[test]
	fn development_has_alice_as_sole_validator_and_sudo() {
		genesis_of(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
			let aura = pallet_aura::Authorities::<crate::Runtime>::get();
			assert_eq!(aura.into_inner(), vec![Sr25519Keyring::Alice.public().into()]);
			let grandpa = pallet_grandpa::Pallet::<crate::Runtime>::grandpa_authorities();
			assert_eq!(grandpa, vec![(Ed25519Keyring::Alice.public().into(), 1)]);
			// The session gave them; the validators pallet keeps Alice as an invulnerable.
			let alice = Sr25519Keyring::Alice.to_account_id();
			assert_eq!(pallet_session::Validators::<crate::Runtime>::get(), vec![alice.clone()]);
			assert_eq!(
				pallet_keymarket_validators::Invulnerables::<crate::Runtime>::get().into_inner(),
				vec![alice]
			);
			assert_eq!(
				pallet_sudo::Key::<crate::Runtime>::get(),
				Some(Sr25519Keyring::Alice.to_account_id())
			);
		});
	}

	#[test]
	fn local_testnet_has_four_validators_and_funded_accounts() {
		genesis_of(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
			let aura = pallet_aura::Authorities::<crate::Runtime>::get();
			assert_eq!(aura.len(), 4);
			assert_eq!(pallet_grandpa::Pallet::<crate::Runtime>::grandpa_authorities().len(), 4);
			let endowed = endowed_dev_accounts();
			for who in &endowed {
				assert_eq!(pallet_balances::Pallet::<crate::Runtime>::free_balance(who), ENDOWMENT);
			}
			assert_eq!(
				pallet_balances::Pallet::<crate::Runtime>::total_issuance(),
				ENDOWMENT * endowed.len() as u128
			);
		});
	}

	#[test]
	fn an_unknown_preset_is_none() {
		assert!(get_preset(&PresetId::from("mainnet")).is_none());
		assert_eq!(preset_names().len(), 3);
	}

	#[test]
	fn every_preset_runs_a_chain_and_its_durations_reach_the_pallets() {
		use frame_support::traits::Get;
		use keymarket_primitives::time::Clock;
		type Staking = <crate::Runtime as pallet_keymarket_staking::Config>::BlocksPerPeriod;
		for (preset, durations) in [
			(sp_genesis_builder::DEV_RUNTIME_PRESET, SHORT_DURATIONS),
			(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET, SHORT_DURATIONS),
			(STAGING_RUNTIME_PRESET, STAGING_DURATIONS),
		] {
			assert_eq!(durations.check(), Ok(()), "{preset}");
			genesis_of(preset).execute_with(|| {
				assert_eq!(crate::Staking::durations(), durations, "{preset}");
				assert_eq!(Staking::get(), durations.blocks_per_period);
				assert_eq!(
					<crate::Runtime as pallet_keymarket_slashing::Config>::EvidenceWindow::get(),
					durations.evidence_window
				);
				assert_eq!(
					<crate::Runtime as pallet_keymarket_policies::Config>::MaxStartDelay::get(),
					durations.max_start_delay
				);
				assert_eq!(
					<crate::Runtime as pallet_keymarket_staking::Config>::AnswerablePeriods::get(),
					durations.evidence_window + durations.defer_periods
				);
				frame_system::Pallet::<crate::Runtime>::set_block_number(
					durations.blocks_per_period * 3 + durations.blocks_per_round,
				);
				assert_eq!(<crate::Staking as Clock>::current_period(), 3);
				assert_eq!(
					<crate::Staking as Clock>::current_round(),
					3 * durations.blocks_per_period / durations.blocks_per_round + 1
				);
				// The gateway pallet counts the same rounds and the chain's answer window.
				type Gateway = crate::Runtime;
				assert_eq!(
					<Gateway as pallet_keymarket_gateway::Config>::BlocksPerRound::get(),
					durations.blocks_per_round
				);
				assert_eq!(
					<Gateway as pallet_keymarket_gateway::Config>::RoundsPerPeriod::get(),
					durations.blocks_per_period / durations.blocks_per_round
				);
				assert_eq!(
					<Gateway as pallet_keymarket_gateway::Config>::AnswerRounds::get(),
					durations.answer_rounds
				);
			});
		}
	}

	#[test]
	fn staging_is_a_day_a_period_and_an_hour_a_round() {
		let minutes = |blocks: u32| blocks as u64 * crate::MILLISECS_PER_BLOCK / 60_000;
		assert_eq!(minutes(STAGING_DURATIONS.blocks_per_period), 24 * 60);
		assert_eq!(minutes(STAGING_DURATIONS.blocks_per_round), 60);
		assert_eq!(minutes(SHORT_DURATIONS.blocks_per_period), 1);
	}
}
