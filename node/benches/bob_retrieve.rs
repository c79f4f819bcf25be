//! Bob's whole retrieval, as a user meets it: a dev chain of three nodes on loopback, each
//! hosting an Ursula (//Dave, //Eve, //Ferdie, staked by //Alice, //Bob, //Charlie); //Alice
//! grants //Bob a 2-of-3 policy on them, Enrico encrypts 1 KiB; then the real client,
//! `keymarket-node bob retrieve`, is run again and again, and each run is timed from its start
//! to its exit: the process starting, its chain look-ups over RPC (period, policy, payer,
//! Ursulas' endpoints), two Ursulas asked in turn, their fragments checked, the file decrypted
//! and written. Beside it, one process retrieving many times (`--repeat`): the same work less
//! the process start and the look-ups made once. Prints percentiles beside the target
//! (docs/performance.md). Run it with `./scripts/bench --bob`; `BENCH_RUNS` (default 100).

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{free_port, wait_for, Node, NodeConfig};
use serde_json::json;

const STAKERS: [&str; 3] = ["Alice", "Bob", "Charlie"];
const WORKERS: [&str; 3] = ["Dave", "Eve", "Ferdie"];
/// The target for the p50 of a whole retrieval on loopback.
const TARGET_P50_MS: f64 = 30.0;

fn main() {
	let mut nodes: Vec<Node> = Vec::new();
	let mut endpoints = Vec::new();
	for (i, worker) in WORKERS.iter().enumerate() {
		let port = free_port();
		endpoints.push(format!("http://127.0.0.1:{port}"));
		let mut config = NodeConfig::dev();
		if i > 0 {
			config.validator = None;
			config.bootnodes = vec![nodes[0].multiaddr()];
		}
		config.extra_args = vec!["--ursula-listen".into(), format!("127.0.0.1:{port}")];
		config.keys = harness::ursula_keys(worker);
		nodes.push(Node::start(&format!("bob-bench-{}", worker.to_lowercase()), config));
	}
	wait_for("the nodes to peer", Duration::from_secs(60), || {
		nodes.iter().all(|node| node.peers() >= 2).then_some(())
	});
	let url = nodes[0].rpc_url();
	for ((staker, worker), endpoint) in STAKERS.iter().zip(WORKERS).zip(&endpoints) {
		harness::stake_for_ursula(&nodes[0], staker, worker, endpoint);
	}
	wait_for("three active Ursulas", Duration::from_secs(240), || {
		let active = nodes[0].rpc("keymarket_activeUrsulas", json!([]));
		(active.as_array().map(Vec::len) == Some(3)).then_some(())
	});

	let dir = tempfile::tempdir().expect("a temp dir");
	let bob_key = harness::keygens(dir.path());
	let ursulas: Vec<String> =
		WORKERS.iter().map(|w| harness::dev_account(w).to_string()).collect();
	let mut terms = vec!["--threshold", "2", "--periods", "1000"];
	for ursula in &ursulas {
		terms.extend(["--ursula", ursula]);
	}
	let policy = harness::alice_grants(&url, dir.path(), "bench", &bob_key, &terms);
	std::fs::write(dir.path().join("plain.txt"), vec![7u8; 1024]).expect("a temp file");
	let policy = policy["policy"].as_str().expect("a policy id");
	harness::enrico_encrypts(&url, dir.path(), policy, "plain.txt", "secret.enc");
	let at = |name: &str| harness::path_in(dir.path(), name);
	let (keys, input, output) = (at("bob.json"), at("secret.enc"), at("plain.out"));
	let retrieve = |repeat: &str| {
		let started = Instant::now();
		let done = std::process::Command::new(harness::NODE_BINARY)
			.args(["bob", "retrieve", "--keys", &keys, "--suri", "//Bob", "--in", &input])
			.args(["--out", &output, "--repeat", repeat, "--rpc", &url])
			.stdin(std::process::Stdio::null())
			.output()
			.expect("the node binary runs");
		(started.elapsed(), done)
	};
	// The Ursulas pick their key fragments up with the next blocks: wait until a retrieval
	// succeeds with no problem from the Ursulas Bob asked (the first two, in the policy's order).
	wait_for("the Ursulas to hold their key fragments", Duration::from_secs(120), || {
		let (_, done) = retrieve("1");
		let report: serde_json::Value = serde_json::from_slice(&done.stdout).ok()?;
		(done.status.success() && report["problems"].as_array().is_some_and(Vec::is_empty))
			.then_some(())
	});

	let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(100);
	let mut times: Vec<Duration> = (0..runs)
		.map(|_| {
			let (took, done) = retrieve("1");
			assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
			took
		})
		.collect();
	times.sort();
	let ms = |q: f64| {
		let i = ((times.len() as f64 * q) as usize).min(times.len() - 1);
		times[i].as_secs_f64() * 1e3
	};
	assert_eq!(std::fs::read(&output).expect("decrypted"), vec![7u8; 1024]);
	let repeat = runs.max(1);
	let (took, done) = retrieve(&repeat.to_string());
	assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
	let per_retrieval = took.as_secs_f64() * 1e3 / repeat as f64;

	println!("| Bob's 2-of-3 retrieve and decrypt, 1 KiB, loopback | p50 ms | p90 ms | p99 ms | max ms | target |");
	println!("|---|---|---|---|---|---|");
	println!(
		"| `bob retrieve`, a process each time ({runs} runs) | {:.1} | {:.1} | {:.1} | {:.1} | p50 < {TARGET_P50_MS} ms: {} |",
		ms(0.5),
		ms(0.9),
		ms(0.99),
		ms(1.0),
		if ms(0.5) < TARGET_P50_MS { "met" } else { "not met" }
	);
	println!(
		"| one process, `--repeat {repeat}`: mean per retrieval (no process start, look-ups once) | {per_retrieval:.1} | | | | |"
	);
	drop(nodes);
}
