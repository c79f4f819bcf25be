//! `keymarket-node bench-ursula`: how fast an Ursula endpoint serves, next to how fast umbral-pre
//! re-encrypts on the same machine. A benchmark that prints figures, not a test.
//!
//! - each step of a request on one thread (where the time goes);
//! - raw: `umbral_pre::reencrypt` in a loop on 1 thread (and on each core this process may use);
//! - closed loop: `c` clients, each with a keep-alive connection, send the next request when
//!   the last is answered: requests and capsules per second, capsules against raw
//!   re-encryption, latency percentiles; with 1 and 32 capsules per request, one capsule asked
//!   again and again (the Ursula remembers it checked) and fresh capsules (it never does);
//! - open loop: requests at a fixed rate, latency measured from when each was due (so a slow
//!   answer delays nothing and is counted in full).
//!
//! - Bob beside a flood (`--part flood`): his open loop alone, then beside forged requests (and
//!   replayed worked complaints, with `--rpc`) from many loopback addresses.
//!
//! Every request is a real one: Bob's signature, a fresh sequence number, real capsules.
//! `./scripts/bench --ursula` pins the node to one core and this process to the other.

use std::{
	io::{BufReader, Write},
	net::TcpStream,
	path::PathBuf,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use codec::DecodeAll;
use keymarket_primitives::AccountId;
use sp_core::crypto::Pair as _;

use super::{rpc, ursula_api::signed_request, EncryptedFile};

/// The benchmark's flags.
#[derive(Debug, clap::Args)]
pub struct BenchUrsulaCmd {
	/// The Ursula's endpoint (`http://host:port`).
	#[arg(long)]
	endpoint: String,
	/// The Ursula's worker account (SS58).
	#[arg(long)]
	ursula: AccountId,
	/// Bob's account (secret URI): signs the requests.
	#[arg(long, default_value = "//Bob")]
	bob_suri: String,
	/// An encrypted file of the policy (from `enrico encrypt`): its capsule is re-encrypted.
	#[arg(long = "in")]
	input: PathBuf,
	/// Concurrency levels of the closed-loop runs.
	#[arg(long, value_delimiter = ',', default_values_t = vec![1, 2, 4, 8, 16, 32])]
	levels: Vec<usize>,
	/// Fixed rates (requests per second) of the open-loop runs.
	#[arg(long, value_delimiter = ',', default_values_t = vec![500, 1_000, 2_000])]
	rates: Vec<u32>,
	/// Capsules per request of the runs compared with raw re-encryption.
	#[arg(long, value_delimiter = ',', default_values_t = vec![1, 32])]
	batches: Vec<usize>,
	/// Clients of the runs compared with raw re-encryption (enough to keep the endpoint busy).
	#[arg(long, default_value_t = 4)]
	clients: usize,
	/// Seconds per run.
	#[arg(long, default_value_t = 10)]
	seconds: u64,
	/// Only the steps and the runs compared with raw re-encryption (`single-core`), only the
	/// closed- and open-loop runs (`latency`), or only Bob beside a flood of forged requests
	/// from many addresses (`flood`); the first two by default.
	#[arg(long, value_enum)]
	part: Option<Part>,
	/// The flood's client addresses (`--part flood`): loopback addresses 127.1.x.y, one
	/// keep-alive connection each.
	#[arg(long, default_value_t = 256)]
	flood_addresses: usize,
	/// Bob's requests per second, open loop, alone and beside the flood (`--part flood`).
	#[arg(long, default_value_t = 100)]
	honest_rate: u32,
	/// The chain's RPC (`--part flood`): with it, half the flood is worked complaints to the
	/// round's gateway, signed by the wrong key and sent again and again.
	#[arg(long)]
	rpc: Option<String>,
}

/// A part of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
	SingleCore,
	Latency,
	Flood,
}

/// Threads of the flood, each cycling through its share of the addresses.
const FLOOD_THREADS: usize = 16;

/// Distinct capsules of the runs with a fresh capsule in every place: twice what an Ursula
/// remembers as checked, so that cycling through them never finds one remembered.
const FRESH_CAPSULES: usize = 2 * crate::ursula::checked_capsules::DEFAULT_CAPACITY;

struct Load {
	address: String,
	request: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>,
	sequence: Arc<AtomicU64>,
}

