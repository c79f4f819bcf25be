//! Bob: makes his key, retrieves capsule fragments from a policy's Ursulas, checks each (the
//! Ursula's signature, then umbral-pre's proof), decrypts with M good ones, and reports a wrong
//! one to the adjudicator.

use std::path::PathBuf;

use codec::DecodeAll;
use frame_support::BoundedVec;
use keymarket_primitives::{
	crypto::sr25519_signed,
	policies::{cfrag_signing_payload, judge_cfrag, CfragEvidence, CfragVerdict, RequestError},
	AccountId,
};
use keymarket_runtime::RuntimeCall;
use serde_json::{json, Value};
use sp_core::crypto::Pair as _;
use umbral_pre::{Capsule, CapsuleFrag, DefaultDeserialize};

use super::{
	chain::{self, Chain, BEST},
	rpc::typed,
	EncryptedFile, KeyFile, RpcFlag,
};
use crate::rpc::{policies::PoliciesApiClient, staking::StakingApiClient};

/// Bob's commands.
#[derive(Debug, clap::Subcommand)]
pub enum BobCmd {
	/// Make a key file; prints Bob's Umbral public key.
	Keygen {
		/// Where to write it (refuses to overwrite).
		#[arg(long)]
		out: PathBuf,
	},
	/// Retrieve fragments from the policy's Ursulas and decrypt an encrypted file.
	Retrieve {
		/// Bob's key file.
		#[arg(long)]
		keys: PathBuf,
		/// Bob's account (secret URI): signs the requests (and a report).
		#[arg(long)]
		suri: String,
		/// The encrypted file (from `enrico encrypt`).
		#[arg(long = "in")]
		input: PathBuf,
		/// Where to write the plaintext.
		#[arg(long)]
		out: PathBuf,
		/// Report a wrong fragment to the adjudicator (Bob pays the fee up front; it is refunded
		/// when the report is accepted).
		#[arg(long)]
		report: bool,
		/// Do not complain to a gateway about an Ursula that stays silent (by default Bob
		/// complains, and says what came of it).
		#[arg(long)]
		no_complaints: bool,
		#[command(flatten)]
		rpc: RpcFlag,
	},
}

/// Bob's Umbral key in his key file.
fn bob_key(keys: &KeyFile) -> umbral_pre::SecretKey {
	keys.key(b"bob")
}

impl BobCmd {
	/// Runs the command.
	pub fn run(&self) -> Result<(), String> {
		match self {
			BobCmd::Keygen { out } => {
				let keys = KeyFile::create(out)?;
				let key = super::public_bytes(&bob_key(&keys).public_key());
				println!("{}", json!({ "bobKey": chain::hex_of(&key) }));
				Ok(())
			},
			BobCmd::Retrieve { keys, suri, input, out, report, no_complaints, rpc } => {
				retrieve(keys, suri, input, out, *report, !*no_complaints, &rpc.rpc)
			},
		}
	}
}

/// A sequence number that grows across runs: microseconds since the Unix epoch.
fn fresh_sequence() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_micros() as u64)
		.unwrap_or_default()
}

