//! A single development node: it authors and finalizes blocks, and a transfer signed by //Alice
//! lands with its events and moves the balance; the runtime's try-runtime checks run on its live
//! state.

mod harness;

use std::time::Duration;

use codec::Encode;
use harness::{Node, NodeConfig};
use keymarket_runtime::{RuntimeCall, RuntimeEvent, UNITS};
use sp_keyring::Sr25519Keyring;

/// A node of the built-in `dev` spec (its genesis built at the start, not read from the raw
/// spec the other tests use) authors and finalizes blocks and includes a transfer; the runtime
/// it compiled is in its `--wasm-cache` folder, and an entry damaged there is compiled anew.
#[test]
fn dev_node_finalizes_blocks_and_includes_a_transfer() {
	let cache = tempfile::tempdir().expect("a temp dir");
	let config = NodeConfig {
		chain: "dev".into(),
		extra_args: vec!["--wasm-cache".into(), cache.path().display().to_string()],
		..NodeConfig::dev()
	};
	let mut node = Node::start("dev", config);

	// Blocks every 6 s, finalized by GRANDPA.
	node.wait_for_best(2, Duration::from_secs(60));
	node.wait_for_finalized(1, Duration::from_secs(60));
	assert!(!files_in(cache.path()).is_empty(), "the compiled runtime is kept in the cache");

	let alice = Sr25519Keyring::Alice;
	let dave = Sr25519Keyring::Dave;
	let dave_before = node.free_balance(&dave.to_account_id());
	let amount = 42 * UNITS;

	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: dave.to_account_id().into(),
		value: amount,
	});
	let hash = node.submit(&alice.pair(), call).expect("the pool accepts a valid transfer");
	let (block, events) = node.wait_for_inclusion(hash, Duration::from_secs(60));

	assert!(
		events.iter().any(|event| matches!(
			event,
			RuntimeEvent::Balances(pallet_balances::Event::Transfer { from, to, amount: a })
				if *from == alice.to_account_id() && *to == dave.to_account_id() && *a == amount
		)),
		"no Transfer event in {events:?}"
	);
	assert!(
		events.iter().any(|event| matches!(
			event,
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { .. }
			)
		)),
		"no fee was charged: {events:?}"
	);
	assert!(events.iter().any(|event| matches!(
		event,
		RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. })
	)));
	assert_eq!(node.free_balance(&dave.to_account_id()), dave_before + amount);

	// The block with the transfer becomes final.
	let number = harness::wait_for("the transfer's block number", Duration::from_secs(5), || {
		(0..=node.best_number()).find(|n| node.block_hash(*n) == Some(block))
	});
	node.wait_for_finalized(number, Duration::from_secs(60));

	// A cache entry damaged on disk is not run: the node compiles the runtime anew, writes the
	// entry again and goes on authoring.
	let garbage = vec![0x5a; 4096];
	for entry in files_in(cache.path()) {
		std::fs::write(entry, &garbage).unwrap();
	}
	node.restart();
	let best = node.best_number();
	node.wait_for_best(best + 2, Duration::from_secs(60));
	let entries = files_in(cache.path());
	assert!(!entries.is_empty(), "the compiled runtime is kept again");
	assert!(
		entries.iter().all(|entry| std::fs::read(entry).unwrap() != garbage),
		"every damaged entry written again"
	);
}

/// The files in `dir` and the folders under it (not wasmtime's bookkeeping: `*.stats`, and the
/// cleanup's `.`-files).
fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
	std::fs::read_dir(dir)
		.into_iter()
		.flatten()
		.flatten()
		.flat_map(|entry| {
			let path = entry.path();
			let name = entry.file_name().to_string_lossy().into_owned();
			if path.is_dir() {
				files_in(&path)
			} else if name.ends_with(".stats") || name.starts_with('.') {
				vec![]
			} else {
				vec![path]
			}
		})
		.collect()
}

