//! The real staking, policies and slashing pallets together, in the real runtime, driven through
//! random sequences of calls (stakes, workers, commitments, grants, revocations, clean-ups,
//! withdrawals, reports of signed wrong fragments, cancellations). After every block every
//! invariant is checked: each pallet's own `try_state`, and what only events can show — fee
//! holds equal fees earned minus withdrawn, escrow + paid + refunded equals `rate · N · periods`
//! for every policy, a period's mint is at most `Imax`, and what slashes took equals what they
//! rewarded plus what they burned. Then everyone leaves, and the long windows (evidence,
//! retention, locks) pass period by period, until every stake is withdrawn and every record
//! removed.
//!
//! Beside those scripted calls, a fuzzer in the spirit of the substrate-runtime-fuzzer sends
//! calls of every pallet with every argument generated from the runtime's own type information
//! (`scale-info`): random variants, numbers from the edges (0, 1, the maximum, balances in
//! tokens), lengths around the bounds, accounts and policy ids that exist beside random ones,
//! from funded, unfunded and no origins. Each is dispatched as a transaction's call would be
//! (the call filter applies); no dispatch may panic nor use more weight than it declared, and
//! every invariant above, every pallet's `try_state`, and the balances' total (every account's
//! free and reserved sum to the issuance) must hold after every block. `KEYMARKET_FUZZ_BLOCKS`
//! and `KEYMARKET_FUZZ_SEED` run it longer (docs/security.md gives the command and the figure).

use std::collections::BTreeMap;

use frame_support::{
	traits::{fungible::InspectHold, Get},
	weights::Weight,
	BoundedVec,
};
use keymarket_primitives::{
	policies::{cfrag_signing_payload, CfragEvidence, EncryptedKeyFrag, PolicyId, WIRE_VERSION},
	staking::{registration_payload, Period},
};
use keymarket_runtime::{
	AccountId, Activity, Balance, BalancesConfig, Gateway, Lottery, Policies, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeGenesisConfig, RuntimeHoldReason, RuntimeOrigin, Slashing, Staking,
	System, Validators, MILLI_UNITS, UNITS,
};
use pallet_keymarket_policies::{HoldReason as PolicyHold, PolicyGrant};
use sp_core::{crypto::Pair as _, ecdsa, sr25519};
use sp_runtime::{traits::Dispatchable, BuildStorage};

/// A small deterministic generator (xorshift64*): each seed replays the same run.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
	}

	fn below(&mut self, n: usize) -> usize {
		(self.next() % n.max(1) as u64) as usize
	}

	fn chance(&mut self, one_in: usize) -> bool {
		self.below(one_in) == 0
	}
}

fn pair(seed: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{seed}"), None).expect("a seed")
}

/// What the run has seen in events: the facts storage alone does not keep.
#[derive(Default)]
struct Ledger {
	/// Per staker: fees and place fees earned minus withdrawn.
	earned: BTreeMap<AccountId, Balance>,
	/// Per policy: what was refunded to its owner.
	refunded: BTreeMap<PolicyId, Balance>,
	/// Per period: what inflation minted for it.
	minted: BTreeMap<Period, Balance>,
	/// Slashes: what they took minus what they rewarded (what must have been burned).
	slashed_burn: Balance,
	/// How often each thing happened, so that a run that did nothing fails.
	seen: BTreeMap<&'static str, u32>,
	/// Generated calls per pallet: made, decoded (within every bound), dispatched without
	/// error.
	fuzzed: BTreeMap<&'static str, Fuzzed>,
}

struct World {
	rng: Rng,
	users: Vec<AccountId>,
	workers: Vec<(AccountId, sr25519::Pair)>,
	/// The fuzzer's own funded accounts: generated calls are signed by these (the users'
	/// stakes must all come back at the end, which a generated 10,000-period lock would
	/// forbid), and name anyone.
	fuzzers: Vec<AccountId>,
	policies: Vec<PolicyId>,
	next_policy: u64,
	ledger: Ledger,
	burned_before: Balance,
	fuzz: fuzz::CallGen,
}

fn dispatch(call: RuntimeCall, origin: RuntimeOrigin) -> bool {
	call.dispatch(origin).is_ok()
}

impl World {
	fn new(seed: u64) -> Self {
		Self {
			rng: Rng(seed.max(1)),
			users: (0..6).map(|i| pair(&format!("user{i}")).public().into()).collect(),
			workers: (0..5)
				.map(|i| {
					let p = pair(&format!("worker{i}"));
					(p.public().into(), p)
				})
				.collect(),
			fuzzers: (0..4).map(|i| pair(&format!("fuzzer{i}")).public().into()).collect(),
			policies: Vec::new(),
			next_policy: 0,
			ledger: Ledger::default(),
			burned_before: 0,
			fuzz: fuzz::CallGen::new(),
		}
	}

