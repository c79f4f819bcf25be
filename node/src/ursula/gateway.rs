//! The Ursula as a gateway of its rounds, and as an accused (DESIGN.md section 7).
//!
//! - `POST /v1/complain` takes Bob's SCALE [`Complaint`]. Cheap checks first (version, round,
//!   addressee, work, then signatures and the policy, then replay and per-Bob and per-policy
//!   bounds); then Bob's exact request is forwarded to the accused with a deadline, as any Bob's
//!   request would come. An answer goes back to Bob. Silence: the round's other gateways are
//!   asked to try (`POST /v1/confirm`, a SCALE [`Confirmation`]); with the round's threshold of
//!   signatures, the proof goes to the outbox, and the off-chain worker submits it.
//! - A complaint about a silent gateway ([`ClaimKind::Mediate`], to a gateway of the round
//!   before the silent one's) runs the same way, but what is forwarded is Bob's complaint to the
//!   silent gateway (`POST /v1/complain` of its endpoint), and any outcome or refusal it gives is
//!   an answer: it mediated. If an accused Ursula stays silent and its case already exists for
//!   the round, the gateway says so (`AlreadyAccused`) instead of proving it again.
//! - `POST /v1/confirm`: Bob's complaint (carried in the confirmation) checked again — his
//!   signatures, his work, a gateway of the round as its addressee — then its own forward, and
//!   its signature of the claim if the accused stays silent for it too (once per claim: a second
//!   ask gets the same answer, never a second forward). Nobody but the policy's Bob, paying the
//!   work, makes the gateways forward anything.
//! - On every new best block, the accused side: each open case against this Ursula is answered
//!   with the capsule fragments of the complained request, through the outbox; a case against
//!   it as a silent gateway with the fragments the accused Ursula gave it, if it has them, or
//!   else passed on to the one it mediated for (`Gateway.pass_case`).

use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex},
	time::Duration,
};

use codec::{Decode, DecodeAll, Encode};
use keymarket_primitives::{
	crypto::sr25519_signed,
	gateway::{
		claim_signing_payload, open_complained, work_is_enough, CaseStatusView, CaseView,
		ClaimKind, Complaint, ComplaintBody, ComplaintError, ComplaintOutcome, Confirmation,
		Confirmed, GatewayApi, GatewayDuty, RoundView, SignerSet, UnavailabilityClaim,
		GATEWAY_VERSION, MAX_OUTBOX, OUTBOX_KEY,
	},
	policies::{
		PoliciesApi, PolicyId, PolicyStatus, PolicyView, ReencryptionRequest, ReencryptionResponse,
		RequestError,
	},
	staking::StakingApi,
	time::Round,
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{
	crypto::Pair as _,
	offchain::{OffchainStorage, STORAGE_PREFIX},
};

use super::service::Ursula;
use crate::clients::rpc;

/// What the gateway reads of the chain, as of the best block.
pub trait ChainView: Send + Sync {
	/// The best block's number.
	fn best_number(&self) -> u32;
	/// The current round.
	fn current_round(&self) -> Round;
	/// The gateways of `round`.
	fn round(&self, round: Round) -> Option<RoundView<AccountId>>;
	/// The complaint difficulty in force.
	fn difficulty(&self) -> u8;
	/// A policy.
	fn policy(&self, id: PolicyId) -> Option<PolicyView<AccountId, Balance>>;
	/// Where `worker` serves.
	fn endpoint(&self, worker: &AccountId) -> Option<String>;
	/// The recent cases against `worker`.
	fn cases_against(&self, worker: &AccountId) -> Vec<CaseView<AccountId, Balance>>;
}

/// [`ChainView`] over the node's client.
pub struct ClientView<B, C> {
	client: Arc<C>,
	_block: std::marker::PhantomData<B>,
}

impl<B, C> ClientView<B, C> {
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: Default::default() }
	}
}

impl<B, C> ChainView for ClientView<B, C>
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync,
	C::Api: PoliciesApi<B, AccountId, Balance>
		+ StakingApi<B, AccountId, Balance>
		+ GatewayApi<B, AccountId, Balance>,
{
	fn best_number(&self) -> u32 {
		use sp_runtime::traits::UniqueSaturatedInto;
		self.client.info().best_number.unique_saturated_into()
	}
	fn current_round(&self) -> Round {
		let best = self.client.info().best_hash;
		self.client.runtime_api().current_round(best).unwrap_or_default()
	}
	fn round(&self, round: Round) -> Option<RoundView<AccountId>> {
		let best = self.client.info().best_hash;
		self.client.runtime_api().round_gateways(best, round).ok().flatten()
	}
	fn difficulty(&self) -> u8 {
		let best = self.client.info().best_hash;
		self.client.runtime_api().complaint_difficulty(best).unwrap_or(u8::MAX)
	}
	fn policy(&self, id: PolicyId) -> Option<PolicyView<AccountId, Balance>> {
		let best = self.client.info().best_hash;
		self.client.runtime_api().policy(best, id).ok().flatten()
	}
	fn endpoint(&self, worker: &AccountId) -> Option<String> {
		let best = self.client.info().best_hash;
		let ursula = self.client.runtime_api().ursula(best, worker.clone()).ok().flatten()?;
		Some(String::from_utf8_lossy(&ursula.endpoint).into_owned())
	}
	fn cases_against(&self, worker: &AccountId) -> Vec<CaseView<AccountId, Balance>> {
		let best = self.client.info().best_hash;
		self.client.runtime_api().cases_of(best, worker.clone()).unwrap_or_default()
	}
}

/// Where prepared duties go: the node's persistent off-chain storage, read by the gateway
/// pallet's off-chain worker.
pub trait Outbox: Send + Sync {
	fn push(&self, duty: GatewayDuty<AccountId>) -> Result<(), String>;
}

/// [`Outbox`] in the node's off-chain storage.
pub struct OffchainOutbox<S> {
	storage: Mutex<S>,
	metrics: Option<Arc<super::metrics::Metrics>>,
}

impl<S> OffchainOutbox<S> {
	pub fn new(storage: S) -> Self {
		Self { storage: Mutex::new(storage), metrics: None }
	}

