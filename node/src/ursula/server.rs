//! The re-encryption endpoint: `POST /v1/reencrypt` with a SCALE [`ReencryptionRequest`];
//! `200` with a SCALE [`ReencryptionResponse`], or an error status with a SCALE
//! [`RequestError`]. Bodies over [`MAX_REQUEST_BYTES`] are refused unread; each client address
//! gets a token bucket of `rate_limit` requests per second.

use std::{
	collections::HashMap,
	net::{IpAddr, SocketAddr},
	sync::{Arc, Mutex},
	time::Instant,
};

use codec::{DecodeAll, Encode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{
	body::Bytes, server::conn::http1, service::service_fn, Method, Request, Response, StatusCode,
};
use hyper_util::rt::TokioIo;
use keymarket_primitives::policies::{
	cfrag_signing_payload, sr25519_signed, ReencryptionRequest, ReencryptionResponse, RequestError,
	ServedRecord, SignedCfrag, MAX_CAPSULES_PER_REQUEST, WIRE_VERSION,
};
use sp_core::crypto::Pair as _;
use umbral_pre::{Capsule, DefaultDeserialize, DefaultSerialize};

use super::{book::Book, keys::UrsulaSecrets, served_log::ServedLog};

/// The largest request body accepted: 32 capsules of umbral-pre bytes and the envelope fit well.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// What the endpoint serves from.
pub struct Ursula {
	pub keys: UrsulaSecrets,
	pub book: Book,
	pub log: ServedLog,
	pub limiter: RateLimiter,
}

impl Ursula {
	/// Serves one request: the checks in the order the protocol states them, then one signed
	/// capsule fragment per capsule, queued for the served-request log before it is returned.
	pub fn serve(
		&self,
		request: ReencryptionRequest,
	) -> Result<ReencryptionResponse, RequestError> {
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
		let now = self.book.period();
		match view.status {
			keymarket_primitives::policies::PolicyStatus::Revoked(_) => {
				return Err(RequestError::PolicyRevoked)
			},
			_ if now >= view.end => return Err(RequestError::PolicyExpired),
			_ if now < view.start => return Err(RequestError::PolicyNotStarted),
			_ => {},
		}
		if body.bob != view.bob {
			return Err(RequestError::NotGrantee);
		}
		let bob: &[u8; 32] = body.bob.as_ref();
		if !sr25519_signed(bob, &body.signing_payload(), &request.signature) {
			return Err(RequestError::BadSignature);
		}
		let kfrag = entry.kfrag.map_err(|_| RequestError::NoKeyFrag)?;
		let capsules = body
			.capsules
			.iter()
			.enumerate()
			.map(|(i, bytes)| {
				Capsule::from_bytes(bytes).map_err(|_| RequestError::MalformedCapsule(i as u32))
			})
			.collect::<Result<Vec<_>, _>>()?;
		if !self.log.claim_sequence(body.policy, &body.bob, body.sequence) {
			return Err(RequestError::ReplayedSequence);
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
		let response = ReencryptionResponse {
			version: WIRE_VERSION,
			policy: body.policy,
			ursula: self.keys.worker.clone(),
			served_at: now,
			cfrags,
		};
		self.log.append(ServedRecord {
			version: WIRE_VERSION,
			served_at: now,
			cfrags: response.cfrags.clone(),
			request,
		});
		Ok(response)
	}
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
	}
}

/// A token bucket per client address: `rate` requests a second, bursts up to `rate`.
pub struct RateLimiter {
	rate: f64,
	buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
	pub fn new(rate: u32) -> Self {
		Self { rate: f64::from(rate.max(1)), buckets: Mutex::new(HashMap::new()) }
	}

	/// Takes a token for `client`; `false` when its bucket is empty.
	pub fn admit(&self, client: IpAddr) -> bool {
		let mut buckets = self.buckets.lock().expect("not poisoned");
		if buckets.len() > 100_000 {
			// Forget idle clients rather than grow without bound.
			let now = Instant::now();
			buckets.retain(|_, (_, seen)| now.duration_since(*seen).as_secs() < 10);
		}
		let now = Instant::now();
		let (tokens, last) = buckets.entry(client).or_insert((self.rate, now));
		*tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.rate);
		*last = now;
		if *tokens < 1.0 {
			return false;
		}
		*tokens -= 1.0;
		true
	}
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
	let mut response = Response::new(Full::new(Bytes::from(body)));
	*response.status_mut() = status;
	response.headers_mut().insert(
		hyper::header::CONTENT_TYPE,
		hyper::header::HeaderValue::from_static("application/octet-stream"),
	);
	response
}

fn refuse(error: RequestError) -> Response<Full<Bytes>> {
	reply(status_of(error), (WIRE_VERSION, error).encode())
}

async fn handle(
	ursula: Arc<Ursula>,
	client: IpAddr,
	request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
	if request.method() != Method::POST || request.uri().path() != "/v1/reencrypt" {
		return Ok(reply(StatusCode::NOT_FOUND, b"POST /v1/reencrypt".to_vec()));
	}
	if !ursula.limiter.admit(client) {
		return Ok(refuse(RequestError::RateLimited));
	}
	let Ok(body) = Limited::new(request.into_body(), MAX_REQUEST_BYTES).collect().await else {
		return Ok(refuse(RequestError::Malformed));
	};
	let body = body.to_bytes();
	let Ok(request) = ReencryptionRequest::decode_all(&mut &body[..]) else {
		return Ok(refuse(RequestError::Malformed));
	};
	// Re-encryption is CPU work: keep it off the async workers that drive the network.
	let served = tokio::task::spawn_blocking(move || ursula.serve(request)).await;
	Ok(match served {
		Ok(Ok(response)) => reply(StatusCode::OK, response.encode()),
		Ok(Err(error)) => refuse(error),
		Err(_) => refuse(RequestError::Unavailable),
	})
}

/// The most connections served at once; more wait in the listen queue.
pub const MAX_CONNECTIONS: usize = 1_024;

/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Accepts connections on `listener` until the task is dropped.
pub async fn run(ursula: Arc<Ursula>, listener: tokio::net::TcpListener) {
	let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
	loop {
		let Ok(slot) = slots.clone().acquire_owned().await else { return };
		let (stream, peer): (_, SocketAddr) = match listener.accept().await {
			Ok(accepted) => accepted,
			Err(e) => {
				log::warn!(target: "ursula", "accept failed: {e}");
				continue;
			},
		};
		let ursula = ursula.clone();
		tokio::spawn(async move {
			let service = service_fn(move |request| handle(ursula.clone(), peer.ip(), request));
			let served = http1::Builder::new()
				.timer(hyper_util::rt::TokioTimer::new())
				.header_read_timeout(HEADER_TIMEOUT)
				.serve_connection(TokioIo::new(stream), service)
				.await;
			if let Err(e) = served {
				log::debug!(target: "ursula", "connection from {peer} ended: {e}");
			}
			drop(slot);
		});
	}
}
