//! A minimal runtime for the activity pallet's tests: accounts as on the wire (`AccountId32`,
//! so Bob's and the Ursula's signatures are real sr25519), [`MockUrsulas`] as the staking
//! pallet (the clock from the block number, the stage, keys, stakers), [`MockPolicies`] as the
//! policies pallet (the fixture's keys, a price, a rate, an escrow), [`MockOffences`] as the
//! slashing pallet.

use core::cell::RefCell;
use std::collections::BTreeMap;

use codec::Encode;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use keymarket_primitives::{
	activity::{claim_payload, in_tree_order, Committee, Committees, Leaf, Tree},
	policies::{
		fixture::{BOB_KEY, CAPSULE, CORRECT_CFRAG, POLICY_KEY, VERIFYING_KEY},
		ActivityPolicies, ActivityTerms, PaidBy, ReencryptionRequest, RequestBody, ServedRecord,
		ServiceLedger, ServiceWindow, SignedCfrag, WIRE_VERSION,
	},
	registry::{RegisteredKeys, UrsulaRegistry},
	slashing::{Offence, OffenceError, ReportOffence, SlashId},
	staking::Stage,
	time::{Clock, Period, Round},
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage};

use crate as pallet_keymarket_activity;
use crate::{BoundedOpening, Openings};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = AccountId32;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Activity: pallet_keymarket_activity,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
}

pub const BLOCKS_PER_PERIOD: u32 = 20;
pub const CHALLENGES: u32 = 4;
pub const BEACON_DELAY: u32 = 2;
pub const CLAIM_PERIODS: Period = 2;
pub const MAX_OMEGA: u32 = 1_000;
pub const POLICY: [u8; 16] = [7; 16];
pub const PRICE: Balance = 10;
pub const RATE: Balance = 1_000;
/// The claimed period; the chain starts in the next.
pub const SERVED: Period = 2;

parameter_types! {
	pub const Challenges: u32 = CHALLENGES;
}

/// The mock's registry, policies and slashing.
pub struct Network {
	pub stage: Stage,
	/// Registered workers and their signing keys.
	pub workers: BTreeMap<AccountId, [u8; 32]>,
	pub terms: BTreeMap<([u8; 16], AccountId), ActivityTerms<AccountId, Balance>>,
	pub escrow: Balance,
	pub paid: Vec<([u8; 16], AccountId, AccountId, Balance, PaidBy)>,
	pub reported: Vec<Offence<AccountId, Balance>>,
	/// Each round's committee, as the gateway pallet draws it.
	pub committees: BTreeMap<Round, Committee<AccountId>>,
}

thread_local! {
	static NETWORK: RefCell<Network> = RefCell::new(Network::new());
}

impl Network {
	fn new() -> Self {
		Self {
			stage: Stage::FeesOnly,
			workers: BTreeMap::new(),
			terms: BTreeMap::new(),
			escrow: 0,
			paid: Vec::new(),
			reported: Vec::new(),
			committees: BTreeMap::new(),
		}
	}
}

pub fn network<R>(f: impl FnOnce(&mut Network) -> R) -> R {
	NETWORK.with(|n| f(&mut n.borrow_mut()))
}

thread_local! {
	static PAIRS: RefCell<BTreeMap<String, sr25519::Pair>> = const { RefCell::new(BTreeMap::new()) };
}

/// A dev key pair (derived once per name and thread).
pub fn pair(name: &str) -> sr25519::Pair {
	PAIRS.with(|p| {
		p.borrow_mut()
			.entry(name.to_string())
			.or_insert_with(|| sr25519::Pair::from_string(&format!("//{name}"), None).unwrap())
			.clone()
	})
}

pub fn account(name: &str) -> AccountId {
	pair(name).public().into()
}

/// The worker: `Ursula`'s account, whose signing key is `Ursula-signing`'s.
pub fn worker() -> AccountId {
	account("Ursula")
}

pub fn staker() -> AccountId {
	account("Staker")
}

pub struct MockUrsulas;

impl Clock for MockUrsulas {
	fn current_period() -> Period {
		System::block_number() as u32 / BLOCKS_PER_PERIOD
	}
	fn current_round() -> Round {
		System::block_number() as u32 / BLOCKS_PER_PERIOD
	}
}