/// Bob's requests of `per_request` capsules each, cycling through `pool`.
fn requests(
	bob: &sp_core::sr25519::Pair,
	policy: keymarket_primitives::policies::PolicyId,
	ursula: &AccountId,
	pool: Arc<Vec<Vec<u8>>>,
	per_request: usize,
) -> Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync> {
	let (bob, ursula) = (bob.clone(), ursula.clone());
	let bob_account: AccountId = bob.public().into();
	Arc::new(move |sequence: u64| {
		let first = (sequence as usize).wrapping_mul(per_request);
		let capsules =
			(0..per_request).map(|k| pool[first.wrapping_add(k) % pool.len()].clone()).collect();
		signed_request(&bob, &bob_account, policy, &ursula, sequence, capsules)
	})
}

impl BenchUrsulaCmd {
	/// Runs every measurement and prints a Markdown table.
	pub fn run(&self) -> Result<(), String> {
		let file = EncryptedFile::decode_all(&mut &super::read(&self.input)?[..])
			.map_err(|e| format!("{} is not an encrypted file: {e}", self.input.display()))?;
		let bob = super::signer(&self.bob_suri)?;
		let one = Arc::new(vec![file.capsule.clone()]);
		let start = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map_err(|e| e.to_string())?
			.as_micros() as u64;
		// One sequence for every run: each request has a number Bob never used.
		let sequence = Arc::new(AtomicU64::new(start));
		let address = rpc::address_of(&self.endpoint)?;
		let load_of = |pool: &Arc<Vec<Vec<u8>>>, per_request: usize| Load {
			address: address.clone(),
			request: requests(&bob, file.policy, &self.ursula, pool.clone(), per_request),
			sequence: sequence.clone(),
		};
		let load = load_of(&one, 1);
		let run = Duration::from_secs(self.seconds);
		let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);

