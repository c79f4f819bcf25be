//! Confirming availability end to end, on five nodes of the `local` chain each hosting an Ursula
//! (its four validators and a full node). Governance sets five gateways a round and three
//! signatures a proof. Then, on the real network:
//!
//! - an Ursula that answers is never accused, however many complaints Bob makes;
//! - each kind of bad complaint is refused by the gateway with its error;
//! - an Ursula whose endpoint is cut (its node up and committing, its endpoint behind a proxy the
//!   test closes, and it does not answer cases on chain) is proven unavailable by the round's
//!   gateways and punished exactly once for the round;
//! - the same Ursula, a gateway of every round, stays silent when Bob complains to it: Bob
//!   complains about it to a gateway of the round before, whose gateways prove it silent, and
//!   it is punished for that round too (once);
//! - an Ursula accused by colluding gateways (the test signs for three of them) answers on
//!   chain with its fragments, is not punished, and the gateways are reported;
//! - a forged proof is refused on chain with its error;
//! - the clients name each input the chain refuses or does not hold, and change nothing.

mod harness;

use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc,
	},
	time::Duration,
};

use codec::{Decode, Encode};
use harness::{free_port, wait_for, Node, NodeConfig};
use keymarket_primitives::{
	gateway::{
		claim_signing_payload, work_hash, work_is_enough, ClaimKind, Complaint, ComplaintBody,
		ComplaintError, ComplaintOutcome, SignerSet, UnavailabilityClaim,
	},
	AccountId,
};
use keymarket_runtime::{dynamic_params::gateway, RuntimeCall, RuntimeParameters};
use serde_json::{json, Value};
use sp_core::{crypto::Pair as _, sr25519};

const STAKERS: [&str; 5] = ["Alice", "Bob", "Charlie", "Alice//stash", "Bob//stash"];
const WORKERS: [&str; 5] = ["Dave", "Eve", "Ferdie", "Charlie//stash", "Dave//stash"];
const NODES: [&str; 5] = ["alice", "bob", "charlie", "dave", "eve"];
/// The Ursula whose endpoint the test cuts.
const VICTIM: usize = 4;
/// An Ursula that always answers (and is accused by colluding gateways).
const HONEST: usize = 0;
/// The complaint difficulty governance sets for the test: quick for Bob.
const DIFFICULTY: u8 = 8;
/// An Ursula whose staker offers one place: Alice's policy takes it.
const FULL: usize = 3;
/// The least fee rate per period `dev` and `local` allow (governance's `MinFeeRate`).
const LOWEST_RATE: u128 = 1_000_000_000;

fn pair(name: &str) -> sr25519::Pair {
	harness::dev_pair(name)
}

fn account(name: &str) -> AccountId {
	pair(name).public().into()
}

/// A TCP proxy to `target` that the test can cut: after [`Proxy::cut`] every connection is
/// closed unanswered.
struct Proxy {
	port: u16,
	cut: Arc<AtomicBool>,
}

impl Proxy {
	fn start(target: u16) -> Self {
		let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
		let port = listener.local_addr().unwrap().port();
		let cut = Arc::new(AtomicBool::new(false));
		let is_cut = cut.clone();
		std::thread::spawn(move || {
			for client in listener.incoming().flatten() {
				if is_cut.load(Ordering::SeqCst) {
					drop(client);
					continue;
				}
				let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else { continue };
				let pipe = |mut from: TcpStream, mut to: TcpStream| {
					std::thread::spawn(move || {
						let mut buffer = [0u8; 16 * 1024];
						while let Ok(n) = from.read(&mut buffer) {
							if n == 0 || to.write_all(&buffer[..n]).is_err() {
								break;
							}
						}
						let _ = to.shutdown(std::net::Shutdown::Both);
					});
				};
				pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
				pipe(server, client);
			}
		});
		Self { port, cut }
	}

	fn cut(&self) {
		self.cut.store(true, Ordering::SeqCst);
	}
}

