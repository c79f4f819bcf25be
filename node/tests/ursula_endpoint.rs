//! The Ursula endpoint under attack, on a real development node hosting //Ferdie's Ursula: slow
//! connections from one host do not lock out another, a flood is refused with `429` while the
//! node keeps answering, a flood of 32-capsule requests drains its bucket 32 tokens at a time,
//! an oversized body gets `413`, bad requests still get their precise errors, and a flood from
//! 256 addresses at once never reaches the work nor costs Bob his answer. Loopback has many
//! addresses (127.0.0.0/8): each "host" below is one of them.

mod harness;

use std::{
	io::{ErrorKind, Read, Write},
	net::{Ipv4Addr, SocketAddr, TcpStream},
	time::{Duration, Instant},
};

use harness::{free_port, ursula_api, wait_for, Node, NodeConfig};
use keymarket_primitives::{
	policies::{ReencryptionResponse, RequestError},
	AccountId,
};
use serde_json::json;
use sp_core::crypto::Pair as _;

const RATE: usize = 128;
const CONNECTIONS_PER_ADDRESS: usize = 8;
const ATTACKER: [u8; 4] = [127, 0, 0, 2];
const BOB: [u8; 4] = [127, 0, 0, 1];
const BYSTANDER: [u8; 4] = [127, 0, 0, 3];

/// A TCP connection to `to` from the loopback address `from`.
fn connect_from(runtime: &tokio::runtime::Runtime, from: [u8; 4], to: SocketAddr) -> TcpStream {
	runtime.block_on(async {
		let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
		socket.bind(SocketAddr::from((Ipv4Addr::from(from), 0))).expect("a loopback address");
		let stream = socket.connect(to).await.expect("the endpoint accepts");
		let stream = stream.into_std().expect("a std stream");
		stream.set_nonblocking(false).expect("blocking");
		stream
	})
}

