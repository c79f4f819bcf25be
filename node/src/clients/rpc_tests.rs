//! The typed RPC client over the project's blocking HTTP: calls, errors and batches, against a
//! one-shot server on loopback. (Apart from `rpc.rs`, which the integration tests' harness also
//! compiles: these run once.)

use std::io::{BufRead, BufReader, Read, Write};

use jsonrpsee::core::{
	client::{ClientT, Error as ClientError},
	params::BatchRequestBuilder,
};
use serde_json::{json, Value};

use super::rpc::{typed, RpcClient};
use jsonrpsee::{core::params::ArrayParams, rpc_params};

/// A one-shot JSON-RPC server on loopback that answers every request with `answer` and
/// hands back the body it received.
fn serve_once(answer: &'static str) -> (String, std::thread::JoinHandle<String>) {
	let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
	let address = listener.local_addr().unwrap().to_string();
	let handle = std::thread::spawn(move || {
		let (stream, _) = listener.accept().unwrap();
		let mut reader = BufReader::new(stream.try_clone().unwrap());
		let mut length = 0;
		loop {
			let mut line = String::new();
			reader.read_line(&mut line).unwrap();
			if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
				length = value.trim().parse().unwrap();
			}
			if line.trim().is_empty() {
				break;
			}
		}
		let mut body = vec![0; length];
		reader.read_exact(&mut body).unwrap();
		let mut stream = stream;
		write!(
			stream,
			"HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
			answer.len()
		)
		.unwrap();
		String::from_utf8(body).unwrap()
	});
	(address, handle)
}

#[test]
fn a_typed_call_sends_its_params_and_reads_its_result_or_error() {
	let (address, sent) = serve_once(r#"{"jsonrpc":"2.0","id":1,"result":[1,2]}"#);
	let client = RpcClient::new(address);
	let result: Vec<u32> = typed(client.request("m_x", rpc_params![7, "a"])).unwrap();
	assert_eq!(result, vec![1, 2]);
	let sent: Value = serde_json::from_str(&sent.join().unwrap()).unwrap();
	assert_eq!(sent["method"], "m_x");
	assert_eq!(sent["params"], json!([7, "a"]));

	let (address, _) =
		serve_once(r#"{"jsonrpc":"2.0","id":1,"error":{"code":1002,"message":"few"}}"#);
	let error = futures::executor::block_on(
		RpcClient::new(address).request::<Value, _>("m_y", ArrayParams::new()),
	)
	.unwrap_err();
	match error {
		ClientError::Call(e) => assert_eq!((e.code(), e.message()), (1002, "few")),
		other => panic!("not the node's error: {other}"),
	}
}

#[test]
fn a_batch_reads_its_answers_in_request_order_whatever_order_they_come_in() {
	let (address, sent) = serve_once(
		r#"[{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}},
		    {"jsonrpc":"2.0","id":0,"result":5}]"#,
	);
	let mut batch = BatchRequestBuilder::new();
	batch.insert("m_a", rpc_params![1]).unwrap();
	batch.insert("m_b", rpc_params![2]).unwrap();
	let answers =
		futures::executor::block_on(RpcClient::new(address).batch_request::<u32>(batch)).unwrap();
	assert_eq!((answers.num_successful_calls(), answers.num_failed_calls()), (1, 1));
	let mut answers = answers.into_iter();
	assert_eq!(answers.next().unwrap().unwrap(), 5);
	assert_eq!(answers.next().unwrap().unwrap_err().code(), -32602);
	let sent: Value = serde_json::from_str(&sent.join().unwrap()).unwrap();
	assert_eq!(sent[0]["method"], "m_a");
	assert_eq!(sent[1]["id"], 1);
}
