//! The Ursula service inside the node: with `--ursula-listen` and a worker key (`ursw`) in the
//! keystore, the node keeps a book of the policies that name its Ursula (key fragments opened,
//! verified and kept), and serves re-encryption requests from Bobs on its endpoint, logging each
//! served request durably. As a gateway of its rounds it takes Bobs' complaints about silent
//! Ursulas and confirms other gateways' ([`gateway`]); as an accused it answers cases against it
//! on chain. The availability commitment and the submission of proofs and answers are the
//! pallets' off-chain workers.

pub mod activity;
pub mod attest;
pub mod book;
pub mod checked_capsules;
pub mod connection_limiter;
pub mod gateway;
pub mod keys;
pub mod lottery;
pub mod metrics;
pub mod rate_limiter;
pub mod replay_guard;
pub mod served_log;
pub mod server;
pub mod service;

use std::{
	net::SocketAddr,
	path::{Path, PathBuf},
	sync::Arc,
	time::Duration,
};

use futures::StreamExt;
use keymarket_primitives::{policies::PoliciesApi, staking::StakingApi, AccountId, Balance};
use sc_client_api::BlockchainEvents;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::offchain::OffchainStorage;

/// The Ursula service's command-line flags.
#[derive(Debug, Clone, clap::Args)]
pub struct UrsulaParams {
	/// Serve re-encryption requests on this address (e.g. `127.0.0.1:9151`). The node must hold
	/// a worker key (`ursw`); it makes its Umbral key (`umbr`) if the keystore has none.
	#[arg(long, value_name = "ADDR")]
	pub ursula_listen: Option<SocketAddr>,

	/// Capsules per second each client address may have re-encrypted (a request costs one
	/// token per capsule, from a bucket of as many tokens, at least 32).
	#[arg(long, value_name = "N", default_value_t = 1_000)]
	pub ursula_rate_limit: u32,

	/// Capsules per second each Bob may have re-encrypted under one policy (counted once his
	/// signature verifies).
	#[arg(long, value_name = "N", default_value_t = 1_000)]
	pub ursula_bob_rate_limit: u32,

	/// Connections each client address (IPv4 address, or IPv6 /64) may hold open; the endpoint
	/// holds 1,024 in all.
	#[arg(long, value_name = "N", default_value_t = 32, value_parser = at_least_one_usize())]
	pub ursula_connections_per_address: usize,

	/// Seconds a request has for its headers, its body and its work; then the connection is
	/// closed.
	#[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = at_least_one::<u64>())]
	pub ursula_request_timeout: u64,

	/// Capsules in re-encryption at once, counted once Bob's signature verifies; a request
	/// that does not fit is refused with 503 at once.
	#[arg(long, value_name = "N", default_value_t = 256, value_parser = at_least_one::<u32>())]
	pub ursula_capsules_in_flight: u32,

	/// Seconds an accused Ursula has to answer a request this node forwards as a gateway.
	#[arg(long, value_name = "SECONDS", default_value_t = 3, value_parser = at_least_one::<u64>())]
	pub gateway_forward_timeout: u64,

	/// Complaints one Bob may make to this gateway in a round (at least 1: a gateway that takes
	/// none fails to mediate).
	#[arg(long, value_name = "N", default_value_t = 8, value_parser = at_least_one::<u32>())]
	pub gateway_complaints_per_bob: u32,

	/// Complaints and confirmations one policy may cause at this gateway in a round (at least 1).
	#[arg(long, value_name = "N", default_value_t = 16, value_parser = at_least_one::<u32>())]
	pub gateway_complaints_per_policy: u32,

	/// Answer proofs of unavailability against this Ursula on chain, with the fragments of the
	/// complained request (`false`: let the cases close and the penalties apply).
	#[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
	pub ursula_answer_cases: bool,
}

/// A count or a duration of at least 1: zero would refuse everything, or time out at once.
fn at_least_one<T>() -> clap::builder::RangedU64ValueParser<T>
where
	T: TryFrom<u64> + Clone + Send + Sync + 'static,
	<T as TryFrom<u64>>::Error: std::error::Error + Send + Sync + 'static,
{
	clap::builder::RangedU64ValueParser::new().range(1..)
}

/// [`at_least_one`], for a `usize`.
fn at_least_one_usize() -> impl clap::builder::TypedValueParser<Value = usize> {
	use clap::builder::TypedValueParser;
	at_least_one::<u64>().map(|n| n as usize)
}

