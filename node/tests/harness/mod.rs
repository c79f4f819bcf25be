//! The integration-test harness: starts the real `keymarket-node` binary on free loopback ports
//! with throwaway base paths, talks to it over JSON-RPC, submits signed extrinsics, waits for
//! inclusion and finality, reads events and storage, stops and restarts nodes, and always cleans up.
//!
//! Every wait has a deadline, so a test that goes wrong fails instead of hanging, and every node is
//! killed when its [`Node`] is dropped, also when a test panics.

#![allow(dead_code)]

// The node's own RPC and transaction code (its clients use it too), compiled into the tests.
#[path = "../../src/clients/chain.rs"]
pub mod chain;
#[path = "../../src/clients/rpc.rs"]
pub mod rpc;
#[path = "../../src/clients/ursula_api.rs"]
pub mod ursula_api;

use std::{
	io::Read,
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use keymarket_runtime::{RuntimeCall, RuntimeEvent, UncheckedExtrinsic};
use serde_json::{json, Value};
use sp_core::{crypto::Pair as _, sr25519, H256};

/// The node binary that cargo built for this test run.
pub const NODE_BINARY: &str = env!("CARGO_BIN_EXE_keymarket-node");

/// A decoded event record of the chain.
pub type EventRecord = frame_system::EventRecord<RuntimeEvent, H256>;

/// The ports [`free_port`] hands out: below the kernel's ephemeral range (32768 and up on Linux),
/// so neither an outgoing connection nor another program's `bind(0)` takes one between the pick
/// and the node's own bind.
const TEST_PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A port on 127.0.0.1 that nothing listens on right now and that this process has not handed
/// out before. A port picked by binding port 0 and closing it can come back from the very next
/// pick (seen in CI: a node's metrics port equal to its Ursula port, the metrics server's bind
/// failing quietly), so the ports come from a counter that starts where the process id points,
/// to keep test programs running side by side apart.
pub fn free_port() -> u16 {
	use std::sync::atomic::{AtomicU32, Ordering};
	static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
	let span = u32::from(TEST_PORTS.end - TEST_PORTS.start);
	let _ = NEXT.compare_exchange(
		u32::MAX,
		std::process::id().wrapping_mul(7_919) % span,
		Ordering::SeqCst,
		Ordering::SeqCst,
	);
	for _ in 0..span {
		let offset = NEXT.fetch_add(1, Ordering::SeqCst) % span;
		let port = TEST_PORTS.start + offset as u16;
		if TcpListener::bind(("127.0.0.1", port)).is_ok() {
			return port;
		}
	}
	panic!("no free loopback port in {TEST_PORTS:?}")
}

/// Polls `probe` every 200 ms until it returns `Some`, or fails the test after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
	let deadline = Instant::now() + timeout;
	loop {
		if let Some(value) = probe() {
			return value;
		}
		if Instant::now() > deadline {
			panic!("timed out after {timeout:?} waiting for {what}");
		}
		std::thread::sleep(Duration::from_millis(200));
	}
}

/// How to start a node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
	/// `--chain`: `dev`, `local` (built-in: the genesis built at each start) or a path (such as
	/// [`raw_spec`]'s).
	pub chain: String,
	/// The development key this node validates with (`alice`, `bob`, ...), if any.
	pub validator: Option<String>,
	/// Multiaddresses of boot nodes.
	pub bootnodes: Vec<String>,
	/// A fixed node key (hex), so that peers can name this node in `--bootnodes`.
	pub node_key: Option<String>,
	/// Further flags.
	pub extra_args: Vec<String>,
	/// Keys to put into the keystore before the first start: (key type, scheme, secret URI).
	pub keys: Vec<(String, String, String)>,
	/// A host of its own (a network namespace) instead of this machine's loopback.
	pub host: Option<NetHost>,
}

