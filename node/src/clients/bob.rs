//! Bob: makes his key, retrieves capsule fragments from a policy's Ursulas (each request paid by
//! a ticket when the policy's payer authorized him), checks each (the Ursula's signature, then
//! umbral-pre's proof), decrypts with M good ones, and reports a wrong one to the adjudicator.

use std::path::PathBuf;

use codec::DecodeAll;
use codec::Encode;
use frame_support::BoundedVec;
use keymarket_primitives::{
	crypto::sr25519_signed,
	lottery::TicketError,
	policies::{
		cfrag_signing_payload, judge_cfrag, CfragEvidence, CfragVerdict, ReencryptionResponse,
		RequestError,
	},
	AccountId,
};
use keymarket_runtime::RuntimeCall;
use serde_json::{json, Value};
use sp_core::crypto::Pair as _;
use umbral_pre::{Capsule, CapsuleFrag, DefaultDeserialize};

use super::{
	chain::{self, Chain, BEST},
	rpc::typed,
	tickets::Tickets,
	EncryptedFile, KeyFile, Output, Progress, RpcFlag,
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
		/// Who pays Bob's tickets (SS58): by default the policy's owner. When the payer has
		/// authorized Bob for the policy (`alice tickets`), every request carries a ticket.
		#[arg(long)]
		payer: Option<AccountId>,
		/// One ticket in about this many wins: its face value is this many times the payer's
		/// price (at most the payer's deposit).
		#[arg(long, default_value_t = 100)]
		ticket_odds: u32,
		/// Retrieve and decrypt this many times (each time from the Ursulas, each request with
		/// its own sequence number and ticket); the output is written once.
		#[arg(long, default_value_t = 1)]
		repeat: u32,
		#[command(flatten)]
		rpc: RpcFlag,
	},
}

/// Bob's Umbral key in his key file.
fn bob_key(keys: &KeyFile) -> umbral_pre::SecretKey {
	keys.key(b"bob")
}

