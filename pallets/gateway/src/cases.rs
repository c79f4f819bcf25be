//! Cases: a proof of unavailability opens one, the accused's correct answer voids it, the end
//! of its answer window punishes.

use codec::{DecodeAll, Encode};
use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::pallet_prelude::OriginFor;
use keymarket_primitives::{
	crypto::{sr25519_signed, Sr25519Signature},
	gateway::{claim_signing_payload, MAX_REQUEST_LEN},
	policies::{
		judge_cfrag, CfragVerdict, ReencryptionRequest, MAX_CAPSULE_LEN, MAX_CFRAG_LEN,
		WIRE_VERSION,
	},
	slashing::{Offence, OffenceKind},
};
use sp_runtime::traits::{Saturating, Zero};

use crate::*;

/// A case an answer voids, and the gateways that signed it.
pub(crate) type AnsweredCase<T> =
	(CaseOf<T>, alloc::vec::Vec<<T as frame_system::Config>::AccountId>);

/// What a valid proof establishes, ready to be recorded.
pub(crate) struct CheckedProof<AccountId> {
	pub gateways: alloc::vec::Vec<AccountId>,
}

impl<T: Config> Pallet<T> {
	/// Every check of a proof, cheapest first; what the call, its fee waiver and the pool's
	/// duty check all run. Returns the signing gateways.
	pub(crate) fn check_proof(
		claim: &UnavailabilityClaim<T::AccountId>,
		request: &[u8],
		signers: SignerSet,
		signatures: &[Sr25519Signature],
	) -> Result<CheckedProof<T::AccountId>, Error<T>> {
		let now = T::Ursulas::current_round();
		let round = claim.round;
		ensure!(
			round <= now && now <= round.saturating_add(T::ProofRounds::get()),
			Error::<T>::ProofWindowClosed
		);
		let gateways = Rounds::<T>::get(round).ok_or(Error::<T>::UnknownRound)?;
		ensure!(!Cases::<T>::contains_key(round, &claim.ursula), Error::<T>::AlreadyAccused);
		ensure!(
			CasesClaimed::<T>::get(round) < T::MaxCasesPerRound::get(),
			Error::<T>::TooManyCases
		);
		let closes_at = now.saturating_add(T::AnswerRounds::get());
		ensure!(
			(Closing::<T>::decode_len(closes_at).unwrap_or(0) as u32) < T::MaxCasesPerRound::get(),
			Error::<T>::TooManyCases
		);
		ensure!(signers.len() >= gateways.threshold.max(1), Error::<T>::NotEnoughSigners);
		ensure!(signatures.len() == signers.len() as usize, Error::<T>::SignatureCountMismatch);
		ensure!(
			signers.highest().is_some_and(|i| (i as usize) < gateways.gateways.len()),
			Error::<T>::NotAGateway
		);
		let signing: alloc::vec::Vec<&Gateway<T::AccountId>> =
			signers.indices().map(|i| &gateways.gateways[i as usize]).collect();
		ensure!(signing.iter().all(|g| g.worker != claim.ursula), Error::<T>::AccusedSigned);
		// The gateways waited within the round, and the wait is over.
		ensure!(
			Self::round_start(round) <= claim.deadline && claim.deadline < Self::block_number(),
			Error::<T>::BadDeadline
		);

		ensure!(
			sp_crypto_hashing::blake2_256(request) == claim.request_hash,
			Error::<T>::RequestHashMismatch
		);
		let request = ReencryptionRequest::decode_all(&mut &request[..])
			.map_err(|_| Error::<T>::MalformedRequest)?;
		let body = &request.body;
		ensure!(body.version == WIRE_VERSION, Error::<T>::MalformedRequest);
		ensure!(
			body.ursula.encode() == claim.ursula.encode() && body.policy == claim.policy,
			Error::<T>::RequestMismatch
		);
		ensure!(
			!body.capsules.is_empty()
				&& body.capsules.len() <= MAX_COMPLAINT_CAPSULES as usize
				&& body.capsules.iter().all(|c| c.len() <= MAX_CAPSULE_LEN as usize),
			Error::<T>::BadCapsuleCount
		);
		let policy = T::Policies::accused_policy(&claim.policy, &claim.ursula)
			.ok_or(Error::<T>::NotPolicyUrsula)?;
		let period = Self::period_of(round);
		ensure!(policy.window.served_in(period), Error::<T>::PolicyNotInService);
		ensure!(body.bob.encode() == policy.bob.encode(), Error::<T>::NotBobsRequest);
		ensure!(T::Ursulas::committed_to(&claim.ursula, period), Error::<T>::NotOnDuty);

		let bob: &[u8; 32] = body.bob.as_ref();
		ensure!(
			sr25519_signed(bob, &body.signing_payload(), &request.signature),
			Error::<T>::BadBobSignature
		);
		let payload = claim_signing_payload(claim);
		for (gateway, signature) in signing.iter().zip(signatures) {
			ensure!(
				sr25519_signed(&gateway.signing_key, &payload, signature),
				Error::<T>::BadGatewaySignature
			);
		}
		Ok(CheckedProof { gateways: signing.into_iter().map(|g| g.worker.clone()).collect() })
	}

