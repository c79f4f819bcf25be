//! `keymarket_*` methods over the activity runtime API: an Ursula's claims of served work and
//! their state, the leaves a claim must open, and the scheme in force.
//!
//! Errors: [`super::staking::RUNTIME_ERROR`] when the runtime API call fails (e.g. an unknown
//! block); `-32602` for a policy id that is not 16 bytes. Balances are decimal strings, roots
//! `0x` hex, accounts SS58.

use std::{marker::PhantomData, sync::Arc};

use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use keymarket_primitives::{
	activity::{ActivityApi as ActivityRuntimeApi, ActivityScheme, ClaimView},
	time::Period,
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::Bytes;
use sp_runtime::traits::Block as BlockT;

use super::call_at;

/// The activity methods.
#[rpc(client, server)]
pub trait ActivityApi<BlockHash> {
	/// `worker`'s claims still kept (the last few periods'), oldest period first: policy,
	/// period, ω, root, beacon block, last block to open, state (`committed`, `paid` with the
	/// amount, `refuted`).
	#[method(name = "keymarket_activityClaims")]
	fn claims(
		&self,
		worker: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<ClaimView<Balance>>>;

	/// The leaves `worker` must open for its claim of `policy` (16 bytes, hex) and `period`;
	/// `null` before its beacon block is known or without such a claim.
	#[method(name = "keymarket_activityChallenges")]
	fn challenged(
		&self,
		worker: AccountId,
		policy: Bytes,
		period: Period,
		at: Option<BlockHash>,
	) -> RpcResult<Option<Vec<u32>>>;

	/// How served work is proven now: `"commitOpen"`, `"committee"` or `"zeroKnowledge"`.
	#[method(name = "keymarket_activityScheme")]
	fn scheme(&self, at: Option<BlockHash>) -> RpcResult<ActivityScheme>;
}

/// The implementation over a client.
pub struct Activity<C, B> {
	client: Arc<C>,
	_block: PhantomData<B>,
}

impl<C, B> Activity<C, B> {
	/// Serves the methods from `client`'s runtime.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

impl<C, B> ActivityApiServer<B::Hash> for Activity<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: ActivityRuntimeApi<B, AccountId, Balance>,
{
	fn claims(&self, worker: AccountId, at: Option<B::Hash>) -> RpcResult<Vec<ClaimView<Balance>>> {
		call_at(&*self.client, at, |api, at| api.claims(at, worker))
	}

	fn challenged(
		&self,
		worker: AccountId,
		policy: Bytes,
		period: Period,
		at: Option<B::Hash>,
	) -> RpcResult<Option<Vec<u32>>> {
		let policy = super::policies::policy_id(&policy)?;
		call_at(&*self.client, at, |api, at| api.challenged(at, worker, policy, period))
	}

	fn scheme(&self, at: Option<B::Hash>) -> RpcResult<ActivityScheme> {
		call_at(&*self.client, at, |api, at| api.scheme(at))
	}
}
