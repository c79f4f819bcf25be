//! A minimal runtime for the validators pallet's tests: stakes and session keys are thread-local
//! tables the tests fill ([`set_stake`], [`set_keys`]).

use core::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use frame_support::{derive_impl, traits::Contains};
use frame_system::EnsureRoot;
use keymarket_primitives::registry::StakeOf;
use sp_runtime::BuildStorage;

use crate as pallet_keymarket_validators;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Validators: pallet_keymarket_validators,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

pub use crate::config_preludes::{MAX_CANDIDATES, MAX_VALIDATORS, MIN_STAKE};

thread_local! {
	static STAKES: RefCell<BTreeMap<AccountId, u128>> = const { RefCell::new(BTreeMap::new()) };
	static KEYS: RefCell<BTreeSet<AccountId>> = const { RefCell::new(BTreeSet::new()) };
}

/// `who` has `stake` locked.
pub fn set_stake(who: AccountId, stake: u128) {
	STAKES.with(|s| s.borrow_mut().insert(who, stake));
}

/// `who` has session keys (or, with `false`, purged them).
pub fn set_keys(who: AccountId, has: bool) {
	KEYS.with(|k| {
		if has {
			k.borrow_mut().insert(who);
		} else {
			k.borrow_mut().remove(&who);
		}
	});
}

/// `who` stakes `stake` and sets session keys: ready to offer.
pub fn qualify(who: AccountId, stake: u128) {
	set_stake(who, stake);
	set_keys(who, true);
}

pub struct TableStakes;

impl StakeOf<AccountId> for TableStakes {
	fn locked_stake(staker: &AccountId) -> u128 {
		STAKES.with(|s| s.borrow().get(staker).copied().unwrap_or(0))
	}
}

pub struct TableKeys;

impl Contains<AccountId> for TableKeys {
	fn contains(who: &AccountId) -> bool {
		KEYS.with(|k| k.borrow().contains(who))
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for TableStakes {
	fn qualified(index: u32, stake: u128) -> AccountId {
		let who = 1_000_000 + index as AccountId;
		qualify(who, stake);
		who
	}
}

#[derive_impl(pallet_keymarket_validators::config_preludes::TestDefaultConfig)]
impl pallet_keymarket_validators::Config for Test {
	type Stakes = TableStakes;
	type SessionKeys = TableKeys;
	type InvulnerablesOrigin = EnsureRoot<AccountId>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TableStakes;
}

/// The genesis invulnerables of [`new_test_ext`], each with keys: five, so that candidates may
/// take two places (fewer than half as many).
pub const GENESIS: [AccountId; 5] = [1, 2, 3, 4, 5];

/// The genesis invulnerables and `candidates`, as a chosen set is: in account order.
pub fn set_of(candidates: &[AccountId]) -> Vec<AccountId> {
	let mut set: Vec<AccountId> = GENESIS.iter().chain(candidates).copied().collect();
	set.sort();
	set
}

/// A chain whose invulnerables are [`GENESIS`], at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	STAKES.with(|s| s.borrow_mut().clear());
	KEYS.with(|k| k.borrow_mut().clear());
	for who in GENESIS {
		set_keys(who, true);
	}
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		validators: pallet_keymarket_validators::GenesisConfig { invulnerables: GENESIS.to_vec() },
	}
	.build_storage()
	.expect("a genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` on [`new_test_ext`], then checks the invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Validators::do_try_state().expect("the invariants hold");
	});
}