	pub(crate) fn do_prove(
		submitter: T::AccountId,
		claim: UnavailabilityClaim<T::AccountId>,
		request: BoundedVec<u8, ConstU32<MAX_REQUEST_LEN>>,
		signers: SignerSet,
		signatures: &[Sr25519Signature],
	) -> DispatchResult {
		Self::check_proof(&claim, &request, signers, signatures)?;
		let now = T::Ursulas::current_round();
		let closes_at = now.saturating_add(T::AnswerRounds::get());
		Closing::<T>::try_mutate(closes_at, |closing| {
			closing.try_push((claim.round, claim.ursula.clone()))
		})
		.map_err(|_| Error::<T>::TooManyCases)?;
		CasesClaimed::<T>::mutate(claim.round, |count| *count += 1);
		Records::<T>::mutate(&claim.ursula, |record| {
			record.accused.saturating_inc();
			record.last_round = claim.round;
		});
		Cases::<T>::insert(
			claim.round,
			&claim.ursula,
			Case {
				policy: claim.policy,
				request,
				request_hash: claim.request_hash,
				deadline: claim.deadline,
				signers,
				submitter,
				opened_in: now,
				closes_at,
				status: CaseStatus::Open,
				answer: Default::default(),
			},
		);
		Self::deposit_event(Event::UnavailabilityProven {
			round: claim.round,
			ursula: claim.ursula,
			policy: claim.policy,
			request_hash: claim.request_hash,
			signers: signers.len(),
			closes_at,
		});
		Ok(())
	}

	/// The checks of an answer: an open case of the signer, one fragment per capsule, each
	/// correct for the policy's keys. Returns the case and the gateways that signed it.
	pub(crate) fn check_answer(
		ursula: &T::AccountId,
		round: Round,
		cfrags: &[BoundedVec<u8, ConstU32<MAX_CFRAG_LEN>>],
	) -> Result<AnsweredCase<T>, Error<T>> {
		let case = Cases::<T>::get(round, ursula).ok_or(Error::<T>::NoSuchCase)?;
		ensure!(case.status == CaseStatus::Open, Error::<T>::CaseClosed);
		let request = ReencryptionRequest::decode_all(&mut &case.request[..])
			.map_err(|_| Error::<T>::MalformedRequest)?;
		ensure!(cfrags.len() == request.body.capsules.len(), Error::<T>::WrongAnswerCount);
		let policy =
			T::Policies::accused_policy(&case.policy, ursula).ok_or(Error::<T>::NotPolicyUrsula)?;
		for (capsule, cfrag) in request.body.capsules.iter().zip(cfrags) {
			let verdict = judge_cfrag(
				capsule,
				cfrag,
				&policy.verifying_key,
				&policy.policy_key,
				&policy.bob_key,
			);
			ensure!(verdict == Ok(CfragVerdict::Correct), Error::<T>::IncorrectAnswer);
		}
		let gateways = Self::signing_gateways(round, case.signers);
		Ok((case, gateways))
	}

	/// Records the answer, voids the case and reports each signing gateway for a false
	/// accusation. Returns how many were reported.
	pub(crate) fn do_answer(
		ursula: T::AccountId,
		round: Round,
		cfrags: BoundedVec<
			BoundedVec<u8, ConstU32<MAX_CFRAG_LEN>>,
			ConstU32<MAX_COMPLAINT_CAPSULES>,
		>,
	) -> Result<u32, DispatchError> {
		let (mut case, gateways) = Self::check_answer(&ursula, round, &cfrags)?;
		Closing::<T>::mutate(case.closes_at, |closing| {
			closing.retain(|(claimed, accused)| !(*claimed == round && *accused == ursula))
		});
		let evidence = sp_crypto_hashing::blake2_256(
			&(b"keymarket/false-accusation", round, &ursula, case.request_hash).encode(),
		);
		let mut reported = 0u32;
		for gateway in gateways {
			let offence = Offence {
				offender: gateway.clone(),
				kind: OffenceKind::FalseAccusation { round },
				evidence,
				period: Self::period_of(round),
				reporters: alloc::vec![ursula.clone()],
			};
			match T::Offences::report(offence) {
				Ok(_) => reported += 1,
				Err(reason) => {
					Self::deposit_event(Event::AccusationNotReported { round, gateway, reason })
				},
			}
		}
		case.status = CaseStatus::Answered;
		case.answer = cfrags;
		Cases::<T>::insert(round, &ursula, case);
		Records::<T>::mutate(&ursula, |record| record.answered.saturating_inc());
		Self::deposit_event(Event::CaseAnswered { round, ursula, reported });
		Ok(reported)
	}

