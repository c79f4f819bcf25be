//! The clients a person runs from a shell: `keymarket-node alice|enrico|bob …`. They talk to a
//! node's RPC (`--rpc http://127.0.0.1:9944`) and to Ursula endpoints; secret keys stay in the
//! key files they make. Every message is specified in docs/wire-formats.md.
//!
//! Each prints its result on standard output: one JSON document when asked with `--json` or when
//! standard output is not a terminal (a script reads it), the same facts as lines for a person
//! on a terminal. Long operations show their progress on standard error while it is a terminal,
//! and nothing when it is piped. Errors go to standard error and name what failed: the policy,
//! the Ursula, the reason.

pub mod alice;
pub mod bob;
pub mod chain;
pub mod complaint;
pub mod enrico;
pub mod load;
pub mod rpc;
#[cfg(test)]
mod rpc_tests;
pub mod tickets;
pub mod ursula_api;

use std::{
	fmt::Display,
	io::{IsTerminal, Write},
	path::{Path, PathBuf},
};

use codec::{Decode, Encode};
use keymarket_primitives::policies::{PolicyId, UmbralPublicKey};
use serde_json::{json, Value};
use umbral_pre::{SecretKey, SecretKeyFactory};

/// A client's commands with the flags every client takes.
#[derive(Debug, clap::Args)]
pub struct Client<C: clap::Subcommand> {
	#[command(subcommand)]
	pub command: C,
	#[command(flatten)]
	pub output: Output,
}

/// How a client prints its result.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Output {
	/// Print the result as one JSON document, for scripts (what is printed anyway when standard
	/// output is not a terminal; on a terminal a person reads the same facts as lines).
	#[arg(long, global = true)]
	pub json: bool,
}

impl Output {
	/// Whether the result is printed as JSON.
	pub fn is_json(&self) -> bool {
		self.json || !std::io::stdout().is_terminal()
	}

	/// Prints `result` on standard output: JSON, or lines for a person.
	pub fn print(&self, result: &Value) {
		if self.is_json() {
			println!("{result}");
		} else {
			print!("{}", as_lines(result));
		}
	}
}

/// `result` as lines for a person: a field a line (`served by:`), nested fields indented, list
/// items after a dash, strings without quotes, `null` as `none`.
pub fn as_lines(result: &Value) -> String {
	fn scalar(value: &Value) -> Option<String> {
		match value {
			Value::Null => Some("none".into()),
			Value::String(text) => Some(text.clone()),
			Value::Bool(_) | Value::Number(_) => Some(value.to_string()),
			Value::Array(items) if items.is_empty() => Some("none".into()),
			Value::Object(fields) if fields.is_empty() => Some("none".into()),
			Value::Array(_) | Value::Object(_) => None,
		}
	}
	fn write(value: &Value, indent: usize, out: &mut String) {
		let pad = " ".repeat(indent);
		match value {
			Value::Object(fields) => {
				for (name, field) in fields {
					match scalar(field) {
						Some(text) => out.push_str(&format!("{pad}{}: {text}\n", words(name))),
						None => {
							out.push_str(&format!("{pad}{}:\n", words(name)));
							write(field, indent + 2, out);
						},
					}
				}
			},
			Value::Array(items) => {
				for item in items {
					match scalar(item) {
						Some(text) => out.push_str(&format!("{pad}- {text}\n")),
						None => {
							out.push_str(&format!("{pad}-\n"));
							write(item, indent + 2, out);
						},
					}
				}
			},
			other => out.push_str(&format!("{pad}{}\n", scalar(other).unwrap_or_default())),
		}
	}
	let mut out = String::new();
	match scalar(result) {
		Some(text) => out.push_str(&format!("{text}\n")),
		None => write(result, 0, &mut out),
	}
	out
}

/// A JSON field's name as words: `servedBy` is `served by`. A key that is not such a name (an
/// account, a number, hex) stays as it is.
fn words(name: &str) -> String {
	let is_name = name.starts_with(|c: char| c.is_ascii_lowercase())
		&& name.chars().all(|c| c.is_ascii_alphabetic());
	if !is_name {
		return name.to_string();
	}
	let mut out = String::new();
	for c in name.chars() {
		if c.is_uppercase() {
			out.push(' ');
			out.extend(c.to_lowercase());
		} else {
			out.push(c);
		}
	}
	out
}

