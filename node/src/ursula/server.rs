//! The re-encryption endpoint: `POST /v1/reencrypt` with a SCALE [`ReencryptionRequest`];
//! `200` with a SCALE [`ReencryptionResponse`], or an error status with a SCALE
//! [`RequestError`].
//!
//! The protocol's checks live in [`super::service`]; this module only carries bytes.
//!
//! Its defences, cheapest first, so that no client can starve the others:
//! - at most [`MAX_CONNECTIONS`] connections, and [`Limits::connections_per_address`] from one
//!   client address (an IPv4 address or an IPv6 /64); one more is answered `503` and closed;
//! - one deadline per request, [`Limits::request_timeout`], for its headers, its body and its
//!   work (on a kept-alive connection, counted from the previous answer): when it passes, the
//!   connection is closed;
//! - bodies over [`MAX_REQUEST_BYTES`] are refused (`413`) unread;
//! - a token bucket per client address, one token per capsule: one token is taken before the
//!   body is read, the rest once it decodes, before any signature or curve work;
//! - the protocol's checks up to Bob's signature, one request per core at a time, the others
//!   waiting their turn in arrival order (a flood of junk from many addresses delays an honest
//!   request by the queue ahead of it, and never refuses it);
//! - once Bob's signature verifies, at most [`Limits::capsules_in_flight`] capsules in
//!   re-encryption; a request that does not fit is refused at once (`503`, `Unavailable`)
//!   instead of waiting, and a forged one never takes a share;
//! - then a token bucket per (policy, Bob), one token per capsule.

use std::{
	net::SocketAddr,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	time::Duration,
};