/// Runs the runtime's try-runtime checks (`keymarket-try-runtime`, built by `./scripts/test` with
/// the runtime's `try-runtime` feature, which the node is built without) against the node at
/// `rpc_url` with `args`: its exit status, stdout and stderr.
pub fn try_runtime(rpc_url: &str, args: &[&str]) -> (Option<i32>, String, String) {
	let program = std::env::var("KEYMARKET_TRY_RUNTIME").unwrap_or_else(|_| {
		let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| {
			format!("{}/.cache/keymarket/target", std::env::var("HOME").unwrap_or_default())
		});
		format!("{target}/release/keymarket-try-runtime")
	});
	assert!(
		Path::new(&program).is_file(),
		"{program} is missing: build it with `SKIP_WASM_BUILD=1 cargo build --release -p \
		 keymarket-runtime --features try-runtime --bin keymarket-try-runtime` (./scripts/test does)"
	);
	let mut all = vec!["--uri", rpc_url];
	all.extend_from_slice(args);
	run_program(&program, &all, &[], Duration::from_secs(600))
}

/// Puts `keys` (key type, scheme, secret URI) into the keystore under `base_path` for `chain`,
/// with the node's `key insert`.
pub fn insert_keys(base_path: &Path, chain: &str, keys: &[(String, String, String)]) {
	let base = base_path.display().to_string();
	for (key_type, scheme, suri) in keys {
		let args = ["key", "insert", "--base-path", &base, "--chain", chain, "--key-type"];
		let args = [&args[..], &[key_type, "--scheme", scheme, "--suri", suri]].concat();
		let (status, _, stderr) = run_binary(&args, Duration::from_secs(60));
		assert_eq!(status, Some(0), "key insert {key_type} failed: {stderr}");
	}
}

/// A node's own host: a network namespace the test made, and the node's address in it, which
/// the test (outside) reaches over a bridge.
#[derive(Clone, Debug)]
pub struct NetHost {
	pub netns: String,
	pub ip: String,
}

/// The raw chain spec of the built-in chain spec `chain` (`dev`, `local`) for the node binary
/// of this test run, written once next to it (again when the binary is newer). A node started
/// from it reads its genesis storage rather than building it: a build calls the runtime's
/// genesis builder, which compiles the runtime's wasm, seconds of both cores at every start,
/// and a test run starts nodes by the dozen. The chain is the same: `floods.rs`' follower,
/// started from the built-in spec, syncs from a node started from this one.
pub fn raw_spec(chain: &str) -> String {
	static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
	let _one_thread = WRITING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
	let dir = Path::new(NODE_BINARY).parent().expect("the binary's folder").join("keymarket-specs");
	let path = dir.join(format!("{chain}.json"));
	let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
	let written = modified(&path);
	if written.is_none() || written < modified(Path::new(NODE_BINARY)) {
		let (status, spec, stderr) =
			run_binary(&["export-chain-spec", "--chain", chain, "--raw"], Duration::from_secs(180));
		assert_eq!(status, Some(0), "export-chain-spec --chain {chain} --raw: {stderr}");
		std::fs::create_dir_all(&dir).expect("the target directory is writable");
		// Other test programs may read it meanwhile: written aside, then renamed into place.
		let aside = dir.join(format!("{chain}.{}.json", std::process::id()));
		std::fs::write(&aside, spec).expect("the target directory is writable");
		std::fs::rename(&aside, &path).expect("the target directory is writable");
	}
	path.display().to_string()
}

/// The folder next to the node binary that the tests' nodes share for the compiled runtime
/// (`--wasm-cache`).
pub fn wasm_cache() -> String {
	let binary = Path::new(NODE_BINARY);
	binary.parent().expect("the binary's folder").join("keymarket-wasm-cache").display().to_string()
}

impl NodeConfig {
	/// A single-node development chain (the `dev` chain spec, raw): //Alice authors and
	/// finalizes alone.
	pub fn dev() -> Self {
		Self {
			chain: raw_spec("dev"),
			validator: Some("alice".into()),
			bootnodes: vec![],
			node_key: None,
			extra_args: vec![],
			keys: vec![],
			host: None,
		}
	}

	/// A validator of the `local` chain spec (raw).
	pub fn local_validator(name: &str) -> Self {
		Self {
			chain: raw_spec("local"),
			validator: Some(name.into()),
			bootnodes: vec![],
			node_key: None,
			extra_args: vec![],
			keys: vec![],
			host: None,
		}
	}
}

/// A running (or stopped) node process with its own base path and ports.
pub struct Node {
	pub name: String,
	pub config: NodeConfig,
	pub rpc_port: u16,
	pub p2p_port: u16,
	base_path: tempfile::TempDir,
	child: Option<Child>,
}

