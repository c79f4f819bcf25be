//! The committee scheme of proofs of served work, the member's side (docs/activity.md): as a
//! member of the current round's committee (its gateways), the Ursula takes a worker's whole
//! record of a policy's period on `POST /v1/attest`, checks every request natively — to that
//! worker under that policy in that period, signed by the policy's Bob, without a ticket, each
//! fragment correct by the adjudicator's judge, no request twice — and signs ω and the root of
//! the records' tree for that round with its registered key. The worker gathers `t` signatures
//! and submits them ([`super::activity`]); the runtime checks them against the round's list.
//!
//! A member checks a worker's period at most [`MAX_ASKS`] times, so a worker cannot spend its
//! CPU by asking again and again; the endpoint takes a body of at most [`MAX_ATTEST_BYTES`].

use std::{collections::HashMap, sync::Arc, time::Duration};

use codec::{DecodeAll, Encode};
use keymarket_primitives::{
	activity::{
		attest_records, attestation_payload, AttestationError, AttestationRequest, ATTEST_VERSION,
	},
	crypto::{sr25519_signed, Sr25519Signature},
	policies::{ActivityTerms, PolicyId, PolicyStatus, ServiceWindow},
	staking::Period,
	AccountId,
};
use sp_core::crypto::Pair as _;

use super::{gateway::ChainView, service::Ursula};
use crate::clients::rpc;

/// The largest attestation request the endpoint reads: some 16,000 requests of one capsule.
pub const MAX_ATTEST_BYTES: usize = 16 * 1024 * 1024;

/// How often a member checks one worker's period.
pub const MAX_ASKS: u32 = 4;

/// How long a worker waits for a member's answer.
const ASK_DEADLINE: Duration = Duration::from_secs(30);

/// The member's side.
pub struct Attester {
	ursula: Arc<Ursula>,
	chain: Arc<dyn ChainView>,
	max_omega: u32,
	/// Checks made per (worker, policy, period).
	asked: std::sync::Mutex<HashMap<(AccountId, PolicyId, Period), u32>>,
}

impl Attester {
	pub fn new(ursula: Arc<Ursula>, chain: Arc<dyn ChainView>, max_omega: u32) -> Self {
		Self { ursula, chain, max_omega, asked: Default::default() }
	}

	/// Checks a worker's record (SCALE [`AttestationRequest`]) and signs what it found.
	pub fn attest(&self, bytes: &[u8]) -> Result<Sr25519Signature, AttestationError> {
		let request = AttestationRequest::<AccountId>::decode_all(&mut &bytes[..])
			.map_err(|_| AttestationError::Malformed)?;
		if request.version != ATTEST_VERSION {
			return Err(AttestationError::Malformed);
		}
		let me = &self.ursula.keys.worker;
		// The current round's committee, and a period that ended before it began.
		let round = self.chain.round(request.round).ok_or(AttestationError::WrongRound)?;
		if request.round != self.chain.current_round()
			|| request.period >= self.ursula.book.period()
		{
			return Err(AttestationError::WrongRound);
		}
		if !round.gateways.iter().any(|g| &g.worker == me) {
			return Err(AttestationError::NotAMember);
		}
		// Signed by the worker with the key the policy recorded for it: nobody else spends
		// this member's checks of the worker's period.
		let view = self.chain.policy(request.policy).ok_or(AttestationError::UnknownPolicy)?;
		let key = view
			.ursulas
			.iter()
			.zip(&view.signing_keys)
			.find_map(|(ursula, key)| (*ursula == request.worker).then_some(*key))
			.ok_or(AttestationError::BadSignature)?;
		if !sr25519_signed(&key, &request.signing_payload(), &request.signature) {
			return Err(AttestationError::BadSignature);
		}
		{
			let mut asked = self.asked.lock().expect("not poisoned");
			let now = self.ursula.book.period();
			asked.retain(|(_, _, period), _| period.saturating_add(4) >= now);
			let count =
				asked.entry((request.worker.clone(), request.policy, request.period)).or_default();
			if *count >= MAX_ASKS {
				return Err(AttestationError::RateLimited);
			}
			*count += 1;
		}
		let terms = ActivityTerms {
			bob: view.bob,
			bob_key: view.bob_key,
			verifying_key: view.verifying_key,
			policy_key: view.policy_key,
			window: ServiceWindow {
				start: view.start,
				end: view.end,
				revoked_at: match view.status {
					PolicyStatus::Revoked(at) => Some(at),
					_ => None,
				},
			},
			price: view.price,
			rate: view.rate,
		};
		let (omega, root) = attest_records(
			&request.records,
			&request.worker,
			&request.policy,
			request.period,
			&terms,
			self.max_omega,
		)?;
		let payload = attestation_payload(
			&request.worker,
			&request.policy,
			request.period,
			omega,
			&root,
			request.round,
		);
		log::info!(
			target: "ursula",
			"attested {omega} requests of {} (policy 0x{}, period {}) for round {}",
			request.worker,
			hex::encode(request.policy),
			request.period,
			request.round
		);
		Ok(self.ursula.keys.signer.sign(&payload).0)
	}
}