	/// Counts the duties handed over in `metrics`.
	pub fn with_metrics(mut self, metrics: Arc<super::metrics::Metrics>) -> Self {
		self.metrics = Some(metrics);
		self
	}

	/// Counts a duty of `kind` handed over.
	pub(super) fn count(&self, kind: &'static str) {
		if let Some(metrics) = &self.metrics {
			metrics.duty(kind);
		}
	}
}

impl<S: OffchainStorage> OffchainOutbox<S> {
	/// Appends `duty` to the list at `key`, unless it holds `limit` already.
	pub fn push_to<D: Encode + Decode + Clone>(
		&self,
		key: &[u8],
		limit: usize,
		duty: D,
	) -> Result<(), String> {
		let mut storage = self.storage.lock().expect("not poisoned");
		// The off-chain worker takes the list with a compare-and-set: so does this.
		for _ in 0..8 {
			let old = storage.get(STORAGE_PREFIX, key);
			let mut duties: Vec<D> = old
				.as_ref()
				.and_then(|bytes| Vec::decode_all(&mut &bytes[..]).ok())
				.unwrap_or_default();
			if duties.len() >= limit {
				return Err("the outbox is full".into());
			}
			duties.push(duty.clone());
			if storage.compare_and_set(STORAGE_PREFIX, key, old.as_deref(), &duties.encode()) {
				return Ok(());
			}
		}
		Err("the outbox kept changing".into())
	}
}

impl<S: OffchainStorage> Outbox for OffchainOutbox<S> {
	fn push(&self, duty: GatewayDuty<AccountId>) -> Result<(), String> {
		let kind = super::metrics::gateway_duty_kind(&duty);
		self.push_to(OUTBOX_KEY, MAX_OUTBOX * 4, duty)?;
		self.count(kind);
		Ok(())
	}
}

/// What the accused did with a forwarded request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Forwarded {
	/// A response with one fragment per capsule (SCALE bytes).
	Answered(Vec<u8>),
	/// A refusal that shows it read the request (SCALE `RequestError`).
	Refused(Vec<u8>),
	/// No answer within the deadline, a refusal for lack of capacity, or garbage.
	Silent,
}

/// The gateway's limits.
#[derive(Clone, Debug)]
pub struct GatewayLimits {
	/// How long the accused has to answer a forwarded request.
	pub forward_timeout: Duration,
	/// Complaints one Bob may make in a round.
	pub per_bob: u32,
	/// Complaints (and confirmations) one policy may cause in a round.
	pub per_policy: u32,
}

impl Default for GatewayLimits {
	fn default() -> Self {
		Self { forward_timeout: Duration::from_secs(3), per_bob: 8, per_policy: 16 }
	}
}

/// What a gateway remembers of its round.
#[derive(Default)]
struct RoundMemory {
	round: Round,
	nonces: HashSet<(AccountId, [u8; 16])>,
	complained: HashSet<[u8; 32]>,
	per_bob: HashMap<AccountId, u32>,
	per_policy: HashMap<PolicyId, u32>,
	/// Answers given to confirmations, by claim hash: asked again, answered the same.
	confirmed: HashMap<[u8; 32], Confirmed>,
	/// The work hashes of the complaints received this round, whatever became of them.
	worked: HashSet<[u8; 32]>,
}

/// The most work hashes a gateway remembers in a round; past it, it forgets them all and
/// starts again (a sender must have done that much fresh work to replay old work once more).
const MAX_WORKED: usize = 65_536;

/// A complaint that passed its checks.
struct Checked {
	/// The gateways of the complaint's round (its addressee's).
	round: RoundView<AccountId>,
	/// The current round: the innermost complaint's.
	now: Round,
	/// The Ursula that did not answer, or the silent gateway a complaint is about.
	accused: AccountId,
	/// The round the accused was silent in.
	silent_round: Round,
	/// Bob's request at the heart of the complaint, and its policy.
	request: ReencryptionRequest,
	policy: PolicyView<AccountId, Balance>,
}

/// The gateway and the accused side of one Ursula.
pub struct Gateway {
	ursula: Arc<Ursula>,
	chain: Arc<dyn ChainView>,
	outbox: Arc<dyn Outbox>,
	limits: GatewayLimits,
	memory: Mutex<RoundMemory>,
	/// The cases this Ursula answered, with the block it last handed the answer over.
	answered: Mutex<HashMap<Round, u32>>,
	/// The fragments accused Ursulas gave this gateway, by the hash of Bob's request: its
	/// answer if it is accused of not mediating.
	relayed: Mutex<HashMap<[u8; 32], Vec<Vec<u8>>>>,
}

/// Blocks after which an answer still needed is handed over again.
const ANSWER_RETRY_BLOCKS: u32 = 5;

/// The most relayed answers a gateway keeps (the oldest go first).
const MAX_RELAYED: usize = 1_024;

impl Gateway {
	pub fn new(
		ursula: Arc<Ursula>,
		chain: Arc<dyn ChainView>,
		outbox: Arc<dyn Outbox>,
		limits: GatewayLimits,
	) -> Self {
		Self {
			ursula,
			chain,
			outbox,
			limits,
			memory: Default::default(),
			answered: Default::default(),
			relayed: Default::default(),
		}
	}

	/// How long the accused has to answer a forwarded message: a request, or Bob's complaint to
	/// a gateway, which mediates it first (its own forward and its round's confirmations).
	fn forward_deadline(&self, kind: ClaimKind) -> Duration {
		match kind {
			ClaimKind::Serve => self.limits.forward_timeout,
			ClaimKind::Mediate => self.limits.forward_timeout * 3 + Duration::from_secs(4),
		}
	}

	/// Asks the gateway at `endpoint` to confirm: it forwards too, so it has the accused's
	/// deadline and a margin.
	fn ask(
		&self,
		endpoint: &str,
		kind: ClaimKind,
		confirmation: &[u8],
	) -> Result<(u16, Vec<u8>), String> {
		let deadline = self.forward_deadline(kind) * 2 + Duration::from_secs(2);
		rpc::post_within(&rpc::address_of(endpoint)?, "/v1/confirm", confirmation, deadline)
	}

