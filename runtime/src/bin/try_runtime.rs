//! `keymarket-try-runtime`: this build's runtime, with its `try-runtime` checks, run against a live
//! chain's state read over RPC.
//!
//! What polkadot-sdk's `try-runtime` command does for a runtime upgrade and for block execution,
//! done natively in one small binary of this crate (built only with the `try-runtime` feature):
//!
//! 1. the state at a block `--blocks` before the one checked is read from the node (every key,
//!    by `state_getKeysPaged` and `state_queryStorageAt`, which a non-archive node answers for
//!    its last 256 blocks), and its trie root must equal that block's state root;
//! 2. each later block is fetched and executed again by `Executive::try_execute_block`: every
//!    signature checked, every pallet's `try_state` and a decode of the whole state after each
//!    block, and its state root and extrinsics root must equal the block's own;
//! 3. on the state reached, the runtime's upgrade is tried (`Executive::try_runtime_upgrade`,
//!    every check): the migrations' `pre_upgrade` and `post_upgrade`, every pallet's `try_state`,
//!    the whole state decoded; its weight must fit a block, and running it a second time must
//!    change nothing (a migration is idempotent).
//!
//! Blocks can only be executed again by the runtime that made them, so step 2 needs the chain's
//! spec version to be this build's; `--blocks 0` checks only an upgrade from the live state to
//! this build.

use std::{
	io::{Read, Write},
	net::TcpStream,
	panic::{catch_unwind, AssertUnwindSafe},
	process::ExitCode,
	sync::Mutex,
	time::{Duration, Instant},
};

use codec::DecodeAll;
use frame_try_runtime::{TryStateSelect, UpgradeCheckSelect};
use keymarket_runtime::{configs::RuntimeBlockWeights, Block, Executive, Header, VERSION};
use serde_json::{json, Value};
use sp_core::{
	bytes::{from_hex, to_hex},
	storage::Storage,
	H256,
};
use sp_io::TestExternalities;
use sp_runtime::traits::{Block as _, Header as _};

const USAGE: &str = "\
Usage: keymarket-try-runtime [--uri URL] [--at NUMBER] [--blocks N|all]

Runs this build's runtime with its try-runtime checks against a live chain's state read over RPC:
the blocks before NUMBER executed again (signatures, every pallet's try_state and the state roots
checked), then a runtime upgrade tried on the state at NUMBER (the migrations' pre- and
post-upgrade checks, try_state, the whole state decoded, the weight, idempotence).

  --uri URL        the node's RPC, http://HOST:PORT (ws:// is read as http://) [http://127.0.0.1:9944]
  --at NUMBER      the block checked [the finalized head]
  --blocks N|all   how many blocks before it to execute again (all: from genesis; the node must
                   keep their states, e.g. --state-pruning archive-canonical) [10]
";

/// What went wrong, said as the command line's message.
type Failure = String;

/// The arguments, as parsed.
struct Options {
	address: String,
	at: Option<u32>,
	blocks: Option<u32>,
}

fn parse(args: &[String]) -> Result<Options, Failure> {
	let mut options = Options { address: "127.0.0.1:9944".into(), at: None, blocks: Some(10) };
	let mut args = args.iter();
	while let Some(flag) = args.next() {
		let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
		match flag.as_str() {
			"--uri" => {
				let uri = value()?;
				let address = uri
					.strip_prefix("http://")
					.or_else(|| uri.strip_prefix("ws://"))
					.ok_or_else(|| format!("--uri {uri}: give http://HOST:PORT"))?;
				options.address = address.trim_end_matches('/').to_string();
			},
			"--at" => {
				let at = value()?;
				options.at =
					Some(at.parse().map_err(|_| format!("--at {at}: not a block number"))?);
			},
			"--blocks" => {
				let blocks = value()?;
				options.blocks = match blocks.as_str() {
					"all" => None,
					n => Some(n.parse().map_err(|_| format!("--blocks {n}: a number or all"))?),
				};
			},
			other => return Err(format!("unknown argument {other}")),
		}
	}
	Ok(options)
}

/// A JSON-RPC client over plain HTTP/1.1, one connection a call: the node's RPC port answers
/// HTTP as well as WebSocket, and a loopback connection costs nothing beside what is read.
struct Rpc {
	address: String,
	calls: u64,
}