#[test]
fn a_transfer_with_a_bad_signature_is_rejected_by_the_pool() {
	let node = Node::start("dev-bad-signature", NodeConfig::dev());
	let alice = Sr25519Keyring::Alice;
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: Sr25519Keyring::Eve.to_account_id().into(),
		value: UNITS,
	});
	// Signed by //Bob, but claims to come from //Alice.
	let mut extrinsic = node.sign(&Sr25519Keyring::Bob.pair(), call, 0);
	if let sp_runtime::generic::Preamble::Signed(address, _, _) = &mut extrinsic.preamble {
		*address = sp_runtime::MultiAddress::Id(alice.to_account_id());
	}
	let error = node
		.try_rpc("author_submitExtrinsic", serde_json::json!([harness::hex(&extrinsic.encode())]))
		.expect_err("a forged signature must be refused");
	assert!(error.contains("1010") && error.contains("bad signature"), "unexpected error: {error}");
}

/// The runtime's try-runtime checks (`keymarket-try-runtime`) pass on a live dev chain's state,
/// and they bite: money made outside the rules breaks the staking pallet's issuance invariant in
/// the block that made it, and an undecodable storage entry fails the whole-state decode, each
/// named with its block; once mended, the live state passes again.
#[test]
fn try_runtime_passes_on_the_live_state_and_catches_a_broken_invariant() {
	let mut node = Node::start(
		"dev-try-runtime",
		NodeConfig {
			extra_args: vec!["--state-pruning".into(), "archive-canonical".into()],
			..NodeConfig::dev()
		},
	);
	node.wait_for_finalized(2, Duration::from_secs(60));
	let url = node.rpc_url();
	let passes = |args: &[&str]| {
		let (status, stdout, stderr) = harness::try_runtime(&url, args);
		assert_eq!(status, Some(0), "try-runtime {args:?} failed: {stdout}{stderr}");
		stdout
	};
	let fails = |args: &[&str], because: &str| {
		let (status, stdout, stderr) = harness::try_runtime(&url, args);
		assert_eq!(status, Some(1), "try-runtime {args:?} passed: {stdout}{stderr}");
		assert!(stderr.contains(because), "try-runtime {args:?} failed otherwise: {stderr}");
	};
	let report = passes(&["--blocks", "all"]);
	assert!(report.contains("executed again") && report.contains("runtime upgrade at"), "{report}");
	eprintln!("{report}");

	// Root mints for //Dave outside the rules (the issuance record does not know of it).
	let dave = Sr25519Keyring::Dave.to_account_id();
	let had = node.free_balance(&dave);
	let minted = sudo(
		&mut node,
		RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
			who: dave.clone().into(),
			new_free: had + 1_000 * UNITS,
		}),
	);
	let issuance = "total issuance differs from genesis + minted - burned";
	fails(&["--at", &minted.to_string(), "--blocks", "1"], &format!("block #{minted}: "));
	fails(&["--at", &minted.to_string(), "--blocks", "1"], issuance);
	// Checking only the upgrade on that state finds it too.
	fails(&["--at", &minted.to_string(), "--blocks", "0"], issuance);
	// The blocks before it pass.
	passes(&["--at", &(minted - 1).to_string(), "--blocks", "all"]);
	sudo(
		&mut node,
		RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
			who: dave.into(),
			new_free: had,
		}),
	);

	// An account entry that does not decode, written by root under `System::Account`.
	let ghost = Sr25519Keyring::Ferdie.to_account_id();
	let key = harness::map_key_blake2_128_concat(b"System", b"Account", &ghost.encode());
	let set = RuntimeCall::System(frame_system::Call::set_storage {
		items: vec![(key.clone(), vec![1, 2, 3])],
	});
	let had = node.storage(&key, None);
	let broken = sudo(&mut node, set);
	fails(&["--at", &broken.to_string(), "--blocks", "1"], "try_decode_entire_state");
	let mended = sudo(
		&mut node,
		RuntimeCall::System(frame_system::Call::set_storage {
			items: vec![(key, had.expect("//Ferdie has an account"))],
		}),
	);
	passes(&["--at", &mended.to_string(), "--blocks", "0"]);

	// Bad command lines get a message and status 2; a node that cannot answer, status 1.
	for (args, says) in [
		(&["--blocks", "many"][..], "--blocks many: a number or all"),
		(&["--at", "x"][..], "--at x: not a block number"),
		(&["--at"][..], "--at needs a value"),
		(&["--state", "all"][..], "unknown argument --state"),
	] {
		let (status, _, stderr) = harness::try_runtime(&url, args);
		assert_eq!(status, Some(2), "{args:?}: {stderr}");
		assert!(stderr.contains(says) && stderr.contains("Usage:"), "{args:?}: {stderr}");
	}
	let (status, _, stderr) = harness::try_runtime("ftp://127.0.0.1:1", &[]);
	assert_eq!(status, Some(2), "{stderr}");
	assert!(stderr.contains("--uri ftp://127.0.0.1:1: give http://HOST:PORT"), "{stderr}");
	let (status, _, stderr) = harness::try_runtime("http://127.0.0.1:1", &[]);
	assert_eq!(status, Some(1), "{stderr}");
	assert!(stderr.contains("chain_getFinalizedHead at 127.0.0.1:1"), "{stderr}");
	fails(&["--at", "999999"], "the node has no block #999999");

	// Root sets code that names itself a later version: the chain's blocks from then on are
	// another runtime's as far as the tool can tell, so it will not execute them again, but it
	// still tries the upgrade to its own build on their state.
	let code = node.storage(sp_core::storage::well_known_keys::CODE, None).expect(":code");
	let set_code = RuntimeCall::System(frame_system::Call::set_code_without_checks {
		code: with_next_spec_version(&code),
	});
	let upgraded = sudo(&mut node, set_code);
	node.wait_for_finalized(upgraded, Duration::from_secs(120));
	let at = upgraded.to_string();
	fails(
		&["--at", &at, "--blocks", "1"],
		"blocks are executed again only by the runtime that made them",
	);
	let report = passes(&["--at", &at, "--blocks", "0"]);
	let (name, spec) =
		(&keymarket_runtime::VERSION.spec_name, keymarket_runtime::VERSION.spec_version);
	let says =
		format!("block #{at} runs {name} spec {}; this build is {name} spec {spec}", spec + 1);
	assert!(report.contains(&says), "expected `{says}` in {report}");
}

