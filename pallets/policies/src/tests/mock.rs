//! A minimal runtime for the policies pallet's tests. [`MockUrsulas`] plays the staking pallet
//! (periods, stage, commitments, keys, sampling) from thread-local state; [`MockOffences`]
//! plays the slashing pallet and records what was reported.

use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types, traits::ConstU32, BoundedVec};
use keymarket_primitives::{
	market::Terms,
	policies::{EncryptedKeyFrag, WIRE_VERSION},
	registry::{RegisteredKeys, UrsulaRegistry},
	slashing::{Offence, OffenceError, ReportOffence, SlashId},
	staking::{Period, Stage},
	time::{Clock, Round},
};
use sp_core::{sr25519, Pair};
use sp_runtime::BuildStorage;
use std::collections::{BTreeMap, BTreeSet};

use crate as pallet_keymarket_policies;
use crate::*;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Policies: pallet_keymarket_policies,
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

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const POOR_ALICE: AccountId = 3;
/// Stakers 21..=24 run workers 11..=14 (worker + 10).
pub const URSULAS: [AccountId; 4] = [11, 12, 13, 14];
pub const INITIAL: Balance = 1_000_000;
pub use crate::config_preludes::{
	MAX_DELAY, MAX_PENDING, MAX_PERIODS, MAX_PER_URSULA, MAX_URSULAS, MIN_RATE, RETENTION,
};

parameter_types! {
	/// Zero unless a test prices places or records (tests of the fee rules stay exact).
	pub static PlaceFee: Balance = 0;
	pub static DepositBase: Balance = 0;
	pub static DepositPerUrsula: Balance = 0;
	/// Zero unless a test delays settlement.
	pub static SettleDelay: Period = 0;
}

#[derive(Default)]
pub struct Network {
	pub period: Period,
	pub stage: Stage,
	pub committed: BTreeSet<(AccountId, Period)>,
	pub keys: BTreeMap<AccountId, RegisteredKeys>,
	/// The terms of the Ursulas whose stakers set some.
	pub terms: BTreeMap<AccountId, Terms<u128>>,
	pub reported: Vec<Offence<AccountId, Balance>>,
	pub refuse_reports: Option<OffenceError>,
}

thread_local! {
	pub static NETWORK: RefCell<Network> = RefCell::new(Network::default());
}

pub fn network<R>(f: impl FnOnce(&mut Network) -> R) -> R {
	NETWORK.with(|n| f(&mut n.borrow_mut()))
}

pub struct MockUrsulas;

impl Clock for MockUrsulas {
	fn current_period() -> Period {
		network(|n| n.period)
	}
	fn current_round() -> Round {
		network(|n| n.period * 2)
	}
}

impl UrsulaRegistry<AccountId> for MockUrsulas {
	fn stage() -> Stage {
		network(|n| n.stage)
	}
	fn committed_to(worker: &AccountId, period: Period) -> bool {
		network(|n| n.committed.contains(&(*worker, period)))
	}
	fn staker_of(worker: &AccountId) -> Option<AccountId> {
		(11..=99).contains(worker).then(|| worker + 10)
	}
	fn keys(worker: &AccountId) -> Option<RegisteredKeys> {
		network(|n| n.keys.get(worker).copied())
	}
	fn terms(worker: &AccountId) -> Option<Terms<u128>> {
		network(|n| n.terms.get(worker).copied())
	}
}

pub struct MockOffences;

impl ReportOffence<AccountId, Balance> for MockOffences {
	fn report(offence: Offence<AccountId, Balance>) -> Result<SlashId, OffenceError> {
		network(|n| {
			if let Some(e) = n.refuse_reports {
				return Err(e);
			}
			n.reported.push(offence);
			Ok(n.reported.len() as SlashId - 1)
		})
	}