impl Node {
	/// Starts a node and waits until its RPC server answers.
	pub fn start(name: &str, mut config: NodeConfig) -> Self {
		// Validators refuse to invent a network key, and peers need a stable identity to name.
		if config.node_key.is_none() {
			config.node_key = Some(node_key_for(name));
		}
		let base_path = tempfile::Builder::new()
			.prefix(&format!("keymarket-test-{name}-"))
			.tempdir()
			.expect("the temp directory is writable");
		let mut node = Node {
			name: name.into(),
			config,
			rpc_port: free_port(),
			p2p_port: free_port(),
			base_path,
			child: None,
		};
		insert_keys(node.base_path(), &node.config.chain, &node.config.keys);
		node.spawn();
		node
	}

	/// The node's base path.
	pub fn base_path(&self) -> &Path {
		self.base_path.path()
	}

	/// The file the node logs into.
	pub fn log_path(&self) -> PathBuf {
		self.base_path.path().join("node.log")
	}

	/// The node's libp2p multiaddress, for `--bootnodes` of others. Needs a fixed node key.
	pub fn multiaddr(&self) -> String {
		let key = self.config.node_key.as_ref().expect("multiaddr needs a fixed node key");
		let peer_id = peer_id_of(key);
		format!("/ip4/{}/tcp/{}/p2p/{peer_id}", self.ip(), self.p2p_port)
	}

	/// The address the node listens on: loopback, or its own host's.
	pub fn ip(&self) -> &str {
		self.config.host.as_ref().map_or("127.0.0.1", |host| &host.ip)
	}

	/// The command line this node runs with.
	pub fn args(&self) -> Vec<String> {
		let mut args = vec![
			"--chain".to_string(),
			self.config.chain.clone(),
			"--base-path".into(),
			self.base_path.path().display().to_string(),
			"--rpc-port".into(),
			self.rpc_port.to_string(),
			"--port".into(),
			self.p2p_port.to_string(),
			"--no-telemetry".into(),
			"--no-mdns".into(),
			"--name".into(),
			self.name.clone(),
			"--rpc-cors".into(),
			"all".into(),
		];
		if let Some(validator) = &self.config.validator {
			args.push(format!("--{validator}"));
		}
		if let Some(key) = &self.config.node_key {
			args.push("--node-key".into());
			args.push(key.clone());
		}
		for bootnode in &self.config.bootnodes {
			args.push("--bootnodes".into());
			args.push(bootnode.clone());
		}
		if self.config.host.is_some() {
			// The test reaches its RPC from outside the namespace, on a private bridge.
			args.extend(["--unsafe-rpc-external".into(), "--rpc-methods".into(), "unsafe".into()]);
		}
		// Prometheus only where a test asks for it, on its own port.
		if !self.config.extra_args.iter().any(|a| a == "--prometheus-port") {
			args.push("--no-prometheus".into());
		}
		// The runtime compiled once for the run's nodes, not at each start.
		if !self.config.extra_args.iter().any(|a| a == "--wasm-cache") {
			args.extend(["--wasm-cache".into(), wasm_cache()]);
		}
		args.extend(self.config.extra_args.iter().cloned());
		args
	}

	fn spawn(&mut self) {
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(self.log_path())
			.expect("the base path is writable");
		let mut command = match &self.config.host {
			// `ip netns exec` execs the node in the namespace: the child is the node itself.
			Some(host) => {
				let mut command = Command::new("ip");
				command.args(["netns", "exec", &host.netns, NODE_BINARY]);
				command
			},
			None => Command::new(NODE_BINARY),
		};
		let child = command
			.args(self.args())
			.stdout(Stdio::null())
			.stderr(log)
			.spawn()
			.unwrap_or_else(|e| panic!("cannot start {NODE_BINARY}: {e}"));
		self.child = Some(child);
		// The first start of a build compiles the runtime's wasm (the others load it from the
		// cache): many such starts at once on two cores take minutes, not seconds.
		wait_for(&format!("the RPC server of {}", self.name), Duration::from_secs(180), || {
			self.assert_running();
			self.try_rpc("system_health", json!([])).ok()
		});
	}

	/// Fails the test with the node's log if the process has exited.
	pub fn assert_running(&mut self) {
		if let Some(child) = self.child.as_mut() {
			if let Ok(Some(status)) = child.try_wait() {
				let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
				panic!("node {} exited with {status}; its log:\n{log}", self.name);
			}
		}
	}

