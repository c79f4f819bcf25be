//! The three-validator `local` network (//Alice, //Bob, //Charlie) on loopback: it produces and
//! finalizes blocks; with one validator stopped the other two keep producing blocks; the stopped
//! validator catches up after its restart and finality moves on.
//!
//! GRANDPA needs more than two thirds of the voters: with three equal voters that is all three
//! (n = 3 tolerates f = 0 faults, since n >= 3f + 1). So while one of three validators is down,
//! blocks keep coming but finality waits for it; this test checks exactly that, and that the
//! finalized head then passes every block produced while it was away.

mod harness;

use std::time::Duration;

use harness::{Node, NodeConfig};

fn start_network() -> Vec<Node> {
	let alice = Node::start("alice", NodeConfig::local_validator("alice"));
	let bootnode = alice.multiaddr();
	let mut nodes = vec![alice];
	for name in ["bob", "charlie"] {
		let mut config = NodeConfig::local_validator(name);
		config.bootnodes = vec![bootnode.clone()];
		nodes.push(Node::start(name, config));
	}
	nodes
}

#[test]
fn three_validators_finalize_and_a_restarted_validator_catches_up() {
	let mut nodes = start_network();

	harness::wait_for("every validator to see both others", Duration::from_secs(60), || {
		nodes.iter().all(|node| node.peers() >= 2).then_some(())
	});
	for node in nodes.iter_mut() {
		node.wait_for_finalized(3, Duration::from_secs(120));
	}

	// Charlie goes down; Alice and Bob keep authoring in their own slots.
	nodes[2].stop();
	let best_when_stopped = nodes[0].best_number();
	nodes[0].wait_for_best(best_when_stopped + 3, Duration::from_secs(90));
	nodes[1].wait_for_best(best_when_stopped + 3, Duration::from_secs(90));

	// Charlie returns, syncs what it missed and votes again: finality passes the gap.
	nodes[2].restart();
	let target = nodes[0].best_number();
	nodes[2].wait_for_best(target, Duration::from_secs(120));
	for node in nodes.iter_mut() {
		node.wait_for_finalized(target, Duration::from_secs(180));
	}

	// All three agree on the finalized chain.
	let hashes: Vec<_> = nodes.iter().map(|node| node.block_hash(target)).collect();
	assert!(hashes.iter().all(|hash| *hash == hashes[0]), "the validators diverged: {hashes:?}");
}
