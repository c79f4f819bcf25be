//! A flood of signed transactions at one development node: 10,000 transfers from 200 accounts,
//! submitted as fast as its RPC takes them. The test is a wallet: a transaction the pool turns
//! away (a full pool says so with its error, and bans its hash) is signed again after the next
//! block; one the
//! pool took and later dropped to stay within its limits (the fork-aware pool evicts its oldest
//! ready transactions, with the ones that depend on them, when its views overflow, and bans their
//! hashes) is signed again and submitted, as a wallet does when its transaction is neither in the
//! pool nor in a block. None is lost and none counts twice: every sender's nonce at the finalized
//! head is its count, each nonce is in exactly one finalized block, the sink's balance grew by
//! every transfer. The node's memory stays bounded (its peak resident set is printed beside the
//! figure in docs/reliability.md) and its RPC keeps answering. A second node follows the chain
//! as it is made, and the time it takes to import each block is printed beside the block's
//! weight: whether the weights charge what the work costs (docs/performance.md). The same for
//! the market's heavy calls: blocks of winning-ticket redemptions, and policies at sixteen
//! Ursulas created, paid for by their Ursulas' commitments, and revoked. `KEYMARKET_FLOOD_SPEC`
//! runs them on another chain spec (`./scripts/bench --grown`: the dev chain with a network's
//! number of accounts).

mod harness;

use std::{
	collections::{BTreeSet, VecDeque},
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use harness::{wait_for, Node, NodeConfig};
use keymarket_primitives::lottery::{commitment_of, SignedTicket, Ticket, CERTAIN, TICKET_VERSION};
use keymarket_runtime::{RuntimeCall, RuntimeEvent, UNITS};
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519, H256};

const SENDERS: u32 = 200;
const PER_SENDER: u32 = 50;
const AMOUNT: u128 = UNITS / 1_000;
/// The node's pool: ready transactions it holds (its mempool holds a tenth more, as future).
const POOL_LIMIT: u32 = 4_096;

type AccountInfo = frame_system::AccountInfo<u32, pallet_balances::AccountData<u128>>;

fn transfer(to: &sp_runtime::AccountId32, value: u128) -> RuntimeCall {
	RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: to.clone().into(),
		value,
	})
}

/// How many of `extrinsic` (a signed transfer, SCALE) one block takes by the runtime's limits:
/// the normal class's share of the block's weight (ref time and proof size; the call's weight,
/// its extensions' and the class's base) and of its length, whichever runs out first.
fn transfers_a_block_may_take(extrinsic: &[u8]) -> u64 {
	use codec::DecodeAll;
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
	use keymarket_runtime::configs::{RuntimeBlockLength, RuntimeBlockWeights};
	let decoded =
		keymarket_runtime::UncheckedExtrinsic::decode_all(&mut &extrinsic[..]).expect("a transfer");
	let weights = RuntimeBlockWeights::get();
	let class = weights.get(DispatchClass::Normal);
	let total = class.max_total.unwrap_or(weights.max_block);
	let each = decoded.get_dispatch_info().total_weight().saturating_add(class.base_extrinsic);
	let by_weight = (total.ref_time() / each.ref_time().max(1))
		.min(total.proof_size() / each.proof_size().max(1));
	let length = *RuntimeBlockLength::get().max.get(DispatchClass::Normal) as u64;
	by_weight.min(length / extrinsic.len() as u64)
}

/// The blocks a node imported and the seconds it spent verifying and importing them, from its
/// metrics' `text`.
fn imports_in(text: &str) -> (u64, f64) {
	let name = "substrate_block_verification_and_import_time";
	let metric = |part: &str| harness::metric(text, &format!("{name}_{part}"), &[]);
	(metric("count") as u64, metric("sum"))
}

/// The chain spec the floods run on: the `dev` chain, or the spec at `KEYMARKET_FLOOD_SPEC`
/// (`./scripts/bench --grown` passes the dev chain grown to a network's number of accounts).
fn flood_spec() -> Option<String> {
	std::env::var("KEYMARKET_FLOOD_SPEC").ok().filter(|path| !path.is_empty())
}

/// The flood's authoring node: a development chain, //Alice authoring alone.
fn flood_node() -> NodeConfig {
	let mut config = NodeConfig::dev();
	if let Some(spec) = flood_spec() {
		config.chain = spec;
	}
	config
}

/// A node that follows `author`'s chain, and the port of its Prometheus metrics.
fn start_follower(author: &Node) -> (Node, u16) {
	let port = harness::free_port();
	let config = NodeConfig {
		// The built-in spec, its genesis built at the start: the same chain as the author's raw
		// spec, or the follower could not sync (a grown spec is the same file).
		chain: flood_spec().unwrap_or_else(|| "dev".into()),
		validator: None,
		bootnodes: vec![author.multiaddr()],
		node_key: None,
		extra_args: vec!["--prometheus-port".into(), port.to_string()],
		keys: vec![],
		host: None,
	};
	(Node::start("flood-follower", config), port)
}

