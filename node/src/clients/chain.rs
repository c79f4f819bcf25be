//! What the clients do on chain: read through `keymarket_*` RPC methods, and sign, submit and
//! follow a transaction to its block (its events, or its precise dispatch error).

use std::time::{Duration, Instant};

use codec::{Decode, Encode};
use keymarket_runtime::{
	RuntimeCall, RuntimeError, RuntimeEvent, SignedPayload, UncheckedExtrinsic,
};
use serde_json::{json, Value};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_runtime::{DispatchError, MultiAddress, MultiSignature};

use super::rpc;

type EventRecord = frame_system::EventRecord<RuntimeEvent, H256>;

/// The `at` of a typed call that reads the best block.
pub const BEST: Option<H256> = None;

/// A node's RPC endpoint.
pub struct Chain {
	address: String,
	api: rpc::RpcClient,
}

impl Chain {
	/// The node at `url` (`http://host:port`).
	pub fn new(url: &str) -> Result<Self, String> {
		let address = rpc::address_of(url)?;
		Ok(Self { api: rpc::RpcClient::new(address.clone()), address })
	}

	/// The typed `keymarket_*` methods: `crate::rpc`'s `*ApiClient` traits, driven by
	/// [`rpc::typed`].
	pub fn api(&self) -> &rpc::RpcClient {
		&self.api
	}

	/// Calls a standard RPC method by name.
	pub fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		rpc::call(&self.address, method, params)
	}

	/// Calls an RPC method and reads its result as `T`.
	pub fn rpc_as<T: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: Value,
	) -> Result<T, String> {
		serde_json::from_value(self.rpc(method, params)?).map_err(|e| format!("{method}: {e}"))
	}

	/// The hash of block `number`, or of the best block.
	pub fn block_hash(&self, number: Option<u32>) -> Result<H256, String> {
		let hash: Option<H256> = self.rpc_as("chain_getBlockHash", json!([number]))?;
		hash.ok_or_else(|| format!("no block {number:?}"))
	}

	/// What a signature commits to besides the call: the chain's genesis and its runtime's
	/// versions, read now.
	pub fn signing_context(&self) -> Result<SigningContext, String> {
		let genesis = self.block_hash(Some(0))?;
		let version = self.rpc("state_getRuntimeVersion", json!([]))?;
		let spec_version = version["specVersion"].as_u64().ok_or("specVersion")? as u32;
		let tx_version = version["transactionVersion"].as_u64().ok_or("transactionVersion")? as u32;
		Ok(SigningContext { genesis, spec_version, tx_version })
	}

	/// Builds `call` signed by `signer` with `nonce`, exactly as polkadot.js would for this chain
	/// (immortal era, no tip).
	pub fn signed_extrinsic(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
		nonce: u32,
	) -> Result<UncheckedExtrinsic, String> {
		Ok(self.signing_context()?.sign(signer, call, nonce))
	}

	/// Signs `call` as `signer` (next nonce), submits it and waits until it is in a block;
	/// returns its events, or its dispatch error by pallet and name.
	pub fn submit(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
	) -> Result<Vec<RuntimeEvent>, String> {
		let account: sp_runtime::AccountId32 = signer.public().into();
		let nonce: u32 = self.rpc_as("system_accountNextIndex", json!([account.to_string()]))?;
		let extrinsic = self.signed_extrinsic(signer, call, nonce)?.encode();
		let from = self.best_number()?;
		let hash: H256 = self.rpc_as("author_submitExtrinsic", json!([hex_of(&extrinsic)]))?;
		let (_, events) = self.wait_for_inclusion(hash, from, Duration::from_secs(60))?;
		for event in &events {
			if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error,
				..
			}) = event
			{
				return Err(describe(dispatch_error));
			}
		}
		Ok(events)
	}

	/// Waits until the extrinsic `hash` is in a block of the best chain numbered `from` or
	/// later; returns the block's hash and the extrinsic's events.
	pub fn wait_for_inclusion(
		&self,
		hash: H256,
		from: u32,
		timeout: Duration,
	) -> Result<(H256, Vec<RuntimeEvent>), String> {
		let deadline = Instant::now() + timeout;
		let mut next = from;
		loop {
			while next <= self.best_number()? {
				let block_hash = self.block_hash(Some(next))?;
				let block = self.rpc("chain_getBlock", json!([block_hash]))?;
				let extrinsics =
					block["block"]["extrinsics"].as_array().cloned().unwrap_or_default();
				for (index, extrinsic) in extrinsics.iter().enumerate() {
					let bytes = bytes_of(extrinsic.as_str().unwrap_or_default())?;
					if sp_crypto_hashing::blake2_256(&bytes) == hash.0 {
						return Ok((block_hash, self.events_of(block_hash, index as u32)?));
					}
				}
				next += 1;
			}
			if Instant::now() > deadline {
				return Err(format!("transaction {hash:?} not in a block within {timeout:?}"));
			}
			std::thread::sleep(Duration::from_millis(500));
		}
	}

	/// The number of the best block.
	pub fn best_number(&self) -> Result<u32, String> {
		let header = self.rpc("chain_getHeader", json!([]))?;
		let number = header["number"].as_str().ok_or("a header has a number")?;
		u32::from_str_radix(number.trim_start_matches("0x"), 16).map_err(|e| e.to_string())
	}

	fn events_of(&self, block: H256, index: u32) -> Result<Vec<RuntimeEvent>, String> {
		let mut key = sp_crypto_hashing::twox_128(b"System").to_vec();
		key.extend_from_slice(&sp_crypto_hashing::twox_128(b"Events"));
		let raw: Option<String> = self.rpc_as("state_getStorage", json!([hex_of(&key), block]))?;
		let raw = bytes_of(&raw.unwrap_or_default())?;
		let records = Vec::<EventRecord>::decode(&mut &raw[..]).map_err(|e| e.to_string())?;
		Ok(records
			.into_iter()
			.filter(|r| r.phase == frame_system::Phase::ApplyExtrinsic(index))
			.map(|r| r.event)
			.collect())
	}
}