fn retrieve(
	keys: &std::path::Path,
	suri: &str,
	input: &PathBuf,
	out: &PathBuf,
	report: bool,
	complain: bool,
	rpc_url: &str,
) -> Result<(), String> {
	let chain = Chain::new(rpc_url)?;
	let bob_secret = bob_key(&KeyFile::open(keys)?);
	let bob = super::signer(suri)?;
	let file = EncryptedFile::decode_all(&mut &super::read(input)?[..])
		.map_err(|e| format!("{} is not an encrypted file: {e}", input.display()))?;
	let policy_hex = chain::hex_of(&file.policy);
	let now = typed(chain.api().current_period(BEST))?;
	let view = typed(chain.api().policy(file.policy.to_vec().into(), BEST))?
		.ok_or_else(|| format!("no policy {policy_hex}"))?;
	let (verifying, policy_key, bob_pk) = (view.verifying_key, view.policy_key, view.bob_key);
	let threshold = usize::from(view.threshold);
	let ursulas = view.ursulas;
	// Each Ursula's fragments are judged by the signing key the policy recorded for it — the
	// key the adjudicator uses — not by whatever it registers later.
	let signing_keys = view.signing_keys;
	if signing_keys.len() != ursulas.len() {
		return Err("the policy's view lists no signing key per Ursula".into());
	}
	let capsule = Capsule::from_bytes(&file.capsule).map_err(|e| format!("bad capsule: {e}"))?;
	let as_public = |bytes: &[u8; 33]| umbral_pre::PublicKey::try_from_compressed_bytes(bytes);

	let mut good = Vec::new();
	let mut problems = Vec::new();
	for (ursula, signing) in ursulas.iter().zip(signing_keys) {
		if good.len() == threshold {
			break;
		}
		let Some(ursula_view) = typed(chain.api().ursula(ursula.clone(), BEST))? else {
			problems.push(json!({ "ursula": ursula, "unbonded": true }));
			continue;
		};
		let endpoint = String::from_utf8_lossy(&ursula_view.endpoint).into_owned();
		let bob_account: AccountId = bob.public().into();
		let request = super::ursula_api::signed_request(
			&bob,
			&bob_account,
			file.policy,
			ursula,
			fresh_sequence(),
			vec![file.capsule.clone()],
		);
		let answer = super::ursula_api::send(&endpoint, ursula, &request);
		let silent = match &answer {
			Err(_) => true,
			Ok(Err(error)) => {
				matches!(error, RequestError::Unavailable | RequestError::RateLimited)
			},
			Ok(Ok(_)) => false,
		};
		let answer = if silent && complain {
			// A gateway of the round forwards the same request; if the Ursula stays silent for
			// the round's gateways too, they prove it.
			let complaints = super::complaint::complain(&chain, &bob, ursula, &request);
			for (gateway, outcome) in &complaints.silent_gateways {
				problems.push(match outcome {
					Ok(outcome) => {
						json!({ "gateway": gateway, "silentGateway": outcome.to_string() })
					},
					Err(e) => json!({ "gateway": gateway, "silentGatewayComplaintFailed": e }),
				});
			}
			match complaints.outcome {
				Ok(super::complaint::Complained::Answered(response)) => {
					problems.push(
						json!({ "ursula": ursula, "complained": "answered through a gateway" }),
					);
					Ok(Ok(response))
				},
				Ok(outcome) => {
					problems.push(json!({ "ursula": ursula, "complained": outcome.to_string() }));
					answer
				},
				Err(e) => {
					problems.push(json!({ "ursula": ursula, "complaintFailed": e }));
					answer
				},
			}
		} else {
			answer
		};
		let response = match answer {
			Ok(Ok(response)) => response,
			Ok(Err(error)) => {
				problems.push(json!({ "ursula": ursula, "refused": format!("{error:?}") }));
				continue;
			},
			Err(e) => {
				problems.push(json!({ "ursula": ursula, "unreachable": e }));
				continue;
			},
		};
		let Some(signed) = response.cfrags.first() else {
			problems.push(json!({ "ursula": ursula, "noFragment": true }));
			continue;
		};
		let payload = cfrag_signing_payload(
			&file.policy,
			ursula,
			response.served_at,
			&file.capsule,
			&signed.cfrag,
		);
		if response.ursula != *ursula || !sr25519_signed(&signing, &payload, &signed.signature) {
			problems.push(json!({ "ursula": ursula, "unsigned": true }));
			continue;
		}
		// The Ursula dates what it signs. A date far from now could put a wrong fragment
		// outside the policy's service or the evidence window, beyond punishment: such an
		// answer is not used (a period's slack either way covers a period boundary).
		if response.served_at.abs_diff(now) > 1 {
			problems.push(json!({ "ursula": ursula, "misdated": response.served_at, "now": now }));
			continue;
		}
		match judge_cfrag(&file.capsule, &signed.cfrag, &verifying, &policy_key, &bob_pk) {
			Ok(CfragVerdict::Correct) => {
				let cfrag = CapsuleFrag::from_bytes(&signed.cfrag).map_err(|e| e.to_string())?;
				good.push(cfrag.skip_verification());
			},
			verdict => {
				problems.push(json!({ "ursula": ursula, "wrongFragment": format!("{verdict:?}") }));
				if report {
					let evidence = CfragEvidence {
						policy: file.policy,
						served_at: response.served_at,
						capsule: BoundedVec::truncate_from(file.capsule.clone()),
						cfrag: BoundedVec::truncate_from(signed.cfrag.clone()),
						signature: signed.signature,
					};
					let call = RuntimeCall::Policies(
						pallet_keymarket_policies::Call::report_incorrect_cfrag {
							worker: ursula.clone(),
							evidence,
						},
					);
					let reported = chain.submit(&bob, call).map(|_| "accepted".to_string());
					problems.push(
						json!({ "ursula": ursula, "report": reported.unwrap_or_else(|e| e) }),
					);
				}
			},
		}
	}
	if good.len() < threshold {
		return Err(format!("{} of {threshold} fragments: {}", good.len(), Value::Array(problems)));
	}
	let delegating = as_public(&policy_key)?;
	let plaintext =
		umbral_pre::decrypt_reencrypted(&bob_secret, &delegating, &capsule, good, &file.ciphertext)
			.map_err(|e| format!("cannot decrypt: {e}"))?;
	super::write(out, &plaintext)?;
	println!("{}", json!({ "decrypted": plaintext.len(), "problems": problems }));
	Ok(())
}
