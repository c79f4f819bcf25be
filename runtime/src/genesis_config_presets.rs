//! Typed genesis presets. The node's chain specs name a preset instead of carrying a JSON copy of
//! the genesis state, so the runtime stays the single source of truth.

use crate::{AccountId, BalancesConfig, RuntimeGenesisConfig, SudoConfig, UNITS};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each endowed development account starts with: a million tokens.
pub const ENDOWMENT: u128 = 1_000_000 * UNITS;

/// A genesis state: validators (Aura and GRANDPA keys), funded accounts and the sudo key.
fn genesis(
	validators: Vec<(AuraId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	sudo: AccountId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts.iter().cloned().map(|k| (k, ENDOWMENT)).collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: validators.iter().map(|(aura, _)| aura.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: validators
				.iter()
				.map(|(_, grandpa)| (grandpa.clone(), 1))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(sudo) },
	})
}

/// The session keys of a well-known development validator: its sr25519 key authors blocks, its
/// ed25519 key (same derivation path) votes for finality.
fn validator_keys(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(aura.public().into(), grandpa.public().into())
}

/// The well-known development accounts, all endowed.
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
	)
}

/// `local_testnet`: three validators, //Alice, //Bob and //Charlie; //Alice is sudo.
pub fn local_config_genesis() -> Value {
	genesis(
		vec![
			validator_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			validator_keys(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			validator_keys(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		],
		endowed_dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The JSON patch of a named preset, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
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
			assert_eq!(
				pallet_sudo::Key::<crate::Runtime>::get(),
				Some(Sr25519Keyring::Alice.to_account_id())
			);
		});
	}

	#[test]
	fn local_testnet_has_three_validators_and_funded_accounts() {
		genesis_of(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
			let aura = pallet_aura::Authorities::<crate::Runtime>::get();
			assert_eq!(aura.len(), 3);
			assert_eq!(pallet_grandpa::Pallet::<crate::Runtime>::grandpa_authorities().len(), 3);
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
		assert_eq!(preset_names().len(), 2);
	}
}
