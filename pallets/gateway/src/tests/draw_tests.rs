//! The gateways of a round: drawn at its first block, by stake, from the committed Ursulas.

use super::*;
use crate::{Candidates, Lines, Rounds};
use keymarket_primitives::gateway::{find_on_line, gateway_seed};

#[test]
fn each_round_draws_its_gateways_from_the_ursulas_committed_to_its_period() {
	run(|| {
		setup();
		for round in 1..=2 {
			let drawn = Rounds::<Test>::get(round).expect("drawn at the round's first block");
			assert_eq!(drawn.gateways.len(), crate::config_preludes::GATEWAYS as usize);
			assert_eq!(drawn.threshold, THRESHOLD);
			let mut workers: Vec<_> = drawn.gateways.iter().map(|g| g.worker.clone()).collect();
			workers.sort();
			workers.dedup();
			assert_eq!(workers.len(), drawn.gateways.len(), "distinct");
			for gateway in &drawn.gateways {
				let period = round / ROUNDS_PER_PERIOD;
				assert!(MockUrsulas_committed(&gateway.worker, period));
				let keys = network(|n| n.keys[&gateway.worker]);
				assert_eq!(gateway.signing_key, keys.signing_key, "the registered signing key");
			}
		}
		assert!(gateway_events().contains(&Event::RoundStarted {
			round: 2,
			gateways: 5,
			threshold: THRESHOLD
		}));
	});
}

#[allow(non_snake_case)]
fn MockUrsulas_committed(worker: &AccountId, period: u32) -> bool {
	use keymarket_primitives::registry::UrsulaRegistry;
	MockUrsulas::committed_to(worker, period)
}

#[test]
fn a_client_recomputes_the_same_gateways_from_the_beacon_and_the_line() {
	run(|| {
		setup();
		let round = 2;
		let period = round / ROUNDS_PER_PERIOD;
		// The beacon block of round 2 is block 4; the mock's block hashes are zero.
		let seed = gateway_seed(&[0; 32], round);
		let drawn = Rounds::<Test>::get(round).unwrap();
		assert_eq!(drawn.seed, seed);
		let line = Lines::<Test>::get(period);
		let starts: Vec<u128> =
			(0..line.count).map(|i| Candidates::<Test>::get(period, i).unwrap().start).collect();
		let indices = keymarket_primitives::gateway::draw_gateways(seed, line.total, 5, |point| {
			find_on_line(&starts, line.total, point)
		});
		let expected: Vec<AccountId> =
			indices.iter().map(|i| Candidates::<Test>::get(period, i).unwrap().worker).collect();
		let stored: Vec<AccountId> = drawn.gateways.iter().map(|g| g.worker.clone()).collect();
		assert_eq!(stored, expected);
	});
}

#[test]
fn a_period_without_candidates_has_no_gateways_and_proofs_of_it_fail() {
	run(|| {
		go_to_round(2);
		let drawn = Rounds::<Test>::get(2).unwrap();
		assert!(drawn.gateways.is_empty());
	});
}

#[test]
fn the_line_takes_no_stakeless_commitment_and_at_most_its_candidates() {
	run(|| {
		commit(&ursula(0), 5, 0);
		assert_eq!(Lines::<Test>::get(5).count, 0);
		for i in 0..20u8 {
			commit(&sp_runtime::AccountId32::from([i; 32]), 5, 10);
		}
		let line = Lines::<Test>::get(5);
		assert_eq!(line.count, crate::config_preludes::MAX_CANDIDATES);
		assert_eq!(line.total, 10 * crate::config_preludes::MAX_CANDIDATES as u128);
	});
}

#[test]
fn stake_weighs_in_the_draw() {
	run(|| {
		setup();
		// Ursula 7 holds 800 of 3,600: over many rounds it is a gateway far more often than
		// Ursula 0 with 100.
		let (mut big, mut small) = (0, 0);
		for round in 3..60 {
			go_to_round(round);
			let drawn = Rounds::<Test>::get(round).unwrap();
			big += drawn.gateways.iter().filter(|g| g.worker == ursula(7)).count();
			small += drawn.gateways.iter().filter(|g| g.worker == ursula(0)).count();
			// Keep every period's line: the Ursulas commit on.
			let period = round / ROUNDS_PER_PERIOD + 1;
			if Lines::<Test>::get(period).count == 0 {
				for i in 0..URSULAS {
					commit(&ursula(i), period, 100 * (i as u128 + 1));
				}
			}
		}
		assert!(big > 2 * small, "{big} against {small}");
	});
}

#[test]
fn old_rounds_and_lines_are_forgotten() {
	run(|| {
		setup();
		let retained = crate::Pallet::<Test>::retained_rounds();
		go_to_round(2 + retained);
		assert!(Rounds::<Test>::get(2).is_none());
		assert!(Rounds::<Test>::get(3).is_some());
		// Period 0's line went when period 2 began.
		assert_eq!(Lines::<Test>::get(0).count, 0);
		assert!(Candidates::<Test>::get(0, 0).is_none());
	});
}
