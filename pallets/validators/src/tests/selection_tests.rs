//! Who validates each session: the invulnerables, the candidates by stake, and the ways to cheat
//! the list (filling it, offering without stake or keys, keeping a place after leaving).

use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo};
use pallet_session::SessionManager;
use sp_runtime::DispatchError;

use super::mock::*;
use crate::{Candidates, Chosen, Error, Event, Invulnerables, WeightInfo};

fn offer(who: AccountId) -> frame_support::dispatch::DispatchResultWithPostInfo {
	Validators::offer(RuntimeOrigin::signed(who))
}

fn new_session(index: u32) -> Option<Vec<AccountId>> {
	<Validators as SessionManager<AccountId>>::new_session(index)
}

fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Validators(e) => Some(e),
			_ => None,
		})
		.next_back()
		.expect("an event of the pallet")
}

#[test]
fn the_genesis_validators_are_the_invulnerables_and_validate_the_first_sessions() {
	run(|| {
		assert_eq!(Invulnerables::<Test>::get().into_inner(), GENESIS.to_vec());
		let genesis = <Validators as SessionManager<AccountId>>::new_session_genesis(0);
		assert_eq!(genesis, Some(GENESIS.to_vec()));
		assert_eq!(Chosen::<Test>::get().into_inner(), GENESIS.to_vec());
		// Nothing changed since: the session pallet keeps the set.
		assert_eq!(new_session(2), None);
	});
}

#[test]
fn a_staker_with_keys_offers_and_validates_from_the_next_choice() {
	run(|| {
		qualify(10, MIN_STAKE);
		assert_ok!(offer(10));
		assert_eq!(last_event(), Event::CandidateOffered { who: 10, stake: MIN_STAKE });
		assert_eq!(Candidates::<Test>::get().into_inner(), vec![10]);
		assert_eq!(new_session(2), Some(set_of(&[10])));
		let chosen = Event::ValidatorsChosen { session: 2, validators: set_of(&[10]) };
		assert_eq!(last_event(), chosen);
		// The next choice is the same set: no change is asked for.
		assert_eq!(new_session(3), None);
	});
}

#[test]
fn candidates_take_their_places_most_stake_first_and_a_reordering_is_no_change() {
	run(|| {
		// Five invulnerables leave candidates two places: the two largest stakes of four.
		let stakes = [(10, MIN_STAKE), (11, 3 * MIN_STAKE), (12, 2 * MIN_STAKE), (13, MIN_STAKE)];
		for (who, stake) in stakes {
			qualify(who, stake);
			assert_ok!(offer(who));
		}
		assert_eq!(new_session(2), Some(set_of(&[11, 12])));
		// 12 adds stake past 11: the same validators, so no change is asked for.
		set_stake(12, 4 * MIN_STAKE);
		assert_eq!(new_session(3), None);
		// 13 outgrows 11: it takes 11's place.
		set_stake(13, 5 * MIN_STAKE);
		assert_eq!(new_session(4), Some(set_of(&[12, 13])));
	});
}

#[test]
fn equal_stakes_are_ranked_in_the_order_they_offered() {
	run(|| {
		for who in [13, 10, 12] {
			qualify(who, MIN_STAKE);
			assert_ok!(offer(who));
		}
		assert_eq!(new_session(2), Some(set_of(&[10, 13])));
	});
}

#[test]
fn stake_backed_validators_stay_under_a_third_of_the_set() {
	run(|| {
		for who in 10..16 {
			qualify(who, MIN_STAKE + who as u128);
			assert_ok!(offer(who));
		}
		// Five invulnerables, six candidates: two places, the two largest stakes.
		assert_eq!(new_session(2), Some(set_of(&[14, 15])));
		// An invulnerable loses its keys: four left, one place.
		set_keys(1, false);
		assert_eq!(new_session(3), Some(vec![2, 3, 4, 5, 15]));
		// One invulnerable alone (as on a dev chain): no place.
		assert_ok!(Validators::set_invulnerables(RuntimeOrigin::root(), vec![2]));
		assert_eq!(new_session(4), Some(vec![2]));
		for invulnerables in 0..=MAX_VALIDATORS as usize {
			let places = Validators::candidate_places(invulnerables);
			assert!(3 * places < invulnerables + places || invulnerables + places == 0);
			assert!(invulnerables + places <= MAX_VALIDATORS as usize);
		}
	});
}