	fn user(&mut self) -> AccountId {
		let i = self.rng.below(self.users.len());
		self.users[i].clone()
	}

	fn worker(&mut self) -> (AccountId, sr25519::Pair) {
		let i = self.rng.below(self.workers.len());
		self.workers[i].clone()
	}

	fn register(worker: &AccountId, signer: &sr25519::Pair) -> bool {
		let umbral = ecdsa::Pair::from_seed(&sp_io::hashing::blake2_256(&signer.public().0));
		let (umbral_key, signing_key) = (umbral.public().0, signer.public().0);
		let payload = registration_payload(worker, &umbral_key, &signing_key);
		dispatch(
			RuntimeCall::Staking(pallet_keymarket_staking::Call::register_worker {
				endpoint: b"http://127.0.0.1:9151".to_vec(),
				umbral_key,
				signing_key,
				umbral_proof: umbral.sign(&payload).0,
				signing_proof: signer.sign(&payload).0,
			}),
			RuntimeOrigin::signed(worker.clone()),
		)
	}

	/// One random action by a random party.
	fn act(&mut self) {
		use pallet_keymarket_policies::Call as P;
		use pallet_keymarket_staking::Call as S;
		let now = Staking::current_period();
		let who = self.user();
		let signed = RuntimeOrigin::signed(who.clone());
		match self.rng.below(14) {
			0 | 1 => {
				let value = (1_000 + self.rng.below(2_000) as Balance) * UNITS;
				let periods = 60 + self.rng.below(140) as u32;
				dispatch(RuntimeCall::Staking(S::stake { value, periods }), signed);
			},
			2 => {
				let enabled = self.rng.chance(2);
				dispatch(RuntimeCall::Staking(S::set_wind_down { enabled }), signed);
			},
			3 => {
				let value = (1 + self.rng.below(3_000) as Balance) * UNITS;
				dispatch(RuntimeCall::Staking(S::withdraw { value }), signed);
			},
			4 => {
				let worker = if self.rng.chance(4) { None } else { Some(self.worker()) };
				let bonded = dispatch(
					RuntimeCall::Staking(S::bond_worker { worker: worker.clone().map(|w| w.0) }),
					signed,
				);
				if let (true, Some((account, signer))) = (bonded, worker) {
					Self::register(&account, &signer);
				}
			},
			5 => {
				let enabled = self.rng.chance(2);
				dispatch(RuntimeCall::Staking(S::set_restake { enabled }), signed);
			},
			6 | 7 => {
				let n = 1 + self.rng.below(3);
				let mut named: Vec<AccountId> = Vec::new();
				for _ in 0..n {
					let (worker, _) = self.worker();
					if !named.contains(&worker) {
						named.push(worker);
					}
				}
				self.next_policy += 1;
				let mut id = [0u8; 16];
				id[..8].copy_from_slice(&self.next_policy.to_le_bytes());
				let start = now + self.rng.below(3) as u32;
				let key = |seed: u8| {
					let p = ecdsa::Pair::from_seed(&[seed; 32]);
					p.public().0
				};
				let grant = PolicyGrant {
					bob: self.user(),
					bob_key: key(1),
					verifying_key: key(2),
					policy_key: key(3),
					threshold: 1,
					start,
					end: start + 1 + self.rng.below(8) as u32,
					rate: (1 + self.rng.below(5) as Balance) * MILLI_UNITS,
					price: self.rng.below(3) as Balance * MILLI_UNITS,
				};
				let envelope: BoundedVec<u8, _> =
					BoundedVec::truncate_from(codec::Encode::encode(&EncryptedKeyFrag {
						version: WIRE_VERSION,
						capsule: vec![1; 105],
						ciphertext: vec![2; 300],
					}));
				let kfrags = vec![envelope; named.len()];
				if dispatch(
					RuntimeCall::Policies(P::create_policy {
						id,
						grant,
						ursulas: BoundedVec::truncate_from(named),
						kfrags: BoundedVec::truncate_from(kfrags),
					}),
					signed,
				) {
					self.policies.push(id);
				}
			},
			8 => {
				if let Some(id) = self.policy() {
					let owner = Policies::policy_view(id).map(|v| v.owner);
					if let Some(owner) = owner.filter(|_| self.rng.chance(2)) {
						dispatch(
							RuntimeCall::Policies(P::revoke_policy { id }),
							RuntimeOrigin::signed(owner),
						);
					}
				}
			},
			9 => {
				if let Some(id) = self.policy() {
					dispatch(RuntimeCall::Policies(P::clean_up_policy { id }), signed);
				}
			},
			10 => {
				dispatch(RuntimeCall::Policies(P::withdraw_fees {}), signed);
			},
			11 => self.report_a_wrong_fragment(who, now),
			12 => {
				let pending = Slashing::pending_slashes(None);
				if !pending.is_empty() && self.rng.chance(3) {
					let id = pending[self.rng.below(pending.len())].id;
					dispatch(
						RuntimeCall::Slashing(pallet_keymarket_slashing::Call::cancel_slash { id }),
						RuntimeOrigin::root(),
					);
				}
			},
			_ => {
				dispatch(RuntimeCall::Staking(S::mint {}), signed);
			},
		}
	}