/// Sudo sets a gateway parameter.
fn set_parameter(node: &Node, parameter: gateway::Parameters) {
	let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo {
		call: Box::new(RuntimeCall::Parameters(pallet_parameters::Call::set_parameter {
			key_value: RuntimeParameters::Gateway(parameter),
		})),
	});
	node.chain().submit(&pair("Alice"), call).expect("sudo sets a parameter");
}

/// The current round's gateways (workers, in order) and its threshold.
fn gateways(node: &Node) -> (u32, Vec<AccountId>, u32) {
	gateways_of(node, json!([]))
}

/// The gateways of the round `params` names (none: the current one).
fn gateways_of(node: &Node, params: Value) -> (u32, Vec<AccountId>, u32) {
	let view = node.rpc("keymarket_gateways", params);
	let workers = view["gateways"]
		.as_array()
		.map(|list| {
			list.iter().map(|g| serde_json::from_value(g["worker"].clone()).unwrap()).collect()
		})
		.unwrap_or_default();
	(
		view["round"].as_u64().unwrap_or(0) as u32,
		workers,
		view["threshold"].as_u64().unwrap_or(0) as u32,
	)
}

/// Bob's signed request to `ursula` for `capsule` under `policy` (a fresh sequence number).
fn request(policy: [u8; 16], ursula: &AccountId, capsule: &[u8]) -> Vec<u8> {
	harness::bobs_request(policy, ursula, capsule)
}

/// A complaint body about `request` to `gateway` in `round`, its work done.
fn complaint_body(round: u32, gateway: &AccountId, request: &[u8]) -> ComplaintBody<AccountId> {
	worked_body(round, gateway, ClaimKind::Serve, request)
}

/// A complaint body of `kind` about `message` to `gateway` of `round`, its work done.
fn worked_body(
	round: u32,
	gateway: &AccountId,
	kind: ClaimKind,
	message: &[u8],
) -> ComplaintBody<AccountId> {
	let mut nonce = [0u8; 16];
	nonce[..8].copy_from_slice(&now_micros().to_le_bytes());
	ComplaintBody::worked(round, gateway.clone(), kind, message.to_vec(), nonce, DIFFICULTY)
}

/// Signs `body` as `signer` and posts it to the gateway at `endpoint`.
fn post_complaint(
	endpoint: &str,
	body: &ComplaintBody<AccountId>,
	signer: &str,
) -> Result<ComplaintOutcome, ComplaintError> {
	let signature = pair(signer).sign(&body.signing_payload()).0;
	post_raw(endpoint, &Complaint { body: body.clone(), signature }.encode())
}

fn post_raw(endpoint: &str, bytes: &[u8]) -> Result<ComplaintOutcome, ComplaintError> {
	let address = harness::rpc::address_of(endpoint).unwrap();
	let (status, answer) =
		harness::rpc::post(&address, "/v1/complain", bytes).expect("the gateway answers");
	if status == 200 {
		Ok(ComplaintOutcome::decode(&mut &answer[..]).expect("an outcome"))
	} else {
		Err(<(u8, ComplaintError)>::decode(&mut &answer[..]).expect("a complaint error").1)
	}
}