	/// Stops the node gracefully (SIGTERM, then SIGKILL after 20 s); its base path is kept.
	/// Returns its exit status when it stopped by itself (`None`: killed, or not running).
	pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
		let mut child = self.child.take()?;
		let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
		let deadline = Instant::now() + Duration::from_secs(20);
		while Instant::now() < deadline {
			if let Ok(Some(status)) = child.try_wait() {
				return Some(status);
			}
			std::thread::sleep(Duration::from_millis(100));
		}
		let _ = child.kill();
		let _ = child.wait();
		None
	}

	/// Kills the node at once (SIGKILL), as a crash would; its base path is kept.
	pub fn kill(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}

	/// Starts the node again on the same base path and ports.
	pub fn restart(&mut self) {
		self.stop();
		self.spawn();
	}

	/// Starts a stopped (or killed) node again, with `extra_args` added to its command line.
	pub fn start_again(&mut self, extra_args: &[&str]) {
		assert!(self.child.is_none(), "{} still runs", self.name);
		self.config.extra_args.extend(extra_args.iter().map(|a| a.to_string()));
		self.spawn();
	}

	/// Deletes the node's chain database (as a lost disk would), keeping its keystore and the
	/// Ursula's files. The node must be stopped.
	pub fn wipe_database(&self) {
		assert!(self.child.is_none(), "{} still runs", self.name);
		let chains = self.base_path().join("chains");
		let mut wiped = 0;
		for chain in std::fs::read_dir(&chains).expect("the node has run").flatten() {
			for db in ["db", "paritydb"] {
				let path = chain.path().join(db);
				if path.exists() {
					std::fs::remove_dir_all(&path).expect("the database can be deleted");
					wiped += 1;
				}
			}
		}
		assert!(wiped > 0, "{} has no database under {chains:?}", self.name);
	}

	/// The node's process id, while it runs.
	pub fn pid(&self) -> Option<u32> {
		self.child.as_ref().map(Child::id)
	}

	/// A figure (in kB) of the node's `/proc/<pid>/status`: `VmRSS` (resident memory now),
	/// `VmHWM` (its peak).
	pub fn memory_kb(&self, field: &str) -> u64 {
		let pid = self.pid().expect("the node runs");
		let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("procfs");
		status
			.lines()
			.find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
			.and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
			.unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
	}

	/// Whether the process runs.
	pub fn is_running(&mut self) -> bool {
		matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
	}

	/// A JSON-RPC call; an error answer fails the test.
	pub fn rpc(&self, method: &str, params: Value) -> Value {
		self.try_rpc(method, params).unwrap_or_else(|e| panic!("{method} on {}: {e}", self.name))
	}

	/// A JSON-RPC call that may fail: `Err` holds the error object or the transport error.
	pub fn try_rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		rpc::call(&format!("{}:{}", self.ip(), self.rpc_port), method, params)
	}

	/// The number of the best block.
	pub fn best_number(&self) -> u32 {
		header_number(&self.rpc("chain_getHeader", json!([])))
	}

	/// The number of the last finalized block.
	pub fn finalized_number(&self) -> u32 {
		let hash = self.rpc("chain_getFinalizedHead", json!([]));
		header_number(&self.rpc("chain_getHeader", json!([hash])))
	}

	/// The hash of block `number` on the best chain.
	pub fn block_hash(&self, number: u32) -> Option<H256> {
		let value = self.rpc("chain_getBlockHash", json!([number]));
		value.as_str().map(parse_h256)
	}

	/// Waits until the best block is at least `number`.
	pub fn wait_for_best(&mut self, number: u32, timeout: Duration) -> u32 {
		wait_for(&format!("block #{number} on {}", self.name), timeout, || {
			self.assert_running();
			let best = self.best_number();
			(best >= number).then_some(best)
		})
	}

	/// Waits until the finalized block is at least `number`.
	pub fn wait_for_finalized(&mut self, number: u32, timeout: Duration) -> u32 {
		wait_for(&format!("finalized block #{number} on {}", self.name), timeout, || {
			self.assert_running();
			let finalized = self.finalized_number();
			(finalized >= number).then_some(finalized)
		})
	}

	/// The number of peers the node is connected to.
	pub fn peers(&self) -> u64 {
		self.rpc("system_health", json!([]))["peers"].as_u64().unwrap_or(0)
	}

	/// Raw storage at `key`, at the best block or at `at`.
	pub fn storage(&self, key: &[u8], at: Option<H256>) -> Option<Vec<u8>> {
		let params = match at {
			Some(at) => json!([hex(key), format!("{at:?}")]),
			None => json!([hex(key)]),
		};
		self.rpc("state_getStorage", params).as_str().map(unhex)
	}

	/// The decoded value of a storage item, if present.
	pub fn storage_value<T: Decode>(&self, key: &[u8], at: Option<H256>) -> Option<T> {
		self.storage(key, at).map(|bytes| {
			T::decode(&mut &bytes[..]).expect("storage decodes with the runtime's own types")
		})
	}

	/// The events of block `at`.
	pub fn events(&self, at: H256) -> Vec<EventRecord> {
		let key = storage_key(b"System", b"Events");
		self.storage_value::<Vec<EventRecord>>(&key, Some(at)).unwrap_or_default()
	}

	/// The free balance of `who`.
	pub fn free_balance(&self, who: &sp_runtime::AccountId32) -> u128 {
		let key = map_key_blake2_128_concat(b"System", b"Account", &who.encode());
		self.storage_value::<frame_system::AccountInfo<u32, pallet_balances::AccountData<u128>>>(
			&key, None,
		)
		.map(|info| info.data.free)
		.unwrap_or(0)
	}

	/// Signs `call` with `signer` (immortal era, next nonce from the pool) and submits it.
	pub fn submit(&self, signer: &sr25519::Pair, call: RuntimeCall) -> Result<H256, String> {
		let account: sp_runtime::AccountId32 = signer.public().into();
		let nonce = self.rpc("system_accountNextIndex", json!([account.to_string()]));
		let nonce = nonce.as_u64().expect("a nonce is a number") as u32;
		let extrinsic = self.sign(signer, call, nonce);
		self.try_rpc("author_submitExtrinsic", json!([hex(&extrinsic.encode())]))
			.map(|hash| parse_h256(hash.as_str().expect("a transaction hash")))
	}

	/// Builds a signed extrinsic exactly as polkadot.js would, for this node's chain.
	pub fn sign(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
		nonce: u32,
	) -> UncheckedExtrinsic {
		self.chain().signed_extrinsic(signer, call, nonce).expect("the node answers")
	}

	/// The node's RPC as the clients see it.
	pub fn chain(&self) -> chain::Chain {
		chain::Chain::new(&self.rpc_url()).expect("a loopback URL")
	}

	/// The node's RPC URL.
	pub fn rpc_url(&self) -> String {
		format!("http://{}:{}", self.ip(), self.rpc_port)
	}

	/// Waits until the extrinsic with `hash` is in a block of the best chain, and returns that
	/// block's hash and the events the extrinsic emitted.
	pub fn wait_for_inclusion(
		&mut self,
		hash: H256,
		timeout: Duration,
	) -> (H256, Vec<RuntimeEvent>) {
		self.assert_running();
		let from = self.best_number().saturating_sub(1);
		self.chain()
			.wait_for_inclusion(hash, from, timeout)
			.unwrap_or_else(|e| panic!("on {}: {e}", self.name))
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
		if std::thread::panicking() {
			let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
			let tail: Vec<&str> = log.lines().rev().take(40).collect();
			eprintln!(
				"--- last lines of node {} ---\n{}",
				self.name,
				tail.into_iter().rev().collect::<Vec<_>>().join("\n")
			);
		}
	}
}

