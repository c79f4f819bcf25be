//! Funds: a deposit and a reserve held on the payer's account, an unlock that waits longer than
//! a ticket lives and that new funding cancels, and the authorization of the policy's Bob.

use super::*;
use crate::Accounts;

#[test]
fn funding_holds_the_deposit_and_the_reserve_on_the_payers_account() {
	run(|| {
		setup();
		let alice = account("Alice");
		alice_funds(1_000, 300, 500);
		assert_eq!(held(&alice, HoldReason::TicketDeposit), 1_000);
		assert_eq!(held(&alice, HoldReason::TicketReserve), 300);
		assert_eq!(free(&alice), RICH - 1_300);
		let view = Lottery::funds_view(alice.clone(), POLICY).unwrap();
		assert_eq!((view.deposit, view.reserve, view.cap, view.spent), (1_000, 300, 500, 0));
		assert!(lottery_events().contains(&Event::Funded {
			payer: alice.clone(),
			policy: POLICY,
			deposit: 1_000,
			reserve: 300
		}));
		// Topped up, the amounts add.
		assert_ok!(Lottery::fund(RuntimeOrigin::signed(alice.clone()), POLICY, 10, 0));
		assert_eq!(Accounts::<Test>::get(&alice, POLICY).unwrap().deposit, 1_010);
	});
}

#[test]
fn bad_funding_is_refused_and_changes_nothing() {
	run(|| {
		setup();
		let alice = RuntimeOrigin::signed(account("Alice"));
		assert_noop!(Lottery::fund(alice.clone(), POLICY, 0, 0), Error::<Test>::NothingToFund);
		assert_noop!(Lottery::fund(alice.clone(), [9; 16], 1, 1), Error::<Test>::UnknownPolicy);
		// More than Alice has: neither part is held.
		assert_noop!(
			Lottery::fund(alice.clone(), POLICY, RICH / 2, RICH),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(Lottery::authorize(alice.clone(), [9; 16], 1), Error::<Test>::UnknownPolicy);
		assert_noop!(Lottery::unlock(alice.clone(), POLICY), Error::<Test>::NoAccount);
		assert_noop!(Lottery::withdraw(alice, POLICY), Error::<Test>::NoAccount);
	});
}

#[test]
fn unlocking_waits_longer_than_a_ticket_lives_and_new_funding_cancels_it() {
	run(|| {
		setup();
		let alice = account("Alice");
		let origin = RuntimeOrigin::signed(alice.clone());
		alice_funds(1_000, 300, 500);
		assert_noop!(Lottery::withdraw(origin.clone(), POLICY), Error::<Test>::NotUnlocking);
		assert_ok!(Lottery::unlock(origin.clone(), POLICY));
		let at = 1 + TICKET_ROUNDS + 1;
		assert!(lottery_events().contains(&Event::Unlocking {
			payer: alice.clone(),
			policy: POLICY,
			at
		}));
		assert_noop!(Lottery::unlock(origin.clone(), POLICY), Error::<Test>::AlreadyUnlocking);
		go_to_round(at - 1);
		assert_noop!(Lottery::withdraw(origin.clone(), POLICY), Error::<Test>::StillLocked);
		// New funding cancels the unlock.
		assert_ok!(Lottery::fund(origin.clone(), POLICY, 1, 0));
		go_to_round(at);
		assert_noop!(Lottery::withdraw(origin.clone(), POLICY), Error::<Test>::NotUnlocking);
		assert_ok!(Lottery::unlock(origin.clone(), POLICY));
		go_to_round(at + TICKET_ROUNDS + 1);
		assert_ok!(Lottery::withdraw(origin, POLICY));
		assert_eq!(free(&alice), RICH);
		assert_eq!(held(&alice, HoldReason::TicketDeposit), 0);
		assert!(Accounts::<Test>::get(&alice, POLICY).is_none());
		assert!(lottery_events().contains(&Event::Withdrawn {
			payer: alice,
			policy: POLICY,
			amount: 1_301
		}));
	});
}

#[test]
fn only_a_registered_worker_commits_once_a_round_and_reveals_before_it_moves_on() {
	run(|| {
		setup();
		assert_noop!(
			Lottery::commit(RuntimeOrigin::signed(account("Mallory")), [1; 32]),
			Error::<Test>::NotAWorker
		);
		commit(0);
		assert_noop!(
			Lottery::commit(RuntimeOrigin::signed(ursula(0)), [1; 32]),
			Error::<Test>::AlreadyCommitted
		);
		assert_noop!(redeem(0, 1, vec![]), Error::<Test>::NothingToReveal);
		go_to_round(2);
		commit(0);
		let view = Lottery::commitment_view(ursula(0)).unwrap();
		assert_eq!((view.current, view.since), (commitment(0, 2), 2));
		assert_eq!(view.previous, Some((commitment(0, 1), 2)));
		go_to_round(3);
		// A wrong value reveals nothing.
		assert_noop!(redeem(0, 2, vec![]), Error::<Test>::WrongReveal);
		assert_ok!(redeem(0, 1, vec![]));
		commit(0);
		// A worker that lost a value is not locked out: committing again drops the unrevealed
		// one, whose tickets can then never be redeemed.
		go_to_round(4);
		commit(0);
		let view = Lottery::commitment_view(ursula(0)).unwrap();
		assert_eq!(view.previous, Some((commitment(0, 3), 4)));
		assert_noop!(redeem(0, 2, vec![]), Error::<Test>::WrongReveal);
		assert_ok!(redeem(0, 3, vec![]));
	});
}