impl UrsulaParams {
	/// The gateway's limits.
	pub fn gateway_limits(&self) -> gateway::GatewayLimits {
		gateway::GatewayLimits {
			forward_timeout: Duration::from_secs(self.gateway_forward_timeout.max(1)),
			per_bob: self.gateway_complaints_per_bob,
			per_policy: self.gateway_complaints_per_policy,
		}
	}

	/// The endpoint's limits.
	pub fn limits(&self) -> server::Limits {
		server::Limits {
			capsules_per_address: self.ursula_rate_limit,
			capsules_per_bob: self.ursula_bob_rate_limit,
			connections_per_address: self.ursula_connections_per_address,
			request_timeout: Duration::from_secs(self.ursula_request_timeout.max(1)),
			capsules_in_flight: self.ursula_capsules_in_flight,
		}
	}
}

/// Starts the service's tasks, or says in the log why it does not run.
pub fn start<B, C, S>(
	params: &UrsulaParams,
	keystore: &sc_keystore::LocalKeystore,
	client: Arc<C>,
	storage: Option<S>,
	chain_dir: PathBuf,
	spawn: &sc_service::SpawnTaskHandle,
	registry: Option<&substrate_prometheus_endpoint::Registry>,
) -> Result<(), String>
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + BlockchainEvents<B> + Send + Sync + 'static,
	C::Api: PoliciesApi<B, AccountId, Balance>
		+ StakingApi<B, AccountId, Balance>
		+ keymarket_primitives::gateway::GatewayApi<B, AccountId, Balance>
		+ keymarket_primitives::lottery::LotteryApi<B, AccountId, Balance>
		+ keymarket_primitives::activity::ActivityApi<B, AccountId, Balance>,
	S: OffchainStorage + 'static,
{
	let Some(listen) = params.ursula_listen else { return Ok(()) };
	let keys = keys::load(keystore)?
		.ok_or("--ursula-listen needs a worker key (`ursw`) in the keystore")?;
	let mut storage = storage.ok_or("the node has no off-chain storage for key fragments")?;
	log::info!(
		target: "ursula",
		"Ursula {} (Umbral key 0x{}) serves on http://{listen}/v1/reencrypt",
		keys.worker,
		hex::encode(keys.umbral_public),
	);
	check_registration(&*client, &keys, listen)?;
	let dir = chain_dir.join("ursula");
	let log = served_log::ServedLog::open(&dir.join("served"))
		.map_err(|e| format!("cannot open the served-request log: {e}"))?;
	let replay_guard = replay_guard::ReplayGuard::open(
		&dir.join("sequence-reservations"),
		replay_guard::DEFAULT_RESERVATION_BLOCK,
	)
	.map_err(|e| format!("cannot open the sequence reservations: {e}"))?;
	let legacy = dir.join("served.log");
	if legacy.exists() {
		migrate_legacy_log(&legacy, &replay_guard)
			.map_err(|e| format!("cannot read the served-request log {}: {e}", legacy.display()))?;
	}
	let limits = params.limits();
	let metrics = Arc::new(match registry {
		Some(registry) => metrics::Metrics::register(registry)
			.map_err(|e| format!("cannot register the Ursula's metrics: {e}"))?,
		None => metrics::Metrics::unexported(),
	});
	let lottery = lottery::Lottery::open(
		&dir.join("lottery"),
		keys.worker.clone(),
		Arc::new(lottery::ClientFunds::new(client.clone())),
	)
	.map_err(|e| format!("cannot open the lottery's values and winners: {e}"))?;
	let activity = activity::Activity::open(
		&dir.join("activity"),
		&dir.join("served"),
		keys.worker.clone(),
		keys.signer.clone(),
		activity_limits(),
	)
	.map_err(|e| format!("cannot open the kept activity claims: {e}"))?;
	let ursula = Arc::new(service::Ursula {
		keys,
		book: book::Book::default(),
		capsules: checked_capsules::CheckedCapsules::new(checked_capsules::DEFAULT_CAPACITY),
		log,
		replay_guard,
		bob_limiter: rate_limiter::RateLimiter::new(
			limits.capsules_per_bob,
			server::MAX_TRACKED_CLIENTS,
		),
		lottery,
		metrics: metrics.clone(),
	});
	let chain_view: Arc<dyn gateway::ChainView> =
		Arc::new(gateway::ClientView::new(client.clone()));
	let activity =
		activity.with_committee(Arc::new(attest::ClientCommittee::new(chain_view.clone())));
	let attester = Arc::new(attest::Attester::new(
		ursula.clone(),
		chain_view.clone(),
		activity_limits().max_omega,
	));
	let gateway = Arc::new(gateway::Gateway::new(
		ursula.clone(),
		chain_view,
		Arc::new(gateway::OffchainOutbox::new(storage.clone()).with_metrics(metrics.clone())),
		params.gateway_limits(),
	));
	let endpoint = Arc::new(
		server::Endpoint::new(ursula.clone(), Some(gateway.clone()), &limits)
			.with_attester(attester),
	);
	ursula.book.refresh(&*client, &mut storage, &ursula.keys, client.info().best_hash);
	let duty_outbox = gateway::OffchainOutbox::new(storage.clone()).with_metrics(metrics.clone());
	let activity_outbox: Arc<dyn activity::ActivityOutbox> =
		Arc::new(gateway::OffchainOutbox::new(storage.clone()).with_metrics(metrics));
	let info = client.info();
	update_gauges(&*client, &ursula, info.best_hash);
	update_lottery(&*client, &ursula, &duty_outbox, info.best_number, info.best_hash);
	update_activity(
		&*client,
		&ursula,
		&activity,
		&activity_outbox,
		info.best_number,
		info.best_hash,
	);

	let book_keeper = ursula.clone();
	let answer_cases = params.ursula_answer_cases;
	spawn.spawn("ursula-book", Some("ursula"), async move {
		let mut blocks = client.import_notification_stream();
		while let Some(block) = blocks.next().await {
			if block.is_new_best {
				book_keeper.book.refresh(&*client, &mut storage, &book_keeper.keys, block.hash);
				update_gauges(&*client, &book_keeper, block.hash);
				let number = *sp_runtime::traits::Header::number(&block.header);
				update_lottery(&*client, &book_keeper, &duty_outbox, number, block.hash);
				update_activity(
					&*client,
					&book_keeper,
					&activity,
					&activity_outbox,
					number,
					block.hash,
				);
				// Cases against this Ursula are answered from the book just refreshed.
				if answer_cases {
					gateway.answer_cases();
				}
			}
		}
	});
	spawn.spawn("ursula-endpoint", Some("ursula"), async move {
		match tokio::net::TcpListener::bind(listen).await {
			Ok(listener) => server::run(endpoint, listener).await,
			Err(e) => log::error!(target: "ursula", "cannot listen on {listen}: {e}"),
		}
	});
	Ok(())
}

