//! The node's side of the lottery's duties: the Ursula service keeps the random values and the
//! winning tickets (it serves the requests) and leaves what is due in the outbox
//! ([`keymarket_primitives::lottery::OUTBOX_KEY`]): a commitment to a new value each round, the
//! reveal of the previous one with its winners. Each block this off-chain worker takes them and
//! submits each as the hosted worker's own signed transaction, fee-free as a duty
//! ([`crate::duty`]). A duty that would fail now is dropped with a log line, never submitted;
//! the service prepares it again while the chain still needs it.

use alloc::vec::Vec;
use keymarket_primitives::{
	lottery::{LotteryDuty, MAX_OUTBOX, OUTBOX_KEY},
	outbox::SubmitError,
};

use crate::{BalanceOf, Batch, Call, Config, Pallet};

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
				let batch: Batch<T> = batch.try_into().map_err(|_| "a batch too long")?;
				if !Self::reveal_opens_previous(&worker, &revealed) {
					return Err("the reveal does not open the previous commitment");
				}
				Ok((worker, Call::redeem { revealed, batch }))
			},
		}
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