/// `code`, a runtime's wasm as the chain keeps it (compressed), naming itself the next
/// `spec_version` in its embedded version (the `runtime_version` custom section the node reads
/// the version from): the same runtime in all it does, another by its version.
fn with_next_spec_version(code: &[u8]) -> Vec<u8> {
	const LIMIT: usize = 64 << 20;
	let mut wasm = sp_maybe_compressed_blob::decompress(code, LIMIT).expect("wasm").into_owned();
	let version = &keymarket_runtime::VERSION;
	// The section's SCALE encoding begins with the names, the authoring version and the spec
	// version: found once, and the last four bytes raised.
	let needle = (&*version.spec_name, &*version.impl_name, version.authoring_version)
		.encode()
		.into_iter()
		.chain(version.spec_version.to_le_bytes())
		.collect::<Vec<u8>>();
	let found: Vec<usize> = wasm
		.windows(needle.len())
		.enumerate()
		.filter(|(_, w)| *w == needle)
		.map(|(i, _)| i)
		.collect();
	assert_eq!(found.len(), 1, "the embedded version, once");
	let spec = found[0] + needle.len() - 4;
	wasm[spec..spec + 4].copy_from_slice(&(version.spec_version + 1).to_le_bytes());
	sp_maybe_compressed_blob::compress_strongly(&wasm, LIMIT).expect("compressed")
}

