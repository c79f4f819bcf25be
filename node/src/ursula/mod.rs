//! The Ursula service inside the node: with `--ursula-listen` and a worker key (`ursw`) in the
//! keystore, the node keeps a book of the policies that name its Ursula (key fragments opened,
//! verified and kept), and serves re-encryption requests from Bobs on its endpoint, logging each
//! served request durably. The availability commitment itself is the staking pallet's off-chain
//! worker.

pub mod book;
pub mod keys;
pub mod served_log;
pub mod server;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

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

	/// Requests per second each client address may send (a token bucket of as many).
	#[arg(long, value_name = "N", default_value_t = 1_000)]
	pub ursula_rate_limit: u32,
}

/// Starts the service's tasks, or says in the log why it does not run.
pub fn start<B, C, S>(
	params: &UrsulaParams,
	keystore: &sc_keystore::LocalKeystore,
	client: Arc<C>,
	storage: Option<S>,
	chain_dir: PathBuf,
	spawn: &sc_service::SpawnTaskHandle,
) -> Result<(), String>
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + BlockchainEvents<B> + Send + Sync + 'static,
	C::Api: PoliciesApi<B, AccountId, Balance> + StakingApi<B, AccountId, Balance>,
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
	check_registration(&*client, &keys, listen);
	let log = served_log::ServedLog::open(&chain_dir.join("ursula").join("served.log"))
		.map_err(|e| format!("cannot open the served-request log: {e}"))?;
	let ursula = Arc::new(server::Ursula {
		keys,
		book: book::Book::default(),
		log,
		limiter: server::RateLimiter::new(params.ursula_rate_limit),
	});
	ursula.book.refresh(&*client, &mut storage, &ursula.keys, client.info().best_hash);

	let book_keeper = ursula.clone();
	spawn.spawn("ursula-book", Some("ursula"), async move {
		let mut blocks = client.import_notification_stream();
		while let Some(block) = blocks.next().await {
			if block.is_new_best {
				book_keeper.book.refresh(&*client, &mut storage, &book_keeper.keys, block.hash);
			}
		}
	});
	spawn.spawn("ursula-endpoint", Some("ursula"), async move {
		match tokio::net::TcpListener::bind(listen).await {
			Ok(listener) => server::run(ursula, listener).await,
			Err(e) => log::error!(target: "ursula", "cannot listen on {listen}: {e}"),
		}
	});
	Ok(())
}

/// Warns when the chain does not have this Ursula's keys (the operator registers them with
/// `staking.registerWorker`, signed by the worker account).
fn check_registration<B, C>(client: &C, keys: &keys::UrsulaSecrets, listen: SocketAddr)
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B>,
	C::Api: StakingApi<B, AccountId, Balance>,
{
	let registered = client.runtime_api().ursula(client.info().best_hash, keys.worker.clone());
	let matches = matches!(&registered, Ok(Some(u)) if u.registered
		&& u.umbral_key == keys.umbral_public
		&& u.signing_key == <[u8; 32]>::from(keys.worker.clone()));
	if !matches {
		log::warn!(
			target: "ursula",
			"register this Ursula: staking.registerWorker(\"http://{listen}\", 0x{}, 0x{}) signed by {}",
			hex::encode(keys.umbral_public),
			hex::encode(<[u8; 32]>::from(keys.worker.clone())),
			keys.worker,
		);
	}
}
