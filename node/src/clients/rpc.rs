//! A small blocking JSON-RPC client over HTTP/1.1, enough for the clients and the tests: one
//! request per connection, a deadline on every read.

use std::{
	io::{BufRead, BufReader, Read, Write},
	net::{TcpStream, ToSocketAddrs},
	time::Duration,
};

/// The largest answer read: a node's or an Ursula's answer is far smaller.
const MAX_ANSWER: usize = 16 * 1024 * 1024;

/// The deadline of connecting, sending and each read.
const DEADLINE: Duration = Duration::from_secs(30);

/// Connects to `address` (`host:port`) with [`DEADLINE`] on every step.
fn connect(address: &str) -> Result<TcpStream, String> {
	connect_within(address, DEADLINE)
}

/// Connects to `address` with `deadline` on connecting, sending and each read.
fn connect_within(address: &str, deadline: Duration) -> Result<TcpStream, String> {
	let socket = address
		.to_socket_addrs()
		.map_err(|e| format!("bad address {address}: {e}"))?
		.next()
		.ok_or_else(|| format!("{address} resolves to nothing"))?;
	let stream = TcpStream::connect_timeout(&socket, deadline)
		.map_err(|e| format!("connect to {address}: {e}"))?;
	stream.set_read_timeout(Some(deadline)).map_err(|e| e.to_string())?;
	stream.set_write_timeout(Some(deadline)).map_err(|e| e.to_string())?;
	Ok(stream)
}

use jsonrpsee::{
	core::{
		async_trait,
		client::{BatchResponse, ClientT, Error as ClientError},
		params::BatchRequestBuilder,
		traits::ToRpcParams,
	},
	types::ErrorObjectOwned,
};
use serde::de::DeserializeOwned;
use serde_json::{json, value::RawValue, Value};

/// Why a call failed: the transport, or the node's error answer.
enum Failure {
	Transport(String),
	Answer(ErrorObjectOwned),
}

impl From<Failure> for ClientError {
	fn from(failure: Failure) -> Self {
		match failure {
			Failure::Transport(e) => ClientError::Transport(e.into()),
			Failure::Answer(e) => ClientError::Call(e),
		}
	}
}