/// The chain's own RPC methods refuse what they cannot read with JSON-RPC's code for invalid
/// parameters, and a block the node does not know with the runtime-call code; every
/// `keymarket_*` method is listed by `rpc_methods`.
#[test]
fn rpc_methods_refuse_bad_parameters_with_their_codes() {
	let mut node = Node::start("dev-rpc-errors", NodeConfig::dev());
	node.wait_for_best(1, Duration::from_secs(60));
	// The harness reports an error answer as "code: message".
	let code = |method: &str, params: serde_json::Value| {
		let error = node.try_rpc(method, params.clone()).expect_err(method);
		let code = error.split(':').next().and_then(|code| code.parse::<i64>().ok());
		code.unwrap_or_else(|| panic!("{method} {params}: not a JSON-RPC error: {error}"))
	};
	let alice = Sr25519Keyring::Alice.to_account_id().to_string();
	let nowhere = format!("0x{}", "ab".repeat(32));
	for (method, params) in [
		("keymarket_staker", serde_json::json!(["not an account"])),
		("keymarket_staker", serde_json::json!([42])),
		("keymarket_casesOf", serde_json::json!(["5Gx"])),
		("keymarket_currentPeriod", serde_json::json!(["0x12"])),
		("keymarket_lotteryFunds", serde_json::json!([alice, "0x01"])),
	] {
		assert_eq!(code(method, params.clone()), -32602, "{method} {params}");
	}
	for (method, params) in [
		("keymarket_currentPeriod", serde_json::json!([nowhere])),
		("keymarket_staker", serde_json::json!([alice, nowhere])),
		("keymarket_casesOf", serde_json::json!([alice, nowhere])),
	] {
		assert_eq!(code(method, params.clone()), 1001, "{method} {params}");
	}
	// The methods' own bounds, each refused with its reason.
	let says = |method: &str, params: serde_json::Value, reason: &str| {
		let error = node.try_rpc(method, params).expect_err(method);
		assert!(error.starts_with("-32602") && error.contains(reason), "{method}: {error}");
	};
	let seed = format!("0x{}", "01".repeat(32));
	use serde_json::json;
	says("keymarket_sample", json!([seed, 1001]), "a sample holds 1 to 1000 Ursulas, not 1001");
	says("keymarket_priceDistribution", json!([vec!["1"; 65]]), "ask about 1 to 64 rates, not 65");
	says("keymarket_pricesPaid", json!([5, 1]), "the range 5..=1 ends before it starts");
	// And the well-formed call answers.
	let cases = node.rpc("keymarket_casesOf", serde_json::json!([alice]));
	assert_eq!(cases, serde_json::json!([]), "no case against //Alice");
}

/// An Ursula node whose worker the chain knows by other keys than the node holds does not start,
/// and says so.
#[test]
fn an_ursula_node_registered_with_other_keys_does_not_start() {
	let listen = format!("127.0.0.1:{}", harness::free_port());
	let mut node = Node::start(
		"dev-ursula-refused",
		NodeConfig {
			extra_args: vec!["--ursula-listen".into(), listen.clone()],
			keys: harness::ursula_keys("Dave"),
			..NodeConfig::dev()
		},
	);
	node.wait_for_best(1, Duration::from_secs(60));
	// //Dave is registered with another node's Umbral key (//Eve's).
	harness::stake_for_ursula_with(&node, "Alice", "Dave", &format!("http://{listen}"), "Eve");
	node.stop();
	let args = node.args();
	let args: Vec<&str> = args.iter().map(String::as_str).collect();
	let (status, _, stderr) = harness::run_binary(&args, Duration::from_secs(60));
	assert!(matches!(status, Some(code) if code != 0), "{status:?}: {stderr}");
	let dave = Sr25519Keyring::Dave.to_account_id();
	assert!(stderr.contains(&format!("Ursula {dave} is registered with other keys")), "{stderr}");
	assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Root does `call` (//Alice is the dev chain's sudo key); the number of its block (the tool
/// reads blocks of the best chain: a lone dev node has no other).
fn sudo(node: &mut Node, call: RuntimeCall) -> u32 {
	let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(call) });
	let hash = node.submit(&Sr25519Keyring::Alice.pair(), call).expect("the pool takes sudo");
	let (block, events) = node.wait_for_inclusion(hash, Duration::from_secs(60));
	assert!(
		events.iter().any(|e| matches!(
			e,
			RuntimeEvent::Sudo(pallet_sudo::Event::Sudid { sudo_result: Ok(()) })
		)),
		"sudo failed: {events:?}"
	);
	harness::wait_for("the block's number", Duration::from_secs(5), || {
		(0..=node.best_number()).rev().find(|n| node.block_hash(*n) == Some(block))
	})
}