	/// The slashing pallet's error of the same name; here, the name alone.
	fn refusal(error: OffenceError) -> sp_runtime::DispatchError {
		sp_runtime::DispatchError::Other(match error {
			OffenceError::UnknownOffender => "UnknownOffender",
			OffenceError::Duplicate => "Duplicate",
			OffenceError::TooOld => "TooOld",
			OffenceError::InFuture => "InFuture",
			OffenceError::TooManyReporters => "TooManyReporters",
			OffenceError::QueueFull => "QueueFull",
			OffenceError::OffenderQueueFull => "OffenderQueueFull",
			OffenceError::NothingToSlash => "NothingToSlash",
		})
	}
}

/// The prelude's numbers; prices a test may move.
#[derive_impl(pallet_keymarket_policies::config_preludes::TestDefaultConfig)]
impl pallet_keymarket_policies::Config for Test {
	type Currency = Balances;
	type Ursulas = MockUrsulas;
	type Offences = MockOffences;
	type PlaceFee = PlaceFee;
	type DepositBase = DepositBase;
	type DepositPerUrsula = DepositPerUrsula;
	type SettleDelay = SettleDelay;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarks;
}

/// Benchmark set-up in the mock: worker `11 + i` of staker `21 + i`, committed now.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarks {
	fn active_ursula(index: u32, umbral_key: [u8; 33], signing_key: [u8; 32]) -> AccountId {
		let worker = 11 + index as AccountId;
		network(|n| {
			n.keys.insert(worker, RegisteredKeys { umbral_key, signing_key });
			n.committed.insert((worker, n.period));
			n.committed.insert((worker, n.period + 1));
		});
		worker
	}

	fn go_to_period(period: Period) {
		network(|n| n.period = period);
	}
}

/// The sr25519 key Ursula `worker` signs capsule fragments with.
pub fn signer(worker: AccountId) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[worker as u8; 32])
}

/// An Umbral key pair from a fixed seed.
pub fn umbral_secret(seed: u8) -> umbral_pre::SecretKey {
	umbral_pre::SecretKeyFactory::from_secure_randomness(&[seed; 32]).unwrap().make_key(b"test")
}

pub fn umbral_public(seed: u8) -> UmbralPublicKey {
	umbral_secret(seed).public_key().to_compressed_bytes().as_ref().try_into().unwrap()
}

/// A well-formed (if meaningless to the runtime) encrypted key fragment.
pub fn envelope() -> BoundedVec<u8, ConstU32<1024>> {
	let kfrag =
		EncryptedKeyFrag { version: WIRE_VERSION, capsule: vec![1; 105], ciphertext: vec![2; 300] };
	BoundedVec::truncate_from(codec::Encode::encode(&kfrag))
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let stakers = URSULAS.iter().map(|w| (w + 10, INITIAL));
	pallet_balances::GenesisConfig::<Test> {
		balances: [(ALICE, INITIAL), (BOB, INITIAL), (POOR_ALICE, 100)]
			.into_iter()
			.chain(stakers)
			.collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	// Statics a test may have moved start from their defaults.
	SettleDelay::set(0);
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		NETWORK.with(|n| *n.borrow_mut() = Network::default());
		network(|n| {
			n.period = 10;
			for (i, worker) in URSULAS.iter().enumerate() {
				n.keys.insert(
					*worker,
					RegisteredKeys {
						umbral_key: umbral_public(50 + i as u8),
						signing_key: signer(*worker).public().0,
					},
				);
				n.committed.insert((*worker, 10));
			}
		});
	});
	ext
}

/// The test externalities with a keystore, for the benchmarks' Ursula signatures.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut ext = new_test_ext();
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| network(|n| n.keys.clear()));
	ext
}

/// Runs `test`, then checks the pallet's invariants and that no token was made or lost.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		test();
		Policies::do_try_state().expect("the policies invariants hold");
		assert_eq!(Balances::total_issuance(), issuance, "fees only move");
	});
}

/// All policies events so far, oldest first.
pub fn policy_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Policies(e) => Some(e),
			_ => None,
		})
		.collect()
}
