//! Redemption: winners paid from the payer's held deposit to the Ursula's staker, every bad
//! ticket refused with its error without sinking the batch, no ticket paid twice, the reserve
//! shared out in fixed shares when a deposit fails, and expired tickets forgotten.

use super::*;
use crate::{Accounts, CommitmentsOf, Redeemed, WinningsOf};
use keymarket_primitives::{
	lottery::{draw, probability_for},
	policies::PaidBy,
	slashing::OffenceKind,
};

/// Ursula 0 committed in round 1, tickets made in round 1, the commitment replaced in round 2:
/// the tickets are redeemed in round 2.
fn scene(deposit: Balance, reserve: Balance, cap: Balance) {
	setup();
	alice_funds(deposit, reserve, cap);
	commit(0);
}

fn rotate() {
	go_to_round(2);
	commit(0);
}

#[test]
fn winners_are_paid_from_the_deposit_to_the_ursulas_staker() {
	run(|| {
		scene(1_000, 300, 10_000);
		let tickets: Vec<_> = (1..=3).map(|n| signed(ticket(0, 1, n), "Bob")).collect();
		rotate();
		let staker = staker_of(&ursula(0));
		assert_ok!(redeem(0, 1, tickets.clone()));
		assert_eq!(free(&staker), RICH + 300);
		let alice = account("Alice");
		assert_eq!(held(&alice, HoldReason::TicketDeposit), 700);
		assert_eq!(held(&alice, HoldReason::TicketReserve), 300);
		assert_eq!(Accounts::<Test>::get(&alice, POLICY).unwrap().spent, 300);
		for t in &tickets {
			assert!(Redeemed::<Test>::contains_key(t.ticket.expires, t.ticket.id()));
		}
		let winnings = WinningsOf::<Test>::get(ursula(0));
		assert_eq!((winnings.tickets, winnings.paid), (3, 300));
		assert!(lottery_events().contains(&Event::Redeemed {
			worker: ursula(0),
			paid: 3,
			value: 300,
			refused: 0
		}));
		// The value is revealed: the commitment is opened, the next one can come.
		let commitments = CommitmentsOf::<Test>::get(ursula(0)).unwrap();
		assert!(commitments.previous.is_none());
		assert_eq!(commitments.opened.map(|o| o.0), Some(commitment(0, 1)));
		// Replayed, in a later batch against the opened commitment: refused, nothing paid.
		assert_ok!(redeem(0, 1, tickets[..1].to_vec()));
		assert_eq!(refusals(), vec![(0, TicketError::Replayed)]);
		assert_eq!(free(&staker), RICH + 300);
	});
}

#[test]
fn every_bad_ticket_is_refused_with_its_error_and_the_good_ones_are_paid() {
	run(|| {
		scene(1_000, 0, 10_000);
		let good = signed(ticket(0, 1, 1), "Bob");
		let mut bad = Vec::new();
		let with = |f: &dyn Fn(&mut crate::Ticket<AccountId, Balance>)| {
			let mut t = ticket(0, 1, 50);
			f(&mut t);
			signed(t, "Bob")
		};
		bad.push((with(&|t| t.version = 9), TicketError::Malformed));
		bad.push((with(&|t| t.recipient = ursula(1)), TicketError::WrongRecipient));
		bad.push((with(&|t| t.commitment = commitment(0, 7)), TicketError::WrongCommitment));
		bad.push((with(&|t| t.created_hash = [9; 32]), TicketError::BadCreation));
		bad.push((with(&|t| t.created_hash = [0; 32]), TicketError::BadCreation));
		bad.push((
			with(&|t| t.expires = t.created_round + TICKET_ROUNDS + 1),
			TicketError::BadCreation,
		));
		bad.push((with(&|t| t.win_probability = 0), TicketError::NotAWinner));
		bad.push((with(&|t| t.payer = account("Dave")), TicketError::NotAuthorized));
		bad.push((with(&|t| t.policy = [9; 16]), TicketError::WrongRecipient));
		// Worth more on average than the price of 100.
		bad.push((with(&|t| t.face_value = 103), TicketError::WrongPrice));
		bad.push((signed(ticket(0, 1, 60), "Mallory"), TicketError::BadSignature));
		// Signed, then changed.
		let mut tampered = signed(ticket(0, 1, 61), "Bob");
		tampered.ticket.nonce = 62;
		bad.push((tampered, TicketError::BadSignature));
		// The same good ticket twice in one batch: the second is a replay.
		bad.push((good.clone(), TicketError::Replayed));
		// A ticket made after the round the commitment was replaced in.
		rotate();
		go_to_round(3);
		let late = signed(ticket(0, 1, 70), "Bob");
		bad.push((late, TicketError::BadCreation));

		let mut batch = vec![good.clone()];
		batch.extend(bad.iter().map(|(t, _)| t.clone()));
		assert_ok!(redeem(0, 1, batch));
		let expected: Vec<_> =
			bad.iter().enumerate().map(|(i, (_, e))| (i as u32 + 1, *e)).collect();
		assert_eq!(refusals(), expected);
		assert_eq!(free(&staker_of(&ursula(0))), RICH + 100, "only the good one is paid");
	});
}