/// A node that follows the chain as it is made, each block's verification and import timed as
/// it arrives (a block every six seconds: one at a time) by a thread that samples its metrics.
struct LiveFollower {
	node: Node,
	/// (blocks imported, seconds spent importing them) at each sample.
	samples: std::sync::Arc<std::sync::Mutex<Vec<(u64, f64)>>>,
	stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
	sampler: Option<std::thread::JoinHandle<()>>,
}

impl LiveFollower {
	fn start(author: &Node) -> Self {
		use std::sync::{atomic::AtomicBool, Arc, Mutex};
		let (node, port) = start_follower(author);
		let samples = Arc::new(Mutex::new(Vec::new()));
		let stop = Arc::new(AtomicBool::new(false));
		let (into, until) = (samples.clone(), stop.clone());
		let sampler = std::thread::spawn(move || {
			while !until.load(std::sync::atomic::Ordering::Relaxed) {
				// Until its metrics endpoint answers, nothing to sample.
				let Ok(text) = std::panic::catch_unwind(|| harness::scrape_metrics(port)) else {
					std::thread::sleep(Duration::from_millis(200));
					continue;
				};
				into.lock().unwrap().push(imports_in(&text));
				std::thread::sleep(Duration::from_millis(20));
			}
		});
		Self { node, samples, stop, sampler: Some(sampler) }
	}

	/// Each block's import time (block number, seconds) once the follower has block `up_to`:
	/// the blocks a sample saw imported alone. The follower imports the blocks in order, each
	/// once (one author, no forks), so its count of imports is the number of its best block.
	fn import_times(mut self, up_to: u32) -> Vec<(u32, f64)> {
		self.node.wait_for_best(up_to, Duration::from_secs(60));
		std::thread::sleep(Duration::from_millis(100));
		self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
		self.sampler.take().map(|thread| thread.join());
		let samples = self.samples.lock().unwrap().clone();
		let (imported, best) = (samples.last().map_or(0, |s| s.0), self.node.best_number());
		assert!(
			u64::from(up_to) <= imported && imported <= u64::from(best),
			"one import a block: {imported} imports, best #{best}"
		);
		samples
			.windows(2)
			.filter(|pair| pair[1].0 == pair[0].0 + 1)
			.map(|pair| (pair[1].0 as u32, pair[1].1 - pair[0].1))
			.collect()
	}
}

/// The weight block `at` used, all classes (ref time, seconds).
fn block_weight(node: &Node, at: H256) -> f64 {
	use frame_support::{dispatch::PerDispatchClass, weights::Weight};
	let key = harness::storage_key(b"System", b"BlockWeight");
	let used: PerDispatchClass<Weight> = node.storage_value(&key, Some(at)).unwrap_or_default();
	used.total().ref_time() as f64 / 1e12
}

/// `who`'s account at block `at`.
fn account_at(node: &Node, who: &sp_runtime::AccountId32, at: H256) -> AccountInfo {
	let key = harness::map_key_blake2_128_concat(b"System", b"Account", &who.encode());
	node.storage_value::<AccountInfo>(&key, Some(at)).unwrap_or_default()
}

fn finalized_hash(node: &Node) -> H256 {
	serde_json::from_value(node.rpc("chain_getFinalizedHead", json!([]))).expect("a hash")
}

/// The hash the pool took for each `(sender, nonce)`.
type Taken = Vec<((usize, u32), H256)>;

/// Submits a transaction for every `(sender, nonce)` of `queue`, signed by `sign` at each
/// attempt, until all are in; returns the hash the pool took for each and how often the pool
/// was full. A transaction the pool turns away for want of room (`1016`) has its hash banned,
/// so it is signed again (a new signature, a new hash) after the next block; one banned (`1012`:
/// an earlier signature the pool evicted) is signed again at once. With `again`, the queue holds
/// nonces the pool had dropped: one refused because the pool holds another transaction for its
/// nonce (`1014`) or because a block took one (`1010`, outdated) is in hand already.
fn submit_all(
	node: &mut Node,
	mut queue: VecDeque<(usize, u32)>,
	sign: impl Fn(usize, u32) -> Vec<u8>,
	again: bool,
) -> (Taken, u32) {
	let mut accepted = Vec::new();
	let mut full = 0;
	let deadline = Instant::now() + Duration::from_secs(600);
	while let Some((sender, nonce)) = queue.pop_front() {
		assert!(Instant::now() < deadline, "the pool took no more: {} left", queue.len() + 1);
		let extrinsic = sign(sender, nonce);
		match node.try_rpc("author_submitExtrinsic", json!([harness::hex(&extrinsic)])) {
			Ok(hash) => {
				let hash: H256 = serde_json::from_value(hash).expect("a transaction hash");
				accepted.push(((sender, nonce), hash));
			},
			// 1016: immediately dropped (the pool is full): signed again after the next block.
			Err(e) if e.starts_with("1016:") => {
				full += 1;
				queue.push_front((sender, nonce));
				let best = node.best_number();
				node.wait_for_best(best + 1, Duration::from_secs(60));
			},
			Err(e) if e.starts_with("1012:") => queue.push_front((sender, nonce)),
			Err(e) if again && (e.starts_with("1014:") || e.contains("outdated")) => {},
			Err(e) => panic!("the pool refused a valid transaction: {e}"),
		}
	}
	(accepted, full)
}

