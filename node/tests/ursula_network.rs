//! The product end to end on a real network: the four validators of the `local` chain, three of
//! them hosting an Ursula (workers //Dave, //Eve, //Ferdie of stakers //Alice, //Bob, //Charlie).
//! Alice grants Bob 2-of-3 with the `alice` client, Enrico encrypts with the `enrico` client, Bob
//! retrieves and decrypts the exact bytes with the `bob` client — also with one Ursula stopped.
//! Bad requests get precise errors; a wrong capsule fragment reported to the adjudicator leads to
//! the penalty; after revocation and after expiry every Ursula refuses.

mod harness;

use std::{collections::BTreeMap, path::Path, time::Duration};

use codec::{Decode, Encode};
use harness::{client, free_port, run_binary, wait_for, Node, NodeConfig};
use keymarket_primitives::{
	policies::{
		cfrag_signing_payload, BoundKeyFrag, CfragEvidence, EncryptedKeyFrag, ReencryptionResponse,
		RequestError,
	},
	AccountId,
};
use keymarket_runtime::{RuntimeCall, RuntimeEvent};
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};
use umbral_pre::{DefaultDeserialize, DefaultSerialize};

const KEY: u128 = 1_000_000_000_000;
const STAKERS: [&str; 3] = ["Alice", "Bob", "Charlie"];
const WORKERS: [&str; 3] = ["Dave", "Eve", "Ferdie"];

fn pair(name: &str) -> sr25519::Pair {
	harness::dev_pair(name)
}

fn account(name: &str) -> AccountId {
	pair(name).public().into()
}

struct Network {
	nodes: Vec<Node>,
	endpoints: Vec<String>,
	/// Each node's `--prometheus-port`.
	metrics_ports: Vec<u16>,
	/// //Dave's validator, hosting no Ursula: it authors its slots.
	_dave: Node,
}

impl Network {
	/// Metric `name` with `labels`, summed over the three nodes' expositions.
	fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
		self.metrics_ports
			.iter()
			.map(|port| harness::metric(&harness::scrape_metrics(*port), name, labels))
			.sum()
	}
}

fn start_network() -> Network {
	let mut nodes: Vec<Node> = Vec::new();
	let mut endpoints = Vec::new();
	let mut metrics_ports = Vec::new();
	for (validator, worker) in ["alice", "bob", "charlie"].into_iter().zip(WORKERS) {
		let port = free_port();
		let metrics_port = free_port();
		let mut config = NodeConfig::local_validator(validator);
		config.extra_args = vec![
			"--ursula-listen".into(),
			format!("127.0.0.1:{port}"),
			"--prometheus-port".into(),
			metrics_port.to_string(),
		];
		metrics_ports.push(metrics_port);
		config.keys = harness::ursula_keys(worker);
		if let Some(first) = nodes.first() {
			config.bootnodes = vec![first.multiaddr()];
		} else {
			// The first keeps every finalized block's state: subxt reads them all at the end.
			config.extra_args.extend(["--state-pruning".into(), "archive-canonical".into()]);
		}
		nodes.push(Node::start(validator, config));
		endpoints.push(format!("http://127.0.0.1:{port}"));
	}
	let mut dave = NodeConfig::local_validator("dave");
	dave.bootnodes = vec![nodes[0].multiaddr()];
	let _dave = Node::start("dave", dave);
	Network { nodes, endpoints, metrics_ports, _dave }
}

fn path(dir: &Path, name: &str) -> String {
	harness::path_in(dir, name)
}

/// Sends a raw request (signed by `signer`, claiming to come from `bob`) to an Ursula.
fn ask(
	endpoint: &str,
	signer: &sr25519::Pair,
	bob: &AccountId,
	policy: [u8; 16],
	ursula: &AccountId,
	sequence: u64,
	capsules: Vec<Vec<u8>>,
) -> Result<ReencryptionResponse, RequestError> {
	harness::ursula_api::reencrypt(endpoint, signer, bob, policy, ursula, sequence, capsules)
		.expect("the Ursula answers in the protocol")
}

/// Waits until `ursula` (at `endpoint`) refuses Bob's fresh request on `policy` with `refusal`.
fn wait_for_refusal(
	endpoint: &str,
	ursula: &AccountId,
	policy: [u8; 16],
	capsule: &[u8],
	refusal: RequestError,
) {
	wait_for(&format!("the Ursula to answer {refusal:?}"), Duration::from_secs(60), || {
		let request = harness::bobs_request(policy, ursula, capsule);
		let answer = harness::ursula_api::send(endpoint, ursula, &request)
			.expect("the Ursula answers in the protocol");
		(answer.err() == Some(refusal)).then_some(())
	});
}

/// `ursula`'s sealed key fragment of `policy`, as anyone reads it from the chain.
fn sealed_kfrag(node: &Node, policy: [u8; 16], ursula: &AccountId) -> Vec<u8> {
	let sealed = node.rpc(
		"state_call",
		json!(["PoliciesApi_encrypted_kfrag", harness::hex(&(policy, ursula.clone()).encode())]),
	);
	Option::<Vec<u8>>::decode(&mut &harness::unhex(sealed.as_str().unwrap())[..])
		.unwrap()
		.expect("a live policy's key fragment")
}

fn submit(node: &Node, signer: &str, call: RuntimeCall) -> Vec<RuntimeEvent> {
	node.chain().submit(&pair(signer), call).unwrap_or_else(|e| panic!("{signer}: {e}"))
}