		let header =
			|| {
				println!("| run | requests/s | capsules/s | of raw | p50 ms | p99 ms | max ms | refused |");
				println!("|---|---|---|---|---|---|---|---|");
			};
		if self.part == Some(Part::Flood) {
			return self.under_flood(&load, &bob, &file, run);
		}
		let raw = raw_reencryptions(1, run / 2);
		if self.part != Some(Part::Latency) {
			step_costs(&(load.request)(0));
			header();
			println!("| raw umbral-pre reencrypt, 1 thread | | {raw:.0} | 100 % | | | | |");
			if cores > 1 {
				let rate = raw_reencryptions(cores, run);
				println!(
					"| raw umbral-pre reencrypt, {cores} threads | | {rate:.0} | {:.0} % | | | | |",
					100.0 * rate / raw
				);
			}
			let rate = raw_requests(1, run, &(load.request)(0));
			println!(
				"| an Ursula's work per request without HTTP, 1 thread | {rate:.0} | {rate:.0} | {:.0} % | | | | |",
				100.0 * rate / raw
			);
			let fresh: Arc<Vec<Vec<u8>>> = Arc::new(fresh_capsules(FRESH_CAPSULES)?);
			for &per_request in &self.batches {
				for (pool, which) in [(&one, "one capsule, again"), (&fresh, "fresh capsules")] {
					// Raw re-encryption measured again just before: the machine's speed drifts.
					let beside = raw_reencryptions(1, run / 2);
					let stats = closed_loop(&load_of(pool, per_request), self.clients, run)?;
					println!(
						"| endpoint, {per_request} capsule(s) per request, {which}, {} clients (raw just before: {beside:.0}/s) | {} |",
						self.clients,
						stats.row(run, per_request, beside)
					);
				}
			}
			let reencrypt = 1e6 / raw;
			let check = 1e6 / ticket_checks(run)?;
			println!(
				"| the ticket check alone ({check:.2} µs), beside one re-encryption ({reencrypt:.0} µs): {:.2} % | | | | | | | |",
				100.0 * check / reencrypt
			);
		}
		if self.part != Some(Part::SingleCore) {
			if self.part == Some(Part::Latency) {
				header();
				println!("| raw umbral-pre reencrypt, 1 thread | | {raw:.0} | 100 % | | | | |");
			}
			for &clients in &self.levels {
				let stats = closed_loop(&load, clients, run)?;
				println!("| endpoint, {clients} client(s) | {} |", stats.row(run, 1, raw));
			}
			for &rate in &self.rates {
				let stats = open_loop(&load, rate, run)?;
				println!("| endpoint, {rate} requests/s offered | {} |", stats.row(run, 1, raw));
			}
		}
		Ok(())
	}

	/// Bob's requests at a fixed rate, alone and then beside a flood of forged 32-capsule
	/// requests (his account and policy, another key's signature: the most work a stranger
	/// can cause) from [`Self::flood_addresses`] addresses, each under its own limits.
	fn under_flood(
		&self,
		honest: &Load,
		bob: &sp_core::sr25519::Pair,
		file: &EncryptedFile,
		run: Duration,
	) -> Result<(), String> {
		use std::collections::BTreeMap;
		let mallory =
			sp_core::sr25519::Pair::from_string("//Mallory", None).map_err(|e| format!("{e:?}"))?;
		let mut forged = keymarket_primitives::policies::ReencryptionRequest::decode_all(
			&mut &signed_request(
				bob,
				&bob.public().into(),
				file.policy,
				&self.ursula,
				1,
				vec![file.capsule.clone(); 32],
			)[..],
		)
		.map_err(|e| e.to_string())?;
		forged.signature = mallory.sign(&forged.body.signing_payload()).0;
		let forged = codec::Encode::encode(&forged);
		let complaint = match &self.rpc {
			Some(url) => Some(forged_complaint(url, bob, &mallory, &self.ursula, file)?),
			None => None,
		};
		let (forged, complaint) = (Arc::new(forged), Arc::new(complaint));
		println!("| run | Bob's requests/s | p50 ms | p99 ms | max ms | Bob refused | forged answered/s, by status |");
		println!("|---|---|---|---|---|---|---|");
		let alone = open_loop(honest, self.honest_rate, run)?;
		println!(
			"| Bob alone, {} requests/s offered | {} | |",
			self.honest_rate,
			alone.latency_row(run)
		);
		let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
		let threads: Vec<_> = (0..FLOOD_THREADS)
			.map(|t| {
				let sources: Vec<std::net::Ipv4Addr> = (t..self.flood_addresses)
					.step_by(FLOOD_THREADS)
					.map(|n| std::net::Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250 + 1) as u8))
					.collect();
				let (address, stop) = (honest.address.clone(), stop.clone());
				// Every other thread complains, if there is a complaint to send.
				let (route, message) = match complaint.as_ref() {
					Some(complaint) if t % 2 == 1 => ("/v1/complain", complaint.clone()),
					_ => ("/v1/reencrypt", forged.as_ref().clone()),
				};
				std::thread::spawn(move || {
					let mut connections: Vec<Connection> = sources
						.into_iter()
						.map(|from| Connection {
							address: address.clone(),
							from: Some(from),
							reader: None,
						})
						.collect();
					let mut statuses = BTreeMap::<String, u64>::new();
					'flood: loop {
						for connection in &mut connections {
							if stop.load(Ordering::Relaxed) {
								break 'flood;
							}
							let status = match connection.post_to(route, &message) {
								Ok(status) => format!("{route} {status}"),
								Err(_) => format!("{route} no answer"),
							};
							*statuses.entry(status).or_default() += 1;
						}
					}
					statuses
				})
			})
			.collect();
		// Let the flood reach its pace first.
		std::thread::sleep(Duration::from_secs(1));
		let beside = open_loop(honest, self.honest_rate, run)?;
		stop.store(true, Ordering::Relaxed);
		let mut statuses = BTreeMap::<String, u64>::new();
		for thread in threads {
			for (status, count) in thread.join().map_err(|_| "a flood thread panicked")? {
				*statuses.entry(status).or_default() += count;
			}
		}
		let seconds = run.as_secs_f64() + 1.0;
		let flood = statuses
			.iter()
			.map(|(status, count)| format!("{status}: {:.0}", *count as f64 / seconds))
			.collect::<Vec<_>>()
			.join(", ");
		let what = if complaint.is_some() { "requests and complaints" } else { "requests" };
		println!(
			"| Bob, {} requests/s offered, beside forged {what} from {} addresses | {} | {flood} |",
			self.honest_rate,
			self.flood_addresses,
			beside.latency_row(run)
		);
		Ok(())
	}
}

