//! Dispatches the command line: runs the node or one of its subcommands.

use sc_cli::SubstrateCli;
use sc_service::PartialComponents;

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Keymarket Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://github.com/keymarket/keymarket/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		chain_spec::load(id)
	}
}

/// Runs a subcommand that needs the chain's database through `async_run`, handing it the partial
/// components of the service.
macro_rules! with_partial {
	($cli:ident, $cmd:ident, |$parts:ident, $config:ident| $body:expr) => {{
		let runner = $cli.create_runner($cmd)?;
		runner.async_run(|$config| {
			let wasm_cache = service::default_wasm_cache(&$config);
			claim_wasm_cache(&wasm_cache)?;
			let $parts = service::new_partial(&$config, &wasm_cache)?;
			let task_manager = $parts.task_manager;
			Ok(($body, task_manager))
		})
	}};
}

/// Parses the command line and runs what it asks for.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args();

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let spec = cli.load_spec(&cmd.chain)?;
			cmd.run(spec)
		},
		Some(Subcommand::CheckBlock(cmd)) => with_partial!(cli, cmd, |parts, _config| {
			let PartialComponents { client, import_queue, .. } = parts;
			cmd.run(client, import_queue)
		}),
		Some(Subcommand::ExportBlocks(cmd)) => {
			with_partial!(cli, cmd, |parts, config| { cmd.run(parts.client, config.database) })
		},
		Some(Subcommand::ExportState(cmd)) => {
			with_partial!(cli, cmd, |parts, config| { cmd.run(parts.client, config.chain_spec) })
		},
		Some(Subcommand::ImportBlocks(cmd)) => with_partial!(cli, cmd, |parts, _config| {
			let PartialComponents { client, import_queue, .. } = parts;
			cmd.run(client, import_queue)
		}),
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::Revert(cmd)) => with_partial!(cli, cmd, |parts, _config| {
			let PartialComponents { client, backend, .. } = parts;
			let aux_revert = Box::new(|client, _, blocks| {
				sc_consensus_grandpa::revert(client, blocks)?;
				Ok(())
			});
			cmd.run(client, backend, Some(aux_revert))
		}),
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<keymarket_runtime::opaque::Block>(&config))
		},
		Some(Subcommand::Alice(cmd)) => cmd.command.run(cmd.output).map_err(sc_cli::Error::Input),
		Some(Subcommand::Enrico(cmd)) => cmd.command.run(cmd.output).map_err(sc_cli::Error::Input),
		Some(Subcommand::Bob(cmd)) => cmd.command.run(cmd.output).map_err(sc_cli::Error::Input),
		Some(Subcommand::BenchUrsula(cmd)) => cmd.run().map_err(sc_cli::Error::Input),
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => run_benchmark(&cli, cmd),
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let ursula = cli.ursula.clone();
			let wasm_cache = cli.wasm_cache.clone();
			runner.run_node_until_exit(|mut config| async move {
				claim_ports(&mut config)?;
				if let Some(listen) = ursula.ursula_listen {
					ensure_free(listen, "Ursula endpoint", "--ursula-listen")?;
				}
				let wasm_cache = wasm_cache.unwrap_or_else(|| service::default_wasm_cache(&config));
				claim_wasm_cache(&wasm_cache)?;
				match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
						sc_network::NetworkWorker<
							keymarket_runtime::opaque::Block,
							<keymarket_runtime::opaque::Block as sp_runtime::traits::Block>::Hash,
						>,
					>(
						config,
						&ursula,
						&wasm_cache,
					)
					.map_err(sc_cli::Error::Service),
					sc_network::config::NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(
							config,
							&ursula,
							&wasm_cache,
						)
						.map_err(sc_cli::Error::Service)
					},
				}
			})
		},
	}
}

/// Makes sure the node can keep its compiled runtime in `dir` (made if missing) and that no one
/// else can write there: the node runs the machine code it finds in it, so a folder every user
/// may write (`/tmp`, say) would let any of them run code as the node. Wasmtime alone would only
/// warn about a folder it cannot use, and compile the runtime at every start.
fn claim_wasm_cache(dir: &std::path::Path) -> sc_cli::Result<()> {
	use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
	let refuse =
		|why: String| Err(sc_cli::Error::Input(format!("--wasm-cache {}: {why}", dir.display())));
	// Made (if missing) writable by its owner alone, whatever the umask.
	let made = std::fs::DirBuilder::new().recursive(true).mode(0o755).create(dir);
	if let Err(error) = made {
		return refuse(format!("cannot use it as a folder: {error}"));
	}
	match std::fs::metadata(dir) {
		Ok(folder) if folder.permissions().mode() & 0o002 != 0 => refuse(
			"every user may write there, and the node runs the machine code it keeps there: \
			 choose a folder only the node's user may write"
				.into(),
		),
		Ok(_) => Ok(()),
		Err(error) => refuse(format!("cannot read it: {error}")),
	}
}