impl Rpc {
	fn call(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
		self.calls += 1;
		let body = json!({"jsonrpc": "2.0", "id": self.calls, "method": method, "params": params})
			.to_string();
		let failed = |e: std::io::Error| format!("{method} at {}: {e}", self.address);
		let mut stream = TcpStream::connect(&self.address).map_err(failed)?;
		stream.set_read_timeout(Some(Duration::from_secs(120))).map_err(failed)?;
		write!(
			stream,
			"POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
			 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
			self.address,
			body.len()
		)
		.map_err(failed)?;
		let mut response = Vec::new();
		stream.read_to_end(&mut response).map_err(failed)?;
		let split = response
			.windows(4)
			.position(|w| w == b"\r\n\r\n")
			.ok_or_else(|| format!("{method}: no HTTP response"))?;
		let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
		if !head.starts_with("http/1.1 200") {
			return Err(format!("{method}: {}", head.lines().next().unwrap_or_default()));
		}
		let mut body = response[split + 4..].to_vec();
		if head.contains("transfer-encoding: chunked") {
			body = dechunk(&body).ok_or_else(|| format!("{method}: a broken chunked body"))?;
		}
		let mut answer: Value =
			serde_json::from_slice(&body).map_err(|e| format!("{method}: not JSON: {e}"))?;
		if let Some(error) = answer.get("error") {
			return Err(format!("{method}: {error}"));
		}
		Ok(answer["result"].take())
	}

	fn hash_of(&mut self, number: u32) -> Result<H256, Failure> {
		let hash = self.call("chain_getBlockHash", json!([number]))?;
		match hash.as_str() {
			Some(hash) => hash_from(hash),
			None => Err(format!("the node has no block #{number}")),
		}
	}

	fn header(&mut self, hash: H256) -> Result<Header, Failure> {
		serde_json::from_value(self.call("chain_getHeader", json!([hash]))?)
			.map_err(|e| format!("the header of {hash:?}: {e}"))
	}

	/// A block, its extrinsics decoded as this runtime's, checked against its hash.
	fn block(&mut self, number: u32) -> Result<Block, Failure> {
		let hash = self.hash_of(number)?;
		let mut signed = self.call("chain_getBlock", json!([hash]))?;
		let header: Header = serde_json::from_value(signed["block"]["header"].take())
			.map_err(|e| format!("block #{number}'s header: {e}"))?;
		let extrinsics = signed["block"]["extrinsics"]
			.as_array()
			.ok_or_else(|| format!("block #{number}: no extrinsics"))?
			.iter()
			.enumerate()
			.map(|(i, x)| {
				let bytes = x.as_str().and_then(|x| from_hex(x).ok()).unwrap_or_default();
				DecodeAll::decode_all(&mut &bytes[..])
					.map_err(|e| format!("block #{number}'s extrinsic {i}: {e}"))
			})
			.collect::<Result<Vec<_>, _>>()?;
		if header.hash() != hash {
			return Err(format!("block #{number}: its header does not hash to {hash:?}"));
		}
		Ok(Block::new(header, extrinsics))
	}

	/// Every key and value of the state at `at`.
	fn state(&mut self, at: H256) -> Result<Storage, Failure> {
		const PAGE: usize = 1000;
		const VALUES_A_CALL: usize = 256;
		let mut keys: Vec<String> = Vec::new();
		loop {
			let start = keys.last().cloned();
			let page: Vec<String> = serde_json::from_value(
				self.call("state_getKeysPaged", json!(["0x", PAGE, start, at]))?,
			)
			.map_err(|e| format!("state_getKeysPaged: {e}"))?;
			let done = page.len() < PAGE;
			keys.extend(page);
			if done {
				break;
			}
		}
		let mut storage = Storage::default();
		for chunk in keys.chunks(VALUES_A_CALL) {
			let sets = self.call("state_queryStorageAt", json!([chunk, at]))?;
			let changes = sets[0]["changes"]
				.as_array()
				.ok_or_else(|| "state_queryStorageAt: no changes".to_string())?;
			for change in changes {
				let key = change[0].as_str().and_then(|k| from_hex(k).ok());
				let value = change[1].as_str().and_then(|v| from_hex(v).ok());
				match (key, value) {
					(Some(key), Some(value)) => {
						if key.starts_with(b":child_storage:") {
							return Err(format!(
								"the state holds a child trie ({}): not read by this tool",
								to_hex(&key, false)
							));
						}
						storage.top.insert(key, value);
					},
					_ => {
						return Err(format!(
							"state_queryStorageAt: {change} is not a key and value"
						))
					},
				}
			}
		}
		if storage.top.len() != keys.len() {
			return Err(format!("{} keys listed, {} values read", keys.len(), storage.top.len()));
		}
		Ok(storage)
	}
}