	fn me(&self) -> &AccountId {
		&self.ursula.keys.worker
	}

	/// My index among `round`'s gateways.
	fn my_index(&self, round: &RoundView<AccountId>) -> Option<u32> {
		round.gateways.iter().position(|g| &g.worker == self.me()).map(|i| i as u32)
	}

	/// Whether `worker` is a gateway of `round`.
	fn is_gateway(&self, round: Round, worker: &AccountId) -> bool {
		self.chain.round(round).is_some_and(|r| r.gateways.iter().any(|g| &g.worker == worker))
	}

	/// Bob's request: signed by the policy's Bob, to one of its Ursulas (not to this gateway),
	/// under a policy in service.
	fn check_request(
		&self,
		request: &ReencryptionRequest,
	) -> Result<PolicyView<AccountId, Balance>, ComplaintError> {
		let body = &request.body;
		if !request.bob_signed() {
			return Err(ComplaintError::BadSignature);
		}
		let policy = self.chain.policy(body.policy).ok_or(ComplaintError::NotInService)?;
		if policy.bob != body.bob {
			return Err(ComplaintError::BadSignature);
		}
		if !policy.ursulas.contains(&body.ursula) || &body.ursula == self.me() {
			return Err(ComplaintError::NotInService);
		}
		if policy.status != PolicyStatus::Active {
			return Err(ComplaintError::NotInService);
		}
		Ok(policy)
	}

	/// Counts one complaint (or confirmation) against the round's per-policy bound, and, for a
	/// complaint, against Bob's.
	fn admit(
		&self,
		round: Round,
		bob: Option<&AccountId>,
		policy: PolicyId,
	) -> Result<(), ComplaintError> {
		let mut memory = self.memory.lock().expect("not poisoned");
		if memory.round != round {
			*memory = RoundMemory { round, ..Default::default() };
		}
		let on_policy = memory.per_policy.get(&policy).copied().unwrap_or(0);
		let on_bob = bob.map(|bob| memory.per_bob.get(bob).copied().unwrap_or(0)).unwrap_or(0);
		if on_policy >= self.limits.per_policy || on_bob >= self.limits.per_bob {
			return Err(ComplaintError::RateLimited);
		}
		*memory.per_policy.entry(policy).or_default() += 1;
		if let Some(bob) = bob {
			*memory.per_bob.entry(bob.clone()).or_default() += 1;
		}
		Ok(())
	}

	/// A complaint's work buys one check: work seen before this round is refused (`Replayed`)
	/// before any signature is checked, so replaying one worked complaint, forged or not, costs
	/// the gateway a hash and the sender fresh work for each check it wants. (Bob's own
	/// complaints are never refused by it: each has a fresh nonce, and so fresh work.)
	fn first_sight(&self, body: &ComplaintBody<AccountId>) -> Result<(), ComplaintError> {
		let work = body.work_hash();
		if !work_is_enough(&work, self.chain.difficulty()) {
			// Refused as `NotEnoughWork` by the checks, and not worth remembering.
			return Ok(());
		}
		let now = self.chain.current_round();
		let mut memory = self.memory.lock().expect("not poisoned");
		if memory.round != now {
			*memory = RoundMemory { round: now, ..Default::default() };
		}
		if memory.worked.len() >= MAX_WORKED {
			memory.worked.clear();
		}
		if !memory.worked.insert(work) {
			return Err(ComplaintError::Replayed);
		}
		Ok(())
	}

	/// Forwards Bob's exact message to the accused (a request to an Ursula, a complaint to a
	/// gateway) and judges what comes back.
	pub fn forward(
		&self,
		kind: ClaimKind,
		accused: &AccountId,
		message: &[u8],
		capsules: usize,
	) -> Forwarded {
		let Some(endpoint) = self.chain.endpoint(accused) else { return Forwarded::Silent };
		let address = match rpc::address_of(&endpoint) {
			Ok(address) => address,
			Err(_) => return Forwarded::Silent,
		};
		let (path, deadline) = match kind {
			ClaimKind::Serve => ("/v1/reencrypt", self.forward_deadline(kind)),
			ClaimKind::Mediate => ("/v1/complain", self.forward_deadline(kind)),
		};
		let answer = rpc::post_within(&address, path, message, deadline);
		match (kind, answer) {
			(ClaimKind::Serve, Ok((200, body))) => {
				match ReencryptionResponse::decode_all(&mut &body[..]) {
					Ok(response)
						if response.cfrags.len() == capsules && &response.ursula == accused =>
					{
						Forwarded::Answered(body)
					},
					_ => Forwarded::Silent,
				}
			},
			(ClaimKind::Serve, Ok((status, body))) => {
				match <(u8, RequestError)>::decode_all(&mut &body[..]) {
					// Out of capacity is no answer: Bob still has nothing.
					Ok((_, RequestError::Unavailable | RequestError::RateLimited)) => {
						Forwarded::Silent
					},
					Ok((_, error)) if status < 500 => Forwarded::Refused(error.encode()),
					_ => Forwarded::Silent,
				}
			},
			(ClaimKind::Mediate, Ok((200, body))) => {
				match ComplaintOutcome::decode_all(&mut &body[..]) {
					Ok(_) => Forwarded::Answered(body),
					Err(_) => Forwarded::Silent,
				}
			},
			(ClaimKind::Mediate, Ok((_, body))) => {
				match <(u8, ComplaintError)>::decode_all(&mut &body[..]) {
					// A gateway that cannot take complaints does not mediate.
					Ok((_, ComplaintError::Unavailable | ComplaintError::RateLimited)) => {
						Forwarded::Silent
					},
					Ok((_, error)) => Forwarded::Refused(error.encode()),
					Err(_) => Forwarded::Silent,
				}
			},
			(_, Err(_)) => Forwarded::Silent,
		}
	}