use codec::{DecodeAll, Encode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::{
	body::Bytes, server::conn::http1, service::service_fn, Method, Request, Response, StatusCode,
};
use hyper_util::rt::TokioIo;
use keymarket_primitives::gateway::{ComplaintError, ComplaintOutcome, Confirmed, GATEWAY_VERSION};
use keymarket_primitives::policies::{
	ReencryptionRequest, ReencryptionResponse, RequestError, MAX_CAPSULES_PER_REQUEST, WIRE_VERSION,
};
use tokio::{sync::Semaphore, time::Instant};

use super::{
	connection_limiter::ConnectionLimiter,
	gateway::{self, Gateway},
	metrics::{Route, Unanswered},
	rate_limiter::{ClientAddress, RateLimiter},
	service::{Admission, Ursula},
};

/// The largest request body accepted: 32 capsules of umbral-pre bytes and the envelope fit well.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// The most connections served at once; more wait in the listen queue.
pub const MAX_CONNECTIONS: usize = 1_024;

/// The most clients (addresses, or (policy, Bob) pairs) a rate limiter keeps a bucket for.
pub const MAX_TRACKED_CLIENTS: usize = 100_000;

/// The endpoint's limits (`--ursula-*` flags).
#[derive(Clone, Debug)]
pub struct Limits {
	/// Capsules per second one client address may have re-encrypted (its bucket holds as many).
	pub capsules_per_address: u32,
	/// Capsules per second one Bob may have re-encrypted under one policy.
	pub capsules_per_bob: u32,
	/// Connections one client address may hold open.
	pub connections_per_address: usize,
	/// The time a request has for its headers, its body and its work.
	pub request_timeout: Duration,
	/// Capsules in re-encryption at once, over all requests whose signature verified.
	pub capsules_in_flight: u32,
}

/// The HTTP status of each refusal.
pub fn status_of(error: RequestError) -> StatusCode {
	use RequestError::*;
	match error {
		Malformed | UnsupportedVersion | MalformedCapsule(_) | BadCapsuleCount => {
			StatusCode::BAD_REQUEST
		},
		UnknownPolicy => StatusCode::NOT_FOUND,
		NotAssigned | NotGrantee | BadSignature => StatusCode::FORBIDDEN,
		PolicyRevoked | PolicyExpired => StatusCode::GONE,
		// 425 Too Early.
		PolicyNotStarted => StatusCode::from_u16(425).expect("a valid status"),
		ReplayedSequence => StatusCode::CONFLICT,
		RateLimited => StatusCode::TOO_MANY_REQUESTS,
		NoKeyFrag | Unavailable => StatusCode::SERVICE_UNAVAILABLE,
		TicketRequired | Ticket(_) => StatusCode::PAYMENT_REQUIRED,
	}
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
	use hyper::header::{HeaderValue, ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE};
	let mut response = Response::new(Full::new(Bytes::from(body)));
	*response.status_mut() = status;
	let headers = response.headers_mut();
	headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
	// Any page may call an Ursula (a browser Bob): nothing here rides on cookies or on the
	// caller's origin, every request carries its own signature.
	headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
	response
}

/// The answer to a browser's CORS preflight: POST with a `content-type` header, from any
/// origin, for a day.
fn preflight() -> Response<Full<Bytes>> {
	use hyper::header::{
		HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
		ACCESS_CONTROL_MAX_AGE,
	};
	let mut response = reply(StatusCode::NO_CONTENT, Vec::new());
	let headers = response.headers_mut();
	headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
	headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
	headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
	response
}

/// A re-encryption request's answer: work done now, or the answer its spent sequence number got
/// before, read back from the served log.
enum Answer {
	Served(ReencryptionResponse),
	Again(ReencryptionResponse),
}

/// The endpoint: the Ursula, its gateway, and the limits that protect them.
pub struct Endpoint {
	ursula: Arc<Ursula>,
	gateway: Option<Arc<Gateway>>,
	/// The committee member's side of attestations of served work.
	attester: Option<Arc<super::attest::Attester>>,
	address_limiter: RateLimiter<ClientAddress>,
	connections: Arc<ConnectionLimiter>,
	/// Requests whose checks (up to Bob's signature) run at once: one per core.
	checks: Arc<Semaphore>,
	/// One permit per capsule in re-encryption, taken once Bob's signature verifies.
	work: Arc<Semaphore>,
	request_timeout: Duration,
}

impl Endpoint {
	pub fn new(ursula: Arc<Ursula>, gateway: Option<Arc<Gateway>>, limits: &Limits) -> Self {
		Self {
			ursula,
			gateway,
			attester: None,
			address_limiter: RateLimiter::new(limits.capsules_per_address, MAX_TRACKED_CLIENTS),
			connections: ConnectionLimiter::new(limits.connections_per_address),
			checks: Arc::new(Semaphore::new(
				std::thread::available_parallelism().map_or(1, |n| n.get()),
			)),
			// A request of the most capsules must always fit.
			work: Arc::new(Semaphore::new(
				limits.capsules_in_flight.max(MAX_CAPSULES_PER_REQUEST) as usize
			)),
			request_timeout: limits.request_timeout,
		}
	}

	/// Takes attestation requests on `POST /v1/attest` too.
	pub fn with_attester(mut self, attester: Arc<super::attest::Attester>) -> Self {
		self.attester = Some(attester);
		self
	}

	/// Answers one HTTP request of `client`.
	async fn answer<B>(&self, client: ClientAddress, request: Request<B>) -> Response<Full<Bytes>>
	where
		B: hyper::body::Body,
		B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
	{
		let path = request.uri().path().to_string();
		if request.method() == Method::OPTIONS {
			return preflight();
		}
		if request.method() == Method::POST && (path == "/v1/complain" || path == "/v1/confirm") {
			return self.answer_gateway(client, &path, request).await;
		}
		if request.method() == Method::POST && path == "/v1/attest" {
			return self.answer_attest(client, request).await;
		}
		if request.method() != Method::POST || path != "/v1/reencrypt" {
			return reply(
				StatusCode::NOT_FOUND,
				b"POST /v1/reencrypt, /v1/complain, /v1/confirm or /v1/attest".to_vec(),
			);
		}
		let started = Instant::now();
		let metrics = &self.ursula.metrics;
		let pending = Unanswered::new(metrics, Route::Reencrypt);
		let answer = match self.reencrypt(client, request).await {
			Ok(Answer::Served(response)) => {
				metrics.served(response.cfrags.len(), started.elapsed());
				reply(StatusCode::OK, response.encode())
			},
			// No new work: counted apart, or a Bob (or a gateway) asking again would inflate
			// what the Ursula served.
			Ok(Answer::Again(response)) => {
				metrics.answered_again();
				reply(StatusCode::OK, response.encode())
			},
			Err((status, error)) => {
				metrics.refused(error);
				reply(status, (WIRE_VERSION, error).encode())
			},
		};
		pending.answered();
		answer
	}

	/// Serves a re-encryption request, or says why not and with which status.
	async fn reencrypt<B>(
		&self,
		client: ClientAddress,
		request: Request<B>,
	) -> Result<Answer, (StatusCode, RequestError)>
	where
		B: hyper::body::Body,
		B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
	{
		let refuse = |error: RequestError| (status_of(error), error);
		let too_large = (StatusCode::PAYLOAD_TOO_LARGE, RequestError::Malformed);
		// One token before anything is read; the rest once the capsules are counted.
		if !self.address_limiter.admit(&client, 1) {
			return Err(refuse(RequestError::RateLimited));
		}
		let declared = request
			.headers()
			.get(hyper::header::CONTENT_LENGTH)
			.and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
		if declared.is_some_and(|len| len > MAX_REQUEST_BYTES) {
			return Err(too_large);
		}
		let body = match Limited::new(request.into_body(), MAX_REQUEST_BYTES).collect().await {
			Ok(body) => body.to_bytes(),
			Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large),
			Err(_) => return Err(refuse(RequestError::Malformed)),
		};
		let Ok(request) = ReencryptionRequest::decode_all(&mut &body[..]) else {
			return Err(refuse(RequestError::Malformed));
		};
		let capsules = (request.body.capsules.len() as u32).clamp(1, MAX_CAPSULES_PER_REQUEST);
		if capsules > 1 && !self.address_limiter.admit(&client, capsules - 1) {
			return Err(refuse(RequestError::RateLimited));
		}
		// Checks wait their turn, first come first checked, a few at a time: however many
		// addresses send junk, an honest request waits behind what came before it, no more.
		let Ok(check) = self.checks.clone().acquire_owned().await else {
			return Err(refuse(RequestError::Unavailable));
		};
		let (ursula, work) = (self.ursula.clone(), self.work.clone());
		let abandoned = Arc::new(AtomicBool::new(false));
		let _watch = Abandoned(abandoned.clone());
		// Signature and re-encryption are CPU work: keep them off the async workers that drive
		// the network.
		let served = tokio::task::spawn_blocking(move || {
			if abandoned.load(Ordering::SeqCst) {
				return Err(RequestError::Unavailable);
			}
			let admitted = ursula.admit(&request);
			drop(check);
			let admitted = match admitted? {
				Admission::New(admitted) => *admitted,
				Admission::AnsweredBefore(answer) => return Ok(Answer::Again(answer)),
			};
			// Only a request signed by its policy's Bob takes a share of the work; shed load
			// rather than queue it: one that does not fit now is refused now.
			let Ok(work) = work.try_acquire_many_owned(capsules) else {
				return Err(RequestError::Unavailable);
			};
			// Nobody waits for the answer any more: its sequence number stays unspent, and no
			// record is written of work nobody receives.
			if abandoned.load(Ordering::SeqCst) {
				return Err(RequestError::Unavailable);
			}
			let served = ursula.work(request, admitted).map(Answer::Served);
			drop(work);
			served
		})
		.await;
		match served {
			Ok(served) => served.map_err(refuse),
			Err(_) => Err(refuse(RequestError::Unavailable)),
		}
	}
}

impl Endpoint {
	/// Answers a complaint or a confirmation: one token of the address's bucket, the body
	/// bounded as a request's, the gateway's work off the async workers (it waits on the
	/// accused and on the other gateways).
	async fn answer_gateway<B>(
		&self,
		client: ClientAddress,
		path: &str,
		request: Request<B>,
	) -> Response<Full<Bytes>>
	where
		B: hyper::body::Body,
		B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
	{
		let confirm = path == "/v1/confirm";
		let route = if confirm { Route::Confirm } else { Route::Complain };
		let pending = Unanswered::new(&self.ursula.metrics, route);
		let answer = self.gateway_outcome(client, confirm, request).await;
		pending.answered();
		answer
	}

