//! A minimal runtime for the staking pallet's tests: system, balances and staking, with periods
//! of ten blocks.

use frame_support::{derive_impl, weights::Weight};
use frame_system::EnsureRoot;
use keymarket_primitives::{
	registry::{Commitment, OnCommitment},
	time::{OnPeriodStart, Period},
};
use sp_runtime::{
	testing::{TestSignature, UintAuthorityId},
	BuildStorage,
};

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

pub use crate::config_preludes::{
	ACCOUNTABILITY, BLOCKS_PER_PERIOD, MAX_STAKE, MIN_STAKE, REWARD_HISTORY, SUPPLY_CAP,
};

thread_local! {
	/// The periods whose start the clock announced, in order.
	pub static PERIOD_STARTS: core::cell::RefCell<Vec<Period>> = Default::default();
	/// The commitments the hook was told of, in order.
	pub static COMMITMENTS: core::cell::RefCell<Vec<Commitment<AccountId>>> = Default::default();
}

/// Records every period start it is told of.
pub struct RecordPeriodStarts;

impl OnPeriodStart for RecordPeriodStarts {
	fn on_period_start(period: Period) -> Weight {
		PERIOD_STARTS.with(|p| p.borrow_mut().push(period));
		Weight::from_parts(7, 0)
	}
}

/// Records every commitment it is told of.
pub struct RecordCommitments;

impl OnCommitment<AccountId> for RecordCommitments {
	fn on_commitment(commitment: &Commitment<AccountId>) -> Weight {
		COMMITMENTS.with(|c| c.borrow_mut().push(commitment.clone()));
		Weight::zero()
	}
	fn max_weight() -> Weight {
		Weight::zero()
	}
}
/// The mock's worker key: `UintAuthorityId`s "sign" with `TestSignature`s.
pub struct MockWorkerKey;

impl frame_system::offchain::AppCrypto<UintAuthorityId, TestSignature> for MockWorkerKey {
	type RuntimeAppPublic = UintAuthorityId;
	type GenericPublic = UintAuthorityId;
	type GenericSignature = TestSignature;
}

pub type Extrinsic =
	sp_runtime::generic::UncheckedExtrinsic<AccountId, RuntimeCall, TestSignature, ()>;

impl frame_system::offchain::SigningTypes for Test {
	type Public = UintAuthorityId;
	type Signature = TestSignature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extension = ();
	fn create_transaction(call: RuntimeCall, extension: ()) -> Extrinsic {
		Extrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateSignedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	/// Signs the call's encoding with the mock key, as the runtime signs its payload.
	fn create_signed_transaction<
		K: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		public: UintAuthorityId,
		account: AccountId,
		_nonce: <Test as frame_system::Config>::Nonce,
	) -> Option<Extrinsic> {
		use codec::Encode;
		let signature = call.using_encoded(|payload| K::sign(payload, public))?;
		Some(Extrinsic::new_signed(call, account, signature, ()))
	}
}

/// The prelude's numbers; the mock's own recorders, key and currency.
#[derive_impl(pallet_keymarket_staking::config_preludes::TestDefaultConfig)]
impl pallet_keymarket_staking::Config for Test {
	type Currency = Balances;
	type OnPeriodStart = RecordPeriodStarts;
	type WorkerKey = MockWorkerKey;
	type StageOrigin = EnsureRoot<AccountId>;
	type OnCommitment = RecordCommitments;
}

/// Stakers 1..=4 hold 20,000 each; worker accounts (10+) hold nothing.
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const URSULA_A: AccountId = 11;
pub const URSULA_B: AccountId = 12;
pub const INITIAL: Balance = 20_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	ext_with_reserve(0)
}

/// Account 5 (`RESERVE`) starts with `reserve` more: a way to start near the supply cap.
pub const RESERVE: AccountId = 5;

pub fn ext_with_reserve(reserve: Balance) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<_> = (1..=4).map(|who| (who, INITIAL)).collect();
	if reserve > 0 {
		balances.push((RESERVE, reserve));
	}
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	crate::GenesisConfig::<Test>::default().assimilate_storage(&mut storage).unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	// Registrations prove keys: the benchmarks make theirs in this keystore.
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` and then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	run_in(new_test_ext(), test)
}

/// Runs `test` in `ext` and then checks the pallet's invariants.
pub fn run_in(mut ext: sp_io::TestExternalities, test: impl FnOnce()) {
	ext.execute_with(|| {
		test();
		Staking::do_try_state().expect("the staking invariants hold");
	});
}

/// All staking events so far, oldest first.
pub fn staking_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Staking(event) => Some(event),
			_ => None,
		})
		.collect()
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

/// A worker's keys and its proofs of possession, made from `seed`.
pub fn keys_of(worker: AccountId, seed: &str) -> ([u8; 33], [u8; 32], [u8; 65], [u8; 64]) {
	use sp_core::Pair;
	let umbral = sp_core::ecdsa::Pair::from_string(&format!("//{seed}//umbral"), None).unwrap();
	let signing = sp_core::sr25519::Pair::from_string(&format!("//{seed}"), None).unwrap();
	let (umbral_key, signing_key) = (umbral.public().0, signing.public().0);
	let payload =
		keymarket_primitives::staking::registration_payload(&worker, &umbral_key, &signing_key);
	(umbral_key, signing_key, umbral.sign(&payload).0, signing.sign(&payload).0)
}

/// `worker` registers `endpoint` with its keys from `seed`, proven.
pub fn register(worker: AccountId, endpoint: &[u8], seed: &str) -> sp_runtime::DispatchResult {
	let (umbral_key, signing_key, umbral_proof, signing_proof) = keys_of(worker, seed);
	Staking::register_worker(
		RuntimeOrigin::signed(worker),
		endpoint.to_vec(),
		umbral_key,
		signing_key,
		umbral_proof,
		signing_proof,
	)
}

/// `staker` locks 1,000 for 10 periods and bonds `worker`, which registers.
pub fn staked_and_registered(staker: AccountId, worker: AccountId) {
	use frame_support::assert_ok;
	assert_ok!(Staking::stake(RuntimeOrigin::signed(staker), 1_000, 10));
	assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(staker), Some(worker)));
	assert_ok!(register(worker, b"https://127.0.0.1:9151", "Ursula"));
}