	fn policy(&mut self) -> Option<PolicyId> {
		(!self.policies.is_empty()).then(|| self.policies[self.rng.below(self.policies.len())])
	}

	/// An Ursula of a random policy signs garbage as a fragment; a random user reports it (some
	/// reports forge the signature and must be refused).
	fn report_a_wrong_fragment(&mut self, reporter: AccountId, now: Period) {
		let Some(id) = self.policy() else { return };
		let Some(view) = Policies::policy_view(id) else { return };
		let worker = view.ursulas[self.rng.below(view.ursulas.len())].clone();
		let Some((_, signer)) = self.workers.iter().find(|(w, _)| *w == worker).cloned() else {
			return;
		};
		// A real capsule (the runtime refuses to judge bytes that are none).
		let capsule = pallet_keymarket_policies::fixture::CAPSULE.to_vec();
		let cfrag: Vec<u8> = (0..8).map(|_| self.rng.next() as u8).collect();
		let forged = self.rng.chance(5);
		let signer = if forged { pair("forger") } else { signer };
		let payload = cfrag_signing_payload(&id, &worker, now, &capsule, &cfrag);
		let evidence = CfragEvidence {
			policy: id,
			served_at: now,
			capsule: BoundedVec::truncate_from(capsule),
			cfrag: BoundedVec::truncate_from(cfrag),
			signature: signer.sign(&payload).0,
		};
		let accepted = dispatch(
			RuntimeCall::Policies(pallet_keymarket_policies::Call::report_incorrect_cfrag {
				worker,
				evidence,
			}),
			RuntimeOrigin::signed(reporter),
		);
		assert!(!(forged && accepted), "a forged fragment was accepted as evidence");
	}

	/// Every worker commits to the next period now and then.
	fn commitments(&mut self) {
		for (worker, _) in self.workers.clone() {
			if self.rng.chance(3) {
				dispatch(
					RuntimeCall::Staking(pallet_keymarket_staking::Call::commit_to_next_period {}),
					RuntimeOrigin::signed(worker),
				);
			}
		}
	}

	/// Reads the block's events into the ledger.
	fn record(&mut self) {
		let ledger = &mut self.ledger;
		for record in System::events() {
			let name = match record.event {
				RuntimeEvent::Policies(pallet_keymarket_policies::Event::FeePaid {
					staker,
					fee,
					..
				})
				| RuntimeEvent::Policies(pallet_keymarket_policies::Event::PlaceFeePaid {
					staker,
					fee,
					..
				}) => {
					*ledger.earned.entry(staker).or_default() += fee;
					"fee paid"
				},
				RuntimeEvent::Policies(pallet_keymarket_policies::Event::FeesWithdrawn {
					staker,
					amount,
				}) => {
					let earned = ledger.earned.entry(staker).or_default();
					*earned = earned.checked_sub(amount).expect("withdrew more than earned");
					"fees withdrawn"
				},
				RuntimeEvent::Policies(pallet_keymarket_policies::Event::PolicyRevoked {
					policy,
					refund,
					..
				}) => {
					*ledger.refunded.entry(policy).or_default() += refund;
					"policy revoked"
				},
				RuntimeEvent::Policies(pallet_keymarket_policies::Event::PolicyEnded {
					policy,
					refund,
					..
				}) => {
					*ledger.refunded.entry(policy).or_default() += refund;
					"policy ended"
				},
				RuntimeEvent::Policies(pallet_keymarket_policies::Event::PolicyRemoved {
					..
				}) => "policy removed",
				RuntimeEvent::Staking(pallet_keymarket_staking::Event::RewardMinted {
					period,
					value,
					..
				}) => {
					*ledger.minted.entry(period).or_default() += value;
					"reward minted"
				},
				RuntimeEvent::Staking(pallet_keymarket_staking::Event::Slashed {
					taken,
					rewarded,
					..
				}) => {
					ledger.slashed_burn += taken - rewarded;
					"stake slashed"
				},
				// An account reaped below the existential deposit: its dust is burned (there is
				// no block author here to take it).
				RuntimeEvent::Balances(pallet_balances::Event::DustLost { amount, .. }) => {
					ledger.slashed_burn += amount;
					"dust lost"
				},
				RuntimeEvent::Slashing(pallet_keymarket_slashing::Event::SlashCancelled {
					..
				}) => "slash cancelled",
				RuntimeEvent::Staking(pallet_keymarket_staking::Event::Withdrawn { .. }) => {
					"withdrawn"
				},
				RuntimeEvent::Staking(pallet_keymarket_staking::Event::StakerRemoved {
					..
				}) => "staker removed",
				RuntimeEvent::Slashing(pallet_keymarket_slashing::Event::OffenceReported {
					..
				}) => "offence reported",
				_ => continue,
			};
			*ledger.seen.entry(name).or_default() += 1;
		}
	}