#[test]
fn alice_grants_enrico_encrypts_bob_decrypts_and_misbehaviour_costs() {
	let mut net = start_network();
	let url = net.nodes[0].rpc_url();
	harness::wait_for("the validators to peer", Duration::from_secs(60), || {
		net.nodes.iter().all(|node| node.peers() >= 2).then_some(())
	});

	// Stakers stake and bond the workers; each worker registers its endpoint and keys.
	for ((staker, worker), endpoint) in STAKERS.iter().zip(WORKERS).zip(&net.endpoints) {
		harness::stake_for_ursula(&net.nodes[0], staker, worker, endpoint);
	}
	// Their nodes' off-chain workers commit; from the next period all three are active.
	wait_for("three active Ursulas", Duration::from_secs(240), || {
		let active = net.nodes[0].rpc("keymarket_activeUrsulas", json!([]));
		(active.as_array().map(Vec::len) == Some(3)).then_some(())
	});

	// Alice and Bob make their keys; Alice grants 2-of-3 (and a one-period policy).
	let dir = tempfile::tempdir().expect("a temp dir");
	let bob_key = harness::keygens(dir.path());
	let price = PRICE.to_string();
	let grant = |label: &str, periods: &str| {
		let terms = ["--threshold", "2", "--shares", "3", "--periods", periods, "--price", &price];
		harness::alice_grants(&url, dir.path(), label, &bob_key, &terms)
	};
	let policy = grant("files", "60");
	let short = grant("today", "1");
	let policy_id: [u8; 16] =
		harness::unhex(policy["policy"].as_str().unwrap()).try_into().unwrap();
	let short_id: [u8; 16] = harness::unhex(short["policy"].as_str().unwrap()).try_into().unwrap();
	let ursulas: Vec<AccountId> = serde_json::from_value(policy["ursulas"].clone()).unwrap();
	assert_eq!(ursulas.len(), 3);
	let endpoint_of = |ursula: &AccountId| {
		let i = WORKERS.iter().position(|w| account(w) == *ursula).expect("one of ours");
		net.endpoints[i].clone()
	};

	// Enrico encrypts; Bob retrieves and decrypts the exact bytes.
	let plaintext = b"the quarterly numbers, for Bob's eyes only".to_vec();
	std::fs::write(dir.path().join("plain.txt"), &plaintext).unwrap();
	let policy_hex = policy["policy"].as_str().unwrap().to_string();
	let capsule =
		harness::enrico_encrypts(&url, dir.path(), &policy_hex, "plain.txt", "secret.enc");
	let (keys, secret, plain_out) = (
		path(dir.path(), "bob.json"),
		path(dir.path(), "secret.enc"),
		path(dir.path(), "plain.out"),
	);
	let bob_args = |url: &str| -> Vec<String> {
		[
			"bob", "retrieve", "--keys", &keys, "--suri", "//Bob", "--in", &secret, "--out",
			&plain_out,
		]
		.into_iter()
		.chain(["--rpc", url])
		.map(String::from)
		.collect()
	};
	let retrieve = |url: &str| {
		let args = bob_args(url);
		run_binary(&args.iter().map(String::as_str).collect::<Vec<_>>(), Duration::from_secs(120))
	};
	// The Ursulas pick up their key fragments with the next blocks.
	wait_for("Bob to decrypt", Duration::from_secs(60), || {
		(retrieve(&url).0 == Some(0)).then_some(())
	});
	assert_eq!(std::fs::read(dir.path().join("plain.out")).unwrap(), plaintext);
	// Piped, Bob's client shows no progress and prints one JSON document; at a terminal it shows
	// which Ursula it asks and prints the same facts as lines, or JSON when asked with --json.
	let (status, stdout, stderr) = retrieve(&url);
	assert_eq!(status, Some(0), "{stderr}");
	assert!(stderr.is_empty(), "no progress when piped: {stderr:?}");
	let piped: serde_json::Value = serde_json::from_str(&stdout).expect("JSON when piped");
	assert_eq!(piped["decrypted"], plaintext.len());
	let args = bob_args(&url);
	let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
	let (status, shown) = harness::run_on_terminal(&args, Duration::from_secs(120));
	assert_eq!(status, Some(0), "{shown}");
	assert!(shown.contains("of 2 fragments, asking Ursula "), "progress at a terminal: {shown:?}");
	assert!(shown.contains(&format!("decrypted: {}", plaintext.len())), "lines: {shown:?}");
	assert!(!shown.contains("{\""), "no JSON at a terminal: {shown:?}");
	args.push("--json");
	let (status, shown) = harness::run_on_terminal(&args, Duration::from_secs(120));
	assert_eq!(status, Some(0), "{shown}");
	let last = shown.lines().rev().find(|line| line.contains('{')).unwrap_or_default();
	let json = &last[last.find('{').unwrap_or_default()..];
	let asked: serde_json::Value = serde_json::from_str(json.trim()).expect("JSON with --json");
	assert_eq!(asked["decrypted"], plaintext.len());

	// Bad requests get precise errors.
	let first = &ursulas[0];
	let endpoint = endpoint_of(first);
	let bob_account = account("Bob");
	// Sequence numbers above those Bob's client used (microseconds since the epoch).
	let base = now_micros();
	let ok =
		ask(&endpoint, &pair("Bob"), &bob_account, policy_id, first, base, vec![capsule.clone()]);
	let ok = ok.expect("served");
	assert_eq!(ok.cfrags.len(), 1);
	// The same request again gets the answer it got (an answer lost on the way is not lost);
	// its number used for anything else is a replay.
	let again =
		ask(&endpoint, &pair("Bob"), &bob_account, policy_id, first, base, vec![capsule.clone()]);
	assert_eq!(again.expect("answered again"), ok, "the same answer, from the served log");
	let two = vec![capsule.clone(), capsule.clone()];
	let replay = ask(&endpoint, &pair("Bob"), &bob_account, policy_id, first, base, two);
	assert_eq!(replay.unwrap_err(), RequestError::ReplayedSequence);
	let forged = ask(
		&endpoint,
		&pair("Charlie"),
		&bob_account,
		policy_id,
		first,
		base + 1,
		vec![capsule.clone()],
	);
	assert_eq!(forged.unwrap_err(), RequestError::BadSignature);
	let other_bob = ask(
		&endpoint,
		&pair("Charlie"),
		&account("Charlie"),
		policy_id,
		first,
		base + 2,
		vec![capsule.clone()],
	);
	assert_eq!(other_bob.unwrap_err(), RequestError::NotGrantee);
	let junk = ask(
		&endpoint,
		&pair("Bob"),
		&bob_account,
		policy_id,
		first,
		base + 3,
		vec![b"junk".to_vec()],
	);
	assert_eq!(junk.unwrap_err(), RequestError::MalformedCapsule(0));
	// A real capsule with a byte appended: a lax reader takes it, the adjudicator would not, so
	// the Ursula refuses to sign an answer that could frame it.
	let mut bent = capsule.clone();
	bent.push(0);
	let bent = ask(&endpoint, &pair("Bob"), &bob_account, policy_id, first, base + 5, vec![bent]);
	assert_eq!(bent.unwrap_err(), RequestError::MalformedCapsule(0));
	let wrong_ursula = ask(
		&endpoint,
		&pair("Bob"),
		&bob_account,
		policy_id,
		&ursulas[1],
		base + 4,
		vec![capsule.clone()],
	);
	assert_eq!(wrong_ursula.unwrap_err(), RequestError::NotAssigned);

	// With one Ursula's node down, two of three still serve Bob.
	let down = WORKERS.iter().position(|w| account(w) == ursulas[0]).unwrap();
	net.nodes[down].stop();
	let (status, stdout, stderr) = retrieve(&net.nodes[(down + 1) % 3].rpc_url());
	assert_eq!(status, Some(0), "Bob must decrypt with one Ursula down: {stdout} {stderr}");
	assert_eq!(std::fs::read(dir.path().join("plain.out")).unwrap(), plaintext);
	net.nodes[down].restart();

	// The restarted Ursula kept its key fragments, its used sequence numbers and its log: Bob's
	// old request gets its old answer, its number used otherwise is still a replay, a new one
	// is served.
	let after_restart =
		wait_for("the restarted Ursula to answer", Duration::from_secs(120), || {
			// Until its endpoint is up again the connection is refused: keep asking.
			harness::ursula_api::reencrypt(
				&endpoint,
				&pair("Bob"),
				&bob_account,
				policy_id,
				first,
				base,
				vec![capsule.clone()],
			)
			.ok()
			.filter(|answer| *answer != Err(RequestError::Unavailable))
		});
	assert_eq!(after_restart, Ok(ok), "the same answer after a restart");
	let two = vec![capsule.clone(), capsule.clone()];
	let replay = ask(&endpoint, &pair("Bob"), &bob_account, policy_id, first, base, two);
	assert_eq!(replay.unwrap_err(), RequestError::ReplayedSequence);
	let fresh = ask(
		&endpoint,
		&pair("Bob"),
		&bob_account,
		policy_id,
		first,
		now_micros(),
		vec![capsule.clone()],
	);
	assert_eq!(fresh.expect("served after a restart").cfrags.len(), 1);

	// A policy that starts later is not served before its start.
	let now: u32 =
		serde_json::from_value(net.nodes[0].rpc("keymarket_currentPeriod", json!([]))).unwrap();
	let start = (now + 20).to_string();
	let terms = ["--threshold", "1", "--shares", "1", "--periods", "2", "--start", &start];
	let later = harness::alice_grants(&url, dir.path(), "later", &bob_key, &terms);
	let later_id: [u8; 16] = harness::unhex(later["policy"].as_str().unwrap()).try_into().unwrap();
	let later_ursula: Vec<AccountId> = serde_json::from_value(later["ursulas"].clone()).unwrap();
	wait_for_refusal(
		&endpoint_of(&later_ursula[0]),
		&later_ursula[0],
		later_id,
		&capsule,
		RequestError::PolicyNotStarted,
	);

	// A compromised Ursula (the test holds its keys) answers a fragment of another capsule and
	// signs it; Bob reports it and the adjudicator has it slashed.
	let culprit = &ursulas[1];
	let worker = WORKERS.iter().find(|w| account(w) == *culprit).unwrap();
	let sealed = sealed_kfrag(&net.nodes[0], policy_id, culprit);
	let envelope = EncryptedKeyFrag::decode(&mut &sealed[..]).unwrap();
	let bound = umbral_pre::decrypt_original(
		&harness::ursula_umbral_key(worker).0,
		&umbral_pre::Capsule::from_bytes(&envelope.capsule).unwrap(),
		&envelope.ciphertext,
	)
	.unwrap();
	let bound = BoundKeyFrag::decode(&mut &bound[..]).unwrap();
	assert_eq!((bound.policy, bound.owner.clone()), (policy_id, account("Alice")));
	let kfrag = umbral_pre::KeyFrag::from_bytes(&bound.kfrag).unwrap().skip_verification();
	let policy_key = umbral_pre::PublicKey::try_from_compressed_bytes(&harness::unhex(
		policy["policyKey"].as_str().unwrap(),
	))
	.unwrap();
	let (other, _) = umbral_pre::encrypt(&policy_key, b"something else").unwrap();
	let wrong = umbral_pre::reencrypt(&other, kfrag).to_bytes().unwrap().into_vec();
	let period: u32 =
		serde_json::from_value(net.nodes[0].rpc("keymarket_currentPeriod", json!([]))).unwrap();
	let payload = cfrag_signing_payload(&policy_id, culprit, period, &capsule, &wrong);
	let evidence = CfragEvidence {
		policy: policy_id,
		served_at: period,
		capsule: capsule.clone().try_into().unwrap(),
		cfrag: wrong.clone().try_into().unwrap(),
		signature: pair(worker).sign(&payload).0,
	};
	let report = RuntimeCall::Policies(pallet_keymarket_policies::Call::report_incorrect_cfrag {
		worker: culprit.clone(),
		evidence: evidence.clone(),
	});
	let events = submit(&net.nodes[0], "Bob", report.clone());
	let penalty = events.iter().find_map(|e| match e {
		RuntimeEvent::Slashing(pallet_keymarket_slashing::Event::SlashDeferred {
			penalty, ..
		}) => Some(*penalty),
		_ => None,
	});
	assert_eq!(penalty, Some(100 * KEY), "incorrect cfrag: min(base, stake / 10)");
	let again = net.nodes[0].chain().submit(&pair("Bob"), report).unwrap_err();
	assert_eq!(again, "slashing.Duplicate");

	// Alice pays Bob's requests by lottery tickets from now on; Bob retrieves many times, each
	// request carrying a ticket; the Ursulas keep their winners and redeem them by themselves.
	lottery_pays_the_ursulas(&net, dir.path(), &policy_hex, &ursulas, &capsule);

	// What the policy put on chain in public — its keys and every sealed key fragment — as an
	// attacker copies it before Alice revokes.
	let sealed_kfrags: Vec<Vec<u8>> =
		ursulas.iter().map(|ursula| sealed_kfrag(&net.nodes[0], policy_id, ursula)).collect();

	// Alice revokes: every Ursula refuses from then on.
	client(&["alice", "revoke", "--suri", "//Alice", "--policy", &policy_hex, "--rpc", &url]);
	for ursula in &ursulas {
		wait_for_refusal(
			&endpoint_of(ursula),
			ursula,
			policy_id,
			&capsule,
			RequestError::PolicyRevoked,
		);
	}
	// Bob's client fails naming the policy, each Ursula and its reason.
	let (status, _, stderr) = retrieve(&url);
	assert_ne!(status, Some(0));
	assert!(stderr.contains(&format!("policy {policy_hex}: 0 of 2 fragments needed")), "{stderr}");
	for ursula in &ursulas {
		let named = format!("Ursula {ursula}: refused: PolicyRevoked");
		assert!(stderr.contains(&named), "{named} in {stderr}");
	}
	// The attacker (//Charlie) pays for a new policy that replays Alice's fragments and keys
	// for the revoked Bob: the chain takes it, but every Ursula refuses the fragments, sealed
	// for Alice's policy, and Bob gets nothing.
	let view = net.nodes[0].rpc("keymarket_policy", json!([policy_hex]));
	let view_key = |field: &str| -> [u8; 33] {
		harness::unhex(view[field].as_str().unwrap()).try_into().unwrap()
	};
	let now: u32 =
		serde_json::from_value(net.nodes[0].rpc("keymarket_currentPeriod", json!([]))).unwrap();
	let replay_id = [0xee; 16];
	let replay = RuntimeCall::Policies(pallet_keymarket_policies::Call::create_policy {
		id: replay_id,
		grant: pallet_keymarket_policies::PolicyGrant {
			bob: bob_account.clone(),
			bob_key: view_key("bobKey"),
			verifying_key: view_key("verifyingKey"),
			policy_key: view_key("policyKey"),
			threshold: 2,
			start: now,
			end: now + 10,
			rate: 1_000_000_000,
			price: 0,
		},
		ursulas: ursulas.clone().try_into().unwrap(),
		kfrags: sealed_kfrags
			.into_iter()
			.map(|k| k.try_into().unwrap())
			.collect::<Vec<_>>()
			.try_into()
			.unwrap(),
	});
	submit(&net.nodes[0], "Charlie", replay);
	for ursula in &ursulas {
		wait_for_refusal(
			&endpoint_of(ursula),
			ursula,
			replay_id,
			&capsule,
			RequestError::NoKeyFrag,
		);
	}

	// The one-period policy has ended by now: every Ursula refuses it too.
	let short_ursulas: Vec<AccountId> = serde_json::from_value(short["ursulas"].clone()).unwrap();
	let short_end = short["end"].as_u64().unwrap() as u32;
	wait_for("the short policy's end", Duration::from_secs(120), || {
		let now: u32 =
			serde_json::from_value(net.nodes[0].rpc("keymarket_currentPeriod", json!([]))).unwrap();
		(now >= short_end).then_some(())
	});
	for ursula in &short_ursulas {
		wait_for_refusal(
			&endpoint_of(ursula),
			ursula,
			short_id,
			&capsule,
			RequestError::PolicyExpired,
		);
	}

	// The network moves to its fees-only stage: the Ursulas of a new policy are paid for the
	// requests they served, by the claims and openings their nodes make by themselves.
	let served = grant("served", "10");
	activity_pays_the_ursulas(&net, dir.path(), &served);
	// Governance switches to the committee scheme: the round's gateways check each Ursula's
	// whole record natively and sign; the Ursula submits their signatures and is paid.
	committee_attests(&net, dir.path(), &served);
	// And to the zero-knowledge scheme: each Ursula claims privately (its keys committed to,
	// proven distinct by a range proof the node verifies natively), opens, and is paid.
	zero_knowledge_proves(&net, dir.path(), &served);
	the_metrics_show_the_traffic(&net);
	subxt_decodes_every_block(&mut net);
	the_runtime_checks_hold_over_the_whole_chain(&net);
}

