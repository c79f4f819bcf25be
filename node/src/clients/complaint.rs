//! Bob's complaint about a silent Ursula: to a gateway of the current round (not the accused),
//! with his exact request, a fresh nonce, the chain's proof of work and his signature.

use codec::{DecodeAll, Encode};
use keymarket_primitives::{
	gateway::{
		find_work, Complaint, ComplaintBody, ComplaintError, ComplaintOutcome, GATEWAY_VERSION,
	},
	policies::ReencryptionResponse,
	AccountId,
};
use sp_core::{crypto::Pair as _, sr25519};

use super::{
	chain::{Chain, BEST},
	rpc::{self, typed},
};
use crate::rpc::{gateway::GatewayApiClient, staking::StakingApiClient};

/// What came of a complaint.
#[derive(Debug)]
pub enum Complained {
	/// A gateway got the Ursula's answer.
	Answered(ReencryptionResponse),
	/// The Ursula refused the forwarded request.
	Refused(String),
	/// The round's gateways proved it silent.
	Proven { round: u32, signers: u32 },
	/// Too few gateways confirmed the silence.
	NotProven { signers: u32, needed: u32 },
}

impl std::fmt::Display for Complained {
	fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
		match self {
			Self::Answered(_) => write!(f, "answered through a gateway"),
			Self::Refused(why) => write!(f, "refused the gateway's forward: {why}"),
			Self::Proven { round, signers } => {
				write!(f, "proven unavailable in round {round} by {signers} gateways")
			},
			Self::NotProven { signers, needed } => {
				write!(f, "not proven: {signers} of {needed} gateways confirmed")
			},
		}
	}
}

/// Complains about `ursula`, which stayed silent on `request` (its SCALE bytes, as sent), to
/// the first gateway of the current round that is not the accused and takes the complaint.
pub fn complain(
	chain: &Chain,
	bob: &sr25519::Pair,
	ursula: &AccountId,
	request: &[u8],
) -> Result<Complained, String> {
	let round = typed(chain.api().gateways(None, BEST))?.ok_or("no gateways this round")?;
	let difficulty = typed(chain.api().complaint_difficulty(BEST))?;
	let mut refusals = Vec::new();
	for gateway in round.gateways.iter().filter(|g| &g.worker != ursula) {
		let Some(view) = typed(chain.api().ursula(gateway.worker.clone(), BEST))? else {
			continue;
		};
		let endpoint = String::from_utf8_lossy(&view.endpoint).into_owned();
		let mut nonce = [0u8; 16];
		getrandom::getrandom(&mut nonce).map_err(|e| e.to_string())?;
		let mut body = ComplaintBody {
			version: GATEWAY_VERSION,
			round: round.round,
			gateway: gateway.worker.clone(),
			request: request.to_vec(),
			nonce,
			work: 0,
		};
		body.work = find_work(&body, difficulty, 0);
		let signature = bob.sign(&body.signing_payload()).0;
		let complaint = Complaint { body, signature }.encode();
		let answer = rpc::address_of(&endpoint)
			.and_then(|address| rpc::post(&address, "/v1/complain", &complaint));
		match answer {
			Ok((200, bytes)) => {
				let outcome = ComplaintOutcome::decode_all(&mut &bytes[..])
					.map_err(|e| format!("the gateway answered garbage: {e}"))?;
				return Ok(match outcome {
					ComplaintOutcome::Answered(response) => Complained::Answered(
						ReencryptionResponse::decode_all(&mut &response[..])
							.map_err(|e| format!("a forwarded answer is garbage: {e}"))?,
					),
					ComplaintOutcome::Refused(error) => Complained::Refused(
						<keymarket_primitives::policies::RequestError>::decode_all(&mut &error[..])
							.map(|e| format!("{e:?}"))
							.unwrap_or_else(|_| "garbage".into()),
					),
					ComplaintOutcome::Proven { round, signers } => {
						Complained::Proven { round, signers }
					},
					ComplaintOutcome::NotProven { signers, needed } => {
						Complained::NotProven { signers, needed }
					},
				});
			},
			Ok((status, bytes)) => {
				let why = <(u8, ComplaintError)>::decode_all(&mut &bytes[..])
					.map(|(_, e)| format!("{e:?}"))
					.unwrap_or_else(|_| format!("HTTP {status}"));
				refusals.push(format!("{}: {why}", gateway.worker));
			},
			Err(e) => refusals.push(format!("{}: {e}", gateway.worker)),
		}
	}
	Err(format!("no gateway took the complaint ({})", refusals.join("; ")))
}
