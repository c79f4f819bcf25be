use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, Hooks},
	weights::Weight,
};
use keymarket_primitives::policies::PolicyStatus;

use super::{mock::*, *};
use crate::{
	ByUrsula, Error, Event, HoldReason, KeyFrags, Policies as PolicyStore, PriceRecord, Terms,
};

fn escrow(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::Escrow.into(), &who)
}

#[test]
fn alice_grants_named_ursulas_and_the_whole_fee_is_held() {
	run(|| {
		alice_grants();
		// 100 per Ursula per period, 3 Ursulas, 5 periods.
		assert_eq!(escrow(ALICE), 1_500);
		let view = Policies::policy_view(POLICY).unwrap();
		assert_eq!(view.ursulas, URSULAS[..3].to_vec());
		assert_eq!((view.threshold, view.escrow, view.status), (2, 1_500, PolicyStatus::Active));
		for worker in &URSULAS[..3] {
			assert_eq!(Policies::encrypted_kfrag(POLICY, worker), Some(envelope().into_inner()));
			assert_eq!(Policies::policies_of_ursula(worker), vec![POLICY]);
		}
		assert_eq!(Policies::policies_of_owner(&ALICE), vec![POLICY]);
		assert_eq!(Policies::policies_of_bob(&BOB), vec![POLICY]);
		assert!(policy_events().contains(&Event::PolicyCreated {
			policy: POLICY,
			owner: ALICE,
			bob: BOB,
			ursulas: URSULAS[..3].to_vec(),
			start: 10,
			end: 15,
			escrow: 1_500,
			deposit: 0,
			place_fees: 0,
		}));
	});
}

#[test]
fn a_bad_grant_gets_a_precise_error_and_changes_nothing() {
	run(|| {
		let create = |id: PolicyId, grant, selection, n| {
			Policies::create_policy(RuntimeOrigin::signed(ALICE), id, grant, selection, kfrags(n))
		};
		let mut bad_key = grant(2, 10, 15);
		bad_key.bob_key = [5; 33];
		assert_noop!(
			create(POLICY, bad_key, named(&URSULAS[..3]), 3),
			Error::<Test>::InvalidUmbralKey
		);
		assert_noop!(
			create(POLICY, grant(0, 10, 15), named(&URSULAS[..3]), 3),
			Error::<Test>::BadThreshold
		);
		assert_noop!(
			create(POLICY, grant(4, 10, 15), named(&URSULAS[..3]), 3),
			Error::<Test>::BadThreshold
		);
		assert_noop!(
			create(POLICY, grant(1, 10, 15), named(&[]), 0),
			Error::<Test>::BadUrsulaCount
		);
		assert_noop!(
			create(POLICY, grant(2, 10, 15), named(&URSULAS[..3]), 2),
			Error::<Test>::KeyFragCountMismatch
		);
		assert_noop!(
			create(POLICY, grant(2, 10, 15), named(&[11, 12, 11]), 3),
			Error::<Test>::DuplicateUrsula
		);
		assert_noop!(
			create(POLICY, grant(1, 10, 15), named(&[11, 99]), 2),
			Error::<Test>::UrsulaNotActive
		);
		network(|n| n.committed.remove(&(13, 10)));
		assert_noop!(
			create(POLICY, grant(2, 10, 15), named(&URSULAS[..3]), 3),
			Error::<Test>::UrsulaNotActive
		);
		network(|n| n.committed.insert((13, 10)));
		assert_noop!(
			create(POLICY, grant(2, 11 + MAX_DELAY, 15 + MAX_DELAY), named(&URSULAS[..3]), 3),
			Error::<Test>::StartTooLate
		);
		assert_noop!(
			create(POLICY, grant(2, 9, 15), named(&URSULAS[..3]), 3),
			Error::<Test>::StartInPast
		);
		assert_noop!(
			create(POLICY, grant(2, 12, 12), named(&URSULAS[..3]), 3),
			Error::<Test>::EndNotAfterStart
		);
		assert_noop!(
			create(POLICY, grant(2, 10, 11 + MAX_PERIODS), named(&URSULAS[..3]), 3),
			Error::<Test>::PolicyTooLong
		);
		let mut cheap = grant(2, 10, 15);
		cheap.rate = MIN_RATE - 1;
		assert_noop!(create(POLICY, cheap, named(&URSULAS[..3]), 3), Error::<Test>::FeeRateTooLow);
		let mut dear = grant(2, 10, 15);
		dear.rate = Balance::MAX / 2;
		assert_noop!(create(POLICY, dear, named(&URSULAS[..3]), 3), Error::<Test>::FeeOverflow);
		assert_noop!(
			Policies::create_policy(
				RuntimeOrigin::signed(POOR_ALICE),
				POLICY,
				grant(2, 10, 15),
				named(&URSULAS[..3]),
				kfrags(3)
			),
			Error::<Test>::InsufficientBalance
		);
		let mut garbled = kfrags(3);
		garbled[1] = frame_support::BoundedVec::truncate_from(vec![9, 9, 9]);
		assert_noop!(
			Policies::create_policy(
				RuntimeOrigin::signed(ALICE),
				POLICY,
				grant(2, 10, 15),
				named(&URSULAS[..3]),
				garbled
			),
			Error::<Test>::MalformedKeyFrag
		);
		alice_grants();
		assert_noop!(
			create(POLICY, grant(2, 10, 15), named(&URSULAS[..3]), 3),
			Error::<Test>::PolicyIdInUse
		);
	});
}

