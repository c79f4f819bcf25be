//! A minimal runtime for the staking pallet's tests: system, balances and staking, with periods
//! of ten blocks.

use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::BuildStorage;

use crate as pallet_keymarket_staking;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Staking: pallet_keymarket_staking,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

pub const BLOCKS_PER_PERIOD: u64 = 10;
pub const MIN_STAKE: Balance = 100;
pub const MAX_STAKE: Balance = 10_000;

parameter_types! {
	pub const BlocksPerPeriod: u64 = BLOCKS_PER_PERIOD;
	pub const MinStake: Balance = MIN_STAKE;
	pub const MaxStake: Balance = MAX_STAKE;
}

impl pallet_keymarket_staking::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type BlocksPerPeriod = BlocksPerPeriod;
	type MinStake = MinStake;
	type MaxStake = MaxStake;
	type MinLockPeriods = ConstU32<2>;
	type MaxLockPeriods = ConstU32<365>;
	type MaxSubStakes = ConstU32<3>;
	type MinWorkerPeriods = ConstU32<2>;
	type WeightInfo = ();
}

/// Stakers 1..=4 hold 20,000 each; worker accounts (10+) hold nothing.
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const URSULA_A: AccountId = 11;
pub const URSULA_B: AccountId = 12;
pub const INITIAL: Balance = 20_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=4).map(|who| (who, INITIAL)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` and then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Staking::do_try_state().expect("the staking invariants hold");
	});
}

/// Moves to the first block of `period`.
pub fn go_to_period(period: u32) {
	System::set_block_number(period as u64 * BLOCKS_PER_PERIOD);
}

/// The last event of the staking pallet.
pub fn last_event() -> crate::Event<Test> {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Staking(event) => Some(event),
			_ => None,
		})
		.expect("a staking event")
}