/// A complaint to the current round's first gateway about `ursula`, with Bob's real request
/// and the chain's proof of work, signed by `mallory`: the most a stranger can send a gateway.
fn forged_complaint(
	url: &str,
	bob: &sp_core::sr25519::Pair,
	mallory: &sp_core::sr25519::Pair,
	ursula: &AccountId,
	file: &EncryptedFile,
) -> Result<Vec<u8>, String> {
	use super::chain::{Chain, BEST};
	use crate::rpc::gateway::GatewayApiClient;
	use keymarket_primitives::gateway::{ClaimKind, Complaint, ComplaintBody};
	let chain = Chain::new(url)?;
	let round = rpc::typed(chain.api().gateways(None, BEST))?.ok_or("no gateways this round")?;
	let difficulty = rpc::typed(chain.api().complaint_difficulty(BEST))?;
	let gateway = round.gateways.first().ok_or("no gateways this round")?.worker.clone();
	let request = signed_request(
		bob,
		&bob.public().into(),
		file.policy,
		ursula,
		1,
		vec![file.capsule.clone()],
	);
	let body = ComplaintBody::worked(
		round.round,
		gateway,
		ClaimKind::Serve,
		request,
		[0x55; 16],
		difficulty,
	);
	let signature = mallory.sign(&body.signing_payload()).0;
	Ok(codec::Encode::encode(&Complaint { body, signature }))
}

/// A policy key and a key fragment of it for nobody in particular: what the raw measurements
/// re-encrypt with.
fn throwaway_kfrag() -> (umbral_pre::SecretKey, umbral_pre::VerifiedKeyFrag) {
	let alice = umbral_pre::SecretKey::random();
	let signer = umbral_pre::Signer::new(umbral_pre::SecretKey::random());
	let bob = umbral_pre::SecretKey::random().public_key();
	let kfrag = umbral_pre::generate_kfrags(&alice, &bob, &signer, 1, 1, true, true)[0].clone();
	(alice, kfrag)
}

/// How many re-encryptions `threads` threads do per second.
fn raw_reencryptions(threads: usize, run: Duration) -> f64 {
	let (alice, kfrag) = throwaway_kfrag();
	let (capsule, _) = umbral_pre::encrypt(&alice.public_key(), b"benchmark").expect("encrypts");
	let deadline = Instant::now() + run;
	let handles: Vec<_> = (0..threads)
		.map(|_| {
			let (kfrag, capsule) = (kfrag.clone(), capsule.clone());
			std::thread::spawn(move || {
				let mut done = 0u64;
				while Instant::now() < deadline {
					std::hint::black_box(umbral_pre::reencrypt(&capsule, kfrag.clone()));
					done += 1;
				}
				done
			})
		})
		.collect();
	let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or_default()).sum();
	total as f64 / run.as_secs_f64()
}

/// `count` distinct capsules in canonical bytes (under a random key: an Ursula re-encrypts any
/// valid capsule; which key it was made for is Bob's business).
fn fresh_capsules(count: usize) -> Result<Vec<Vec<u8>>, String> {
	use umbral_pre::DefaultSerialize;
	let key = umbral_pre::SecretKey::random().public_key();
	(0..count)
		.map(|_| {
			let (capsule, _) = umbral_pre::encrypt(&key, b"").map_err(|e| e.to_string())?;
			capsule.to_bytes().map(|b| b.into_vec()).map_err(|e| e.to_string())
		})
		.collect()
}

/// How many requests `threads` threads handle per second without the network: decode the
/// request, check Bob's signature, read the capsule (umbral-pre checks it), re-encrypt, encode
/// and sign the fragment — the endpoint's CPU work, less HTTP and the log.
fn raw_requests(threads: usize, run: Duration, request: &[u8]) -> f64 {
	use keymarket_primitives::policies::ReencryptionRequest;
	use umbral_pre::{DefaultDeserialize, DefaultSerialize};
	let (_, kfrag) = throwaway_kfrag();
	let ursula = sp_core::sr25519::Pair::from_seed(&[9; 32]);
	let deadline = Instant::now() + run;
	let handles: Vec<_> = (0..threads)
		.map(|_| {
			let (kfrag, request, ursula) = (kfrag.clone(), request.to_vec(), ursula.clone());
			std::thread::spawn(move || {
				let mut done = 0u64;
				while Instant::now() < deadline {
					let Ok(request) = ReencryptionRequest::decode_all(&mut &request[..]) else {
						return 0;
					};
					let signed = request.bob_signed();
					let Ok(capsule) = umbral_pre::Capsule::from_bytes(&request.body.capsules[0])
					else {
						return 0;
					};
					let cfrag = umbral_pre::reencrypt(&capsule, kfrag.clone());
					let bytes = cfrag.to_bytes().map(|b| b.into_vec()).unwrap_or_default();
					std::hint::black_box((signed, ursula.sign(&bytes)));
					done += 1;
				}
				done
			})
		})
		.collect();
	let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or_default()).sum();
	total as f64 / run.as_secs_f64()
}

