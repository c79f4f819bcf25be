//! Chain specifications: `dev` (one validator), `local` (four) and `staging` (three, with a
//! real network's durations), all built from the runtime's typed genesis presets, or any JSON
//! chain spec given by path.

use keymarket_runtime::WASM_BINARY;
use sc_service::ChainType;

/// A chain spec of this node: no extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// The token's properties, as polkadot.js shows them.
fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), keymarket_primitives::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), keymarket_primitives::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), keymarket_primitives::SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime's wasm blob is missing: this node was built with SKIP_WASM_BUILD; rebuild \
		 without it"
			.to_string()
	})
}

/// A chain spec whose genesis is the runtime's preset `preset`.
fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `dev`: a single validator, //Alice.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"Keymarket Development",
		"keymarket_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// `local`: four validators, //Alice, //Bob, //Charlie and //Dave (finality survives one down).
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"Keymarket Local Testnet",
		"keymarket_local",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

/// `staging`: the durations a real network would use (a day a period, an hour a round), on
/// three validators whose well-known keys are to be replaced.
pub fn staging_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"Keymarket Staging",
		"keymarket_staging",
		ChainType::Live,
		keymarket_runtime::genesis_config_presets::STAGING_RUNTIME_PRESET,
	)
}

/// The chain spec named by `--chain`: `dev`, `local`, `staging`, or a path to a JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" => Box::new(development_chain_spec()?),
		"" | "local" => Box::new(local_chain_spec()?),
		"staging" => Box::new(staging_chain_spec()?),
		path => {
			let path = std::path::PathBuf::from(path);
			if !path.is_file() {
				return Err(format!(
					"chain spec `{}` is neither `dev`, `local`, `staging` nor a readable file; pass \
					 one of those or the path of a JSON chain spec (see `export-chain-spec`)",
					path.display()
				));
			}
			let spec = ChainSpec::from_json_file(path.clone()).map_err(|e| {
				format!("chain spec file `{}` is not a valid chain spec: {e}", path.display())
			})?;
			check_durations(&spec)
				.map_err(|e| format!("chain spec file `{}`: {e}", path.display()))?;
			Box::new(spec)
		},
	})
}

/// Refuses a chain spec whose genesis names durations that cannot run a chain, before the
/// runtime would refuse them in the middle of building the genesis state. A spec that names
/// none (the runtime's defaults) or is already raw storage passes.
fn check_durations(spec: &ChainSpec) -> Result<(), String> {
	let json = spec.as_json(false)?;
	let json: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
	let genesis = &json["genesis"]["runtimeGenesis"];
	for part in ["patch", "config"] {
		let durations = &genesis[part]["staking"]["durations"];
		if durations.is_null() {
			continue;
		}
		let durations: keymarket_primitives::time::Durations =
			serde_json::from_value(durations.clone())
				.map_err(|e| format!("its genesis durations are malformed: {e}"))?;
		durations
			.check()
			.map_err(|e| format!("its genesis durations cannot run a chain: {e:?}"))?;
	}
	Ok(())
}