/// The HTTP status of a member's refusal.
pub fn status_of(error: AttestationError) -> u16 {
	match error {
		AttestationError::Malformed | AttestationError::BadOmega => 400,
		AttestationError::NotAMember | AttestationError::WrongRound => 409,
		AttestationError::BadSignature => 401,
		AttestationError::UnknownPolicy => 404,
		AttestationError::Record { .. } | AttestationError::Duplicate { .. } => 422,
		AttestationError::RateLimited => 429,
		AttestationError::Unavailable => 503,
	}
}

/// The current round's committee as a worker reaches it: the chain's draw and each member's
/// endpoint.
pub struct ClientCommittee {
	chain: Arc<dyn ChainView>,
}

impl ClientCommittee {
	pub fn new(chain: Arc<dyn ChainView>) -> Self {
		Self { chain }
	}
}

impl super::activity::Committee for ClientCommittee {
	fn current(&self) -> Option<(u32, super::activity::Seats, u32)> {
		let round = self.chain.current_round();
		let view = self.chain.round(round)?;
		let members = view.gateways.into_iter().map(|g| (g.worker, g.signing_key)).collect();
		Some((round, members, view.threshold))
	}

	fn ask(&self, member: &AccountId, request: &[u8]) -> Result<Sr25519Signature, String> {
		let endpoint = self.chain.endpoint(member).ok_or("no endpoint on chain")?;
		let (status, body) =
			rpc::post_within(&rpc::address_of(&endpoint)?, "/v1/attest", request, ASK_DEADLINE)?;
		if status == 200 {
			let (version, signature) = <(u8, Sr25519Signature)>::decode_all(&mut &body[..])
				.map_err(|e| format!("a garbled answer: {e}"))?;
			return (version == ATTEST_VERSION)
				.then_some(signature)
				.ok_or_else(|| format!("answer version {version}"));
		}
		match <(u8, AttestationError)>::decode_all(&mut &body[..]) {
			Ok((_, error)) => Err(format!("{status} {error:?}")),
			Err(_) => Err(format!("{status}")),
		}
	}
}