/// Microseconds per call of `step`, over about half a second on this thread.
fn micros_per(mut step: impl FnMut()) -> f64 {
	let begin = Instant::now();
	let mut done = 0u64;
	while begin.elapsed() < Duration::from_millis(500) {
		for _ in 0..16 {
			step();
		}
		done += 16;
	}
	begin.elapsed().as_secs_f64() * 1e6 / done as f64
}

/// What each step of a one-capsule request costs on one thread, beside the re-encryption:
/// where the endpoint's time goes (docs/performance.md).
fn step_costs(request: &[u8]) {
	use keymarket_primitives::policies::{cfrag_signing_payload, ReencryptionRequest};
	use std::hint::black_box;
	use umbral_pre::DefaultSerialize;
	let Ok(decoded) = ReencryptionRequest::decode_all(&mut &request[..]) else { return };
	let bytes = decoded.body.capsules[0].clone();
	let Ok(capsule) = keymarket_primitives::msgpack::from_slice::<umbral_pre::Capsule>(&bytes)
	else {
		return;
	};
	let (_, kfrag) = throwaway_kfrag();
	let cfrag = umbral_pre::reencrypt(&capsule, kfrag.clone());
	let cfrag_bytes = cfrag.to_bytes().map(|b| b.into_vec()).unwrap_or_default();
	let ursula = sp_core::sr25519::Pair::from_seed(&[9; 32]);
	let worker: AccountId = ursula.public().into();
	let payload = cfrag_signing_payload(&[0; 16], &worker, 1, &bytes, &cfrag_bytes);
	let steps: [(&str, f64); 8] = [
		(
			"umbral-pre reencrypt",
			micros_per(|| {
				black_box(umbral_pre::reencrypt(black_box(&capsule), kfrag.clone()));
			}),
		),
		(
			"read the capsule (umbral-pre checks it)",
			micros_per(|| {
				black_box(
					keymarket_primitives::msgpack::from_slice::<umbral_pre::Capsule>(black_box(
						&bytes,
					))
					.is_ok(),
				);
			}),
		),
		(
			"write the capsule again (the canonical-bytes check)",
			micros_per(|| {
				black_box(black_box(&capsule).to_bytes().is_ok());
			}),
		),
		(
			"write the fragment",
			micros_per(|| {
				black_box(black_box(&cfrag).to_bytes().is_ok());
			}),
		),
		(
			"decode the request (SCALE)",
			micros_per(|| {
				black_box(ReencryptionRequest::decode_all(&mut black_box(request)).is_ok());
			}),
		),
		(
			"check Bob's signature",
			micros_per(|| {
				black_box(black_box(&decoded).bob_signed());
			}),
		),
		(
			"the fragment's signing payload (two blake2-256)",
			micros_per(|| {
				black_box(cfrag_signing_payload(
					&[0; 16],
					&worker,
					1,
					black_box(&bytes),
					&cfrag_bytes,
				));
			}),
		),
		(
			"the Ursula's signature",
			micros_per(|| {
				black_box(ursula.sign(black_box(&payload)));
			}),
		),
	];
	println!("| step, one thread | µs |");
	println!("|---|---|");
	for (step, micros) in steps {
		println!("| {step} | {micros:.1} |");
	}
	println!();
}