/// The runtime's try-runtime checks (`keymarket-try-runtime`) on the chain the test made: every
/// block from genesis executed again natively (signatures, state roots, every pallet's
/// `try_state` and the whole state decoded after each block), then an upgrade tried on the live
/// state (the migrations' checks, idempotence). Node 0 keeps every state.
fn the_runtime_checks_hold_over_the_whole_chain(net: &Network) {
	let (status, stdout, stderr) =
		harness::try_runtime(&net.nodes[0].rpc_url(), &["--blocks", "all"]);
	assert_eq!(status, Some(0), "try-runtime failed on the test's chain: {stdout}{stderr}");
	eprintln!("try-runtime over the whole chain:\n{stdout}");
}

/// Integrators read the chain the test made with the ecosystem's standard clients, from the
/// chain's metadata alone (no generated or custom types): subxt decodes every finalized block
/// from genesis, each extrinsic's call and fields, its transaction extensions (the chain's own
/// `CheckDuties` among them) and every event; polkadot.js and Python's substrate-interface read
/// the same blocks and find the same calls and as many events. The Ursulas' duties of the whole
/// test — period commitments, lottery commitments and redemptions, activity claims, openings,
/// attestations and the private scheme's — are among them, each signed by its worker.
fn subxt_decodes_every_block(net: &mut Network) {
	use subxt::{dynamic::Value, OnlineClient, SubstrateConfig};
	const DUTIES: [&str; 8] = [
		"Staking.commit_to_next_period",
		"Lottery.commit",
		"Lottery.redeem",
		"Activity.claim",
		"Activity.open",
		"Activity.attest",
		"Activity.claim_private",
		"Activity.open_private",
	];
	let url = net.nodes[0].rpc_url().replace("http://", "ws://");
	// Every duty of the test final first.
	let best = net.nodes[0].best_number();
	let finalized = net.nodes[0].wait_for_finalized(best, Duration::from_secs(120));
	let workers: Vec<[u8; 32]> = WORKERS.iter().map(|w| account(w).into()).collect();
	let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
	let (calls, events) = runtime.block_on(async {
		let api = OnlineClient::<SubstrateConfig>::from_url(&url).await.expect("subxt connects");
		let mut calls = BTreeMap::<String, u32>::new();
		let mut events = 0u32;
		for number in 0..=finalized {
			let at = api.at_block(number).await.unwrap_or_else(|e| panic!("block #{number}: {e}"));
			let extrinsics =
				at.extrinsics().fetch().await.unwrap_or_else(|e| panic!("#{number}: {e}"));
			for extrinsic in extrinsics.iter() {
				let extrinsic = extrinsic.unwrap_or_else(|e| panic!("#{number}: {e}"));
				let name = format!("{}.{}", extrinsic.pallet_name(), extrinsic.call_name());
				let _: Value = extrinsic
					.decode_call_data_fields_unchecked_as::<Value>()
					.unwrap_or_else(|e| panic!("#{number} {name}'s fields: {e}"));
				if let Some(extensions) = extrinsic.transaction_extensions() {
					for extension in extensions.iter() {
						let _: Value = extension
							.decode_unchecked_as::<Value>()
							.unwrap_or_else(|e| panic!("#{number} {name}'s extensions: {e}"));
					}
				}
				if DUTIES.contains(&name.as_str()) {
					// Signed by a worker: `MultiAddress::Id` (0) and its account.
					let address = extrinsic.address_bytes().unwrap_or_default();
					assert!(extrinsic.is_signed(), "#{number} {name} is signed");
					assert!(
						address.len() == 33
							&& address[0] == 0 && workers.iter().any(|w| w[..] == address[1..]),
						"#{number} {name} is signed by a worker: {address:?}"
					);
				}
				*calls.entry(name).or_default() += 1;
			}
			let block_events =
				at.events().fetch().await.unwrap_or_else(|e| panic!("#{number}: {e}"));
			for event in block_events.iter() {
				let event = event.unwrap_or_else(|e| panic!("#{number}'s events: {e}"));
				let _: Value = event.decode_fields_unchecked_as::<Value>().unwrap_or_else(|e| {
					panic!("#{number} {}.{}: {e}", event.pallet_name(), event.event_name())
				});
				events += 1;
			}
		}
		(calls, events)
	});
	eprintln!("subxt decoded blocks 0 to {finalized}: {events} events, calls {calls:?}");
	for duty in DUTIES {
		assert!(calls.get(duty).copied().unwrap_or(0) > 0, "no {duty} among {calls:?}");
	}

	// polkadot.js and Python's substrate-interface read the same blocks: the same calls, as many
	// events, and every duty signed by a worker. Names are compared as each client spells them
	// (`staking.commitToNextPeriod`, `Staking.commit_to_next_period`): lower case, no underscores.
	let same_name = |name: &str| name.to_lowercase().replace('_', "");
	let by_name = |calls: &BTreeMap<String, u32>| -> BTreeMap<String, u64> {
		calls.iter().map(|(name, n)| (same_name(name), u64::from(*n))).collect()
	};
	let subxt_calls = by_name(&calls);
	let worker_names: Vec<String> = WORKERS.iter().map(|w| account(w).to_string()).collect();
	let (last, manifest) = (finalized.to_string(), env!("CARGO_MANIFEST_DIR"));
	let python = std::env::var("KEYMARKET_PYTHON").unwrap_or_else(|_| {
		format!("{}/.cache/keymarket/venv/bin/python", std::env::var("HOME").unwrap_or_default())
	});
	let readers = [
		("polkadot.js", "node".to_string(), format!("{manifest}/tests/polkadotjs/blocks.js")),
		("substrate-interface", python, format!("{manifest}/tests/python/blocks.py")),
	];
	for (client, program, script) in readers {
		let (status, stdout, stderr) = harness::run_program(
			&program,
			&[&script, &url, "0", &last],
			&[],
			Duration::from_secs(600),
		);
		assert_eq!(
			status,
			Some(0),
			"{client} ({program} {script}; ./scripts/test installs it) could not read the \
			 blocks: {stderr}"
		);
		let read: serde_json::Value = serde_json::from_str(stdout.trim())
			.unwrap_or_else(|e| panic!("{client} printed {stdout:?}: {e}"));
		let read_calls: BTreeMap<String, u64> =
			serde_json::from_value(read["calls"].clone()).expect("calls by name");
		let read_calls: BTreeMap<String, u64> =
			read_calls.iter().map(|(name, n)| (same_name(name), *n)).collect();
		assert_eq!(read_calls, subxt_calls, "{client} and subxt read the same calls");
		assert_eq!(read["events"], events, "{client} and subxt read as many events");
		for duty in DUTIES {
			let signers = read["signers"]
				.as_object()
				.and_then(|by| by.iter().find(|(name, _)| same_name(name) == same_name(duty)))
				.and_then(|(_, who)| who.as_array().cloned())
				.unwrap_or_default();
			assert!(!signers.is_empty(), "{client}: no signer of {duty}");
			for signer in signers {
				let signer = signer.as_str().unwrap_or_default().to_string();
				assert!(worker_names.contains(&signer), "{client}: {duty} signed by {signer}");
			}
		}
		eprintln!("{client} decoded blocks 0 to {finalized} as subxt did");
	}
}

