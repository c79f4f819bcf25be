//! Cases: a proof of unavailability opens one, the accused's correct answer voids it, the end
//! of its answer window punishes.

use codec::{Decode, Encode};
use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::pallet_prelude::OriginFor;
use keymarket_primitives::{
	crypto::{sr25519_signed, Sr25519Signature},
	gateway::{claim_signing_payload, open_complained, ClaimKind, ComplaintError, Opened},
	policies::{capsule_is_valid, judge_cfrag, CfragVerdict, MAX_CAPSULE_LEN, MAX_CFRAG_LEN},
	slashing::{Offence, OffenceKind},
};
use sp_runtime::traits::{Saturating, Zero};

use crate::*;

/// A case an answer voids, and the gateways that signed it.
pub(crate) type AnsweredCase<T> =
	(CaseOf<T>, alloc::vec::Vec<<T as frame_system::Config>::AccountId>);

/// A pass that will succeed: the passed case, the one it goes to, and the case to open.
pub(crate) type Pass<T> = (CaseOf<T>, <T as frame_system::Config>::AccountId, CaseOf<T>);

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
		let silent = claim.silent_round();
		ensure!(
			round <= now && now <= round.saturating_add(T::ProofRounds::get()) && silent <= now,
			Error::<T>::ProofWindowClosed
		);
		let gateways = Rounds::<T>::get(round).ok_or(Error::<T>::UnknownRound)?;
		ensure!(!Cases::<T>::contains_key(silent, &claim.ursula), Error::<T>::AlreadyAccused);
		ensure!(
			CasesClaimed::<T>::get(silent) < T::MaxCasesPerRound::get(),
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
		// The gateways waited within the accused's round, and the wait is over.
		ensure!(
			Self::round_start(silent) <= claim.deadline && claim.deadline < Self::block_number(),
			Error::<T>::BadDeadline
		);
		ensure!(
			sp_crypto_hashing::blake2_256(request) == claim.request_hash,
			Error::<T>::RequestHashMismatch
		);
		let opened =
			open_complained::<T::AccountId>(claim.kind, request).map_err(Self::complaint_error)?;
		Self::check_complained(&claim.ursula, claim.policy, silent, &opened)?;

		let payload = claim_signing_payload(claim);
		for (gateway, signature) in signing.iter().zip(signatures) {
			ensure!(
				sr25519_signed(&gateway.signing_key, &payload, signature),
				Error::<T>::BadGatewaySignature
			);
		}
		Ok(CheckedProof { gateways: signing.into_iter().map(|g| g.worker.clone()).collect() })
	}

	/// What a complained message must be for `accused`, silent in round `silent`, to be held
	/// to it: each complaint Bob made addressed to a gateway of its round (the first to the
	/// accused, in `silent`), never about its own addressee, none in the future; at the heart
	/// Bob's request under `policy`, in service, with capsules that verify themselves (so the
	/// accused can always answer it); the accused, and the Ursula Bob asked, on duty; then
	/// Bob's signatures and work.
	pub(crate) fn check_complained(
		accused: &T::AccountId,
		policy: PolicyId,
		silent: Round,
		opened: &Opened<T::AccountId>,
	) -> Result<(), Error<T>> {
		let now = T::Ursulas::current_round();
		let body = &opened.request.body;
		// Who each complaint is addressed to, and in which round.
		let (mut addressee, mut round) = (accused.clone(), silent);
		for (i, complaint) in opened.complaints.iter().enumerate() {
			let c = &complaint.body;
			ensure!(c.gateway == addressee && c.round == round, Error::<T>::ComplaintMismatch);
			ensure!(c.round <= now, Error::<T>::ComplaintMismatch);
			let is_gateway = Rounds::<T>::get(c.round)
				.is_some_and(|r| r.gateways.iter().any(|g| g.worker == c.gateway));
			ensure!(is_gateway, Error::<T>::ComplaintMismatch);
			match opened.complaints.get(i + 1) {
				Some(next) => {
					ensure!(next.body.gateway != c.gateway, Error::<T>::ComplaintMismatch);
					addressee = next.body.gateway.clone();
				},
				None => ensure!(
					body.ursula.encode() != c.gateway.encode(),
					Error::<T>::ComplaintMismatch
				),
			}
			round = c.round.saturating_add(1);
		}
		// The round Bob asked in: the accused's for a request, the innermost complaint's else.
		let asked_in = opened.complaints.last().map_or(silent, |c| c.body.round);
		ensure!(body.policy == policy, Error::<T>::RequestMismatch);
		if opened.complaints.is_empty() {
			ensure!(body.ursula.encode() == accused.encode(), Error::<T>::RequestMismatch);
		}
		ensure!(
			!body.capsules.is_empty()
				&& body.capsules.len() <= MAX_COMPLAINT_CAPSULES as usize
				&& body.capsules.iter().all(|c| c.len() <= MAX_CAPSULE_LEN as usize),
			Error::<T>::BadCapsuleCount
		);
		let ursula = T::AccountId::decode(&mut &body.ursula.encode()[..])
			.map_err(|_| Error::<T>::RequestMismatch)?;
		let policy =
			T::Policies::accused_policy(&policy, &ursula).ok_or(Error::<T>::NotPolicyUrsula)?;
		ensure!(policy.window.served_in(Self::period_of(asked_in)), Error::<T>::PolicyNotInService);
		ensure!(body.bob.encode() == policy.bob.encode(), Error::<T>::NotBobsRequest);
		ensure!(
			T::Ursulas::committed_to(accused, Self::period_of(silent))
				&& T::Ursulas::committed_to(&ursula, Self::period_of(asked_in)),
			Error::<T>::NotOnDuty
		);
		ensure!(body.capsules.iter().all(|c| capsule_is_valid(c)), Error::<T>::InvalidCapsule);

		ensure!(opened.request.bob_signed(), Error::<T>::BadBobSignature);
		opened.check_bob(T::ComplaintDifficulty::get()).map_err(Self::complaint_error)
	}

	/// A pallet error for a complained message's fault.
	fn complaint_error(error: ComplaintError) -> Error<T> {
		match error {
			ComplaintError::WrongRound | ComplaintError::WrongGateway => {
				Error::<T>::ComplaintMismatch
			},
			ComplaintError::BadSignature => Error::<T>::BadBobSignature,
			ComplaintError::NotEnoughWork => Error::<T>::NotEnoughWork,
			_ => Error::<T>::MalformedRequest,
		}
	}

	pub(crate) fn do_prove(
		submitter: T::AccountId,
		claim: UnavailabilityClaim<T::AccountId>,
		request: Request,
		signers: SignerSet,
		signatures: &[Sr25519Signature],
	) -> DispatchResult {
		Self::check_proof(&claim, &request, signers, signatures)?;
		let now = T::Ursulas::current_round();
		let silent = claim.silent_round();
		Self::open_case(
			silent,
			&claim.ursula,
			Case {
				kind: claim.kind,
				policy: claim.policy,
				request,
				request_hash: claim.request_hash,
				deadline: claim.deadline,
				signed_in: claim.round,
				signers,
				submitter,
				opened_in: now,
				closes_at: now.saturating_add(T::AnswerRounds::get()),
				status: CaseStatus::Open,
				answer: Default::default(),
			},
		)?;
		Self::deposit_event(Event::UnavailabilityProven {
			round: silent,
			ursula: claim.ursula,
			kind: claim.kind,
			policy: claim.policy,
			request_hash: claim.request_hash,
			signers: signers.len(),
			closes_at: now.saturating_add(T::AnswerRounds::get()),
		});
		Ok(())
	}

	/// Records a new case against `ursula` for `round`: in its closing round's list, counted
	/// for the round and in the Ursula's record.
	fn open_case(round: Round, ursula: &T::AccountId, case: CaseOf<T>) -> DispatchResult {
		Closing::<T>::try_mutate(case.closes_at, |closing| {
			closing.try_push((round, ursula.clone()))
		})
		.map_err(|_| Error::<T>::TooManyCases)?;
		CasesClaimed::<T>::mutate(round, |count| *count = count.saturating_add(1));
		Records::<T>::mutate(ursula, |record| {
			record.accused.saturating_inc();
			record.last_round = round;
		});
		Cases::<T>::insert(round, ursula, case);
		Ok(())
	}

	/// Takes an open case off its closing round's list.
	fn unschedule(round: Round, ursula: &T::AccountId, closes_at: Round) {
		Closing::<T>::mutate(closes_at, |closing| {
			closing.retain(|(claimed, accused)| !(*claimed == round && accused == ursula))
		});
	}

	/// The accused gateway of an open silent-gateway case passes it on: it forwarded Bob's
	/// complaint and the one it mediated for stayed silent. Its case is void; a case of the same
	/// kind opens against that one for the complaint's round (unless it has one), with this
	/// gateway as its only signer: if that one answers, this gateway is reported for a false
	/// accusation. Returns whether a case was opened.
	pub(crate) fn do_pass(gateway: T::AccountId, round: Round) -> Result<bool, DispatchError> {
		let (mut case, next, next_case) = Self::check_pass(&gateway, round)?;
		let now = T::Ursulas::current_round();
		let next_round = match next_case.kind {
			ClaimKind::Serve => round,
			ClaimKind::Mediate => round.saturating_add(1),
		};
		let opened = !Cases::<T>::contains_key(next_round, &next);
		if opened {
			Self::open_case(next_round, &next, next_case)?;
		}
		Self::unschedule(round, &gateway, case.closes_at);
		case.status = CaseStatus::Passed;
		Cases::<T>::insert(round, &gateway, case);
		Records::<T>::mutate(&gateway, |record| record.answered.saturating_inc());
		Self::deposit_event(Event::CasePassed { round, gateway, to: next, opened, opened_in: now });
		Ok(opened)
	}

	/// The checks of a pass: an open silent-gateway case of the signer, drawn as a gateway of
	/// its round. Returns the case, the one it mediated for, and the case to open against it.
	pub(crate) fn check_pass(gateway: &T::AccountId, round: Round) -> Result<Pass<T>, Error<T>> {
		let case = Cases::<T>::get(round, gateway).ok_or(Error::<T>::NoSuchCase)?;
		ensure!(case.status == CaseStatus::Open, Error::<T>::CaseClosed);
		ensure!(case.kind == ClaimKind::Mediate, Error::<T>::NotPassable);
		let opened = open_complained::<T::AccountId>(case.kind, &case.request)
			.map_err(|_| Error::<T>::MalformedRequest)?;
		let (kind, message) = opened.mediated().ok_or(Error::<T>::MalformedRequest)?;
		let next = match opened.complaints.get(1) {
			Some(inner) => inner.body.gateway.clone(),
			None => T::AccountId::decode(&mut &opened.request.body.ursula.encode()[..])
				.map_err(|_| Error::<T>::MalformedRequest)?,
		};
		let index = Rounds::<T>::get(round)
			.and_then(|r| r.gateways.iter().position(|g| &g.worker == gateway))
			.ok_or(Error::<T>::NotAGateway)?;
		let now = T::Ursulas::current_round();
		let closes_at = now.saturating_add(T::AnswerRounds::get());
		ensure!(
			(Closing::<T>::decode_len(closes_at).unwrap_or(0) as u32) < T::MaxCasesPerRound::get(),
			Error::<T>::TooManyCases
		);
		let next_case = Case {
			kind,
			policy: case.policy,
			request: message.to_vec().try_into().map_err(|_| Error::<T>::MalformedRequest)?,
			request_hash: sp_crypto_hashing::blake2_256(message),
			deadline: case.deadline,
			signed_in: round,
			signers: SignerSet::of(&[index as u32]),
			submitter: gateway.clone(),
			opened_in: now,
			closes_at,
			status: CaseStatus::Open,
			answer: Default::default(),
		};
		Ok((case, next, next_case))
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
		let request = open_complained::<T::AccountId>(case.kind, &case.request)
			.map_err(|_| Error::<T>::MalformedRequest)?
			.request;
		ensure!(cfrags.len() == request.body.capsules.len(), Error::<T>::WrongAnswerCount);
		// The policy's keys judge, whoever of its Ursulas the request was to.
		let asked = T::AccountId::decode(&mut &request.body.ursula.encode()[..])
			.map_err(|_| Error::<T>::MalformedRequest)?;
		let policy =
			T::Policies::accused_policy(&case.policy, &asked).ok_or(Error::<T>::NotPolicyUrsula)?;
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
		let gateways = Self::signing_gateways(case.signed_in, case.signers);
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
		Self::unschedule(round, &ursula, case.closes_at);
		let evidence = sp_crypto_hashing::blake2_256(
			&(b"keymarket/false-accusation", round, &ursula, case.request_hash).encode(),
		);
		let signed_in = case.signed_in;
		let mut reported = 0u32;
		for gateway in gateways {
			let offence = Offence {
				offender: gateway.clone(),
				kind: OffenceKind::FalseAccusation { round: signed_in },
				evidence,
				period: Self::period_of(signed_in),
				reporters: alloc::vec![ursula.clone()],
			};
			match T::Offences::report(offence) {
				Ok(_) => reported += 1,
				Err(reason) => Self::deposit_event(Event::AccusationNotReported {
					round: signed_in,
					gateway,
					reason,
				}),
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
	/// is withheld (its fees back to Alice, its inflation share taken off the staker's rewards)
	/// and reported as the penalty, shared by the signing gateways.
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
		let reporters = Self::signing_gateways(case.signed_in, case.signers);
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
					.map(|staker| {
						T::Rewards::withhold(staker, subsidy);
						T::Policies::refund_round(ursula, staker, period, per_period)
					})
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

	/// The signatures of Bob's complaints a proof of `kind` may check besides the gateways':
	/// what its weight charges for them.
	pub(crate) fn bob_signatures(kind: ClaimKind) -> u32 {
		match kind {
			ClaimKind::Serve => 0,
			ClaimKind::Mediate => MAX_MEDIATION_DEPTH,
		}
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
				&& open_complained::<T::AccountId>(case.kind, &case.request)
					.is_ok_and(|opened| opened.request.body.capsules.len() == answers)
		})
	}

	/// The `feeless_if` of [`Pallet::pass_case`]: the accused gateway of an open
	/// silent-gateway case pays no fee. The pool's duty check runs every check of a pass.
	pub(crate) fn pass_is_a_duty(origin: &OriginFor<T>, round: Round) -> bool {
		use frame_support::traits::OriginTrait;
		let Some(who) = origin.as_signer() else { return false };
		Cases::<T>::get(round, who)
			.is_some_and(|case| case.status == CaseStatus::Open && case.kind == ClaimKind::Mediate)
	}
}
