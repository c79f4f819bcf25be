//! A minimal runtime for the gateway pallet's tests. Accounts are `AccountId32`, as on the wire,
//! so that Bob's and the gateways' signatures are real sr25519. [`MockUrsulas`] plays the staking
//! pallet (the clock from the block number, commitments, keys), [`MockPolicies`] the policies
//! pallet (one policy with real Umbral keys), [`MockOffences`] the slashing pallet.

use core::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use codec::Encode;
use frame_support::{derive_impl, traits::Hooks};
use keymarket_primitives::{
	gateway::{
		claim_signing_payload, ClaimKind, Complaint, ComplaintBody, SignerSet, UnavailabilityClaim,
	},
	policies::{
		AccusedPolicy, PolicyDirectory, PolicyId, ReencryptionRequest, RequestBody, ServiceWindow,
		WIRE_VERSION,
	},
	registry::{Commitment, OnCommitment, PeriodReward, RegisteredKeys, UrsulaRegistry},
	slashing::{Offence, OffenceError, ReportOffence, SlashId},
	staking::Stage,
	time::{Clock, Period, Round},
};
use sp_core::{sr25519, Pair};
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage};
use umbral_pre::DefaultSerialize;

use crate as pallet_keymarket_gateway;
pub use crate::config_preludes::{
	ANSWER_ROUNDS, BLOCKS_PER_ROUND, MAX_CASES, PROOF_ROUNDS, ROUNDS_PER_PERIOD, THRESHOLD,
};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = AccountId32;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Gateway: pallet_keymarket_gateway,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
}

/// The mock's registry, policies and slashing, in one place.
#[derive(Default)]
pub struct Network {
	pub committed: BTreeSet<(AccountId, Period)>,
	pub keys: BTreeMap<AccountId, RegisteredKeys>,
	pub policies: BTreeMap<PolicyId, (Vec<AccountId>, AccusedPolicy<AccountId>)>,
	pub reported: Vec<Offence<AccountId, Balance>>,
	pub refuse_reports: Option<OffenceError>,
	/// `(worker, period)` whose round fees were refunded.
	pub refunds: Vec<(AccountId, Period)>,
	/// `(staker, amount)` of inflation withheld.
	pub withheld: Vec<(AccountId, Balance)>,
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
		Stage::Inflation
	}
	fn committed_to(worker: &AccountId, period: Period) -> bool {
		network(|n| n.committed.contains(&(worker.clone(), period)))
	}
	fn staker_of(worker: &AccountId) -> Option<AccountId> {
		network(|n| n.keys.contains_key(worker)).then(|| staker_of(worker))
	}
	fn keys(worker: &AccountId) -> Option<RegisteredKeys> {
		network(|n| n.keys.get(worker).copied())
	}
}

/// A worker's staker: its account with the first byte flipped.
pub fn staker_of(worker: &AccountId) -> AccountId {
	let mut bytes: [u8; 32] = worker.clone().into();
	bytes[0] ^= 0xff;
	bytes.into()
}

/// Fees of one round, per policy served; inflation of one period, per staker.
pub const ROUND_FEE: Balance = 50;
pub const PERIOD_REWARD: Balance = 300;

pub struct MockPolicies;

impl PolicyDirectory<AccountId, Balance> for MockPolicies {
	fn accused_policy(id: &PolicyId, worker: &AccountId) -> Option<AccusedPolicy<AccountId>> {
		network(|n| {
			let (ursulas, policy) = n.policies.get(id)?;
			ursulas.contains(worker).then(|| policy.clone())
		})
	}
	fn round_fees(worker: &AccountId, _: Period, _: u32) -> Balance {
		network(|n| n.policies.values().filter(|(u, _)| u.contains(worker)).count() as Balance)
			* ROUND_FEE
	}
	fn refund_round(worker: &AccountId, _: &AccountId, period: Period, _: u32) -> Balance {
		network(|n| n.refunds.push((worker.clone(), period)));
		Self::round_fees(worker, period, ROUNDS_PER_PERIOD)
	}
	fn max_policies_per_ursula() -> u32 {
		4
	}
}

pub struct MockRewards;

