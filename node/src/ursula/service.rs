//! The Ursula's service state (its keys, its book of policies, its served-request log, its replay
//! guard and its per-Bob rate limiter) and the protocol's checks of one re-encryption request, in
//! the order the wire format states them. The HTTP endpoint (`server`) only carries bytes to
//! [`Ursula::admit`] and [`Ursula::work`] and their answer back.

use keymarket_primitives::{
	policies::{
		cfrag_signing_payload, PolicyId, PolicyStatus, ReencryptionRequest, ReencryptionResponse,
		RequestError, ServedRecord, ServiceWindow, SignedCfrag, MAX_CAPSULES_PER_REQUEST,
		WIRE_VERSION,
	},
	AccountId,
};
use sp_core::crypto::Pair as _;
use umbral_pre::DefaultSerialize;

use super::{
	book::{Book, Entry},
	checked_capsules::CheckedCapsules,
	keys::UrsulaSecrets,
	lottery::Lottery,
	rate_limiter::RateLimiter,
	replay_guard::ReplayGuard,
	served_log::ServedLog,
};

/// A request [`Ursula::admit`] let through: its policy as the book had it, and the period it
/// is served in.
pub struct Admitted {
	entry: Entry,
	now: keymarket_primitives::staking::Period,
}

/// What [`Ursula::admit`] made of a request Bob signed.
pub enum Admission {
	/// A new request: [`Ursula::work`] serves it.
	New(Box<Admitted>),
	/// A request served before, asked again with the same body (Bob's retry of an answer he
	/// never got, a gateway forwarding his complaint): the answer it was given, from the served
	/// log, without work, Bob's rate or a record.
	AnsweredBefore(ReencryptionResponse),
}

/// What the endpoint serves from.
pub struct Ursula {
	pub keys: UrsulaSecrets,
	pub book: Book,
	/// Capsules read and checked lately, by their bytes' hash.
	pub capsules: CheckedCapsules,
	pub log: ServedLog,
	pub replay_guard: ReplayGuard,
	/// Capsules per (policy, Bob).
	pub bob_limiter: RateLimiter<(PolicyId, AccountId)>,
	/// The tickets that pay for requests, and this Ursula's winners.
	pub lottery: Lottery,
	/// The service's Prometheus metrics.
	pub metrics: std::sync::Arc<super::metrics::Metrics>,
}

impl Ursula {
	/// The capsule fragments (umbral-pre bytes) of `request`, for a case against this Ursula
	/// that the chain asks it to answer: the request's own checks but not the replay guard nor
	/// the rate limits (the chain asks once per case), and nothing logged as served.
	pub fn answer_case(&self, request: &ReencryptionRequest) -> Result<Vec<Vec<u8>>, RequestError> {
		let body = &request.body;
		if body.ursula != self.keys.worker {
			return Err(RequestError::NotAssigned);
		}
		let entry = self.book.get(&body.policy).ok_or(RequestError::UnknownPolicy)?;
		let kfrag = entry.kfrag.map_err(|_| RequestError::NoKeyFrag)?;
		body.capsules
			.iter()
			.enumerate()
			.map(|(i, bytes)| {
				// Read as the endpoint reads them: checked, canonical, remembered.
				let hash = sp_crypto_hashing::blake2_256(bytes);
				let capsule = self
					.capsules
					.read(bytes, &hash)
					.ok_or(RequestError::MalformedCapsule(i as u32))?;
				umbral_pre::reencrypt(&capsule, (*kfrag).clone())
					.to_bytes()
					.map(|cfrag| cfrag.into_vec())
					.map_err(|_| RequestError::Unavailable)
			})
			.collect()
	}

	/// Serving one request is [`Self::admit`] then [`Self::work`]: the checks in the order the
	/// protocol states them, then one signed capsule fragment per capsule, written to the
	/// served-request log before it is returned.
	///
	/// The first half, the checks up to and including Bob's signature: cheap, and all that a
	/// stranger can make the Ursula do. Only a request they admit may take a share of the
	/// endpoint's work (its capsule permits), so that forged or misdirected requests, from
	/// however many addresses, never crowd out Bob's.
	pub fn admit(&self, request: &ReencryptionRequest) -> Result<Admission, RequestError> {
		let body = &request.body;
		if body.version != WIRE_VERSION {
			return Err(RequestError::UnsupportedVersion);
		}
		if body.ursula != self.keys.worker {
			return Err(RequestError::NotAssigned);
		}
		if body.capsules.is_empty() || body.capsules.len() > MAX_CAPSULES_PER_REQUEST as usize {
			return Err(RequestError::BadCapsuleCount);
		}
		let entry = self.book.get(&body.policy).ok_or(RequestError::UnknownPolicy)?;
		let view = &entry.view;
		if !view.ursulas.contains(&self.keys.worker) {
			return Err(RequestError::NotAssigned);
		}
		let window = ServiceWindow {
			start: view.start,
			end: view.end,
			revoked_at: match view.status {
				PolicyStatus::Revoked(at) => Some(at),
				_ => None,
			},
		};
		let now = self.book.period();
		match window.status(now, false) {
			PolicyStatus::Revoked(_) => return Err(RequestError::PolicyRevoked),
			PolicyStatus::Expired => return Err(RequestError::PolicyExpired),
			PolicyStatus::Pending => return Err(RequestError::PolicyNotStarted),
			PolicyStatus::Active => {},
		}
		if body.bob != view.bob {
			return Err(RequestError::NotGrantee);
		}
		if !request.bob_signed() {
			return Err(RequestError::BadSignature);
		}
		// A used number, before it spends Bob's rate, a share of the work or capsule reads
		// (`work` still takes the number for good). The same request again gets the answer it
		// got, which tells nobody anything new: an answer lost on the way (a connection cut, a
		// deadline passed while the work ran, the node killed after its record) would otherwise
		// be lost for good, and the gateway forwarding Bob's complaint would take the refusal
		// for an answer. Any other use of the number is a replay (every gateway that mediated
		// a request has its bytes).
		if self.replay_guard.is_spent(body.policy, &body.bob, body.sequence) {
			return match self.log.served(&request.body_hash()) {
				Some(record) => Ok(Admission::AnsweredBefore(response_to(record))),
				None => Err(RequestError::ReplayedSequence),
			};
		}
		Ok(Admission::New(Box::new(Admitted { entry, now })))
	}