/// Runs the node binary with `args` to completion (a subcommand, or a start that must fail) and
/// returns its exit status, stdout and stderr. Kills it after `timeout`.
pub fn run_binary(args: &[&str], timeout: Duration) -> (Option<i32>, String, String) {
	run_program(NODE_BINARY, args, &[], timeout)
}

/// Runs the node binary with `args` as a person at a terminal would: its standard output and
/// error are a pseudo-terminal (util-linux `script`). Returns its exit status and all it wrote
/// there, both streams in the order written.
pub fn run_on_terminal(args: &[&str], timeout: Duration) -> (Option<i32>, String) {
	let quoted: Vec<String> = std::iter::once(NODE_BINARY)
		.chain(args.iter().copied())
		.map(|arg| format!("'{}'", arg.replace('\'', "'\\''")))
		.collect();
	// `script` runs the command with $SHELL: the quoting above is POSIX sh's.
	let (status, out, err) = run_program(
		"script",
		&["-qec", &quoted.join(" "), "/dev/null"],
		&[("SHELL", "/bin/sh")],
		timeout,
	);
	(status, format!("{out}{err}"))
}

/// Runs `program` with `args` (and `envs` added to its environment) to completion and returns its
/// exit status, stdout and stderr. Kills it after `timeout`.
pub fn run_program(
	program: &str,
	args: &[&str],
	envs: &[(&str, &str)],
	timeout: Duration,
) -> (Option<i32>, String, String) {
	let mut child = Command::new(program)
		.args(args)
		.envs(envs.iter().copied())
		// Never a terminal: a client that would ask a person (`alice grant`) must not wait.
		.stdin(Stdio::null())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
	let mut stdout = child.stdout.take().expect("piped");
	let mut stderr = child.stderr.take().expect("piped");
	let out = std::thread::spawn(move || {
		let mut s = String::new();
		let _ = stdout.read_to_string(&mut s);
		s
	});
	let err = std::thread::spawn(move || {
		let mut s = String::new();
		let _ = stderr.read_to_string(&mut s);
		s
	});
	let deadline = Instant::now() + timeout;
	let status = loop {
		if let Ok(Some(status)) = child.try_wait() {
			break status.code();
		}
		if Instant::now() > deadline {
			let _ = child.kill();
			let _ = child.wait();
			break None;
		}
		std::thread::sleep(Duration::from_millis(100));
	};
	(status, out.join().unwrap_or_default(), err.join().unwrap_or_default())
}