/// The answer to an attestation request: `200` with `(ATTEST_VERSION, signature)`, or the
/// refusal's status with `(ATTEST_VERSION, AttestationError)`, SCALE.
pub fn answer(attester: &Attester, body: &[u8]) -> (u16, Vec<u8>) {
	match attester.attest(body) {
		Ok(signature) => (200, (ATTEST_VERSION, signature).encode()),
		Err(error) => (status_of(error), (ATTEST_VERSION, error).encode()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use keymarket_primitives::{
		activity::{in_tree_order, Leaf, RecordFault, Tree},
		crypto::sr25519_signed,
		gateway::{CaseView, GatewayView, RoundView},
		policies::{
			fixture::{BOB_KEY, CAPSULE, CORRECT_CFRAG, POLICY_KEY, VERIFYING_KEY, WRONG_CFRAG},
			PolicyView, ReencryptionRequest, RequestBody, ServedRecord, SignedCfrag, WIRE_VERSION,
		},
		Balance,
	};
	use sp_core::sr25519;

	const ROUND: u32 = 9;
	const POLICY: PolicyId = [4; 16];
	const PERIOD: Period = 3;

	fn pair(name: &str) -> sr25519::Pair {
		sr25519::Pair::from_string(&format!("//{name}"), None).unwrap()
	}

	fn account(name: &str) -> AccountId {
		pair(name).public().into()
	}

	/// This round's committee: //Ferdie (this node) and //Dave, unless `seated` is false.
	struct FakeChain {
		seated: bool,
	}

	impl ChainView for FakeChain {
		fn best_number(&self) -> u32 {
			90
		}
		fn current_round(&self) -> u32 {
			ROUND
		}
		fn round(&self, round: u32) -> Option<RoundView<AccountId>> {
			let names: &[&str] = if self.seated { &["Dave", "Ferdie"] } else { &["Dave"] };
			(round <= ROUND).then(|| RoundView {
				round,
				seed: [0; 32],
				gateways: names
					.iter()
					.map(|n| GatewayView { worker: account(n), signing_key: pair(n).public().0 })
					.collect(),
				threshold: 2,
			})
		}
		fn difficulty(&self) -> u8 {
			0
		}
		fn policy(&self, id: PolicyId) -> Option<PolicyView<AccountId, Balance>> {
			(id == POLICY).then(|| PolicyView {
				id,
				owner: account("Alice"),
				bob: account("Bob"),
				bob_key: BOB_KEY,
				verifying_key: VERIFYING_KEY,
				policy_key: POLICY_KEY,
				threshold: 1,
				ursulas: vec![account("Eve")],
				signing_keys: vec![pair("Eve").public().0],
				start: 0,
				end: 100,
				rate: 1_000,
				price: 10,
				escrow: 100,
				paid: 0,
				paid_by_tickets: 0,
				paid_by_activity: 0,
				status: PolicyStatus::Active,
			})
		}
		fn endpoint(&self, _: &AccountId) -> Option<String> {
			None
		}
		fn cases_against(&self, _: &AccountId) -> Vec<CaseView<AccountId, Balance>> {
			vec![]
		}
	}

	/// Bob's request `sequence` (signed by `signer`) served by //Eve in [`PERIOD`].
	fn record(sequence: u64, signer: &str, cfrag: &[u8]) -> ServedRecord {
		let body = RequestBody {
			version: WIRE_VERSION,
			policy: POLICY,
			ursula: account("Eve"),
			bob: account("Bob"),
			sequence,
			capsules: vec![CAPSULE.to_vec()],
		};
		let signature = pair(signer).sign(&body.signing_payload()).0;
		ServedRecord {
			version: WIRE_VERSION,
			request: ReencryptionRequest { body, signature, ticket: None },
			served_at: PERIOD,
			cfrags: vec![SignedCfrag { cfrag: cfrag.to_vec(), signature: [0; 64] }],
		}
	}

	fn honest() -> Vec<ServedRecord> {
		(0..3).map(|s| record(s, "Bob", &CORRECT_CFRAG)).collect()
	}

	fn request(round: u32, period: Period, records: Vec<ServedRecord>) -> Vec<u8> {
		signed_by("Eve", round, period, records)
	}

	fn signed_by(signer: &str, round: u32, period: Period, records: Vec<ServedRecord>) -> Vec<u8> {
		let mut request = AttestationRequest {
			version: ATTEST_VERSION,
			worker: account("Eve"),
			policy: POLICY,
			period,
			round,
			records,
			signature: [0; 64],
		};
		request.signature = pair(signer).sign(&request.signing_payload()).0;
		request.encode()
	}

	fn attester(dir: &std::path::Path, seated: bool) -> Attester {
		let ursula = Ursula::for_tests(dir, pair("Ferdie"), 100);
		ursula.book.set_period(PERIOD + 1);
		Attester::new(Arc::new(ursula), Arc::new(FakeChain { seated }), 1_000)
	}

	#[test]
	fn a_member_signs_the_distinct_valid_requests_it_checked() {
		let dir = tempfile::tempdir().unwrap();
		let attester = attester(dir.path(), true);
		// Bob's signatures are randomised: the records the member checks are these.
		let records = honest();
		let signature = attester.attest(&request(ROUND, PERIOD, records.clone())).expect("signed");
		let leaves: Vec<Leaf> = in_tree_order(&records).iter().map(|(l, _)| *l).collect();
		let root = Tree::build(&leaves).root();
		let payload = attestation_payload(&account("Eve"), &POLICY, PERIOD, 3, &root, ROUND);
		assert!(sr25519_signed(&pair("Ferdie").public().0, &payload, &signature));
		let (status, body) = answer(&attester, &request(ROUND, PERIOD, honest()));
		assert_eq!(status, 200);
		assert_eq!(body[0], ATTEST_VERSION);
	}

	#[test]
	fn a_member_refuses_what_it_cannot_vouch_for() {
		let dir = tempfile::tempdir().unwrap();
		let attester = attester(dir.path(), true);
		let refused = |bytes: Vec<u8>| attester.attest(&bytes).unwrap_err();
		assert_eq!(refused(vec![1, 2, 3]), AttestationError::Malformed);
		// Another version of the wire format: the version is its first byte.
		let mut newer = request(ROUND, PERIOD, honest());
		newer[0] = ATTEST_VERSION + 1;
		assert_eq!(refused(newer), AttestationError::Malformed);
		// A policy the member's chain does not hold.
		let mut unknown =
			AttestationRequest::<AccountId>::decode_all(&mut &request(ROUND, PERIOD, honest())[..])
				.unwrap();
		unknown.policy = [5; 16];
		unknown.signature = pair("Eve").sign(&unknown.signing_payload()).0;
		assert_eq!(refused(unknown.encode()), AttestationError::UnknownPolicy);
		assert_eq!(status_of(AttestationError::UnknownPolicy), 404);
		// Another round; a period not over.
		assert_eq!(refused(request(ROUND - 1, PERIOD, honest())), AttestationError::WrongRound);
		assert_eq!(refused(request(ROUND, PERIOD + 1, honest())), AttestationError::WrongRound);
		// Nothing, a request twice, a forged request, a wrong fragment.
		assert_eq!(refused(request(ROUND, PERIOD, vec![])), AttestationError::BadOmega);
		let mut twice = honest();
		twice.push(twice[1].clone());
		assert_eq!(
			refused(request(ROUND, PERIOD, twice)),
			AttestationError::Duplicate { index: 3 }
		);
		let mut forged = honest();
		forged[2] = record(7, "Mallory", &CORRECT_CFRAG);
		assert_eq!(
			refused(request(ROUND, PERIOD, forged)),
			AttestationError::Record { index: 2, fault: RecordFault::NotSignedByBob }
		);
		let wrong = vec![record(0, "Bob", &WRONG_CFRAG)];
		let dir2 = tempfile::tempdir().unwrap();
		let fresh = super::tests::attester(dir2.path(), true);
		assert_eq!(
			fresh.attest(&request(ROUND, PERIOD, wrong)).unwrap_err(),
			AttestationError::Record { index: 0, fault: RecordFault::IncorrectCfrag }
		);
		// Someone else asking in Eve's name is refused before it counts.
		assert_eq!(
			refused(signed_by("Mallory", ROUND, PERIOD, honest())),
			AttestationError::BadSignature
		);
		// Asked too often for one period: refused before any check.
		attester.attest(&request(ROUND, PERIOD, honest())).expect("the fourth check");
		assert_eq!(refused(request(ROUND, PERIOD, honest())), AttestationError::RateLimited);
		assert_eq!(status_of(AttestationError::RateLimited), 429);
		// Not on the committee.
		let dir3 = tempfile::tempdir().unwrap();
		let outsider = super::tests::attester(dir3.path(), false);
		assert_eq!(
			outsider.attest(&request(ROUND, PERIOD, honest())).unwrap_err(),
			AttestationError::NotAMember
		);
	}
}
