//! A minimal runtime for the slashing pallet's tests. The stake is a balances reserve and the
//! "staking pallet" is [`ReservedStakes`]: it takes from the reserve, pays reporters and burns the
//! rest, so issuance moves as with the real staking pallet. Periods are ten blocks.

use core::cell::RefCell;
use frame_support::{
	derive_impl,
	traits::{ConstU32, Currency, Imbalance, ReservableCurrency},
};
use frame_system::EnsureRoot;
use keymarket_primitives::{
	registry::{RegisteredKeys, UrsulaRegistry},
	slashing::{SlashOutcome, StakeSlasher},
	staking::Stage,
	time::{Clock, OnPeriodStart, Period, Round},
};
use sp_runtime::{BuildStorage, Perbill};

use crate as pallet_keymarket_slashing;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Slashing: pallet_keymarket_slashing,
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
	type MaxReserves = ConstU32<1>;
}

pub const BLOCKS_PER_PERIOD: u64 = 10;
pub use crate::config_preludes::{CFRAG_BASE, DEFER, MAX_PER_OFFENDER, MAX_PER_PERIOD, WINDOW};

thread_local! {
	static BURNED: RefCell<Balance> = const { RefCell::new(0) };
}

/// What the mock staking has burned.
pub fn burned() -> Balance {
	BURNED.with(|b| *b.borrow())
}

/// Workers are `100 + staker`; a staker's stake is its reserve.
pub struct ReservedStakes;

impl Clock for ReservedStakes {
	fn current_period() -> Period {
		(System::block_number() / BLOCKS_PER_PERIOD) as Period
	}

	fn current_round() -> Round {
		(System::block_number() / (BLOCKS_PER_PERIOD / 2)) as Round
	}
}

impl UrsulaRegistry<AccountId> for ReservedStakes {
	fn stage() -> Stage {
		Stage::Inflation
	}

	fn committed_to(_: &AccountId, _: Period) -> bool {
		false
	}

	fn staker_of(worker: &AccountId) -> Option<AccountId> {
		(101..=199).contains(worker).then(|| worker - 100)
	}

	fn keys(_: &AccountId) -> Option<RegisteredKeys> {
		None
	}
}

impl StakeSlasher<AccountId, Balance> for ReservedStakes {
	fn slashable(staker: &AccountId) -> Balance {
		Balances::reserved_balance(staker)
	}

	fn slash(
		staker: &AccountId,
		amount: Balance,
		reporters: &[AccountId],
		reporter_share: Perbill,
	) -> SlashOutcome<Balance> {
		let (mut taken, _missing) = Balances::slash_reserved(staker, amount);
		let total = taken.peek();
		let each = if reporters.is_empty() {
			0
		} else {
			reporter_share * total / reporters.len() as Balance
		};
		let mut rewarded = 0;
		for reporter in reporters {
			let (part, rest) = taken.split(each);
			taken = rest;
			rewarded += part.peek();
			Balances::resolve_creating(reporter, part);
		}
		let burned = taken.peek();
		BURNED.with(|b| *b.borrow_mut() += burned);
		drop(taken);
		SlashOutcome { taken: total, rewarded, burned }
	}
}

#[derive_impl(pallet_keymarket_slashing::config_preludes::TestDefaultConfig)]
impl pallet_keymarket_slashing::Config for Test {
	type Stakes = ReservedStakes;
	type CancelOrigin = EnsureRoot<AccountId>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarks;
}

/// Benchmark set-up in the mock: staker `i + 1`'s worker is `101 + i` (stakers beyond the four
/// endowed ones are funded and reserve on demand).
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarks {
	fn staked_worker(index: u32) -> AccountId {
		let staker = index as AccountId + 1;
		if Balances::reserved_balance(staker) == 0 {
			let _ = Balances::deposit_creating(&staker, INITIAL);
			Balances::reserve(&staker, STAKE).unwrap();
		}
		staker + 100
	}

	fn go_to_period(period: Period) {
		System::set_block_number(period as u64 * BLOCKS_PER_PERIOD);
	}
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
/// Alice's worker.
pub const URSULA_A: AccountId = 101;
/// Bob's worker.
pub const URSULA_B: AccountId = 102;
/// Reporters hold some balance so that their rewards can land.
pub const BOB_REPORTER: AccountId = 7;
pub const CAROL_REPORTER: AccountId = 8;
pub const INITIAL: Balance = 100_000;
/// Alice's and Bob's stake.
pub const STAKE: Balance = 10_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, INITIAL), (BOB, INITIAL), (BOB_REPORTER, 10), (CAROL_REPORTER, 10)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Balances::reserve(&ALICE, STAKE).unwrap();
		Balances::reserve(&BOB, STAKE).unwrap();
		BURNED.with(|b| *b.borrow_mut() = 0);
	});
	ext
}

/// Runs `test`, then checks the pallet's invariants and that issuance moved only by burning.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		test();
		Slashing::do_try_state().expect("the slashing invariants hold");
		assert_eq!(Balances::total_issuance(), issuance - burned(), "issuance moved only by burns");
	});
}

/// Moves to the first block of `period`, running the slashing pallet's period-start work in
/// the first block of each period on the way, as the chain's clock does.
pub fn start_period(period: Period) {
	let from = <ReservedStakes as Clock>::current_period() + 1;
	if from > period {
		System::set_block_number(period as u64 * BLOCKS_PER_PERIOD);
	}
	for p in from..=period {
		System::set_block_number(p as u64 * BLOCKS_PER_PERIOD);
		<Slashing as OnPeriodStart>::on_period_start(p);
	}
}

/// All slashing events so far, oldest first.
pub fn slashing_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Slashing(event) => Some(event),
			_ => None,
		})
		.collect()
}