/// The chain's genesis and runtime versions, which every signature covers.
#[derive(Clone, Copy, Debug)]
pub struct SigningContext {
	pub genesis: H256,
	pub spec_version: u32,
	pub tx_version: u32,
}

impl SigningContext {
	/// `call` signed by `signer` with `nonce` (immortal era, no tip).
	pub fn sign(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
		nonce: u32,
	) -> UncheckedExtrinsic {
		let SigningContext { genesis, spec_version, tx_version } = *self;
		let extension = keymarket_runtime::immortal_tx_extension(nonce, 0);
		let implicit = keymarket_runtime::tx_implicit(spec_version, tx_version, genesis, genesis);
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload.using_encoded(|bytes| signer.sign(bytes));
		UncheckedExtrinsic::new_signed(
			call,
			MultiAddress::Id(signer.public().into()),
			MultiSignature::Sr25519(signature),
			extension,
		)
	}
}

/// A dispatch error as `pallet.Error`, e.g. `policies.UrsulaNotActive`.
pub fn describe(error: &DispatchError) -> String {
	match RuntimeError::from_dispatch_error(*error) {
		Some(runtime_error) => {
			let text = format!("{runtime_error:?}");
			let (pallet, rest) = text.split_once('(').unwrap_or((&text, ""));
			let name = rest.trim_end_matches(')');
			format!("{}.{}", pallet.to_lowercase(), name)
		},
		None => format!("{error:?}"),
	}
}

/// `0x`-prefixed hex.
pub fn hex_of(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// Bytes of `0x`-prefixed (or bare) hex.
pub fn bytes_of(text: &str) -> Result<Vec<u8>, String> {
	hex::decode(text.trim_start_matches("0x")).map_err(|e| format!("bad hex {text:?}: {e}"))
}

/// A fixed-size value of hex.
pub fn array_of<const N: usize>(text: &str) -> Result<[u8; N], String> {
	bytes_of(text)?
		.try_into()
		.map_err(|v: Vec<u8>| format!("{text:?} is {} bytes, not {N}", v.len()))
}
