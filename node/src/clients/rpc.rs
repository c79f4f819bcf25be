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
	let socket = address
		.to_socket_addrs()
		.map_err(|e| format!("bad address {address}: {e}"))?
		.next()
		.ok_or_else(|| format!("{address} resolves to nothing"))?;
	let stream = TcpStream::connect_timeout(&socket, DEADLINE)
		.map_err(|e| format!("connect to {address}: {e}"))?;
	stream.set_read_timeout(Some(DEADLINE)).map_err(|e| e.to_string())?;
	stream.set_write_timeout(Some(DEADLINE)).map_err(|e| e.to_string())?;
	Ok(stream)
}

use serde_json::{json, Value};

/// One JSON-RPC call to `host:port`; `Err` on transport failure or an error answer (its code and
/// message).
pub fn call(address: &str, method: &str, params: Value) -> Result<Value, String> {
	let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
	let mut stream = connect(address)?;
	write!(
		stream,
		"POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)
	.map_err(|e| format!("send: {e}"))?;
	let (_, body) = read_response(stream)?;
	let answer: Value = serde_json::from_slice(&body).map_err(|e| format!("bad JSON: {e}"))?;
	if let Some(error) = answer.get("error") {
		let data = error.get("data").map(|d| format!(" ({d})")).unwrap_or_default();
		return Err(format!(
			"{}: {}{data}",
			error["code"],
			error["message"].as_str().unwrap_or("")
		));
	}
	Ok(answer["result"].clone())
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
	let mut stream = connect(address)?;
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
	if address.contains(':') {
		Ok(address.to_string())
	} else {
		Err(format!("{url} is not http://host:port"))
	}
}
