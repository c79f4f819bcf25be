//! The real staking, policies and slashing pallets together, in the real runtime, driven through
//! random sequences of calls (stakes, workers, commitments, grants, revocations, clean-ups,
//! withdrawals, reports of signed wrong fragments, cancellations). After every block every
//! invariant is checked: each pallet's own `try_state`, and what only events can show — fee
//! holds equal fees earned minus withdrawn, escrow + paid + refunded equals `rate · N · periods`
//! for every policy, a period's mint is at most `Imax`, and what slashes took equals what they
//! rewarded plus what they burned. Then everyone leaves, and the long windows (evidence,
//! retention, locks) pass period by period, until every stake is withdrawn and every record
//! removed.

use std::collections::BTreeMap;

use frame_support::{
	traits::{fungible::InspectHold, Get, Hooks},
	weights::Weight,
	BoundedVec,
};
use keymarket_primitives::{
	policies::{cfrag_signing_payload, CfragEvidence, EncryptedKeyFrag, PolicyId, WIRE_VERSION},
	staking::{registration_payload, Period},
};
use keymarket_runtime::{
	AccountId, Balance, BalancesConfig, Policies, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeGenesisConfig, RuntimeHoldReason, RuntimeOrigin, Slashing, Staking, System, MILLI_UNITS,
	UNITS,
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
}

struct World {
	rng: Rng,
	users: Vec<AccountId>,
	workers: Vec<(AccountId, sr25519::Pair)>,
	policies: Vec<PolicyId>,
	next_policy: u64,
	ledger: Ledger,
	burned_before: Balance,
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
			policies: Vec::new(),
			next_policy: 0,
			ledger: Ledger::default(),
			burned_before: 0,
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

		// Fee holds equal fees earned minus withdrawn.
		let fees: RuntimeHoldReason = PolicyHold::Fees.into();
		for who in self.users.iter().chain(self.workers.iter().map(|(w, _)| w)) {
			let held = pallet_balances::Pallet::<Runtime>::balance_on_hold(&fees, who);
			let earned = self.ledger.earned.get(who).copied().unwrap_or_default();
			assert_eq!(held, earned, "the fee hold of {who} is not what it earned and kept");
		}
		// Escrow + paid + refunded is the whole fee, live or settled.
		for id in &self.policies {
			let Some(policy) = pallet_keymarket_policies::Policies::<Runtime>::get(id) else {
				continue;
			};
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
		// What slashes took is what they rewarded plus what they burned (nothing else burns
		// here: no transaction fees, no dust).
		let burned = pallet_keymarket_staking::Issuance::<Runtime>::get().burned;
		assert_eq!(burned - self.burned_before, self.ledger.slashed_burn, "slashes burned more");
	}
}

fn new_ext(world: &World) -> sp_io::TestExternalities {
	let balances = world
		.users
		.iter()
		.chain(world.workers.iter().map(|(w, _)| w))
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
	System::set_block_number(n);
	Staking::on_initialize(n);
	Slashing::on_initialize(n);
	Policies::on_initialize(n);
	act(world);
	Policies::on_idle(n, Weight::from_parts(500_000_000_000, u64::MAX));
	world.record();
	world.check();
	System::reset_events();
}

/// Jumps `periods` periods ahead, one block at the start of each (so that every period's
/// hooks run: slashes fall due, policies end and are removed), with no other calls.
fn fast_forward(world: &mut World, periods: u32) {
	let blocks_per_period = <Runtime as pallet_keymarket_staking::Config>::BlocksPerPeriod::get();
	for _ in 0..periods {
		let next = (Staking::current_period() + 1) * blocks_per_period;
		block(world, next, |_| {});
	}
}

fn run(seed: u64, blocks: u32) -> Ledger {
	let mut world = World::new(seed);
	new_ext(&world).execute_with(|| {
		world.burned_before = pallet_keymarket_staking::Issuance::<Runtime>::get().burned;
		// Random calls, every worker committing now and then.
		for n in 1..=blocks {
			block(&mut world, n, |world| {
				world.commitments();
				for _ in 0..4 {
					world.act();
				}
			});
		}
		// Everyone leaves: workers unbonded (once they may be), locks wound down, and once the
		// stake no longer answers for anything, all of it withdrawn. The long windows pass
		// period by period.
		let min_worker: u32 =
			<Runtime as pallet_keymarket_staking::Config>::MinWorkerPeriods::get();
		fast_forward(&mut world, min_worker + 1);
		let users = world.users.clone();
		let now = System::block_number() + 1;
		block(&mut world, now, |_| {
			for who in &users {
				let origin = RuntimeOrigin::signed(who.clone());
				use pallet_keymarket_staking::Call as S;
				dispatch(RuntimeCall::Staking(S::bond_worker { worker: None }), origin.clone());
				dispatch(RuntimeCall::Staking(S::set_wind_down { enabled: true }), origin);
			}
		});
		let max_lock = 200;
		let answerable = <Runtime as pallet_keymarket_staking::Config>::AnswerablePeriods::get();
		fast_forward(&mut world, max_lock + answerable + 1);
		let now = System::block_number() + 1;
		block(&mut world, now, |_| {
			for who in &users {
				// The last rewards first (a staker with a reward due is kept).
				let mint = pallet_keymarket_staking::Call::mint {};
				dispatch(RuntimeCall::Staking(mint), RuntimeOrigin::signed(who.clone()));
				let value = Staking::staked(who);
				let call = pallet_keymarket_staking::Call::withdraw { value };
				dispatch(RuntimeCall::Staking(call), RuntimeOrigin::signed(who.clone()));
			}
		});
		for who in &users {
			assert_eq!(Staking::staked(who), 0, "{who} could not take all of its stake back");
		}
	});
	world.ledger
}

#[test]
fn random_calls_keep_every_invariant_after_every_block() {
	for seed in [1, 0x5eed, 0xdead_beef] {
		let ledger = run(seed, 500);
		println!("seed {seed}: {:?}", ledger.seen);
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