impl PeriodReward<AccountId, Balance> for MockRewards {
	fn period_reward(_: &AccountId, _: Period) -> Balance {
		PERIOD_REWARD
	}
	fn withhold(staker: &AccountId, amount: Balance) {
		network(|n| n.withheld.push((staker.clone(), amount)));
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

/// The worker key of the runtime: the staking pallet's.
pub use pallet_keymarket_staking::crypto as worker_key;

keymarket_primitives::mock_worker_signing!(Test, RuntimeCall, AccountId);

/// The prelude's numbers: rounds of five blocks, two per period, five gateways, three
/// signatures.
#[derive_impl(pallet_keymarket_gateway::config_preludes::TestDefaultConfig)]
impl pallet_keymarket_gateway::Config for Test {
	type Ursulas = MockUrsulas;
	type Policies = MockPolicies;
	type Offences = MockOffences;
	type Rewards = MockRewards;
	type WorkerKey = worker_key::WorkerAuthId;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::tests::MockBenchmarks;
}

/// The sr25519 pair of test account `name` (`//name`).
pub fn pair(name: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{name}"), None).expect("a dev seed")
}

pub fn account(name: &str) -> AccountId {
	pair(name).public().into()
}

/// Ursulas `u0..u7`: registered with their own key as signing key.
pub const URSULAS: u32 = 8;

pub fn ursula(i: u32) -> AccountId {
	account(&format!("u{i}"))
}

/// `worker` commits to `period` with `stake`, as the staking pallet would tell it.
pub fn commit(worker: &AccountId, period: Period, stake: u128) {
	network(|n| n.committed.insert((worker.clone(), period)));
	<Gateway as OnCommitment<AccountId>>::on_commitment(&Commitment {
		worker: worker.clone(),
		staker: staker_of(worker),
		period,
		served: None,
		stage: Stage::Inflation,
		stake,
	});
}

/// The Umbral side of a policy: Alice's keys, Bob's, a capsule and a correct fragment of it.
pub struct Umbral {
	pub keys: AccusedPolicy<AccountId>,
	pub capsule: Vec<u8>,
	pub cfrag: Vec<u8>,
	pub wrong_cfrag: Vec<u8>,
}

pub fn umbral(bob: &AccountId) -> Umbral {
	let delegating = umbral_pre::SecretKey::random();
	let signer = umbral_pre::Signer::new(umbral_pre::SecretKey::random());
	let receiving = umbral_pre::SecretKey::random();
	let kfrags = umbral_pre::generate_kfrags(
		&delegating,
		&receiving.public_key(),
		&signer,
		1,
		1,
		true,
		true,
	);
	let (capsule, _) = umbral_pre::encrypt(&delegating.public_key(), b"plaintext").unwrap();
	let (other, _) = umbral_pre::encrypt(&delegating.public_key(), b"another").unwrap();
	let cfrag = umbral_pre::reencrypt(&capsule, kfrags[0].clone());
	let wrong = umbral_pre::reencrypt(&other, kfrags[0].clone());
	let key = |k: umbral_pre::PublicKey| -> [u8; 33] {
		k.to_compressed_bytes().as_ref().try_into().unwrap()
	};
	Umbral {
		keys: AccusedPolicy {
			bob: bob.clone(),
			bob_key: key(receiving.public_key()),
			verifying_key: key(signer.verifying_key()),
			policy_key: key(delegating.public_key()),
			window: ServiceWindow { start: 0, end: 100, revoked_at: None },
		},
		capsule: capsule.to_bytes().unwrap().into_vec(),
		cfrag: cfrag.to_bytes().unwrap().into_vec(),
		wrong_cfrag: wrong.to_bytes().unwrap().into_vec(),
	}
}

pub const POLICY: PolicyId = [7; 16];

/// A network: Ursulas 0..8 registered and committed to periods 0..=3 with stakes 100, 200, ...,
/// policy [`POLICY`] served by Ursulas 0..3 for Bob, and the chain at round 2 (its gateways
/// drawn). Returns the policy's Umbral side.
pub fn setup() -> Umbral {
	let bob = account("Bob");
	let umbral = umbral(&bob);
	network(|n| {
		for i in 0..URSULAS {
			let worker = ursula(i);
			let signing_key = pair(&format!("u{i}")).public().0;
			n.keys.insert(worker, RegisteredKeys { umbral_key: [2; 33], signing_key });
		}
		n.policies.insert(POLICY, ((0..3).map(ursula).collect(), umbral.keys.clone()));
	});
	for period in 0..=3 {
		for i in 0..URSULAS {
			commit(&ursula(i), period, 100 * (i as u128 + 1));
		}
	}
	go_to_round(2);
	// Two blocks into the round: the gateways' deadline (its first block) has passed.
	advance(2);
	umbral
}

/// Runs the hooks of every block up to the first block of `round`.
pub fn go_to_round(round: Round) {
	let target = (round * BLOCKS_PER_ROUND) as u64;
	while System::block_number() < target {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Gateway::on_initialize(next);
	}
}

/// Moves `blocks` blocks on, running the hooks.
pub fn advance(blocks: u64) {
	for _ in 0..blocks {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Gateway::on_initialize(next);
	}
}

/// Bob's request to `ursula` under [`POLICY`] for `capsules`, signed by Bob.
pub fn request(ursula: &AccountId, capsules: Vec<Vec<u8>>, sequence: u64) -> Vec<u8> {
	let body = RequestBody {
		version: WIRE_VERSION,
		policy: POLICY,
		ursula: ursula.clone(),
		bob: account("Bob"),
		sequence,
		capsules,
	};
	let signature = pair("Bob").sign(&body.signing_payload()).0;
	ReencryptionRequest { body, signature, ticket: None }.encode()
}

/// A proof that `accused` was silent on `request` in the current round, signed by the gateways
/// at `signers` (indices in the round's list), each with its own key.
pub fn proof(
	accused: &AccountId,
	request: &[u8],
	signers: &[u32],
) -> (UnavailabilityClaim<AccountId>, SignerSet, Vec<[u8; 64]>) {
	let round = MockUrsulas::current_round();
	let claim = UnavailabilityClaim {
		ursula: accused.clone(),
		policy: POLICY,
		request_hash: sp_crypto_hashing::blake2_256(request),
		round,
		deadline: round * BLOCKS_PER_ROUND,
		kind: ClaimKind::Serve,
	};
	sign_claim(claim, signers)
}

/// Bob's complaint to `gateway` of `round` about `message` (a request, or for `Mediate` his
/// complaint to a silent gateway), its work done for the prelude's difficulty.
pub fn complaint(round: Round, gateway: &AccountId, kind: ClaimKind, message: Vec<u8>) -> Vec<u8> {
	let body = ComplaintBody::worked(
		round,
		gateway.clone(),
		kind,
		message,
		[round as u8; 16],
		crate::config_preludes::DIFFICULTY,
	);
	let signature = pair("Bob").sign(&body.signing_payload()).0;
	Complaint { body, signature }.encode()
}

/// A proof that the gateway `silent` of the current round did not mediate `complaint` (Bob's
/// complaint to it), signed by the gateways of the round before at `signers`.
pub fn mediation_proof(
	silent: &AccountId,
	complaint: &[u8],
	signers: &[u32],
) -> (UnavailabilityClaim<AccountId>, SignerSet, Vec<[u8; 64]>) {
	let round = MockUrsulas::current_round() - 1;
	let claim = UnavailabilityClaim {
		ursula: silent.clone(),
		policy: POLICY,
		request_hash: sp_crypto_hashing::blake2_256(complaint),
		round,
		deadline: (round + 1) * BLOCKS_PER_ROUND,
		kind: ClaimKind::Mediate,
	};
	sign_claim(claim, signers)
}

/// `claim` signed by the gateways of its round at `signers`, each with its own key.
pub fn sign_claim(
	claim: UnavailabilityClaim<AccountId>,
	signers: &[u32],
) -> (UnavailabilityClaim<AccountId>, SignerSet, Vec<[u8; 64]>) {
	let gateways = crate::Rounds::<Test>::get(claim.round).expect("the round began").gateways;
	let set = SignerSet::of(signers);
	let payload = claim_signing_payload(&claim);
	let signatures = set
		.indices()
		.map(|i| {
			let worker = &gateways[i as usize].worker;
			let index = (0..URSULAS).find(|u| &ursula(*u) == worker).expect("a mock Ursula");
			pair(&format!("u{index}")).sign(&payload).0
		})
		.collect();
	(claim, set, signatures)
}

/// The indices of the current round's gateways other than `accused`.
pub fn other_gateways(accused: &AccountId) -> Vec<u32> {
	gateways_of(MockUrsulas::current_round(), accused)
}

/// The indices of `round`'s gateways other than `accused`.
pub fn gateways_of(round: Round, accused: &AccountId) -> Vec<u32> {
	crate::Rounds::<Test>::get(round)
		.expect("the round began")
		.gateways
		.iter()
		.enumerate()
		.filter(|(_, g)| &g.worker != accused)
		.map(|(i, _)| i as u32)
		.collect()
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
		Gateway::do_try_state().expect("the gateway invariants hold");
	});
}

/// All gateway events so far, oldest first.
pub fn gateway_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Gateway(event) => Some(event),
			_ => None,
		})
		.collect()
}
