//! The Ursula endpoint benchmark: a dev chain whose node hosts //Ferdie's Ursula (staked by
//! //Alice), a 1-of-1 policy for //Bob on it, a file Enrico encrypted; then
//! `keymarket-node bench-ursula` measures raw umbral-pre re-encryption and the endpoint on
//! loopback, closed loop at several concurrencies and open loop at fixed rates, and prints the
//! table (docs/performance.md keeps the figures). Run it with `./scripts/bench --ursula`.
//!
//! With two cores or more, the node is pinned to the first (`taskset`, every thread it has and
//! will have) and the load generator to the second, so the endpoint's single core is compared
//! with raw re-encryption on a single core in the same run. Last, the node is restarted with its
//! default limits and Bob's latency is measured alone and beside a flood of forged requests and
//! complaints from 256 loopback addresses (`--part flood`).

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::time::Duration;

use harness::{client, free_port, wait_for, Node, NodeConfig};
use serde_json::json;

fn main() {
	let port = free_port();
	let endpoint = format!("http://127.0.0.1:{port}");
	let mut config = NodeConfig::dev();
	config.extra_args = vec![
		"--ursula-listen".into(),
		format!("127.0.0.1:{port}"),
		// The benchmark is one client address, one Bob, sending as fast as they can.
		"--ursula-rate-limit".into(),
		"1000000".into(),
		"--ursula-bob-rate-limit".into(),
		"1000000".into(),
		"--ursula-capsules-in-flight".into(),
		"1000000".into(),
		"--ursula-connections-per-address".into(),
		"1024".into(),
	];
	config.keys = harness::ursula_keys("Ferdie");
	let mut node = Node::start("bench", config);
	let url = node.rpc_url();
	harness::stake_for_ursula(&node, "Alice", "Ferdie", &endpoint);
	wait_for("Ferdie to be active", Duration::from_secs(240), || {
		let active = node.rpc("keymarket_activeUrsulas", json!([]));
		(active.as_array().map(Vec::len) == Some(1)).then_some(())
	});

	let dir = tempfile::tempdir().expect("a temp dir");
	let at = |name: &str| dir.path().join(name).display().to_string();
	client(&["alice", "keygen", "--out", &at("alice.json")]);
	let bob_key = client(&["bob", "keygen", "--out", &at("bob.json")])["bobKey"]
		.as_str()
		.unwrap()
		.to_string();
	let ferdie = harness::dev_pair("Ferdie");
	let ferdie = sp_runtime::AccountId32::from(sp_core::Pair::public(&ferdie)).to_string();
	let bob =
		sp_runtime::AccountId32::from(sp_core::Pair::public(&harness::dev_pair("Bob"))).to_string();
	let policy = client(&[
		"alice",
		"grant",
		"--keys",
		&at("alice.json"),
		"--suri",
		"//Alice",
		"--label",
		"bench",
		"--bob",
		&bob,
		"--bob-key",
		&bob_key,
		"--threshold",
		"1",
		"--ursula",
		&ferdie,
		"--periods",
		"1000",
		"--rate",
		"1000000000",
		"--rpc",
		&url,
	]);
	std::fs::write(at("plain.txt"), vec![7u8; 1024]).unwrap();
	let policy = policy["policy"].as_str().unwrap().to_string();
	client(&[
		"enrico",
		"encrypt",
		"--policy",
		&policy,
		"--in",
		&at("plain.txt"),
		"--out",
		&at("secret.enc"),
		"--rpc",
		&url,
	]);
	let served = || {
		let (status, _, _) = harness::run_binary(
			&[
				"bob",
				"retrieve",
				"--keys",
				&at("bob.json"),
				"--suri",
				"//Bob",
				"--in",
				&at("secret.enc"),
				"--out",
				&at("plain.out"),
				"--rpc",
				&url,
			],
			Duration::from_secs(60),
		);
		(status == Some(0)).then_some(())
	};
	wait_for("the Ursula to hold its key fragment", Duration::from_secs(60), &served);

	let seconds = std::env::var("BENCH_SECONDS").unwrap_or_else(|_| "10".into());
	let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
	let node_pid = node.pid().expect("the node runs").to_string();
	let pin_node = |cpus: &str| {
		let pinned = std::process::Command::new("taskset")
			.args(["--all-tasks", "--cpu-list", "--pid", cpus, &node_pid])
			.stdout(std::process::Stdio::null())
			.status()
			.expect("taskset (util-linux) runs");
		assert!(pinned.success(), "cannot pin the node to cores {cpus}");
	};
	let bench = |part: &str, cpus: Option<&str>| {
		let mut bench = std::process::Command::new(harness::NODE_BINARY);
		if let Some(cpus) = cpus {
			bench = std::process::Command::new("taskset");
			bench.args(["--cpu-list", cpus, harness::NODE_BINARY]);
		}
		let status = bench
			.args(["bench-ursula", "--endpoint", &endpoint, "--ursula", &ferdie])
			.args(["--in", &at("secret.enc"), "--seconds", &seconds, "--part", part])
			.args(if part == "flood" { vec!["--rpc", url.as_str()] } else { vec![] })
			// More flags, e.g. `--levels 4 --rates 1000 --batches 32` for one figure.
			.args(std::env::var("BENCH_URSULA_ARGS").unwrap_or_default().split_whitespace())
			.status()
			.expect("the node binary runs");
		assert!(status.success(), "bench-ursula --part {part} failed");
	};
	// `BENCH_PARTS=latency` (or `single-core`, or `flood`) runs one part only.
	let parts = std::env::var("BENCH_PARTS").unwrap_or_else(|_| "single-core,latency,flood".into());
	let runs = |part: &str| parts.split(',').any(|p| p == part);
	if cores > 1 {
		// The endpoint's one core against raw re-encryption on one core.
		if runs("single-core") {
			pin_node("0");
			println!("single core: the node on core 0, the load generator on core 1");
			bench("single-core", Some("1"));
		}
		// Latency as an operator's machine serves: the node and the load share both cores.
		if runs("latency") {
			let all = format!("0-{}", cores - 1);
			pin_node(&all);
			println!("latency: the node and the load generator on cores {all}");
			bench("latency", None);
		}
	} else {
		for part in ["single-core", "latency"].into_iter().filter(|p| runs(p)) {
			bench(part, None);
		}
	}
	if runs("flood") {
		// The node as an operator runs it: every limit at its default but the connections of
		// one address (Bob's open loop keeps 64), on both cores.
		node.stop();
		node.config.extra_args = vec![
			"--ursula-listen".into(),
			format!("127.0.0.1:{port}"),
			"--ursula-connections-per-address".into(),
			"1024".into(),
		];
		node.start_again(&[]);
		wait_for("the Ursula to serve again", Duration::from_secs(120), &served);
		println!("flood: the node with its default limits, beside the load on every core");
		bench("flood", None);
	}
	drop(node);
}