#[test]
fn with_no_invulnerable_no_stake_takes_the_chain() {
	run(|| {
		// A chain upgraded from before sessions has none until governance names them.
		assert_ok!(Validators::set_invulnerables(RuntimeOrigin::root(), vec![]));
		qualify(10, 1_000 * MIN_STAKE);
		assert_ok!(offer(10));
		assert_eq!(new_session(2), None);
		assert_eq!(last_event(), Event::NoValidatorsQualified { session: 2 });
	});
}

#[test]
fn a_candidate_that_withdraws_its_stake_or_purges_its_keys_is_not_chosen_again() {
	run(|| {
		for who in [10, 11] {
			qualify(who, MIN_STAKE);
			assert_ok!(offer(who));
		}
		assert_eq!(new_session(2), Some(set_of(&[10, 11])));
		// 10 withdraws below the minimum; 11 purges its keys. Both stay listed, neither is chosen.
		set_stake(10, MIN_STAKE - 1);
		set_keys(11, false);
		assert_eq!(new_session(3), Some(set_of(&[])));
		// 10 stakes again: chosen again without offering again.
		set_stake(10, MIN_STAKE);
		assert_eq!(new_session(4), Some(set_of(&[10])));
	});
}

#[test]
fn an_invulnerable_without_keys_is_left_out() {
	run(|| {
		set_keys(1, false);
		assert_eq!(new_session(2), Some(vec![2, 3, 4, 5]));
	});
}

#[test]
fn when_nobody_qualifies_no_set_is_given_and_the_same_validators_come_back_when_they_can() {
	run(|| {
		for who in GENESIS {
			set_keys(who, false);
		}
		assert_eq!(new_session(2), None);
		assert_eq!(last_event(), Event::NoValidatorsQualified { session: 2 });
		// The last set is forgotten: when the same validators set keys again, they are given to
		// the session again (whose own set emptied meanwhile, their keys gone).
		assert!(Chosen::<Test>::get().is_empty());
		for who in GENESIS {
			set_keys(who, true);
		}
		assert_eq!(new_session(3), Some(GENESIS.to_vec()));
	});
}

#[test]
fn offering_needs_keys_stake_and_a_signed_origin_and_changes_nothing_when_refused() {
	run(|| {
		set_stake(10, MIN_STAKE);
		assert_noop!(offer(10), Error::<Test>::NoSessionKeys);
		set_keys(10, true);
		set_stake(10, MIN_STAKE - 1);
		assert_noop!(offer(10), Error::<Test>::StakeBelowMinimum);
		assert_noop!(offer(1), Error::<Test>::AlreadyInvulnerable);
		assert_noop!(Validators::offer(RuntimeOrigin::root()), DispatchError::BadOrigin);
		assert_noop!(Validators::offer(RuntimeOrigin::none()), DispatchError::BadOrigin);
		set_stake(10, MIN_STAKE);
		assert_ok!(offer(10));
		assert_noop!(offer(10), Error::<Test>::AlreadyCandidate);
	});
}

#[test]
fn filling_the_list_with_small_stakes_keeps_no_larger_staker_out() {
	run(|| {
		// The attacker fills every place with the minimum.
		for who in 100..100 + MAX_CANDIDATES as AccountId {
			qualify(who, MIN_STAKE);
			assert_ok!(offer(who));
		}
		// An equal stake does not displace anyone.
		qualify(20, MIN_STAKE);
		assert_noop!(offer(20), Error::<Test>::TooManyCandidates);
		// More stake takes the place of the weakest, the latest of equals.
		qualify(21, MIN_STAKE + 1);
		assert_ok!(offer(21));
		let last = 100 + MAX_CANDIDATES as AccountId - 1;
		let displaced = RuntimeEvent::Validators(Event::CandidateDisplaced { who: last, by: 21 });
		assert!(System::events().iter().any(|r| r.event == displaced));
		let candidates = Candidates::<Test>::get();
		assert_eq!(candidates.len() as u32, MAX_CANDIDATES);
		assert!(candidates.contains(&21) && !candidates.contains(&last));
		assert_eq!(new_session(2), Some(set_of(&[21, 100])));
	});
}

