//! The command line: `keymarket-node [run flags]` runs a node; subcommands manage keys, chain specs
//! and the database.

/// Subcommands beside running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys into the node's keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (deprecated upstream in favour of `export-chain-spec`).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export a chain specification: `--chain dev|local|<path>`, `--raw` for the storage form.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Database metadata of the chain.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Alice's client: keys, grant, revoke, tickets, list.
	Alice(crate::clients::Client<crate::clients::alice::AliceCmd>),

	/// Enrico's client: encrypt a file under a policy.
	Enrico(crate::clients::Client<crate::clients::enrico::EnricoCmd>),

	/// Bob's client: keys, retrieve and decrypt.
	Bob(crate::clients::Client<crate::clients::bob::BobCmd>),

	/// Measure an Ursula endpoint (requests per second, latency) next to raw umbral-pre.
	BenchUrsula(crate::clients::load::BenchUrsulaCmd),

	/// Runtime and machine benchmarks (only with `--features runtime-benchmarks`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),
}

/// The node's command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	#[clap(flatten)]
	pub ursula: crate::ursula::UrsulaParams,

	/// Keep the runtime's code, once compiled to machine code, in this folder, and load it from
	/// there at later starts instead of compiling it again. Nodes of the same build may share
	/// one folder. Default: `wasm-cache` in the chain's folder under the base path.
	#[arg(long, value_name = "DIR")]
	pub wasm_cache: Option<std::path::PathBuf>,
}
