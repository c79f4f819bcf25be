//! Bad input at the command line ends with a message that says what is wrong and what to do,
//! a non-zero exit code, and no panic backtrace.

mod harness;

use std::{net::TcpListener, time::Duration};

use harness::run_binary;

fn assert_clean_failure(status: Option<i32>, stderr: &str, expected: &str) {
	assert!(
		matches!(status, Some(code) if code != 0),
		"expected a failure, got {status:?}: {stderr}"
	);
	assert!(!stderr.contains("panicked"), "the node panicked: {stderr}");
	assert!(stderr.contains(expected), "expected `{expected}` in: {stderr}");
}

#[test]
fn an_unknown_chain_spec_path_is_named_in_the_error() {
	let dir = tempfile::tempdir().unwrap();
	let (status, _, stderr) = run_binary(
		&[
			"--chain",
			"/nonexistent/keymarket-spec.json",
			"--base-path",
			&dir.path().display().to_string(),
		],
		Duration::from_secs(60),
	);
	assert_clean_failure(status, &stderr, "/nonexistent/keymarket-spec.json");
}

#[test]
fn a_malformed_chain_spec_file_is_reported() {
	let dir = tempfile::tempdir().unwrap();
	let spec = dir.path().join("spec.json");
	std::fs::write(&spec, "{ this is not json").unwrap();
	let (status, _, stderr) = run_binary(
		&["--chain", &spec.display().to_string(), "--base-path", &dir.path().display().to_string()],
		Duration::from_secs(60),
	);
	assert_clean_failure(status, &stderr, "not a valid chain spec");
}

/// Starts a dev node on a fresh base path with `args` added and waits for it to stop (as a start
/// that must fail does): its exit status and stderr.
fn start_dev_node(args: &[&str]) -> (Option<i32>, String) {
	let dir = tempfile::tempdir().unwrap();
	let base_path = dir.path().display().to_string();
	let mut all = vec!["--dev", "--base-path", &base_path, "--no-mdns"];
	all.extend_from_slice(args);
	let (status, _, stderr) = run_binary(&all, Duration::from_secs(60));
	(status, stderr)
}

#[test]
fn an_occupied_rpc_port_is_reported() {
	let taken = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = taken.local_addr().unwrap().port().to_string();
	let p2p = harness::free_port().to_string();
	let (status, stderr) =
		start_dev_node(&["--rpc-port", &port, "--port", &p2p, "--no-prometheus"]);
	assert_clean_failure(status, &stderr, "already in use");
}

#[test]
fn an_occupied_metrics_port_is_reported() {
	let taken = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = taken.local_addr().unwrap().port().to_string();
	let (p2p, rpc) = (harness::free_port().to_string(), harness::free_port().to_string());
	let (status, stderr) =
		start_dev_node(&["--rpc-port", &rpc, "--port", &p2p, "--prometheus-port", &port]);
	assert_clean_failure(status, &stderr, "Prometheus metrics port");
	assert!(stderr.contains("--prometheus-port"), "{stderr}");
}

#[test]
fn a_corrupt_database_is_reported() {
	let dir = tempfile::tempdir().unwrap();
	let base = dir.path().display().to_string();
	// Create a real database, then damage it.
	let (status, _, stderr) =
		run_binary(&["export-state", "--dev", "--base-path", &base], Duration::from_secs(120));
	assert_eq!(status, Some(0), "a fresh dev database can be created: {stderr}");
	let db = dir.path().join("chains/keymarket_dev/paritydb/full");
	assert!(db.is_dir(), "the database lives at {}", db.display());
	for entry in std::fs::read_dir(&db).unwrap() {
		let path = entry.unwrap().path();
		if path.is_file() {
			std::fs::write(&path, b"\xde\xad\xbe\xef garbage").unwrap();
		}
	}
	let p2p = harness::free_port().to_string();
	let rpc = harness::free_port().to_string();
	let (status, _, stderr) = run_binary(
		&["--dev", "--base-path", &base, "--port", &p2p, "--rpc-port", &rpc, "--no-prometheus"],
		Duration::from_secs(60),
	);
	assert_clean_failure(status, &stderr, "database");
}

#[test]
fn export_chain_spec_names_every_preset_with_its_durations() {
	for (chain, id, period) in [
		("dev", "keymarket_dev", 10),
		("local", "keymarket_local", 10),
		("staging", "keymarket_staging", 14_400),
	] {
		let (status, stdout, stderr) =
			run_binary(&["export-chain-spec", "--chain", chain], Duration::from_secs(60));
		assert_eq!(status, Some(0), "{stderr}");
		let spec: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON chain spec");
		assert_eq!(spec["id"], id);
		assert_eq!(spec["properties"]["tokenSymbol"], "KEY");
		let durations = &spec["genesis"]["runtimeGenesis"]["patch"]["staking"]["durations"];
		assert_eq!(durations["blocksPerPeriod"], period, "{chain}: {durations}");
	}
}

#[test]
fn a_chain_spec_whose_durations_cannot_run_a_chain_is_refused_with_the_reason() {
	let (status, stdout, stderr) =
		run_binary(&["export-chain-spec", "--chain", "dev"], Duration::from_secs(60));
	assert_eq!(status, Some(0), "{stderr}");
	let mut spec: serde_json::Value = serde_json::from_str(&stdout).unwrap();
	let durations = &mut spec["genesis"]["runtimeGenesis"]["patch"]["staking"]["durations"];
	// A round of three blocks does not divide a period of ten.
	durations["blocksPerRound"] = 3.into();
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("spec.json");
	std::fs::write(&path, spec.to_string()).unwrap();
	let (status, _, stderr) = run_binary(
		&["--chain", &path.display().to_string(), "--base-path", &dir.path().display().to_string()],
		Duration::from_secs(60),
	);
	assert_clean_failure(status, &stderr, "RoundNotDividingPeriod");
	// An unknown field is named too.
	durations_field(&mut spec)["blocksPerFortnight"] = 1.into();
	durations_field(&mut spec)["blocksPerRound"] = 5.into();
	std::fs::write(&path, spec.to_string()).unwrap();
	let (status, _, stderr) = run_binary(
		&["--chain", &path.display().to_string(), "--base-path", &dir.path().display().to_string()],
		Duration::from_secs(60),
	);
	assert_clean_failure(status, &stderr, "blocksPerFortnight");
}

fn durations_field(spec: &mut serde_json::Value) -> &mut serde_json::Value {
	&mut spec["genesis"]["runtimeGenesis"]["patch"]["staking"]["durations"]
}