/// Notes the hashes the pool took: each once, under its sender's nonce.
fn take(taken: Taken, held: &mut [Vec<BTreeSet<H256>>], accepted: &mut BTreeSet<H256>) {
	for ((sender, nonce), hash) in taken {
		assert!(accepted.insert(hash), "the pool took {hash:?} twice");
		held[sender][nonce as usize].insert(hash);
	}
}

/// The hashes of the transactions ready in the pool.
fn pooled(node: &Node) -> BTreeSet<H256> {
	let pending = node.rpc("author_pendingExtrinsics", json!([]));
	pending
		.as_array()
		.expect("a list")
		.iter()
		.map(|x| H256(sp_crypto_hashing::blake2_256(&harness::unhex(x.as_str().expect("hex")))))
		.collect()
}

/// Scans the finalized blocks `from..=to` for the extrinsics `wanted`; returns how many of them
/// each block held.
fn included(node: &Node, wanted: &BTreeSet<H256>, from: u32, to: u32) -> Vec<(u32, usize)> {
	let mut seen = BTreeSet::new();
	let mut per_block = Vec::new();
	for number in from..=to {
		let hash = node.block_hash(number).expect("a finalized block");
		let block = node.rpc("chain_getBlock", json!([format!("{hash:?}")]));
		let mut count = 0;
		for extrinsic in block["block"]["extrinsics"].as_array().expect("extrinsics") {
			let bytes = harness::unhex(extrinsic.as_str().expect("hex"));
			let hash = H256(sp_crypto_hashing::blake2_256(&bytes));
			if wanted.contains(&hash) {
				assert!(seen.insert(hash), "{hash:?} is in two blocks");
				count += 1;
			}
		}
		per_block.push((number, count));
	}
	per_block
}

#[test]
fn ten_thousand_transactions_from_many_accounts_are_all_finalized() {
	// A pool smaller than the flood (4,096 ready; the default 8,192 overflowed only on a slower
	// machine): it must turn transactions away and evict ones it took, and the wallet must
	// notice both, every run.
	let mut config = flood_node();
	config.extra_args = vec!["--pool-limit".into(), POOL_LIMIT.to_string()];
	let mut node = Node::start("flood", config);
	let follower = LiveFollower::start(&node);
	node.wait_for_finalized(1, Duration::from_secs(60));
	let context = node.chain().signing_context().expect("the node answers");
	let alice = harness::dev_pair("Alice");
	let sink: sp_runtime::AccountId32 = harness::dev_pair("Ferdie").public().into();
	let senders: Vec<sr25519::Pair> =
		(0..SENDERS).map(|i| harness::dev_pair(&format!("Flood//{i}"))).collect();
	let rss_before = node.memory_kb("VmRSS");

	// Alice funds the senders: 200 transfers with consecutive nonces, all at once.
	let alice_account: sp_runtime::AccountId32 = alice.public().into();
	let nonce = account_at(&node, &alice_account, finalized_hash(&node)).nonce;
	let funding: VecDeque<(usize, u32)> =
		(0..senders.len()).map(|i| (i, nonce + i as u32)).collect();
	let fund = |i: usize, nonce: u32| {
		let call = transfer(&senders[i].public().into(), 10 * UNITS);
		context.sign(&alice, call, nonce).encode()
	};
	submit_all(&mut node, funding, fund, false);
	wait_for("the senders to be funded", Duration::from_secs(120), || {
		let at = finalized_hash(&node);
		senders
			.iter()
			.all(|s| account_at(&node, &s.public().into(), at).data.free == 10 * UNITS)
			.then_some(())
	});

	// The flood: each sender's 50 transfers, the senders interleaved as a busy chain sees them.
	let sink_before = account_at(&node, &sink, finalized_hash(&node)).data.free;
	let first_block = node.best_number();
	let sign = |sender: usize, nonce: u32| {
		context.sign(&senders[sender], transfer(&sink, AMOUNT), nonce).encode()
	};
	let flood: VecDeque<(usize, u32)> =
		(0..PER_SENDER).flat_map(|nonce| (0..senders.len()).map(move |i| (i, nonce))).collect();
	let capacity = transfers_a_block_may_take(&sign(0, 0));
	let started = Instant::now();
	let (taken, mut full) = submit_all(&mut node, flood, sign, false);
	let submitted_in = started.elapsed();
	assert_eq!(taken.len(), (SENDERS * PER_SENDER) as usize);
	// Every hash the pool took, for each sender's nonce.
	let mut held: Vec<Vec<BTreeSet<H256>>> =
		vec![vec![BTreeSet::new(); PER_SENDER as usize]; senders.len()];
	let mut accepted = BTreeSet::new();
	take(taken, &mut held, &mut accepted);

	// The wallet watches each new block: a sender whose next transfer is neither in a block nor
	// ready in the pool (under any signature the pool took) had it dropped; it signs that one and
	// the rest again.
	let mut signed_again = 0;
	let deadline = Instant::now() + Duration::from_secs(600);
	let at = loop {
		let at = finalized_hash(&node);
		if senders.iter().all(|s| account_at(&node, &s.public().into(), at).nonce == PER_SENDER) {
			break at;
		}
		assert!(Instant::now() < deadline, "not every transfer finalized within 600 s");
		let best = node.best_number();
		let best = node.wait_for_best(best + 1, Duration::from_secs(60));
		let best_hash = node.block_hash(best).expect("the new best block");
		let ready = pooled(&node);
		let mut again = VecDeque::new();
		for (i, sender) in senders.iter().enumerate() {
			let next = account_at(&node, &sender.public().into(), best_hash).nonce;
			if next < PER_SENDER && held[i][next as usize].is_disjoint(&ready) {
				again.extend((next..PER_SENDER).map(|nonce| (i, nonce)));
			}
		}
		signed_again += again.len();
		let (taken, was_full) = submit_all(&mut node, again, sign, true);
		take(taken, &mut held, &mut accepted);
		full += was_full;
	};
	let finalized_in = started.elapsed();
	let last_block = node.finalized_number();
	let per_block = included(&node, &accepted, first_block, last_block);
	let found: usize = per_block.iter().map(|(_, count)| count).sum();
	assert_eq!(found, (SENDERS * PER_SENDER) as usize, "every transfer is in exactly one block");
	let sink_after = account_at(&node, &sink, at).data.free;
	assert_eq!(sink_after - sink_before, AMOUNT * u128::from(SENDERS * PER_SENDER));
	// The node still answers, and its memory stayed bounded.
	node.rpc("system_health", json!([]));
	let (rss_after, peak) = (node.memory_kb("VmRSS"), node.memory_kb("VmHWM"));
	assert!(peak < 4 * 1024 * 1024, "the node's peak resident set grew to {peak} kB");
	let busiest = per_block.iter().map(|(_, count)| *count).max().unwrap_or(0);
	let blocks = per_block.iter().filter(|(_, count)| *count > 0).count();
	println!(
		"flood: {} transfers from {SENDERS} accounts submitted in {submitted_in:.1?} (pool full \
		 {full} times; {signed_again} signed again after the pool dropped them), all finalized \
		 in {finalized_in:.1?}, in {blocks} blocks (at most {busiest} a block); node memory: \
		 {rss_before} kB resident before, {rss_after} kB after, peak {peak} kB",
		SENDERS * PER_SENDER
	);
	// Block space (a figure, not a bound: docs/performance.md): what the busiest block took
	// beside what the runtime's weight and length limits let a block take of this call.
	println!(
		"block space: the busiest block took {busiest} transfers, {:.1} % of the {capacity} the \
		 normal class's weight and length allow ({:.0} transfers a second at a 6-second block)",
		100.0 * busiest as f64 / capacity as f64,
		busiest as f64 / 6.0
	);

	// Honest weights (figures, not bounds: docs/performance.md): each block of the flood, its
	// weight beside what importing it took a node that follows the chain.
	print_import_beside_weight(&node, follower, &per_block, |_, count| {
		format!("{count} transfers")
	});
}