#[test]
fn an_ursula_serves_at_most_its_capacity() {
	run(|| {
		for i in 0..MAX_PER_URSULA as u8 {
			assert_ok!(Policies::create_policy(
				RuntimeOrigin::signed(ALICE),
				[i; 16],
				grant(1, 10, 12),
				named(&[11]),
				kfrags(1),
			));
		}
		assert_noop!(
			Policies::create_policy(
				RuntimeOrigin::signed(ALICE),
				POLICY,
				grant(1, 10, 12),
				named(&[12, 11]),
				kfrags(2)
			),
			Error::<Test>::UrsulaAtCapacity { ursula: 1 }
		);
		// Revoking one frees a place.
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), [0; 16]));
		assert_ok!(Policies::create_policy(
			RuntimeOrigin::signed(ALICE),
			POLICY,
			grant(1, 10, 12),
			named(&[12, 11]),
			kfrags(2),
		));
	});
}

#[test]
fn a_rate_below_one_ursulas_minimum_is_refused_naming_that_ursula() {
	run(|| {
		// Ursula 13 asks 150 a period; the others take the chain's lowest.
		network(|n| n.terms.insert(13, Terms { min_fee_rate: 150, capacity: MAX_PER_URSULA }));
		let create = |id: PolicyId, rate: Balance| {
			let mut offer = grant(2, 10, 15);
			offer.rate = rate;
			Policies::create_policy(
				RuntimeOrigin::signed(ALICE),
				id,
				offer,
				named(&URSULAS[..3]),
				kfrags(3),
			)
		};
		assert_noop!(create(POLICY, 149), Error::<Test>::RateBelowMinimum { ursula: 2 });
		// Named first, the same Ursula is named by its new index.
		let mut offer = grant(2, 10, 15);
		offer.rate = 149;
		assert_noop!(
			Policies::create_policy(
				RuntimeOrigin::signed(ALICE),
				POLICY,
				offer,
				named(&[13, 11, 12]),
				kfrags(3)
			),
			Error::<Test>::RateBelowMinimum { ursula: 0 }
		);
		// Its minimum exactly is enough.
		assert_ok!(create(POLICY, 150));
		// Raising the minimum later leaves the policy as it was: its rate and its place stand.
		network(|n| n.terms.insert(13, Terms { min_fee_rate: 500, capacity: MAX_PER_URSULA }));
		assert_eq!(PolicyStore::<Test>::get(POLICY).unwrap().grant.rate, 150);
		assert!(ByUrsula::<Test>::contains_key(13, POLICY));
		assert_noop!(create([2; 16], 499), Error::<Test>::RateBelowMinimum { ursula: 2 });
	});
}

