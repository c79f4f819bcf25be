use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use keymarket_primitives::staking::Stage;

use super::{mock::*, *};
use crate::{Error, Event, HoldReason};

fn earned(staker: AccountId) -> Balance {
	Policies::earned_fees(&staker)
}

#[test]
fn each_available_ursula_is_paid_each_period() {
	run(|| {
		alice_grants();
		for period in 10..15 {
			serve(period, &URSULAS[..3]);
		}
		for worker in &URSULAS[..3] {
			assert_eq!(earned(worker + 10), 500);
		}
		let view = Policies::policy_view(POLICY).unwrap();
		assert_eq!((view.escrow, view.paid), (0, 1_500));
		assert!(policy_events().contains(&Event::FeePaid {
			policy: POLICY,
			worker: 11,
			staker: 21,
			period: 14,
			fee: RATE,
		}));
	});
}

#[test]
fn alice_gets_back_the_periods_an_ursula_missed() {
	run(|| {
		alice_grants();
		serve(10, &URSULAS[..3]);
		// Ursula 13 misses periods 11 and 12: it never committed to them.
		network(|n| n.committed.remove(&(13, 11)));
		serve(11, &URSULAS[..2]);
		serve(12, &URSULAS[..2]);
		// In period 12 it commits to 13 again; that pays nothing, as it was not committed to 12.
		network(|n| n.committed.insert((13, 13)));
		commit(13, 13);
		serve(13, &URSULAS[..3]);
		serve(14, &URSULAS[..3]);
		assert_eq!(earned(21), 500);
		// Ursula 13 was paid for 10, 13 and 14.
		assert_eq!(earned(23), 300);
		network(|n| n.period = 15);
		let before = Balances::free_balance(ALICE);
		assert_ok!(Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY));
		assert_eq!(Balances::free_balance(ALICE), before + 200);
	});
}

#[test]
fn a_period_is_paid_once_and_only_within_the_policy() {
	run(|| {
		assert_ok!(Policies::create_policy(
			RuntimeOrigin::signed(ALICE),
			POLICY,
			grant(1, 11, 12),
			named(&[11]),
			kfrags(1),
		));
		serve(10, &[11]);
		assert_eq!(earned(21), 0, "period 10 is before the policy");
		serve(11, &[11]);
		commit(11, 12);
		assert_eq!(earned(21), RATE, "period 11 paid once");
		serve(12, &[11]);
		assert_eq!(earned(21), RATE, "period 12 is after the policy");
	});
}

#[test]
fn commitments_pay_nothing_in_the_fees_only_stage() {
	run(|| {
		alice_grants();
		network(|n| n.stage = Stage::FeesOnly);
		serve(10, &URSULAS[..3]);
		assert_eq!(earned(21), 0);
		assert_eq!(Policies::policy_view(POLICY).unwrap().escrow, 1_500);
	});
}

#[test]
fn a_staker_withdraws_what_its_ursula_earned() {
	run(|| {
		assert_noop!(
			Policies::withdraw_fees(RuntimeOrigin::signed(21)),
			Error::<Test>::NothingToWithdraw
		);
		alice_grants();
		serve(10, &URSULAS[..3]);
		let before = Balances::free_balance(21);
		assert_ok!(Policies::withdraw_fees(RuntimeOrigin::signed(21)));
		assert_eq!(Balances::free_balance(21), before + RATE);
		assert_eq!(Balances::balance_on_hold(&HoldReason::Fees.into(), &21), 0);
		assert!(policy_events().contains(&Event::FeesWithdrawn { staker: 21, amount: RATE }));
		assert_noop!(
			Policies::withdraw_fees(RuntimeOrigin::signed(21)),
			Error::<Test>::NothingToWithdraw
		);
	});
}