	/// Bob's complaint's own checks: its version; `addressee` a gateway of the complaint's
	/// round; for a complaint about a silent gateway, each complaint it wraps addressed to a
	/// gateway of the next round (another than the one around it), the innermost of the
	/// current round; the work; the request and its policy; Bob's signatures.
	fn check_complaint(
		&self,
		complaint: &Complaint<AccountId>,
		addressee: &AccountId,
	) -> Result<Checked, ComplaintError> {
		let body = &complaint.body;
		if body.version != GATEWAY_VERSION {
			return Err(ComplaintError::Malformed);
		}
		let opened = open_complained::<AccountId>(body.kind, &body.request)?;
		let now = self.chain.current_round();
		if body.round.saturating_add(opened.complaints.len() as Round) != now {
			return Err(ComplaintError::WrongRound);
		}
		let round = self.chain.round(body.round).ok_or(ComplaintError::Unavailable)?;
		if &body.gateway != addressee || !round.gateways.iter().any(|g| &g.worker == addressee) {
			return Err(ComplaintError::WrongGateway);
		}
		let mut around = (body.round, addressee);
		for wrapped in &opened.complaints {
			let c = &wrapped.body;
			if c.round != around.0 + 1 {
				return Err(ComplaintError::WrongRound);
			}
			if &c.gateway == around.1 || !self.is_gateway(c.round, &c.gateway) {
				return Err(ComplaintError::WrongGateway);
			}
			around = (c.round, &c.gateway);
		}
		let difficulty = self.chain.difficulty();
		if !work_is_enough(&body.work_hash(), difficulty) {
			return Err(ComplaintError::NotEnoughWork);
		}
		let request = opened.request.clone();
		let policy = self.check_request(&request)?;
		if opened.complaints.last().is_some_and(|c| c.body.gateway == request.body.ursula) {
			return Err(ComplaintError::WrongGateway);
		}
		opened.check_bob(difficulty)?;
		let bob: &[u8; 32] = request.body.bob.as_ref();
		if !sr25519_signed(bob, &body.signing_payload(), &complaint.signature) {
			return Err(ComplaintError::BadSignature);
		}
		let (accused, silent_round) = match opened.complaints.first() {
			Some(first) => (first.body.gateway.clone(), first.body.round),
			None => (request.body.ursula.clone(), body.round),
		};
		Ok(Checked { round, now, accused, silent_round, request, policy })
	}

	/// Keeps the fragments an accused Ursula gave this gateway for Bob's request.
	fn remember(&self, request: &[u8], response: &[u8]) {
		let Ok(response) = ReencryptionResponse::decode_all(&mut &response[..]) else { return };
		let mut relayed = self.relayed.lock().expect("not poisoned");
		if relayed.len() >= MAX_RELAYED {
			relayed.clear();
		}
		relayed.insert(
			sp_crypto_hashing::blake2_256(request),
			response.cfrags.into_iter().map(|c| c.cfrag).collect(),
		);
	}

	/// What Bob learns when the accused answered a forward: the Ursula's response, or the
	/// silent gateway's own outcome (it mediated after all).
	fn answered(kind: ClaimKind, response: Vec<u8>) -> ComplaintOutcome {
		match kind {
			ClaimKind::Serve => ComplaintOutcome::Answered(response),
			ClaimKind::Mediate => ComplaintOutcome::decode_all(&mut &response[..])
				.unwrap_or(ComplaintOutcome::Answered(response)),
		}
	}

	/// What Bob learns when the accused refused a forward.
	fn refused(kind: ClaimKind, error: Vec<u8>) -> ComplaintOutcome {
		match kind {
			ClaimKind::Serve => ComplaintOutcome::Refused(error),
			ClaimKind::Mediate => ComplaintOutcome::GatewayRefused(
				ComplaintError::decode_all(&mut &error[..]).unwrap_or(ComplaintError::Malformed),
			),
		}
	}

	/// Bob's complaint (SCALE bytes): see the module docs.
	pub fn complain(&self, bytes: &[u8]) -> Result<ComplaintOutcome, ComplaintError> {
		let complaint = Complaint::<AccountId>::decode_all(&mut &bytes[..])
			.map_err(|_| ComplaintError::Malformed)?;
		self.first_sight(&complaint.body)?;
		let checked = self.check_complaint(&complaint, self.me())?;
		let body = &complaint.body;
		let now = checked.now;
		let message_hash = sp_crypto_hashing::blake2_256(&body.request);
		{
			let mut memory = self.memory.lock().expect("not poisoned");
			if memory.round != now {
				*memory = RoundMemory { round: now, ..Default::default() };
			}
			let nonce = (checked.request.body.bob.clone(), body.nonce);
			if memory.nonces.contains(&nonce) || memory.complained.contains(&message_hash) {
				return Err(ComplaintError::Replayed);
			}
			memory.nonces.insert(nonce);
			memory.complained.insert(message_hash);
		}
		self.admit(now, Some(&checked.request.body.bob), checked.policy.id)?;

		let accused = checked.accused.clone();
		// One case per Ursula and round: once it has one, there is nothing more to prove.
		if self.chain.cases_against(&accused).iter().any(|c| c.round == checked.silent_round) {
			return Ok(ComplaintOutcome::AlreadyAccused { round: checked.silent_round });
		}
		let capsules = checked.request.body.capsules.len();
		match self.forward(body.kind, &accused, &body.request, capsules) {
			Forwarded::Answered(response) => {
				if body.kind == ClaimKind::Serve {
					self.remember(&body.request, &response);
				}
				return Ok(Self::answered(body.kind, response));
			},
			Forwarded::Refused(error) => return Ok(Self::refused(body.kind, error)),
			Forwarded::Silent => {},
		}
		let round = &checked.round;
		let claim = UnavailabilityClaim {
			ursula: accused.clone(),
			policy: checked.policy.id,
			request_hash: message_hash,
			round: round.round,
			deadline: self.chain.best_number(),
			kind: body.kind,
		};
		let payload = claim_signing_payload(&claim);
		let mut signatures = vec![(
			self.my_index(round).expect("checked above"),
			self.ursula.keys.signer.sign(&payload).0,
		)];
		let confirmation =
			Confirmation { claim: claim.clone(), complaint: complaint.clone() }.encode();
		let others: Vec<(u32, AccountId)> = round
			.gateways
			.iter()
			.enumerate()
			.filter(|(_, g)| &g.worker != self.me() && g.worker != accused)
			.map(|(i, g)| (i as u32, g.worker.clone()))
			.collect();
		// The others try at once, each on its own thread: their deadlines run side by side.
		let answers: Vec<(u32, Option<Confirmed>)> = std::thread::scope(|scope| {
			let asks: Vec<_> = others
				.iter()
				.map(|(index, worker)| {
					let confirmation = &confirmation;
					scope.spawn(move || {
						let answer = self.chain.endpoint(worker).and_then(|endpoint| {
							match self.ask(&endpoint, body.kind, confirmation) {
								Ok((200, body)) => Confirmed::decode_all(&mut &body[..]).ok(),
								_ => None,
							}
						});
						(*index, answer)
					})
				})
				.collect();
			asks.into_iter().filter_map(|ask| ask.join().ok()).collect()
		});
		for (index, answer) in answers {
			match answer {
				Some(Confirmed::Signed(signature)) => {
					let key = round.gateways[index as usize].signing_key;
					if sr25519_signed(&key, &payload, &signature) {
						signatures.push((index, signature));
					}
				},
				// Another gateway got the answer: it goes to Bob, and nobody signs.
				Some(Confirmed::Answered(response)) => {
					if body.kind == ClaimKind::Serve {
						self.remember(&body.request, &response);
					}
					return Ok(Self::answered(body.kind, response));
				},
				Some(Confirmed::Refused(error)) => return Ok(Self::refused(body.kind, error)),
				None => {},
			}
		}
		let signers = signatures.len() as u32;
		if signers < round.threshold.max(1) {
			return Ok(ComplaintOutcome::NotProven { signers, needed: round.threshold });
		}
		signatures.sort_by_key(|(index, _)| *index);
		let set = SignerSet::of(&signatures.iter().map(|(index, _)| *index).collect::<Vec<_>>());
		self.outbox
			.push(GatewayDuty::Prove {
				submitter: self.me().clone(),
				claim,
				request: body.request.clone(),
				signers: set,
				signatures: signatures.into_iter().map(|(_, signature)| signature).collect(),
			})
			.map_err(|e| {
				log::error!(target: "ursula", "cannot hand a proof over: {e}");
				ComplaintError::Unavailable
			})?;
		log::info!(
			target: "ursula",
			"proved {accused} silent ({:?}) in round {} with {signers} signatures",
			body.kind,
			checked.silent_round
		);
		Ok(ComplaintOutcome::Proven { round: checked.silent_round, signers })
	}

