//! Faults on a real network: the four validators of the `local` chain and a fifth node, each
//! hosting an Ursula, split over two hosts of their own — network namespaces this test makes,
//! joined by a bridge — and the nodes on both network backends (libp2p, which the design names,
//! and litep2p, the default), talking to each other. Then, one after the other:
//!
//! - a validator is killed (SIGKILL): the other three go on finalizing; restarted on its
//!   database, it catches up and votes again;
//! - an Ursula's node is killed while Bob's requests stream in: every answer Bob got has its
//!   record in the served log, and after the restart no sequence number is served again;
//! - a node loses its database: it warp-syncs from its peers and serves Bob again, its key
//!   fragments and files intact;
//! - the network is cut in two (two validators a side): blocks go on on both sides, finality
//!   stops; healed, one chain wins and finality passes the gap;
//! - every node stops on SIGTERM with status 0, and starts again on what it left.
//!
//! After each: finality resumes and passes the gap, all nodes agree on the finalized head, and
//! Bob gets a fragment from every Ursula. At the end no sequence number was served twice, and no
//! offence was ever reported: no honest Ursula was punished for the network's faults.
//!
//! The namespaces need root (CAP_NET_ADMIN), as CI has.

mod harness;

use std::{
	collections::{BTreeMap, BTreeSet},
	path::{Path, PathBuf},
	process::Command,
	sync::{
		atomic::{AtomicBool, AtomicUsize, Ordering},
		Arc,
	},
	time::Duration,
};

use codec::Encode;
use harness::{free_port, wait_for, NetHost, Node, NodeConfig};
use keymarket_primitives::{
	framing::{scan_frames, unframe_served_record},
	policies::{ReencryptionResponse, RequestError, ServedRecord},
	AccountId,
};
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};

const STAKERS: [&str; 5] = ["Alice", "Bob", "Charlie", "Alice//stash", "Bob//stash"];
const WORKERS: [&str; 5] = ["Dave", "Eve", "Ferdie", "Charlie//stash", "Dave//stash"];
/// The nodes, their side of the cut, and their network backend.
const NODES: [(&str, Side, &str); 5] = [
	("alice", Side::A, "libp2p"),
	("bob", Side::A, "litep2p"),
	("charlie", Side::B, "libp2p"),
	("dave", Side::B, "litep2p"),
	("eve", Side::A, "libp2p"),
];
const ALICE: usize = 0;
const DAVE: usize = 3;
/// The fifth node: no validator, an Ursula.
const EVE: usize = 4;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
	A,
	B,
}

fn pair(name: &str) -> sr25519::Pair {
	harness::dev_pair(name)
}

fn account(name: &str) -> AccountId {
	pair(name).public().into()
}

/// Runs `ip` (iproute2) or `bridge` with `args`; fails the test with what it printed.
fn run(program: &str, args: &[&str]) {
	let output = Command::new(program)
		.args(args)
		.output()
		.unwrap_or_else(|e| panic!("cannot run {program} (iproute2): {e}"));
	assert!(
		output.status.success(),
		"{program} {}: {}\n(this test makes network namespaces: it needs root)",
		args.join(" "),
		String::from_utf8_lossy(&output.stderr)
	);
}

/// Two hosts of their own (network namespaces), each with one address, joined by a bridge that
/// also carries the test's own connections to them. [`Hosts::cut`] isolates the two ports of the
/// bridge from each other: the sides no longer reach each other, the test still reaches both.
struct Hosts {
	bridge: String,
	ports: [String; 2],
	netns: [String; 2],
	ips: [String; 2],
}