impl UrsulaRegistry<AccountId> for MockUrsulas {
	fn stage() -> Stage {
		network(|n| n.stage)
	}
	fn committed_to(_: &AccountId, _: Period) -> bool {
		true
	}
	fn staker_of(worker: &AccountId) -> Option<AccountId> {
		network(|n| n.workers.contains_key(worker)).then(staker)
	}
	fn keys(worker: &AccountId) -> Option<RegisteredKeys> {
		let signing_key = network(|n| n.workers.get(worker).copied())?;
		Some(RegisteredKeys { umbral_key: [2; 33], signing_key })
	}
}

pub struct MockPolicies;

impl ServiceLedger<AccountId, Balance> for MockPolicies {
	fn record_service(
		policy: &[u8; 16],
		worker: &AccountId,
		staker: &AccountId,
		amount: Balance,
		by: PaidBy,
	) {
		network(|n| n.paid.push((*policy, worker.clone(), staker.clone(), amount, by)));
	}
}

impl ActivityPolicies<AccountId, Balance> for MockPolicies {
	fn activity_terms(
		id: &[u8; 16],
		worker: &AccountId,
	) -> Option<ActivityTerms<AccountId, Balance>> {
		network(|n| n.terms.get(&(*id, worker.clone())).cloned())
	}
	fn pay_from_escrow(
		id: &[u8; 16],
		worker: &AccountId,
		staker: &AccountId,
		amount: Balance,
	) -> Balance {
		let paid = network(|n| {
			let paid = amount.min(n.escrow);
			n.escrow -= paid;
			paid
		});
		Self::record_service(id, worker, staker, paid, PaidBy::Activity);
		paid
	}
}

pub struct MockCommittees;

impl Committees<AccountId> for MockCommittees {
	fn committee(round: Round) -> Option<Committee<AccountId>> {
		network(|n| n.committees.get(&round).cloned())
	}
}

pub struct MockOffences;

impl ReportOffence<AccountId, Balance> for MockOffences {
	fn report(offence: Offence<AccountId, Balance>) -> Result<SlashId, OffenceError> {
		network(|n| {
			n.reported.push(offence);
			Ok(n.reported.len() as SlashId - 1)
		})
	}
	fn refusal(_: OffenceError) -> sp_runtime::DispatchError {
		sp_runtime::DispatchError::Other("refused")
	}
}

impl pallet_keymarket_activity::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type Ursulas = MockUrsulas;
	type Policies = MockPolicies;
	type Offences = MockOffences;
	type WorkerKey = pallet_keymarket_staking::crypto::WorkerAuthId;
	type Committees = MockCommittees;
	type SchemeOrigin = frame_system::EnsureRoot<AccountId>;
	type Challenges = Challenges;
	type BeaconDelay = ConstU32<BEACON_DELAY>;
	type ClaimPeriods = ConstU32<CLAIM_PERIODS>;
	type BlocksPerPeriod = ConstU32<BLOCKS_PER_PERIOD>;
	type MaxOmega = ConstU32<MAX_OMEGA>;
	type MaxRecordLen = ConstU32<{ 48 * 1024 }>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::MockBenchmarks;
}

keymarket_primitives::mock_worker_signing!(Test, RuntimeCall, AccountId);

/// Moves to block `number`, giving each block passed a hash (as block import does).
pub fn go_to_block(number: u64) {
	let from = System::block_number();
	for n in from..number {
		frame_system::BlockHash::<Test>::insert(
			n,
			H256::from(sp_crypto_hashing::blake2_256(&n.encode())),
		);
	}
	System::set_block_number(number);
}

/// The policy's terms for the worker: Bob, the fixture's keys, periods 0..100.
pub fn terms() -> ActivityTerms<AccountId, Balance> {
	ActivityTerms {
		bob: account("Bob"),
		bob_key: BOB_KEY,
		verifying_key: VERIFYING_KEY,
		policy_key: POLICY_KEY,
		window: ServiceWindow { start: 0, end: 100, revoked_at: None },
		price: PRICE,
		rate: RATE,
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		NETWORK.with(|n| *n.borrow_mut() = Network::new());
		let signing = pair("Ursula-signing").public().0;
		network(|n| {
			n.workers.insert(worker(), signing);
			n.terms.insert((POLICY, worker()), terms());
			n.escrow = 10_000;
		});
		System::set_block_number(1);
		go_to_block((SERVED as u64 + 1) * BLOCKS_PER_PERIOD as u64);
	});
	ext
}

