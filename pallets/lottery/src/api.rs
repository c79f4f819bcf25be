//! What the runtime API tells of the lottery, and the pallet's invariants.

use keymarket_primitives::lottery::{CommitmentView, FundsView, WinningsView};
use sp_runtime::traits::Zero;

use crate::*;

impl<T: Config> Pallet<T> {
	/// `payer`'s funds for `policy`, with the policy's price (none once the policy is gone).
	pub fn funds_view(payer: T::AccountId, policy: PolicyId) -> Option<FundsView<BalanceOf<T>>> {
		let account = Accounts::<T>::get(payer, policy)?;
		let terms = T::Policies::terms(&policy)?;
		let current = account.spent_in == T::Ursulas::current_period();
		Some(FundsView {
			deposit: account.deposit,
			reserve: account.reserve,
			unlocks_at: account.unlocks_at,
			cap: account.cap,
			spent: if current { account.spent } else { Zero::zero() },
			price: terms.price,
		})
	}

	/// `worker`'s commitments.
	pub fn commitment_view(worker: T::AccountId) -> Option<CommitmentView> {
		let commitments = CommitmentsOf::<T>::get(worker)?;
		Some(CommitmentView {
			current: commitments.current,
			since: commitments.since,
			previous: commitments.previous.map(|(hash, _, replaced_in)| (hash, replaced_in)),
		})
	}

	/// Whether the ticket `id` with last round `expires` was redeemed.
	pub fn is_redeemed(expires: Round, id: [u8; 32]) -> bool {
		Redeemed::<T>::contains_key(expires, id)
	}

	/// What `worker`'s winning tickets paid.
	pub fn winnings_view(worker: T::AccountId) -> WinningsView<BalanceOf<T>> {
		let winnings = WinningsOf::<T>::get(worker);
		WinningsView {
			tickets: winnings.tickets,
			paid: winnings.paid,
			from_reserves: winnings.from_reserves,
		}
	}

	/// The pallet's invariants: what the accounts say each payer has deposited and reserved is
	/// exactly what is held on its account for each reason (no money made or lost), and no
	/// commitment's previous value is younger than its current one.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use frame_support::{ensure, traits::fungible::InspectHold};
		use sp_runtime::traits::Saturating;
		let mut totals: BTreeMap<T::AccountId, (BalanceOf<T>, BalanceOf<T>)> = BTreeMap::new();
		for (payer, _, account) in Accounts::<T>::iter() {
			let total = totals.entry(payer).or_insert((Zero::zero(), Zero::zero()));
			total.0 = total.0.saturating_add(account.deposit);
			total.1 = total.1.saturating_add(account.reserve);
		}
		for (payer, (deposit, reserve)) in totals {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::TicketDeposit.into(), &payer) == deposit,
				"a payer's deposits are what is held for them"
			);
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::TicketReserve.into(), &payer) == reserve,
				"a payer's reserves are what is held for them"
			);
		}
		for (_, commitments) in CommitmentsOf::<T>::iter() {
			if let Some((_, since, replaced_in)) = commitments.previous {
				ensure!(
					since <= replaced_in && replaced_in == commitments.since,
					"a previous commitment was replaced when the current one came"
				);
			}
			if let (Some((_, _, opened_until)), Some((_, previous_since, _))) =
				(commitments.opened, commitments.previous)
			{
				ensure!(opened_until <= previous_since, "the opened commitment came before");
			}
		}
		Ok(())
	}
}