/// Brings the Ursula's lottery up to block `at` (number `number`): its terms and its duties.
fn update_lottery<B, C, S>(
	client: &C,
	ursula: &service::Ursula,
	outbox: &gateway::OffchainOutbox<S>,
	number: sp_runtime::traits::NumberFor<B>,
	at: B::Hash,
) where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B>,
	C::Api: StakingApi<B, AccountId, Balance>
		+ keymarket_primitives::lottery::LotteryApi<B, AccountId, Balance>,
	S: OffchainStorage,
{
	use sp_runtime::traits::UniqueSaturatedInto;
	let worker = &ursula.keys.worker;
	let finalized = client.info().finalized_hash;
	let updated = lottery::read_chain(client, worker, at).and_then(|(terms, on_chain)| {
		let finalized = lottery::read_commitments(client, worker, finalized)?;
		ursula.metrics.set_lottery_round(on_chain.current.map(|(_, round)| round));
		ursula
			.lottery
			.update(number.unique_saturated_into(), terms, on_chain, finalized, outbox)
			.map_err(|e| e.to_string())
	});
	if let Err(e) = updated {
		log::warn!(target: "ursula", "cannot bring the lottery up to {at:?}: {e}");
	}
}

/// Sets the metrics that state what the book and the chain say at block `at`: the key
/// fragments held, the last period committed to, the winning tickets redeemed.
fn update_gauges<B, C>(client: &C, ursula: &service::Ursula, at: B::Hash)
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B>,
	C::Api: StakingApi<B, AccountId, Balance>
		+ keymarket_primitives::lottery::LotteryApi<B, AccountId, Balance>,
{
	ursula.metrics.set_key_fragments(ursula.book.key_fragments());
	let api = client.runtime_api();
	if let Ok(Some(view)) = api.ursula(at, ursula.keys.worker.clone()) {
		ursula.metrics.set_committed_period(view.last_committed_period);
	}
	// What the chain paid this Ursula's winners: it survives restarts, and counts only the
	// tickets the chain accepted.
	use keymarket_primitives::lottery::LotteryApi;
	if let Ok(winnings) = api.winnings(at, ursula.keys.worker.clone()) {
		ursula.metrics.set_tickets_redeemed(winnings.tickets);
	}
}