/// Prints, for each block of `per_block` (number, calls in it) that holds calls, its weight beside
/// what importing it took `follower` (`describe` names a block's calls from its number and their
/// count); fails if no such block was imported alone.
fn print_import_beside_weight(
	node: &Node,
	follower: LiveFollower,
	per_block: &[(u32, usize)],
	describe: impl Fn(u32, usize) -> String,
) {
	let last = per_block.iter().map(|(number, _)| *number).max().expect("blocks");
	print_times_beside_weight(node, per_block, &follower.import_times(last), describe);
}

/// Prints, for each block of `per_block` (number, calls in it) that holds calls and has an
/// import time in `times`, its weight beside that time; fails if none has.
fn print_times_beside_weight(
	node: &Node,
	per_block: &[(u32, usize)],
	times: &[(u32, f64)],
	describe: impl Fn(u32, usize) -> String,
) {
	let mut measured = 0;
	for (number, count) in per_block.iter().filter(|(_, count)| *count > 0) {
		let Some((_, seconds)) = times.iter().find(|(n, _)| n == number) else { continue };
		let weight = block_weight(node, node.block_hash(*number).expect("a block of the flood"));
		println!(
			"weights: block #{number}, {}: weight {:.0} ms, imported in {:.0} ms by a following \
			 node ({:.0} % of its weight)",
			describe(*number, *count),
			weight * 1e3,
			seconds * 1e3,
			100.0 * seconds / weight
		);
		measured += 1;
	}
	assert!(measured > 0, "no block of the flood was imported alone: {times:?}");
}

/// The price of a request under the ticket flood's policy: each winning ticket's face value.
const TICKET_PRICE: u128 = 1_000_000;
/// Full batches of winning tickets the worker redeems at once: more than one block takes.
const BATCHES: u32 = 7;
/// The runtime's largest batch (`MaxBatch`).
const BATCH: u32 = 2_048;

