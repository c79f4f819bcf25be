//! The node's side of the lottery's duties: the Ursula service keeps the random values and the
//! winning tickets (it serves the requests) and leaves what is due in the outbox
//! ([`keymarket_primitives::lottery::OUTBOX_KEY`]): a commitment to a new value each round, the
//! reveal of the previous one with its winners. Each block this off-chain worker takes them and
//! submits each as the hosted worker's own signed transaction, fee-free as a duty
//! ([`crate::duty`]). A duty that would fail now is dropped with a log line, never submitted;
//! the service prepares it again while the chain still needs it.

use alloc::{
	collections::{BTreeMap, BTreeSet},
	vec::Vec,
};
use frame_support::{dispatch::DispatchClass, traits::Get, weights::Weight};
use keymarket_primitives::{
	lottery::{LotteryDuty, SignedTicket, MAX_OUTBOX, OUTBOX_KEY},
	outbox::SubmitError,
	policies::PolicyId,
};
use sp_runtime::Perbill;

use crate::{BalanceOf, Batch, Call, Config, Pallet};

/// A winning ticket of this runtime's types.
type WinnerOf<T> = SignedTicket<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

/// The share of a normal transaction's weight limit a redemption may take: the rest is for the
/// transaction's extensions (nonce, fee, the duty's check), well under a millisecond.
const REDEMPTION_SHARE: Perbill = Perbill::from_percent(95);

/// A duty of this runtime's types.
pub type DutyOf<T> = LotteryDuty<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

impl<T: Config> Pallet<T> {
	/// Takes the outbox's duties and submits those that will succeed, each signed by the hosted
	/// worker it names. Never panics; problems are logged.
	pub(crate) fn submit_outbox() {
		let duties: Vec<DutyOf<T>> = keymarket_primitives::outbox::take(OUTBOX_KEY);
		for duty in duties.into_iter().take(MAX_OUTBOX) {
			let (worker, call) = match Self::duty_call(duty) {
				Ok(ready) => ready,
				Err(reason) => {
					log::warn!(target: "runtime::lottery", "a duty was dropped: {reason}");
					continue;
				},
			};
			match keymarket_primitives::outbox::submit_as::<T, T::WorkerKey, _>(
				&worker,
				call.clone(),
			) {
				Ok(()) => {
					log::info!(target: "runtime::lottery", "submitted a {} duty", call_name(&call))
				},
				Err(SubmitError::NoKey) => {
					log::warn!(target: "runtime::lottery", "no key of {worker:?} in the keystore")
				},
				Err(SubmitError::Refused) => {
					log::warn!(target: "runtime::lottery", "the pool refused a {} duty", call_name(&call))
				},
			}
		}
	}

	/// The call of a duty and who signs it, if it will succeed now.
	fn duty_call(duty: DutyOf<T>) -> Result<(T::AccountId, Call<T>), &'static str> {
		match duty {
			LotteryDuty::Commit { worker, commitment } => {
				Self::check_commit(&worker).map_err(<&'static str>::from)?;
				Ok((worker, Call::commit { commitment }))
			},
			LotteryDuty::Redeem { worker, revealed, batch } => {
				let (batch, left_out) = Self::fit_batch(batch, Self::redemption_limit());
				if left_out > 0 {
					log::warn!(
						target: "runtime::lottery",
						"{left_out} winners left out: the batch would weigh more than a transaction may"
					);
				}
				let batch: Batch<T> = batch.try_into().map_err(|_| "a batch too long")?;
				if !Self::reveal_opens_previous(&worker, &revealed) {
					return Err("the reveal does not open the previous commitment");
				}
				Ok((worker, Call::redeem { revealed, batch }))
			},
		}
	}
}

impl<T: Config> Pallet<T> {
	/// What a redemption's call may weigh: a share of a normal transaction's limit.
	pub(crate) fn redemption_limit() -> Weight {
		let weights = <T as frame_system::Config>::BlockWeights::get();
		let class = weights.get(DispatchClass::Normal);
		let max = class.max_extrinsic.or(class.max_total).unwrap_or(weights.max_block);
		REDEMPTION_SHARE * max.saturating_sub(class.base_extrinsic)
	}

	/// The part of `batch` whose redemption weighs at most `limit`, and how many winners were
	/// left out. Winners from many payers each bring their payer's account into the batch, so a
	/// full batch of them weighs more than one transaction may, and no block would take it.
	/// Kept: the (payer, policy) accounts with the most winners first, whole where they fit
	/// (a winner of an account already kept costs least), in the batch's order.
	pub(crate) fn fit_batch(batch: Vec<WinnerOf<T>>, limit: Weight) -> (Vec<WinnerOf<T>>, u32) {
		if Self::redeem_weight(&batch).all_lte(limit) {
			return (batch, 0);
		}
		let mut accounts: BTreeMap<(&T::AccountId, &PolicyId), Vec<usize>> = BTreeMap::new();
		for (index, winner) in batch.iter().enumerate() {
			accounts.entry((&winner.ticket.payer, &winner.ticket.policy)).or_default().push(index);
		}
		let mut accounts: Vec<_> = accounts.into_iter().collect();
		// Most winners first; among equals, the account whose first winner comes first.
		accounts.sort_by_key(|(_, indices)| (core::cmp::Reverse(indices.len()), indices[0]));
		let mut keep = BTreeSet::new();
		let mut policies = BTreeSet::new();
		let mut kept_accounts = 0u32;
		for ((_, policy), indices) in accounts {
			let new_policy = !policies.contains(policy);
			let weight = |extra: usize| {
				let tickets = keep.len().saturating_add(extra) as u32;
				let policies = policies.len() as u32 + u32::from(new_policy);
				Self::redeem_weight_of(tickets, kept_accounts + 1, policies)
			};
			// As many of this account's winners as fit, none if not even its first does.
			let fitting = (1..=indices.len()).take_while(|n| weight(*n).all_lte(limit)).count();
			if fitting == 0 {
				continue;
			}
			keep.extend(indices.into_iter().take(fitting));
			policies.insert(policy);
			kept_accounts += 1;
		}
		let left_out = (batch.len() - keep.len()) as u32;
		let kept = batch
			.into_iter()
			.enumerate()
			.filter_map(|(index, winner)| keep.contains(&index).then_some(winner))
			.collect();
		(kept, left_out)
	}
}

fn call_name<T: Config>(call: &Call<T>) -> &'static str {
	match call {
		Call::commit { .. } => "commitment",
		Call::redeem { .. } => "redemption",
		_ => "lottery",
	}
}

/// Reads the outbox (for tests and the node's own view).
pub fn read_outbox<T: Config>() -> Vec<DutyOf<T>> {
	keymarket_primitives::outbox::read(OUTBOX_KEY)
}
