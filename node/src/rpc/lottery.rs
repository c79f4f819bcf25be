//! `keymarket_*` methods over the lottery runtime API: a payer's funds for a policy, an
//! Ursula's commitments (what Bob names in a ticket), how long a ticket may live, whether a
//! ticket was redeemed, and what an Ursula's winning tickets paid.
//!
//! Errors: [`super::staking::RUNTIME_ERROR`] when the runtime API call fails (e.g. an unknown
//! block). Balances are decimal strings, hashes `0x` hex, accounts SS58.

use std::{marker::PhantomData, sync::Arc};

use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use keymarket_primitives::{
	lottery::{CommitmentView, FundsView, LotteryApi as LotteryRuntimeApi, WinningsView},
	policies::PolicyId,
	time::Round,
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::Bytes;
use sp_runtime::traits::Block as BlockT;

use super::call_at;

/// The lottery methods.
#[rpc(client, server)]
pub trait LotteryApi<BlockHash> {
	/// `payer`'s funds for `policy` (16 bytes, hex): deposit, reserve, unlocking round, Bob's
	/// cap and what winners took this period; `null` without funds or authorization.
	#[method(name = "keymarket_lotteryFunds")]
	fn funds(
		&self,
		payer: AccountId,
		policy: Bytes,
		at: Option<BlockHash>,
	) -> RpcResult<Option<FundsView<Balance>>>;

	/// `worker`'s current commitment (what Bob names in a ticket) and the previous one it has
	/// still to reveal; `null` if it never committed.
	#[method(name = "keymarket_lotteryCommitment")]
	fn commitment(
		&self,
		worker: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<CommitmentView>>;

	/// Whether the ticket with id `id` (32 bytes, hex: `blake2_256` of its SCALE bytes) and
	/// last round `expires` was redeemed (and is not yet forgotten).
	#[method(name = "keymarket_ticketRedeemed")]
	fn redeemed(&self, expires: Round, id: Bytes, at: Option<BlockHash>) -> RpcResult<bool>;

	/// The most rounds a ticket may live after the round it was made in (its `expires` is at
	/// most this many rounds on).
	#[method(name = "keymarket_ticketRounds")]
	fn ticket_rounds(&self, at: Option<BlockHash>) -> RpcResult<Round>;

	/// What `worker`'s winning tickets paid: their count, their value, and what it got from
	/// reserves of payers that could not pay.
	#[method(name = "keymarket_lotteryWinnings")]
	fn winnings(
		&self,
		worker: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<WinningsView<Balance>>;
}

/// The implementation over a client.
pub struct Lottery<C, B> {
	client: Arc<C>,
	_block: PhantomData<B>,
}

impl<C, B> Lottery<C, B> {
	/// Serves the methods from `client`'s runtime.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

impl<C, B> LotteryApiServer<B::Hash> for Lottery<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: LotteryRuntimeApi<B, AccountId, Balance>,
{
	fn funds(
		&self,
		payer: AccountId,
		policy: Bytes,
		at: Option<B::Hash>,
	) -> RpcResult<Option<FundsView<Balance>>> {
		let policy: PolicyId = super::policies::policy_id(&policy)?;
		call_at(&*self.client, at, |api, at| api.funds(at, payer, policy))
	}

	fn commitment(
		&self,
		worker: AccountId,
		at: Option<B::Hash>,
	) -> RpcResult<Option<CommitmentView>> {
		call_at(&*self.client, at, |api, at| api.commitment(at, worker))
	}

	fn redeemed(&self, expires: Round, id: Bytes, at: Option<B::Hash>) -> RpcResult<bool> {
		let id: [u8; 32] = super::fixed_bytes(&id, "a ticket id")?;
		call_at(&*self.client, at, |api, at| api.redeemed(at, expires, id))
	}

	fn ticket_rounds(&self, at: Option<B::Hash>) -> RpcResult<Round> {
		call_at(&*self.client, at, |api, at| api.ticket_rounds(at))
	}

	fn winnings(&self, worker: AccountId, at: Option<B::Hash>) -> RpcResult<WinningsView<Balance>> {
		call_at(&*self.client, at, |api, at| api.winnings(at, worker))
	}
}