/// Each client, run against the chain, fails naming what the chain refuses or does not hold
/// (status 1), and nothing is created, revoked or funded: Alice's grants on impossible terms or
/// to an Ursula with no free place, a policy id in use, a cost Alice declines at her terminal;
/// a revocation by another than the owner; tickets for an unknown policy; Enrico for an unknown
/// policy or to a path he cannot write; Bob's file whose capsule is not one, and a payer whose
/// tickets could never win.
fn the_clients_name_what_the_chain_refuses(
	url: &str,
	dir: &std::path::Path,
	bob_key: &str,
	policy_hex: &str,
	ursulas: &[String],
) {
	let keys = harness::path_in(dir, "alice.json");
	let bob = harness::dev_account("Bob").to_string();
	let grant = |extra: &[&str]| -> Vec<String> {
		let mut args = vec!["alice", "grant", "--keys", &keys, "--suri", "//Alice"];
		args.extend(["--label", "refused", "--bob", &bob, "--bob-key", bob_key, "--rpc", url]);
		args.extend(["--periods", "10"]);
		args.extend_from_slice(extra);
		args.into_iter().map(String::from).collect()
	};
	let fails = |args: Vec<String>, says: &str| {
		let args: Vec<&str> = args.iter().map(String::as_str).collect();
		let (status, _, stderr) = harness::run_binary(&args, Duration::from_secs(120));
		assert_eq!(status, Some(1), "{args:?}: {stderr}");
		assert!(stderr.contains(says), "{args:?}: expected `{says}` in {stderr}");
		assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
	};
	let owned = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
	let alice = harness::dev_account("Alice").to_string();
	// Alice's policies, each its id and status.
	let policies = || -> Vec<(Value, Value)> {
		let listed = harness::client(&["alice", "list", "--owner", &alice, "--rpc", url]);
		let listed = listed.as_array().expect("a list").iter();
		listed.map(|p| (p["id"].clone(), p["status"].clone())).collect()
	};
	let policies_before = policies();
	assert_eq!(policies_before.len(), 1, "{policies_before:?}");
	// The Ursulas with a free place: all but the one whose single place Alice's policy holds.
	let free = ursulas.iter().enumerate().filter(|(i, _)| *i != FULL);
	let all: Vec<&str> = free.flat_map(|(_, u)| ["--ursula", u.as_str()]).collect();
	let terms = |extra: &[&str]| -> Vec<String> {
		let rate = ["--rate", "1000000000"];
		[&all[..], &rate[..], extra].concat().into_iter().map(String::from).collect()
	};
	let four = "--threshold must be 1 to 4 (the Ursulas)";
	let granted = |extra: &[&str]| {
		let terms = terms(extra);
		grant(&terms.iter().map(String::as_str).collect::<Vec<_>>())
	};
	fails(granted(&["--threshold", "5"]), four);
	fails(granted(&["--threshold", "0"]), four);
	let drawn = ["--rate", "1000000000", "--threshold", "2", "--shares", "6"];
	fails(grant(&drawn), "no 6 Ursulas take 1000000000 per period for a policy ending in period");
	let stranger = harness::dev_account("Mallory").to_string();
	let one =
		|ursula: &str, rate: &str| grant(&["--ursula", ursula, "--rate", rate, "--threshold", "1"]);
	fails(one(&stranger, "1000000000"), &format!("Ursula {stranger} is not bonded"));
	fails(
		one(&ursulas[0], "1"),
		&format!(
			"Ursula {} asks at least 1000000000 per period; the rate 1 is below it",
			ursulas[0]
		),
	);
	// The Ursula whose one place Alice's policy holds.
	let full = &ursulas[FULL];
	fails(
		one(full, &LOWEST_RATE.to_string()),
		&format!("Ursula {full} has no free place (it serves 1 policies, offers 1)"),
	);
	// Signed and submitted, refused by the chain by its error's name.
	let in_use = granted(&["--threshold", "2", "--policy-id", policy_hex]);
	fails(in_use, &format!("policy {policy_hex}: not created: policies.PolicyIdInUse"));
	// At a terminal Alice is asked before anything is signed: no answer is a no.
	let asked = granted(&["--threshold", "2"]);
	let asked: Vec<&str> = asked.iter().map(String::as_str).collect();
	let (status, shown) = harness::run_on_terminal(&asked, Duration::from_secs(120));
	assert_eq!(status, Some(1), "{shown}");
	assert!(shown.contains("sign and submit? [y/N]"), "{shown}");
	assert!(shown.contains("not signed: Alice declined the cost"), "{shown}");

	let unknown = format!("0x{}", "ab".repeat(16));
	fails(
		owned(&["alice", "revoke", "--suri", "//Bob", "--policy", policy_hex, "--rpc", url]),
		&format!("policy {policy_hex}: not revoked: policies.NotOwner"),
	);
	fails(
		owned(&[
			"alice",
			"tickets",
			"--suri",
			"//Alice",
			"--policy",
			&unknown,
			"--deposit",
			"1000",
			"--cap",
			"10",
			"--rpc",
			url,
		]),
		&format!("policy {unknown}: tickets not set: lottery.UnknownPolicy"),
	);
	// More than Alice holds (10^30: far beyond the whole issuance).
	fails(
		owned(&[
			"alice",
			"tickets",
			"--suri",
			"//Alice",
			"--policy",
			policy_hex,
			"--deposit",
			"1000000000000000000000000000000",
			"--cap",
			"10",
			"--rpc",
			url,
		]),
		&format!("policy {policy_hex}: tickets not set: lottery.InsufficientBalance"),
	);
	let plain = harness::path_in(dir, "plain.txt");
	let encrypt = |policy: &str, input: &str, out: &str| {
		owned(&["enrico", "encrypt", "--policy", policy, "--in", input, "--out", out, "--rpc", url])
	};
	let out = harness::path_in(dir, "never.enc");
	fails(encrypt(&unknown, &plain, &out), &format!("policy {unknown}: no such policy"));
	let missing = harness::path_in(dir, "missing.txt");
	fails(encrypt(policy_hex, &missing, &out), &format!("cannot read {missing}"));
	let a_directory = dir.display().to_string();
	fails(encrypt(policy_hex, &plain, &a_directory), &format!("cannot write {a_directory}"));
	// Bob's file names the policy but its capsule is not one.
	let id: [u8; 16] = harness::unhex(policy_hex).try_into().unwrap();
	let forged = harness::path_in(dir, "forged.enc");
	std::fs::write(&forged, (1u8, id, vec![0u8; 10], vec![1u8; 4]).encode()).unwrap();
	let bob_keys = harness::path_in(dir, "bob.json");
	let out = harness::path_in(dir, "never.out");
	fails(
		owned(&[
			"bob", "retrieve", "--keys", &bob_keys, "--suri", "//Bob", "--in", &forged, "--out",
			&out, "--rpc", url,
		]),
		&format!("{forged}: bad capsule"),
	);
	assert!(!std::path::Path::new(&out).exists(), "nothing written");
	// A payer that authorized Bob for a policy priced at zero: its tickets could never win, so
	// Bob's client will not make them (the Ursulas go by the owner's funds, not //Charlie's).
	let secret = harness::path_in(dir, "secret.enc");
	let charlie = harness::dev_account("Charlie").to_string();
	let authorize =
		["alice", "tickets", "--suri", "//Charlie", "--policy", policy_hex, "--cap", "10"];
	harness::client(&[&authorize[..], &["--rpc", url]].concat());
	fails(
		owned(&[
			"bob", "retrieve", "--keys", &bob_keys, "--suri", "//Bob", "--in", &secret, "--out",
			&out, "--payer", &charlie, "--rpc", url,
		]),
		&format!(
			"policy {policy_hex}: tickets paid by {charlie}: the payer's price is zero: its \
			 tickets would never win"
		),
	);
	assert!(!std::path::Path::new(&out).exists(), "nothing written");

	// Nothing was created or revoked.
	assert_eq!(policies(), policies_before);
}