#[test]
fn a_listed_candidate_that_no_longer_qualifies_is_the_first_displaced() {
	run(|| {
		for who in 100..100 + MAX_CANDIDATES as AccountId {
			qualify(who, 5 * MIN_STAKE);
			assert_ok!(offer(who));
		}
		// 102 keeps a large stake but purged its keys: it stands for nothing.
		set_keys(102, false);
		qualify(20, MIN_STAKE);
		assert_ok!(offer(20));
		assert!(!Candidates::<Test>::get().contains(&102));
	});
}

#[test]
fn a_candidate_retires_and_is_not_chosen_again() {
	run(|| {
		qualify(10, MIN_STAKE);
		assert_ok!(offer(10));
		assert_eq!(new_session(2), Some(set_of(&[10])));
		assert_ok!(Validators::retire(RuntimeOrigin::signed(10)));
		assert_eq!(last_event(), Event::CandidateRetired { who: 10 });
		assert_eq!(new_session(3), Some(set_of(&[])));
		assert_noop!(Validators::retire(RuntimeOrigin::signed(10)), Error::<Test>::NotCandidate);
		assert_noop!(Validators::retire(RuntimeOrigin::root()), DispatchError::BadOrigin);
	});
}

#[test]
fn governance_names_the_invulnerables_and_nobody_else_can() {
	run(|| {
		qualify(10, MIN_STAKE);
		assert_ok!(offer(10));
		assert_noop!(
			Validators::set_invulnerables(RuntimeOrigin::signed(1), vec![1]),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Validators::set_invulnerables(RuntimeOrigin::root(), vec![1, 2, 1]),
			Error::<Test>::DuplicateInvulnerable
		);
		let too_many: Vec<AccountId> = (1..=MAX_VALIDATORS as AccountId + 1).collect();
		assert_noop!(
			Validators::set_invulnerables(RuntimeOrigin::root(), too_many),
			Error::<Test>::TooManyInvulnerables
		);
		// Naming a candidate takes it off the candidates.
		assert_ok!(Validators::set_invulnerables(RuntimeOrigin::root(), vec![2, 10, 3]));
		assert_eq!(last_event(), Event::InvulnerablesSet { invulnerables: vec![2, 10, 3] });
		assert!(Candidates::<Test>::get().is_empty());
		// Three invulnerables leave one place; a candidate takes it.
		qualify(11, MIN_STAKE);
		assert_ok!(offer(11));
		assert_eq!(new_session(2), Some(vec![2, 3, 10, 11]));
	});
}

#[test]
fn offer_and_retire_return_the_weight_of_the_list_they_found() {
	run(|| {
		qualify(10, MIN_STAKE);
		let info = offer(10).expect("offered");
		assert_eq!(info.actual_weight, Some(<() as WeightInfo>::offer(0)));
		qualify(11, MIN_STAKE);
		assert_ok!(offer(11));
		let info = Validators::retire(RuntimeOrigin::signed(10)).expect("retired");
		assert_eq!(info.actual_weight, Some(<() as WeightInfo>::retire(2)));
		// A full list: the displacing case, the worst, which is what the call declares.
		for who in 100..100 + MAX_CANDIDATES as AccountId - 1 {
			qualify(who, MIN_STAKE);
			assert_ok!(offer(who));
		}
		qualify(20, 2 * MIN_STAKE);
		let info = offer(20).expect("displaced the weakest");
		assert_eq!(info.actual_weight, Some(<() as WeightInfo>::offer_displacing()));
		let declared = crate::Call::<Test>::offer {}.get_dispatch_info().call_weight;
		assert_eq!(declared, <() as WeightInfo>::offer_displacing());
	});
}