	/// The second half, for a request [`Self::admit`] admitted: Bob's rate, the ticket, the
	/// capsules, the sequence number, then the work and its record.
	pub fn work(
		&self,
		request: ReencryptionRequest,
		Admitted { entry, now }: Admitted,
	) -> Result<ReencryptionResponse, RequestError> {
		let body = &request.body;
		let view = &entry.view;
		if !self.bob_limiter.admit(&(body.policy, body.bob.clone()), body.capsules.len() as u32) {
			return Err(RequestError::RateLimited);
		}
		// The ticket, which Bob's signature covers: before any work, and before the sequence
		// number is used (a refused ticket does not burn it).
		let winner = self.lottery.check(&request, &view.owner)?;
		let kfrag = entry.kfrag.map_err(|_| RequestError::NoKeyFrag)?;
		let capsules = body
			.capsules
			.iter()
			.enumerate()
			.map(|(i, bytes)| {
				let hash = sp_crypto_hashing::blake2_256(bytes);
				self.capsules.read(bytes, &hash).ok_or(RequestError::MalformedCapsule(i as u32))
			})
			.collect::<Result<Vec<_>, _>>()?;
		match self.replay_guard.claim(body.policy, &body.bob, body.sequence) {
			Ok(true) => {},
			Ok(false) => return Err(RequestError::ReplayedSequence),
			Err(e) => {
				log::error!(target: "ursula", "cannot reserve sequence numbers: {e}");
				return Err(RequestError::Unavailable);
			},
		}
		// A winner is kept durably before the work it pays for is handed out.
		if let Some(winner) = winner {
			self.lottery.keep(winner)?;
			self.metrics.ticket_won();
		}
		let mut cfrags = Vec::with_capacity(capsules.len());
		for (capsule, capsule_bytes) in capsules.iter().zip(&body.capsules) {
			let cfrag = umbral_pre::reencrypt(capsule, (*kfrag).clone())
				.to_bytes()
				.map_err(|_| RequestError::Unavailable)?
				.into_vec();
			let payload =
				cfrag_signing_payload(&body.policy, &self.keys.worker, now, capsule_bytes, &cfrag);
			let signature = self.keys.signer.sign(&payload).0;
			cfrags.push(SignedCfrag { cfrag, signature });
		}
		let record = ServedRecord { version: WIRE_VERSION, served_at: now, cfrags, request };
		// No answer without its record: a node killed after this still has it.
		if let Err(e) = self.log.append(&record) {
			log::error!(target: "ursula", "a served record is not written, its answer withheld: {e}");
			return Err(RequestError::Unavailable);
		}
		Ok(response_to(record))
	}
}

/// The answer a served record holds.
fn response_to(record: ServedRecord) -> ReencryptionResponse {
	ReencryptionResponse {
		version: WIRE_VERSION,
		policy: record.request.body.policy,
		ursula: record.request.body.ursula,
		served_at: record.served_at,
		cfrags: record.cfrags,
	}
}

#[cfg(test)]
impl Ursula {
	/// An Ursula for the node's unit tests: `signer`'s worker with a fresh Umbral key, an empty
	/// book, its log and reservations under `dir`, `capsules_per_bob` a second for each Bob.
	pub fn for_tests(
		dir: &std::path::Path,
		signer: sp_core::sr25519::Pair,
		capsules_per_bob: u32,
	) -> Self {
		let umbral = umbral_pre::SecretKey::random();
		let umbral_public =
			umbral.public_key().to_compressed_bytes().as_ref().try_into().expect("33 bytes");
		Ursula {
			keys: UrsulaSecrets {
				worker: signer.public().into(),
				signer: signer.clone(),
				umbral,
				umbral_public,
			},
			book: Book::default(),
			capsules: CheckedCapsules::new(64),
			log: ServedLog::open(&dir.join("served")).expect("a writable temp dir"),
			replay_guard: ReplayGuard::open(&dir.join("reservations"), 1_000)
				.expect("a writable temp dir"),
			bob_limiter: RateLimiter::new(capsules_per_bob, 10),
			lottery: Lottery::open(
				&dir.join("lottery"),
				signer.public().into(),
				std::sync::Arc::new(super::lottery::StaticFunds::default()),
			)
			.expect("a writable temp dir"),
			metrics: std::sync::Arc::new(super::metrics::Metrics::unexported()),
		}
	}
}