/// A `Transfer-Encoding: chunked` body, joined.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
	let mut joined = Vec::new();
	loop {
		let line_end = body.windows(2).position(|w| w == b"\r\n")?;
		let size = std::str::from_utf8(&body[..line_end]).ok()?.split(';').next()?.trim();
		let size = usize::from_str_radix(size, 16).ok()?;
		body = &body[line_end + 2..];
		if size == 0 {
			return Some(joined);
		}
		joined.extend_from_slice(body.get(..size)?);
		body = body.get(size + 2..)?;
	}
}

fn hash_from(hex: &str) -> Result<H256, Failure> {
	match from_hex(hex) {
		Ok(bytes) if bytes.len() == 32 => Ok(H256::from_slice(&bytes)),
		_ => Err(format!("{hex} is not a block hash")),
	}
}

/// The last panic's message: the runtime's checks assert (state roots, digests) or `expect`.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Runs `check` in `ext`, a panic turned into the failure it says.
fn run<R>(ext: &mut TestExternalities, check: impl FnOnce() -> R) -> Result<R, Failure> {
	catch_unwind(AssertUnwindSafe(|| ext.execute_with(check))).map_err(|_| {
		PANIC.lock().ok().and_then(|mut p| p.take()).unwrap_or_else(|| "a panic".into())
	})
}

fn state_root(ext: &mut TestExternalities) -> Result<H256, Failure> {
	let root = run(ext, || sp_io::storage::root(VERSION.state_version()))?;
	Ok(H256::from_slice(&root))
}

/// A weight's ref time (picoseconds) in milliseconds.
fn milliseconds(ref_time: u64) -> f64 {
	ref_time as f64 / 1e9
}

/// Every `log` record at warning or above, from the runtime's checks, to standard error.
struct Logger;

impl log::Log for Logger {
	fn enabled(&self, metadata: &log::Metadata) -> bool {
		metadata.level() <= log::Level::Warn
	}
	fn log(&self, record: &log::Record) {
		if self.enabled(record.metadata()) {
			eprintln!("{} {}: {}", record.level(), record.target(), record.args());
		}
	}
	fn flush(&self) {}
}