/// Each node's Prometheus endpoint, beside Substrate's own metrics, shows the Ursula's work of
/// the whole test (since each node's last start: one of them was restarted).
fn the_metrics_show_the_traffic(net: &Network) {
	let period: u64 =
		serde_json::from_value(net.nodes[0].rpc("keymarket_currentPeriod", json!([]))).unwrap();
	let mut rounds = Vec::new();
	for (i, port) in net.metrics_ports.iter().enumerate() {
		let text = harness::scrape_metrics(*port);
		let get = |name: &str, labels: &[(&str, &str)]| harness::metric(&text, name, labels);
		assert!(get("substrate_block_height", &[("status", "finalized")]) > 0.0, "node {i}");
		let served = get("keymarket_ursula_requests_served_total", &[]);
		assert_eq!(get("keymarket_ursula_request_duration_seconds_count", &[]), served);
		assert_eq!(get("keymarket_ursula_request_capsules_count", &[]), served);
		assert!(get("keymarket_ursula_request_capsules_sum", &[]) >= served);
		let committed = get("keymarket_ursula_last_committed_period", &[]);
		assert!(
			committed >= period as f64,
			"node {i}: committed through {committed}, now {period}"
		);
		// The round of the worker's commitment as the chain has it: the round it committed in,
		// which is 0 for an Ursula that committed at the start and has not won since (a new
		// value only follows winners). Read again until both agree: a block may come between.
		let worker = account(WORKERS[i]);
		let since =
			wait_for("the commitment's round in the metrics", Duration::from_secs(30), || {
				let view = net.nodes[i].rpc("keymarket_lotteryCommitment", json!([worker]));
				let since = view["since"].as_u64().unwrap_or_else(|| panic!("node {i}: {view}"));
				let text = harness::scrape_metrics(*port);
				let round =
					harness::metric(&text, "keymarket_ursula_lottery_commitment_round", &[]);
				(round == since as f64).then_some(since)
			});
		rounds.push(since);
		eprintln!(
			"metrics of node {i}: {served} served, {} refused, p50 bucket ≤ 5 ms: {}, {} proofs",
			get("keymarket_ursula_requests_refused_total", &[]),
			get("keymarket_ursula_request_duration_seconds_bucket", &[("le", "0.005")]),
			get("keymarket_ursula_proofs_submitted_total", &[]),
		);
	}
	assert!(rounds.iter().any(|r| *r > 0), "the winners moved to new values: {rounds:?}");
	assert!(net.metric("keymarket_ursula_requests_served_total", &[]) > 0.0);
	assert!(net.metric("keymarket_ursula_key_fragments", &[]) >= 1.0);
	let kind = |k: &str| net.metric("keymarket_ursula_proofs_submitted_total", &[("kind", k)]);
	for k in [
		"lottery_commit",
		"lottery_redeem",
		"activity_claim",
		"activity_open",
		"activity_attest",
		"activity_claim_private",
		"activity_open_private",
	] {
		assert!(kind(k) >= 1.0, "no duty of kind {k} handed over");
	}
	// The refusals the test provoked, under their reasons.
	let refused =
		|reason: &str| net.metric("keymarket_ursula_requests_refused_total", &[("reason", reason)]);
	for reason in ["NoKeyFrag", "PolicyExpired", "TicketRequired", "ReplayedSequence"] {
		assert!(refused(reason) >= 1.0, "no refusal counted as {reason}");
	}
}

