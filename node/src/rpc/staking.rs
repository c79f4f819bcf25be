//! `keymarket_*` methods over the staking runtime API: the chain's durations, the current period,
//! round and stage, stakers, Ursulas, the active set and stake-weighted samples of it.
//!
//! Errors: `-32602` invalid parameters (a sample of zero or more than [`MAX_SAMPLE`] Ursulas),
//! [`RUNTIME_ERROR`] when the runtime API call fails (e.g. an unknown block), and
//! [`NOT_ENOUGH_URSULAS`] when fewer Ursulas are active than the sample asks for. Balances are
//! decimal strings, keys `0x` hex, accounts SS58.

use std::{marker::PhantomData, sync::Arc};

use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::INVALID_PARAMS_CODE, ErrorObjectOwned},
};
use keymarket_primitives::{
	sampling::SamplingError,
	staking::{Period, Stage, StakerView, StakingApi as StakingRuntimeApi, UrsulaView},
	time::{Durations, Round},
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::H256;
use sp_runtime::traits::Block as BlockT;

/// The runtime API call failed.
pub const RUNTIME_ERROR: i32 = 1001;
/// Fewer active Ursulas than the sample size.
pub const NOT_ENOUGH_URSULAS: i32 = 1002;
/// The largest sample the RPC draws: sampling costs `O(n · active Ursulas)`.
pub const MAX_SAMPLE: u32 = 1_000;

/// The staking methods.
#[rpc(client, server)]
pub trait StakingApi<BlockHash> {
	/// The current period.
	#[method(name = "keymarket_currentPeriod")]
	fn current_period(&self, at: Option<BlockHash>) -> RpcResult<Period>;

	/// The current round.
	#[method(name = "keymarket_currentRound")]
	fn current_round(&self, at: Option<BlockHash>) -> RpcResult<Round>;

	/// The chain's durations, as its genesis set them.
	#[method(name = "keymarket_durations")]
	fn durations(&self, at: Option<BlockHash>) -> RpcResult<Durations>;

	/// The network stage: `"Inflation"` or `"FeesOnly"`.
	#[method(name = "keymarket_stage")]
	fn stage(&self, at: Option<BlockHash>) -> RpcResult<Stage>;

	/// A staker's sub-stakes, switches, worker, unrewarded periods and downtime, or `null`.
	#[method(name = "keymarket_staker")]
	fn staker(
		&self,
		who: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<StakerView<AccountId, Balance>>>;

	/// A bonded worker (Ursula) with its endpoint and keys, or `null`.
	#[method(name = "keymarket_ursula")]
	fn ursula(
		&self,
		worker: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<UrsulaView<AccountId, Balance>>>;

	/// The active Ursulas of `period` (default: the current one; only the current and the next
	/// period are known), ordered by worker account.
	#[method(name = "keymarket_activeUrsulas")]
	fn active_ursulas(
		&self,
		period: Option<Period>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<UrsulaView<AccountId, Balance>>>;

	/// `n` distinct active Ursulas of `period` (default: the current one), drawn by stake from
	/// `seed` (32 bytes, hex).
	#[method(name = "keymarket_sample")]
	fn sample(
		&self,
		seed: H256,
		n: u32,
		period: Option<Period>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<AccountId>>;
}

/// The implementation over a client.
pub struct Staking<C, B> {
	client: Arc<C>,
	_block: PhantomData<B>,
}

impl<C, B> Staking<C, B> {
	/// Serves the methods from `client`'s runtime.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

/// The error of a failed runtime API call.
pub fn runtime_error(e: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(RUNTIME_ERROR, format!("the runtime API call failed: {e}"), None::<()>)
}

impl<C, B> Staking<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: StakingRuntimeApi<B, AccountId, Balance>,
{
	/// Calls the runtime API at `at`, or at the best block.
	fn call<R>(
		&self,
		at: Option<B::Hash>,
		f: impl FnOnce(&C::Api, B::Hash) -> Result<R, sp_api::ApiError>,
	) -> RpcResult<R> {
		super::call_at(&*self.client, at, f)
	}

	fn period_or_current(&self, period: Option<Period>, at: Option<B::Hash>) -> RpcResult<Period> {
		match period {
			Some(period) => Ok(period),
			None => self.call(at, |api, at| api.current_period(at)),
		}
	}
}

impl<C, B> StakingApiServer<B::Hash> for Staking<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: StakingRuntimeApi<B, AccountId, Balance>,
{
	fn current_period(&self, at: Option<B::Hash>) -> RpcResult<Period> {
		self.call(at, |api, at| api.current_period(at))
	}

	fn current_round(&self, at: Option<B::Hash>) -> RpcResult<Round> {
		self.call(at, |api, at| api.current_round(at))
	}

	fn durations(&self, at: Option<B::Hash>) -> RpcResult<Durations> {
		self.call(at, |api, at| api.durations(at))
	}

	fn stage(&self, at: Option<B::Hash>) -> RpcResult<Stage> {
		self.call(at, |api, at| api.stage(at))
	}

	fn staker(
		&self,
		who: AccountId,
		at: Option<B::Hash>,
	) -> RpcResult<Option<StakerView<AccountId, Balance>>> {
		self.call(at, |api, at| api.staker(at, who))
	}

	fn ursula(
		&self,
		worker: AccountId,
		at: Option<B::Hash>,
	) -> RpcResult<Option<UrsulaView<AccountId, Balance>>> {
		self.call(at, |api, at| api.ursula(at, worker))
	}

	fn active_ursulas(
		&self,
		period: Option<Period>,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<UrsulaView<AccountId, Balance>>> {
		let period = self.period_or_current(period, at)?;
		self.call(at, |api, at| api.active_ursulas(at, period))
	}

	fn sample(
		&self,
		seed: H256,
		n: u32,
		period: Option<Period>,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<AccountId>> {
		if n == 0 || n > MAX_SAMPLE {
			return Err(ErrorObjectOwned::owned(
				INVALID_PARAMS_CODE,
				format!("a sample holds 1 to {MAX_SAMPLE} Ursulas, not {n}"),
				None::<()>,
			));
		}
		let period = self.period_or_current(period, at)?;
		match self.call(at, |api, at| api.sample(at, seed.0, n, period))? {
			Ok(ursulas) => Ok(ursulas),
			Err(SamplingError::NotEnoughCandidates) => Err(ErrorObjectOwned::owned(
				NOT_ENOUGH_URSULAS,
				format!("fewer than {n} Ursulas are active in period {period}"),
				None::<()>,
			)),
			Err(SamplingError::WeightOverflow) => {
				Err(runtime_error("the active stake overflows the sampling weights"))
			},
		}
	}
}