	/// Every invariant, after a block.
	fn check(&self) {
		Staking::do_try_state().expect("the staking invariants hold");
		Policies::do_try_state().expect("the policies invariants hold");
		Slashing::do_try_state().expect("the slashing invariants hold");
		Gateway::do_try_state().expect("the gateway invariants hold");
		Lottery::do_try_state().expect("the lottery invariants hold");
		Activity::do_try_state().expect("the activity invariants hold");
		Validators::do_try_state().expect("the validators invariants hold");
		// Every account's free and reserved balance (holds included) sum to the issuance.
		let total: Balance = frame_system::Account::<Runtime>::iter()
			.map(|(_, info)| info.data.free + info.data.reserved)
			.sum();
		assert_eq!(total, pallet_balances::TotalIssuance::<Runtime>::get(), "issuance is off");

		// Fee holds equal fees earned minus withdrawn.
		let fees: RuntimeHoldReason = PolicyHold::Fees.into();
		let workers = self.workers.iter().map(|(w, _)| w);
		for who in self.users.iter().chain(workers).chain(&self.fuzzers) {
			let held = pallet_balances::Pallet::<Runtime>::balance_on_hold(&fees, who);
			let earned = self.ledger.earned.get(who).copied().unwrap_or_default();
			assert_eq!(held, earned, "the fee hold of {who} is not what it earned and kept");
		}
		// Escrow + paid + refunded is the whole fee, live or settled: every policy, the
		// fuzzer's too.
		for (id, policy) in pallet_keymarket_policies::Policies::<Runtime>::iter() {
			let id = &id;
			let periods = (policy.grant.end - policy.grant.start) as Balance;
			let whole = policy.grant.rate * policy.ursulas.len() as Balance * periods;
			let refunded = self.ledger.refunded.get(id).copied().unwrap_or_default();
			assert_eq!(policy.escrow + policy.paid + refunded, whole, "policy {id:?} lost fees");
		}
		// A period's mint is at most Imax.
		let imax = <Runtime as pallet_keymarket_staking::Config>::MaxIssuancePerPeriod::get();
		for (period, minted) in &self.ledger.minted {
			assert!(*minted <= imax, "period {period} minted {minted} > Imax");
		}
		// What slashes took is what they rewarded plus what they burned, and dust reaped with
		// an account (no transaction fees here; no block author to take the dust).
		let burned = pallet_keymarket_staking::Issuance::<Runtime>::get().burned;
		assert_eq!(burned - self.burned_before, self.ledger.slashed_burn, "slashes burned more");
	}
}

fn hex_of(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Generated calls per block, beside the four scripted ones.
const FUZZ_PER_BLOCK: usize = 12;

impl World {
	/// One generated call from a random origin: it must neither panic nor use more weight
	/// than it declared.
	fn fuzz_one(&mut self) {
		use frame_support::dispatch::GetDispatchInfo;
		let policies: Vec<PolicyId> =
			pallet_keymarket_policies::Policies::<Runtime>::iter_keys().take(16).collect();
		let mut accounts: Vec<AccountId> = self.fuzzers.clone();
		accounts.extend(self.users.iter().cloned());
		accounts.extend(self.workers.iter().map(|(w, _)| w.clone()));
		let known = fuzz::Known { accounts: &accounts, policies: &policies };
		let (pallet, bytes) = self.fuzz.call(&mut self.rng, &known);
		self.ledger.fuzzed.entry(pallet).or_default().made += 1;
		// The generator follows the types, but a bound (a `BoundedVec`'s) may refuse the
		// length it drew: then the call never reaches the runtime, as on a real chain.
		let Ok(call) = <RuntimeCall as codec::DecodeAll>::decode_all(&mut &bytes[..]) else {
			return;
		};
		self.ledger.fuzzed.entry(pallet).or_default().decoded += 1;
		let origin = match self.rng.below(20) {
			0 => RuntimeOrigin::none(),
			1 => {
				let mut raw = [0u8; 32];
				raw.iter_mut().for_each(|b| *b = self.rng.next() as u8);
				RuntimeOrigin::signed(AccountId::from(raw))
			},
			_ => RuntimeOrigin::signed(self.fuzzers[self.rng.below(self.fuzzers.len())].clone()),
		};
		let declared = call.get_dispatch_info().call_weight;
		// The call's SCALE bytes name it if it fails (decode them with polkadot.js or
		// `RuntimeCall::decode`); formatting every call would slow the run down.
		let described = || format!("{pallet} call 0x{}", hex_of(&bytes));
		let outcome =
			std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call.dispatch(origin)))
				.unwrap_or_else(|_| panic!("the runtime panicked on {}", described()));
		let post = match outcome {
			Ok(post) => {
				self.ledger.fuzzed.entry(pallet).or_default().ok += 1;
				post
			},
			Err(e) => e.post_info,
		};
		let actual = post.actual_weight.unwrap_or(declared);
		assert!(
			actual.all_lte(declared),
			"{} used {actual:?}, more than the {declared:?} it declared",
			described()
		);
	}
}