	/// Another gateway's confirmation request (SCALE bytes): see the module docs.
	pub fn confirm(&self, bytes: &[u8]) -> Result<Confirmed, ComplaintError> {
		let confirmation = Confirmation::<AccountId>::decode_all(&mut &bytes[..])
			.map_err(|_| ComplaintError::Malformed)?;
		let claim = &confirmation.claim;
		let body = &confirmation.complaint.body;
		if claim.round != body.round {
			return Err(ComplaintError::WrongRound);
		}
		if claim.kind != body.kind
			|| sp_crypto_hashing::blake2_256(&body.request) != claim.request_hash
		{
			return Err(ComplaintError::Malformed);
		}
		let key = sp_crypto_hashing::blake2_256(&claim.encode());
		if let Some(answer) = self.memory.lock().expect("not poisoned").confirmed.get(&key) {
			return Ok(answer.clone());
		}
		// Bob's complaint, checked here as its addressee checked it; and this node is a gateway
		// of the round too.
		let checked = self.check_complaint(&confirmation.complaint, &body.gateway)?;
		if self.my_index(&checked.round).is_none() || &body.gateway == self.me() {
			return Err(ComplaintError::WrongGateway);
		}
		if checked.accused != claim.ursula || checked.policy.id != claim.policy {
			return Err(ComplaintError::Malformed);
		}
		// The asking gateway gave up at its best block: not a block ahead of this one's.
		if claim.deadline > self.chain.best_number().saturating_add(1) {
			return Err(ComplaintError::WrongRound);
		}
		self.admit(checked.now, None, checked.policy.id)?;
		let capsules = checked.request.body.capsules.len();
		let answer = match self.forward(claim.kind, &claim.ursula, &body.request, capsules) {
			Forwarded::Answered(response) => Confirmed::Answered(response),
			Forwarded::Refused(error) => Confirmed::Refused(error),
			Forwarded::Silent => {
				Confirmed::Signed(self.ursula.keys.signer.sign(&claim_signing_payload(claim)).0)
			},
		};
		self.memory.lock().expect("not poisoned").confirmed.insert(key, answer.clone());
		Ok(answer)
	}

	/// The accused side: hands over the answer to each open case against this Ursula (again
	/// after [`ANSWER_RETRY_BLOCKS`] if it is still open). A case about a request is answered
	/// with its fragments; a case about a complaint this gateway did not mediate, with the
	/// fragments the Ursula gave it if it has them, else passed on to the one it mediated for.
	pub fn answer_cases(&self) {
		let best = self.chain.best_number();
		for case in self.chain.cases_against(self.me()) {
			if case.status != CaseStatusView::Open {
				continue;
			}
			let last = self.answered.lock().expect("not poisoned").get(&case.round).copied();
			if last.is_some_and(|at| best < at + ANSWER_RETRY_BLOCKS) {
				continue;
			}
			let duty = match self.case_duty(&case) {
				Ok(duty) => duty,
				Err(e) => {
					log::warn!(
						target: "ursula",
						"cannot answer the case of round {}: {e:?}",
						case.round
					);
					continue;
				},
			};
			match self.outbox.push(duty) {
				Ok(()) => {
					log::info!(
						target: "ursula",
						"answering the case of round {} on chain ({:?})",
						case.round,
						case.kind
					);
					self.answered.lock().expect("not poisoned").insert(case.round, best);
				},
				Err(e) => log::error!(target: "ursula", "cannot hand an answer over: {e}"),
			}
		}
	}