#[test]
fn an_ursula_takes_no_more_policies_than_the_places_its_staker_offers() {
	run(|| {
		network(|n| n.terms.insert(11, Terms { min_fee_rate: MIN_RATE, capacity: 1 }));
		let create = |id: PolicyId, workers: &[AccountId]| {
			Policies::create_policy(
				RuntimeOrigin::signed(ALICE),
				id,
				grant(1, 10, 12),
				named(workers),
				kfrags(workers.len()),
			)
		};
		assert_ok!(create([1; 16], &[11]));
		assert_noop!(create([2; 16], &[12, 11]), Error::<Test>::UrsulaAtCapacity { ursula: 1 });
		assert_eq!(Policies::free_places(&11, 1), 0);
		assert_eq!(Policies::free_places(&12, MAX_PER_URSULA), MAX_PER_URSULA);
		// A capacity above the chain's most counts as the chain's most.
		network(|n| n.terms.insert(11, Terms { min_fee_rate: MIN_RATE, capacity: 1_000 }));
		for i in 2..=MAX_PER_URSULA as u8 {
			assert_ok!(create([i; 16], &[11]));
		}
		assert_noop!(create(POLICY, &[11]), Error::<Test>::UrsulaAtCapacity { ursula: 0 });
		// Zero places: no new policy, the old ones stay served.
		network(|n| n.terms.insert(12, Terms { min_fee_rate: MIN_RATE, capacity: 0 }));
		assert_noop!(create(POLICY, &[12]), Error::<Test>::UrsulaAtCapacity { ursula: 0 });
		assert_eq!(Policies::policies_of_ursula(&11).len(), MAX_PER_URSULA as usize);
	});
}

#[test]
fn the_prices_of_each_periods_policies_are_recorded_and_forgotten_after_the_history() {
	run(|| {
		let create = |id: PolicyId, rate: Balance, workers: &[AccountId]| {
			let now = network(|n| n.period);
			let mut offer = grant(1, now, now + 2);
			offer.rate = rate;
			Policies::create_policy(
				RuntimeOrigin::signed(ALICE),
				id,
				offer,
				named(workers),
				kfrags(workers.len()),
			)
		};
		let first = network(|n| n.period);
		assert_ok!(create([1; 16], 100, &[11, 12]));
		assert_ok!(create([2; 16], 40, &[13]));
		let record =
			PriceRecord { policies: 2, places: 3, min_rate: 40, max_rate: 100, per_period: 240 };
		assert_eq!(Policies::prices_paid(0, 1_000), vec![(first, record)]);
		// A refused grant records nothing.
		assert!(create([3; 16], MIN_RATE - 1, &[14]).is_err());
		assert_eq!(Policies::prices_paid(first, first), vec![(first, record)]);
		// PRICE_HISTORY periods later, a new policy pushes the first period out.
		for later in 1..=crate::config_preludes::PRICE_HISTORY {
			let worker = URSULAS[later as usize % URSULAS.len()];
			network(|n| {
				n.period = first + later;
				n.committed.insert((worker, first + later));
			});
			assert_ok!(create([10 + later as u8; 16], 50, &[worker]));
		}
		let periods: Vec<Period> =
			Policies::prices_paid(0, u32::MAX).into_iter().map(|(p, _)| p).collect();
		assert_eq!(
			periods,
			(first + 1..=first + crate::config_preludes::PRICE_HISTORY).collect::<Vec<_>>()
		);
		assert_eq!(
			crate::Prices::<Test>::iter().count(),
			crate::config_preludes::PRICE_HISTORY as usize
		);
		// Periods without policies leave nothing behind, however long the gap: the ring holds
		// at most PRICE_HISTORY entries, and a stale one is never shown.
		let late = first + 1_000;
		network(|n| {
			n.period = late;
			n.committed.insert((11, late));
		});
		assert_eq!(Policies::prices_paid(0, u32::MAX), vec![]);
		assert_ok!(create([99; 16], 70, &[11]));
		assert_eq!(Policies::prices_paid(0, u32::MAX).len(), 1);
		assert_eq!(
			crate::Prices::<Test>::iter().count(),
			crate::config_preludes::PRICE_HISTORY as usize
		);
	});
}

#[test]
fn a_quote_is_what_a_grant_takes() {
	run(|| {
		PlaceFee::set(7);
		DepositBase::set(20);
		DepositPerUrsula::set(3);
		let quote = Policies::quote(3, 100, 5).unwrap();
		assert_eq!(
			(quote.escrow, quote.place_fees, quote.deposit, quote.total),
			(1_500, 21, 29, 1_550)
		);
		let before = Balances::free_balance(ALICE);
		alice_grants();
		assert_eq!(before - Balances::free_balance(ALICE), quote.total);
		assert_eq!(Policies::quote(2, Balance::MAX / 2, 5), None);
	});
}

