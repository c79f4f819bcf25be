//! `keymarket_*` methods over the policies runtime API: a policy, the policies of an Alice, of a
//! Bob and of an Ursula, escrow and earned fees.
//!
//! Errors: `-32602` invalid parameters (a policy id that is not 16 bytes of hex),
//! [`super::staking::RUNTIME_ERROR`] when the runtime API call fails (e.g. an unknown block).
//! Policy ids are `0x` hex, balances decimal strings, keys `0x` hex, accounts SS58.

use std::{marker::PhantomData, sync::Arc};

use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use keymarket_primitives::{
	policies::{PoliciesApi as PoliciesRuntimeApi, PolicyId, PolicyView},
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::Bytes;
use sp_runtime::traits::Block as BlockT;

use super::call_at;

/// The policies methods.
#[rpc(client, server)]
pub trait PoliciesApi<BlockHash> {
	/// A policy with its status, keys, Ursulas, escrow and what it paid, or `null`.
	#[method(name = "keymarket_policy")]
	fn policy(
		&self,
		id: Bytes,
		at: Option<BlockHash>,
	) -> RpcResult<Option<PolicyView<AccountId, Balance>>>;

	/// The ids of the policies `owner` (Alice) created and that are not cleaned up.
	#[method(name = "keymarket_policiesOfOwner")]
	fn policies_of_owner(&self, owner: AccountId, at: Option<BlockHash>) -> RpcResult<Vec<Bytes>>;

	/// The ids of the policies granted to `bob`.
	#[method(name = "keymarket_policiesOfBob")]
	fn policies_of_bob(&self, bob: AccountId, at: Option<BlockHash>) -> RpcResult<Vec<Bytes>>;

	/// The ids of the live policies Ursula `worker` serves.
	#[method(name = "keymarket_policiesOfUrsula")]
	fn policies_of_ursula(&self, worker: AccountId, at: Option<BlockHash>)
		-> RpcResult<Vec<Bytes>>;

	/// What `owner` holds in escrow for its policies (decimal string).
	#[method(name = "keymarket_escrow")]
	fn escrow(&self, owner: AccountId, at: Option<BlockHash>) -> RpcResult<String>;

	/// Fees `staker`'s Ursula earned that it has not withdrawn (decimal string).
	#[method(name = "keymarket_earnedFees")]
	fn earned_fees(&self, staker: AccountId, at: Option<BlockHash>) -> RpcResult<String>;
}

/// The implementation over a client.
pub struct Policies<C, B> {
	client: Arc<C>,
	_block: PhantomData<B>,
}

impl<C, B> Policies<C, B> {
	/// Serves the methods from `client`'s runtime.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

/// A policy id from its bytes, or the invalid-params error.
pub(crate) fn policy_id(id: &Bytes) -> RpcResult<PolicyId> {
	super::fixed_bytes(id, "a policy id")
}

fn ids(ids: Vec<PolicyId>) -> Vec<Bytes> {
	ids.into_iter().map(|id| Bytes(id.to_vec())).collect()
}

impl<C, B> PoliciesApiServer<B::Hash> for Policies<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: PoliciesRuntimeApi<B, AccountId, Balance>,
{
	fn policy(
		&self,
		id: Bytes,
		at: Option<B::Hash>,
	) -> RpcResult<Option<PolicyView<AccountId, Balance>>> {
		let id = policy_id(&id)?;
		call_at(&*self.client, at, |api, at| api.policy(at, id))
	}

	fn policies_of_owner(&self, owner: AccountId, at: Option<B::Hash>) -> RpcResult<Vec<Bytes>> {
		call_at(&*self.client, at, |api, at| api.policies_of_owner(at, owner)).map(ids)
	}

	fn policies_of_bob(&self, bob: AccountId, at: Option<B::Hash>) -> RpcResult<Vec<Bytes>> {
		call_at(&*self.client, at, |api, at| api.policies_of_bob(at, bob)).map(ids)
	}

	fn policies_of_ursula(&self, worker: AccountId, at: Option<B::Hash>) -> RpcResult<Vec<Bytes>> {
		call_at(&*self.client, at, |api, at| api.policies_of_ursula(at, worker)).map(ids)
	}

	fn escrow(&self, owner: AccountId, at: Option<B::Hash>) -> RpcResult<String> {
		call_at(&*self.client, at, |api, at| api.escrow_of(at, owner)).map(|b| b.to_string())
	}

	fn earned_fees(&self, staker: AccountId, at: Option<B::Hash>) -> RpcResult<String> {
		call_at(&*self.client, at, |api, at| api.earned_fees(at, staker)).map(|b| b.to_string())
	}
}