/// Sudo, as governance.
fn sudo(node: &Node, call: RuntimeCall) {
	let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(call) });
	let events = submit(node, "Alice", call);
	let done = events.iter().any(|e| {
		matches!(e, RuntimeEvent::Sudo(pallet_sudo::Event::Sudid { sudo_result: Ok(()) }))
	});
	assert!(done, "sudo failed: {events:?}");
}

/// Bob decrypts the file `input` in `dir` `times` over, with `extra` arguments; his client's
/// JSON report.
fn bob_retrieves(
	url: &str,
	dir: &Path,
	input: &str,
	times: u32,
	extra: &[&str],
) -> serde_json::Value {
	let (keys, input, out, times) =
		(path(dir, "bob.json"), path(dir, input), path(dir, "retrieved.out"), times.to_string());
	let mut args =
		vec!["bob", "retrieve", "--keys", &keys, "--suri", "//Bob", "--in", &input, "--out", &out];
	args.extend(["--repeat", &times, "--rpc", url]);
	args.extend(extra);
	let (status, stdout, stderr) = run_binary(&args, Duration::from_secs(600));
	assert_eq!(status, Some(0), "Bob retrieves: {stdout} {stderr}");
	serde_json::from_str(&stdout).expect("JSON")
}

/// Bob retrieves `times` the file Enrico encrypted for the `served` policy; the requests each
/// Ursula served.
fn retrieve_counted(url: &str, dir: &Path, times: u32) -> BTreeMap<AccountId, u64> {
	let output = bob_retrieves(url, dir, "served.enc", times, &[]);
	let served: BTreeMap<AccountId, u64> =
		serde_json::from_value(output["servedBy"].clone()).expect("requests per Ursula");
	assert_eq!(served.values().sum::<u64>(), 2 * times as u64, "{output}");
	served
}

