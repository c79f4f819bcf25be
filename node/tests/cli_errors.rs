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
fn a_service_limit_of_zero_is_refused_by_name() {
	for flag in [
		"--ursula-connections-per-address",
		"--ursula-request-timeout",
		"--ursula-capsules-in-flight",
		"--gateway-forward-timeout",
		"--gateway-complaints-per-bob",
		"--gateway-complaints-per-policy",
	] {
		let (status, stderr) = start_dev_node(&[flag, "0"]);
		assert_clean_failure(status, &stderr, &format!("invalid value '0' for '{flag}"));
		assert_clean_failure(status, &stderr, "is not in 1..");
	}
	let (status, stderr) = start_dev_node(&["--ursula-answer-cases", "maybe"]);
	assert_clean_failure(status, &stderr, "invalid value 'maybe' for '--ursula-answer-cases");
}

/// Starts a dev node (as [`start_dev_node`]) serving as an Ursula on `listen`, on free ports.
fn start_ursula_dev_node(listen: &str) -> (Option<i32>, String) {
	let (p2p, rpc) = (harness::free_port().to_string(), harness::free_port().to_string());
	let args = ["--ursula-listen", listen, "--port", &p2p, "--rpc-port", &rpc, "--no-prometheus"];
	start_dev_node(&args)
}

#[test]
fn an_ursula_node_without_a_worker_key_does_not_start() {
	let listen = format!("127.0.0.1:{}", harness::free_port());
	let (status, stderr) = start_ursula_dev_node(&listen);
	let says = "--ursula-listen needs a worker key (`ursw`) in the keystore";
	assert_clean_failure(status, &stderr, says);
}

#[test]
fn an_occupied_ursula_port_is_reported() {
	let taken = TcpListener::bind("127.0.0.1:0").unwrap();
	let listen = taken.local_addr().unwrap().to_string();
	let (status, stderr) = start_ursula_dev_node(&listen);
	let says = format!("the Ursula endpoint port {listen} is already in use by another process");
	assert_clean_failure(status, &stderr, &says);
	assert!(stderr.contains("choose another port with --ursula-listen"), "{stderr}");
}

/// A `--wasm-cache` that cannot be a folder (a file is there) is named, and the node does not
/// start: wasmtime itself would only warn and compile the runtime at every start. Nor does it
/// start with a folder every user may write: another user could put machine code there that
/// the node would run as its own.
#[test]
fn a_wasm_cache_that_is_a_file_or_open_to_all_is_refused() {
	use std::os::unix::fs::PermissionsExt;
	let start = |cache: &str| {
		let (p2p, rpc) = (harness::free_port().to_string(), harness::free_port().to_string());
		let args = ["--wasm-cache", cache, "--port", &p2p, "--rpc-port", &rpc, "--no-prometheus"];
		start_dev_node(&args)
	};
	let file = tempfile::NamedTempFile::new().unwrap();
	let path = file.path().display().to_string();
	let (status, stderr) = start(&path);
	assert_clean_failure(
		status,
		&stderr,
		&format!("--wasm-cache {path}: cannot use it as a folder"),
	);

	let open = tempfile::tempdir().unwrap();
	std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
	let path = open.path().display().to_string();
	let (status, stderr) = start(&path);
	let says = format!("--wasm-cache {path}: every user may write there");
	assert_clean_failure(status, &stderr, &says);
	assert_eq!(std::fs::read_dir(open.path()).unwrap().count(), 0, "nothing written there");
}