#[test]
fn revocation_refunds_what_has_not_accrued_and_deletes_the_key_fragments() {
	run(|| {
		alice_grants();
		serve(10, &URSULAS[..3]);
		let before = Balances::free_balance(ALICE);
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY));
		// Period 10 was paid to three Ursulas; four periods come back.
		assert_eq!(Balances::free_balance(ALICE), before + 1_200);
		assert_eq!(escrow(ALICE), 0);
		assert!(policy_events().contains(&Event::PolicyRevoked {
			policy: POLICY,
			owner: ALICE,
			refund: 1_200
		}));
		assert_eq!(KeyFrags::<Test>::iter_prefix(POLICY).count(), 0);
		assert_eq!(ByUrsula::<Test>::iter_key_prefix(11).count(), 0);
		assert_eq!(Policies::policy_view(POLICY).unwrap().status, PolicyStatus::Revoked(10));
		// A revoked policy pays nothing more.
		serve(11, &URSULAS[..3]);
		assert_eq!(Policies::policy_view(POLICY).unwrap().paid, 300);
	});
}

#[test]
fn only_alice_revokes_a_live_policy_once() {
	run(|| {
		assert_noop!(
			Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY),
			Error::<Test>::UnknownPolicy
		);
		alice_grants();
		assert_noop!(
			Policies::revoke_policy(RuntimeOrigin::signed(BOB), POLICY),
			Error::<Test>::NotOwner
		);
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY));
		assert_noop!(
			Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY),
			Error::<Test>::AlreadyRevoked
		);
		assert_ok!(Policies::create_policy(
			RuntimeOrigin::signed(ALICE),
			[8; 16],
			grant(1, 10, 12),
			named(&[11]),
			kfrags(1),
		));
		network(|n| n.period = 12);
		assert_noop!(
			Policies::revoke_policy(RuntimeOrigin::signed(ALICE), [8; 16]),
			Error::<Test>::PolicyExpired
		);
	});
}

#[test]
fn an_ended_policy_is_settled_then_removed_after_the_evidence_window() {
	run(|| {
		alice_grants();
		assert_ok!(Policies::create_policy(
			RuntimeOrigin::signed(ALICE),
			[8; 16],
			grant(1, 10, 12),
			named(&[11]),
			kfrags(1),
		));
		assert_noop!(
			Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY),
			Error::<Test>::PolicyNotEnded
		);
		assert_noop!(
			Policies::clean_up_policy(RuntimeOrigin::signed(BOB), [1; 16]),
			Error::<Test>::UnknownPolicy
		);
		network(|n| n.period = 15);
		// Anyone settles it: the escrow comes back, the key fragments and places are freed.
		assert_ok!(Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY));
		assert!(policy_events().contains(&Event::PolicyEnded {
			policy: POLICY,
			owner: ALICE,
			refund: 1_500
		}));
		assert_eq!(KeyFrags::<Test>::iter_prefix(POLICY).count(), 0);
		assert_eq!(Policies::policy_view(POLICY).unwrap().status, PolicyStatus::Expired);
		assert_noop!(
			Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY),
			Error::<Test>::AlreadySettled
		);
		// The other one is settled in on_idle, given room.
		assert_eq!(Policies::on_idle(1, Weight::zero()), Weight::zero());
		assert!(!PolicyStore::<Test>::get([8; 16]).unwrap().settled);
		Policies::on_idle(1, Weight::MAX);
		assert!(PolicyStore::<Test>::get([8; 16]).unwrap().settled);
		assert_eq!(escrow(ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), INITIAL);
		assert_eq!(crate::UrsulaLoad::<Test>::iter().count(), 0);
		// The ids stay taken while the records are kept.
		assert_noop!(
			Policies::create_policy(
				RuntimeOrigin::signed(ALICE),
				POLICY,
				grant(1, 15, 16),
				named(&[11]),
				kfrags(1)
			),
			Error::<Test>::PolicyIdInUse
		);
		// After the evidence window the records go.
		network(|n| n.period = 12 + RETENTION);
		Policies::on_idle(1, Weight::MAX);
		assert!(PolicyStore::<Test>::get([8; 16]).is_none());
		assert!(PolicyStore::<Test>::get(POLICY).is_some());
		network(|n| n.period = 15 + RETENTION);
		assert_ok!(Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY));
		assert!(policy_events().contains(&Event::PolicyRemoved {
			policy: POLICY,
			owner: ALICE,
			deposit: 0
		}));
		assert!(Policies::policies_of_owner(&ALICE).is_empty());
		assert!(Policies::policies_of_bob(&BOB).is_empty());
	});
}