/// Each Ursula's claims of `policy_hex` for periods from `from`, once none waits to be opened
/// and their ω adds up to what it served.
fn settled_claims(
	node: &Node,
	policy_hex: &str,
	from: u32,
	served: &BTreeMap<AccountId, u64>,
) -> Vec<(AccountId, Vec<serde_json::Value>)> {
	let claims_of = |ursula: &AccountId| -> Vec<serde_json::Value> {
		let claims = node.rpc("keymarket_activityClaims", json!([ursula]));
		let ours = |c: &&serde_json::Value| {
			c["policy"].as_str() == Some(policy_hex) && c["period"].as_u64() >= Some(from as u64)
		};
		claims.as_array().unwrap().iter().filter(ours).cloned().collect()
	};
	let omega = |claims: &[serde_json::Value]| -> u64 {
		claims.iter().map(|c| c["omega"].as_u64().unwrap()).sum()
	};
	wait_for("every Ursula's claims to be settled", Duration::from_secs(300), || {
		let all: Vec<(AccountId, Vec<serde_json::Value>)> =
			served.keys().map(|u| (u.clone(), claims_of(u))).collect();
		let done = all.iter().all(|(u, claims)| {
			omega(claims) == served[u] && claims.iter().all(|c| c["state"] != json!("committed"))
		});
		done.then_some(all)
	})
}

/// What the settled claims were paid, each exactly the price of its requests.
fn paid_at_price(settled: &[(AccountId, Vec<serde_json::Value>)]) -> u128 {
	let mut total = 0u128;
	for (ursula, claims) in settled {
		for claim in claims {
			let paid: u128 = claim["state"]["paid"]
				.as_str()
				.unwrap_or_else(|| panic!("{ursula}'s claim was not paid: {claim}"))
				.parse()
				.unwrap();
			assert_eq!(paid, PRICE * claim["omega"].as_u64().unwrap() as u128, "{claim}");
			total += paid;
		}
	}
	total
}

/// The committee scheme: governance lowers the gateways' threshold to two (three Ursulas, and a
/// worker never signs its own) and selects the scheme; Bob retrieves again; each Ursula sends
/// its record to the round's other gateways, which check it and sign, and submits their
/// signatures: paid exactly the price of what Bob counted, by attestations, not openings.
fn committee_attests(net: &Network, dir: &Path, grant: &serde_json::Value) {
	use keymarket_runtime::dynamic_params::gateway;
	let node = &net.nodes[0];
	let url = node.rpc_url();
	let policy_hex = grant["policy"].as_str().unwrap().to_string();
	sudo(
		node,
		RuntimeCall::Parameters(pallet_parameters::Call::set_parameter {
			key_value: keymarket_runtime::RuntimeParameters::Gateway(
				gateway::Parameters::GatewayThreshold(gateway::GatewayThreshold, Some(2)),
			),
		}),
	);
	sudo(
		node,
		RuntimeCall::Activity(pallet_keymarket_activity::Call::set_scheme {
			scheme: keymarket_primitives::activity::ActivityScheme::Committee,
		}),
	);
	// From the next round on, its three gateways need two signatures.
	wait_for("a round of three gateways, two signatures needed", Duration::from_secs(120), || {
		let view = node.rpc("keymarket_gateways", json!([]));
		(view["threshold"] == json!(2) && view["gateways"].as_array().map(Vec::len) == Some(3))
			.then_some(())
	});
	let first_block = node.best_number();
	let from: u32 = serde_json::from_value(node.rpc("keymarket_currentPeriod", json!([]))).unwrap();
	let served = retrieve_counted(&url, dir, ACTIVITY_RETRIEVALS / 2);
	let settled = settled_claims(node, &policy_hex, from, &served);
	let paid = paid_at_price(&settled);
	assert_eq!(paid, PRICE * ACTIVITY_RETRIEVALS as u128);
	let events = activity_events_since(node, first_block);
	if let Some(claim) = events.iter().find(|e| matches!(e, ActivityEvent::Claimed { .. })) {
		panic!("a claim under the committee scheme: {claim:?}");
	}
	let attested = events.iter().filter(|e| matches!(e, ActivityEvent::Attested { .. })).count();
	let claims: usize = settled.iter().map(|(_, c)| c.len()).sum();
	assert_eq!(attested, claims, "every period proven by attestation");
	eprintln!("committee: {served:?} requests served, {paid} paid by {attested} attestations");
}