#[test]
fn an_expired_ticket_is_refused_and_forgotten_tickets_free_their_place() {
	run(|| {
		scene(1_000, 0, 10_000);
		let early = signed(ticket(0, 1, 1), "Bob");
		let expires = early.ticket.expires;
		rotate();
		assert_ok!(redeem(0, 1, vec![early.clone()]));
		assert!(Redeemed::<Test>::contains_key(expires, early.ticket.id()));
		go_to_round(expires + 1);
		// Past its last round: refused, even against the opened commitment.
		let mut stale = early.clone();
		stale.ticket.nonce = 3;
		let stale = signed(stale.ticket, "Bob");
		assert_ok!(redeem(0, 1, vec![stale]));
		assert_eq!(refusals(), vec![(0, TicketError::Expired)]);
		// Spare block weight forgets the rounds past, one per block.
		for _ in 0..=expires {
			Lottery::forget_expired(frame_support::weights::Weight::MAX);
		}
		assert!(!Redeemed::<Test>::contains_key(expires, early.ticket.id()));
		assert_eq!(crate::ForgottenBefore::<Test>::get(), expires + 1);
		// Nothing to forget once caught up; no weight left, nothing done.
		assert_eq!(
			Lottery::forget_expired(frame_support::weights::Weight::zero()),
			frame_support::weights::Weight::zero()
		);
	});
}

#[test]
fn the_cap_bounds_what_bob_can_make_the_deposit_pay_in_a_period() {
	run(|| {
		scene(1_000, 0, 250);
		let tickets: Vec<_> = (1..=3).map(|n| signed(ticket(0, 1, n), "Bob")).collect();
		rotate();
		assert_ok!(redeem(0, 1, tickets.clone()));
		assert_eq!(refusals(), vec![(2, TicketError::OverCap)]);
		assert_eq!(free(&staker_of(&ursula(0))), RICH + 200);
		let alice = account("Alice");
		assert_eq!(Lottery::funds_view(alice, POLICY).unwrap().spent, 200);
		// Not consumed: the payer may raise the cap, and it is paid.
		assert!(!Redeemed::<Test>::contains_key(tickets[2].ticket.expires, tickets[2].ticket.id()));
		alice_funds(0, 1, 300);
		assert_ok!(redeem(0, 1, tickets[2..].to_vec()));
		assert_eq!(free(&staker_of(&ursula(0))), RICH + 300);
	});
}

