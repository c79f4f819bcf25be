//! A single development node: it authors and finalizes blocks, and a transfer signed by //Alice
//! lands with its events and moves the balance.

mod harness;

use std::time::Duration;

use harness::{Node, NodeConfig};
use keymarket_runtime::{RuntimeCall, RuntimeEvent, UNITS};
use sp_keyring::Sr25519Keyring;

#[test]
fn dev_node_finalizes_blocks_and_includes_a_transfer() {
	let mut node = Node::start("dev", NodeConfig::dev());

	// Blocks every 6 s, finalized by GRANDPA.
	node.wait_for_best(2, Duration::from_secs(60));
	node.wait_for_finalized(1, Duration::from_secs(60));

	let alice = Sr25519Keyring::Alice;
	let dave = Sr25519Keyring::Dave;
	let dave_before = node.free_balance(&dave.to_account_id());
	let amount = 42 * UNITS;

	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: dave.to_account_id().into(),
		value: amount,
	});
	let hash = node.submit(&alice.pair(), call).expect("the pool accepts a valid transfer");
	let (block, events) = node.wait_for_inclusion(hash, Duration::from_secs(60));

	assert!(
		events.iter().any(|event| matches!(
			event,
			RuntimeEvent::Balances(pallet_balances::Event::Transfer { from, to, amount: a })
				if *from == alice.to_account_id() && *to == dave.to_account_id() && *a == amount
		)),
		"no Transfer event in {events:?}"
	);
	assert!(
		events.iter().any(|event| matches!(
			event,
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { .. }
			)
		)),
		"no fee was charged: {events:?}"
	);
	assert!(events.iter().any(|event| matches!(
		event,
		RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. })
	)));
	assert_eq!(node.free_balance(&dave.to_account_id()), dave_before + amount);

	// The block with the transfer becomes final.
	let number = harness::wait_for("the transfer's block number", Duration::from_secs(5), || {
		(0..=node.best_number()).find(|n| node.block_hash(*n) == Some(block))
	});
	node.wait_for_finalized(number, Duration::from_secs(60));
}

#[test]
fn a_transfer_with_a_bad_signature_is_rejected_by_the_pool() {
	let node = Node::start("dev-bad-signature", NodeConfig::dev());
	let alice = Sr25519Keyring::Alice;
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: Sr25519Keyring::Eve.to_account_id().into(),
		value: UNITS,
	});
	// Signed by //Bob, but claims to come from //Alice.
	let mut extrinsic = node.sign(&Sr25519Keyring::Bob.pair(), call, 0);
	if let sp_runtime::generic::Preamble::Signed(address, _, _) = &mut extrinsic.preamble {
		*address = sp_runtime::MultiAddress::Id(alice.to_account_id());
	}
	use codec::Encode;
	let error = node
		.try_rpc("author_submitExtrinsic", serde_json::json!([harness::hex(&extrinsic.encode())]))
		.expect_err("a forged signature must be refused");
	assert!(error.contains("1010") && error.contains("bad signature"), "unexpected error: {error}");
}
