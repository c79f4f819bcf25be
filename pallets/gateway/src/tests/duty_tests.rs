//! Duty transactions in the pool: a signing gateway's proof and the accused's answer are free
//! when, and only when, they will succeed; a failing duty never reaches a block.

use super::*;
use crate::{
	duty::{validity_code, CheckGatewayDuty, DUTY_PRIORITY},
	Call, Rounds,
};
use frame_support::{
	dispatch::GetDispatchInfo,
	pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
};
use sp_runtime::traits::{DispatchTransaction, TransactionExtension};

/// What the pool says of `who`'s `call`, as the duty check alone judges it.
pub(super) fn validate(
	who: &AccountId,
	call: Call<Test>,
) -> Result<sp_runtime::transaction_validity::ValidTransaction, TransactionValidityError> {
	let call = RuntimeCall::Gateway(call);
	let info = call.get_dispatch_info();
	CheckGatewayDuty::<Test>::new()
		.validate_only(
			RuntimeOrigin::signed(who.clone()),
			&call,
			&info,
			0,
			TransactionSource::External,
			0,
		)
		.map(|(valid, _, _)| valid)
}

fn prove_call(accused: &AccountId, request: &[u8], signers: &[u32]) -> Call<Test> {
	let (claim, set, signatures) = proof(accused, request, signers);
	Call::prove_unavailable {
		claim,
		request: request.to_vec().try_into().unwrap(),
		signers: set,
		signatures: signatures.try_into().unwrap(),
	}
}

fn gateway_at(index: u32) -> AccountId {
	Rounds::<Test>::get(2).unwrap().gateways[index as usize].worker.clone()
}

#[test]
fn a_signing_gateways_proof_is_a_free_duty_with_one_place_per_case() {
	run(|| {
		let umbral = setup();
		let accused = ursula(0);
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		let signers = signers_against(&accused);
		let call = prove_call(&accused, &request, &signers);
		let valid = validate(&gateway_at(signers[0]), call.clone()).expect("a valid duty");
		assert_eq!(valid.priority, DUTY_PRIORITY);
		assert_eq!(valid.provides.len(), 1);
		assert!(valid.longevity >= 1);
		// The same case from another signer takes the same place.
		let other = validate(&gateway_at(signers[1]), call.clone()).unwrap();
		assert_eq!(other.provides, valid.provides);

		// Fee-free for a signer, not for anyone else.
		let origin = |who: &AccountId| RuntimeOrigin::signed(who.clone());
		let crate::Call::prove_unavailable { claim, signers: s, .. } = &call else {
			unreachable!()
		};
		assert!(Gateway::proof_is_a_duty(&origin(&gateway_at(signers[0])), claim, s));
		assert!(!Gateway::proof_is_a_duty(&origin(&account("Submitter")), claim, s));
		// A gateway of the round that did not sign pays like anyone.
		let bystander = (0..5).find(|i| !signers.contains(i) && gateway_at(*i) != accused).unwrap();
		assert!(!Gateway::proof_is_a_duty(&origin(&gateway_at(bystander)), claim, s));
		// A stranger's proof is an ordinary transaction: no duty priority.
		let ordinary = validate(&account("Submitter"), call).unwrap();
		assert_eq!(ordinary.priority, 0);
		assert!(ordinary.provides.is_empty());
	});
}

#[test]
fn a_gateways_failing_proof_is_refused_in_the_pool_with_its_error() {
	run(|| {
		let umbral = setup();
		let accused = ursula(0);
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		let signers = signers_against(&accused);
		let mut call = prove_call(&accused, &request, &signers);
		if let Call::prove_unavailable { signatures, .. } = &mut call {
			signatures[0] = [0; 64];
		}
		assert_eq!(
			validate(&gateway_at(signers[0]), call.clone()),
			Err(validity_code(Error::<Test>::BadGatewaySignature).into())
		);
		assert_eq!(
			validity_code(Error::<Test>::BadGatewaySignature),
			InvalidTransaction::Custom(18)
		);
		// A stranger may still pay to learn the error in a block.
		assert!(validate(&account("Submitter"), call).is_ok());
	});
}

#[test]
fn the_accuseds_answer_is_a_free_duty_only_when_correct() {
	run(|| {
		let umbral = setup();
		let accused = accused();
		let request = request(&accused, vec![umbral.capsule.clone()], 1);
		assert_ok!(prove(&accused, &request, &signers_against(&accused)));
		let good = Call::answer_case { round: 2, cfrags: answer(&[&umbral.cfrag]) };
		let valid = validate(&accused, good).expect("a correct answer");
		assert_eq!(valid.priority, DUTY_PRIORITY);
		let wrong = Call::answer_case { round: 2, cfrags: answer(&[&umbral.wrong_cfrag]) };
		assert_eq!(
			validate(&accused, wrong),
			Err(validity_code(Error::<Test>::IncorrectAnswer).into())
		);
		let origin = RuntimeOrigin::signed(accused.clone());
		assert!(Gateway::answer_is_a_duty(&origin, 2, 1));
		assert!(!Gateway::answer_is_a_duty(&origin, 2, 2));
		assert!(!Gateway::answer_is_a_duty(&RuntimeOrigin::signed(ursula(7)), 2, 1));
	});
}

#[allow(unused_imports)]
use TransactionExtension as _;