/// The runtime's limits on activity claims.
fn activity_limits() -> activity::Limits {
	use frame_support::traits::Get;
	use keymarket_runtime::Runtime;
	use pallet_keymarket_activity::Config;
	activity::Limits {
		claim_periods: <<Runtime as Config>::ClaimPeriods as Get<_>>::get(),
		max_omega: <<Runtime as Config>::MaxOmega as Get<_>>::get(),
		max_record_len: <<Runtime as Config>::MaxRecordLen as Get<_>>::get(),
	}
}

/// Brings the Ursula's activity claims up to block `at` (number `number`).
fn update_activity<B, C>(
	client: &C,
	ursula: &service::Ursula,
	activity: &activity::Activity,
	outbox: &Arc<dyn activity::ActivityOutbox>,
	number: sp_runtime::traits::NumberFor<B>,
	at: B::Hash,
) where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B>,
	C::Api: StakingApi<B, AccountId, Balance>
		+ keymarket_primitives::activity::ActivityApi<B, AccountId, Balance>,
{
	use sp_runtime::traits::UniqueSaturatedInto;
	let worker = &ursula.keys.worker;
	let priced = |policy: &keymarket_primitives::policies::PolicyId| {
		ursula.book.get(policy).is_some_and(|entry| entry.view.price > 0)
	};
	let updated = activity::read_chain(client, worker, number.unique_saturated_into(), at)
		.and_then(|chain| activity.update(&chain, priced, outbox).map_err(|e| e.to_string()));
	if let Err(e) = updated {
		log::warn!(target: "ursula", "cannot bring the activity claims up to {at:?}: {e}");
	}
}

/// Carries the sequence numbers of a log written before period files over to the replay guard,
/// and keeps the old log aside (`served.log.v0`) as it is.
fn migrate_legacy_log(
	path: &Path,
	replay_guard: &replay_guard::ReplayGuard,
) -> std::io::Result<()> {
	let records = served_log::read_legacy(path)?;
	let mut highest = std::collections::HashMap::new();
	for record in &records {
		let body = &record.request.body;
		let at = highest.entry((body.policy, body.bob.clone())).or_insert(0);
		*at = body.sequence.max(*at);
	}
	for ((policy, bob), sequence) in highest {
		replay_guard.mark_used_up_to(policy, &bob, sequence)?;
	}
	std::fs::rename(path, path.with_extension("log.v0"))?;
	log::info!(target: "ursula", "carried {} served records' sequence numbers over", records.len());
	Ok(())
}

/// Refuses to run an Ursula that the chain knows by other keys; when the chain does not know it
/// yet, prints the registration (`staking.registerWorker`, signed by the worker account) with
/// both proofs of possession.
fn check_registration<B, C>(
	client: &C,
	keys: &keys::UrsulaSecrets,
	listen: SocketAddr,
) -> Result<(), String>
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B>,
	C::Api: StakingApi<B, AccountId, Balance>,
{
	use sp_core::crypto::Pair as _;
	let signing_key = keys.signer.public().0;
	let registered = client.runtime_api().ursula(client.info().best_hash, keys.worker.clone());
	match &registered {
		Ok(Some(u)) if u.registered => {
			// Fragments this node signs must be judged by the key the chain holds for it, and
			// key fragments must reach the Umbral key it holds: otherwise it could serve
			// nobody correctly and nothing it signs could be pinned on it.
			if u.signing_key != signing_key || u.umbral_key != keys.umbral_public {
				return Err(format!(
					"Ursula {} is registered with other keys (signing 0x{}, Umbral 0x{}) than this \
					 node holds (signing 0x{}, Umbral 0x{}): register this node's keys again, or \
					 run it without --ursula-listen",
					keys.worker,
					hex::encode(u.signing_key),
					hex::encode(u.umbral_key),
					hex::encode(signing_key),
					hex::encode(keys.umbral_public),
				));
			}
			Ok(())
		},
		_ => {
			let payload = keymarket_primitives::staking::registration_payload(
				&keys.worker,
				&keys.umbral_public,
				&signing_key,
			);
			let umbral_proof =
				keymarket_primitives::staking::prove_umbral_key(&keys.umbral, &payload);
			let signing_proof = keys.signer.sign(&payload).0;
			log::warn!(
				target: "ursula",
				"register this Ursula: staking.registerWorker(\"http://{listen}\", 0x{}, 0x{}, 0x{}, 0x{}) signed by {}",
				hex::encode(keys.umbral_public),
				hex::encode(signing_key),
				hex::encode(umbral_proof),
				hex::encode(signing_proof),
				keys.worker,
			);
			Ok(())
		},
	}
}