/// One JSON-RPC request to 127.0.0.1:`port`; `Err` on transport failure or an error answer.
pub fn rpc_call(port: u16, method: &str, params: Value) -> Result<Value, String> {
	rpc::call(&format!("127.0.0.1:{port}"), method, params)
}

/// The Prometheus exposition of a node started with `--prometheus-port port`
/// (`GET /metrics`, the text format).
pub fn scrape_metrics(port: u16) -> String {
	use std::io::{Read, Write};
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))
		.unwrap_or_else(|e| panic!("the metrics endpoint on port {port}: {e}"));
	stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
	stream
		.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
		.unwrap();
	let mut answer = String::new();
	stream.read_to_string(&mut answer).expect("a text exposition");
	let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
	assert!(head.starts_with("HTTP/1.1 200"), "GET /metrics: {head}");
	body.to_string()
}

/// The sum of the samples of metric `name` in exposition `text` whose labels include `labels`
/// (0 when there is none: a counter no event has touched yet is not exposed).
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
	let mut sum = 0.0;
	for line in text.lines().filter(|l| !l.starts_with('#')) {
		let Some((series, value)) = line.rsplit_once(' ') else { continue };
		let (series_name, series_labels) = match series.split_once('{') {
			Some((n, rest)) => (n, rest.trim_end_matches('}')),
			None => (series, ""),
		};
		if series_name != name {
			continue;
		}
		let has = |(key, wanted): &(&str, &str)| {
			series_labels.split(',').any(|pair| pair == format!("{key}=\"{wanted}\""))
		};
		if labels.iter().all(has) {
			sum += value.parse::<f64>().unwrap_or_else(|_| panic!("a number in {line}"));
		}
	}
	sum
}

/// The storage key of a plain storage value.
pub fn storage_key(pallet: &[u8], item: &[u8]) -> Vec<u8> {
	let mut key = sp_crypto_hashing::twox_128(pallet).to_vec();
	key.extend_from_slice(&sp_crypto_hashing::twox_128(item));
	key
}

/// The storage key of a map entry hashed with `Blake2_128Concat`.
pub fn map_key_blake2_128_concat(pallet: &[u8], item: &[u8], encoded_key: &[u8]) -> Vec<u8> {
	let mut key = storage_key(pallet, item);
	key.extend_from_slice(&sp_crypto_hashing::blake2_128(encoded_key));
	key.extend_from_slice(encoded_key);
	key
}