impl Hosts {
	fn new() -> Self {
		// Names and a subnet of this process's own, so that runs side by side do not meet.
		let id = std::process::id();
		let subnet = format!("10.77.{}", id % 250);
		let hosts = Hosts {
			bridge: format!("kmbr{id}"),
			ports: [format!("km{id}a"), format!("km{id}b")],
			netns: [format!("keymarket-{id}-a"), format!("keymarket-{id}-b")],
			ips: [format!("{subnet}.1"), format!("{subnet}.2")],
		};
		run("ip", &["link", "add", &hosts.bridge, "type", "bridge"]);
		run("ip", &["addr", "add", &format!("{subnet}.254/24"), "dev", &hosts.bridge]);
		run("ip", &["link", "set", &hosts.bridge, "up"]);
		for i in 0..2 {
			let (ns, port, ip) = (&hosts.netns[i], &hosts.ports[i], &hosts.ips[i]);
			run("ip", &["netns", "add", ns]);
			run("ip", &["link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
			run("ip", &["link", "set", port, "master", &hosts.bridge]);
			run("ip", &["link", "set", port, "up"]);
			run("ip", &["-n", ns, "addr", "add", &format!("{ip}/24"), "dev", "eth0"]);
			run("ip", &["-n", ns, "link", "set", "eth0", "up"]);
			run("ip", &["-n", ns, "link", "set", "lo", "up"]);
		}
		hosts
	}

	fn host(&self, side: Side) -> NetHost {
		let i = side as usize;
		NetHost { netns: self.netns[i].clone(), ip: self.ips[i].clone() }
	}

	/// Cuts the network in two (`true`) or heals it.
	fn cut(&self, cut: bool) {
		for port in &self.ports {
			run(
				"bridge",
				&["link", "set", "dev", port, "isolated", if cut { "on" } else { "off" }],
			);
		}
	}
}

impl Drop for Hosts {
	fn drop(&mut self) {
		for ns in &self.netns {
			let _ = Command::new("ip").args(["netns", "del", ns]).status();
		}
		let _ = Command::new("ip").args(["link", "del", &self.bridge]).status();
	}
}

/// The network: its nodes (stopped before the hosts go) and where their Ursulas listen.
struct Network {
	nodes: Vec<Node>,
	endpoints: Vec<String>,
	hosts: Hosts,
}

impl Network {
	fn start(hosts: Hosts) -> Self {
		let mut nodes: Vec<Node> = Vec::new();
		let mut endpoints = Vec::new();
		for ((name, side, backend), worker) in NODES.into_iter().zip(WORKERS) {
			let host = hosts.host(side);
			let port = free_port();
			let mut config = NodeConfig::local_validator(name);
			config.extra_args = vec![
				"--ursula-listen".into(),
				format!("{}:{port}", host.ip),
				"--network-backend".into(),
				backend.into(),
				// Each line with its level (and target): the run ends by counting the errors.
				"--detailed-log-output".into(),
			];
			config.keys = harness::ursula_keys(worker);
			// Alice, Bob and Charlie: nodes of both sides.
			config.bootnodes = nodes.iter().take(3).map(Node::multiaddr).collect();
			endpoints.push(format!("http://{}:{port}", host.ip));
			config.host = Some(host);
			nodes.push(Node::start(name, config));
		}
		Network { nodes, endpoints, hosts }
	}

	/// Waits until every node finalizes a block at or past `number`, and checks that they all
	/// agree on its hash: one chain, finalized everywhere.
	fn finalized_everywhere(&mut self, number: u32, what: &str) {
		for node in self.nodes.iter_mut() {
			node.wait_for_finalized(number, Duration::from_secs(240));
		}
		let hashes: Vec<_> = self.nodes.iter().map(|node| node.block_hash(number)).collect();
		assert!(
			hashes.iter().all(|hash| hash.is_some() && *hash == hashes[0]),
			"{what}: the nodes disagree on finalized block #{number}: {hashes:?}"
		);
	}

	/// The highest best block of the running nodes.
	fn best(&self) -> u32 {
		self.nodes.iter().map(Node::best_number).max().unwrap_or(0)
	}
}

/// What Bob needs to ask the Ursulas.
struct Grant {
	policy: [u8; 16],
	ursulas: Vec<AccountId>,
	capsule: Vec<u8>,
	dir: tempfile::TempDir,
}

fn path(dir: &Path, name: &str) -> String {
	harness::path_in(dir, name)
}

/// Bob's request number `sequence` to `ursula` for `capsule` under `policy`.
fn ask(
	endpoint: &str,
	(policy, capsule): ([u8; 16], &[u8]),
	ursula: &AccountId,
	sequence: u64,
) -> Result<Result<ReencryptionResponse, RequestError>, String> {
	harness::ursula_api::reencrypt(
		endpoint,
		&pair("Bob"),
		&account("Bob"),
		policy,
		ursula,
		sequence,
		vec![capsule.to_vec()],
	)
}

/// Bob's request's answer once the Ursula at `endpoint` is up and has room for it.
fn ask_when_up(
	endpoint: &str,
	request: ([u8; 16], &[u8]),
	ursula: &AccountId,
	sequence: u64,
	what: &str,
) -> Result<ReencryptionResponse, RequestError> {
	wait_for(what, Duration::from_secs(120), || {
		ask(endpoint, request, ursula, sequence)
			.ok()
			.filter(|answer| answer.as_ref().err() != Some(&RequestError::Unavailable))
	})
}

/// Every Ursula serves Bob a fragment (waiting for endpoints that are coming back), and Bob's
/// client decrypts the file through the network.
fn every_ursula_serves(net: &Network, grant: &Grant, what: &str) {
	for (i, worker) in WORKERS.iter().enumerate() {
		let request = (grant.policy, &grant.capsule[..]);
		let waiting = format!("{what}: {worker}'s Ursula");
		let answer = ask_when_up(
			&net.endpoints[i],
			request,
			&account(worker),
			harness::now_micros(),
			&waiting,
		);
		let served = answer.unwrap_or_else(|e| panic!("{what}: {worker}'s Ursula refused: {e:?}"));
		assert_eq!(served.cfrags.len(), 1, "{what}: {worker}'s Ursula");
	}
	let dir = grant.dir.path();
	let (status, stdout, stderr) = harness::run_binary(
		&[
			"bob",
			"retrieve",
			"--keys",
			&path(dir, "bob.json"),
			"--suri",
			"//Bob",
			"--in",
			&path(dir, "secret.enc"),
			"--out",
			&path(dir, "plain.out"),
			"--rpc",
			&net.nodes[ALICE].rpc_url(),
		],
		Duration::from_secs(120),
	);
	assert_eq!(status, Some(0), "{what}: Bob decrypts: {stdout} {stderr}");
	assert_eq!(std::fs::read(dir.join("plain.out")).unwrap(), PLAINTEXT, "{what}");
}

const PLAINTEXT: &[u8] = b"kept through crashes, lost disks and a split network";

/// The Ursulas of all five nodes are staked and active; Alice grants Bob 3-of-5, Enrico
/// encrypts, Bob decrypts.
fn set_up_the_market(net: &Network) -> Grant {
	let alice = &net.nodes[ALICE];
	std::thread::scope(|scope| {
		for ((staker, worker), endpoint) in STAKERS.iter().zip(WORKERS).zip(&net.endpoints) {
			scope.spawn(move || harness::stake_for_ursula(alice, staker, worker, endpoint));
		}
	});
	wait_for("five active Ursulas", Duration::from_secs(300), || {
		let active = alice.rpc("keymarket_activeUrsulas", json!([]));
		(active.as_array().map(Vec::len) == Some(5)).then_some(())
	});
	let dir = tempfile::tempdir().expect("a temp dir");
	let url = alice.rpc_url();
	let bob_key = harness::keygens(dir.path());
	let terms = ["--threshold", "3", "--shares", "5", "--periods", "60"];
	let grant = harness::alice_grants(&url, dir.path(), "faults", &bob_key, &terms);
	let policy: [u8; 16] = harness::unhex(grant["policy"].as_str().unwrap()).try_into().unwrap();
	let ursulas: Vec<AccountId> = serde_json::from_value(grant["ursulas"].clone()).unwrap();
	assert_eq!(ursulas.len(), 5);
	std::fs::write(dir.path().join("plain.txt"), PLAINTEXT).unwrap();
	let policy_hex = grant["policy"].as_str().unwrap();
	let capsule = harness::enrico_encrypts(&url, dir.path(), policy_hex, "plain.txt", "secret.enc");
	Grant { policy, ursulas, capsule, dir }
}

/// The served-request log of the Ursula on `node`, read straight from its files with the
/// framing's own reader (`keymarket_primitives::framing`): every record of every period, in
/// order.
fn served_log(node: &Node) -> Vec<ServedRecord> {
	served_log_files(node).into_iter().flat_map(|(records, _)| records).collect()
}

/// Each period's served records on `node`, and whether its log and index end together with a
/// whole record (as a clean stop leaves them).
fn served_log_files(node: &Node) -> Vec<(Vec<ServedRecord>, bool)> {
	let chains = node.base_path().join("chains");
	let dirs: Vec<PathBuf> = std::fs::read_dir(&chains)
		.expect("the node has run")
		.flatten()
		.map(|chain| chain.path().join("ursula").join("served"))
		.filter(|dir| dir.is_dir())
		.collect();
	let mut logs: Vec<PathBuf> = dirs
		.iter()
		.flat_map(|dir| std::fs::read_dir(dir).expect("readable").flatten().map(|e| e.path()))
		.filter(|file| file.extension().is_some_and(|ext| ext == "log"))
		.collect();
	logs.sort_by_key(|file| {
		file.file_stem().and_then(|s| s.to_str()).and_then(|s| s.parse::<u32>().ok())
	});
	let mut files = Vec::new();
	for file in logs {
		let bytes = std::fs::read(&file).expect("readable");
		let (found, damaged) = scan_frames(&bytes, unframe_served_record);
		// A crash may leave a torn record at the end (never one whose answer went out), and
		// nothing else damaged.
		let end = found.last().map_or(0, |(at, _)| at.offset + u64::from(at.len));
		assert_eq!(end + damaged, bytes.len() as u64, "damage before the end of {file:?}");
		let records: Vec<ServedRecord> = found.into_iter().map(|(_, record)| record).collect();
		// 12 bytes an entry: offset and length of each record.
		let index = std::fs::metadata(file.with_extension("idx")).map_or(0, |m| m.len());
		let whole = damaged == 0 && index == 12 * records.len() as u64;
		files.push((records, whole));
	}
	files
}

#[test]
fn the_network_survives_crashes_lost_disks_and_a_partition_and_punishes_no_one() {
	let started = std::time::Instant::now();
	let phase = |what: &str| println!("faults: {what} at {:.0?}", started.elapsed());
	let mut net = Network::start(Hosts::new());
	wait_for("every node to see the four others", Duration::from_secs(90), || {
		net.nodes.iter().all(|node| node.peers() >= 4).then_some(())
	});
	net.finalized_everywhere(2, "at the start");
	let grant = set_up_the_market(&net);
	every_ursula_serves(&net, &grant, "at the start");
	phase("five Ursulas serve");

	// 1. A validator crashes: three of four finalize on without it.
	net.nodes[DAVE].kill();
	let finalized = net.nodes[ALICE].finalized_number();
	net.nodes[ALICE].wait_for_finalized(finalized + 4, Duration::from_secs(120));
	// Back on its database, it catches up and votes again.
	net.nodes[DAVE].start_again(&[]);
	let gap = net.best();
	net.finalized_everywhere(gap + 1, "a validator killed and restarted");
	every_ursula_serves(&net, &grant, "a validator killed and restarted");
	phase("a validator killed and restarted");

	// 2. An Ursula's node is killed while Bob's requests stream in.
	let eve_ursula = account(WORKERS[EVE]);
	let endpoint = net.endpoints[EVE].clone();
	let base = harness::now_micros();
	let stop = Arc::new(AtomicBool::new(false));
	let count = Arc::new(AtomicUsize::new(0));
	let stream = {
		let (stop, count, policy, capsule) =
			(stop.clone(), count.clone(), grant.policy, grant.capsule.clone());
		let (endpoint, ursula) = (endpoint.clone(), eve_ursula.clone());
		std::thread::spawn(move || {
			let mut answered = Vec::new();
			let mut sequence = base;
			while !stop.load(Ordering::SeqCst) {
				sequence += 1;
				match ask(&endpoint, (policy, &capsule), &ursula, sequence) {
					Ok(Ok(answer)) => answered.push((sequence, answer)),
					Ok(Err(refusal)) => panic!("request {sequence} refused: {refusal:?}"),
					// The node is gone.
					Err(_) => break,
				}
				count.store(answered.len(), Ordering::SeqCst);
			}
			(answered, sequence)
		})
	};
	wait_for("Bob's stream to be served", Duration::from_secs(30), || {
		(stream.is_finished() || count.load(Ordering::SeqCst) > 20).then_some(())
	});
	net.nodes[EVE].kill();
	stop.store(true, Ordering::SeqCst);
	let (answered, last) = stream.join().expect("the stream ran");
	assert!(answered.len() > 20, "Bob's requests were served before the crash: {answered:?}");
	println!("faults: {} answers before the crash, {} requests sent", answered.len(), last - base);
	let logged: BTreeMap<u64, ServedRecord> = served_log(&net.nodes[EVE])
		.into_iter()
		.filter(|r| r.request.body.policy == grant.policy)
		.map(|r| (r.request.body.sequence, r))
		.collect();
	for (sequence, _) in &answered {
		assert!(logged.contains_key(sequence), "answer {sequence} has no record after the crash");
	}
	net.nodes[EVE].start_again(&[]);
	// Nothing Bob sent before the crash is served again: what has a record (every answer Bob
	// got, and one the kill cut off after its record) gets the answer it was given, from the
	// log; what was in flight without a record stays used.
	let answers: BTreeMap<u64, ReencryptionResponse> = answered.into_iter().collect();
	let mut cut_off = 0;
	for sequence in base + 1..=last {
		let request = (grant.policy, &grant.capsule[..]);
		let answer = ask_when_up(&endpoint, request, &eve_ursula, sequence, "the restarted Ursula");
		match logged.get(&sequence) {
			Some(record) => {
				let answer = answer.unwrap_or_else(|e| panic!("sequence {sequence}: {e:?}"));
				assert_eq!(
					answer.cfrags, record.cfrags,
					"sequence {sequence}: its record's answer"
				);
				match answers.get(&sequence) {
					Some(given) => assert_eq!(&answer, given, "sequence {sequence}: Bob's answer"),
					None => cut_off += 1,
				}
			},
			None => assert_eq!(answer.err(), Some(RequestError::ReplayedSequence), "{sequence}"),
		}
	}
	println!("faults: {cut_off} answers cut off by the kill, given after the restart");
	every_ursula_serves(&net, &grant, "an Ursula killed mid-stream");
	phase("an Ursula killed mid-stream");

	// 3. The same node loses its database: it warp-syncs and serves again.
	net.nodes[EVE].kill();
	net.nodes[EVE].wipe_database();
	net.nodes[EVE].start_again(&["--sync", "warp"]);
	let gap = net.best();
	net.finalized_everywhere(gap + 1, "a node that lost its database");
	let log = std::fs::read_to_string(net.nodes[EVE].log_path()).expect("the node's log");
	assert!(log.contains("Warp sync is complete"), "the node warp-synced");
	// Synced, it is an ordinary node again: a later restart on its database is no warp sync
	// (which Substrate refuses on a partly synced database, with an error line).
	let args = &mut net.nodes[EVE].config.extra_args;
	if let Some(at) = args.iter().position(|arg| arg == "--sync") {
		args.drain(at..at + 2);
	}
	every_ursula_serves(&net, &grant, "a node that lost its database");
	phase("a node that lost its database");

	// 4. The network is cut in two: Alice, Bob and Eve on one side, Charlie and Dave on the other.
	// (The connections across the cut stay open, silent: the peers do not notice.)
	net.hosts.cut(true);
	// Both sides author in their validators' slots, each its own chain; neither has the three
	// votes to finalize. (Votes cast before the cut may still finalize blocks both sides had:
	// on a loaded machine finality lags several blocks behind.)
	let split =
		wait_for("the two sides to build their own chains", Duration::from_secs(120), || {
			let (a, b) = (&net.nodes[ALICE], &net.nodes[DAVE]);
			let number = a.best_number().min(b.best_number());
			(a.block_hash(number) != b.block_hash(number)).then_some(number)
		});
	// The height where the two chains part: the first block the sides do not share.
	let (a, b) = (&net.nodes[ALICE], &net.nodes[DAVE]);
	let fork = (0..=split).find(|n| a.block_hash(*n) != b.block_hash(*n)).expect("they differ");
	for node in net.nodes.iter_mut() {
		node.wait_for_best(split + 3, Duration::from_secs(120));
	}
	for node in &net.nodes {
		assert!(
			node.finalized_number() < fork,
			"{} finalized #{} past the cut: the sides part at #{fork}",
			node.name,
			node.finalized_number()
		);
	}
	net.hosts.cut(false);
	let gap = net.best();
	net.finalized_everywhere(gap + 1, "the network healed");
	every_ursula_serves(&net, &grant, "the network healed");
	phase("the network healed");

	// 5. Clean stops: SIGTERM, status 0, the served log whole (no torn record, its index
	// complete), and every node starts again on what it left.
	for node in net.nodes.iter_mut() {
		let status = node.stop();
		assert!(
			status.is_some_and(|s| s.success()),
			"{} did not stop cleanly on SIGTERM: {status:?}",
			node.name
		);
		let files = served_log_files(node);
		assert!(files.iter().all(|(_, whole)| *whole), "{}'s served log is torn", node.name);
		node.start_again(&[]);
	}
	let gap = net.best();
	net.finalized_everywhere(gap + 1, "every node stopped and started");
	every_ursula_serves(&net, &grant, "every node stopped and started");
	phase("every node stopped and started");

	// No sequence number was served twice by any Ursula; no offence was ever reported, no
	// slash is pending: no honest Ursula paid for the network's faults.
	for node in &net.nodes {
		let mut seen = BTreeSet::new();
		for record in served_log(node) {
			let body = &record.request.body;
			let key = (body.policy, body.bob.clone(), body.sequence);
			assert!(seen.insert(key.clone()), "{} served {key:?} twice", node.name);
		}
	}
	let alice = &net.nodes[ALICE];
	let next_slash: u64 = alice
		.storage_value(&harness::storage_key(b"Slashing", b"NextSlashId"), None)
		.unwrap_or_default();
	assert_eq!(next_slash, 0, "an offence was reported");
	let pending = alice.rpc(
		"state_call",
		json!(["SlashingApi_pending_slashes", harness::hex(&Option::<AccountId>::None.encode())]),
	);
	assert_eq!(pending, json!("0x00"), "no slash is pending");
	assert!(grant.ursulas.iter().all(|u| WORKERS.iter().any(|w| account(w) == *u)));

	// Zero error lines: over the whole run (every start, kill, wipe and the partition; each
	// node's log is appended to across restarts) no node logged an error but one Substrate
	// writes on a clean stop: as the node shuts down on SIGTERM, the fork-aware pool's
	// background task ends with the pool, and the task manager words the end of an essential
	// task as an error (the node exits 0, as checked above). Each node was stopped so once.
	for node in &net.nodes {
		let log = std::fs::read_to_string(node.log_path()).expect("the node's log");
		let errors: Vec<&str> = log.lines().filter(|line| is_error_line(line)).collect();
		let (at_stop, others): (Vec<&str>, Vec<&str>) =
			errors.iter().copied().partition(|line| line.contains(POOL_ENDS_AT_STOP));
		println!(
			"faults: {} logged {} lines, {} errors ({} at its clean stop)",
			node.name,
			log.lines().count(),
			errors.len(),
			at_stop.len()
		);
		assert!(others.is_empty(), "{} logged errors:\n{}", node.name, others.join("\n"));
		assert!(at_stop.len() <= 1, "{}: {at_stop:?} for one clean stop", node.name);
	}
}

/// What Substrate's task manager logs when the transaction pool's background task ends as the
/// node stops.
const POOL_ENDS_AT_STOP: &str =
	"sc_service::task_manager: Essential task `txpool-background` failed. Shutting down service.";

/// A line Substrate's logger wrote at level ERROR, with `--detailed-log-output`:
/// `<date> <time> ERROR <thread> <target>: …`.
fn is_error_line(line: &str) -> bool {
	line.split(' ').nth(2) == Some("ERROR")
}

#[test]
fn an_error_line_is_told_from_the_others() {
	assert!(is_error_line("2026-12-01 11:18:24.120 ERROR tokio-runtime-worker sync: lost"));
	assert!(!is_error_line("2026-12-01 11:18:24.120  WARN tokio-runtime-worker sync: slow"));
	assert!(!is_error_line(
		"2026-12-01 11:18:24.120  INFO main sc_cli::runner: ERROR in a message"
	));
}
