//! What the runtime API tells of gateways and cases.

use frame_support::traits::Get;
use keymarket_primitives::gateway::{
	AccusedView, CaseStatusView, CaseView, GatewayView, RoundView,
};

use crate::*;

impl<T: Config> Pallet<T> {
	/// The gateways of `round`, if recorded.
	pub fn round_view(round: Round) -> Option<RoundView<T::AccountId>> {
		let recorded = Rounds::<T>::get(round)?;
		Some(RoundView {
			round,
			seed: recorded.seed,
			gateways: recorded
				.gateways
				.into_iter()
				.map(|g| GatewayView { worker: g.worker, signing_key: g.signing_key })
				.collect(),
			threshold: recorded.threshold,
		})
	}

	/// The case against `ursula` for `round`.
	pub fn case_view(
		round: Round,
		ursula: T::AccountId,
	) -> Option<CaseView<T::AccountId, T::Balance>> {
		let case = Cases::<T>::get(round, &ursula)?;
		Some(CaseView {
			round,
			ursula,
			kind: case.kind,
			signed_in: case.signed_in,
			policy: case.policy,
			request: case.request.into_inner(),
			request_hash: case.request_hash,
			deadline: case.deadline,
			signers: case.signers.indices().collect(),
			submitter: case.submitter,
			opened_in: case.opened_in,
			closes_at: case.closes_at,
			status: match case.status {
				CaseStatus::Open => CaseStatusView::Open,
				CaseStatus::Answered => CaseStatusView::Answered,
				CaseStatus::Passed => CaseStatusView::Passed,
				CaseStatus::Punished { penalty, refunded } => {
					CaseStatusView::Punished { penalty, refunded }
				},
				CaseStatus::Unpunished => CaseStatusView::Unpunished,
			},
			answer: case.answer.into_iter().map(|cfrag| cfrag.into_inner()).collect(),
		})
	}

	/// The cases against `ursula` still recorded, oldest first.
	pub fn cases_of(ursula: T::AccountId) -> alloc::vec::Vec<CaseView<T::AccountId, T::Balance>> {
		let now = T::Ursulas::current_round();
		let first = now.saturating_sub(Self::retained_rounds());
		(first..=now).filter_map(|round| Self::case_view(round, ursula.clone())).collect()
	}

	/// The cases open now, by closing round.
	pub fn open_cases() -> alloc::vec::Vec<CaseView<T::AccountId, T::Balance>> {
		let now = T::Ursulas::current_round();
		(now..=now.saturating_add(T::AnswerRounds::get()))
			.flat_map(Closing::<T>::get)
			.filter_map(|(round, ursula)| Self::case_view(round, ursula))
			.collect()
	}

	/// `ursula`'s record as an accused.
	pub fn accused_view(ursula: T::AccountId) -> AccusedView {
		let record = Records::<T>::get(ursula);
		AccusedView {
			accused: record.accused,
			answered: record.answered,
			punished: record.punished,
			last_round: record.last_round,
		}
	}

	/// The complaint difficulty in force.
	pub fn complaint_difficulty() -> u8 {
		T::ComplaintDifficulty::get()
	}

	/// The pallet's invariants: a case's signers are of its own round (a request) or the one
	/// before (a silent gateway), every open case waits in the closing list of its closing round,
	/// every listed case is open, the claimed counts match, each round has at most
	/// [`MAX_GATEWAYS`] gateways, and each line's starts ascend to below its total.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::ensure;
		for (round, ursula, case) in Cases::<T>::iter() {
			let signers_round = match case.kind {
				ClaimKind::Serve => round,
				ClaimKind::Mediate => round.saturating_sub(1),
			};
			ensure!(case.signed_in == signers_round, "a case's signers are of its round's kind");
			if case.status == CaseStatus::Open {
				ensure!(
					Closing::<T>::get(case.closes_at).contains(&(round, ursula.clone())),
					"an open case waits for its closing round"
				);
			}
		}
		for (_, closing) in Closing::<T>::iter() {
			for (round, ursula) in closing {
				ensure!(
					Cases::<T>::get(round, &ursula).is_some_and(|c| c.status == CaseStatus::Open),
					"a closing case is open"
				);
			}
		}
		for (round, count) in CasesClaimed::<T>::iter() {
			ensure!(
				Cases::<T>::iter_prefix(round).count() as u32 == count,
				"the claimed count is the number of cases"
			);
		}
		for (period, line) in Lines::<T>::iter() {
			let mut previous = None;
			for index in 0..line.count {
				let candidate =
					Candidates::<T>::get(period, index).ok_or("a line's candidates are stored")?;
				ensure!(candidate.start < line.total, "a candidate starts below the line's end");
				ensure!(previous < Some(candidate.start), "starts ascend");
				previous = Some(candidate.start);
			}
		}
		Ok(())
	}
}