/// The progress of a long operation, on standard error while it is a terminal (nothing when it
/// is piped or a file): each step replaces the last on one line, cleared when done.
pub struct Progress {
	shown: bool,
}

impl Progress {
	/// Shown when standard error is a terminal.
	pub fn new() -> Self {
		Self { shown: std::io::stderr().is_terminal() }
	}

	/// Shows `step` in place of the last one.
	pub fn step(&self, step: impl Display) {
		if self.shown {
			let mut err = std::io::stderr().lock();
			let _ = write!(err, "\r\x1b[2K{step}");
			let _ = err.flush();
		}
	}
}

impl Default for Progress {
	fn default() -> Self {
		Self::new()
	}
}

impl Drop for Progress {
	fn drop(&mut self) {
		if self.shown {
			let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
		}
	}
}

/// A problem found while retrieving (an object naming the Ursula or the gateway and what went
/// wrong, as `bob retrieve` lists them) as words: `Ursula 5F…: refused: PolicyRevoked`.
pub fn describe_problem(problem: &Value) -> String {
	let Some(fields) = problem.as_object() else { return problem.to_string() };
	let who = match (fields.get("ursula"), fields.get("gateway")) {
		(Some(ursula), _) => format!("Ursula {}", ursula.as_str().unwrap_or_default()),
		(None, Some(gateway)) => format!("gateway {}", gateway.as_str().unwrap_or_default()),
		(None, None) => "?".into(),
	};
	let what: Vec<String> = fields
		.iter()
		.filter(|(name, _)| *name != "ursula" && *name != "gateway")
		.map(|(name, value)| match value {
			Value::Bool(true) => words(name),
			Value::String(text) => format!("{}: {text}", words(name)),
			other => format!("{}: {other}", words(name)),
		})
		.collect();
	format!("{who}: {}", what.join(", "))
}

/// The RPC endpoint flag every client takes.
#[derive(Debug, Clone, clap::Args)]
pub struct RpcFlag {
	/// The node's JSON-RPC endpoint.
	#[arg(long, value_name = "URL", default_value = "http://127.0.0.1:9944")]
	pub rpc: String,
}

/// A key file: 32 secret bytes (hex, JSON) from which the Umbral keys are derived with
/// umbral-pre's `SecretKeyFactory`. Written with mode 0600.
pub struct KeyFile {
	factory: SecretKeyFactory,
}

impl KeyFile {
	/// Makes a new random key file at `path`; refuses to overwrite one.
	pub fn create(path: &Path) -> Result<Self, String> {
		let mut seed = [0u8; 32];
		getrandom::getrandom(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
		let text = json!({ "version": 1, "seed": chain::hex_of(&seed) }).to_string();
		let mut options = std::fs::OpenOptions::new();
		options.write(true).create_new(true);
		#[cfg(unix)]
		std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
		let mut file =
			options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
		std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| e.to_string())?;
		Self::from_seed(&seed)
	}

	/// Reads the key file at `path`.
	pub fn open(path: &Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
		let value: serde_json::Value =
			serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
		let seed =
			value["seed"].as_str().ok_or_else(|| format!("{} has no seed", path.display()))?;
		Self::from_seed(&chain::array_of::<32>(seed)?)
	}

	fn from_seed(seed: &[u8; 32]) -> Result<Self, String> {
		Ok(Self {
			factory: SecretKeyFactory::from_secure_randomness(seed).map_err(|e| e.to_string())?,
		})
	}

	/// The key derived for `label`.
	pub fn key(&self, label: &[u8]) -> SecretKey {
		self.factory.make_key(label)
	}
}

/// An Umbral public key's 33 bytes.
pub fn public_bytes(key: &umbral_pre::PublicKey) -> UmbralPublicKey {
	key.to_compressed_bytes().as_ref().try_into().expect("a compressed point is 33 bytes")
}

/// An Umbral public key from hex.
pub fn public_key(text: &str) -> Result<umbral_pre::PublicKey, String> {
	umbral_pre::PublicKey::try_from_compressed_bytes(&chain::array_of::<33>(text)?)
}

/// A policy id from hex.
pub fn policy_id(text: &str) -> Result<PolicyId, String> {
	chain::array_of::<16>(text)
}