	/// [`Self::answer_gateway`]'s work, each outcome counted.
	async fn gateway_outcome<B>(
		&self,
		client: ClientAddress,
		confirm: bool,
		request: Request<B>,
	) -> Response<Full<Bytes>>
	where
		B: hyper::body::Body,
		B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
	{
		let refuse_complaint = |error: ComplaintError| {
			let status =
				StatusCode::from_u16(gateway::status_of(error)).unwrap_or(StatusCode::BAD_REQUEST);
			reply(status, (GATEWAY_VERSION, error).encode())
		};
		let refused = |error: ComplaintError| {
			if confirm {
				self.ursula.metrics.confirmation(Err(error));
			} else {
				self.ursula.metrics.complaint(Err(error));
			}
			refuse_complaint(error)
		};
		let Some(gateway) = self.gateway.clone() else {
			return refused(ComplaintError::Unavailable);
		};
		if !self.address_limiter.admit(&client, 1) {
			return refused(ComplaintError::RateLimited);
		}
		let body = match Limited::new(request.into_body(), MAX_REQUEST_BYTES).collect().await {
			Ok(body) => body.to_bytes(),
			Err(_) => return refused(ComplaintError::Malformed),
		};
		let answered = tokio::task::spawn_blocking(move || {
			if confirm {
				gateway.confirm(&body).map(|answer| (confirmed_name(&answer), answer.encode()))
			} else {
				gateway.complain(&body).map(|outcome| (outcome_name(&outcome), outcome.encode()))
			}
		})
		.await
		.unwrap_or(Err(ComplaintError::Unavailable));
		let metrics = &self.ursula.metrics;
		let outcome = answered.as_ref().map(|(name, _)| *name).map_err(|e| *e);
		if confirm {
			metrics.confirmation(outcome);
		} else {
			metrics.complaint(outcome);
		}
		match answered {
			Ok((_, body)) => reply(StatusCode::OK, body),
			Err(error) => refuse_complaint(error),
		}
	}
}

impl Endpoint {
	/// Answers a worker's attestation request: one token of the address's bucket, the body
	/// bounded by `MAX_ATTEST_BYTES`, the check (every fragment judged) off the async workers.
	async fn answer_attest<B>(
		&self,
		client: ClientAddress,
		request: Request<B>,
	) -> Response<Full<Bytes>>
	where
		B: hyper::body::Body,
		B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
	{
		use super::attest::{status_of, MAX_ATTEST_BYTES};
		use keymarket_primitives::activity::{AttestationError, ATTEST_VERSION};
		let refuse_attest = |error: AttestationError| {
			let status = StatusCode::from_u16(status_of(error)).unwrap_or(StatusCode::BAD_REQUEST);
			reply(status, (ATTEST_VERSION, error).encode())
		};
		let Some(attester) = self.attester.clone() else {
			return refuse_attest(AttestationError::Unavailable);
		};
		if !self.address_limiter.admit(&client, 1) {
			return refuse_attest(AttestationError::RateLimited);
		}
		let body = match Limited::new(request.into_body(), MAX_ATTEST_BYTES).collect().await {
			Ok(body) => body.to_bytes(),
			Err(_) => return refuse_attest(AttestationError::Malformed),
		};
		let answered =
			tokio::task::spawn_blocking(move || super::attest::answer(&attester, &body)).await;
		match answered {
			Ok((status, body)) => {
				reply(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), body)
			},
			Err(_) => refuse_attest(AttestationError::Unavailable),
		}
	}
}

/// A complaint's outcome, as the metrics label it.
fn outcome_name(outcome: &ComplaintOutcome) -> &'static str {
	match outcome {
		ComplaintOutcome::Answered(_) => "answered",
		ComplaintOutcome::Refused(_) => "refused",
		ComplaintOutcome::Proven { .. } => "proven",
		ComplaintOutcome::NotProven { .. } => "not_proven",
		ComplaintOutcome::AlreadyAccused { .. } => "already_accused",
		ComplaintOutcome::GatewayRefused(_) => "gateway_refused",
	}
}

/// A confirmation's outcome, as the metrics label it.
fn confirmed_name(confirmed: &Confirmed) -> &'static str {
	match confirmed {
		Confirmed::Signed(_) => "signed",
		Confirmed::Answered(_) => "answered",
		Confirmed::Refused(_) => "refused",
	}
}

/// Set when a request's future is dropped (its connection closed, or missed its deadline, while
/// the request waited for a blocking thread): the work, if not begun, is then left undone.
struct Abandoned(Arc<AtomicBool>);

impl Drop for Abandoned {
	fn drop(&mut self) {
		self.0.store(true, Ordering::SeqCst);
	}
}

/// When the request in progress on a connection must have been answered.
struct Deadline(Mutex<Instant>);

impl Deadline {
	fn after(timeout: Duration) -> Self {
		Self(Mutex::new(Instant::now() + timeout))
	}

	fn at(&self) -> Instant {
		*self.0.lock().expect("not poisoned")
	}

	fn renew(&self, timeout: Duration) {
		*self.0.lock().expect("not poisoned") = Instant::now() + timeout;
	}
}

/// The answer to a connection over its address's share, written without reading anything.
fn over_capacity() -> Vec<u8> {
	let body = (WIRE_VERSION, RequestError::Unavailable).encode();
	let mut answer = format!(
		"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/octet-stream\r\n\
		 content-length: {}\r\nconnection: close\r\n\r\n",
		body.len()
	)
	.into_bytes();
	answer.extend(body);
	answer
}

/// Serves one connection until it closes or misses a deadline.
async fn serve_connection(
	endpoint: Arc<Endpoint>,
	stream: tokio::net::TcpStream,
	peer: SocketAddr,
) {
	let client = ClientAddress::from(peer.ip());
	let timeout = endpoint.request_timeout;
	let deadline = Arc::new(Deadline::after(timeout));
	let service = {
		let deadline = deadline.clone();
		service_fn(move |request| {
			let endpoint = endpoint.clone();
			let deadline = deadline.clone();
			async move {
				let response = endpoint.answer(client, request).await;
				// The connection's next request has the whole time again.
				deadline.renew(timeout);
				Ok::<_, std::convert::Infallible>(response)
			}
		})
	};
	let connection = http1::Builder::new()
		.timer(hyper_util::rt::TokioTimer::new())
		.header_read_timeout(timeout)
		.serve_connection(TokioIo::new(stream), service);
	tokio::pin!(connection);
	loop {
		let at = deadline.at();
		tokio::select! {
			served = connection.as_mut() => {
				if let Err(e) = served {
					log::debug!(target: "ursula", "connection from {peer} ended: {e}");
				}
				return;
			},
			_ = tokio::time::sleep_until(at) => if deadline.at() <= Instant::now() {
				log::debug!(target: "ursula", "connection from {peer} missed its deadline");
				return;
			},
		}
	}
}