#[test]
fn holding_a_place_costs_a_fee_that_revocation_does_not_refund() {
	run(|| {
		PlaceFee::set(7);
		let stakers: Vec<_> = URSULAS[..3].iter().map(|w| w + 10).collect();
		let free_before = Balances::free_balance(ALICE);
		// A squatter's pending policy, a period before its start, revoked at once.
		assert_ok!(Policies::create_policy(
			RuntimeOrigin::signed(ALICE),
			POLICY,
			grant(2, 11, 12),
			named(&URSULAS[..3]),
			kfrags(3)
		));
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY));
		// The escrow came back; the place fees did not: each Ursula's staker earned them.
		assert_eq!(Balances::free_balance(ALICE), free_before - 3 * 7);
		for staker in stakers {
			assert_eq!(Policies::earned_fees(&staker), 7);
		}
		assert!(policy_events()
			.iter()
			.any(|e| matches!(e, Event::PolicyCreated { place_fees: 21, .. })));
	});
}

#[test]
fn one_owner_cannot_hold_places_with_unbounded_pending_policies() {
	run(|| {
		let create = |id: u8, start| {
			Policies::create_policy(
				RuntimeOrigin::signed(ALICE),
				[id; 16],
				grant(1, start, start + 1),
				named(&URSULAS[id as usize % 4..][..1]),
				kfrags(1),
			)
		};
		for id in 0..MAX_PENDING as u8 {
			assert_ok!(create(id, 12));
		}
		assert_noop!(create(9, 12), Error::<Test>::TooManyPendingPolicies);
		// Starting now is not pending.
		assert_ok!(create(10, 10));
		// Revoking a pending one frees its slot; once the others start, theirs are free too.
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), [0; 16]));
		assert_ok!(create(11, 13));
		assert_noop!(create(12, 13), Error::<Test>::TooManyPendingPolicies);
		network(|n| {
			n.period = 12;
			for worker in URSULAS {
				n.committed.insert((worker, 12));
			}
		});
		assert_ok!(create(12, 13));
	});
}

#[test]
fn a_record_that_outlives_its_payment_carries_a_deposit_returned_on_removal() {
	run(|| {
		DepositBase::set(90);
		DepositPerUrsula::set(10);
		let deposit = |who| Balances::balance_on_hold(&HoldReason::Deposit.into(), &who);
		// Poor Alice's 100 cover one period's fee (10) but not the fee and the deposit (100).
		assert_noop!(
			Policies::create_policy(
				RuntimeOrigin::signed(POOR_ALICE),
				[8; 16],
				PolicyGrant { rate: MIN_RATE, ..grant(1, 10, 11) },
				named(&URSULAS[..1]),
				kfrags(1)
			),
			Error::<Test>::InsufficientBalance
		);
		DepositBase::set(0);
		DepositPerUrsula::set(0);
		assert_ok!(Policies::create_policy(
			RuntimeOrigin::signed(POOR_ALICE),
			[8; 16],
			PolicyGrant { rate: MIN_RATE, ..grant(1, 10, 11) },
			named(&URSULAS[..1]),
			kfrags(1)
		));
		DepositBase::set(50);
		DepositPerUrsula::set(10);
		alice_grants();
		assert_eq!(deposit(ALICE), 80);
		// Revoked in period 10: the fee comes back at once, the deposit when the record goes,
		// the evidence window after the revocation (not after the policy's planned end).
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY));
		assert_eq!((escrow(ALICE), deposit(ALICE)), (0, 80));
		network(|n| n.period = 10 + RETENTION - 1);
		assert_noop!(
			Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY),
			Error::<Test>::AlreadySettled
		);
		assert_eq!(deposit(ALICE), 80);
		network(|n| n.period = 10 + RETENTION);
		assert_ok!(Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY));
		assert_eq!(deposit(ALICE), 0);
		assert!(policy_events().contains(&Event::PolicyRemoved {
			policy: POLICY,
			owner: ALICE,
			deposit: 80
		}));
	});
}

