//! The node's JSON-RPC methods beyond the standard set that `sc-service` installs: account nonces
//! (`system_accountNextIndex`, `system_dryRun`) and fee queries (`payment_queryInfo`,
//! `payment_queryFeeDetails`) and Keymarket's own `keymarket_*` methods, one module per pallet.

pub mod activity;
pub mod gateway;
pub mod lottery;
pub mod market;
pub mod policies;
pub mod slashing;
pub mod staking;

use std::sync::Arc;

use jsonrpsee::RpcModule;
use keymarket_primitives::{AccountId, Balance, Nonce};
use keymarket_runtime::opaque::Block;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P> {
	/// The client, to call runtime APIs at a block.
	pub client: Arc<C>,
	/// The transaction pool, for nonces that count pending transactions.
	pub pool: Arc<P>,
}

/// Builds the RPC module with every method above.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ keymarket_primitives::staking::StakingApi<Block, AccountId, Balance>
		+ keymarket_primitives::slashing::SlashingApi<Block, AccountId, Balance>
		+ keymarket_primitives::policies::PoliciesApi<Block, AccountId, Balance>
		+ keymarket_primitives::gateway::GatewayApi<Block, AccountId, Balance>
		+ keymarket_primitives::lottery::LotteryApi<Block, AccountId, Balance>
		+ keymarket_primitives::activity::ActivityApi<Block, AccountId, Balance>
		+ keymarket_primitives::market::MarketApi<Block, AccountId, Balance>
		+ BlockBuilder<Block>,
	P: TransactionPool + 'static,
{
	use activity::{Activity, ActivityApiServer};
	use gateway::{Gateway, GatewayApiServer};
	use lottery::{Lottery, LotteryApiServer};
	use market::{Market, MarketApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use policies::{Policies, PoliciesApiServer};
	use slashing::{Slashing, SlashingApiServer};
	use staking::{Staking, StakingApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(Staking::new(client.clone()).into_rpc())?;
	module.merge(Slashing::new(client.clone()).into_rpc())?;
	module.merge(Policies::new(client.clone()).into_rpc())?;
	module.merge(Gateway::new(client.clone()).into_rpc())?;
	module.merge(Lottery::new(client.clone()).into_rpc())?;
	module.merge(Activity::new(client.clone()).into_rpc())?;
	module.merge(Market::new(client).into_rpc())?;

	Ok(module)
}

/// `bytes` as an array of `N` bytes, or the invalid-params error naming `what`.
pub(crate) fn fixed_bytes<const N: usize>(
	bytes: &sp_core::Bytes,
	what: &str,
) -> jsonrpsee::core::RpcResult<[u8; N]> {
	bytes.0.as_slice().try_into().map_err(|_| {
		jsonrpsee::types::ErrorObjectOwned::owned(
			jsonrpsee::types::error::INVALID_PARAMS_CODE,
			format!("{what} is {N} bytes, not {}", bytes.0.len()),
			None::<()>,
		)
	})
}

/// Calls a runtime API of `client` at block `at`, or at the best block; a failed call is
/// [`staking::RUNTIME_ERROR`].
pub fn call_at<B, C, R>(
	client: &C,
	at: Option<B::Hash>,
	f: impl FnOnce(&C::Api, B::Hash) -> Result<R, sp_api::ApiError>,
) -> jsonrpsee::core::RpcResult<R>
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B>,
{
	let at = at.unwrap_or_else(|| client.info().best_hash);
	f(&client.runtime_api(), at).map_err(staking::runtime_error)
}
