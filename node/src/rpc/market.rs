//! `keymarket_*` methods over the market runtime API: an Ursula's terms and free places, a
//! stake-weighted draw of the Ursulas whose terms fit an offer (or why none do), the stake on
//! offer at each price, the prices the policies of past periods agreed, and a policy's cost.
//!
//! Errors: `-32602` invalid parameters (no rates or more than [`MAX_PRICE_POINTS`], a sample of
//! zero or more than [`MAX_SAMPLE`] Ursulas, a fee that overflows a balance, a range that ends
//! before it starts), [`super::staking::RUNTIME_ERROR`] when the runtime API call fails, and
//! [`NOT_ENOUGH_URSULAS`] when fewer Ursulas fit than the draw asks for: its `data` is the
//! [`NoMatch`] count of each obstacle and the rate that would do. Balances, in parameters as in
//! results, are decimal strings.

use std::{marker::PhantomData, sync::Arc};

use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::INVALID_PARAMS_CODE, ErrorObjectOwned},
};
use keymarket_primitives::{
	market::{
		MarketApi as MarketRuntimeApi, NoMatch, PricePoint, PriceRecord, Quote, TermsView,
		MAX_PRICE_PERIODS, MAX_PRICE_POINTS,
	},
	staking::{Period, StakingApi as StakingRuntimeApi},
	AccountId, Balance,
};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::H256;
use sp_runtime::traits::Block as BlockT;

use super::{
	call_at,
	staking::{MAX_SAMPLE, NOT_ENOUGH_URSULAS},
};

/// A balance as a decimal string (JavaScript numbers lose precision above 2^53).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(#[serde(with = "keymarket_primitives::serde_helpers::decimal")] pub Balance);

/// The prices of one period's new policies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodPrices {
	/// The period the policies were made in.
	pub period: Period,
	/// How many, their places and rates.
	pub prices: PriceRecord<Balance>,
}

/// The market methods.
#[rpc(client, server)]
pub trait MarketApi<BlockHash> {
	/// The terms of the Ursula of `worker` (in force, and a change to come) with its load and
	/// free places, or `null` if it is not bonded.
	#[method(name = "keymarket_terms")]
	fn terms(
		&self,
		worker: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<TermsView<Balance>>>;

	/// `n` distinct Ursulas of the current period's active set whose terms fit `rate` (per
	/// Ursula per period) and a policy ending at period `end`, drawn by stake from `seed`:
	/// the shared sampling with the others' weights set to zero.
	#[method(name = "keymarket_sampleFitting")]
	fn sample_fitting(
		&self,
		seed: H256,
		n: u32,
		rate: Amount,
		end: Period,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<AccountId>>;

	/// For each of `rates` (1 to 64), the active Ursulas with a free place whose minimum
	/// rate is at or below it: how many, their stake and their free places.
	#[method(name = "keymarket_priceDistribution")]
	fn price_distribution(
		&self,
		rates: Vec<Amount>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<PricePoint<Balance>>>;

	/// The prices of the policies made in periods `from..=to` (default: the remembered
	/// history up to the current period), oldest first; periods without new policies are left
	/// out.
	#[method(name = "keymarket_pricesPaid")]
	fn prices_paid(
		&self,
		from: Option<Period>,
		to: Option<Period>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<PeriodPrices>>;

	/// What a policy of `n` Ursulas at `rate` for `periods` periods costs its owner: escrow,
	/// place fees, deposit and their total.
	#[method(name = "keymarket_quote")]
	fn quote(
		&self,
		n: u32,
		rate: Amount,
		periods: Period,
		at: Option<BlockHash>,
	) -> RpcResult<Quote<Balance>>;
}

/// The implementation over a client.
pub struct Market<C, B> {
	client: Arc<C>,
	_block: PhantomData<B>,
}

impl<C, B> Market<C, B> {
	/// Serves the methods from `client`'s runtime.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

fn invalid(message: String) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(INVALID_PARAMS_CODE, message, None::<()>)
}

/// The error of a draw that found too few Ursulas: the explanation, and its counts as data.
pub fn no_match_error(no_match: &NoMatch<Balance>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(NOT_ENOUGH_URSULAS, no_match.explain(), Some(no_match))
}

impl<C, B> MarketApiServer<B::Hash> for Market<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: MarketRuntimeApi<B, AccountId, Balance> + StakingRuntimeApi<B, AccountId, Balance>,
{
	fn terms(
		&self,
		worker: AccountId,
		at: Option<B::Hash>,
	) -> RpcResult<Option<TermsView<Balance>>> {
		call_at(&*self.client, at, |api, at| api.terms(at, worker))
	}

	fn sample_fitting(
		&self,
		seed: H256,
		n: u32,
		rate: Amount,
		end: Period,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<AccountId>> {
		if n == 0 || n > MAX_SAMPLE {
			return Err(invalid(format!("a sample holds 1 to {MAX_SAMPLE} Ursulas, not {n}")));
		}
		call_at(&*self.client, at, |api, at| api.sample_fitting(at, seed.0, n, rate.0, end))?
			.map_err(|no_match| no_match_error(&no_match))
	}

	fn price_distribution(
		&self,
		rates: Vec<Amount>,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<PricePoint<Balance>>> {
		if rates.is_empty() || rates.len() > MAX_PRICE_POINTS as usize {
			return Err(invalid(format!(
				"ask about 1 to {MAX_PRICE_POINTS} rates, not {}",
				rates.len()
			)));
		}
		let rates = rates.into_iter().map(|rate| rate.0).collect();
		call_at(&*self.client, at, |api, at| api.price_distribution(at, rates))
	}

	fn prices_paid(
		&self,
		from: Option<Period>,
		to: Option<Period>,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<PeriodPrices>> {
		let to = match to {
			Some(to) => to,
			None => call_at(&*self.client, at, |api, at| api.current_period(at))?,
		};
		let from = from.unwrap_or_else(|| to.saturating_sub(MAX_PRICE_PERIODS - 1));
		if from > to {
			return Err(invalid(format!("the range {from}..={to} ends before it starts")));
		}
		let records = call_at(&*self.client, at, |api, at| api.prices_paid(at, from, to))?;
		Ok(records.into_iter().map(|(period, prices)| PeriodPrices { period, prices }).collect())
	}

	fn quote(
		&self,
		n: u32,
		rate: Amount,
		periods: Period,
		at: Option<B::Hash>,
	) -> RpcResult<Quote<Balance>> {
		call_at(&*self.client, at, |api, at| api.quote(at, n, rate.0, periods))?.ok_or_else(|| {
			invalid(format!("{n} Ursulas at {} for {periods} periods overflow a balance", rate.0))
		})
	}
}