#[test]
fn a_failed_deposit_shares_the_reserve_out_and_reports_the_payer() {
	run(|| {
		scene(150, 300, 10_000);
		let tickets: Vec<_> = (1..=3).map(|n| signed(ticket(0, 1, n), "Bob")).collect();
		rotate();
		assert_ok!(redeem(0, 1, tickets.clone()));
		// The first is paid (150 → 50); the second cannot be: the reserve goes out, 100 to
		// each of the policy's three Ursulas' stakers, at once; the third finds no reserve.
		assert_eq!(refusals(), vec![(1, TicketError::Unfunded), (2, TicketError::Unfunded)]);
		assert_eq!(free(&staker_of(&ursula(0))), RICH + 100 + 100);
		assert_eq!(free(&staker_of(&ursula(1))), RICH + 100);
		assert_eq!(free(&staker_of(&ursula(2))), RICH + 100);
		assert_eq!(free(&staker_of(&ursula(3))), RICH, "not the policy's");
		let alice = account("Alice");
		assert_eq!(held(&alice, HoldReason::TicketReserve), 0);
		assert_eq!(held(&alice, HoldReason::TicketDeposit), 50);
		assert!(lottery_events().contains(&Event::ReserveShared {
			payer: alice.clone(),
			policy: POLICY,
			share: 100,
			ursulas: 3
		}));
		let reported = network(|n| n.reported.clone());
		assert_eq!(reported.len(), 1);
		assert_eq!(reported[0].offender, alice);
		assert_eq!(reported[0].kind, OffenceKind::LotteryFraud { overdraft: 300 });
		assert_eq!(WinningsOf::<Test>::get(ursula(1)).from_reserves, 100);
		// Not consumed: topped up, the unpaid winners are paid with the opened value.
		assert!(!Redeemed::<Test>::contains_key(tickets[1].ticket.expires, tickets[1].ticket.id()));
		assert_ok!(Lottery::fund(RuntimeOrigin::signed(alice), POLICY, 200, 0));
		assert_ok!(redeem(0, 1, tickets[1..].to_vec()));
		assert_eq!(free(&staker_of(&ursula(0))), RICH + 100 + 100 + 200);
	});
}

#[test]
fn a_refused_fraud_report_still_shares_the_reserve() {
	run(|| {
		scene(0, 300, 10_000);
		network(|n| {
			n.refuse_reports = Some(keymarket_primitives::slashing::OffenceError::QueueFull)
		});
		let t = signed(ticket(0, 1, 1), "Bob");
		rotate();
		assert_ok!(redeem(0, 1, vec![t]));
		assert_eq!(free(&staker_of(&ursula(2))), RICH + 100);
		assert!(lottery_events().iter().any(|e| matches!(e, Event::FraudNotReported { .. })));
	});
}

#[test]
fn the_win_rule_is_the_primitives_and_pays_the_price_on_average() {
	run(|| {
		// Face value 1,000 at a price of 100: a tenth of the tickets win.
		scene(100_000, 0, 100_000);
		let p = probability_for(100, 1_000);
		let tickets: Vec<_> = (1..=MAX_BATCH as u64)
			.map(|n| {
				let mut t = ticket(0, 1, n);
				t.face_value = 1_000;
				t.win_probability = p;
				signed(t, "Bob")
			})
			.collect();
		let winners =
			tickets.iter().filter(|t| draw(&t.signature, &value(0, 1)) < p).count() as u128;
		rotate();
		assert_ok!(redeem(0, 1, tickets));
		assert_eq!(free(&staker_of(&ursula(0))), RICH + winners * 1_000);
		assert!(refusals().iter().all(|(_, e)| *e == TicketError::NotAWinner));
		assert_eq!(refusals().len() as u128, MAX_BATCH as u128 - winners);
	});
}

#[test]
fn only_the_revealing_worker_redeems_for_free() {
	run(|| {
		scene(1_000, 0, 10_000);
		rotate();
		let feeless = |who: AccountId, revealed| {
			crate::Pallet::<Test>::reveal_is_a_duty(&RuntimeOrigin::signed(who), &revealed)
		};
		assert!(feeless(ursula(0), value(0, 1)));
		assert!(!feeless(ursula(0), value(0, 2)), "a wrong value");
		assert!(!feeless(ursula(1), value(0, 1)), "another worker");
		assert_ok!(redeem(0, 1, vec![]));
		assert!(!feeless(ursula(0), value(0, 1)), "opened already: a second reveal pays");
		let commit_free =
			|who: AccountId| crate::Pallet::<Test>::commit_is_a_duty(&RuntimeOrigin::signed(who));
		assert!(!commit_free(ursula(0)), "committed this round");
		assert!(commit_free(ursula(1)));
		assert!(!commit_free(account("Mallory")));
	});
}

