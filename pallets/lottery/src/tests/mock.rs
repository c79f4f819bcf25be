//! A minimal runtime for the lottery's tests: real balances and holds, accounts as on the wire
//! (`AccountId32`, so Bob's signatures are real sr25519), [`MockUrsulas`] as the staking pallet
//! (the clock from the block number, registered workers, their stakers), [`MockPolicies`] as
//! the policies pallet, [`MockOffences`] as the slashing pallet.

use core::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use keymarket_primitives::{
	lottery::{commitment_of, SignedTicket, Ticket, TicketPolicies, TicketTerms, TICKET_VERSION},
	policies::{PaidBy, ServiceLedger},
	registry::{RegisteredKeys, UrsulaRegistry},
	slashing::{Offence, OffenceError, ReportOffence, SlashId},
	staking::Stage,
	time::{Clock, Period, Round},
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage};

use crate as pallet_keymarket_lottery;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = AccountId32;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Lottery: pallet_keymarket_lottery,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type BlockWeights = MockBlockWeights;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

pub const BLOCKS_PER_ROUND: u32 = 5;
pub const ROUNDS_PER_PERIOD: u32 = 2;
pub const TICKET_ROUNDS: Round = 2;
pub const MAX_BATCH: u32 = 16;

parameter_types! {
	pub const BlocksPerRound: u32 = BLOCKS_PER_ROUND;
	pub const TicketRounds: Round = TICKET_ROUNDS;
	/// The block's limits (`frame_system`'s test default); a test lowers a transaction's to
	/// make a batch too heavy for one.
	pub static MockBlockWeights: frame_system::limits::BlockWeights = Default::default();
}

/// The mock's registry, policies and slashing.
#[derive(Default)]
pub struct Network {
	pub workers: BTreeSet<AccountId>,
	pub policies: BTreeMap<[u8; 16], TicketTerms<AccountId, Balance>>,
	/// What the lottery recorded as paid, per policy, in order.
	pub recorded: Vec<([u8; 16], AccountId, AccountId, Balance, PaidBy)>,
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
		Self::current_round() / ROUNDS_PER_PERIOD
	}
	fn current_round() -> Round {
		System::block_number() as Round / BLOCKS_PER_ROUND
	}
}

impl UrsulaRegistry<AccountId> for MockUrsulas {
	fn stage() -> Stage {
		Stage::FeesOnly
	}
	fn committed_to(worker: &AccountId, _: Period) -> bool {
		network(|n| n.workers.contains(worker))
	}
	fn staker_of(worker: &AccountId) -> Option<AccountId> {
		network(|n| n.workers.contains(worker)).then(|| staker_of(worker))
	}
	fn keys(worker: &AccountId) -> Option<RegisteredKeys> {
		network(|n| n.workers.contains(worker))
			.then_some(RegisteredKeys { umbral_key: [2; 33], signing_key: [0; 32] })
	}
}

/// A worker's staker: its account with the first byte flipped.
pub fn staker_of(worker: &AccountId) -> AccountId {
	let mut bytes: [u8; 32] = worker.clone().into();
	bytes[0] ^= 0xff;
	bytes.into()
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
		network(|n| n.recorded.push((*policy, worker.clone(), staker.clone(), amount, by)));
	}
}

impl TicketPolicies<AccountId, Balance> for MockPolicies {
	fn terms(id: &[u8; 16]) -> Option<TicketTerms<AccountId, Balance>> {
		network(|n| n.policies.get(id).cloned())
	}
	fn max_ursulas() -> u32 {
		8
	}
	fn ticket_policy_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(5_000, 0)
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
	fn refusal(_: OffenceError) -> sp_runtime::DispatchError {
		sp_runtime::DispatchError::Other("refused")
	}
}

impl pallet_keymarket_lottery::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Ursulas = MockUrsulas;
	type Policies = MockPolicies;
	type Offences = MockOffences;
	type BlocksPerRound = BlocksPerRound;
	type TicketRounds = TicketRounds;
	type MaxBatch = ConstU32<MAX_BATCH>;
	type WorkerKey = worker_key::WorkerAuthId;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::tests::MockBenchmarks;
}

/// The worker key of the runtime: the staking pallet's.
pub use pallet_keymarket_staking::crypto as worker_key;

keymarket_primitives::mock_worker_signing!(Test, RuntimeCall, AccountId);

