//! Chain specifications: `dev` (one validator) and `local` (three), both built from the runtime's
//! typed genesis presets, or any JSON chain spec given by path.

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

/// `local`: three validators, //Alice, //Bob and //Charlie.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"Keymarket Local Testnet",
		"keymarket_local",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

/// The chain spec named by `--chain`: `dev`, `local`, or a path to a JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" => Box::new(development_chain_spec()?),
		"" | "local" => Box::new(local_chain_spec()?),
		path => {
			let path = std::path::PathBuf::from(path);
			if !path.is_file() {
				return Err(format!(
					"chain spec `{}` is neither `dev`, `local` nor a readable file; pass one of \
					 those or the path of a JSON chain spec (see `export-chain-spec`)",
					path.display()
				));
			}
			Box::new(ChainSpec::from_json_file(path.clone()).map_err(|e| {
				format!("chain spec file `{}` is not a valid chain spec: {e}", path.display())
			})?)
		},
	})
}