#[test]
fn a_payer_whose_deposit_cannot_move_sinks_only_its_own_tickets() {
	new_test_ext().execute_with(|| {
		scene(1_000, 0, 10_000);
		// Dave pays for the same policy.
		let dave = account("Dave");
		assert_ok!(Lottery::fund(RuntimeOrigin::signed(dave.clone()), POLICY, 1_000, 0));
		assert_ok!(Lottery::authorize(RuntimeOrigin::signed(dave.clone()), POLICY, 10_000));
		let from = |payer: &AccountId, nonce: u64| {
			let mut t = ticket(0, 1, nonce);
			t.payer = payer.clone();
			signed(t, "Bob")
		};
		let alice = account("Alice");
		let batch = vec![from(&alice, 1), from(&dave, 2), from(&alice, 3)];
		rotate();
		// Behind the pallet's back, most of Alice's held deposit goes: her account still says
		// 1,000, the hold is 50, and the transfer of her 200 fails.
		assert_ok!(<Balances as frame_support::traits::fungible::MutateHold<_>>::release(
			&RuntimeHoldReason::Lottery(HoldReason::TicketDeposit),
			&alice,
			950,
			frame_support::traits::tokens::Precision::Exact,
		));
		assert_ok!(redeem(0, 1, batch.clone()));
		assert_eq!(refusals(), vec![(0, TicketError::Unfunded), (2, TicketError::Unfunded)]);
		// Dave's ticket is paid; Alice's are not consumed and her account is as before them.
		assert_eq!(free(&staker_of(&ursula(0))), RICH + 100);
		assert!(Redeemed::<Test>::contains_key(batch[1].ticket.expires, batch[1].ticket.id()));
		assert!(!Redeemed::<Test>::contains_key(batch[0].ticket.expires, batch[0].ticket.id()));
		let account = Accounts::<Test>::get(&alice, POLICY).unwrap();
		assert_eq!((account.deposit, account.spent), (1_000, 0));
		assert!(lottery_events()
			.iter()
			.any(|e| matches!(e, Event::Redeemed { paid: 1, value: 100, refused: 2, .. })));
	});
}

#[test]
fn the_actual_weight_counts_the_accounts_read_not_those_named() {
	run(|| {
		scene(1_000, 0, 10_000);
		// Three tickets naming three payers, two of them refused before any account is read.
		let mut stranger = ticket(0, 1, 2);
		stranger.payer = account("Eve");
		stranger.version = 9;
		let mut other = ticket(0, 1, 3);
		other.payer = account("Ferdie");
		other.recipient = ursula(1);
		let batch =
			vec![signed(ticket(0, 1, 1), "Bob"), signed(stranger, "Bob"), signed(other, "Bob")];
		rotate();
		let named = crate::Pallet::<Test>::redeem_weight(&batch);
		let policy = <MockPolicies as crate::TicketPolicies<_, _>>::ticket_policy_weight();
		assert_eq!(named, <() as crate::WeightInfo>::redeem(0, 3) + policy);
		let info = redeem(0, 1, batch).expect("redeemed");
		let read = <() as crate::WeightInfo>::redeem(2, 1) + policy;
		assert_eq!(info.actual_weight, Some(read));
		assert!(read.ref_time() < named.ref_time());
	});
}