/// Submits `call` signed by `signer`, waits for its block and checks that it succeeded.
fn submit_included(node: &mut Node, signer: &sr25519::Pair, call: RuntimeCall) {
	let hash = node.submit(signer, call).unwrap_or_else(|e| panic!("refused: {e}"));
	let (_, events) = node.wait_for_inclusion(hash, Duration::from_secs(60));
	let failed = |event: &RuntimeEvent| {
		matches!(event, RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { .. }))
	};
	assert!(!events.iter().any(failed), "failed: {events:?}");
}

/// The flood's tickets: `count` winning tickets (certain to win, at the policy's price) from
/// //Alice's deposit for //Bob's policy, to `worker` against `commitment`, made in round
/// `created` (whose first block is `created_hash`) and living the `lifetime` rounds the chain
/// allows, numbered from `first`, each signed by //Bob.
fn winning_tickets(
	(policy, worker): ([u8; 16], &sp_runtime::AccountId32),
	(commitment, created, created_hash): ([u8; 32], u32, [u8; 32]),
	lifetime: u32,
	first: u64,
	count: u32,
) -> Vec<SignedTicket<sp_runtime::AccountId32, u128>> {
	let bob = harness::dev_pair("Bob");
	(first..first + u64::from(count))
		.map(|nonce| {
			let ticket = Ticket {
				version: TICKET_VERSION,
				payer: harness::dev_account("Alice"),
				policy,
				recipient: worker.clone(),
				face_value: TICKET_PRICE,
				win_probability: CERTAIN,
				nonce,
				commitment,
				created_round: created,
				created_hash,
				expires: created + lifetime,
				request_hash: sp_crypto_hashing::blake2_256(&nonce.encode()),
			};
			let signature = bob.sign(&ticket.signing_payload()).0;
			SignedTicket { ticket, signature }
		})
		.collect()
}