#[test]
fn service_paid_by_tickets_or_activity_is_recorded_once_against_the_policy() {
	use keymarket_primitives::{
		lottery::TicketPolicies,
		policies::{PaidBy, ServiceLedger},
	};
	run(|| {
		alice_grants();
		let terms = <Policies as TicketPolicies<_, _>>::terms(&POLICY).unwrap();
		assert_eq!((terms.bob, terms.ursulas, terms.price), (BOB, URSULAS[..3].to_vec(), PRICE));
		assert!(<Policies as TicketPolicies<_, _>>::terms(&[9; 16]).is_none());

		Policies::record_service(&POLICY, &11, &21, 40, PaidBy::Tickets);
		Policies::record_service(&POLICY, &12, &22, 2, PaidBy::Activity);
		// Nothing paid records nothing; a policy that is gone keeps no record.
		Policies::record_service(&POLICY, &12, &22, 0, PaidBy::Tickets);
		Policies::record_service(&[9; 16], &12, &22, 5, PaidBy::Tickets);
		let view = Policies::policy_view(POLICY).unwrap();
		assert_eq!((view.paid_by_tickets, view.paid_by_activity, view.price), (40, 2, PRICE));
		// The record moves no money: escrow and its payments are the period fees' alone.
		assert_eq!((view.paid, view.escrow), (0, 1_500));
		let paid: Vec<_> = policy_events()
			.into_iter()
			.filter(|e| matches!(e, Event::ServicePaid { .. }))
			.collect();
		assert_eq!(
			paid,
			vec![
				Event::ServicePaid {
					policy: POLICY,
					worker: 11,
					staker: 21,
					amount: 40,
					by: PaidBy::Tickets
				},
				Event::ServicePaid {
					policy: POLICY,
					worker: 12,
					staker: 22,
					amount: 2,
					by: PaidBy::Activity
				},
			]
		);
		// The record goes with the policy, after its evidence window.
		network(|n| n.period = 15);
		assert_ok!(Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY));
		assert_eq!(crate::ServicePaid::<Test>::get(POLICY).tickets, 40);
		network(|n| n.period = 15 + RETENTION);
		assert_ok!(Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY));
		assert!(!crate::ServicePaid::<Test>::contains_key(POLICY));
	});
}

#[test]
fn proven_activity_is_paid_from_escrow_on_the_same_record() {
	use keymarket_primitives::policies::{ActivityPolicies, PaidBy};
	run(|| {
		alice_grants();
		// Its terms for one of its Ursulas only.
		let terms = <Policies as ActivityPolicies<_, _>>::activity_terms(&POLICY, &11).unwrap();
		assert_eq!((terms.bob, terms.price, terms.rate), (BOB, PRICE, RATE));
		assert_eq!((terms.window.start, terms.window.end), (10, 15));
		assert!(<Policies as ActivityPolicies<_, _>>::activity_terms(&POLICY, &14).is_none());
		assert!(<Policies as ActivityPolicies<_, _>>::activity_terms(&[9; 16], &11).is_none());

		let before = earned(21);
		assert_eq!(Policies::pay_from_escrow(&POLICY, &11, &21, 120), 120);
		assert_eq!(earned(21), before + 120);
		let view = Policies::policy_view(POLICY).unwrap();
		assert_eq!((view.escrow, view.paid, view.paid_by_activity), (1_380, 120, 120));
		assert!(policy_events().contains(&Event::ServicePaid {
			policy: POLICY,
			worker: 11,
			staker: 21,
			amount: 120,
			by: PaidBy::Activity,
		}));
		// Never more than escrow holds; nothing from a policy that is not there.
		assert_eq!(Policies::pay_from_escrow(&POLICY, &12, &22, 10_000), 1_380);
		assert_eq!(Policies::pay_from_escrow(&POLICY, &12, &22, 1), 0);
		assert_eq!(Policies::pay_from_escrow(&[9; 16], &12, &22, 1), 0);
		assert_eq!(Policies::policy_view(POLICY).unwrap().escrow, 0);
	});
}
