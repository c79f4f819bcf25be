//! The off-chain worker submits what the Ursula service left in the outbox, as the hosted
//! worker's signed transactions, and only duties that will succeed.

use super::*;
use crate::{offchain::read_outbox, Call, Rounds};
use codec::{Decode, Encode};
use frame_support::traits::Hooks;
use keymarket_primitives::{
	gateway::{GatewayDuty, OUTBOX_KEY},
	staking::WORKER_KEY_TYPE,
};
use sp_core::offchain::{
	testing::{TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
};
use sp_keystore::Keystore;
use sp_runtime::offchain::storage::StorageValueRef;

#[test]
fn the_outbox_becomes_signed_duties_of_the_hosted_worker() {
	let mut ext = new_test_ext();
	let (offchain, _) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	let keystore = sp_keystore::testing::MemoryKeystore::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(sp_keystore::KeystoreExt::new(keystore.clone()));
	ext.execute_with(|| {
		let umbral = setup();
		let accused = ursula(0);
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		let signers = signers_against(&accused);
		let (claim, set, signatures) = proof(&accused, &request, &signers);
		// This node hosts the first signing gateway.
		let gateway = Rounds::<Test>::get(2).unwrap().gateways[signers[0] as usize].worker.clone();
		let index = (0..URSULAS).find(|u| ursula(*u) == gateway).unwrap();
		keystore.sr25519_generate_new(WORKER_KEY_TYPE, Some(&format!("//u{index}"))).unwrap();

		let good = GatewayDuty::Prove {
			submitter: gateway.clone(),
			claim: claim.clone(),
			request: request.clone(),
			signers: set,
			signatures: signatures.clone(),
		};
		// A duty that would fail (a forged signature) and one for a worker not hosted here.
		let mut forged = signatures.clone();
		forged[0] = [1; 64];
		let bad = GatewayDuty::Prove {
			submitter: gateway.clone(),
			claim: claim.clone(),
			request: request.clone(),
			signers: set,
			signatures: forged,
		};
		let other = Rounds::<Test>::get(2).unwrap().gateways[signers[1] as usize].worker.clone();
		let elsewhere = GatewayDuty::Prove {
			submitter: other,
			claim,
			request: request.clone(),
			signers: set,
			signatures,
		};
		StorageValueRef::persistent(OUTBOX_KEY).set(&vec![bad, elsewhere, good]);

		Gateway::offchain_worker(12);
		let transactions = pool_state.read().transactions.clone();
		assert_eq!(transactions.len(), 1, "only the good duty of the hosted worker");
		let extrinsic = Extrinsic::decode(&mut &transactions[0][..]).unwrap();
		let signer = match &extrinsic.preamble {
			sp_runtime::generic::Preamble::Signed(address, ..) => address.clone(),
			other => panic!("a signed transaction, not {other:?}"),
		};
		assert_eq!(signer, gateway);
		assert!(matches!(extrinsic.function, RuntimeCall::Gateway(Call::prove_unavailable { .. })));
		assert!(read_outbox::<AccountId>().is_empty(), "taken");

		// Nothing more next block.
		Gateway::offchain_worker(13);
		assert_eq!(pool_state.read().transactions.len(), 1);
		let _ = request.encode();
	});
}
