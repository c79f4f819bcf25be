//! The node's side of the gateways' duties: the Ursula service prepares proofs and answers
//! (it holds the network connections and the key fragments) and leaves them in the outbox
//! ([`keymarket_primitives::gateway::OUTBOX_KEY`]); each block this off-chain worker takes them
//! and submits each as the worker's own signed transaction, fee-free as a duty
//! ([`crate::duty`]). A duty that would fail now is dropped with a log line, never submitted.

use alloc::vec::Vec;
use codec::Decode;
use frame_support::BoundedVec;
use keymarket_primitives::{
	gateway::{GatewayDuty, MAX_OUTBOX, OUTBOX_KEY},
	outbox::SubmitError,
};

use crate::{Call, Config, Pallet};

impl<T: Config> Pallet<T> {
	/// Takes the outbox's duties and submits those that will succeed, each signed by the hosted
	/// worker it names. Never panics; problems are logged.
	pub(crate) fn submit_outbox() {
		let duties: Vec<GatewayDuty<T::AccountId>> = keymarket_primitives::outbox::take(OUTBOX_KEY);
		if duties.is_empty() {
			return;
		}
		for duty in duties.into_iter().take(MAX_OUTBOX) {
			let (signer, call) = match Self::duty_call(duty) {
				Ok(ready) => ready,
				Err(reason) => {
					log::warn!(target: "runtime::gateway", "a duty was dropped: {reason}");
					continue;
				},
			};
			match keymarket_primitives::outbox::submit_as::<T, T::WorkerKey, _>(
				&signer,
				call.clone(),
			) {
				Ok(()) => log::info!(target: "runtime::gateway", "submitted {call:?}"),
				Err(SubmitError::NoKey) => {
					log::warn!(target: "runtime::gateway", "no key of {signer:?} in the keystore")
				},
				Err(SubmitError::Refused) => {
					log::warn!(target: "runtime::gateway", "the pool refused {call:?}")
				},
			}
		}
	}

	/// The call of a duty and who signs it, if it will succeed now.
	fn duty_call(duty: GatewayDuty<T::AccountId>) -> Result<(T::AccountId, Call<T>), &'static str> {
		match duty {
			GatewayDuty::Prove { submitter, claim, request, signers, signatures } => {
				let request: crate::Request =
					BoundedVec::try_from(request).map_err(|_| "a request too long")?;
				let signatures: crate::Signatures =
					BoundedVec::try_from(signatures).map_err(|_| "too many signatures")?;
				let proof = Self::check_proof(&claim, &request, signers, &signatures)
					.map_err(<&'static str>::from)?;
				if !proof.gateways.contains(&submitter) {
					return Err("the submitter did not sign the proof");
				}
				Ok((submitter, Call::prove_unavailable { claim, request, signers, signatures }))
			},
			GatewayDuty::Answer { ursula, round, cfrags } => {
				let cfrags: crate::Answer = cfrags
					.into_iter()
					.map(BoundedVec::try_from)
					.collect::<Result<Vec<_>, _>>()
					.ok()
					.and_then(|cfrags| BoundedVec::try_from(cfrags).ok())
					.ok_or("an answer too long")?;
				Self::check_answer(&ursula, round, &cfrags).map_err(<&'static str>::from)?;
				Ok((ursula, Call::answer_case { round, cfrags }))
			},
			GatewayDuty::Pass { gateway, round } => {
				Self::check_pass(&gateway, round).map_err(<&'static str>::from)?;
				Ok((gateway, Call::pass_case { round }))
			},
		}
	}
}

/// Reads the outbox (for tests and the node's own view).
pub fn read_outbox<AccountId: Decode>() -> Vec<GatewayDuty<AccountId>> {
	keymarket_primitives::outbox::read(OUTBOX_KEY)
}
