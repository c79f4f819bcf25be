//! Random sequences of every lottery call, from payers, Bobs, workers and strangers, with rounds
//! passing: after each call no money was made or lost (the total issuance is unchanged and every
//! account's balance adds up to it), what the accounts say is what is held (`try_state`), and a
//! call that failed changed nothing.

use super::*;
use crate::Call;
use frame_support::{
	dispatch::{GetDispatchInfo, RawOrigin},
	traits::{fungible::Inspect, Hooks, UnfilteredDispatchable},
	weights::Weight,
};
use keymarket_primitives::lottery::{probability_for, CERTAIN};
use sp_core::Pair as _;

/// A small deterministic generator (xorshift64*): the same seed, the same sequence.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
	}

	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}

	fn amount(&mut self) -> Balance {
		[0, 1, 99, 100, 250, 1_000, 40_000, RICH, RICH * 2][self.below(9) as usize]
	}
}

/// Every account the sequences touch: payers, Bobs, workers, their stakers, a stranger.
fn everyone() -> Vec<AccountId> {
	let mut all: Vec<AccountId> =
		["Alice", "Bob", "Charlie", "Dave", "Eve"].iter().map(|n| account(n)).collect();
	for i in 0..4 {
		all.push(ursula(i));
		all.push(staker_of(&ursula(i)));
	}
	all
}

fn one_call(
	rng: &mut Rng,
	signers: &[(AccountId, sp_core::sr25519::Pair)],
) -> (AccountId, Call<Test>) {
	let payers = [account("Alice"), account("Dave")];
	let payer = payers[rng.below(2) as usize].clone();
	let policy = if rng.below(8) == 0 { [9; 16] } else { POLICY };
	let worker = rng.below(5) as u32;
	let now = MockUrsulas::current_round();
	match rng.below(7) {
		0 => (payer, Call::fund { policy, deposit: rng.amount(), reserve: rng.amount() }),
		1 => (payer, Call::authorize { policy, cap: rng.amount() }),
		2 => (payer, Call::unlock { policy }),
		3 => (payer, Call::withdraw { policy }),
		4 => (ursula(worker), Call::commit { commitment: commitment(worker, now) }),
		_ => {
			let committed = now.saturating_sub(rng.below(3) as u32);
			let batch: Vec<_> = (0..rng.below(6))
				.map(|n| {
					let mut t = ticket(worker, committed, rng.next() % 4);
					t.payer = payers[rng.below(2) as usize].clone();
					t.policy = policy;
					t.face_value = rng.amount();
					t.win_probability = match rng.below(3) {
						0 => CERTAIN,
						1 => probability_for(100, t.face_value),
						_ => rng.next(),
					};
					// Mostly within the commitment's life, so that winners are reached.
					t.created_round = (committed + rng.below(2) as u32).min(now);
					t.created_hash = hash_of((t.created_round * BLOCKS_PER_ROUND) as u64).0;
					t.request_hash = [n as u8; 32];
					let (_, signer) = &signers[rng.below(signers.len() as u64) as usize];
					let signature = signer.sign(&t.signing_payload()).0;
					SignedTicket { ticket: t, signature }
				})
				.collect();
			let revealed = value(worker, committed);
			(ursula(worker), Call::redeem { revealed, batch: batch.try_into().unwrap() })
		},
	}
}

#[test]
fn no_sequence_of_calls_makes_or_loses_money() {
	let signers: Vec<(AccountId, sp_core::sr25519::Pair)> =
		["Bob", "Charlie"].iter().map(|n| (account(n), pair(n))).collect();
	let (mut calls, mut failed, mut paid) = (0u32, 0u32, 0u32);
	for seed in 1..=40u64 {
		run(|| {
			setup();
			let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
			let issuance = Balances::total_issuance();
			for _ in 0..60 {
				if rng.below(6) == 0 {
					go_to_block(System::block_number() + 1 + rng.below(BLOCKS_PER_ROUND as u64));
					Lottery::on_idle(System::block_number(), Weight::MAX);
				}
				let (who, call) = one_call(&mut rng, &signers);
				let before = sp_io::storage::root(sp_runtime::StateVersion::V1);
				let _ = call.get_dispatch_info();
				let result = call.dispatch_bypass_filter(RawOrigin::Signed(who).into());
				calls += 1;
				match result {
					Ok(_) => {},
					Err(e) => {
						failed += 1;
						let after = sp_io::storage::root(sp_runtime::StateVersion::V1);
						assert_eq!(before, after, "a failed call changed state: {:?}", e.error);
					},
				}
				assert_eq!(Balances::total_issuance(), issuance, "money made or lost");
				let total: Balance = everyone().iter().map(Balances::total_balance).sum();
				assert_eq!(total, issuance, "every balance adds up to the issuance");
				Lottery::do_try_state().expect("the accounts are what is held");
			}
			paid += crate::WinningsOf::<Test>::iter().map(|(_, w)| w.tickets as u32).sum::<u32>();
		});
	}
	// The sequences reach every path: calls fail and succeed, and winners are paid.
	assert!(failed > calls / 10 && failed < calls * 9 / 10, "{failed} of {calls} failed");
	assert!(paid > 0, "no winner was ever paid");
}