/// `0x`-prefixed lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
	let mut s = String::with_capacity(2 + bytes.len() * 2);
	s.push_str("0x");
	for b in bytes {
		s.push_str(&format!("{b:02x}"));
	}
	s
}

/// Bytes of a `0x`-prefixed hex string.
pub fn unhex(s: &str) -> Vec<u8> {
	let s = s.trim_start_matches("0x");
	(0..s.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("RPC returns valid hex"))
		.collect()
}

fn parse_h256(s: &str) -> H256 {
	H256::from_slice(&unhex(s))
}

fn header_number(header: &Value) -> u32 {
	let number = header["number"].as_str().expect("a header has a number");
	u32::from_str_radix(number.trim_start_matches("0x"), 16).expect("the number is hex")
}

/// A network key (32 bytes of hex) derived from a node's name: stable across restarts.
pub fn node_key_for(name: &str) -> String {
	hex(&sp_crypto_hashing::blake2_256(name.as_bytes()))[2..].to_string()
}

/// The libp2p peer id of an ed25519 node key given as 32 bytes of hex, computed by the node itself.
pub fn peer_id_of(node_key_hex: &str) -> String {
	let dir = tempfile::tempdir().expect("the temp directory is writable");
	let key_file = dir.path().join("node-key");
	std::fs::write(&key_file, node_key_hex).expect("the temp directory is writable");
	let (status, stdout, stderr) = run_binary(
		&["key", "inspect-node-key", "--file", &key_file.display().to_string()],
		Duration::from_secs(30),
	);
	assert_eq!(status, Some(0), "inspect-node-key failed: {stderr}");
	stdout.trim().to_string()
}

/// Microseconds since the Unix epoch: a sequence number above any Bob's client used before.
pub fn now_micros() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.expect("after 1970")
		.as_micros() as u64
}

/// Bob's (`//Bob`) signed request to `ursula` under `policy` for one capsule, with a fresh
/// sequence number: its SCALE bytes.
pub fn bobs_request(policy: [u8; 16], ursula: &sp_runtime::AccountId32, capsule: &[u8]) -> Vec<u8> {
	let bob = dev_pair("Bob");
	ursula_api::signed_request(
		&bob,
		&bob.public().into(),
		policy,
		ursula,
		now_micros(),
		vec![capsule.to_vec()],
	)
}

/// The development key pair `//<name>`.
pub fn dev_pair(name: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{name}"), None).expect("a dev key")
}

/// An Ursula's Umbral key pair, derived as its node derives it from the keystore's `umbr`
/// secret: here the ecdsa key `//<worker>//umbral`, which [`ursula_keys`] inserts.
pub fn ursula_umbral_key(worker: &str) -> (umbral_pre::SecretKey, [u8; 33]) {
	let pair =
		sp_core::ecdsa::Pair::from_string(&format!("//{worker}//umbral"), None).expect("a dev key");
	let secret = umbral_pre::SecretKeyFactory::from_secure_randomness(&pair.seed())
		.expect("32 bytes")
		.make_key(b"keymarket/ursula");
	let public = secret.public_key().to_compressed_bytes().as_ref().try_into().expect("33 bytes");
	(secret, public)
}

/// The keystore keys of an Ursula node hosting `worker`: its worker key and its Umbral secret.
pub fn ursula_keys(worker: &str) -> Vec<(String, String, String)> {
	vec![
		("ursw".into(), "sr25519".into(), format!("//{worker}")),
		("umbr".into(), "ecdsa".into(), format!("//{worker}//umbral")),
	]
}

/// `staker` stakes 2,000 KEY for 120 periods and bonds `worker`, which registers `endpoint` and
/// its keys: from its next commitment on, the worker is an active Ursula.
pub fn stake_for_ursula(node: &Node, staker: &str, worker: &str, endpoint: &str) {
	stake_for_ursula_with(node, staker, worker, endpoint, worker)
}

/// [`stake_for_ursula`], the worker registering the Umbral key of `umbral_of`'s node.
pub fn stake_for_ursula_with(
	node: &Node,
	staker: &str,
	worker: &str,
	endpoint: &str,
	umbral_of: &str,
) {
	use pallet_keymarket_staking::Call as Staking;
	let submit = |signer: &str, call: Staking<keymarket_runtime::Runtime>| {
		node.chain()
			.submit(&dev_pair(signer), RuntimeCall::Staking(call))
			.unwrap_or_else(|e| panic!("{signer}: {e}"));
	};
	let worker_account: sp_runtime::AccountId32 = dev_pair(worker).public().into();
	submit(staker, Staking::stake { value: 2_000 * 1_000_000_000_000, periods: 120 });
	submit(staker, Staking::bond_worker { worker: Some(worker_account) });
	submit(worker, worker_registration(worker, endpoint, umbral_of));
}

