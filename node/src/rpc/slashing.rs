//! `keymarket_*` methods over the slashing runtime API: a staker's offence history and the
//! slashes waiting to be applied.
//!
//! Errors: [`super::staking::RUNTIME_ERROR`] when the runtime API call fails (e.g. an unknown
//! block). Balances are decimal strings, accounts SS58.

use std::{marker::PhantomData, sync::Arc};

use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use keymarket_primitives::{
	slashing::{HistoryView, PendingSlashView, SlashingApi as SlashingRuntimeApi},
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;

use super::call_at;

/// The slashing methods.
#[rpc(client, server)]
pub trait SlashingApi<BlockHash> {
	/// A staker's record per kind of offence: count, stake taken, unapplied, cancelled.
	#[method(name = "keymarket_slashingHistory")]
	fn history(
		&self,
		staker: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<HistoryView<Balance>>>;

	/// The slashes waiting for their period (of `staker`, or all), by id.
	#[method(name = "keymarket_pendingSlashes")]
	fn pending_slashes(
		&self,
		staker: Option<AccountId>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<PendingSlashView<AccountId, Balance>>>;
}

/// The implementation over a client.
pub struct Slashing<C, B> {
	client: Arc<C>,
	_block: PhantomData<B>,
}

impl<C, B> Slashing<C, B> {
	/// Serves the methods from `client`'s runtime.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

impl<C, B> SlashingApiServer<B::Hash> for Slashing<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: SlashingRuntimeApi<B, AccountId, Balance>,
{
	fn history(
		&self,
		staker: AccountId,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<HistoryView<Balance>>> {
		call_at(&*self.client, at, |api, at| api.history(at, staker))
	}

	fn pending_slashes(
		&self,
		staker: Option<AccountId>,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<PendingSlashView<AccountId, Balance>>> {
		call_at(&*self.client, at, |api, at| api.pending_slashes(at, staker))
	}
}