/// Sends `body` as a request from `from` and returns the status and the answer's body.
fn post(
	runtime: &tokio::runtime::Runtime,
	from: [u8; 4],
	to: SocketAddr,
	body: &[u8],
) -> (u16, Vec<u8>) {
	let mut stream = connect_from(runtime, from, to);
	stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
	write!(
		stream,
		"POST /v1/reencrypt HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/octet-stream\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	)
	.and_then(|_| stream.write_all(body))
	.expect("the endpoint reads");
	let mut answer = Vec::new();
	stream.read_to_end(&mut answer).expect("the endpoint answers");
	parse(&answer)
}

fn parse(answer: &[u8]) -> (u16, Vec<u8>) {
	let text = String::from_utf8_lossy(answer);
	let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("an HTTP status");
	let head = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
	(status, answer[head..].to_vec())
}

fn ask(
	runtime: &tokio::runtime::Runtime,
	from: [u8; 4],
	to: SocketAddr,
	ursula: &AccountId,
	capsules: usize,
	sequence: u64,
) -> (u16, Result<ReencryptionResponse, RequestError>) {
	let bob = harness::dev_pair("Bob");
	let request = ursula_api::signed_request(
		&bob,
		&bob.public().into(),
		[0xee; 16],
		ursula,
		sequence,
		vec![vec![0; 105]; capsules],
	);
	let (status, body) = post(runtime, from, to, &request);
	(status, ursula_api::decode_answer(ursula, status, &body).expect("the protocol's answer"))
}

/// Sends requests of `capsules` capsules from `from` until one is refused; returns how many
/// were answered before, and the refusal.
fn flood(
	runtime: &tokio::runtime::Runtime,
	from: [u8; 4],
	to: SocketAddr,
	ursula: &AccountId,
	capsules: usize,
) -> (usize, u16, Result<ReencryptionResponse, RequestError>) {
	for answered in 0..10 * RATE {
		let (status, answer) = ask(runtime, from, to, ursula, capsules, answered as u64 + 1);
		if answer != Err(RequestError::UnknownPolicy) {
			return (answered, status, answer);
		}
	}
	panic!("{} requests of {capsules} capsules and none refused", 10 * RATE);
}

#[test]
fn the_endpoint_outlasts_slow_connections_floods_and_oversized_bodies() {
	let port = free_port();
	let to = SocketAddr::from(([127, 0, 0, 1], port));
	let mut config = NodeConfig::dev();
	config.extra_args = vec![
		"--ursula-listen".into(),
		to.to_string(),
		"--ursula-rate-limit".into(),
		RATE.to_string(),
		"--ursula-connections-per-address".into(),
		CONNECTIONS_PER_ADDRESS.to_string(),
		"--ursula-request-timeout".into(),
		"2".into(),
	];
	config.keys = harness::ursula_keys("Ferdie");
	let node = Node::start("ursula-endpoint", config);
	let ferdie: AccountId = harness::dev_pair("Ferdie").public().into();
	let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
	wait_for("the Ursula endpoint", Duration::from_secs(30), || TcpStream::connect(to).ok());

	// Slow connections: the attacker opens 200 and sends nothing. It keeps its share; the
	// others are answered 503 `Unavailable` and closed.
	let slow: Vec<TcpStream> = (0..200).map(|_| connect_from(&runtime, ATTACKER, to)).collect();
	std::thread::sleep(Duration::from_millis(500));
	let mut kept = Vec::new();
	let mut refused = 0;
	for mut stream in slow {
		stream.set_nonblocking(true).unwrap();
		let mut answer = [0u8; 256];
		match stream.read(&mut answer) {
			Err(e) if e.kind() == ErrorKind::WouldBlock => kept.push(stream),
			Ok(n) if n > 0 => {
				let (status, body) = parse(&answer[..n]);
				assert_eq!((status, body), (503, vec![1, 14]), "503, SCALE (1, Unavailable)");
				refused += 1;
			},
			other => panic!("a slow connection neither kept nor refused: {other:?}"),
		}
	}
	assert_eq!(kept.len(), CONNECTIONS_PER_ADDRESS, "the attacker keeps its share only");
	assert_eq!(refused, 200 - CONNECTIONS_PER_ADDRESS);
	// Those it kept dribble a request's headers, a byte at a time.
	for stream in &mut kept {
		stream.set_nonblocking(false).unwrap();
		stream.write_all(b"POST /v1/reencrypt HTTP/1.1\r\n").unwrap();
	}
	// Meanwhile Bob is answered, with the precise error of what he asked.
	let (status, answer) = ask(&runtime, BOB, to, &ferdie, 1, 1);
	assert_eq!((status, answer), (404, Err(RequestError::UnknownPolicy)));
	let someone_else = AccountId::from([9; 32]);
	let (status, answer) = ask(&runtime, BOB, to, &someone_else, 1, 2);
	assert_eq!((status, answer), (403, Err(RequestError::NotAssigned)));
	// The dribbling connections are closed at the deadline (2 s), however busy they are.
	let started = Instant::now();
	let mut open = kept;
	while !open.is_empty() {
		assert!(started.elapsed() < Duration::from_secs(20), "slow connections kept open");
		open.retain_mut(|stream| stream.write_all(b"X").is_ok());
		std::thread::sleep(Duration::from_millis(200));
	}
	println!("the slow connections were closed after {:?}", started.elapsed());

	// An oversized body is refused unread.
	let mut stream = connect_from(&runtime, BOB, to);
	stream
		.write_all(b"POST /v1/reencrypt HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n")
		.unwrap();
	let mut answer = Vec::new();
	stream.read_to_end(&mut answer).unwrap();
	let (status, body) = parse(&answer);
	assert_eq!(status, 413);
	assert_eq!(
		ursula_api::decode_answer(&ferdie, status, &body).unwrap(),
		Err(RequestError::Malformed)
	);

	// A flood of one-capsule requests: the address's 128 tokens, then 429.
	std::thread::sleep(Duration::from_millis(1_100));
	let (ones, status, refusal) = flood(&runtime, BOB, to, &ferdie, 1);
	assert_eq!((status, refusal), (429, Err(RequestError::RateLimited)));
	assert!(ones >= RATE - 2, "{ones} one-capsule requests answered");
	// The node keeps answering: its RPC, and another host on the endpoint.
	node.rpc("system_health", json!([]));
	let (status, answer) = ask(&runtime, BYSTANDER, to, &ferdie, 1, 1);
	assert_eq!((status, answer), (404, Err(RequestError::UnknownPolicy)));

	// A flood of 32-capsule requests drains the same bucket 32 tokens at a time.
	std::thread::sleep(Duration::from_millis(1_100));
	let (full, status, refusal) = flood(&runtime, BOB, to, &ferdie, 32);
	assert_eq!((status, refusal), (429, Err(RequestError::RateLimited)));
	println!("answered before 429: {ones} requests of 1 capsule, {full} of 32 capsules");
	assert!((RATE / 32..=RATE / 32 + 1).contains(&full), "{full} 32-capsule requests answered");

	// A flood from many addresses at once: 256 of them, each spending its whole bucket on
	// 32-capsule requests that no Bob signed for this Ursula, while Bob asks from his own.
	// Nothing of the flood reaches the work (each gets its precise error or 429, never 503
	// for want of room), and Bob always gets his own precise answer.
	std::thread::sleep(Duration::from_millis(1_100));
	let flood: Vec<_> = (0..16u8)
		.map(|t| {
			let ferdie = ferdie.clone();
			std::thread::spawn(move || {
				let runtime =
					tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
				let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
				for round in 0..RATE / 32 + 1 {
					for n in 0..16u8 {
						let from = [127, 2, t, n + 1];
						let (status, _) = ask(&runtime, from, to, &ferdie, 32, round as u64 + 1);
						*statuses.entry(status).or_default() += 1;
					}
				}
				statuses
			})
		})
		.collect();
	for sequence in 0..20 {
		let (status, answer) = ask(&runtime, [127, 0, 0, 4], to, &ferdie, 1, sequence + 1);
		assert_eq!((status, answer), (404, Err(RequestError::UnknownPolicy)), "Bob's answer");
	}
	let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
	for thread in flood {
		for (status, count) in thread.join().expect("a flood thread") {
			*statuses.entry(status).or_default() += count;
		}
	}
	println!("the flood from 256 addresses was answered {statuses:?} (status: requests)");
	assert!(statuses.keys().all(|s| [404, 429].contains(s)), "only precise answers: {statuses:?}");
	assert!(statuses.get(&404).copied().unwrap_or(0) >= 256 * (RATE / 32), "{statuses:?}");
}