/// `worker`'s registration of `endpoint`, its signing key and the Umbral key of `umbral_of`'s
/// node, with both keys' proofs of possession.
pub fn worker_registration(
	worker: &str,
	endpoint: &str,
	umbral_of: &str,
) -> pallet_keymarket_staking::Call<keymarket_runtime::Runtime> {
	let worker_account: sp_runtime::AccountId32 = dev_pair(worker).public().into();
	let (umbral_secret, umbral_key) = ursula_umbral_key(umbral_of);
	let signing_key = dev_pair(worker).public().0;
	let payload = keymarket_primitives::staking::registration_payload(
		&worker_account,
		&umbral_key,
		&signing_key,
	);
	pallet_keymarket_staking::Call::register_worker {
		endpoint: endpoint.as_bytes().to_vec(),
		umbral_key,
		signing_key,
		umbral_proof: keymarket_primitives::staking::prove_umbral_key(&umbral_secret, &payload),
		signing_proof: dev_pair(worker).sign(&payload).0,
	}
}

/// `dir`'s file `name`, as a command-line argument.
pub fn path_in(dir: &Path, name: &str) -> String {
	dir.join(name).display().to_string()
}

/// Alice and Bob make their key files in `dir` (`alice.json`, `bob.json`) with their clients;
/// returns Bob's Umbral key (hex), which Alice grants to.
pub fn keygens(dir: &Path) -> String {
	client(&["alice", "keygen", "--out", &path_in(dir, "alice.json")]);
	let bob = client(&["bob", "keygen", "--out", &path_in(dir, "bob.json")]);
	bob["bobKey"].as_str().expect("Bob's key").to_string()
}

/// //Alice (her keys in `dir`) grants //Bob (Umbral key `bob_key`) a policy labelled `label` at
/// 10^9 a period through the node at `url`, on `terms` (threshold, shares, periods, Ursulas,
/// price, …): the `alice grant` client's JSON report.
pub fn alice_grants(url: &str, dir: &Path, label: &str, bob_key: &str, terms: &[&str]) -> Value {
	let (keys, bob) = (path_in(dir, "alice.json"), dev_account("Bob").to_string());
	let mut args = vec!["alice", "grant", "--keys", &keys, "--suri", "//Alice", "--label", label];
	args.extend(["--bob", &bob, "--bob-key", bob_key, "--rate", "1000000000", "--rpc", url]);
	args.extend(terms);
	client(&args)
}

/// Enrico encrypts `dir`'s file `input` for `policy` (hex) into its file `output` through the
/// node at `url`; returns the encrypted file's capsule (umbral-pre bytes).
pub fn enrico_encrypts(url: &str, dir: &Path, policy: &str, input: &str, output: &str) -> Vec<u8> {
	let (input, output_path) = (path_in(dir, input), path_in(dir, output));
	let args = ["enrico", "encrypt", "--policy", policy, "--in", &input, "--out", &output_path];
	client(&[&args[..], &["--rpc", url]].concat());
	let file = std::fs::read(dir.join(output)).expect("Enrico's file");
	let (_, _, capsule, _) =
		<(u8, [u8; 16], Vec<u8>, Vec<u8>)>::decode(&mut &file[..]).expect("an encrypted file");
	capsule
}

/// The account of the development key `//<name>`.
pub fn dev_account(name: &str) -> sp_runtime::AccountId32 {
	dev_pair(name).public().into()
}

/// Runs a client subcommand of the node binary (`alice …`, `bob …`, `enrico …`) and returns
/// the JSON it prints.
pub fn client(args: &[&str]) -> Value {
	let (status, stdout, stderr) = run_binary(args, Duration::from_secs(120));
	assert_eq!(status, Some(0), "{args:?} failed: {stderr}");
	serde_json::from_str(stdout.trim())
		.unwrap_or_else(|e| panic!("{args:?} printed {stdout:?}: {e}"))
}