/// [`new_test_ext`] with an off-chain worker's extensions: its storage, a transaction pool and
/// a keystore holding the worker's key; and what reads the pool's transactions, decoded.
pub fn offchain_ext() -> (sp_io::TestExternalities, impl Fn() -> Vec<Extrinsic>) {
	use sp_core::offchain::{
		testing::{TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
	};
	use sp_keystore::Keystore;
	let mut ext = new_test_ext();
	let (offchain, _) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	let keystore = sp_keystore::testing::MemoryKeystore::new();
	keystore
		.sr25519_generate_new(keymarket_primitives::staking::WORKER_KEY_TYPE, Some("//Ursula"))
		.unwrap();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(sp_keystore::KeystoreExt::new(keystore));
	let submitted = move || {
		use codec::Decode;
		let pool = pool_state.read();
		pool.transactions.iter().map(|bytes| Extrinsic::decode(&mut &bytes[..]).unwrap()).collect()
	};
	(ext, submitted)
}

/// [`new_test_ext`] with a keystore, for the benchmarks' keys.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut ext = new_test_ext();
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext
}

/// Runs a test and checks the pallet's invariants after it.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Activity::do_try_state().expect("the activity invariants hold");
	});
}

/// A record of Bob's request number `sequence` served by the worker in `period`, with a
/// correct fragment, signed by `signer` as Bob.
pub fn record_by(signer: &str, sequence: u64, period: Period) -> ServedRecord {
	let body = RequestBody {
		version: WIRE_VERSION,
		policy: POLICY,
		ursula: worker(),
		bob: account("Bob"),
		sequence,
		capsules: vec![CAPSULE.to_vec()],
	};
	let signature = pair(signer).sign(&body.signing_payload()).0;
	ServedRecord {
		version: WIRE_VERSION,
		request: ReencryptionRequest { body, signature, ticket: None },
		served_at: period,
		cfrags: vec![SignedCfrag { cfrag: CORRECT_CFRAG.to_vec(), signature: [0; 64] }],
	}
}

/// Bob's request `sequence`, served honestly in [`SERVED`].
pub fn record(sequence: u64) -> ServedRecord {
	record_by("Bob", sequence, SERVED)
}

/// A claim the worker builds from `records` in the given order (an honest one sorts them with
/// `in_tree_order`).
pub struct Built {
	pub tree: Tree,
	pub sorted: Vec<(Leaf, Vec<u8>)>,
}

/// The honest tree of `records`.
pub fn honest(records: &[ServedRecord]) -> Built {
	built(in_tree_order(records))
}

/// The tree of `sorted`, in that order (a cheater's may be anything).
pub fn built(sorted: Vec<(Leaf, Vec<u8>)>) -> Built {
	let leaves: Vec<Leaf> = sorted.iter().map(|(l, _)| *l).collect();
	Built { tree: Tree::build(&leaves), sorted }
}

/// The worker's signature of its claim.
pub fn signature(period: Period, omega: u32, root: &[u8; 32]) -> [u8; 64] {
	pair("Ursula-signing").sign(&claim_payload(&worker(), &POLICY, period, omega, root)).0
}

/// The worker claims `built` for [`SERVED`].
pub fn claim(built: &Built) -> sp_runtime::DispatchResult {
	let (omega, root) = (built.tree.omega(), built.tree.root());
	Activity::claim(
		RuntimeOrigin::signed(worker()),
		POLICY,
		SERVED,
		omega,
		root,
		signature(SERVED, omega, &root),
	)
}

/// The openings of the challenged leaves of `built`, after its beacon.
pub fn openings(built: &Built) -> Openings<Test> {
	let challenged = Activity::challenged(&worker(), POLICY, SERVED).expect("the beacon is drawn");
	let openings: Vec<_> = challenged
		.iter()
		.map(|i| {
			let o = keymarket_primitives::activity::open(&built.tree, &built.sorted, *i).unwrap();
			BoundedOpening {
				index: o.index,
				record: o.record.try_into().unwrap(),
				path: o.path.try_into().unwrap(),
				next: o.next.map(|(leaf, path)| (leaf, path.try_into().unwrap())),
			}
		})
		.collect();
	openings.try_into().unwrap()
}

/// Moves past the claim's beacon block.
pub fn after_beacon() {
	go_to_block(System::block_number() + BEACON_DELAY as u64 + 1);
}

/// The worker opens its claim.
pub fn open(
	openings: Openings<Test>,
) -> sp_runtime::DispatchResultWithInfo<frame_support::dispatch::PostDispatchInfo> {
	Activity::open(RuntimeOrigin::signed(worker()), POLICY, SERVED, openings)
}

/// All activity events so far, oldest first.
pub fn activity_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Activity(e) => Some(e),
			_ => None,
		})
		.collect()
}