/// Honest weights for the market's heaviest call: blocks filled with redemptions of winning
/// lottery tickets, each ticket an sr25519 check and a replay-guard write, imported by a node
/// that follows the chain, beside the weight they used. //Dave is a worker that no node hosts:
/// the test signs its duties, so it knows the value behind its lottery commitment. //Alice
/// grants //Bob a policy on it with a price a request and funds Bob's tickets; Bob signs 14,337
/// certain winners; Dave reveals with the first and redeems the rest in seven full batches at
/// once, more than a block takes. Every ticket is paid once, at the price.
#[test]
fn blocks_full_of_winning_tickets_are_imported_beside_their_weight() {
	use pallet_keymarket_lottery::Call as Lottery;
	use pallet_keymarket_staking::Call as Staking;

	let mut node = Node::start("tickets", flood_node());
	let follower = LiveFollower::start(&node);
	node.wait_for_finalized(1, Duration::from_secs(60));
	let url = node.rpc_url();
	let (dave, worker) = (harness::dev_pair("Dave"), harness::dev_account("Dave"));
	harness::stake_for_ursula(&node, "Charlie", "Dave", "http://127.0.0.1:9");
	// Its commitment to the next period, once its registration is in (the pool says until
	// then that it is not registered).
	let commit = RuntimeCall::Staking(Staking::commit_to_next_period {});
	let hash = wait_for("Dave's availability commitment", Duration::from_secs(60), || {
		node.submit(&dave, commit.clone()).ok()
	});
	node.wait_for_inclusion(hash, Duration::from_secs(60));
	wait_for("Dave to be an active Ursula", Duration::from_secs(120), || {
		let active = node.rpc("keymarket_activeUrsulas", json!([]));
		let dave = Some(worker.to_string());
		active.as_array()?.iter().any(|u| u["worker"].as_str() == dave.as_deref()).then_some(())
	});

	let dir = tempfile::tempdir().expect("a temp dir");
	let bob_key = harness::keygens(dir.path());
	let (price, dave_ss58) = (TICKET_PRICE.to_string(), worker.to_string());
	let terms = ["--threshold", "1", "--shares", "1", "--periods", "100", "--price", &price];
	let terms = [&terms[..], &["--ursula", &dave_ss58]].concat();
	let grant = harness::alice_grants(&url, dir.path(), "tickets", &bob_key, &terms);
	let policy_hex = grant["policy"].as_str().expect("a policy id").to_string();
	let policy: [u8; 16] = harness::unhex(&policy_hex).try_into().expect("16 bytes");
	let count = BATCHES * BATCH + 1;
	let total = TICKET_PRICE * u128::from(count);
	let (deposit, reserve) = (total.to_string(), (total / 100).to_string());
	harness::client(&[
		"alice",
		"tickets",
		"--suri",
		"//Alice",
		"--policy",
		&policy_hex,
		"--deposit",
		&deposit,
		"--reserve",
		&reserve,
		"--cap",
		&deposit,
		"--rpc",
		&url,
	]);

	// Dave commits to a value; Bob's tickets name it, made in that round.
	let (first, second) = ([1u8; 32], [2u8; 32]);
	let lottery_commit = |value: &[u8; 32]| {
		RuntimeCall::Lottery(Lottery::commit { commitment: commitment_of(value) })
	};
	submit_included(&mut node, &dave, lottery_commit(&first));
	let view = node.rpc("keymarket_lotteryCommitment", json!([dave_ss58]));
	let created = view["since"].as_u64().expect("Dave's commitment") as u32;
	let durations: keymarket_primitives::time::Durations =
		serde_json::from_value(node.rpc("keymarket_durations", json!([]))).expect("durations");
	let created_hash =
		node.block_hash(created * durations.blocks_per_round).expect("the round's first block");
	let lifetime: u32 =
		serde_json::from_value(node.rpc("keymarket_ticketRounds", json!([]))).expect("rounds");
	let made = ((policy, &worker), (commitment_of(&first), created, created_hash.0));
	let mut tickets = winning_tickets(made.0, made.1, lifetime, 0, count);
	let reveal: Vec<_> = tickets.drain(..1).collect();

	// The next round: a new value, and the first is revealed with one ticket (Dave's duty, free);
	// then the seven full batches, fees paid, all at once against the value revealed.
	let round = || -> u32 {
		serde_json::from_value(node.rpc("keymarket_currentRound", json!([]))).unwrap()
	};
	wait_for("the next round", Duration::from_secs(60), || (round() > created).then_some(()));
	submit_included(&mut node, &dave, lottery_commit(&second));
	let redeem = |batch: Vec<SignedTicket<sp_runtime::AccountId32, u128>>| {
		RuntimeCall::Lottery(Lottery::redeem {
			revealed: first,
			batch: batch.try_into().expect("at most a batch"),
		})
	};
	submit_included(&mut node, &dave, redeem(reveal));
	let first_block = node.best_number() + 1;
	let nonce = node.rpc("system_accountNextIndex", json!([dave_ss58])).as_u64().unwrap() as u32;
	let mut hashes = Vec::new();
	for (i, batch) in tickets.chunks(BATCH as usize).enumerate() {
		let extrinsic = node.sign(&dave, redeem(batch.to_vec()), nonce + i as u32);
		let hash = node
			.try_rpc("author_submitExtrinsic", json!([harness::hex(&extrinsic.encode())]))
			.unwrap_or_else(|e| panic!("batch {i} refused: {e}"));
		hashes.push(hash);
	}
	let last = hashes.last().cloned().expect("batches");
	let last: H256 = serde_json::from_value(last).expect("a hash");
	node.wait_for_inclusion(last, Duration::from_secs(120));
	let last_block = node.best_number();

	// Each block's redemptions; every ticket paid once, at the price.
	let mut per_block = Vec::new();
	for number in first_block..=last_block {
		let at = node.block_hash(number).expect("a block");
		let paid: u32 = node
			.events(at)
			.into_iter()
			.filter_map(|record| match record.event {
				RuntimeEvent::Lottery(pallet_keymarket_lottery::Event::Redeemed {
					paid,
					refused,
					..
				}) => {
					assert_eq!(refused, 0, "block #{number}: a ticket was refused");
					Some(paid)
				},
				_ => None,
			})
			.sum();
		per_block.push((number, paid));
	}
	let redeemed: u32 = per_block.iter().map(|(_, paid)| paid).sum();
	assert_eq!(redeemed, count - 1, "every batch's tickets paid: {per_block:?}");
	let winnings = node.rpc("keymarket_lotteryWinnings", json!([dave_ss58]));
	assert_eq!(winnings["tickets"].as_u64(), Some(u64::from(count)), "{winnings}");
	assert_eq!(winnings["paid"].as_str(), Some(total.to_string().as_str()), "{winnings}");
	let busiest = per_block.iter().map(|(_, paid)| *paid).max().unwrap_or(0);
	assert!(busiest > 2 * BATCH, "one block took several full batches: {per_block:?}");

	// Honest weights (figures, not bounds: docs/performance.md).
	let per_block: Vec<(u32, usize)> =
		per_block.into_iter().map(|(number, paid)| (number, paid as usize)).collect();
	print_import_beside_weight(&node, follower, &per_block, |_, paid| {
		format!("{paid} winning tickets ({:.1} batches)", paid as f64 / f64::from(BATCH))
	});
}

/// The Ursulas of the policy flood: the most one policy names (`MaxUrsulas`).
const POLICY_URSULAS: u32 = 16;
/// Policies at all of them: every place each offers (`MaxPoliciesPerUrsula`).
const POLICIES: u32 = 64;
/// The policies' owners: each may have 16 policies waiting for their start.
const OWNERS: [&str; 4] = ["Alice", "Charlie", "Eve", "Ferdie"];

/// Signs each of `calls` (signer, call) with its signer's next nonces and submits them all at
/// once; returns the hash of each.
fn submit_at_once(node: &Node, calls: Vec<(String, RuntimeCall)>) -> Vec<H256> {
	let mut nonces = std::collections::BTreeMap::new();
	calls
		.into_iter()
		.map(|(signer, call)| {
			let pair = harness::dev_pair(&signer);
			let nonce = *nonces.entry(signer.clone()).or_insert_with(|| {
				let account = harness::dev_account(&signer).to_string();
				node.rpc("system_accountNextIndex", json!([account])).as_u64().unwrap() as u32
			});
			nonces.insert(signer.clone(), nonce + 1);
			let extrinsic = node.sign(&pair, call, nonce);
			let hash = node
				.try_rpc("author_submitExtrinsic", json!([harness::hex(&extrinsic.encode())]))
				.unwrap_or_else(|e| panic!("{signer}'s transaction {nonce} refused: {e}"));
			serde_json::from_value(hash).expect("a hash")
		})
		.collect()
}

