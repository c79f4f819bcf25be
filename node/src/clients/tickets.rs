//! Bob's tickets (docs/lottery.md): when a payer has authorized him for a policy, each request
//! carries a ticket against the payer's deposit, at the price the payer set, with a face value
//! of `odds` times the price (at most the deposit) and the win probability that makes it worth
//! the price on average. Bob signs the ticket and, through its hash, the request, once.
//!
//! What a ticket names comes from the chain: the current round and its first block's hash, how
//! long a ticket may live, each Ursula's current commitment. The round is read before each
//! ticket; commitments are kept for the round (an Ursula moves to a new one each round), and
//! read again when an Ursula refuses a ticket for naming an old one.

use std::collections::HashMap;

use keymarket_primitives::{
	lottery::{probability_for, FundsView, Ticket, TICKET_VERSION},
	policies::{PolicyId, RequestBody},
	time::Round,
	AccountId, Balance,
};
use sp_core::H256;

use super::{
	chain::{Chain, BEST},
	rpc::typed,
};
use crate::rpc::{lottery::LotteryApiClient, staking::StakingApiClient};

/// What Bob needs to make tickets for one policy and payer.
pub struct Tickets {
	payer: AccountId,
	policy: PolicyId,
	face_value: Balance,
	win_probability: u64,
	ticket_rounds: Round,
	blocks_per_round: u32,
	/// The round the commitments below were read in, and its first block's hash.
	round: Option<(Round, [u8; 32])>,
	commitments: HashMap<AccountId, [u8; 32]>,
}

impl Tickets {
	/// Bob's tickets for `policy` paid by `payer`, if it has authorized him (funds with a cap):
	/// `None` if it has not. `odds`: one ticket in about that many wins.
	pub fn new(
		chain: &Chain,
		payer: &AccountId,
		policy: PolicyId,
		odds: u32,
	) -> Result<Option<Self>, String> {
		let funds: Option<FundsView<Balance>> =
			typed(chain.api().funds(payer.clone(), policy.to_vec().into(), BEST))?;
		let Some(funds) = funds.filter(|f| f.cap > 0) else { return Ok(None) };
		if funds.price == 0 {
			return Err("the payer's price is zero: its tickets would never win".into());
		}
		let face_value = funds.price.saturating_mul(odds.max(1).into()).min(funds.deposit);
		if face_value < funds.price {
			return Err(format!(
				"the payer's deposit ({}) cannot pay one ticket at its price ({})",
				funds.deposit, funds.price
			));
		}
		Ok(Some(Self {
			payer: payer.clone(),
			policy,
			face_value,
			win_probability: probability_for(funds.price, face_value),
			ticket_rounds: typed(chain.api().ticket_rounds(BEST))?,
			blocks_per_round: typed(chain.api().durations(BEST))?.blocks_per_round,
			round: None,
			commitments: HashMap::new(),
		}))
	}

	/// What each ticket pays when it wins.
	pub fn face_value(&self) -> Balance {
		self.face_value
	}

	/// The ticket that pays for `body` (its hash is set when Bob signs).
	pub fn ticket(
		&mut self,
		chain: &Chain,
		body: &RequestBody,
	) -> Result<Ticket<AccountId, Balance>, String> {
		let now: Round = typed(chain.api().current_round(BEST))?;
		let (round, hash) = match self.round {
			Some((round, hash)) if round == now => (round, hash),
			_ => {
				let number = now.saturating_mul(self.blocks_per_round);
				let hash: Option<H256> =
					chain.rpc_as("chain_getBlockHash", serde_json::json!([number]))?;
				let hash = hash.ok_or_else(|| format!("no block {number}"))?.0;
				self.round = Some((now, hash));
				self.commitments.clear();
				(now, hash)
			},
		};
		let ursula = &body.ursula;
		let commitment = match self.commitments.get(ursula) {
			Some(commitment) => *commitment,
			None => {
				let view = typed(chain.api().commitment(ursula.clone(), BEST))?
					.ok_or_else(|| format!("{ursula} has not committed to a random value yet"))?;
				self.commitments.insert(ursula.clone(), view.current);
				view.current
			},
		};
		Ok(Ticket {
			version: TICKET_VERSION,
			payer: self.payer.clone(),
			policy: self.policy,
			recipient: ursula.clone(),
			face_value: self.face_value,
			win_probability: self.win_probability,
			nonce: body.sequence,
			commitment,
			created_round: round,
			created_hash: hash,
			expires: round.saturating_add(self.ticket_rounds),
			request_hash: [0; 32],
		})
	}

	/// Forgets what is known of the round and of `ursula`'s commitment: read again for the
	/// next ticket (after a refusal of a ticket naming an old one).
	pub fn forget(&mut self, ursula: &AccountId) {
		self.commitments.remove(ursula);
		self.round = None;
	}
}