#[test]
fn revoking_in_the_fees_only_stage_keeps_what_claims_may_still_take() {
	use keymarket_primitives::{policies::ActivityPolicies, staking::Stage};
	run(|| {
		SettleDelay::set(2);
		network(|n| n.stage = Stage::FeesOnly);
		alice_grants();
		// Revoked in period 12: periods 10, 11 and 12 were served and their claims may still be
		// made or opened, so their rate for each of the three Ursulas stays (900); the last two
		// periods' goes back at once (600).
		network(|n| n.period = 12);
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY));
		assert!(policy_events().contains(&Event::PolicyRevoked {
			policy: POLICY,
			owner: ALICE,
			refund: 600
		}));
		assert_eq!(escrow(ALICE), 900);
		let policy = PolicyStore::<Test>::get(POLICY).unwrap();
		assert!(!policy.settled);
		// Served no more: the key fragments are gone at once.
		assert_eq!(Policies::encrypted_kfrag(POLICY, &URSULAS[0]), None);
		// A claim of the revocation's period is still paid from what stayed.
		let paid = <Policies as ActivityPolicies<_, _>>::pay_from_escrow(&POLICY, &11, &21, 150);
		assert_eq!(paid, 150);
		// Settled once the revocation period's claims can no longer be opened: 12 + 1 + 2.
		network(|n| n.period = 14);
		Policies::on_idle(1, Weight::MAX);
		assert_noop!(
			Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY),
			Error::<Test>::PolicyNotEnded
		);
		network(|n| n.period = 15);
		Policies::on_idle(1, Weight::MAX);
		let policy = PolicyStore::<Test>::get(POLICY).unwrap();
		assert!(policy.settled);
		assert_eq!(escrow(ALICE), 0);
		assert!(policy_events().contains(&Event::PolicyEnded {
			policy: POLICY,
			owner: ALICE,
			refund: 750
		}));
		// The record goes `EvidenceRetention` after the revocation.
		assert!(crate::Expiring::<Test>::contains_key(12 + RETENTION, POLICY));
	});
	run(|| {
		// A policy revoked before it served keeps nothing.
		SettleDelay::set(2);
		network(|n| n.stage = Stage::FeesOnly);
		alice_grants();
		network(|n| n.period = 9);
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY));
		assert_eq!(escrow(ALICE), 0);
		assert!(PolicyStore::<Test>::get(POLICY).unwrap().settled);
	});
	run(|| {
		// In the inflation stage the period fees paid by commitments are all a policy owes:
		// revocation gives the rest back at once.
		SettleDelay::set(2);
		alice_grants();
		network(|n| n.period = 12);
		assert_ok!(Policies::revoke_policy(RuntimeOrigin::signed(ALICE), POLICY));
		assert_eq!(escrow(ALICE), 0);
		assert!(PolicyStore::<Test>::get(POLICY).unwrap().settled);
	});
}

#[test]
fn a_settling_delay_keeps_the_escrow_for_the_last_periods_claims() {
	run(|| {
		SettleDelay::set(2);
		alice_grants();
		// Ended in period 15, settled two periods later: the escrow stays until then.
		network(|n| n.period = 15);
		Policies::on_idle(1, Weight::MAX);
		assert!(!PolicyStore::<Test>::get(POLICY).unwrap().settled);
		assert_noop!(
			Policies::clean_up_policy(RuntimeOrigin::signed(BOB), POLICY),
			Error::<Test>::PolicyNotEnded
		);
		assert_eq!(escrow(ALICE), 1_500);
		network(|n| n.period = 17);
		Policies::on_idle(1, Weight::MAX);
		let policy = PolicyStore::<Test>::get(POLICY).unwrap();
		assert!(policy.settled);
		assert_eq!(escrow(ALICE), 0);
		// The record still goes `EvidenceRetention` after the end.
		assert!(crate::Expiring::<Test>::contains_key(15 + RETENTION, POLICY));
	});
}

#[test]
fn a_policy_scheduled_before_the_delay_was_lengthened_is_settled_when_due() {
	run(|| {
		alice_grants();
		// Scheduled at its end (no delay), then the runtime lengthens the delay.
		assert!(crate::Expiring::<Test>::contains_key(15, POLICY));
		SettleDelay::set(3);
		network(|n| n.period = 15);
		Policies::on_idle(1, Weight::MAX);
		// Not settled early: moved to when it is due.
		assert!(!PolicyStore::<Test>::get(POLICY).unwrap().settled);
		assert!(!crate::Expiring::<Test>::contains_key(15, POLICY));
		assert!(crate::Expiring::<Test>::contains_key(18, POLICY));
		network(|n| n.period = 18);
		Policies::on_idle(1, Weight::MAX);
		assert!(PolicyStore::<Test>::get(POLICY).unwrap().settled);
		assert!(PolicyStore::<Test>::get(POLICY).is_some(), "the record stays");
	});
}