/// Sends one JSON-RPC body (a request, a notification or a batch); the answer's body.
fn send(address: &str, body: String) -> Result<Vec<u8>, Failure> {
	let mut stream = connect(address).map_err(Failure::Transport)?;
	write!(
		stream,
		"POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)
	.map_err(|e| Failure::Transport(format!("send: {e}")))?;
	let (_, body) = read_response(stream).map_err(Failure::Transport)?;
	Ok(body)
}

/// Sends one JSON-RPC body (a request or a batch) and parses the answer.
fn exchange(address: &str, body: String) -> Result<Value, Failure> {
	serde_json::from_slice(&send(address, body)?)
		.map_err(|e| Failure::Transport(format!("bad JSON: {e}")))
}

/// The result of one answer object, or its error.
fn result_of(mut answer: Value) -> Result<Value, Failure> {
	match answer.get_mut("error").map(Value::take) {
		Some(error) => Err(Failure::Answer(
			serde_json::from_value(error)
				.map_err(|e| Failure::Transport(format!("bad error object: {e}")))?,
		)),
		None => Ok(answer.get_mut("result").map(Value::take).unwrap_or(Value::Null)),
	}
}

/// One request's JSON-RPC text.
fn request_text(id: usize, method: &str, params: Option<&RawValue>) -> String {
	match params {
		Some(params) => format!(
			r#"{{"jsonrpc":"2.0","id":{id},"method":{},"params":{}}}"#,
			json!(method),
			params.get()
		),
		None => format!(r#"{{"jsonrpc":"2.0","id":{id},"method":{}}}"#, json!(method)),
	}
}

/// One JSON-RPC call to `host:port` by method name (for the standard methods, which have no
/// typed client here); `Err` on transport failure or an error answer (its code and message).
pub fn call(address: &str, method: &str, params: Value) -> Result<Value, String> {
	let params = RawValue::from_string(params.to_string()).map_err(|e| e.to_string())?;
	exchange(address, request_text(1, method, Some(&params))).and_then(result_of).map_err(
		|failure| match failure {
			Failure::Transport(e) => e,
			Failure::Answer(e) => {
				let data = e.data().map(|d| format!(" ({})", d.get())).unwrap_or_default();
				format!("{}: {}{data}", e.code(), e.message())
			},
		},
	)
}

/// A node's JSON-RPC endpoint over blocking HTTP. Through [`ClientT`] it serves the typed
/// `*ApiClient` traits that `node/src/rpc` declares beside their servers, so the clients call
/// `keymarket_*` methods with the server's own types, never by JSON field names. Each call
/// completes before its future is first polled: [`typed`] drives one.
#[derive(Clone, Debug)]
pub struct RpcClient {
	address: String,
}

impl RpcClient {
	/// The endpoint at `host:port`.
	pub fn new(address: String) -> Self {
		Self { address }
	}
}

#[async_trait]
impl ClientT for RpcClient {
	async fn notification<Params>(&self, method: &str, params: Params) -> Result<(), ClientError>
	where
		Params: ToRpcParams + Send,
	{
		let params = params.to_rpc_params()?;
		let text = match params {
			Some(params) => format!(
				r#"{{"jsonrpc":"2.0","method":{},"params":{}}}"#,
				json!(method),
				params.get()
			),
			None => format!(r#"{{"jsonrpc":"2.0","method":{}}}"#, json!(method)),
		};
		// A notification has no answer: whatever body comes back is not read.
		send(&self.address, text)?;
		Ok(())
	}

	async fn request<R, Params>(&self, method: &str, params: Params) -> Result<R, ClientError>
	where
		R: DeserializeOwned,
		Params: ToRpcParams + Send,
	{
		let params = params.to_rpc_params()?;
		let result = exchange(&self.address, request_text(1, method, params.as_deref()))
			.and_then(result_of)?;
		Ok(serde_json::from_value(result)?)
	}

	async fn batch_request<'a, R>(
		&self,
		batch: BatchRequestBuilder<'a>,
	) -> Result<BatchResponse<'a, R>, ClientError>
	where
		R: DeserializeOwned + std::fmt::Debug + 'a,
	{
		let calls = batch.build()?;
		let texts: Vec<String> = calls
			.iter()
			.enumerate()
			.map(|(id, (method, params))| request_text(id, method, params.as_deref()))
			.collect();
		let answers = exchange(&self.address, format!("[{}]", texts.join(",")))?;
		let mut answers = match answers {
			Value::Array(answers) if answers.len() == calls.len() => answers,
			other => {
				return Err(ClientError::Custom(format!("not an answer to the batch: {other}")))
			},
		};
		answers.sort_by_key(|answer| answer["id"].as_u64());
		let mut successful = 0;
		let mut responses = Vec::with_capacity(answers.len());
		for answer in answers {
			match result_of(answer) {
				Ok(result) => {
					responses.push(Ok(serde_json::from_value(result)?));
					successful += 1;
				},
				Err(Failure::Answer(error)) => responses.push(Err(error)),
				Err(failure) => return Err(failure.into()),
			}
		}
		let failed = responses.len() - successful;
		Ok(BatchResponse::new(successful, responses, failed))
	}
}

/// Runs one typed call of an [`RpcClient`] to its end; its error as text.
pub fn typed<T>(
	call: impl std::future::Future<Output = Result<T, ClientError>>,
) -> Result<T, String> {
	futures::executor::block_on(call).map_err(|e| e.to_string())
}

/// Reads an HTTP/1.1 response: its status code and body (by `Content-Length`, or to the end),
/// at most [`MAX_ANSWER`] bytes.
pub fn read_response(stream: TcpStream) -> Result<(u16, Vec<u8>), String> {
	read_from(&mut BufReader::new(stream))
}

/// Reads one HTTP/1.1 response from `reader` (which may carry more: keep-alive).
pub fn read_from(reader: &mut impl BufRead) -> Result<(u16, Vec<u8>), String> {
	let mut line = String::new();
	reader.read_line(&mut line).map_err(|e| format!("read: {e}"))?;
	let status = line
		.split_whitespace()
		.nth(1)
		.and_then(|code| code.parse::<u16>().ok())
		.ok_or_else(|| format!("not an HTTP response: {line:?}"))?;
	let mut content_length = None;
	loop {
		line.clear();
		if reader.read_line(&mut line).map_err(|e| format!("read: {e}"))? == 0 {
			return Err("connection closed before the headers ended".into());
		}
		let trimmed = line.trim_end();
		if trimmed.is_empty() {
			break;
		}
		if let Some((name, value)) = trimmed.split_once(':') {
			if name.eq_ignore_ascii_case("content-length") {
				content_length = value.trim().parse::<usize>().ok();
			}
		}
	}
	let mut body = Vec::new();
	match content_length {
		Some(len) if len > MAX_ANSWER => return Err(format!("an answer of {len} bytes")),
		Some(len) => {
			body.resize(len, 0);
			reader.read_exact(&mut body).map_err(|e| format!("read body: {e}"))?;
		},
		None => {
			reader
				.by_ref()
				.take(MAX_ANSWER as u64 + 1)
				.read_to_end(&mut body)
				.map_err(|e| format!("read body: {e}"))?;
			if body.len() > MAX_ANSWER {
				return Err("an answer too long".into());
			}
		},
	}
	Ok((status, body))
}

/// POSTs `body` to `http://host:port/path` and returns the status and body of the answer.
pub fn post(address: &str, path: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
	post_within(address, path, body, DEADLINE)
}

/// [`post`] with `deadline` on connecting, sending and each read: what a gateway gives an
/// accused Ursula to answer.
pub fn post_within(
	address: &str,
	path: &str,
	body: &[u8],
	deadline: Duration,
) -> Result<(u16, Vec<u8>), String> {
	let mut stream = connect_within(address, deadline)?;
	write!(
		stream,
		"POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/octet-stream\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	)
	.and_then(|_| stream.write_all(body))
	.map_err(|e| format!("send: {e}"))?;
	read_response(stream)
}

/// `host:port` of an `http://host:port[/…]` URL (or of a bare `host:port`).
pub fn address_of(url: &str) -> Result<String, String> {
	let rest = url.strip_prefix("http://").unwrap_or(url);
	let address = rest.split('/').next().unwrap_or_default();
	// Another scheme (`https://`, `ws://`, `ftp://`) is not a bare `host:port` either.
	if address.contains(':') && !rest.contains("://") {
		Ok(address.to_string())
	} else {
		Err(format!("{url} is not http://host:port"))
	}
}