/// The dev key `//name`, derived once per thread (a derivation from the dev phrase takes
/// milliseconds).
pub fn pair(name: &str) -> sr25519::Pair {
	thread_local! {
		static PAIRS: RefCell<BTreeMap<String, sr25519::Pair>> =
			const { RefCell::new(BTreeMap::new()) };
	}
	PAIRS.with(|pairs| {
		pairs
			.borrow_mut()
			.entry(name.to_string())
			.or_insert_with(|| {
				sr25519::Pair::from_string(&format!("//{name}"), None).expect("a dev seed")
			})
			.clone()
	})
}

pub fn account(name: &str) -> AccountId {
	pair(name).public().into()
}

/// The policy of the tests: Bob's, served by Ursulas `u0`, `u1`, `u2`.
pub const POLICY: [u8; 16] = [7; 16];
/// [`POLICY`]'s price of a request.
pub const PRICE: Balance = 100;
/// The payer's starting balance, and every staker's.
pub const RICH: Balance = 1_000_000;

pub fn ursula(i: u32) -> AccountId {
	account(&format!("u{i}"))
}

/// The hash the mock chain gives block `n`.
pub fn hash_of(n: u64) -> H256 {
	H256::from_low_u64_be(n + 1)
}

/// Moves to block `n`, recording every block's hash on the way.
pub fn go_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		frame_system::BlockHash::<Test>::insert(next, hash_of(next));
		System::set_block_number(next);
	}
}

/// Moves to the first block of `round` (and one block on, so that its hash is known).
pub fn go_to_round(round: Round) {
	go_to_block((round * BLOCKS_PER_ROUND) as u64 + 1);
}

/// The value an Ursula commits to in round `round` of the tests, and its commitment.
pub fn value(worker: u32, round: Round) -> [u8; 32] {
	let mut value = [0u8; 32];
	value[0] = worker as u8;
	value[1..5].copy_from_slice(&round.to_le_bytes());
	value
}

pub fn commitment(worker: u32, round: Round) -> [u8; 32] {
	commitment_of(&value(worker, round))
}

/// A ticket from the payer Alice under [`POLICY`] to Ursula `to`, against its commitment of
/// round `committed`, made in the current round and living `TICKET_ROUNDS`: certain to win,
/// face value 100, price-conforming.
pub fn ticket(to: u32, committed: Round, nonce: u64) -> Ticket<AccountId, Balance> {
	let now = MockUrsulas::current_round();
	Ticket {
		version: TICKET_VERSION,
		payer: account("Alice"),
		policy: POLICY,
		recipient: ursula(to),
		face_value: 100,
		win_probability: keymarket_primitives::lottery::CERTAIN,
		nonce,
		commitment: commitment(to, committed),
		created_round: now,
		created_hash: hash_of((now * BLOCKS_PER_ROUND) as u64).0,
		expires: now + TICKET_ROUNDS,
		request_hash: [nonce as u8; 32],
	}
}

/// `ticket` signed by `signer`.
pub fn signed(
	ticket: Ticket<AccountId, Balance>,
	signer: &str,
) -> SignedTicket<AccountId, Balance> {
	let signature = pair(signer).sign(&ticket.signing_payload()).0;
	SignedTicket { ticket, signature }
}

/// A network: Ursulas `u0..u3` registered with stakers, [`POLICY`] of Bob served by `u0..u2`,
/// Alice and Dave rich, the chain in round 1.
pub fn setup() {
	network(|n| {
		for i in 0..4 {
			n.workers.insert(ursula(i));
		}
		n.policies.insert(
			POLICY,
			TicketTerms {
				bob: account("Bob"),
				ursulas: (0..3).map(ursula).collect(),
				price: PRICE,
			},
		);
	});
	for who in
		[account("Alice"), account("Dave")].into_iter().chain((0..4).map(|i| staker_of(&ursula(i))))
	{
		let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, RICH);
	}
	go_to_round(1);
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| {
		NETWORK.with(|n| *n.borrow_mut() = Network::default());
		System::set_block_number(1);
	});
	ext
}

/// Runs `test` and then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Lottery::do_try_state().expect("the lottery invariants hold");
	});
}

/// All lottery events so far, oldest first.
pub fn lottery_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Lottery(event) => Some(event),
			_ => None,
		})
		.collect()
}