/// The zero-knowledge scheme: governance selects it; Bob retrieves again; each Ursula's node
/// proves its period's keys distinct, claims privately, opens the challenged leaves with their
/// commitments, and is paid exactly the price of what Bob counted; nothing is refuted.
fn zero_knowledge_proves(net: &Network, dir: &Path, grant: &serde_json::Value) {
	let node = &net.nodes[0];
	let url = node.rpc_url();
	let policy_hex = grant["policy"].as_str().unwrap().to_string();
	sudo(
		node,
		RuntimeCall::Activity(pallet_keymarket_activity::Call::set_scheme {
			scheme: keymarket_primitives::activity::ActivityScheme::ZeroKnowledge,
		}),
	);
	assert_eq!(node.rpc("keymarket_activityScheme", json!([])), json!("zeroKnowledge"));
	let first_block = node.best_number();
	let from: u32 = serde_json::from_value(node.rpc("keymarket_currentPeriod", json!([]))).unwrap();
	let served = retrieve_counted(&url, dir, ACTIVITY_RETRIEVALS / 2);
	let settled = settled_claims(node, &policy_hex, from, &served);
	let paid = paid_at_price(&settled);
	assert_eq!(paid, PRICE * ACTIVITY_RETRIEVALS as u128);
	for (ursula, claims) in &settled {
		for claim in claims {
			assert_eq!(claim["private"], json!(true), "{ursula}'s claim is private: {claim}");
		}
	}
	let events = activity_events_since(node, first_block);
	if let Some(refuted) = events.iter().find(|e| matches!(e, ActivityEvent::ClaimRefuted { .. })) {
		panic!("an honest private claim was refuted: {refuted:?}");
	}
	let proven = events.iter().filter(|e| matches!(e, ActivityEvent::ClaimPaid { .. })).count();
	let claims: usize = settled.iter().map(|(_, c)| c.len()).sum();
	assert_eq!(proven, claims, "every period proven by a private claim and its opening");
	eprintln!("zero knowledge: {served:?} requests served, {paid} paid by {proven} private claims");
}

/// Requests Bob makes in the fees-only stage.
const ACTIVITY_RETRIEVALS: u32 = 40;

/// Governance puts the network in its fees-only stage; Bob retrieves under `grant`'s policy
/// (no tickets: its owner authorized none); each Ursula claims the requests it served after the
/// period, opens the challenged leaves after the beacon, and is paid the price of each request
/// from the policy's escrow — exactly what Bob counted, nothing refuted.
fn activity_pays_the_ursulas(net: &Network, dir: &Path, grant: &serde_json::Value) {
	let node = &net.nodes[0];
	let url = node.rpc_url();
	let first_block = node.best_number();
	sudo(
		node,
		RuntimeCall::Staking(pallet_keymarket_staking::Call::set_stage {
			stage: keymarket_primitives::staking::Stage::FeesOnly,
		}),
	);
	assert_eq!(node.rpc("keymarket_stage", json!([])), json!("FeesOnly"));

	let policy_hex = grant["policy"].as_str().unwrap().to_string();
	let policy_id: [u8; 16] = harness::unhex(&policy_hex).try_into().unwrap();
	let ursulas: Vec<AccountId> = serde_json::from_value(grant["ursulas"].clone()).unwrap();
	harness::enrico_encrypts(&url, dir, &policy_hex, "plain.txt", "served.enc");
	// Every Ursula holds its key fragment once it gets as far as reading the capsule: a
	// garbage one, refused and not served, so that Bob's retrievals are all it serves.
	for ursula in &ursulas {
		let i = WORKERS.iter().position(|w| account(w) == *ursula).unwrap();
		wait_for_refusal(
			&net.endpoints[i],
			ursula,
			policy_id,
			&[0xff; 98],
			RequestError::MalformedCapsule(0),
		);
	}
	let from: u32 = serde_json::from_value(node.rpc("keymarket_currentPeriod", json!([]))).unwrap();
	let served = retrieve_counted(&url, dir, ACTIVITY_RETRIEVALS);
	let settled = settled_claims(node, &policy_hex, from, &served);
	let paid_total = paid_at_price(&settled);
	eprintln!("activity: {served:?} requests served, {paid_total} paid from escrow");
	let view = node.rpc("keymarket_policy", json!([policy_hex]));
	let by_activity: u128 = view["paidByActivity"].as_str().unwrap().parse().unwrap();
	assert_eq!(by_activity, paid_total, "the policy records what proven activity paid");
	assert_eq!(paid_total, PRICE * 2 * ACTIVITY_RETRIEVALS as u128);
	// Nothing refuted, nothing reported.
	let events = activity_events_since(node, first_block);
	if let Some(refuted) = events.iter().find(|e| matches!(e, ActivityEvent::ClaimRefuted { .. })) {
		panic!("an honest claim was refuted: {refuted:?}");
	}
}

type ActivityEvent = pallet_keymarket_activity::Event<keymarket_runtime::Runtime>;