#[test]
fn a_payer_cannot_take_back_what_bob_signed_for_by_lowering_its_cap() {
	run(|| {
		scene(10_000, 0, 10_000);
		// Served under a cap of 10,000.
		let before: Vec<_> = (1..=3).map(|n| signed(ticket(0, 1, n), "Bob")).collect();
		// Then Alice revokes Bob, and authorizes him again with a lower cap.
		let alice = RuntimeOrigin::signed(account("Alice"));
		assert_ok!(Lottery::authorize(alice.clone(), POLICY, 0));
		assert_ok!(Lottery::authorize(alice.clone(), POLICY, 150));
		rotate();
		// A ticket made now (round 2), under the new cap, which the three before used up.
		let after = signed(ticket(0, 1, 9), "Bob");
		let mut batch = before.clone();
		batch.push(after);
		assert_ok!(redeem(0, 1, batch));
		assert_eq!(refusals(), vec![(3, TicketError::OverCap)]);
		// The three made under the old cap are paid (the most permissive of the changes within
		// their life: 10,000), though they exceed the new one.
		assert_eq!(free(&staker_of(&ursula(0))), RICH + 300);
		let prior = crate::Prior::<Test>::get(account("Alice"), POLICY).unwrap();
		assert_eq!((prior.cap, prior.until), (10_000, 1));
		// A cap older than any live ticket is forgotten at the next change.
		go_to_round(5);
		assert_ok!(Lottery::authorize(alice, POLICY, 200));
		let prior = crate::Prior::<Test>::get(account("Alice"), POLICY).unwrap();
		assert_eq!((prior.cap, prior.until), (150, 5));
	});
}

#[test]
fn the_price_is_the_policys_and_what_winners_paid_is_recorded_once_per_policy() {
	run(|| {
		scene(10_000, 0, 10_000);
		// A second policy of the same Bob and Ursula, at a price of 50.
		let other = [8; 16];
		network(|n| {
			let mut terms = n.policies[&POLICY].clone();
			terms.price = 50;
			n.policies.insert(other, terms);
		});
		assert_ok!(Lottery::fund(RuntimeOrigin::signed(account("Alice")), other, 1_000, 0));
		assert_ok!(Lottery::authorize(RuntimeOrigin::signed(account("Alice")), other, 1_000));
		let under = |policy: [u8; 16], nonce: u64, face: u128| {
			let mut t = ticket(0, 1, nonce);
			t.policy = policy;
			t.face_value = face;
			signed(t, "Bob")
		};
		// Certain tickets: worth their face value. 100 is POLICY's price but not the other's.
		let batch = vec![
			under(POLICY, 1, 100),
			under(other, 2, 50),
			under(POLICY, 3, 100),
			under(other, 4, 100),
			under(other, 5, 50),
		];
		rotate();
		let info = redeem(0, 1, batch).expect("redeemed");
		assert_eq!(refusals(), vec![(3, TicketError::WrongPrice)]);
		// Two accounts of two policies: each policy read and recorded once, and weighed so.
		let policy = <MockPolicies as crate::TicketPolicies<_, _>>::ticket_policy_weight();
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::redeem(3, 2) + policy * 2));
		let staker = staker_of(&ursula(0));
		assert_eq!(free(&staker), RICH + 300);
		// One record per policy, of what its tickets paid the Ursula's staker.
		let mut recorded = network(|n| n.recorded.clone());
		recorded.sort_by_key(|r| r.0);
		assert_eq!(
			recorded,
			vec![
				(POLICY, ursula(0), staker.clone(), 200, PaidBy::Tickets),
				(other, ursula(0), staker, 100, PaidBy::Tickets),
			]
		);
		// The payer's funds show the policy's price.
		assert_eq!(Lottery::funds_view(account("Alice"), other).unwrap().price, 50);
	});
}

#[test]
fn a_worker_that_left_its_staker_cannot_redeem() {
	run(|| {
		scene(1_000, 0, 10_000);
		rotate();
		// The worker's bond ends (unbonded, or its staker gone) after it committed.
		network(|n| n.workers.remove(&ursula(0)));
		let paid_before = free(&staker_of(&ursula(0)));
		assert_noop!(redeem(0, 1, vec![]), Error::<Test>::NotAWorker);
		assert_eq!(free(&staker_of(&ursula(0))), paid_before);
	});
}