	/// The case of `ursula` for `claimed` reached its closing round unanswered: the round's pay
	/// is withheld (its fees back to Alice) and reported as the penalty, shared by the signing
	/// gateways.
	pub(crate) fn close_case(claimed: Round, ursula: &T::AccountId) {
		let Some(mut case) = Cases::<T>::get(claimed, ursula) else { return };
		if case.status != CaseStatus::Open {
			return;
		}
		let period = Self::period_of(claimed);
		let per_period = T::RoundsPerPeriod::get().max(1);
		let fees = T::Policies::round_fees(ursula, period, per_period);
		let staker = T::Ursulas::staker_of(ursula);
		let subsidy = staker
			.as_ref()
			.map(|staker| T::Rewards::period_reward(staker, period) / per_period.into())
			.unwrap_or_else(Zero::zero);
		let penalty = fees.saturating_add(subsidy);
		let reporters = Self::signing_gateways(claimed, case.signers);
		let offence = Offence {
			offender: ursula.clone(),
			kind: OffenceKind::Unavailability { round: claimed, earnings: penalty },
			evidence: case.request_hash,
			period,
			reporters,
		};
		match T::Offences::report(offence) {
			Ok(slash) => {
				let refunded = staker
					.as_ref()
					.map(|staker| T::Policies::refund_round(ursula, staker, period, per_period))
					.unwrap_or_else(Zero::zero);
				case.status = CaseStatus::Punished { penalty, refunded };
				Records::<T>::mutate(ursula, |record| record.punished.saturating_inc());
				Self::deposit_event(Event::UrsulaPunished {
					round: claimed,
					ursula: ursula.clone(),
					penalty,
					refunded,
					slash,
				});
			},
			Err(reason) => {
				case.status = CaseStatus::Unpunished;
				Self::deposit_event(Event::PunishmentRefused {
					round: claimed,
					ursula: ursula.clone(),
					reason,
				});
			},
		}
		Cases::<T>::insert(claimed, ursula, case);
	}

	/// The workers of `round`'s gateways named in `signers` (none once the round is forgotten).
	pub(crate) fn signing_gateways(
		round: Round,
		signers: SignerSet,
	) -> alloc::vec::Vec<T::AccountId> {
		Rounds::<T>::get(round)
			.map(|r| {
				signers
					.indices()
					.filter_map(|i| r.gateways.get(i as usize).map(|g| g.worker.clone()))
					.collect()
			})
			.unwrap_or_default()
	}

	/// The current block number.
	pub(crate) fn block_number() -> u32 {
		use sp_runtime::traits::UniqueSaturatedInto;
		frame_system::Pallet::<T>::block_number().unique_saturated_into()
	}

	/// The `feeless_if` of [`Pallet::prove_unavailable`]: one of the proof's signing gateways
	/// pays no fee. Only this cheap read is repeated at dispatch: the pool's duty check
	/// ([`crate::duty::CheckGatewayDuty`]) already ran every check of a gateway's proof, so a
	/// failing one never reaches a block, and the call checks the proof once more itself.
	pub(crate) fn proof_is_a_duty(
		origin: &OriginFor<T>,
		claim: &UnavailabilityClaim<T::AccountId>,
		signers: &SignerSet,
	) -> bool {
		use frame_support::traits::OriginTrait;
		let Some(who) = origin.as_signer() else { return false };
		Self::signing_gateways(claim.round, *signers).contains(who)
	}

	/// The `feeless_if` of [`Pallet::answer_case`]: the accused of an open case, answering with
	/// one fragment per capsule, pays no fee. The pool's duty check judges the fragments too
	/// ([`crate::duty::CheckGatewayDuty`]), so an incorrect answer never reaches a block.
	pub(crate) fn answer_is_a_duty(origin: &OriginFor<T>, round: Round, answers: usize) -> bool {
		use frame_support::traits::OriginTrait;
		let Some(who) = origin.as_signer() else { return false };
		Cases::<T>::get(round, who).is_some_and(|case| {
			case.status == CaseStatus::Open
				&& ReencryptionRequest::decode_all(&mut &case.request[..])
					.is_ok_and(|r| r.body.capsules.len() == answers)
		})
	}
}