fn new_ext(world: &World) -> sp_io::TestExternalities {
	let balances = world
		.users
		.iter()
		.chain(world.workers.iter().map(|(w, _)| w))
		.chain(&world.fuzzers)
		.map(|who| (who.clone(), 100_000 * UNITS))
		.collect();
	let storage = RuntimeGenesisConfig {
		balances: BalancesConfig { balances, ..Default::default() },
		..Default::default()
	}
	.build_storage()
	.expect("a genesis");
	sp_io::TestExternalities::new(storage)
}

/// Runs block `n`: the pallets' hooks, `act` in the block, then every check.
fn block(world: &mut World, n: u32, act: impl FnOnce(&mut World)) {
	type Ours = (Staking, Slashing, Policies, Gateway, Lottery, Activity);
	System::set_block_number(n);
	<Ours as frame_support::traits::OnInitialize<u32>>::on_initialize(n);
	act(world);
	<Ours as frame_support::traits::OnFinalize<u32>>::on_finalize(n);
	<Ours as frame_support::traits::OnIdle<u32>>::on_idle(
		n,
		Weight::from_parts(500_000_000_000, u64::MAX),
	);
	world.record();
	world.check();
	System::reset_events();
}

/// Jumps `periods` periods ahead, one block at the start of each (so that every period's
/// hooks run: slashes fall due, policies end and are removed), with no other calls.
fn fast_forward(chain: &mut Chain, periods: u32) {
	for _ in 0..periods {
		let next = chain.with(|_| {
			let blocks_per_period =
				<Runtime as pallet_keymarket_staking::Config>::BlocksPerPeriod::get();
			(Staking::current_period() + 1) * blocks_per_period
		});
		chain.block(next, |_| {});
	}
}

/// The test chain: its state and the world that drives it. The state is committed every few
/// blocks, as a node commits each block's: an overlay of thousands of blocks' changes would
/// make every clearing of a storage prefix scan all of it.
struct Chain {
	ext: sp_io::TestExternalities,
	world: World,
	blocks: u32,
}

impl Chain {
	/// Runs block `n` (see [`block`]).
	fn block(&mut self, n: u32, act: impl FnOnce(&mut World)) {
		let world = &mut self.world;
		self.ext.execute_with(|| block(world, n, act));
		self.blocks += 1;
		if self.blocks.is_multiple_of(8) {
			self.ext.commit_all().expect("the changes commit");
		}
	}

	/// Runs `f` on the chain's state, outside any block.
	fn with<R>(&mut self, f: impl FnOnce(&mut World) -> R) -> R {
		let world = &mut self.world;
		self.ext.execute_with(|| f(world))
	}
}

fn run(seed: u64, blocks: u32) -> Ledger {
	run_with(seed, blocks, FUZZ_PER_BLOCK)
}

