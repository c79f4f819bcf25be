//! The node's side of proofs of served work: the Ursula service builds its claims from its
//! served log, keeps their trees, and opens the challenged leaves once the beacon is drawn; it
//! leaves each claim and opening in the outbox ([`keymarket_primitives::activity::OUTBOX_KEY`]).
//! Each block this off-chain worker takes them and submits each as the worker's own signed
//! transaction, fee-free as a duty ([`crate::duty`]). A duty that would fail now is dropped
//! with a log line, never submitted; the service prepares it again while the chain needs it.

use alloc::vec::Vec;
use frame_support::BoundedVec;
use keymarket_primitives::{
	activity::{ActivityDuty, Opening, MAX_OUTBOX, OUTBOX_KEY},
	outbox::SubmitError,
};

use crate::{BoundedOpening, Call, Config, Openings, Pallet};

impl<T: Config> Pallet<T> {
	/// Takes the outbox's duties and submits those that will succeed, each signed by the hosted
	/// worker it names. Never panics; problems are logged.
	pub(crate) fn submit_outbox() {
		let duties: Vec<ActivityDuty<T::AccountId>> =
			keymarket_primitives::outbox::take(OUTBOX_KEY);
		for duty in duties.into_iter().take(MAX_OUTBOX) {
			let (worker, call) = match Self::duty_call(duty) {
				Ok(ready) => ready,
				Err(reason) => {
					log::warn!(target: "runtime::activity", "a duty was dropped: {reason}");
					continue;
				},
			};
			let name = call_name(&call);
			match keymarket_primitives::outbox::submit_as::<T, T::WorkerKey, _>(&worker, call) {
				Ok(()) => log::info!(target: "runtime::activity", "submitted a {name}"),
				Err(SubmitError::NoKey) => {
					log::warn!(target: "runtime::activity", "no key of {worker:?} in the keystore")
				},
				Err(SubmitError::Refused) => {
					log::warn!(target: "runtime::activity", "the pool refused a {name}")
				},
			}
		}
	}

	/// The call of a duty and who signs it, if it will succeed now.
	fn duty_call(
		duty: ActivityDuty<T::AccountId>,
	) -> Result<(T::AccountId, Call<T>), &'static str> {
		match duty {
			ActivityDuty::Claim { worker, policy, period, omega, root, signature } => {
				Self::check_claim(&worker, policy, period, omega, &root, &signature)
					.map_err(<&'static str>::from)?;
				Ok((worker, Call::claim { policy, period, omega, root, signature }))
			},
			ActivityDuty::Open { worker, policy, period, openings } => {
				let openings: Openings<T> = openings
					.into_iter()
					.map(bounded)
					.collect::<Option<Vec<_>>>()
					.and_then(|openings| BoundedVec::try_from(openings).ok())
					.ok_or("openings too long")?;
				let indices: Vec<u32> = openings.iter().map(|o| o.index).collect();
				Self::check_open(&worker, policy, period, &indices, false)
					.map_err(<&'static str>::from)?;
				Ok((worker, Call::open { policy, period, openings }))
			},
			ActivityDuty::Attest {
				worker,
				policy,
				period,
				omega,
				root,
				round,
				signers,
				signatures,
			} => {
				let signatures: crate::Attestations =
					BoundedVec::try_from(signatures).map_err(|_| "too many signatures")?;
				Self::check_attest(
					&worker,
					policy,
					period,
					omega,
					&root,
					round,
					signers,
					&signatures,
				)
				.map_err(<&'static str>::from)?;
				Ok((
					worker,
					Call::attest { policy, period, omega, root, round, signers, signatures },
				))
			},
			ActivityDuty::ClaimPrivate {
				worker,
				policy,
				period,
				omega,
				root,
				commitments,
				proof,
				signature,
			} => {
				let commitments: crate::Commitments =
					BoundedVec::try_from(commitments).map_err(|_| "too many commitments")?;
				let proof: crate::ZkProof =
					BoundedVec::try_from(proof).map_err(|_| "the proof is too long")?;
				Self::check_private_claim(
					&worker,
					policy,
					period,
					omega,
					&root,
					&commitments,
					&signature,
				)
				.map_err(<&'static str>::from)?;
				Ok((
					worker,
					Call::claim_private {
						policy,
						period,
						omega,
						root,
						commitments,
						proof,
						signature,
					},
				))
			},
			ActivityDuty::OpenPrivate { worker, policy, period, openings } => {
				let openings: crate::PrivateOpenings<T> = openings
					.into_iter()
					.map(bounded_private)
					.collect::<Option<Vec<_>>>()
					.and_then(|openings| BoundedVec::try_from(openings).ok())
					.ok_or("openings too long")?;
				let indices: Vec<u32> = openings.iter().map(|o| o.index).collect();
				Self::check_open(&worker, policy, period, &indices, true)
					.map_err(<&'static str>::from)?;
				Ok((worker, Call::open_private { policy, period, openings }))
			},
		}
	}
}

/// A private opening with its parts bounded as a call carries them, if they fit.
fn bounded_private<M: frame_support::traits::Get<u32>>(
	opening: keymarket_primitives::zk::PrivateOpening,
) -> Option<crate::BoundedPrivateOpening<M>> {
	Some(crate::BoundedPrivateOpening {
		index: opening.index,
		record: opening.record.try_into().ok()?,
		path: opening.path.try_into().ok()?,
		commitment: opening.commitment,
		commitment_path: opening.commitment_path.try_into().ok()?,
		blinding: opening.blinding,
	})
}

/// An opening with its parts bounded as a call carries them, if they fit.
fn bounded<M: frame_support::traits::Get<u32>>(opening: Opening) -> Option<BoundedOpening<M>> {
	Some(BoundedOpening {
		index: opening.index,
		record: opening.record.try_into().ok()?,
		path: opening.path.try_into().ok()?,
		next: match opening.next {
			Some((leaf, path)) => Some((leaf, path.try_into().ok()?)),
			None => None,
		},
	})
}

fn call_name<T: Config>(call: &Call<T>) -> &'static str {
	match call {
		Call::claim { .. } => "claim",
		Call::open { .. } => "opening",
		Call::attest { .. } => "attestation",
		Call::claim_private { .. } => "private claim",
		Call::open_private { .. } => "private opening",
		_ => "activity call",
	}
}

/// Reads the outbox (for tests and the node's own view).
pub fn read_outbox<AccountId: codec::Decode>() -> Vec<ActivityDuty<AccountId>> {
	keymarket_primitives::outbox::read(OUTBOX_KEY)
}
