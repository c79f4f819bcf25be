//! Enrico: encrypts a file under a policy's key, offline but for reading the key from chain.

use std::path::PathBuf;

use codec::Encode;
use keymarket_primitives::policies::WIRE_VERSION;
use serde_json::json;
use umbral_pre::DefaultSerialize;

use super::{
	chain::{self, Chain, BEST},
	rpc::typed,
	EncryptedFile, Output, Progress, RpcFlag,
};
use crate::rpc::policies::PoliciesApiClient;

/// Enrico's command.
#[derive(Debug, clap::Subcommand)]
pub enum EnricoCmd {
	/// Encrypt a file under a policy's key (read from chain).
	Encrypt {
		/// The policy id (hex).
		#[arg(long)]
		policy: String,
		/// The plaintext file.
		#[arg(long = "in")]
		input: PathBuf,
		/// Where to write the encrypted file.
		#[arg(long)]
		out: PathBuf,
		#[command(flatten)]
		rpc: RpcFlag,
	},
}

impl EnricoCmd {
	/// Runs the command, printing its result as `output` says.
	pub fn run(&self, output: Output) -> Result<(), String> {
		let EnricoCmd::Encrypt { policy, input, out, rpc } = self;
		let progress = Progress::new();
		let chain = Chain::new(&rpc.rpc)?;
		let id = super::policy_id(policy)?;
		let view = typed(chain.api().policy(id.to_vec().into(), BEST))?
			.ok_or_else(|| format!("policy {policy}: no such policy"))?;
		let key = umbral_pre::PublicKey::try_from_compressed_bytes(&view.policy_key)
			.map_err(|e| format!("the policy's key: {e}"))?;
		progress.step(format!("reading {}", input.display()));
		let plaintext = super::read(input)?;
		progress.step(format!("encrypting {} bytes under policy {policy}", plaintext.len()));
		let (capsule, ciphertext) =
			umbral_pre::encrypt(&key, &plaintext).map_err(|e| e.to_string())?;
		let file = EncryptedFile {
			version: WIRE_VERSION,
			policy: id,
			capsule: capsule.to_bytes().map_err(|e| e.to_string())?.into_vec(),
			ciphertext: ciphertext.into_vec(),
		};
		super::write(out, &file.encode())?;
		drop(progress);
		output.print(&json!({ "policy": policy, "capsule": chain::hex_of(&file.capsule) }));
		Ok(())
	}
}