/// The activity pallet's events from block `first_block` to the best.
fn activity_events_since(node: &Node, first_block: u32) -> Vec<ActivityEvent> {
	(first_block..=node.best_number())
		.flat_map(|number| node.events(node.block_hash(number).expect("a block")))
		.filter_map(|record| match record.event {
			RuntimeEvent::Activity(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// The policy's price of a request, and one ticket in this many wins.
const PRICE: u128 = 1_000_000;
const ODDS: u64 = 50;
const RETRIEVALS: u32 = 1_500;

/// Bob's client refuses a payer whose deposit cannot pay one ticket. Alice funds tickets for
/// `policy`; a request without one is refused from then on; Bob retrieves [`RETRIEVALS`] times
/// with tickets; once every Ursula has revealed its values, what the winners were paid is within
/// five standard deviations of the requests' worth, came out of Alice's deposit exactly, and no
/// winner was refused on chain.
fn lottery_pays_the_ursulas(
	net: &Network,
	dir: &Path,
	policy_hex: &str,
	ursulas: &[AccountId],
	capsule: &[u8],
) {
	let node = &net.nodes[0];
	let url = node.rpc_url();
	// A payer whose deposit cannot pay one ticket at the policy's price: Bob's client makes no
	// ticket that could not be honoured (the Ursulas go by the owner's funds, not //Charlie's).
	let charlie = account("Charlie").to_string();
	let authorize = ["alice", "tickets", "--suri", "//Charlie", "--policy", policy_hex];
	client(&[&authorize[..], &["--deposit", "1", "--cap", "10", "--rpc", &url]].concat());
	let (keys, secret, out) =
		(path(dir, "bob.json"), path(dir, "secret.enc"), path(dir, "never.out"));
	let (status, _, stderr) = run_binary(
		&[
			"bob", "retrieve", "--keys", &keys, "--suri", "//Bob", "--in", &secret, "--out", &out,
			"--payer", &charlie, "--rpc", &url,
		],
		Duration::from_secs(120),
	);
	assert_eq!(status, Some(1), "{stderr}");
	let says = format!(
		"policy {policy_hex}: tickets paid by {charlie}: the payer's deposit (1) cannot pay one \
		 ticket at its price ({PRICE})"
	);
	assert!(stderr.contains(&says), "expected `{says}` in {stderr}");
	assert!(!Path::new(&out).exists(), "nothing written");

	let first_block = node.best_number();
	let deposit = KEY;
	client(&[
		"alice",
		"tickets",
		"--suri",
		"//Alice",
		"--policy",
		policy_hex,
		"--deposit",
		&deposit.to_string(),
		"--reserve",
		&(KEY / 100).to_string(),
		"--cap",
		&KEY.to_string(),
		"--rpc",
		&url,
	]);
	let policy_id: [u8; 16] = harness::unhex(policy_hex).try_into().unwrap();
	let i = WORKERS.iter().position(|w| account(w) == ursulas[0]).unwrap();
	wait_for_refusal(
		&net.endpoints[i],
		&ursulas[0],
		policy_id,
		capsule,
		RequestError::TicketRequired,
	);

	let started = std::time::Instant::now();
	let odds = ODDS.to_string();
	let output = bob_retrieves(&url, dir, "secret.enc", RETRIEVALS, &["--ticket-odds", &odds]);
	let served = output["tickets"]["served"].as_u64().expect("requests served with tickets");
	let face: u128 = output["tickets"]["faceValue"].as_str().unwrap().parse().unwrap();
	assert_eq!(face, PRICE * ODDS as u128);
	assert!(served >= 2 * RETRIEVALS as u64, "two Ursulas a retrieval: {served}");

	// An Ursula with winners moves to a new value in the next round and then reveals the old
	// one: two rounds on, with nothing left to reveal, every winner is redeemed.
	let round = || -> u32 {
		serde_json::from_value(node.rpc("keymarket_currentRound", json!([]))).unwrap()
	};
	let last = round();
	eprintln!(
		"Bob's {RETRIEVALS} retrievals: {served} requests with tickets in {:?}, by round {last}",
		started.elapsed()
	);
	wait_for("every Ursula to reveal its values", Duration::from_secs(240), || {
		let revealed = ursulas
			.iter()
			.all(|u| node.rpc("keymarket_lotteryCommitment", json!([u]))["previous"].is_null());
		(round() >= last + 2 && revealed).then_some(())
	});
	let paid: u128 = ursulas
		.iter()
		.map(|u| {
			let winnings = node.rpc("keymarket_lotteryWinnings", json!([u]));
			winnings["paid"].as_str().unwrap().parse::<u128>().unwrap()
		})
		.sum();
	assert_eq!(paid % face, 0, "winners pay their face value");
	let won = (paid / face) as f64;
	let p = 1.0 / ODDS as f64;
	let (mean, sd) = (served as f64 * p, (served as f64 * p * (1.0 - p)).sqrt());
	eprintln!("{won} winners of {served} tickets at 1/{ODDS}: expected {mean:.1} ± {sd:.1}");
	// The Ursulas' metrics: the winners they kept, and what the chain paid them.
	let tickets = |name: &str| net.metric(name, &[]);
	wait_for("the metrics to show the winners redeemed", Duration::from_secs(60), || {
		(tickets("keymarket_ursula_tickets_redeemed") == won).then_some(())
	});
	assert!(tickets("keymarket_ursula_tickets_won_total") >= won);
	assert!(
		(won - mean).abs() <= 5.0 * sd,
		"{won} winners of {served} tickets at 1/{ODDS}: expected {mean} ± 5 × {sd}"
	);

	// Out of Alice's deposit exactly; nothing refused on chain.
	let funds = node.rpc("keymarket_lotteryFunds", json!([account("Alice"), policy_hex]));
	let left: u128 = funds["deposit"].as_str().unwrap().parse().unwrap();
	assert_eq!(deposit - left, paid);
	// The policy's one record of service pay shows what its tickets paid.
	let view = node.rpc("keymarket_policy", json!([policy_hex]));
	let by_tickets: u128 = view["paidByTickets"].as_str().unwrap().parse().unwrap();
	assert_eq!(by_tickets, paid, "the policy records what its tickets paid");
	let (mut redeemed, mut refused) = (0u32, 0u32);
	for number in first_block..=node.best_number() {
		let hash = node.block_hash(number).expect("a block");
		for record in node.events(hash) {
			match record.event {
				RuntimeEvent::Lottery(pallet_keymarket_lottery::Event::Redeemed {
					paid,
					refused: r,
					..
				}) => {
					redeemed += paid;
					refused += r;
				},
				RuntimeEvent::Lottery(pallet_keymarket_lottery::Event::TicketRefused {
					error,
					..
				}) => {
					panic!("a winner was refused on chain: {error:?}")
				},
				_ => {},
			}
		}
	}
	assert_eq!((redeemed as u128, refused), (paid / face, 0));
}

fn now_micros() -> u64 {
	harness::now_micros()
}
