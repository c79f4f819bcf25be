//! The chain's one clock: periods and rounds, the period-start hook, and the one-way
//! commitment hook that passes what the staking pallet knows.

use frame_support::{assert_ok, traits::Hooks};
use keymarket_primitives::{
	registry::Commitment,
	staking::Stage,
	time::{Clock, Durations},
};

use sp_runtime::BuildStorage;

use super::mock::*;

#[test]
fn periods_and_rounds_follow_the_block_number() {
	run(|| {
		System::set_block_number(9);
		assert_eq!((Staking::current_period(), Staking::current_round()), (0, 1));
		System::set_block_number(10);
		assert_eq!(
			(<Staking as Clock>::current_period(), <Staking as Clock>::current_round()),
			(1, 2)
		);
	});
}

#[test]
fn the_period_start_is_announced_once_in_its_first_block_only() {
	run(|| {
		PERIOD_STARTS.with(|p| p.borrow_mut().clear());
		let mut weight = Default::default();
		for block in 1..=25u64 {
			System::set_block_number(block);
			weight = Staking::on_initialize(block);
			if block == 20 {
				// The hook's weight is part of the block's.
				assert!(weight.ref_time() >= 7);
			}
		}
		assert_eq!(weight.ref_time(), 0, "a block inside a period does no period work");
		assert_eq!(PERIOD_STARTS.with(|p| p.borrow().clone()), vec![1, 2]);
	});
}

#[test]
fn the_commitment_hook_is_told_the_staker_the_stage_and_the_period_served() {
	let worker = frame_system::RawOrigin::Signed(URSULA_A);
	run(|| {
		COMMITMENTS.with(|c| c.borrow_mut().clear());
		staked_and_registered(ALICE, URSULA_A);
		assert_ok!(Staking::commit_to_next_period(worker.clone().into()));
		go_to_period(1);
		assert_ok!(Staking::commit_to_next_period(worker.clone().into()));
		// A missed period: the next commitment serves nothing yet.
		go_to_period(3);
		assert_ok!(Staking::commit_to_next_period(worker.into()));
		let told = COMMITMENTS.with(|c| c.borrow().clone());
		let seen = |period, served| Commitment {
			worker: URSULA_A,
			staker: ALICE,
			period,
			served,
			stage: Stage::Inflation,
			stake: 1_000,
		};
		assert_eq!(told, vec![seen(1, None), seen(2, Some(1)), seen(4, None)]);
	});
}

#[test]
fn genesis_keeps_the_chain_specs_durations() {
	let durations = Durations { blocks_per_period: 20, blocks_per_round: 4, ..Durations::dev() };
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	crate::GenesisConfig::<Test> { durations, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(Staking::durations(), durations);
	});
	// An empty state reads the dev durations.
	new_test_ext().execute_with(|| assert_eq!(Staking::durations(), Durations::dev()));
}

#[test]
#[should_panic(expected = "RoundNotDividingPeriod")]
fn genesis_refuses_durations_that_cannot_run_a_chain() {
	let durations = Durations { blocks_per_round: 3, ..Durations::dev() };
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let _ = crate::GenesisConfig::<Test> { durations, ..Default::default() }
		.assimilate_storage(&mut storage);
}