/// Waits for every one of `hashes` in a block from `first` on and counts, in each block from
/// `first` to the last of them, the events that `counts` picks; fails on a failed extrinsic.
fn blocks_of(
	node: &Node,
	hashes: &[H256],
	first: u32,
	counts: impl Fn(&RuntimeEvent) -> bool,
) -> Vec<(u32, usize)> {
	let mut last = first;
	for hash in hashes {
		let (block, _) = node
			.chain()
			.wait_for_inclusion(*hash, first, Duration::from_secs(120))
			.unwrap_or_else(|e| panic!("{e}"));
		let number = (first..=node.best_number())
			.find(|n| node.block_hash(*n) == Some(block))
			.expect("the block's number");
		last = last.max(number);
	}
	(first..=last)
		.map(|number| {
			let events = node.events(node.block_hash(number).expect("a block"));
			let failed = events.iter().any(|record| {
				matches!(
					record.event,
					RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { .. })
				)
			});
			assert!(!failed, "block #{number}: a call failed: {events:?}");
			(number, events.iter().filter(|record| counts(&record.event)).count())
		})
		.collect()
}

/// Honest weights for policies at the most Ursulas a policy names: sixteen Ursulas (their
/// stakers and workers funded by //Alice), then 64 policies at all sixteen, every place each
/// Ursula offers, created by four owners at once; the sixteen commitments that collect their
/// fees (64 a commitment, the fee hook's worst case); then all revoked at once, each block's
/// import by a node that follows the chain as it is made beside its weight. (A block cannot be
/// filled with them: sixteen Ursulas hold 64 policies; the block is as full as such a network
/// can make it.)
#[test]
fn policies_at_sixteen_ursulas_are_imported_beside_their_weight() {
	use pallet_keymarket_policies::{Call as Policies, Event as PolicyEvent};
	use pallet_keymarket_staking::Call as Staking;

	let mut node = Node::start("policies", flood_node());
	node.wait_for_finalized(1, Duration::from_secs(60));
	let url = node.rpc_url();
	let follower = LiveFollower::start(&node);
	let name = |role: &str, i: u32| format!("Policy{role}{i}");

	// Each staker its stake and fees, each worker its registration's fee.
	let funds: Vec<_> = (0..POLICY_URSULAS)
		.flat_map(|i| {
			let staker = transfer(&harness::dev_account(&name("Staker", i)), 2_100 * UNITS);
			let worker = transfer(&harness::dev_account(&name("Worker", i)), 10 * UNITS);
			[("Alice".to_string(), staker), ("Alice".to_string(), worker)]
		})
		.collect();
	// Four steps, each all at once: funds; stakes and bonds; registrations; commitments.
	let stakes = (0..POLICY_URSULAS).flat_map(|i| {
		let worker = Some(harness::dev_account(&name("Worker", i)));
		let stake = Staking::stake { value: 2_000 * UNITS, periods: 120 };
		[(name("Staker", i), stake), (name("Staker", i), Staking::bond_worker { worker })]
	});
	let registrations = (0..POLICY_URSULAS).map(|i| {
		let worker = name("Worker", i);
		let registration = harness::worker_registration(&worker, "http://127.0.0.1:9", &worker);
		(worker, registration)
	});
	let commitments =
		(0..POLICY_URSULAS).map(|i| (name("Worker", i), Staking::commit_to_next_period {}));
	let staking = |calls: Vec<(String, Staking<keymarket_runtime::Runtime>)>| {
		calls.into_iter().map(|(signer, call)| (signer, RuntimeCall::Staking(call))).collect()
	};
	for step in [
		funds,
		staking(stakes.collect()),
		staking(registrations.collect()),
		staking(commitments.collect()),
	] {
		let first = node.best_number() + 1;
		let hashes = submit_at_once(&node, step);
		blocks_of(&node, &hashes, first, |_| false);
	}
	let workers: Vec<String> =
		(0..POLICY_URSULAS).map(|i| harness::dev_account(&name("Worker", i)).to_string()).collect();
	wait_for("sixteen active Ursulas", Duration::from_secs(180), || {
		let active = node.rpc("keymarket_activeUrsulas", json!([]));
		let active: BTreeSet<&str> =
			active.as_array()?.iter().filter_map(|u| u["worker"].as_str()).collect();
		workers.iter().all(|w| active.contains(w.as_str())).then_some(())
	});

	// The policies' calls from Alice's client (16 key fragments each, sealed to each Ursula),
	// starting next period so that they stay valid while they are made.
	let dir = tempfile::tempdir().expect("a temp dir");
	let bob_key = harness::keygens(dir.path());
	let period: u32 =
		serde_json::from_value(node.rpc("keymarket_currentPeriod", json!([]))).expect("a period");
	let (keys, bob, start) = (
		harness::path_in(dir.path(), "alice.json"),
		harness::dev_account("Bob").to_string(),
		(period + 1).to_string(),
	);
	let mut ids = Vec::new();
	let creations: Vec<_> = (0..POLICIES)
		.map(|p| {
			let owner = OWNERS[p as usize % OWNERS.len()];
			let (suri, label, id) = (format!("//{owner}"), format!("flood{p}"), [p as u8; 16]);
			let id_hex = harness::hex(&id);
			let mut args =
				vec!["alice", "grant", "--keys", &keys, "--suri", &suri, "--label", &label];
			args.extend(["--bob", &bob, "--bob-key", &bob_key, "--rate", "1000000000"]);
			args.extend([
				"--threshold",
				"8",
				"--shares",
				"16",
				"--periods",
				"10",
				"--start",
				&start,
			]);
			args.extend(["--policy-id", &id_hex, "--print-call", "--rpc", &url]);
			for worker in &workers {
				args.extend(["--ursula", worker.as_str()]);
			}
			let printed = harness::client(&args);
			let call = harness::unhex(printed["call"].as_str().expect("the call"));
			ids.push((owner, id));
			(owner.to_string(), RuntimeCall::decode(&mut &call[..]).expect("a call"))
		})
		.collect();
	let first = node.best_number() + 1;
	let hashes = submit_at_once(&node, creations);
	let at_all = |event: &RuntimeEvent| match event {
		RuntimeEvent::Policies(PolicyEvent::PolicyCreated { ursulas, .. }) => {
			ursulas.len() == POLICY_URSULAS as usize
		},
		_ => false,
	};
	let created = blocks_of(&node, &hashes, first, at_all);
	let count: usize = created.iter().map(|(_, n)| n).sum();
	assert_eq!(count, POLICIES as usize, "every policy created at sixteen Ursulas: {created:?}");

	// Commitments that collect fees: each Ursula commits to the period the policies start in
	// and, once in it, to the next, which pays it that period's fee of each of its 64 policies
	// (the commitment's fee hook at its worst case), all sixteen at once.
	let commit_all = |node: &Node| {
		let first = node.best_number() + 1;
		let calls = (0..POLICY_URSULAS)
			.map(|i| (name("Worker", i), RuntimeCall::Staking(Staking::commit_to_next_period {})))
			.collect();
		let hashes = submit_at_once(node, calls);
		blocks_of(node, &hashes, first, |event| {
			matches!(event, RuntimeEvent::Policies(PolicyEvent::FeePaid { .. }))
		})
	};
	let current = |node: &Node| -> u32 {
		serde_json::from_value(node.rpc("keymarket_currentPeriod", json!([]))).expect("a period")
	};
	let bridge = commit_all(&node);
	let committed: BTreeSet<u32> = bridge
		.iter()
		.flat_map(|(number, _)| node.events(node.block_hash(*number).expect("a block")))
		.filter_map(|record| match record.event {
			RuntimeEvent::Staking(pallet_keymarket_staking::Event::Committed {
				period, ..
			}) => Some(period),
			_ => None,
		})
		.collect();
	let [served] = committed.into_iter().collect::<Vec<_>>()[..] else {
		panic!("the sixteen commitments fell in more than one period: {bridge:?}")
	};
	assert!(served > period, "committed to a period the policies pay for");
	wait_for("the committed period", Duration::from_secs(120), || {
		(current(&node) >= served).then_some(())
	});
	let fees = commit_all(&node);
	let count: usize = fees.iter().map(|(_, n)| n).sum();
	let each = (POLICY_URSULAS * POLICIES) as usize;
	assert_eq!(count, each, "each Ursula paid by each policy for its first period: {fees:?}");

	// All revoked at once.
	let first = node.best_number() + 1;
	let revocations = ids
		.iter()
		.map(|(owner, id)| {
			(owner.to_string(), RuntimeCall::Policies(Policies::revoke_policy { id: *id }))
		})
		.collect();
	let hashes = submit_at_once(&node, revocations);
	let revoked = blocks_of(&node, &hashes, first, |event| {
		matches!(event, RuntimeEvent::Policies(PolicyEvent::PolicyRevoked { .. }))
	});
	let count: usize = revoked.iter().map(|(_, n)| n).sum();
	assert_eq!(count, POLICIES as usize, "every policy revoked: {revoked:?}");

	// Honest weights (figures, not bounds: docs/performance.md).
	let numbers = |blocks: &[(u32, usize)]| -> BTreeSet<u32> {
		blocks.iter().map(|(number, _)| *number).collect()
	};
	let (created_blocks, fee_blocks) = (numbers(&created), numbers(&fees));
	let blocks = [created, fees, revoked].concat();
	let last = blocks.iter().map(|(number, _)| *number).max().expect("blocks");
	let times = follower.import_times(last);
	print_times_beside_weight(&node, &blocks, &times, |number, count| {
		if fee_blocks.contains(&number) {
			return format!("commitments paid {count} fees of policies at 16 Ursulas");
		}
		let what = if created_blocks.contains(&number) { "created" } else { "revoked" };
		format!("{count} policies at 16 Ursulas {what}")
	});
}