	/// The duty that answers `case`.
	fn case_duty(
		&self,
		case: &CaseView<AccountId, Balance>,
	) -> Result<GatewayDuty<AccountId>, RequestError> {
		let opened = open_complained::<AccountId>(case.kind, &case.request)
			.map_err(|_| RequestError::Malformed)?;
		let answer =
			|cfrags| GatewayDuty::Answer { ursula: self.me().clone(), round: case.round, cfrags };
		match case.kind {
			ClaimKind::Serve => self.ursula.answer_case(&opened.request).map(answer),
			ClaimKind::Mediate => {
				let relayed =
					self.relayed.lock().expect("not poisoned").get(&opened.request_hash).cloned();
				Ok(match relayed {
					Some(cfrags) => answer(cfrags),
					None => GatewayDuty::Pass { gateway: self.me().clone(), round: case.round },
				})
			},
		}
	}
}

/// The HTTP status of a complaint's refusal.
pub fn status_of(error: ComplaintError) -> u16 {
	use ComplaintError::*;
	match error {
		Malformed | NotEnoughWork => 400,
		BadSignature | WrongGateway => 403,
		NotInService => 404,
		WrongRound => 409,
		Replayed => 409,
		RateLimited => 429,
		Unavailable => 503,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use keymarket_primitives::gateway::{find_work, ComplaintBody, GatewayView};
	use sp_core::sr25519;

	const POLICY: PolicyId = [3; 16];
	const ROUND: Round = 7;
	const DIFFICULTY: u8 = 6;

	fn pair(name: &str) -> sr25519::Pair {
		sr25519::Pair::from_string(&format!("//{name}"), None).unwrap()
	}

	fn account(name: &str) -> AccountId {
		pair(name).public().into()
	}

	/// A chain where this gateway (//Ferdie) and //Dave are the gateways of this round and the
	/// last, //Charlie of this one too, //Eve serves the policy, every endpoint is one nobody
	/// listens on, and //Bob is the grantee.
	struct FakeChain;

	impl ChainView for FakeChain {
		fn best_number(&self) -> u32 {
			36
		}
		fn current_round(&self) -> Round {
			ROUND
		}
		fn round(&self, round: Round) -> Option<RoundView<AccountId>> {
			let names: &[&str] = match round {
				ROUND => &["Ferdie", "Dave", "Charlie"],
				r if r == ROUND - 1 => &["Ferdie", "Dave"],
				_ => return None,
			};
			Some(RoundView {
				round,
				seed: [0; 32],
				gateways: names
					.iter()
					.map(|name| GatewayView {
						worker: account(name),
						signing_key: pair(name).public().0,
					})
					.collect(),
				threshold: 2,
			})
		}
		fn difficulty(&self) -> u8 {
			DIFFICULTY
		}
		fn policy(&self, id: PolicyId) -> Option<PolicyView<AccountId, Balance>> {
			(id == POLICY).then(|| PolicyView {
				id,
				owner: account("Alice"),
				bob: account("Bob"),
				bob_key: [2; 33],
				verifying_key: [2; 33],
				policy_key: [2; 33],
				threshold: 1,
				ursulas: vec![account("Eve")],
				signing_keys: vec![pair("Eve").public().0],
				start: 0,
				end: 100,
				rate: 1,
				price: 0,
				escrow: 100,
				paid: 0,
				paid_by_tickets: 0,
				paid_by_activity: 0,
				status: PolicyStatus::Active,
			})
		}
		fn endpoint(&self, _: &AccountId) -> Option<String> {
			// A port nobody listens on: every forward and every ask goes unanswered.
			Some("http://127.0.0.1:9".into())
		}
		fn cases_against(&self, _: &AccountId) -> Vec<CaseView<AccountId, Balance>> {
			vec![]
		}
	}

	#[derive(Default)]
	struct FakeOutbox(Mutex<Vec<GatewayDuty<AccountId>>>);

	impl Outbox for FakeOutbox {
		fn push(&self, duty: GatewayDuty<AccountId>) -> Result<(), String> {
			self.0.lock().unwrap().push(duty);
			Ok(())
		}
	}

	fn gateway(dir: &std::path::Path, per_bob: u32) -> Gateway {
		let ursula = Ursula::for_tests(dir, pair("Ferdie"), 100);
		Gateway::new(
			Arc::new(ursula),
			Arc::new(FakeChain),
			Arc::new(FakeOutbox::default()),
			GatewayLimits { forward_timeout: Duration::from_millis(200), per_bob, per_policy: 100 },
		)
	}

	fn request(sequence: u64) -> Vec<u8> {
		crate::clients::ursula_api::signed_request(
			&pair("Bob"),
			&account("Bob"),
			POLICY,
			&account("Eve"),
			sequence,
			vec![vec![1; 10]],
		)
	}

	fn complaint(body: &ComplaintBody<AccountId>, signer: &str) -> Vec<u8> {
		let signature = pair(signer).sign(&body.signing_payload()).0;
		Complaint { body: body.clone(), signature }.encode()
	}

	fn body(sequence: u64, nonce: u8) -> ComplaintBody<AccountId> {
		let mut body = ComplaintBody {
			version: GATEWAY_VERSION,
			round: ROUND,
			gateway: account("Ferdie"),
			kind: ClaimKind::Serve,
			request: request(sequence),
			nonce: [nonce; 16],
			work: 0,
		};
		body.work = find_work(&body, DIFFICULTY, 0);
		body
	}

	/// Bob's complaint to //Ferdie, of the last round, about `silent` of this round, which did
	/// not mediate `to_silent` (his complaint to it).
	fn about_gateway(
		to_silent: &ComplaintBody<AccountId>,
		signer: &str,
	) -> ComplaintBody<AccountId> {
		let mut body = ComplaintBody {
			version: GATEWAY_VERSION,
			round: ROUND - 1,
			gateway: account("Ferdie"),
			kind: ClaimKind::Mediate,
			request: complaint(to_silent, signer),
			nonce: [77; 16],
			work: 0,
		};
		body.work = find_work(&body, DIFFICULTY, 0);
		body
	}

	#[test]
	fn a_silent_gateway_is_complained_about_to_the_round_before() {
		let dir = tempfile::tempdir().unwrap();
		let gateway = gateway(dir.path(), 100);
		let to_charlie = ComplaintBody { gateway: account("Charlie"), ..body(30, 3) };
		let to_charlie =
			ComplaintBody { work: find_work(&to_charlie, DIFFICULTY, 0), ..to_charlie };
		// //Charlie is silent and //Dave cannot be reached: one signature of two.
		let good = about_gateway(&to_charlie, "Bob");
		assert_eq!(
			gateway.complain(&complaint(&good, "Bob")).unwrap(),
			ComplaintOutcome::NotProven { signers: 1, needed: 2 }
		);

		// The wrapped complaint not Bob's, not to a gateway of this round, to this gateway
		// itself, or the outer one not of the round before: refused.
		let forged = about_gateway(&to_charlie, "Mallory");
		assert_eq!(
			gateway.complain(&complaint(&forged, "Bob")).unwrap_err(),
			ComplaintError::BadSignature
		);
		let to_eve = ComplaintBody { gateway: account("Eve"), ..to_charlie.clone() };
		let to_eve = ComplaintBody { work: find_work(&to_eve, DIFFICULTY, 0), ..to_eve };
		assert_eq!(
			gateway.complain(&complaint(&about_gateway(&to_eve, "Bob"), "Bob")).unwrap_err(),
			ComplaintError::WrongGateway
		);
		let to_me = body(31, 4);
		assert_eq!(
			gateway.complain(&complaint(&about_gateway(&to_me, "Bob"), "Bob")).unwrap_err(),
			ComplaintError::WrongGateway
		);
		let now = ComplaintBody { round: ROUND, ..about_gateway(&to_charlie, "Bob") };
		let now = ComplaintBody { work: find_work(&now, DIFFICULTY, 0), ..now };
		assert_eq!(
			gateway.complain(&complaint(&now, "Bob")).unwrap_err(),
			ComplaintError::WrongRound
		);
		// A request is not a complaint.
		let as_request = ComplaintBody { kind: ClaimKind::Mediate, ..body(32, 5) };
		let as_request =
			ComplaintBody { work: find_work(&as_request, DIFFICULTY, 0), ..as_request };
		assert_eq!(
			gateway.complain(&complaint(&as_request, "Bob")).unwrap_err(),
			ComplaintError::Malformed
		);
	}

	#[test]
	fn an_accused_gateway_answers_with_what_it_relayed_or_passes_the_case_on() {
		let dir = tempfile::tempdir().unwrap();
		let gateway = gateway(dir.path(), 100);
		let to_me = body(40, 6);
		let case = CaseView {
			round: ROUND,
			ursula: account("Ferdie"),
			kind: ClaimKind::Mediate,
			signed_in: ROUND - 1,
			policy: POLICY,
			request: complaint(&to_me, "Bob"),
			request_hash: [0; 32],
			deadline: 30,
			signers: vec![0, 1],
			submitter: account("Dave"),
			opened_in: ROUND,
			closes_at: ROUND + 2,
			status: CaseStatusView::Open,
			answer: vec![],
		};
		assert_eq!(
			gateway.case_duty(&case).unwrap(),
			GatewayDuty::Pass { gateway: account("Ferdie"), round: ROUND }
		);
		let response = ReencryptionResponse {
			version: keymarket_primitives::policies::WIRE_VERSION,
			policy: POLICY,
			ursula: account("Eve"),
			served_at: 3,
			cfrags: vec![keymarket_primitives::policies::SignedCfrag {
				cfrag: vec![5; 8],
				signature: [0; 64],
			}],
		};
		gateway.remember(&to_me.request, &response.encode());
		assert_eq!(
			gateway.case_duty(&case).unwrap(),
			GatewayDuty::Answer {
				ursula: account("Ferdie"),
				round: ROUND,
				cfrags: vec![vec![5; 8]]
			}
		);
	}

	#[test]
	fn every_bad_complaint_is_refused_with_its_error() {
		let dir = tempfile::tempdir().unwrap();
		let gateway = gateway(dir.path(), 100);
		assert_eq!(gateway.complain(b"junk").unwrap_err(), ComplaintError::Malformed);
		let wrong_round = ComplaintBody { round: ROUND + 1, ..body(1, 1) };
		assert_eq!(
			gateway.complain(&complaint(&wrong_round, "Bob")).unwrap_err(),
			ComplaintError::WrongRound
		);
		let elsewhere = ComplaintBody { gateway: account("Dave"), ..body(1, 1) };
		assert_eq!(
			gateway.complain(&complaint(&elsewhere, "Bob")).unwrap_err(),
			ComplaintError::WrongGateway
		);
		let good = body(1, 1);
		let lazy = ComplaintBody {
			work: (0..)
				.find(|w| {
					!work_is_enough(
						&keymarket_primitives::gateway::work_hash(&good.unworked_hash(), *w),
						DIFFICULTY,
					)
				})
				.unwrap(),
			..good.clone()
		};
		assert_eq!(
			gateway.complain(&complaint(&lazy, "Bob")).unwrap_err(),
			ComplaintError::NotEnoughWork
		);
		assert_eq!(
			gateway.complain(&complaint(&good, "Mallory")).unwrap_err(),
			ComplaintError::BadSignature
		);
		let foreign = ComplaintBody {
			request: crate::clients::ursula_api::signed_request(
				&pair("Bob"),
				&account("Bob"),
				[9; 16],
				&account("Eve"),
				1,
				vec![vec![1; 10]],
			),
			..body(1, 2)
		};
		let foreign = ComplaintBody { work: find_work(&foreign, DIFFICULTY, 0), ..foreign };
		assert_eq!(
			gateway.complain(&complaint(&foreign, "Bob")).unwrap_err(),
			ComplaintError::NotInService
		);
	}

	#[test]
	fn a_silence_without_enough_confirmations_proves_nothing_and_replays_are_refused() {
		let dir = tempfile::tempdir().unwrap();
		let gateway = gateway(dir.path(), 100);
		let good = body(1, 1);
		// Eve is silent and //Dave cannot be reached: one signature of two.
		let outcome = gateway.complain(&complaint(&good, "Bob")).unwrap();
		assert_eq!(outcome, ComplaintOutcome::NotProven { signers: 1, needed: 2 });
		// The same complaint, or the same request with a fresh nonce, again: refused.
		assert_eq!(
			gateway.complain(&complaint(&good, "Bob")).unwrap_err(),
			ComplaintError::Replayed
		);
		let again = ComplaintBody { nonce: [9; 16], ..good };
		let again = ComplaintBody { work: find_work(&again, DIFFICULTY, 0), ..again };
		assert_eq!(
			gateway.complain(&complaint(&again, "Bob")).unwrap_err(),
			ComplaintError::Replayed
		);
	}

	#[test]
	fn worked_complaints_replayed_are_refused_before_their_signatures() {
		let dir = tempfile::tempdir().unwrap();
		let gateway = gateway(dir.path(), 100);
		// Mallory did the work once, for Bob's request, and signed it himself.
		let worked = body(1, 1);
		let forged = complaint(&worked, "Mallory");
		assert_eq!(gateway.complain(&forged).unwrap_err(), ComplaintError::BadSignature);
		// Sent again, as is or with another signature: refused before any signature is checked.
		for signer in ["Mallory", "Dave", "Bob"] {
			let again = complaint(&worked, signer);
			assert_eq!(gateway.complain(&again).unwrap_err(), ComplaintError::Replayed);
		}
		assert_eq!(gateway.complain(&forged).unwrap_err(), ComplaintError::Replayed);
		// Bob's own complaint has its own nonce, so its own work: it is heard.
		let outcome = gateway.complain(&complaint(&body(1, 2), "Bob")).unwrap();
		assert_eq!(outcome, ComplaintOutcome::NotProven { signers: 1, needed: 2 });
		// Unworked complaints are refused for that, and are not remembered.
		let lazy = ComplaintBody { work: body(3, 3).work.wrapping_add(1), ..body(3, 3) };
		if !work_is_enough(&lazy.work_hash(), DIFFICULTY) {
			for _ in 0..2 {
				let lazy = complaint(&lazy, "Bob");
				assert_eq!(gateway.complain(&lazy).unwrap_err(), ComplaintError::NotEnoughWork);
			}
		}
		// The memory is bounded: past its size it starts again.
		gateway.memory.lock().unwrap().worked.extend((0..MAX_WORKED as u32).map(|i| {
			let mut hash = [0xff; 32];
			hash[..4].copy_from_slice(&i.to_le_bytes());
			hash
		}));
		assert_eq!(gateway.complain(&forged).unwrap_err(), ComplaintError::BadSignature);
		assert_eq!(gateway.memory.lock().unwrap().worked.len(), 1);
	}

	#[test]
	fn a_bob_that_floods_is_limited_per_round() {
		let dir = tempfile::tempdir().unwrap();
		let gateway = gateway(dir.path(), 2);
		for i in 0..2u8 {
			assert!(gateway.complain(&complaint(&body(10 + i as u64, i), "Bob")).is_ok());
		}
		assert_eq!(
			gateway.complain(&complaint(&body(20, 9), "Bob")).unwrap_err(),
			ComplaintError::RateLimited
		);
	}

	#[test]
	fn a_confirmation_is_signed_once_and_repeated_and_needs_bobs_complaint() {
		let dir = tempfile::tempdir().unwrap();
		let gateway = gateway(dir.path(), 100);
		// Bob complained to //Dave, which asks this gateway (//Ferdie).
		let to_dave = ComplaintBody { gateway: account("Dave"), ..body(5, 5) };
		let to_dave = ComplaintBody { work: find_work(&to_dave, DIFFICULTY, 0), ..to_dave };
		let signed = |body: &ComplaintBody<AccountId>, signer: &str| Complaint {
			body: body.clone(),
			signature: pair(signer).sign(&body.signing_payload()).0,
		};
		let claim = UnavailabilityClaim {
			ursula: account("Eve"),
			policy: POLICY,
			request_hash: sp_crypto_hashing::blake2_256(&to_dave.request),
			round: ROUND,
			deadline: 35,
			kind: ClaimKind::Serve,
		};
		let ask = |claim: &UnavailabilityClaim<AccountId>, complaint: Complaint<AccountId>| {
			gateway.confirm(&Confirmation { claim: claim.clone(), complaint }.encode())
		};
		// Without Bob's signature, or with his work undone, nothing is forwarded.
		assert_eq!(
			ask(&claim, signed(&to_dave, "Mallory")).unwrap_err(),
			ComplaintError::BadSignature
		);
		let lazy = ComplaintBody {
			work: (0..)
				.find(|w| {
					!work_is_enough(
						&keymarket_primitives::gateway::work_hash(&to_dave.unworked_hash(), *w),
						DIFFICULTY,
					)
				})
				.unwrap(),
			..to_dave.clone()
		};
		assert_eq!(ask(&claim, signed(&lazy, "Bob")).unwrap_err(), ComplaintError::NotEnoughWork);
		// A claim that does not match the complaint's request, or of another round: refused.
		let mismatched = UnavailabilityClaim { request_hash: [0; 32], ..claim.clone() };
		assert_eq!(
			ask(&mismatched, signed(&to_dave, "Bob")).unwrap_err(),
			ComplaintError::Malformed
		);
		let late = UnavailabilityClaim { round: ROUND - 1, ..claim.clone() };
		assert_eq!(ask(&late, signed(&to_dave, "Bob")).unwrap_err(), ComplaintError::WrongRound);
		// A complaint addressed to this gateway is not another gateway's to pass on.
		let to_me = body(6, 6);
		let claim_to_me = UnavailabilityClaim {
			request_hash: sp_crypto_hashing::blake2_256(&to_me.request),
			..claim.clone()
		};
		assert_eq!(
			ask(&claim_to_me, signed(&to_me, "Bob")).unwrap_err(),
			ComplaintError::WrongGateway
		);

		let Confirmed::Signed(signature) = ask(&claim, signed(&to_dave, "Bob")).unwrap() else {
			panic!("a silent Ursula's claim is signed")
		};
		assert!(sr25519_signed(
			&pair("Ferdie").public().0,
			&claim_signing_payload(&claim),
			&signature
		));
		assert_eq!(ask(&claim, signed(&to_dave, "Bob")).unwrap(), Confirmed::Signed(signature));
	}
}