fn run_with(seed: u64, blocks: u32, fuzz_per_block: usize) -> Ledger {
	let world = World::new(seed);
	let mut chain = Chain { ext: new_ext(&world), world, blocks: 0 };
	chain.with(|world| {
		world.burned_before = pallet_keymarket_staking::Issuance::<Runtime>::get().burned;
	});
	// Random calls, every worker committing now and then.
	for n in 1..=blocks {
		chain.block(n, |world| {
			world.commitments();
			for _ in 0..4 {
				world.act();
			}
			for _ in 0..fuzz_per_block {
				world.fuzz_one();
			}
		});
	}
	// Everyone leaves: workers unbonded (once they may be), locks wound down, and once the
	// stake no longer answers for anything, all of it withdrawn. The long windows pass period
	// by period.
	let (min_worker, answerable) = chain.with(|_| {
		use pallet_keymarket_staking::Config;
		(
			<Runtime as Config>::MinWorkerPeriods::get(),
			<Runtime as Config>::AnswerablePeriods::get(),
		)
	});
	fast_forward(&mut chain, min_worker + 1);
	let users = chain.world.users.clone();
	let now = chain.with(|_| System::block_number() + 1);
	chain.block(now, |_| {
		for who in &users {
			let origin = RuntimeOrigin::signed(who.clone());
			use pallet_keymarket_staking::Call as S;
			dispatch(RuntimeCall::Staking(S::bond_worker { worker: None }), origin.clone());
			dispatch(RuntimeCall::Staking(S::set_wind_down { enabled: true }), origin);
		}
	});
	// The users' longest lock left (the scripted calls lock for at most 200 periods).
	let longest = chain.with(|_| {
		let subs = users.iter().flat_map(pallet_keymarket_staking::SubStakes::<Runtime>::get);
		subs.map(|sub| sub.remaining_periods).max().unwrap_or_default()
	});
	fast_forward(&mut chain, longest + answerable + 1);
	let now = chain.with(|_| System::block_number() + 1);
	chain.block(now, |_| {
		for who in &users {
			// The last rewards first (a staker with a reward due is kept).
			let mint = pallet_keymarket_staking::Call::mint {};
			dispatch(RuntimeCall::Staking(mint), RuntimeOrigin::signed(who.clone()));
			let value = Staking::staked(who);
			let call = pallet_keymarket_staking::Call::withdraw { value };
			dispatch(RuntimeCall::Staking(call), RuntimeOrigin::signed(who.clone()));
		}
	});
	chain.with(|_| {
		for who in &users {
			assert_eq!(Staking::staked(who), 0, "{who} could not take all of its stake back");
		}
	});
	chain.world.ledger
}

/// The fuzzer's long run: `KEYMARKET_FUZZ_RUNS` runs (default 10) of `KEYMARKET_FUZZ_BLOCKS`
/// blocks (default 1,000), each block with `KEYMARKET_FUZZ_PER_BLOCK` generated calls (default
/// 48) beside the scripted ones, from seeds `KEYMARKET_FUZZ_SEED` (default 7) onwards. Many
/// runs of a thousand blocks rather than one long one: each ends with everyone leaving, and
/// the state stays the size a real chain's recent history has.
#[test]
#[ignore = "long: run by hand, docs/security.md"]
fn fuzz_long() {
	let number = |name: &str, default: u64| {
		std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
	};
	let runs = number("KEYMARKET_FUZZ_RUNS", 10);
	let blocks = number("KEYMARKET_FUZZ_BLOCKS", 1_000) as u32;
	let per_block = number("KEYMARKET_FUZZ_PER_BLOCK", 48) as usize;
	let first_seed = number("KEYMARKET_FUZZ_SEED", 7);
	let started = std::time::Instant::now();
	let mut all = Fuzzed::default();
	for seed in first_seed..first_seed + runs {
		let run_started = std::time::Instant::now();
		let ledger = run_with(seed, blocks, per_block);
		report(seed, &ledger, run_started.elapsed());
		all.add(&Fuzzed::total(&ledger));
	}
	println!(
		"fuzz: {runs} runs of {blocks} blocks, {} generated calls, {} decoded, {} without error; \
		 every invariant after every block, in {:.1?}",
		all.made,
		all.decoded,
		all.ok,
		started.elapsed()
	);
}

/// Prints what a run did: the scripted events, and per pallet the generated calls sent and
/// dispatched without error.
fn report(seed: u64, ledger: &Ledger, took: std::time::Duration) {
	let all = Fuzzed::total(ledger);
	println!("seed {seed}: {:?}", ledger.seen);
	println!(
		"seed {seed}: {} generated calls, {} decoded, {} dispatched without error, in {took:.1?}",
		all.made, all.decoded, all.ok
	);
	for (pallet, f) in &ledger.fuzzed {
		println!("  {pallet:<12} {:>9} made {:>9} decoded {:>8} ok", f.made, f.decoded, f.ok);
	}
}

/// Generated calls counted.
#[derive(Clone, Copy, Debug, Default)]
struct Fuzzed {
	made: u64,
	decoded: u64,
	ok: u64,
}

impl Fuzzed {
	fn add(&mut self, other: &Fuzzed) {
		self.made += other.made;
		self.decoded += other.decoded;
		self.ok += other.ok;
	}

	fn total(ledger: &Ledger) -> Fuzzed {
		let mut all = Fuzzed::default();
		ledger.fuzzed.values().for_each(|f| all.add(f));
		all
	}
}

#[test]
fn random_calls_keep_every_invariant_after_every_block() {
	for seed in [1, 0x5eed, 0xdead_beef] {
		let started = std::time::Instant::now();
		let ledger = run(seed, 500);
		report(seed, &ledger, started.elapsed());
		// Every pallet with calls had generated calls reach it, and some got through.
		for pallet in fuzz::PALLETS {
			let fuzzed = ledger.fuzzed.get(pallet).copied().unwrap_or_default();
			assert!(fuzzed.decoded > 0, "seed {seed}: no generated call of {pallet} decoded");
		}
		let ok = Fuzzed::total(&ledger).ok;
		assert!(ok > 100, "seed {seed}: only {ok} generated calls succeeded");
		// The run must have exercised the mechanisms it checks.
		for what in
			["fee paid", "reward minted", "offence reported", "stake slashed", "policy revoked"]
		{
			assert!(
				ledger.seen.get(what).copied().unwrap_or_default() > 0,
				"seed {seed}: no {what} in the run: {:?}",
				ledger.seen
			);
		}
	}
}