/// Makes sure the RPC, peer-to-peer and metrics ports the operator asked for are free, and that
/// the RPC server does not silently move to a random port when they are not: a node on another
/// port than the one in its operator's scripts is a node nobody can reach. (Substrate's metrics
/// server drops its own bind error: without this check a node whose `--prometheus-port` is taken
/// runs with no metrics and says nothing.)
fn claim_ports(config: &mut sc_service::Configuration) -> sc_cli::Result<()> {
	if let Some(prometheus) = &config.prometheus_config {
		ensure_free(prometheus.port, "Prometheus metrics", "--prometheus-port")?;
	}
	if let Some(endpoints) = config.rpc.addr.as_mut() {
		for endpoint in endpoints.iter_mut() {
			endpoint.retry_random_port = false;
			if !endpoint.is_optional {
				ensure_free(endpoint.listen_addr, "JSON-RPC", "--rpc-port")?;
			}
		}
	}
	for address in &config.network.listen_addresses {
		if let Some(socket) = tcp_socket_of(&address.to_string()) {
			ensure_free(socket, "peer-to-peer", "--port")?;
		}
	}
	Ok(())
}

/// Fails with a message a person can act on when `address` is taken.
fn ensure_free(address: std::net::SocketAddr, what: &str, flag: &str) -> sc_cli::Result<()> {
	match std::net::TcpListener::bind(address) {
		Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
			Err(sc_cli::Error::Input(format!(
				"the {what} port {address} is already in use by another process: stop that \
				 process or choose another port with {flag}"
			)))
		},
		// Other failures (no IPv6 on this host, say) are the network layer's to report.
		_ => Ok(()),
	}
}

/// The TCP socket of a multiaddress of the form `/ip4/<ip>/tcp/<port>` or `/ip6/<ip>/tcp/<port>`.
fn tcp_socket_of(multiaddr: &str) -> Option<std::net::SocketAddr> {
	let parts: Vec<&str> = multiaddr.split('/').collect();
	match parts.as_slice() {
		["", "ip4" | "ip6", ip, "tcp", port, ..] => {
			Some(std::net::SocketAddr::new(ip.parse().ok()?, port.parse().ok()?))
		},
		_ => None,
	}
}

/// What `benchmark` answers to a subcommand the node does not offer.
#[cfg(feature = "runtime-benchmarks")]
const UNSUPPORTED_BENCHMARK: &str =
	"only `benchmark pallet`, `storage`, `overhead` and `machine` are supported";

/// The runtime benchmarks: `benchmark pallet` runs the pallets' v2 benchmarks against the real
/// runtime and writes weight files; `benchmark storage` measures what a read and a write of the
/// chain's database cost on this machine, over whatever state `--base-path` holds (or the
/// chain's genesis), and writes the database weights; `benchmark overhead` times blocks of
/// remarks for the extrinsic's and the block's base weights; `benchmark machine` compares this
/// machine with Substrate's reference hardware.
#[cfg(feature = "runtime-benchmarks")]
fn run_benchmark(cli: &Cli, cmd: &frame_benchmarking_cli::BenchmarkCmd) -> sc_cli::Result<()> {
	use frame_benchmarking_cli::BenchmarkCmd;
	use keymarket_primitives::zk::keymarket_zk::HostFunctions as Zk;
	use keymarket_runtime::opaque::Block;
	type Hashing = sp_runtime::traits::HashingFor<Block>;
	let runner = cli.create_runner(cmd)?;
	runner.sync_run(|config| match cmd {
		BenchmarkCmd::Pallet(cmd) => cmd.run_with_spec::<Hashing, Zk>(Some(config.chain_spec)),
		BenchmarkCmd::Storage(cmd) => {
			let wasm_cache = service::default_wasm_cache(&config);
			claim_wasm_cache(&wasm_cache)?;
			let sc_service::PartialComponents { client, backend, .. } =
				service::new_partial(&config, &wasm_cache)?;
			let (db, storage) = (backend.expose_db(), backend.expose_storage());
			let trie_cache = backend.expose_shared_trie_cache();
			cmd.run(config, client, db, storage, trie_cache)
		},
		BenchmarkCmd::Overhead(cmd) => {
			cmd.run_with_default_builder_and_spec::<Block, Zk>(Some(config.chain_spec))
		},
		BenchmarkCmd::Machine(cmd) => {
			cmd.run(&config, frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE.clone())
		},
		_ => Err(UNSUPPORTED_BENCHMARK.into()),
	})
}
