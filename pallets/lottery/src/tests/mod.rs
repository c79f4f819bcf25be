pub mod mock;

mod duty_tests;
mod funds_tests;
mod migration_tests;
mod property_tests;
mod redeem_tests;

use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use keymarket_primitives::lottery::{SignedTicket, TicketError};

use crate::{Clock, Error, Event, HoldReason};
use mock::*;

/// Benchmark set-up in the mock: registered workers with rich stakers, policies of Bob's.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarks {
	fn worker(index: u32) -> AccountId {
		let worker: AccountId = frame_benchmarking::account("worker", index, 0);
		network(|n| n.workers.insert(worker.clone()));
		let _ = Balances::force_set_balance(RuntimeOrigin::root(), staker_of(&worker), RICH);
		worker
	}

	fn policy(worker: &AccountId, bob: &AccountId, ursulas: u32) -> crate::PolicyId {
		let mut list = vec![worker.clone()];
		list.extend((1..ursulas).map(|i| Self::worker(1_000 + i)));
		network(|n| {
			n.policies.insert(
				POLICY,
				keymarket_primitives::lottery::TicketTerms {
					bob: bob.clone(),
					ursulas: list,
					price: 1_000,
				},
			)
		});
		POLICY
	}

	fn go_to_round(round: crate::Round) {
		go_to_round(round);
	}
}

/// Alice funds [`POLICY`] with `deposit` and `reserve` and authorizes Bob for `cap` a period (at
/// the policy's price of 100 a request).
fn alice_funds(deposit: Balance, reserve: Balance, cap: Balance) {
	assert_ok!(Lottery::fund(RuntimeOrigin::signed(account("Alice")), POLICY, deposit, reserve));
	assert_ok!(Lottery::authorize(RuntimeOrigin::signed(account("Alice")), POLICY, cap));
}

/// Ursula `i` commits in the current round.
fn commit(i: u32) {
	let now = MockUrsulas::current_round();
	assert_ok!(Lottery::commit(RuntimeOrigin::signed(ursula(i)), commitment(i, now)));
}

/// Ursula `i` redeems `tickets` revealing its value of round `committed`.
fn redeem(
	i: u32,
	committed: u32,
	tickets: Vec<SignedTicket<AccountId, Balance>>,
) -> sp_runtime::DispatchResultWithInfo<frame_support::dispatch::PostDispatchInfo> {
	Lottery::redeem(
		RuntimeOrigin::signed(ursula(i)),
		value(i, committed),
		BoundedVec::try_from(tickets).expect("a short batch"),
	)
}

/// The refusals of the last redemptions, as `(index, error)`.
fn refusals() -> Vec<(u32, TicketError)> {
	lottery_events()
		.into_iter()
		.filter_map(|e| match e {
			Event::TicketRefused { index, error, .. } => Some((index, error)),
			_ => None,
		})
		.collect()
}

fn held(who: &AccountId, reason: HoldReason) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Lottery(reason), who)
}

fn free(who: &AccountId) -> Balance {
	Balances::free_balance(who)
}

#[allow(unused_imports)]
use {assert_noop as _, Error as _};