fn check(options: Options) -> Result<(), Failure> {
	let mut rpc = Rpc { address: options.address, calls: 0 };
	let at = match options.at {
		Some(number) => number,
		None => {
			let head = rpc.call("chain_getFinalizedHead", json!([]))?;
			let head = hash_from(head.as_str().unwrap_or_default())?;
			*rpc.header(head)?.number()
		},
	};
	let blocks = options.blocks.unwrap_or(at).min(at);
	let from = at - blocks;
	let at_hash = rpc.hash_of(at)?;
	let version = rpc.call("state_getRuntimeVersion", json!([at_hash]))?;
	let (chain_spec, chain_name) = (version["specVersion"].as_u64(), version["specName"].as_str());
	let same_runtime = chain_name == Some(&*VERSION.spec_name)
		&& chain_spec == Some(u64::from(VERSION.spec_version));
	println!(
		"block #{at} runs {} spec {}; this build is {} spec {}",
		chain_name.unwrap_or("?"),
		chain_spec.unwrap_or_default(),
		VERSION.spec_name,
		VERSION.spec_version
	);
	if blocks > 0 && !same_runtime {
		return Err(
			"blocks are executed again only by the runtime that made them: give --blocks 0 to \
			 try only the upgrade to this build"
				.into(),
		);
	}

	// The state before the first block executed again, checked against its block's root.
	let started = Instant::now();
	let from_hash = rpc.hash_of(from)?;
	let storage = rpc.state(from_hash)?;
	let (keys, bytes) =
		(storage.top.len(), storage.top.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>());
	// (`TestExternalities` sets `:code` to what it is given: the chain's own.)
	let code =
		storage.top.get(sp_core::storage::well_known_keys::CODE).cloned().unwrap_or_default();
	let mut ext =
		TestExternalities::new_with_code_and_state(&code, storage, VERSION.state_version());
	let root = state_root(&mut ext)?;
	let expected = *rpc.header(from_hash)?.state_root();
	if root != expected {
		return Err(format!(
			"the state read at #{from} has root {root:?}, its block says {expected:?}"
		));
	}
	println!(
		"state at #{from}: {keys} keys, {bytes} bytes, its root the block's ({} RPC calls, {} ms)",
		rpc.calls,
		started.elapsed().as_millis()
	);

	// The blocks after it, executed again with every check.
	let started = Instant::now();
	let (mut extrinsics, mut heaviest) = (0usize, (0u32, 0u64));
	for number in from + 1..=at {
		let block = rpc.block(number)?;
		extrinsics += block.extrinsics().len();
		let weight = run(&mut ext, || {
			Executive::try_execute_block(block.into(), true, true, TryStateSelect::All)
		})?
		.map_err(|e| format!("block #{number}: {e:?}"))?;
		if weight.ref_time() > heaviest.1 {
			heaviest = (number, weight.ref_time());
		}
		ext.commit_all().map_err(|e| format!("block #{number}: {e}"))?;
	}
	if blocks > 0 {
		println!(
			"blocks #{} to #{at} executed again: {extrinsics} extrinsics, every signature, state \
			 root and extrinsics root as the chain's, every pallet's try_state and the whole state \
			 decoded after each; the heaviest #{} ({:.2} ms of weight); {} ms",
			from + 1,
			heaviest.0,
			milliseconds(heaviest.1),
			started.elapsed().as_millis()
		);
	}

	// The upgrade to this build, tried on the state reached, then tried again.
	let max_block = RuntimeBlockWeights::get().max_block;
	let weight = run(&mut ext, || Executive::try_runtime_upgrade(UpgradeCheckSelect::All))?
		.map_err(|e| format!("the runtime upgrade at #{at}: {e:?}"))?;
	if weight.any_gt(max_block) {
		return Err(format!("the runtime upgrade weighs {weight:?}, over a block's {max_block:?}"));
	}
	ext.commit_all().map_err(|e| format!("after the upgrade: {e}"))?;
	let once = state_root(&mut ext)?;
	run(&mut ext, || Executive::try_runtime_upgrade(UpgradeCheckSelect::None))?
		.map_err(|e| format!("the runtime upgrade run again: {e:?}"))?;
	if state_root(&mut ext)? != once {
		return Err("the runtime upgrade run a second time changed the state".into());
	}
	println!(
		"runtime upgrade at #{at}: the migrations' pre- and post-upgrade checks, every pallet's \
		 try_state and the whole state decoded; weight {:.2} ms of a block's {:.0} ms; run again, \
		 the state unchanged",
		milliseconds(weight.ref_time()),
		milliseconds(max_block.ref_time())
	);
	Ok(())
}

fn main() -> ExitCode {
	let args: Vec<String> = std::env::args().skip(1).collect();
	if args.iter().any(|a| a == "--help" || a == "-h") {
		print!("{USAGE}");
		return ExitCode::SUCCESS;
	}
	let options = match parse(&args) {
		Ok(options) => options,
		Err(problem) => {
			eprintln!("keymarket-try-runtime: {problem}\n\n{USAGE}");
			return ExitCode::from(2);
		},
	};
	let _ = log::set_logger(&Logger).map(|()| log::set_max_level(log::LevelFilter::Warn));
	std::panic::set_hook(Box::new(|info| {
		let message = match info.payload().downcast_ref::<&str>() {
			Some(s) => s.to_string(),
			None => info.payload().downcast_ref::<String>().cloned().unwrap_or_default(),
		};
		let place = info.location().map(|l| format!(" ({l})")).unwrap_or_default();
		if let Ok(mut last) = PANIC.lock() {
			*last = Some(format!("{message}{place}"));
		}
	}));
	match check(options) {
		Ok(()) => ExitCode::SUCCESS,
		Err(problem) => {
			eprintln!("keymarket-try-runtime: {problem}");
			ExitCode::FAILURE
		},
	}
}
