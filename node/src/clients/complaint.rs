//! Bob's complaint about a silent Ursula: to a gateway of the current round (not the accused),
//! with his exact request, a fresh nonce, the chain's proof of work and his signature; and about
//! a silent gateway on the way, to a gateway of the round before, with his complaint to it.

use codec::{DecodeAll, Encode};
use keymarket_primitives::{
	gateway::{ClaimKind, Complaint, ComplaintBody, ComplaintError, ComplaintOutcome},
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
	/// It already has a case for the round.
	AlreadyAccused { round: u32 },
	/// A silent gateway complained about answered after all, refusing the complaint.
	GatewayRefused(String),
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
			Self::AlreadyAccused { round } => write!(f, "already accused for round {round}"),
			Self::GatewayRefused(why) => write!(f, "the gateway refused the complaint: {why}"),
		}
	}
}

/// What Bob's complaints came to: about the Ursula, and about each gateway that stayed silent
/// on the way (complained about to the round before).
#[derive(Debug)]
pub struct Complaints {
	pub outcome: Result<Complained, String>,
	pub silent_gateways: Vec<(AccountId, Result<Complained, String>)>,
}

/// Bob's signed complaint to `gateway` of `round` about `message`, its work done.
fn signed_complaint(
	bob: &sr25519::Pair,
	round: u32,
	gateway: &AccountId,
	kind: ClaimKind,
	message: &[u8],
	difficulty: u8,
) -> Result<Vec<u8>, String> {
	let mut nonce = [0u8; 16];
	getrandom::getrandom(&mut nonce).map_err(|e| e.to_string())?;
	let body =
		ComplaintBody::worked(round, gateway.clone(), kind, message.to_vec(), nonce, difficulty);
	let signature = bob.sign(&body.signing_payload()).0;
	Ok(Complaint { body, signature }.encode())
}

/// Sends `complaint` to `gateway`: `Err` when it is silent, `Ok(Err)` when it refuses.
fn send(
	chain: &Chain,
	gateway: &AccountId,
	complaint: &[u8],
) -> Result<Result<Complained, String>, String> {
	let view = typed(chain.api().ursula(gateway.clone(), BEST))?.ok_or("not an Ursula")?;
	let endpoint = String::from_utf8_lossy(&view.endpoint).into_owned();
	let (status, bytes) = rpc::address_of(&endpoint)
		.and_then(|address| rpc::post(&address, "/v1/complain", complaint))?;
	if status != 200 {
		return Ok(Err(<(u8, ComplaintError)>::decode_all(&mut &bytes[..])
			.map(|(_, e)| format!("{e:?}"))
			.unwrap_or_else(|_| format!("HTTP {status}"))));
	}
	let outcome = ComplaintOutcome::decode_all(&mut &bytes[..])
		.map_err(|e| format!("the gateway answered garbage: {e}"))?;
	Ok(Ok(match outcome {
		ComplaintOutcome::Answered(response) => Complained::Answered(
			ReencryptionResponse::decode_all(&mut &response[..])
				.map_err(|e| format!("a forwarded answer is garbage: {e}"))?,
		),
		ComplaintOutcome::Refused(error) => Complained::Refused(
			<keymarket_primitives::policies::RequestError>::decode_all(&mut &error[..])
				.map(|e| format!("{e:?}"))
				.unwrap_or_else(|_| "garbage".into()),
		),
		ComplaintOutcome::Proven { round, signers } => Complained::Proven { round, signers },
		ComplaintOutcome::NotProven { signers, needed } => {
			Complained::NotProven { signers, needed }
		},
		ComplaintOutcome::AlreadyAccused { round } => Complained::AlreadyAccused { round },
		ComplaintOutcome::GatewayRefused(error) => Complained::GatewayRefused(format!("{error:?}")),
	}))
}

/// Complains about `ursula`, which stayed silent on `request` (its SCALE bytes, as sent), to
/// the first gateway of the current round that is not the accused and takes the complaint. A
/// gateway that stays silent itself is complained about to the gateways of the round before
/// (one level: a proof of an older round would come too late), and the next one is tried.
pub fn complain(
	chain: &Chain,
	bob: &sr25519::Pair,
	ursula: &AccountId,
	request: &[u8],
) -> Complaints {
	let mut silent_gateways = Vec::new();
	let outcome = (|| {
		let round = typed(chain.api().gateways(None, BEST))?.ok_or("no gateways this round")?;
		let difficulty = typed(chain.api().complaint_difficulty(BEST))?;
		let mut refusals = Vec::new();
		for gateway in round.gateways.iter().filter(|g| &g.worker != ursula) {
			let complaint = signed_complaint(
				bob,
				round.round,
				&gateway.worker,
				ClaimKind::Serve,
				request,
				difficulty,
			)?;
			match send(chain, &gateway.worker, &complaint) {
				Ok(Ok(outcome)) => return Ok(outcome),
				Ok(Err(why)) => refusals.push(format!("{}: {why}", gateway.worker)),
				Err(e) => {
					refusals.push(format!("{}: {e}", gateway.worker));
					let about = complain_about_gateway(
						chain,
						bob,
						&gateway.worker,
						round.round,
						&complaint,
						difficulty,
					);
					silent_gateways.push((gateway.worker.clone(), about));
				},
			}
		}
		Err(format!("no gateway took the complaint ({})", refusals.join("; ")))
	})();
	Complaints { outcome, silent_gateways }
}

/// Complains about `silent`, a gateway of `round` that did not answer `complaint` (Bob's, to
/// it), to the first gateway of the round before that takes it.
pub fn complain_about_gateway(
	chain: &Chain,
	bob: &sr25519::Pair,
	silent: &AccountId,
	round: u32,
	complaint: &[u8],
	difficulty: u8,
) -> Result<Complained, String> {
	let before = round.checked_sub(1).ok_or("no round before the first")?;
	let gateways =
		typed(chain.api().gateways(Some(before), BEST))?.ok_or("the round before is forgotten")?;
	let mut refusals = Vec::new();
	for gateway in gateways.gateways.iter().filter(|g| &g.worker != silent) {
		let about = signed_complaint(
			bob,
			before,
			&gateway.worker,
			ClaimKind::Mediate,
			complaint,
			difficulty,
		)?;
		match send(chain, &gateway.worker, &about) {
			Ok(Ok(outcome)) => return Ok(outcome),
			Ok(Err(why)) => refusals.push(format!("{}: {why}", gateway.worker)),
			Err(e) => refusals.push(format!("{}: {e}", gateway.worker)),
		}
	}
	Err(format!("no gateway of round {before} took the complaint ({})", refusals.join("; ")))
}
