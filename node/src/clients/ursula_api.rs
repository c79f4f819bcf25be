//! Asking an Ursula: one signed re-encryption request over HTTP, its answer decoded.

use codec::{DecodeAll, Encode};
use keymarket_primitives::{
	lottery::Ticket,
	policies::{
		PolicyId, ReencryptionRequest, ReencryptionResponse, RequestBody, RequestError,
		WIRE_VERSION,
	},
	AccountId, Balance,
};
use sp_core::{crypto::Pair as _, sr25519};

use super::rpc;

/// Sends `capsules` to `ursula` at `endpoint` (`http://host:port`) as Bob's request number
/// `sequence` on `policy`, signed by `signer` (Bob's key when `bob` is Bob): [`signed_request`]
/// then [`send`].
#[allow(dead_code)] // The integration tests ask Ursulas this way.
pub fn reencrypt(
	endpoint: &str,
	signer: &sr25519::Pair,
	bob: &AccountId,
	policy: PolicyId,
	ursula: &AccountId,
	sequence: u64,
	capsules: Vec<Vec<u8>>,
) -> Result<Result<ReencryptionResponse, RequestError>, String> {
	send(endpoint, ursula, &signed_request(signer, bob, policy, ursula, sequence, capsules))
}

/// Sends a signed request's SCALE bytes to `ursula` at `endpoint` (`http://host:port`).
/// `Ok(Err(_))` is the Ursula's refusal; `Err(_)` a transport failure or an answer that is not
/// the protocol's.
pub fn send(
	endpoint: &str,
	ursula: &AccountId,
	request: &[u8],
) -> Result<Result<ReencryptionResponse, RequestError>, String> {
	let (status, answer) = rpc::post(&rpc::address_of(endpoint)?, "/v1/reencrypt", request)?;
	decode_answer(ursula, status, &answer)
}

/// The SCALE bytes of a request signed by `signer`.
pub fn signed_request(
	signer: &sr25519::Pair,
	bob: &AccountId,
	policy: PolicyId,
	ursula: &AccountId,
	sequence: u64,
	capsules: Vec<Vec<u8>>,
) -> Vec<u8> {
	sign_request(signer, request_body(bob, policy, ursula, sequence, capsules), None).encode()
}

/// The body of Bob's request number `sequence` to `ursula` under `policy`.
pub fn request_body(
	bob: &AccountId,
	policy: PolicyId,
	ursula: &AccountId,
	sequence: u64,
	capsules: Vec<Vec<u8>>,
) -> RequestBody {
	RequestBody {
		version: WIRE_VERSION,
		policy,
		ursula: ursula.clone(),
		bob: bob.clone(),
		sequence,
		capsules,
	}
}

/// `body` signed by `signer`: with `ticket`, one signature of the ticket, which names the body
/// by its hash (set here); without, of the body.
pub fn sign_request(
	signer: &sr25519::Pair,
	body: RequestBody,
	ticket: Option<Ticket<AccountId, Balance>>,
) -> ReencryptionRequest {
	match ticket {
		Some(mut ticket) => {
			ticket.request_hash = sp_crypto_hashing::blake2_256(&body.encode());
			let signature = signer.sign(&ticket.signing_payload()).0;
			ReencryptionRequest { body, signature, ticket: Some(ticket) }
		},
		None => {
			let signature = signer.sign(&body.signing_payload()).0;
			ReencryptionRequest { body, signature, ticket: None }
		},
	}
}

/// An Ursula's answer: its response, its refusal, or an error when it is neither.
pub fn decode_answer(
	ursula: &AccountId,
	status: u16,
	answer: &[u8],
) -> Result<Result<ReencryptionResponse, RequestError>, String> {
	if status == 200 {
		return ReencryptionResponse::decode_all(&mut &answer[..])
			.map(Ok)
			.map_err(|e| format!("{ursula} answered garbage: {e}"));
	}
	<(u8, RequestError)>::decode_all(&mut &answer[..])
		.map(|(_, error)| Err(error))
		.map_err(|_| format!("{ursula} answered HTTP {status}"))
}
