//! The Keymarket node: one binary that runs a validator, an RPC server and the Ursula
//! re-encryption service, and carries the Alice, Enrico and Bob clients.

// `sc_cli::Error`, the error type every `SubstrateCli` command returns, is large by upstream
// design; boxing it at each of our call sites would only add noise.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod clients;
mod command;
mod rpc;
mod service;
mod ursula;

fn main() {
	if let Err(error) = command::run() {
		// A message a person can act on, not a debug dump.
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}