impl BobCmd {
	/// Runs the command, printing its result as `output` says.
	pub fn run(&self, output: Output) -> Result<(), String> {
		match self {
			BobCmd::Keygen { out } => {
				let keys = KeyFile::create(out)?;
				let key = super::public_bytes(&bob_key(&keys).public_key());
				output.print(&json!({ "bobKey": chain::hex_of(&key) }));
				Ok(())
			},
			BobCmd::Retrieve {
				keys,
				suri,
				input,
				out,
				report,
				no_complaints,
				payer,
				ticket_odds,
				repeat,
				rpc,
			} => {
				let options = Options {
					report: *report,
					complain: !*no_complaints,
					payer: payer.clone(),
					ticket_odds: *ticket_odds,
					repeat: (*repeat).max(1),
				};
				retrieve(keys, suri, input, out, &options, &rpc.rpc, output)
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

/// An Ursula's answer: its response or refusal, or why there was neither.
type Answer = Result<Result<ReencryptionResponse, RequestError>, String>;

/// How Bob retrieves.
struct Options {
	report: bool,
	complain: bool,
	payer: Option<AccountId>,
	ticket_odds: u32,
	repeat: u32,
}

/// What one retrieval needs, read from the chain once.
struct Retrieval {
	chain: Chain,
	bob: sp_core::sr25519::Pair,
	file: EncryptedFile,
	now: keymarket_primitives::staking::Period,
	view: keymarket_primitives::policies::PolicyView<AccountId, keymarket_primitives::Balance>,
	tickets: Option<Tickets>,
	/// Requests served with a ticket.
	ticketed: u64,
	/// Requests each Ursula served.
	served_by: std::collections::BTreeMap<AccountId, u64>,
	/// Each Ursula's endpoint, read once for all the retrievals (`None`: not bonded).
	endpoints: std::collections::HashMap<AccountId, Option<String>>,
	report: bool,
	complain: bool,
}

fn retrieve(
	keys: &std::path::Path,
	suri: &str,
	input: &PathBuf,
	out: &PathBuf,
	options: &Options,
	rpc_url: &str,
	output: Output,
) -> Result<(), String> {
	let chain = Chain::new(rpc_url)?;
	let bob_secret = bob_key(&KeyFile::open(keys)?);
	let bob = super::signer(suri)?;
	let file = EncryptedFile::decode_all(&mut &super::read(input)?[..])
		.map_err(|e| format!("{} is not an encrypted file: {e}", input.display()))?;
	let policy_hex = chain::hex_of(&file.policy);
	let now = typed(chain.api().current_period(BEST))?;
	let view = typed(chain.api().policy(file.policy.to_vec().into(), BEST))?
		.ok_or_else(|| format!("policy {policy_hex}: no such policy"))?;
	// Each Ursula's fragments are judged by the signing key the policy recorded for it — the
	// key the adjudicator uses — not by whatever it registers later.
	if view.signing_keys.len() != view.ursulas.len() {
		return Err(format!("policy {policy_hex}: the view lists no signing key per Ursula"));
	}
	let payer = options.payer.clone().unwrap_or_else(|| view.owner.clone());
	let tickets = Tickets::new(&chain, &payer, file.policy, options.ticket_odds)
		.map_err(|e| format!("policy {policy_hex}: tickets paid by {payer}: {e}"))?;
	let capsule = keymarket_primitives::msgpack::from_slice::<Capsule>(&file.capsule)
		.map_err(|e| format!("{}: bad capsule: {e}", input.display()))?;
	let delegating = umbral_pre::PublicKey::try_from_compressed_bytes(&view.policy_key)?;
	let mut retrieval = Retrieval {
		chain,
		bob,
		file,
		now,
		view,
		tickets,
		ticketed: 0,
		served_by: Default::default(),
		endpoints: Default::default(),
		report: options.report,
		complain: options.complain,
	};
	let mut plaintext = Vec::new();
	let mut problems = Vec::new();
	let progress = Progress::new();
	for round in 1..=options.repeat {
		let (good, found) = retrieval
			.fragments(&progress, round, options.repeat)
			.map_err(|e| format!("policy {policy_hex}: {e}"))?;
		problems = found;
		let threshold = usize::from(retrieval.view.threshold);
		if good.len() < threshold {
			let why: Vec<String> = problems.iter().map(super::describe_problem).collect();
			return Err(format!(
				"policy {policy_hex}: {} of {threshold} fragments needed: {}",
				good.len(),
				why.join("; ")
			));
		}
		plaintext = umbral_pre::decrypt_reencrypted(
			&bob_secret,
			&delegating,
			&capsule,
			good,
			&retrieval.file.ciphertext,
		)
		.map_err(|e| format!("policy {policy_hex}: cannot decrypt: {e}"))?
		.to_vec();
	}
	drop(progress);
	super::write(out, &plaintext)?;
	let tickets = retrieval.tickets.as_ref().map(|t| {
		json!({
			"payer": payer,
			"faceValue": t.face_value().to_string(),
			"served": retrieval.ticketed,
		})
	});
	output.print(&json!({
		"decrypted": plaintext.len(),
		"retrievals": options.repeat,
		"servedBy": retrieval.served_by,
		"tickets": tickets,
		"problems": problems,
	}));
	Ok(())
}

impl Retrieval {
	/// Bob's signed request to `ursula`, with a ticket when the policy's payer pays by them.
	fn request(&mut self, ursula: &AccountId) -> Result<Vec<u8>, String> {
		let bob_account: AccountId = self.bob.public().into();
		let body = super::ursula_api::request_body(
			&bob_account,
			self.file.policy,
			ursula,
			fresh_sequence(),
			vec![self.file.capsule.clone()],
		);
		let ticket = match self.tickets.as_mut() {
			Some(tickets) => Some(tickets.ticket(&self.chain, &body)?),
			None => None,
		};
		Ok(super::ursula_api::sign_request(&self.bob, body, ticket).encode())
	}

	/// Asks `ursula` at `endpoint`; a ticket refused for naming a commitment or round the
	/// Ursula has moved on from is made again from the chain, once.
	fn ask(&mut self, endpoint: &str, ursula: &AccountId) -> Result<(Vec<u8>, Answer), String> {
		let request = self.request(ursula)?;
		let answer = super::ursula_api::send(endpoint, ursula, &request);
		let stale = matches!(
			answer,
			Ok(Err(RequestError::Ticket(
				TicketError::WrongCommitment | TicketError::BadCreation | TicketError::Expired
			)))
		);
		match self.tickets.as_mut() {
			Some(tickets) if stale => {
				tickets.forget(ursula);
				let request = self.request(ursula)?;
				let answer = super::ursula_api::send(endpoint, ursula, &request);
				Ok((request, answer))
			},
			_ => Ok((request, answer)),
		}
	}

	/// Asks the policy's Ursulas in order until M good fragments are in: the good ones, and
	/// what went wrong with the others.
	/// `progress` shows which Ursula is asked, in retrieval `round` of `rounds`.
	fn fragments(
		&mut self,
		progress: &Progress,
		round: u32,
		rounds: u32,
	) -> Result<(Vec<umbral_pre::VerifiedCapsuleFrag>, Vec<Value>), String> {
		let threshold = usize::from(self.view.threshold);
		let ursulas: Vec<(AccountId, [u8; 32])> =
			self.view.ursulas.iter().cloned().zip(self.view.signing_keys.iter().copied()).collect();
		let mut good = Vec::new();
		let mut problems = Vec::new();
		for (ursula, signing) in &ursulas {
			if good.len() == threshold {
				break;
			}
			let retrieval =
				if rounds > 1 { format!("retrieval {round} of {rounds}: ") } else { String::new() };
			progress.step(format!(
				"{retrieval}{} of {threshold} fragments, asking Ursula {ursula}",
				good.len()
			));
			let endpoint = match self.endpoints.get(ursula) {
				Some(known) => known.clone(),
				None => {
					let view = typed(self.chain.api().ursula(ursula.clone(), BEST))
						.map_err(|e| format!("Ursula {ursula}: {e}"))?;
					let endpoint = view.map(|v| String::from_utf8_lossy(&v.endpoint).into_owned());
					self.endpoints.insert(ursula.clone(), endpoint.clone());
					endpoint
				},
			};
			let Some(endpoint) = endpoint else {
				problems.push(json!({ "ursula": ursula, "unbonded": true }));
				continue;
			};
			let (request, answer) =
				self.ask(&endpoint, ursula).map_err(|e| format!("Ursula {ursula}: {e}"))?;
			let answer = self.complain_if_silent(ursula, &request, answer, &mut problems);
			let response = match answer {
				Ok(Ok(response)) => {
					*self.served_by.entry(ursula.clone()).or_default() += 1;
					if self.tickets.is_some() {
						self.ticketed += 1;
					}
					response
				},
				Ok(Err(error)) => {
					problems.push(json!({ "ursula": ursula, "refused": format!("{error:?}") }));
					continue;
				},
				Err(e) => {
					problems.push(json!({ "ursula": ursula, "unreachable": e }));
					continue;
				},
			};
			let checked = self
				.check(ursula, signing, &response, &mut problems)
				.map_err(|e| format!("Ursula {ursula}: {e}"))?;
			if let Some(cfrag) = checked {
				good.push(cfrag);
			}
		}
		Ok((good, problems))
	}

	/// When `ursula` stayed silent, Bob complains to a gateway of the round, which forwards the
	/// same request; if the Ursula stays silent for the round's gateways too, they prove it.
	fn complain_if_silent(
		&self,
		ursula: &AccountId,
		request: &[u8],
		answer: Answer,
		problems: &mut Vec<Value>,
	) -> Answer {
		let silent = match &answer {
			Err(_) => true,
			Ok(Err(error)) => {
				matches!(error, RequestError::Unavailable | RequestError::RateLimited)
			},
			Ok(Ok(_)) => false,
		};
		if !silent || !self.complain {
			return answer;
		}
		let complaints = super::complaint::complain(&self.chain, &self.bob, ursula, request);
		for (gateway, outcome) in &complaints.silent_gateways {
			problems.push(match outcome {
				Ok(outcome) => json!({ "gateway": gateway, "silentGateway": outcome.to_string() }),
				Err(e) => json!({ "gateway": gateway, "silentGatewayComplaintFailed": e }),
			});
		}
		match complaints.outcome {
			Ok(super::complaint::Complained::Answered(response)) => {
				problems
					.push(json!({ "ursula": ursula, "complained": "answered through a gateway" }));
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
	}

	/// The response's fragment if it is good: signed by the key the policy recorded for the
	/// Ursula, dated now, and correct by umbral-pre's proof; a wrong one is reported to the
	/// adjudicator when Bob asked for that.
	fn check(
		&self,
		ursula: &AccountId,
		signing: &[u8; 32],
		response: &ReencryptionResponse,
		problems: &mut Vec<Value>,
	) -> Result<Option<umbral_pre::VerifiedCapsuleFrag>, String> {
		let file = &self.file;
		let Some(signed) = response.cfrags.first() else {
			problems.push(json!({ "ursula": ursula, "noFragment": true }));
			return Ok(None);
		};
		let payload = cfrag_signing_payload(
			&file.policy,
			ursula,
			response.served_at,
			&file.capsule,
			&signed.cfrag,
		);
		if response.ursula != *ursula || !sr25519_signed(signing, &payload, &signed.signature) {
			problems.push(json!({ "ursula": ursula, "unsigned": true }));
			return Ok(None);
		}
		// The Ursula dates what it signs. A date far from now could put a wrong fragment
		// outside the policy's service or the evidence window, beyond punishment: such an
		// answer is not used (a period's slack either way covers a period boundary).
		if response.served_at.abs_diff(self.now) > 1 {
			problems
				.push(json!({ "ursula": ursula, "misdated": response.served_at, "now": self.now }));
			return Ok(None);
		}
		let view = &self.view;
		match judge_cfrag(
			&file.capsule,
			&signed.cfrag,
			&view.verifying_key,
			&view.policy_key,
			&view.bob_key,
		) {
			Ok(CfragVerdict::Correct) => {
				let cfrag = CapsuleFrag::from_bytes(&signed.cfrag).map_err(|e| e.to_string())?;
				Ok(Some(cfrag.skip_verification()))
			},
			verdict => {
				problems.push(json!({ "ursula": ursula, "wrongFragment": format!("{verdict:?}") }));
				if self.report {
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
					let reported =
						self.chain.submit(&self.bob, call).map(|_| "accepted".to_string());
					problems.push(
						json!({ "ursula": ursula, "report": reported.unwrap_or_else(|e| e) }),
					);
				}
				Ok(None)
			},
		}
	}
}