fn now_micros() -> u64 {
	std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as u64
}

#[test]
fn gateways_prove_the_silent_and_never_the_answering() {
	// Five nodes; the victim's endpoint is registered behind a proxy.
	let mut nodes: Vec<Node> = Vec::new();
	let mut endpoints = Vec::new();
	let mut proxy = None;
	let mut metrics_ports = Vec::new();
	for (i, (name, worker)) in NODES.iter().zip(WORKERS).enumerate() {
		let port = free_port();
		let metrics_port = free_port();
		metrics_ports.push(metrics_port);
		let mut config = NodeConfig::local_validator(name);
		config.extra_args = vec![
			"--ursula-listen".into(),
			format!("127.0.0.1:{port}"),
			"--prometheus-port".into(),
			metrics_port.to_string(),
		];
		if i == VICTIM {
			// Its node commits; its endpoint will go silent; it does not answer on chain.
			config.extra_args.extend(["--ursula-answer-cases".into(), "false".into()]);
			let p = Proxy::start(port);
			endpoints.push(format!("http://127.0.0.1:{}", p.port));
			proxy = Some(p);
		} else {
			endpoints.push(format!("http://127.0.0.1:{port}"));
		}
		config.keys = harness::ursula_keys(worker);
		if let Some(first) = nodes.first() {
			config.bootnodes = vec![first.multiaddr()];
		}
		nodes.push(Node::start(name, config));
	}
	let proxy = proxy.expect("the victim's proxy");
	let url = nodes[0].rpc_url();
	wait_for("the nodes to peer", Duration::from_secs(60), || {
		nodes.iter().all(|node| node.peers() >= 4).then_some(())
	});

	for ((staker, worker), endpoint) in STAKERS.iter().zip(WORKERS).zip(&endpoints) {
		harness::stake_for_ursula(&nodes[0], staker, worker, endpoint);
	}
	// One staker offers a single place from the next period on, as its Ursula becomes active.
	let one_place =
		pallet_keymarket_staking::Call::set_terms { min_fee_rate: LOWEST_RATE, capacity: 1 };
	nodes[0]
		.chain()
		.submit(&pair(STAKERS[FULL]), RuntimeCall::Staking(one_place))
		.expect("one place offered");
	set_parameter(&nodes[0], gateway::Parameters::GatewayCount(gateway::GatewayCount, Some(5)));
	set_parameter(
		&nodes[0],
		gateway::Parameters::GatewayThreshold(gateway::GatewayThreshold, Some(3)),
	);
	set_parameter(
		&nodes[0],
		gateway::Parameters::ComplaintDifficulty(gateway::ComplaintDifficulty, Some(DIFFICULTY)),
	);
	wait_for("five active Ursulas", Duration::from_secs(240), || {
		let active = nodes[0].rpc("keymarket_activeUrsulas", json!([]));
		(active.as_array().map(Vec::len) == Some(5)).then_some(())
	});
	wait_for("a round of five gateways", Duration::from_secs(120), || {
		let (_, workers, threshold) = gateways(&nodes[0]);
		(workers.len() == 5 && threshold == 3).then_some(())
	});

	// Alice grants Bob 2-of-5 on all five; Enrico encrypts; Bob decrypts.
	let dir = tempfile::tempdir().expect("a temp dir");
	let bob_key = harness::keygens(dir.path());
	let ursulas: Vec<String> = WORKERS.iter().map(|w| account(w).to_string()).collect();
	let mut terms = vec!["--threshold", "2", "--periods", "60"];
	for ursula in &ursulas {
		terms.extend(["--ursula", ursula]);
	}
	let policy = harness::alice_grants(&url, dir.path(), "files", &bob_key, &terms);
	let policy_id: [u8; 16] =
		harness::unhex(policy["policy"].as_str().unwrap()).try_into().unwrap();
	std::fs::write(dir.path().join("plain.txt"), b"for Bob").unwrap();
	let policy_hex = policy["policy"].as_str().unwrap();
	let capsule = harness::enrico_encrypts(&url, dir.path(), policy_hex, "plain.txt", "secret.enc");
	// The Ursulas pick their key fragments up with the next blocks.
	let honest = account(WORKERS[HONEST]);
	wait_for("the honest Ursula to serve", Duration::from_secs(60), || {
		harness::ursula_api::send(
			&endpoints[HONEST],
			&honest,
			&request(policy_id, &honest, &capsule),
		)
		.ok()
		.and_then(Result::ok)
	});

	// The Ursula that offers one place, once its terms are in force: Alice's policy holds it.
	wait_for("the one place to be in force and taken", Duration::from_secs(180), || {
		let terms = nodes[0].rpc("keymarket_terms", json!([ursulas[FULL]]));
		(terms["freePlaces"] == 0 && terms["inForce"]["capacity"] == 1).then_some(())
	});
	the_clients_name_what_the_chain_refuses(&url, dir.path(), &bob_key, policy_hex, &ursulas);
	// A complaint over 16 KiB is refused unread.
	assert_eq!(post_raw(&endpoints[HONEST], &[0; 16 * 1024 + 1]), Err(ComplaintError::Malformed));

	// An Ursula that answers is never accused, however many complaints Bob makes.
	let gateway_of = |accused: &AccountId| -> (u32, AccountId, String) {
		let (round, workers, _) = gateways(&nodes[0]);
		let gateway = workers
			.into_iter()
			.find(|w| w != accused && *w != account(WORKERS[VICTIM]))
			.expect("a gateway other than the accused");
		let index = WORKERS.iter().position(|w| account(w) == gateway).unwrap();
		(round, gateway, endpoints[index].clone())
	};
	for _ in 0..3 {
		let (round, gateway, endpoint) = gateway_of(&honest);
		let body = complaint_body(round, &gateway, &request(policy_id, &honest, &capsule));
		match post_complaint(&endpoint, &body, "Bob") {
			Ok(ComplaintOutcome::Answered(_)) | Err(ComplaintError::WrongRound) => {},
			other => panic!("an answering Ursula's complaint came back {other:?}"),
		}
	}

	// Each kind of bad complaint is refused with its error.
	let (round, gateway, endpoint) = gateway_of(&honest);
	let good = complaint_body(round, &gateway, &request(policy_id, &honest, &capsule));
	assert_eq!(post_raw(&endpoint, b"not a complaint"), Err(ComplaintError::Malformed));
	let wrong_round = complaint_body(round + 7, &gateway, &good.request);
	assert_eq!(post_complaint(&endpoint, &wrong_round, "Bob"), Err(ComplaintError::WrongRound));
	let elsewhere = complaint_body(round, &account("Mallory"), &good.request);
	let refused = post_complaint(&endpoint, &elsewhere, "Bob");
	assert!(
		matches!(refused, Err(ComplaintError::WrongGateway | ComplaintError::WrongRound)),
		"{refused:?}"
	);
	let mut lazy = good.clone();
	lazy.work =
		(0..).find(|w| !work_is_enough(&work_hash(&good.unworked_hash(), *w), DIFFICULTY)).unwrap();
	let refused = post_complaint(&endpoint, &lazy, "Bob");
	assert!(matches!(refused, Err(ComplaintError::NotEnoughWork | ComplaintError::WrongRound)));
	let refused = post_complaint(&endpoint, &good, "Charlie");
	assert!(matches!(refused, Err(ComplaintError::BadSignature | ComplaintError::WrongRound)));
	let first = post_complaint(&endpoint, &good, "Bob");
	if matches!(first, Ok(ComplaintOutcome::Answered(_))) {
		assert_eq!(post_complaint(&endpoint, &good, "Bob"), Err(ComplaintError::Replayed));
	}
	let record = nodes[0].rpc("keymarket_accused", json!([honest]));
	assert_eq!(record["accused"], 0, "an answering Ursula is never accused: {record}");

	// The victim's endpoint goes silent; its node keeps committing. Bob complains until the
	// round's gateways prove it (a round may turn while they confirm).
	proxy.cut();
	let victim = account(WORKERS[VICTIM]);
	let proven_round =
		wait_for("the gateways to prove the victim silent", Duration::from_secs(120), || {
			let (round, gateway, endpoint) = gateway_of(&victim);
			let body = complaint_body(round, &gateway, &request(policy_id, &victim, &capsule));
			match post_complaint(&endpoint, &body, "Bob") {
				Ok(ComplaintOutcome::Proven { round, signers }) => {
					assert!(signers >= 3, "{signers} signers");
					Some(round)
				},
				_ => None,
			}
		});
	wait_for("the case on chain", Duration::from_secs(60), || {
		let case = nodes[0].rpc("keymarket_case", json!([proven_round, victim]));
		(case["status"] == "open").then_some(())
	});

	// In a later round, Bob complains to the victim as a gateway (five gateways of five
	// Ursulas: it is one of every round) about the honest Ursula. It is silent; he complains
	// about it to a gateway of the round before, whose gateways prove it silent.
	let mediated_round =
		wait_for("the round before to prove the silent gateway", Duration::from_secs(180), || {
			let (round, workers, _) = gateways(&nodes[0]);
			if round <= proven_round || !workers.contains(&victim) {
				return None;
			}
			let to_victim = complaint_body(round, &victim, &request(policy_id, &honest, &capsule));
			let signature = pair("Bob").sign(&to_victim.signing_payload()).0;
			let to_victim = Complaint { body: to_victim, signature }.encode();
			let address = harness::rpc::address_of(&endpoints[VICTIM]).unwrap();
			assert!(
				harness::rpc::post(&address, "/v1/complain", &to_victim).is_err(),
				"the victim's endpoint is cut"
			);
			let (before, previous, _) = gateways_of(&nodes[0], json!([round - 1]));
			let mediator = previous.into_iter().find(|w| *w != victim)?;
			let index = WORKERS.iter().position(|w| account(w) == mediator).unwrap();
			let about = worked_body(before, &mediator, ClaimKind::Mediate, &to_victim);
			match post_complaint(&endpoints[index], &about, "Bob") {
				Ok(ComplaintOutcome::Proven { round: silent, signers }) => {
					assert_eq!(silent, round, "the silent gateway's own round");
					assert!(signers >= 3, "{signers} signers");
					Some(round)
				},
				_ => None,
			}
		});
	wait_for("the silent gateway's case on chain", Duration::from_secs(60), || {
		let case = nodes[0].rpc("keymarket_case", json!([mediated_round, victim]));
		(case["status"] == "open" && case["kind"] == "mediate").then_some(())
	});

	// Meanwhile colluding gateways accuse the honest Ursula: the test signs for three of them.
	let (round, workers, _) = gateways(&nodes[0]);
	let colluders: Vec<(u32, &str)> = workers
		.iter()
		.enumerate()
		.filter(|(_, w)| **w != honest)
		.take(3)
		.map(|(i, w)| (i as u32, WORKERS[WORKERS.iter().position(|n| account(n) == *w).unwrap()]))
		.collect();
	let framed = request(policy_id, &honest, &capsule);
	let claim = UnavailabilityClaim {
		ursula: honest.clone(),
		policy: policy_id,
		request_hash: sp_crypto_hashing::blake2_256(&framed),
		round,
		deadline: round * 5,
		kind: ClaimKind::Serve,
	};
	let payload = claim_signing_payload(&claim);
	let signers = SignerSet::of(&colluders.iter().map(|(i, _)| *i).collect::<Vec<_>>());
	let signatures: Vec<[u8; 64]> =
		colluders.iter().map(|(_, w)| pair(w).sign(&payload).0).collect();
	let prove = |signatures: Vec<[u8; 64]>| {
		RuntimeCall::Gateway(pallet_keymarket_gateway::Call::prove_unavailable {
			claim: claim.clone(),
			request: framed.clone().try_into().unwrap(),
			signers,
			signatures: signatures.try_into().unwrap(),
		})
	};
	// A forged proof first: refused with its error, changing nothing.
	let mut forged = signatures.clone();
	forged[0] = pair("Mallory").sign(&payload).0;
	let refusal = nodes[0].chain().submit(&pair("Charlie"), prove(forged)).unwrap_err();
	assert!(refusal.contains("gateway.BadGatewaySignature"), "{refusal}");
	nodes[0].chain().submit(&pair("Charlie"), prove(signatures)).expect("the colluders' proof");

	// The honest Ursula answers on chain; the victim stays silent and is punished once.
	wait_for("the honest Ursula's answer", Duration::from_secs(120), || {
		let case = nodes[0].rpc("keymarket_case", json!([round, honest]));
		(case["status"] == "answered").then_some(case)
	});
	let case = nodes[0].rpc("keymarket_case", json!([round, honest]));
	assert_eq!(case["answer"].as_array().map(Vec::len), Some(1), "Bob's fragment on chain");
	let punished: Value = wait_for("the victim's punishment", Duration::from_secs(180), || {
		let case = nodes[0].rpc("keymarket_case", json!([proven_round, victim]));
		case["status"].get("punished").cloned()
	});
	assert!(punished["penalty"].as_str().is_some(), "{punished}");
	wait_for("the silent gateway's punishment", Duration::from_secs(180), || {
		let case = nodes[0].rpc("keymarket_case", json!([mediated_round, victim]));
		case["status"].get("punished").cloned()
	});
	let staker = account(STAKERS[VICTIM]);
	let slashes = nodes[0].rpc("keymarket_pendingSlashes", json!([staker]));
	let unavailability: Vec<&Value> = slashes
		.as_array()
		.unwrap()
		.iter()
		.filter(|s| s["kind"].get("unavailability").is_some())
		.collect();
	let mut rounds: Vec<u64> = unavailability
		.iter()
		.map(|s| s["kind"]["unavailability"]["round"].as_u64().unwrap())
		.collect();
	rounds.sort();
	// Punished once for each round it was silent in: two offences reported (the staker's
	// history counts them when judged), and a slash still pending is one of those rounds'
	// (on a slow machine the first may already have been applied, leaving the pending list).
	let history = nodes[0].rpc("keymarket_slashingHistory", json!([staker]));
	let reported = history
		.as_array()
		.unwrap()
		.iter()
		.find(|h| h["kind"] == "Unavailability")
		.map(|h| h["count"].as_u64().unwrap());
	assert_eq!(reported, Some(2), "two unavailability offences: {history}");
	let silent_in = [proven_round as u64, mediated_round as u64];
	assert!(
		rounds.iter().all(|r| silent_in.contains(r)),
		"pending slashes of the rounds it was silent in: {slashes}"
	);
	rounds.dedup();
	assert_eq!(rounds.len(), unavailability.len(), "never twice for a round: {slashes}");
	// The colluders are reported for their false accusation; the honest Ursula never punished.
	for (_, worker) in &colluders {
		let staker = STAKERS[WORKERS.iter().position(|w| w == worker).unwrap()];
		let slashes = nodes[0].rpc("keymarket_pendingSlashes", json!([account(staker)]));
		assert!(
			slashes.as_array().unwrap().iter().any(|s| s["kind"].get("falseAccusation").is_some()),
			"{worker}: {slashes}"
		);
	}
	let record = nodes[0].rpc("keymarket_accused", json!([honest]));
	assert_eq!((record["answered"].clone(), record["punished"].clone()), (json!(1), json!(0)));
	let record = nodes[0].rpc("keymarket_accused", json!([victim]));
	assert_eq!(record["punished"], 2, "{record}");
	for node in &mut nodes {
		node.assert_running();
	}

	// The gateways' metrics show what they mediated, under each outcome and error.
	let expositions: Vec<String> =
		metrics_ports.iter().map(|p| harness::scrape_metrics(*p)).collect();
	let metric = |name: &str, label: (&str, &str)| -> f64 {
		expositions.iter().map(|text| harness::metric(text, name, &[label])).sum()
	};
	let complaints = |outcome| metric("keymarket_ursula_complaints_total", ("outcome", outcome));
	for outcome in ["proven", "Malformed", "WrongRound"] {
		assert!(complaints(outcome) >= 1.0, "no complaint counted as {outcome}");
	}
	// The answering Ursula's three complaints came back answered, or (at a round's turn)
	// refused as of the wrong round, beside the wrong round the test sent on purpose.
	let answered = complaints("answered") + complaints("WrongRound");
	assert!(answered >= 4.0, "{answered} complaints answered or of the wrong round");
	let signed = metric("keymarket_ursula_confirmations_total", ("outcome", "signed"));
	assert!(signed >= 2.0, "the other gateways confirmed the silence: {signed}");
	let duties = |kind| metric("keymarket_ursula_proofs_submitted_total", ("kind", kind));
	assert!(duties("prove_unavailable") >= 1.0, "a gateway handed its proof over");
	assert!(duties("answer_case") >= 1.0, "the accused honest Ursula answered on chain");
}
