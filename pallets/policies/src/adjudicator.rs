//! The adjudicator: a capsule fragment an Ursula signed, whose proof fails, is an offence.

use codec::Encode;
use frame_support::pallet_prelude::*;
use keymarket_primitives::{
	crypto::sr25519_signed,
	policies::{
		cfrag_signing_payload, judge_cfrag, CfragVerdict, EvidenceError, MAX_CAPSULE_LEN,
		MAX_CFRAG_LEN,
	},
	slashing::{Offence, OffenceKind, ReportOffence},
};

use crate::*;

/// Evidence as the call carries it.
pub type EvidenceOf = CfragEvidence<
	BoundedVec<u8, ConstU32<MAX_CAPSULE_LEN>>,
	BoundedVec<u8, ConstU32<MAX_CFRAG_LEN>>,
>;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_report_incorrect_cfrag(
		reporter: T::AccountId,
		worker: T::AccountId,
		evidence: EvidenceOf,
	) -> DispatchResult {
		let policy = Policies::<T>::get(evidence.policy).ok_or(Error::<T>::UnknownPolicy)?;
		let member = policy
			.ursulas
			.iter()
			.find(|u| u.worker == worker)
			.ok_or(Error::<T>::NotPolicyUrsula)?;
		ensure!(policy.in_service(evidence.served_at), Error::<T>::ServedOutsidePolicy);
		let payload = cfrag_signing_payload(
			&evidence.policy,
			&worker,
			evidence.served_at,
			&evidence.capsule,
			&evidence.cfrag,
		);
		ensure!(
			sr25519_signed(&member.signing_key, &payload, &evidence.signature),
			Error::<T>::BadUrsulaSignature
		);
		// A capsule the runtime cannot read proves nothing: it is Bob's input, and the Ursula
		// refuses all but canonical umbral-pre capsules before it serves. A fragment that is
		// not umbral-pre bytes, or does not verify, is the Ursula's: it signed it.
		let verdict = judge_cfrag(
			&evidence.capsule,
			&evidence.cfrag,
			&policy.grant.verifying_key,
			&policy.grant.policy_key,
			&policy.grant.bob_key,
		);
		match verdict {
			Ok(CfragVerdict::Correct) => return Err(Error::<T>::CfragIsCorrect.into()),
			Err(EvidenceError::MalformedCapsule) => return Err(Error::<T>::MalformedCapsule.into()),
			Err(EvidenceError::MalformedKey) => return Err(Error::<T>::InvalidUmbralKey.into()),
			Ok(_) | Err(EvidenceError::MalformedCfrag) => {},
		}

		let offence = Offence {
			offender: worker.clone(),
			kind: OffenceKind::IncorrectCfrag,
			// The evidence binds the policy; the slashing pallet adds the offender and period.
			evidence: sp_crypto_hashing::blake2_256(
				&(
					evidence.policy,
					sp_crypto_hashing::blake2_256(&evidence.capsule),
					sp_crypto_hashing::blake2_256(&evidence.cfrag),
				)
					.encode(),
			),
			period: evidence.served_at,
			reporters: alloc::vec![reporter.clone()],
		};
		// The slashing pallet's refusal, passed through as its own error.
		let slash = T::Offences::report(offence).map_err(T::Offences::refusal)?;
		Self::deposit_event(Event::IncorrectCfragReported {
			policy: evidence.policy,
			worker,
			reporter,
			slash,
		});
		Ok(())
	}
}