/// An sr25519 key pair from a secret URI (`//Bob`, a mnemonic, a hex seed).
pub fn signer(suri: &str) -> Result<sp_core::sr25519::Pair, String> {
	<sp_core::sr25519::Pair as sp_core::Pair>::from_string(suri, None)
		.map_err(|e| format!("bad --suri: {e:?}"))
}

/// What Enrico writes: a file encrypted under a policy's key.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct EncryptedFile {
	/// `keymarket_primitives::policies::WIRE_VERSION`.
	pub version: u8,
	/// The policy whose key it is encrypted under.
	pub policy: PolicyId,
	/// umbral-pre capsule bytes.
	pub capsule: Vec<u8>,
	/// umbral-pre ciphertext.
	pub ciphertext: Vec<u8>,
}

/// Writes `bytes` to `path`, saying what failed.
pub fn write(path: &PathBuf, bytes: &[u8]) -> Result<(), String> {
	std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads `path`, saying what failed.
pub fn read(path: &PathBuf) -> Result<Vec<u8>, String> {
	std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::{CommandFactory, Parser};

	#[test]
	fn a_result_reads_as_lines_with_its_fields_as_words() {
		let result = json!({
			"decrypted": 36,
			"servedBy": { "5Ursula": 1, "aB3": 2 },
			"tickets": null,
			"problems": [{ "ursula": "5Other", "refused": "PolicyRevoked" }],
			"ursulas": ["5A", "5B"],
			"empty": [],
		});
		assert_eq!(
			as_lines(&result),
			"decrypted: 36\nempty: none\nproblems:\n  -\n    refused: PolicyRevoked\n    \
			 ursula: 5Other\nserved by:\n  5Ursula: 1\n  aB3: 2\ntickets: none\nursulas:\n  - 5A\n  - 5B\n"
		);
		// `alice list` of an owner with no policy says so.
		assert_eq!(as_lines(&json!([])), "none\n");
	}

	#[test]
	fn a_problem_names_the_ursula_or_gateway_and_the_reason() {
		let refused = json!({ "ursula": "5U", "refused": "Ticket(WrongCommitment)" });
		assert_eq!(describe_problem(&refused), "Ursula 5U: refused: Ticket(WrongCommitment)");
		let unsigned = json!({ "ursula": "5U", "unsigned": true });
		assert_eq!(describe_problem(&unsigned), "Ursula 5U: unsigned");
		let misdated = json!({ "ursula": "5U", "misdated": 9, "now": 3 });
		assert_eq!(describe_problem(&misdated), "Ursula 5U: misdated: 9, now: 3");
		let gateway = json!({ "gateway": "5G", "silentGateway": "no answer" });
		assert_eq!(describe_problem(&gateway), "gateway 5G: silent gateway: no answer");
	}

	/// `--help` of every client command says what the command does and what each flag means.
	#[test]
	fn every_client_command_and_flag_has_help() {
		fn check(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
			let path = format!("{path} {}", command.get_name());
			if command.get_about().is_none() {
				missing.push(format!("{path}: no description"));
			}
			for arg in command.get_arguments() {
				let id = arg.get_id().as_str();
				if id != "help" && id != "version" && arg.get_help().is_none() {
					missing.push(format!("{path} --{id}: no help"));
				}
			}
			for sub in command.get_subcommands() {
				check(sub, &path, missing);
			}
		}
		let cli = crate::cli::Cli::command();
		let mut missing = Vec::new();
		let mut seen = 0;
		for sub in cli.get_subcommands() {
			if ["alice", "bob", "enrico", "bench-ursula"].contains(&sub.get_name()) {
				seen += 1;
				check(sub, "keymarket-node", &mut missing);
			}
		}
		assert_eq!(seen, 4, "the client commands are found");
		assert!(missing.is_empty(), "{missing:#?}");
		// `--json` is taken after the command, as scripts write it.
		let parsed = crate::cli::Cli::try_parse_from([
			"keymarket-node",
			"bob",
			"keygen",
			"--out",
			"x.json",
			"--json",
		])
		.expect("parses");
		match parsed.subcommand {
			Some(crate::cli::Subcommand::Bob(bob)) => assert!(bob.output.json),
			other => panic!("{other:?}"),
		}
	}
}
