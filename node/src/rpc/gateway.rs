//! `keymarket_*` methods over the gateway runtime API: a round's gateways, cases open and
//! closed, an Ursula's record as an accused, and the complaint difficulty.
//!
//! Errors: [`super::staking::RUNTIME_ERROR`] when the runtime API call fails (e.g. an unknown
//! block). Balances are decimal strings, keys and requests `0x` hex, accounts SS58.

use std::{marker::PhantomData, sync::Arc};

use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use keymarket_primitives::{
	gateway::{AccusedView, CaseView, GatewayApi as GatewayRuntimeApi, RoundView},
	staking::StakingApi as StakingRuntimeApi,
	time::Round,
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;

use super::call_at;

/// The gateway methods.
#[rpc(client, server)]
pub trait GatewayApi<BlockHash> {
	/// The gateways of `round` (default: the current one) in draw order, the draw's seed and
	/// the signatures a proof needs; `null` for a round not begun or forgotten.
	#[method(name = "keymarket_gateways")]
	fn gateways(
		&self,
		round: Option<Round>,
		at: Option<BlockHash>,
	) -> RpcResult<Option<RoundView<AccountId>>>;

	/// The case against `ursula` for `round`, or `null`.
	#[method(name = "keymarket_case")]
	fn case(
		&self,
		round: Round,
		ursula: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<CaseView<AccountId, Balance>>>;

	/// The recent cases against `ursula`, oldest first.
	#[method(name = "keymarket_casesOf")]
	fn cases_of(
		&self,
		ursula: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<CaseView<AccountId, Balance>>>;

	/// The cases open now, by closing round.
	#[method(name = "keymarket_openCases")]
	fn open_cases(&self, at: Option<BlockHash>) -> RpcResult<Vec<CaseView<AccountId, Balance>>>;

	/// `ursula`'s record as an accused: cases opened, answered, punished.
	#[method(name = "keymarket_accused")]
	fn accused(&self, ursula: AccountId, at: Option<BlockHash>) -> RpcResult<AccusedView>;

	/// The leading zero bits a complaint's work needs now.
	#[method(name = "keymarket_complaintDifficulty")]
	fn complaint_difficulty(&self, at: Option<BlockHash>) -> RpcResult<u8>;
}

/// The implementation over a client.
pub struct Gateway<C, B> {
	client: Arc<C>,
	_block: PhantomData<B>,
}

impl<C, B> Gateway<C, B> {
	/// Serves the methods from `client`'s runtime.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

impl<C, B> GatewayApiServer<B::Hash> for Gateway<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: GatewayRuntimeApi<B, AccountId, Balance> + StakingRuntimeApi<B, AccountId, Balance>,
{
	fn gateways(
		&self,
		round: Option<Round>,
		at: Option<B::Hash>,
	) -> RpcResult<Option<RoundView<AccountId>>> {
		call_at(&*self.client, at, |api, at| {
			let round = match round {
				Some(round) => round,
				None => api.current_round(at)?,
			};
			api.round_gateways(at, round)
		})
	}

	fn case(
		&self,
		round: Round,
		ursula: AccountId,
		at: Option<B::Hash>,
	) -> RpcResult<Option<CaseView<AccountId, Balance>>> {
		call_at(&*self.client, at, |api, at| api.case(at, round, ursula))
	}

	fn cases_of(
		&self,
		ursula: AccountId,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<CaseView<AccountId, Balance>>> {
		call_at(&*self.client, at, |api, at| api.cases_of(at, ursula))
	}

	fn open_cases(&self, at: Option<B::Hash>) -> RpcResult<Vec<CaseView<AccountId, Balance>>> {
		call_at(&*self.client, at, |api, at| api.open_cases(at))
	}

	fn accused(&self, ursula: AccountId, at: Option<B::Hash>) -> RpcResult<AccusedView> {
		call_at(&*self.client, at, |api, at| api.accused(at, ursula))
	}

	fn complaint_difficulty(&self, at: Option<B::Hash>) -> RpcResult<u8> {
		call_at(&*self.client, at, |api, at| api.complaint_difficulty(at))
	}
}