/// An Ursula node (its keys in the keystore) whose files cannot be opened names the file and
/// does not start: the served-request log's folder is a file; the sequence reservations' file
/// is a folder.
#[test]
fn an_ursula_node_whose_files_cannot_be_opened_does_not_start() {
	for (path, folder, says) in [
		("served", false, "cannot open the served-request log"),
		("sequence-reservations", true, "cannot open the sequence reservations"),
	] {
		let dir = tempfile::tempdir().unwrap();
		harness::insert_keys(dir.path(), "dev", &harness::ursula_keys("Dave"));
		let ursula = dir.path().join("chains/keymarket_dev/ursula");
		std::fs::create_dir_all(&ursula).unwrap();
		if folder {
			std::fs::create_dir(ursula.join(path)).unwrap();
		} else {
			std::fs::write(ursula.join(path), b"not a folder").unwrap();
		}
		let base = dir.path().display().to_string();
		let listen = format!("127.0.0.1:{}", harness::free_port());
		let (p2p, rpc) = (harness::free_port().to_string(), harness::free_port().to_string());
		let (status, _, stderr) = run_binary(
			&[
				"--dev",
				"--base-path",
				&base,
				"--ursula-listen",
				&listen,
				"--port",
				&p2p,
				"--rpc-port",
				&rpc,
				"--no-prometheus",
				"--no-mdns",
			],
			Duration::from_secs(180),
		);
		assert_clean_failure(status, &stderr, says);
	}
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

/// The clients refuse bad flags and files with a message that names the input, status 1 (clap's
/// own usage errors: status 2), before touching anything: no chain is needed to see it.
#[test]
fn the_clients_name_each_bad_input() {
	let dir = tempfile::tempdir().unwrap();
	let path = |name: &str| harness::path_in(dir.path(), name);
	let (alice, bob, plain, junk) =
		(path("alice.json"), path("bob.json"), path("p.txt"), path("j"));
	let (missing, seedless) = (path("missing.json"), path("seedless.json"));
	let (short_seed, hexless_seed) = (path("short.json"), path("hexless.json"));
	let sealed = path("sealed.enc");
	// Leaked: the cases borrow them for the whole test.
	let bob_key: &'static str = Box::leak(harness::keygens(dir.path()).into_boxed_str());
	std::fs::write(&plain, b"for Bob only").unwrap();
	std::fs::write(&junk, b"not an encrypted file").unwrap();
	std::fs::write(&seedless, br#"{"kind": "bob"}"#).unwrap();
	std::fs::write(&short_seed, br#"{"version": 1, "seed": "0x0102"}"#).unwrap();
	std::fs::write(&hexless_seed, br#"{"version": 1, "seed": "0xzz"}"#).unwrap();
	// An encrypted file as Enrico writes it (version, policy, capsule, ciphertext).
	std::fs::write(&sealed, codec::Encode::encode(&(1u8, [7u8; 16], vec![1u8; 98], vec![2u8; 8])))
		.unwrap();
	let not_a_point: &'static str = Box::leak(format!("0x02{}", "ff".repeat(32)).into_boxed_str());
	fn bench<'a>(extra: &[&'a str]) -> Vec<&'a str> {
		let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
		[&["bench-ursula", "--ursula", alice][..], extra].concat()
	}
	let nowhere = "http://127.0.0.1:1";
	let bob_account = harness::dev_account("Bob").to_string();
	let policy = format!("0x{}", "11".repeat(16));
	let grant = |extra: &[&'static str]| {
		let mut args =
			vec!["alice", "grant", "--keys", &alice, "--suri", "//Alice", "--label", "x"];
		args.extend(["--bob", &bob_account, "--threshold", "1", "--shares", "1", "--rpc", nowhere]);
		args.extend(["--periods", "2", "--rate", "1"]);
		args.extend_from_slice(extra);
		args
	};
	fn encrypt<'a>(policy: &'a str, input: &'a str, out: &'a str, rpc: &'a str) -> Vec<&'a str> {
		vec!["enrico", "encrypt", "--policy", policy, "--in", input, "--out", out, "--rpc", rpc]
	}
	fn retrieve<'a>(keys: &'a str, suri: &'a str, input: &'a str, out: &'a str) -> Vec<&'a str> {
		vec!["bob", "retrieve", "--keys", keys, "--suri", suri, "--in", input, "--out", out]
	}
	let cases: Vec<(Vec<&str>, i32, &str)> = vec![
		(vec!["alice", "keygen", "--out", &alice], 1, "cannot create"),
		(retrieve(&missing, "//Bob", &junk, &plain), 1, "cannot read"),
		(retrieve(&junk, "//Bob", &junk, &plain), 1, "j: expected ident at line 1"),
		(retrieve(&seedless, "//Bob", &junk, &plain), 1, "seedless.json has no seed"),
		(retrieve(&bob, "not a suri", &junk, &plain), 1, "bad --suri"),
		(retrieve(&bob, "//Bob", &junk, &plain), 1, "is not an encrypted file"),
		(grant(&["--bob-key", "xyz"]), 1, "bad hex"),
		(grant(&["--bob-key", "0x0102"]), 1, "is 2 bytes, not 33"),
		(grant(&["--bob-key", "0x02", "--frobnicate"]), 2, "unexpected argument '--frobnicate'"),
		(encrypt("0x0102", &plain, &junk, nowhere), 1, "is 2 bytes, not 16"),
		(
			encrypt(&policy, &missing, &junk, nowhere),
			1,
			"connect to 127.0.0.1:1: Connection refused",
		),
		(encrypt(&policy, &plain, &junk, "ftp://x"), 1, "ftp://x is not http://host:port"),
		(retrieve(&short_seed, "//Bob", &junk, &plain), 1, "\"0x0102\" is 2 bytes, not 32"),
		(retrieve(&hexless_seed, "//Bob", &junk, &plain), 1, "bad hex"),
		(grant(&["--bob-key", not_a_point]), 1, "Invalid curve point representation"),
		(grant(&["--bob-key", bob_key, "--policy-id", "0x0102"]), 1, "is 2 bytes, not 16"),
		(
			bench(&["--endpoint", "http://127.0.0.1:1", "--in", &junk]),
			1,
			"is not an encrypted file",
		),
		(bench(&["--endpoint", "http://127.0.0.1:1", "--in", &missing]), 1, "cannot read"),
		(
			bench(&["--endpoint", "http://127.0.0.1:1", "--in", &sealed, "--bob-suri", "nope"]),
			1,
			"bad --suri",
		),
		(bench(&["--endpoint", "ftp://x", "--in", &sealed]), 1, "ftp://x is not http://host:port"),
		(
			vec![
				"bench-ursula",
				"--ursula",
				"not-ss58",
				"--endpoint",
				"http://x:1",
				"--in",
				&sealed,
			],
			2,
			"invalid value 'not-ss58' for '--ursula",
		),
	];
	for (args, code, says) in cases {
		let (status, _, stderr) = run_binary(&args, Duration::from_secs(60));
		assert_eq!(status, Some(code), "{args:?}: {stderr}");
		assert!(stderr.contains(says), "{args:?}: expected `{says}` in {stderr}");
		assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
	}
	assert!(std::fs::read(&plain).unwrap() == b"for Bob only", "no output over an input");
}