/// Accepts connections on `listener` until the task is dropped.
pub async fn run(endpoint: Arc<Endpoint>, listener: tokio::net::TcpListener) {
	let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
	let over_capacity = over_capacity();
	loop {
		let Ok(slot) = slots.clone().acquire_owned().await else { return };
		let (stream, peer): (_, SocketAddr) = match listener.accept().await {
			Ok(accepted) => accepted,
			Err(e) => {
				log::warn!(target: "ursula", "accept failed: {e}");
				continue;
			},
		};
		let Some(share) = endpoint.connections.admit(ClientAddress::from(peer.ip())) else {
			// Best effort, without waiting: a fresh socket's send buffer takes a short answer
			// (a plain non-blocking write; the reactor has no readiness for it yet).
			if let Ok(mut stream) = stream.into_std() {
				let _ = std::io::Write::write(&mut stream, &over_capacity);
			}
			continue;
		};
		let endpoint = endpoint.clone();
		tokio::spawn(async move {
			serve_connection(endpoint, stream, peer).await;
			drop((share, slot));
		});
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use keymarket_primitives::{
		policies::{PolicyId, RequestBody},
		AccountId, Balance,
	};
	use sp_core::{crypto::Pair as _, sr25519};
	use umbral_pre::DefaultSerialize;

	fn endpoint(dir: &std::path::Path, limits: Limits) -> Endpoint {
		let signer = sr25519::Pair::from_string("//Ferdie", None).unwrap();
		let ursula = Ursula::for_tests(dir, signer, limits.capsules_per_bob);
		Endpoint::new(Arc::new(ursula), None, &limits)
	}

	fn limits() -> Limits {
		Limits {
			capsules_per_address: 64,
			capsules_per_bob: 64,
			connections_per_address: 2,
			request_timeout: Duration::from_secs(10),
			capsules_in_flight: 32,
		}
	}

	/// A request of Bob's account under `policy`, signed by `signer`.
	fn signed(
		endpoint: &Endpoint,
		signer: &str,
		policy: PolicyId,
		sequence: u64,
		capsules: Vec<Vec<u8>>,
	) -> Request<Full<Bytes>> {
		let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
		let body = RequestBody {
			version: WIRE_VERSION,
			policy,
			ursula: endpoint.ursula.keys.worker.clone(),
			bob: bob.public().into(),
			sequence,
			capsules,
		};
		let signer = sr25519::Pair::from_string(&format!("//{signer}"), None).unwrap();
		let signature = signer.sign(&body.signing_payload()).0;
		let bytes = ReencryptionRequest { body, signature, ticket: None }.encode();
		Request::post("/v1/reencrypt").body(Full::new(Bytes::from(bytes))).unwrap()
	}

	/// Bob's request for an unknown policy (the Ursula answers `404 UnknownPolicy`).
	fn request(endpoint: &Endpoint, capsules: usize) -> Request<Full<Bytes>> {
		signed(endpoint, "Bob", [7; 16], 1, vec![vec![0; 105]; capsules])
	}

	const POLICY: PolicyId = [9; 16];

	/// Grants //Bob the active policy [`POLICY`] served by the endpoint's Ursula alone, with a
	/// real key fragment, and gives its lottery terms (no ticket asked: no funds); returns a
	/// capsule under the policy.
	fn grant(endpoint: &Endpoint) -> Vec<u8> {
		use super::super::{
			book::Entry,
			lottery::{ChainTerms, LotteryOutbox},
		};
		use keymarket_primitives::{
			lottery::LotteryDuty,
			policies::{PolicyStatus, PolicyView},
		};
		struct Discard;
		impl LotteryOutbox for Discard {
			fn push(&self, _: LotteryDuty<AccountId, Balance>) -> Result<(), String> {
				Ok(())
			}
		}
		let ursula = &endpoint.ursula;
		let alice = umbral_pre::SecretKey::random();
		let signer = umbral_pre::Signer::new(umbral_pre::SecretKey::random());
		let bob_key = umbral_pre::SecretKey::random().public_key();
		let kfrag = umbral_pre::generate_kfrags(&alice, &bob_key, &signer, 1, 1, true, true)
			.into_vec()
			.remove(0);
		let compressed = |key: &umbral_pre::PublicKey| {
			key.to_compressed_bytes().as_ref().try_into().expect("33 bytes")
		};
		let account = |name: &str| -> AccountId {
			sr25519::Pair::from_string(&format!("//{name}"), None).unwrap().public().into()
		};
		let view = PolicyView {
			id: POLICY,
			owner: account("Alice"),
			bob: account("Bob"),
			bob_key: compressed(&bob_key),
			verifying_key: compressed(&signer.verifying_key()),
			policy_key: compressed(&alice.public_key()),
			threshold: 1,
			ursulas: vec![ursula.keys.worker.clone()],
			signing_keys: vec![ursula.keys.signer.public().0],
			start: 0,
			end: 100,
			rate: 0,
			price: 0,
			escrow: 0,
			paid: 0,
			paid_by_tickets: 0,
			paid_by_activity: 0,
			status: PolicyStatus::Active,
		};
		ursula.book.insert(Entry { view, kfrag: Ok(Arc::new(kfrag)) });
		let terms = ChainTerms {
			now: 1,
			round_hashes: [(1, [2; 32]), (0, [1; 32])],
			ticket_rounds: 2,
			current: None,
		};
		ursula.lottery.update(1, terms, Default::default(), Default::default(), &Discard).unwrap();
		let (capsule, _) = umbral_pre::encrypt(&alice.public_key(), b"a secret").unwrap();
		capsule.to_bytes().unwrap().into_vec()
	}

	/// The status of `request`'s answer, and the refusal it carries (`None`: served).
	async fn outcome(
		endpoint: &Endpoint,
		client: ClientAddress,
		request: Request<Full<Bytes>>,
	) -> (u16, Option<RequestError>) {
		let response = endpoint.answer(client, request).await;
		let status = response.status().as_u16();
		let body = response.into_body().collect().await.unwrap().to_bytes();
		if status == 200 {
			ReencryptionResponse::decode_all(&mut &body[..]).expect("a response");
			return (status, None);
		}
		let (_, error) = <(u8, RequestError)>::decode_all(&mut &body[..]).expect("a refusal");
		(status, Some(error))
	}

	async fn call(
		endpoint: &Endpoint,
		client: ClientAddress,
		request: Request<Full<Bytes>>,
	) -> (u16, RequestError) {
		let (status, error) = outcome(endpoint, client, request).await;
		(status, error.expect("a refusal"))
	}

	const BOB: ClientAddress = ClientAddress::V4([10, 0, 0, 1]);

	#[tokio::test]
	async fn a_full_work_queue_sheds_load_with_503() {
		let dir = tempfile::tempdir().unwrap();
		let endpoint = endpoint(dir.path(), limits());
		let capsule = grant(&endpoint);
		let busy = endpoint.work.clone().try_acquire_many_owned(32).unwrap();
		let shed = call(&endpoint, BOB, signed(&endpoint, "Bob", POLICY, 1, vec![capsule.clone()]));
		assert_eq!(shed.await, (503, RequestError::Unavailable), "refused at once, not queued");
		drop(busy);
		let served = outcome(&endpoint, BOB, signed(&endpoint, "Bob", POLICY, 1, vec![capsule]));
		assert_eq!(served.await, (200, None), "served once there is room, its sequence unburnt");
	}

	#[tokio::test]
	async fn a_forged_request_never_takes_a_share_of_the_work() {
		let dir = tempfile::tempdir().unwrap();
		let endpoint = endpoint(dir.path(), limits());
		let capsule = grant(&endpoint);
		let capsules = vec![capsule.clone(); 32];
		// All the work is taken: requests that are not Bob's still get their precise errors,
		// as they would if the Ursula were idle, so none of them ever held a share.
		let busy = endpoint.work.clone().try_acquire_many_owned(32).unwrap();
		for (signer, policy, refusal) in [
			("Mallory", POLICY, (403, RequestError::BadSignature)),
			("Bob", [7; 16], (404, RequestError::UnknownPolicy)),
		] {
			let forged = signed(&endpoint, signer, policy, 1, capsules.clone());
			assert_eq!(call(&endpoint, ClientAddress::V4([10, 0, 0, 9]), forged).await, refusal);
		}
		drop(busy);
		// And with the work free, a flood of forged 32-capsule requests from many addresses at
		// once leaves every share to Bob.
		let endpoint = Arc::new(endpoint);
		let flood: Vec<_> = (0..64u8)
			.map(|n| {
				let endpoint = endpoint.clone();
				let forged = signed(&endpoint, "Mallory", POLICY, 1, capsules.clone());
				tokio::spawn(async move {
					call(&endpoint, ClientAddress::V4([10, 1, 0, n]), forged).await
				})
			})
			.collect();
		let bob = outcome(&endpoint, BOB, signed(&endpoint, "Bob", POLICY, 1, vec![capsule]));
		assert_eq!(bob.await, (200, None));
		for forged in flood {
			assert_eq!(forged.await.unwrap(), (403, RequestError::BadSignature));
		}
		assert_eq!(endpoint.work.available_permits(), 32, "every share returned");
	}

	#[tokio::test]
	async fn the_address_bucket_is_charged_per_capsule() {
		let dir = tempfile::tempdir().unwrap();
		let endpoint = endpoint(dir.path(), limits());
		for _ in 0..2 {
			let answer = call(&endpoint, BOB, request(&endpoint, 32)).await;
			assert_eq!(answer, (404, RequestError::UnknownPolicy));
		}
		let flooded = call(&endpoint, BOB, request(&endpoint, 32)).await;
		assert_eq!(flooded, (429, RequestError::RateLimited), "64 tokens: two requests of 32");
		let other = ClientAddress::V4([10, 0, 0, 2]);
		let answer = call(&endpoint, other, request(&endpoint, 32)).await;
		assert_eq!(answer, (404, RequestError::UnknownPolicy), "another address has its own");
		let metrics = &endpoint.ursula.metrics;
		assert_eq!(
			(metrics.refusals("UnknownPolicy"), metrics.refusals("RateLimited")),
			(3, 1),
			"each refusal counted under its reason"
		);
		assert_eq!(metrics.served_count(), 0);
	}

	#[tokio::test]
	async fn a_request_that_cannot_be_read_gets_its_precise_refusal() {
		let dir = tempfile::tempdir().unwrap();
		let endpoint = endpoint(dir.path(), limits());
		let capsule = grant(&endpoint);
		let post = |bytes: Vec<u8>| {
			Request::post("/v1/reencrypt").body(Full::new(Bytes::from(bytes))).unwrap()
		};
		// Not SCALE, and a request with bytes after its end.
		assert_eq!(call(&endpoint, BOB, post(b"GET me".to_vec())).await.1, RequestError::Malformed);
		let mut trailing = signed(&endpoint, "Bob", POLICY, 1, vec![capsule.clone()])
			.into_body()
			.collect()
			.await
			.unwrap()
			.to_bytes()
			.to_vec();
		trailing.push(0);
		assert_eq!(call(&endpoint, BOB, post(trailing)).await, (400, RequestError::Malformed));
		// Another wire version, no capsule, too many capsules: each named, before any work.
		let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
		let request = |version: u8, capsules: Vec<Vec<u8>>| {
			let body = RequestBody {
				version,
				policy: POLICY,
				ursula: endpoint.ursula.keys.worker.clone(),
				bob: bob.public().into(),
				sequence: 2,
				capsules,
			};
			let signature = bob.sign(&body.signing_payload()).0;
			post(ReencryptionRequest { body, signature, ticket: None }.encode())
		};
		let refusal = call(&endpoint, BOB, request(WIRE_VERSION + 1, vec![capsule.clone()])).await;
		assert_eq!(refusal, (400, RequestError::UnsupportedVersion));
		let none = call(&endpoint, BOB, request(WIRE_VERSION, vec![])).await;
		assert_eq!(none, (400, RequestError::BadCapsuleCount));
		let other = ClientAddress::V4([10, 4, 0, 1]);
		let too_many = vec![capsule; MAX_CAPSULES_PER_REQUEST as usize + 1];
		let many = call(&endpoint, other, request(WIRE_VERSION, too_many)).await;
		assert_eq!(many, (400, RequestError::BadCapsuleCount));
		assert_eq!(endpoint.ursula.metrics.served_count(), 0);
		// No other route or method.
		for request in [
			Request::get("/v1/reencrypt").body(Full::new(Bytes::new())).unwrap(),
			Request::post("/v2/reencrypt").body(Full::new(Bytes::new())).unwrap(),
		] {
			let response = endpoint.answer(BOB, request).await;
			assert_eq!(response.status().as_u16(), 404);
			let body = response.into_body().collect().await.unwrap().to_bytes();
			assert!(String::from_utf8_lossy(&body).contains("POST /v1/reencrypt"), "{body:?}");
		}
	}

	#[tokio::test]
	async fn bobs_rate_is_his_whichever_address_he_asks_from() {
		let dir = tempfile::tempdir().unwrap();
		let endpoint = endpoint(dir.path(), limits());
		let capsule = grant(&endpoint);
		// Bob's bucket under the policy holds 64 capsules: two requests of 32, from two addresses.
		for (sequence, n) in [(1, 1u8), (2, 2)] {
			let asked = signed(&endpoint, "Bob", POLICY, sequence, vec![capsule.clone(); 32]);
			assert_eq!(
				outcome(&endpoint, ClientAddress::V4([10, 5, 0, n]), asked).await,
				(200, None)
			);
		}
		// (It refills at 64 a second: a third request of 32 right after finds it short.)
		let third = signed(&endpoint, "Bob", POLICY, 3, vec![capsule; 32]);
		let refused = call(&endpoint, ClientAddress::V4([10, 5, 0, 3]), third).await;
		assert_eq!(
			refused,
			(429, RequestError::RateLimited),
			"a fresh address, Bob's empty bucket"
		);
		assert_eq!(endpoint.ursula.metrics.refusals("RateLimited"), 1);
	}

	#[tokio::test]
	async fn an_oversized_body_gets_413() {
		let dir = tempfile::tempdir().unwrap();
		let endpoint = endpoint(dir.path(), limits());
		let huge = Request::post("/v1/reencrypt")
			.body(Full::new(Bytes::from(vec![0u8; MAX_REQUEST_BYTES + 1])))
			.unwrap();
		assert_eq!(call(&endpoint, BOB, huge).await, (413, RequestError::Malformed));
		assert_eq!(endpoint.ursula.metrics.refusals("Malformed"), 1);
	}

	/// The answer to `request`, which must be served.
	async fn answered(
		endpoint: &Endpoint,
		client: ClientAddress,
		request: Request<Full<Bytes>>,
	) -> ReencryptionResponse {
		let response = endpoint.answer(client, request).await;
		let status = response.status().as_u16();
		let body = response.into_body().collect().await.unwrap().to_bytes();
		assert_eq!(status, 200, "refused: {:?}", <(u8, RequestError)>::decode_all(&mut &body[..]));
		ReencryptionResponse::decode_all(&mut &body[..]).expect("a response")
	}

	#[tokio::test]
	async fn a_replayed_request_spends_neither_bobs_rate_nor_the_work() {
		let dir = tempfile::tempdir().unwrap();
		let endpoint = endpoint(dir.path(), limits());
		let capsule = grant(&endpoint);
		// Bob's bucket holds 64 capsules; his first request takes 32 of them.
		let capsules = vec![capsule.clone(); 32];
		let first = signed(&endpoint, "Bob", POLICY, 1, capsules.clone());
		let served = answered(&endpoint, BOB, first).await;
		// A gateway forwarding Bob's complaint, or Bob whose answer was lost, sends the same
		// request again (signed again or not), from elsewhere, even while the work is full: the
		// answer it got, from the served log, before Bob's rate or the work.
		let busy = endpoint.work.clone().try_acquire_many_owned(32).unwrap();
		for n in 0..3 {
			let again = signed(&endpoint, "Bob", POLICY, 1, capsules.clone());
			let from = ClientAddress::V4([10, 2, 0, n]);
			assert_eq!(answered(&endpoint, from, again).await, served, "the same answer");
		}
		// Served once, answered again three times: the metrics tell them apart.
		let metrics = &endpoint.ursula.metrics;
		assert_eq!((metrics.served_count(), metrics.answered_again_count()), (1, 3));
		// The number used for anything else (other capsules) is a replay, refused.
		let other = signed(&endpoint, "Bob", POLICY, 1, vec![capsule; 31]);
		let from = ClientAddress::V4([10, 3, 0, 1]);
		assert_eq!(call(&endpoint, from, other).await, (409, RequestError::ReplayedSequence));
		drop(busy);
		// Bob's other 32 capsules are still his.
		let next = outcome(&endpoint, BOB, signed(&endpoint, "Bob", POLICY, 2, capsules.clone()));
		assert_eq!(next.await, (200, None));
		// One record a number, however often an answer was given again.
		let log = dir.path().join("served");
		let records: usize = super::super::served_log::periods(&log)
			.unwrap()
			.into_iter()
			.map(|p| super::super::served_log::read_period(&log, p).unwrap().records.len())
			.sum();
		assert_eq!(records, 2);
		// After a restart (the same keys' files), the same request still gets its answer.
		drop(endpoint);
		let endpoint = self::endpoint(dir.path(), limits());
		grant(&endpoint);
		let again = signed(&endpoint, "Bob", POLICY, 1, capsules);
		assert_eq!(
			answered(&endpoint, BOB, again).await,
			served,
			"the same answer after a restart"
		);
	}

	#[test]
	fn a_request_abandoned_before_its_work_leaves_its_sequence_unspent() {
		// One blocking thread, kept busy: Bob's request waits for it.
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(1)
			.max_blocking_threads(1)
			.enable_all()
			.build()
			.unwrap();
		let dir = tempfile::tempdir().unwrap();
		let endpoint = Arc::new(endpoint(dir.path(), limits()));
		let capsule = grant(&endpoint);
		runtime.block_on(async {
			let (release, wait) = std::sync::mpsc::channel::<()>();
			let busy = tokio::task::spawn_blocking(move || {
				let _ = wait.recv();
			});
			let asked = {
				let (endpoint, capsule) = (endpoint.clone(), capsule.clone());
				tokio::spawn(async move {
					outcome(&endpoint, BOB, signed(&endpoint, "Bob", POLICY, 7, vec![capsule]))
						.await
				})
			};
			// Its connection goes away (a deadline passed) while it waits.
			tokio::time::sleep(Duration::from_millis(200)).await;
			asked.abort();
			assert!(asked.await.is_err(), "abandoned before its answer");
			release.send(()).unwrap();
			busy.await.unwrap();
			// The work was left undone: the same sequence number is served when Bob asks again.
			let again = outcome(&endpoint, BOB, signed(&endpoint, "Bob", POLICY, 7, vec![capsule]));
			assert_eq!(again.await, (200, None));
			assert_eq!(endpoint.work.available_permits(), 32);
		});
	}

	#[tokio::test]
	async fn browsers_may_call_it_from_any_page() {
		let dir = tempfile::tempdir().unwrap();
		let endpoint = endpoint(dir.path(), limits());
		let preflight = Request::options("/v1/reencrypt").body(Full::new(Bytes::new())).unwrap();
		let answer = endpoint.answer(BOB, preflight).await;
		assert_eq!(answer.status(), StatusCode::NO_CONTENT);
		let header = |answer: &Response<Full<Bytes>>, name: &str| {
			answer.headers().get(name).map(|v| v.to_str().unwrap().to_string())
		};
		assert_eq!(header(&answer, "access-control-allow-origin").as_deref(), Some("*"));
		assert_eq!(header(&answer, "access-control-allow-methods").as_deref(), Some("POST"));
		assert_eq!(
			header(&answer, "access-control-allow-headers").as_deref(),
			Some("content-type")
		);
		// Every answer, a refusal too, may be read by the page.
		let answer = endpoint.answer(BOB, request(&endpoint, 1)).await;
		assert_eq!(answer.status(), StatusCode::NOT_FOUND);
		assert_eq!(header(&answer, "access-control-allow-origin").as_deref(), Some("*"));
	}

	#[tokio::test]
	async fn no_answer_leaves_without_its_record() {
		let dir = tempfile::tempdir().unwrap();
		let endpoint = endpoint(dir.path(), limits());
		let capsule = grant(&endpoint);
		// The period's served log cannot be written: a folder stands where its file would be.
		let period = endpoint.ursula.book.period();
		let file = dir.path().join("served").join(format!("{period}.log"));
		std::fs::create_dir_all(&file).unwrap();
		let request = signed(&endpoint, "Bob", POLICY, 1, vec![capsule.clone()]);
		assert_eq!(call(&endpoint, BOB, request).await, (503, RequestError::Unavailable));
		// Mended, the disk takes the next request's record, and it is answered.
		std::fs::remove_dir(&file).unwrap();
		let request = signed(&endpoint, "Bob", POLICY, 2, vec![capsule]);
		assert_eq!(outcome(&endpoint, BOB, request).await, (200, None));
	}

	/// A chain view that holds nothing: no round, no policy, no endpoint.
	struct EmptyChain;

	impl gateway::ChainView for EmptyChain {
		fn best_number(&self) -> u32 {
			0
		}
		fn current_round(&self) -> u32 {
			0
		}
		fn round(&self, _: u32) -> Option<keymarket_primitives::gateway::RoundView<AccountId>> {
			None
		}
		fn difficulty(&self) -> u8 {
			0
		}
		fn policy(
			&self,
			_: PolicyId,
		) -> Option<keymarket_primitives::policies::PolicyView<AccountId, Balance>> {
			None
		}
		fn endpoint(&self, _: &AccountId) -> Option<String> {
			None
		}
		fn cases_against(
			&self,
			_: &AccountId,
		) -> Vec<keymarket_primitives::gateway::CaseView<AccountId, Balance>> {
			vec![]
		}
	}

	struct NoOutbox;

	impl gateway::Outbox for NoOutbox {
		fn push(
			&self,
			_: keymarket_primitives::gateway::GatewayDuty<AccountId>,
		) -> Result<(), String> {
			Err("no chain to take it".into())
		}
	}

	/// What the gateway's or the committee's route at `path` answers `body` from `client`: the
	/// status and the refusal it carries.
	async fn refusal<E: codec::Decode>(
		endpoint: &Endpoint,
		client: ClientAddress,
		path: &str,
		body: Vec<u8>,
	) -> (u16, E) {
		let request = Request::post(path).body(Full::new(Bytes::from(body))).unwrap();
		let response = endpoint.answer(client, request).await;
		let status = response.status().as_u16();
		let body = response.into_body().collect().await.unwrap().to_bytes();
		let (_, error) = <(u8, E)>::decode_all(&mut &body[..]).expect("a refusal");
		(status, error)
	}

	#[tokio::test]
	async fn the_gateway_and_committee_routes_refuse_with_their_codes() {
		use super::super::attest::{Attester, MAX_ATTEST_BYTES};
		use keymarket_primitives::{
			activity::AttestationError,
			gateway::{ClaimKind, Complaint, ComplaintBody},
		};
		let dir = tempfile::tempdir().unwrap();
		// A node that is no gateway and sits on no committee: both routes are unavailable.
		let plain = endpoint(dir.path(), limits());
		let refused = refusal::<ComplaintError>(&plain, BOB, "/v1/complain", vec![1]).await;
		assert_eq!(refused, (503, ComplaintError::Unavailable));
		let refused = refusal::<AttestationError>(&plain, BOB, "/v1/attest", vec![1]).await;
		assert_eq!(refused, (503, AttestationError::Unavailable));

		// A gateway and committee member whose chain view holds no round.
		let dir = tempfile::tempdir().unwrap();
		let signer = sr25519::Pair::from_string("//Ferdie", None).unwrap();
		let ursula = Arc::new(Ursula::for_tests(dir.path(), signer, 64));
		let chain: Arc<dyn gateway::ChainView> = Arc::new(EmptyChain);
		let limits = gateway::GatewayLimits::default();
		let gateway = Gateway::new(ursula.clone(), chain.clone(), Arc::new(NoOutbox), limits);
		let attester = Arc::new(Attester::new(ursula.clone(), chain, 1_000));
		let endpoint =
			Endpoint::new(ursula, Some(Arc::new(gateway)), &self::limits()).with_attester(attester);
		// Over their bounds, refused unread.
		let over = vec![0; MAX_REQUEST_BYTES + 1];
		let refused = refusal::<ComplaintError>(&endpoint, BOB, "/v1/complain", over).await;
		assert_eq!(refused, (400, ComplaintError::Malformed));
		let over = vec![0; MAX_ATTEST_BYTES + 1];
		let refused = refusal::<AttestationError>(&endpoint, BOB, "/v1/attest", over).await;
		assert_eq!(refused, (400, AttestationError::Malformed));
		// A well-formed complaint for a round the gateway's chain view does not hold: it cannot
		// judge it now.
		let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
		let ferdie: AccountId = endpoint.ursula.keys.worker.clone();
		let eve = sr25519::Pair::from_string("//Eve", None).unwrap().public().into();
		let request = crate::clients::ursula_api::signed_request(
			&bob,
			&bob.public().into(),
			POLICY,
			&eve,
			1,
			vec![vec![1; 10]],
		);
		let body = ComplaintBody {
			version: GATEWAY_VERSION,
			round: 0,
			gateway: ferdie,
			kind: ClaimKind::Serve,
			request,
			nonce: [1; 16],
			work: 0,
		};
		let signature = bob.sign(&body.signing_payload()).0;
		let complaint = Complaint { body, signature }.encode();
		let refused = refusal::<ComplaintError>(&endpoint, BOB, "/v1/complain", complaint).await;
		assert_eq!(refused, (503, ComplaintError::Unavailable));
		// Each complaint and each attestation request takes a token of the address's bucket
		// (64 here, refilled over a second): a flood from one address is told 429 on both
		// routes, and another address is not.
		let flooder = ClientAddress::V4([10, 0, 0, 66]);
		let mut taken = 0;
		let limited = loop {
			let answer =
				refusal::<ComplaintError>(&endpoint, flooder, "/v1/complain", vec![1]).await;
			if answer.1 != ComplaintError::Malformed {
				break answer;
			}
			taken += 1;
			assert!(taken <= 64 * 2, "the bucket never ran dry");
		};
		assert_eq!(limited, (429, ComplaintError::RateLimited));
		assert!(taken >= 64, "{taken} complaints before the limit, not the bucket's 64");
		let refused = refusal::<AttestationError>(&endpoint, flooder, "/v1/attest", vec![1]).await;
		assert_eq!(refused, (429, AttestationError::RateLimited));
		let refused = refusal::<AttestationError>(&endpoint, BOB, "/v1/attest", vec![1]).await;
		assert_eq!(refused, (400, AttestationError::Malformed), "another address is not limited");
	}

	/// Sends a bodiless request on `stream` and reads what comes back within `wait`: the
	/// answer's first bytes, or `None` if nothing came.
	async fn asked(stream: &mut tokio::net::TcpStream, wait: Duration) -> Option<Vec<u8>> {
		use tokio::io::{AsyncReadExt, AsyncWriteExt};
		stream.write_all(b"GET /v1/status HTTP/1.1\r\nhost: ursula\r\n\r\n").await.unwrap();
		let mut answer = vec![0; 64];
		match tokio::time::timeout(wait, stream.read(&mut answer)).await {
			Ok(Ok(n)) if n > 0 => Some(answer[..n].to_vec()),
			_ => None,
		}
	}

	#[tokio::test]
	async fn connections_beyond_the_endpoints_bound_wait_for_a_free_one() {
		use std::net::Ipv4Addr;
		let dir = tempfile::tempdir().unwrap();
		let limits = Limits {
			connections_per_address: 1,
			request_timeout: Duration::from_secs(120),
			..limits()
		};
		let endpoint = Arc::new(endpoint(dir.path(), limits));
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let address = listener.local_addr().unwrap();
		let server = tokio::spawn(run(endpoint, listener));
		let connect = |source: Ipv4Addr| async move {
			let socket = tokio::net::TcpSocket::new_v4().unwrap();
			socket.bind((source, 0).into()).unwrap();
			socket.connect(address).await.unwrap()
		};
		// As many clients as the endpoint takes, each from its own loopback address (one
		// connection is each address's share), all held open.
		let mut held = Vec::new();
		for i in 0..MAX_CONNECTIONS {
			held.push(connect(Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250 + 1) as u8)).await);
		}
		// The last one is served, so all of them were taken.
		let last = held.last_mut().unwrap();
		let answer = asked(last, Duration::from_secs(30)).await.expect("the last is served");
		assert!(answer.starts_with(b"HTTP/1.1 "), "{:?}", String::from_utf8_lossy(&answer));
		// One more, from an address of its own: the kernel completes its handshake, but the
		// endpoint does not take it while all its connections are held, so its request waits
		// rather than costing the endpoint another task.
		let mut late = connect(Ipv4Addr::new(127, 2, 0, 1)).await;
		assert_eq!(asked(&mut late, Duration::from_secs(1)).await, None, "taken over the bound");
		// A held connection closes: the waiting one is taken and answered.
		drop(held.remove(0));
		use tokio::io::AsyncReadExt;
		let mut answer = vec![0; 64];
		let n = tokio::time::timeout(Duration::from_secs(30), late.read(&mut answer))
			.await
			.expect("answered once a connection is free")
			.unwrap();
		assert!(answer[..n].starts_with(b"HTTP/1.1 "), "{:?}", &answer[..n]);
		server.abort();
	}

	#[test]
	fn a_connection_over_its_share_is_told_503_unavailable() {
		let answer = over_capacity();
		assert!(answer.starts_with(b"HTTP/1.1 503 "));
		assert!(answer.ends_with(&(WIRE_VERSION, RequestError::Unavailable).encode()));
	}
}