/// How many tickets an Ursula's lottery judges per second on one thread: what a request with
/// a ticket costs beyond one without (the payer's funds as cached for the block, this Ursula's
/// unredeemed winners, the checks, the draw). Bob's one signature covers the ticket, so it adds
/// no signature check; a winner (one in `odds`) adds a file append, not measured here.
fn ticket_checks(run: Duration) -> Result<f64, String> {
	use crate::ursula::lottery::{ChainTerms, Commitments, Lottery, LotteryOutbox, StaticFunds};
	use keymarket_primitives::lottery::{
		probability_for, FundsView, LotteryDuty, Ticket, TICKET_VERSION,
	};

	struct Keep(std::sync::Mutex<Option<[u8; 32]>>);
	impl LotteryOutbox for Keep {
		fn push(
			&self,
			duty: LotteryDuty<AccountId, keymarket_primitives::Balance>,
		) -> Result<(), String> {
			if let LotteryDuty::Commit { commitment, .. } = duty {
				*self.0.lock().expect("not poisoned") = Some(commitment);
			}
			Ok(())
		}
	}

	let bob = sp_core::sr25519::Pair::from_seed(&[1; 32]);
	let (alice, ursula): (AccountId, AccountId) = ([2u8; 32].into(), [3u8; 32].into());
	let policy = [7u8; 16];
	let dir = std::env::temp_dir().join(format!("keymarket-ticket-bench-{}", std::process::id()));
	let funds = StaticFunds::default();
	let view = FundsView {
		deposit: u128::MAX / 2,
		reserve: 0,
		unlocks_at: None,
		cap: u128::MAX / 2,
		spent: 0,
		price: 100,
	};
	funds.0.lock().expect("not poisoned").insert((alice.clone(), policy), view);
	let lottery =
		Lottery::open(&dir, ursula.clone(), Arc::new(funds)).map_err(|e| e.to_string())?;
	let terms = ChainTerms {
		now: 2,
		round_hashes: [(2, [2; 32]), (1, [1; 32])],
		ticket_rounds: 2,
		current: None,
	};
	let outbox = Keep(std::sync::Mutex::new(None));
	lottery
		.update(10, terms.clone(), Commitments::default(), Commitments::default(), &outbox)
		.map_err(|e| e.to_string())?;
	let commitment = outbox.0.lock().expect("not poisoned").ok_or("no commitment")?;
	lottery
		.update(
			11,
			terms,
			Commitments { current: Some((commitment, 2)), previous: None },
			Commitments::default(),
			&outbox,
		)
		.map_err(|e| e.to_string())?;
	let body = super::ursula_api::request_body(
		&bob.public().into(),
		policy,
		&ursula,
		1,
		vec![vec![0; 98]],
	);
	let face = 100u128 << 40;
	let ticket = Ticket {
		version: TICKET_VERSION,
		payer: alice.clone(),
		policy,
		recipient: ursula,
		face_value: face,
		win_probability: probability_for(100, face),
		nonce: 1,
		commitment,
		created_round: 2,
		created_hash: [2; 32],
		expires: 4,
		request_hash: [0; 32],
	};
	let request = super::ursula_api::sign_request(&bob, body, Some(ticket));
	let deadline = Instant::now() + run;
	let mut done = 0u64;
	while Instant::now() < deadline {
		for _ in 0..1_000 {
			let judged = lottery.check(std::hint::black_box(&request), &alice);
			std::hint::black_box(
				judged.map_err(|e| format!("the benchmark's ticket is refused: {e:?}"))?,
			);
		}
		done += 1_000;
	}
	let _ = std::fs::remove_dir_all(&dir);
	Ok(done as f64 / run.as_secs_f64())
}

#[derive(Default)]
struct Stats {
	latencies: Vec<Duration>,
	refused: u64,
}

impl Stats {
	fn merge(&mut self, other: Stats) {
		self.latencies.extend(other.latencies);
		self.refused += other.refused;
	}

	/// The latency in milliseconds at quantile `q` (sorted latencies).
	fn at(&self, q: f64) -> f64 {
		let i = ((self.latencies.len() as f64 * q) as usize)
			.min(self.latencies.len().saturating_sub(1));
		self.latencies.get(i).map(|d| d.as_secs_f64() * 1e3).unwrap_or(f64::NAN)
	}

	/// Requests and capsules per second, capsules against `raw` re-encryptions per second,
	/// latency percentiles, refusals.
	fn row(mut self, run: Duration, per_request: usize, raw: f64) -> String {
		self.latencies.sort();
		let requests = self.latencies.len() as f64 / run.as_secs_f64();
		let capsules = requests * per_request as f64;
		format!(
			"{requests:.0} | {capsules:.0} | {:.0} % | {:.2} | {:.2} | {:.2} | {}",
			100.0 * capsules / raw,
			self.at(0.50),
			self.at(0.99),
			self.at(1.0),
			self.refused
		)
	}

	/// Requests per second, latency percentiles, refusals.
	fn latency_row(mut self, run: Duration) -> String {
		self.latencies.sort();
		format!(
			"{:.0} | {:.2} | {:.2} | {:.2} | {}",
			self.latencies.len() as f64 / run.as_secs_f64(),
			self.at(0.50),
			self.at(0.99),
			self.at(1.0),
			self.refused
		)
	}
}