/// Calls generated from the runtime's type information.
mod fuzz {
	use super::Rng;
	use codec::{Compact, Encode};
	use keymarket_primitives::policies::PolicyId;
	use keymarket_runtime::{AccountId, RuntimeCall, UNITS};
	use scale_info::{form::PortableForm, PortableRegistry, TypeDef, TypeDefPrimitive};

	/// The pallets with calls that are not generated: `Timestamp` (an inherent, its block
	/// author's alone) and `Sudo` (only the sudo key, whose inner call is governance's).
	pub const EXCLUDED: [&str; 2] = ["Timestamp", "Sudo"];

	/// The pallets whose calls are generated: every other pallet with calls (a new pallet must
	/// be named here or in [`EXCLUDED`]).
	pub const PALLETS: [&str; 12] = [
		"System",
		"Grandpa",
		"Balances",
		"Staking",
		"Slashing",
		"Policies",
		"Parameters",
		"Gateway",
		"Lottery",
		"Activity",
		"Validators",
		"Session",
	];

	/// What exists on chain, to draw from beside random values.
	pub struct Known<'a> {
		pub accounts: &'a [AccountId],
		pub policies: &'a [PolicyId],
	}

	pub struct CallGen {
		registry: PortableRegistry,
		/// `RuntimeCall`'s variants that are generated: (its position, its pallet's name).
		pallets: Vec<(usize, &'static str)>,
		call: u32,
	}

	impl CallGen {
		pub fn new() -> Self {
			let mut registry = scale_info::Registry::new();
			let call = registry.register_type(&scale_info::meta_type::<RuntimeCall>()).id;
			let registry: PortableRegistry = registry.into();
			let TypeDef::Variant(calls) = &registry.resolve(call).expect("registered").type_def
			else {
				panic!("RuntimeCall is an enum")
			};
			let pallets: Vec<(usize, &'static str)> = calls
				.variants
				.iter()
				.enumerate()
				.filter_map(|(i, v)| PALLETS.iter().find(|p| **p == v.name).map(|p| (i, *p)))
				.collect();
			assert_eq!(pallets.len(), PALLETS.len(), "every listed pallet has calls");
			for variant in &calls.variants {
				assert!(
					PALLETS.contains(&variant.name.as_str())
						|| EXCLUDED.contains(&variant.name.as_str()),
					"pallet {} has calls: generate them (PALLETS) or say why not (EXCLUDED)",
					variant.name
				);
			}
			Self { registry, pallets, call }
		}

		/// A call's SCALE bytes and its pallet.
		pub fn call(&self, rng: &mut Rng, known: &Known) -> (&'static str, Vec<u8>) {
			let TypeDef::Variant(calls) = &self.registry.resolve(self.call).unwrap().type_def
			else {
				unreachable!()
			};
			let (position, pallet) = self.pallets[rng.below(self.pallets.len())];
			let variant = &calls.variants[position];
			let mut out = vec![variant.index];
			for field in &variant.fields {
				self.value(field.ty.id, rng, known, &mut out, 0);
			}
			(pallet, out)
		}

		fn value(&self, id: u32, rng: &mut Rng, known: &Known, out: &mut Vec<u8>, depth: u32) {
			assert!(depth < 16, "a type nested too deep to generate");
			let ty = self.registry.resolve(id).expect("a registered type");
			if ty.path.segments.last().map(String::as_str) == Some("AccountId32") {
				out.extend_from_slice(account(rng, known).as_ref());
				return;
			}
			match &ty.type_def {
				TypeDef::Composite(c) => {
					for field in &c.fields {
						self.value(field.ty.id, rng, known, out, depth + 1);
					}
				},
				TypeDef::Variant(v) => {
					if v.variants.is_empty() {
						return;
					}
					let variant = &v.variants[rng.below(v.variants.len())];
					out.push(variant.index);
					for field in &variant.fields {
						self.value(field.ty.id, rng, known, out, depth + 1);
					}
				},
				TypeDef::Sequence(s) => {
					let len = length(rng);
					Compact(len as u32).encode_to(out);
					if self.is_u8(s.type_param.id) {
						out.extend((0..len).map(|_| rng.next() as u8));
					} else {
						for _ in 0..len {
							self.value(s.type_param.id, rng, known, out, depth + 1);
						}
					}
				},
				TypeDef::Array(a) => {
					if self.is_u8(a.type_param.id) {
						out.extend(bytes(rng, known, a.len as usize));
					} else {
						for _ in 0..a.len {
							self.value(a.type_param.id, rng, known, out, depth + 1);
						}
					}
				},
				TypeDef::Tuple(t) => {
					for field in &t.fields {
						self.value(field.id, rng, known, out, depth + 1);
					}
				},
				TypeDef::Primitive(p) => primitive(p, rng, out),
				TypeDef::Compact(c) => {
					let bits = match &self.registry.resolve(c.type_param.id).unwrap().type_def {
						TypeDef::Primitive(TypeDefPrimitive::U8) => 8,
						TypeDef::Primitive(TypeDefPrimitive::U16) => 16,
						TypeDef::Primitive(TypeDefPrimitive::U32) => 32,
						TypeDef::Primitive(TypeDefPrimitive::U64) => 64,
						_ => 128,
					};
					Compact(number(rng, bits)).encode_to(out);
				},
				TypeDef::BitSequence(_) => Compact(0u32).encode_to(out),
			}
		}

		fn is_u8(&self, id: u32) -> bool {
			matches!(
				self.registry.resolve(id).map(|t| &t.type_def),
				Some(TypeDef::<PortableForm>::Primitive(TypeDefPrimitive::U8))
			)
		}
	}

	/// A known account mostly, now and then one nobody holds.
	fn account(rng: &mut Rng, known: &Known) -> AccountId {
		if rng.chance(10) || known.accounts.is_empty() {
			let mut raw = [0u8; 32];
			raw.iter_mut().for_each(|b| *b = rng.next() as u8);
			return raw.into();
		}
		known.accounts[rng.below(known.accounts.len())].clone()
	}

	/// `n` bytes: a policy id that exists for 16, a known account's bytes for 32 now and then,
	/// zeros, or random.
	fn bytes(rng: &mut Rng, known: &Known, n: usize) -> Vec<u8> {
		match rng.below(4) {
			0 if n == 16 && !known.policies.is_empty() => {
				known.policies[rng.below(known.policies.len())].to_vec()
			},
			1 if n == 32 => account(rng, known).encode(),
			2 => vec![0; n],
			_ => (0..n).map(|_| rng.next() as u8).collect(),
		}
	}

	/// A length: mostly short, sometimes at or past the bounds the pallets set (16, 32, 64 and
	/// 256 items; a capsule's 105 bytes; a policy's 300-byte envelope), rarely large.
	fn length(rng: &mut Rng) -> usize {
		match rng.below(16) {
			0 => [15, 16, 17, 31, 32, 33, 63, 64, 65, 105, 255, 256, 257, 300][rng.below(14)],
			1 => rng.below(2_000),
			_ => rng.below(5),
		}
	}

	/// A number of `bits` bits from the edges: 0, 1, the maximum, a small one, a balance in
	/// tokens, a power of two, or any.
	fn number(rng: &mut Rng, bits: u32) -> u128 {
		let max = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
		let wide = ((rng.next() as u128) << 64) | rng.next() as u128;
		let n = match rng.below(8) {
			0 => 0,
			1 => 1,
			2 => max,
			3 => rng.below(100) as u128,
			4 => (1 + rng.below(5_000) as u128) * UNITS,
			5 => 1u128 << rng.below(bits as usize),
			6 => rng.below(10_000) as u128,
			_ => wide,
		};
		n & max
	}

	fn primitive(p: &TypeDefPrimitive, rng: &mut Rng, out: &mut Vec<u8>) {
		match p {
			TypeDefPrimitive::Bool => out.push(rng.below(2) as u8),
			TypeDefPrimitive::Char => (rng.below(128) as u32).encode_to(out),
			TypeDefPrimitive::Str => {
				let len = rng.below(8);
				let text: String = (0..len).map(|_| (b'a' + rng.below(26) as u8) as char).collect();
				text.encode_to(out)
			},
			TypeDefPrimitive::U8 | TypeDefPrimitive::I8 => out.push(number(rng, 8) as u8),
			TypeDefPrimitive::U16 | TypeDefPrimitive::I16 => {
				(number(rng, 16) as u16).encode_to(out)
			},
			TypeDefPrimitive::U32 | TypeDefPrimitive::I32 => {
				(number(rng, 32) as u32).encode_to(out)
			},
			TypeDefPrimitive::U64 | TypeDefPrimitive::I64 => {
				(number(rng, 64) as u64).encode_to(out)
			},
			TypeDefPrimitive::U128 | TypeDefPrimitive::I128 => number(rng, 128).encode_to(out),
			TypeDefPrimitive::U256 | TypeDefPrimitive::I256 => {
				out.extend((0..32).map(|_| rng.next() as u8))
			},
		}
	}
}