/// A keep-alive HTTP/1.1 connection that POSTs requests, from a loopback address of its own
/// if `from` says so.
struct Connection {
	address: String,
	from: Option<std::net::Ipv4Addr>,
	reader: Option<BufReader<TcpStream>>,
}

/// A TCP connection to `address` from the local address `from`.
fn connect_from(from: std::net::Ipv4Addr, address: &str) -> Result<TcpStream, String> {
	let to: std::net::SocketAddr = address.parse().map_err(|e| format!("{address}: {e}"))?;
	let runtime = tokio::runtime::Builder::new_current_thread()
		.enable_io()
		.build()
		.map_err(|e| e.to_string())?;
	runtime.block_on(async {
		let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
		socket.bind((from, 0).into()).map_err(|e| format!("cannot bind {from}: {e}"))?;
		let stream = socket.connect(to).await.map_err(|e| e.to_string())?;
		let stream = stream.into_std().map_err(|e| e.to_string())?;
		stream.set_nonblocking(false).map_err(|e| e.to_string())?;
		Ok(stream)
	})
}

impl Connection {
	fn post(&mut self, body: &[u8]) -> Result<u16, String> {
		self.post_to("/v1/reencrypt", body)
	}

	fn post_to(&mut self, path: &str, body: &[u8]) -> Result<u16, String> {
		if self.reader.is_none() {
			let stream = match self.from {
				Some(from) => connect_from(from, &self.address)?,
				None => TcpStream::connect(&self.address).map_err(|e| e.to_string())?,
			};
			stream.set_nodelay(true).map_err(|e| e.to_string())?;
			stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
			self.reader = Some(BufReader::new(stream));
		}
		let reader = self.reader.as_mut().expect("connected above");
		let head = format!(
			"POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
			self.address,
			body.len()
		);
		let sent = reader
			.get_mut()
			.write_all(&[head.as_bytes(), body].concat())
			.map_err(|e| e.to_string());
		let answer = sent.and_then(|_| rpc::read_from(reader)).map(|(status, _)| status);
		if answer.is_err() {
			self.reader = None;
		}
		answer
	}
}

fn closed_loop(load: &Load, clients: usize, run: Duration) -> Result<Stats, String> {
	let deadline = Instant::now() + run;
	let handles: Vec<_> = (0..clients)
		.map(|_| {
			let (make, sequence) = (load.request.clone(), load.sequence.clone());
			let mut connection =
				Connection { address: load.address.clone(), from: None, reader: None };
			std::thread::spawn(move || {
				let mut stats = Stats::default();
				while Instant::now() < deadline {
					let body = make(sequence.fetch_add(1, Ordering::Relaxed));
					let sent = Instant::now();
					match connection.post(&body) {
						Ok(200) => stats.latencies.push(sent.elapsed()),
						_ => stats.refused += 1,
					}
				}
				stats
			})
		})
		.collect();
	let mut total = Stats::default();
	for handle in handles {
		total.merge(handle.join().map_err(|_| "a client thread panicked")?);
	}
	Ok(total)
}

fn open_loop(load: &Load, rate: u32, run: Duration) -> Result<Stats, String> {
	// Enough clients that a slow answer does not hold up the schedule.
	let clients = 64usize;
	let interval = Duration::from_secs_f64(clients as f64 / f64::from(rate.max(1)));
	let begin = Instant::now() + Duration::from_millis(100);
	let handles: Vec<_> = (0..clients)
		.map(|i| {
			let (make, sequence) = (load.request.clone(), load.sequence.clone());
			let mut connection =
				Connection { address: load.address.clone(), from: None, reader: None };
			let offset = interval.mul_f64(i as f64 / clients as f64);
			std::thread::spawn(move || {
				let mut stats = Stats::default();
				let mut due = begin + offset;
				while due < begin + run {
					let body = make(sequence.fetch_add(1, Ordering::Relaxed));
					if let Some(wait) = due.checked_duration_since(Instant::now()) {
						std::thread::sleep(wait);
					}
					match connection.post(&body) {
						Ok(200) => stats.latencies.push(due.elapsed()),
						_ => stats.refused += 1,
					}
					due += interval;
				}
				stats
			})
		})
		.collect();
	let mut total = Stats::default();
	for handle in handles {
		total.merge(handle.join().map_err(|_| "a client thread panicked")?);
	}
	Ok(total)
}
