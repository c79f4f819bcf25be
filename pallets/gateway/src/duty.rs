//! The gateway pallet's duty transactions, in the one form of duties
//! (`keymarket_primitives::duty`): signed by the worker (a version-4 extrinsic every client
//! decodes), checked in full in the pool by the runtime's one duty extension before the fee
//! extension, fee-free through the calls' `feeless_if` when, and only when, they will succeed.
//!
//! - A proof of unavailability submitted by one of its signing gateways: valid at
//!   [`DUTY_PRIORITY`], one per case in the pool (tag: the case's round and accused), until the
//!   proof window closes.
//! - The accused's answer to its open case, or a silent gateway passing its case on: the same,
//!   until the case closes.
//!
//! Anyone else's proof is an ordinary transaction: it pays its fee, and the extension does
//! nothing for it. A duty that would fail is refused here with the pallet's error as a
//! `Custom` validity code (its index in [`crate::Error`]), so it costs nobody anything.

use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionValidityError,
	traits::{Get, IsSubType},
	weights::Weight,
};
pub use keymarket_primitives::duty::DUTY_PRIORITY;
use keymarket_primitives::duty::{CheckDuties, Due, Duties};

use crate::{Call, Config, Pallet, Round, WeightInfo};

/// The gateway pallet's duties, for the runtime's [`CheckDuties`] (see the module docs).
pub struct GatewayDuties<T>(PhantomData<T>);

/// The duty extension with the gateway pallet's duties alone (the pallet's tests use it).
pub type CheckGatewayDuty<T> = CheckDuties<
	<T as frame_system::Config>::RuntimeCall,
	<T as frame_system::Config>::AccountId,
	GatewayDuties<T>,
>;

/// An error of the pallet as a validity code: its index in [`crate::Error`].
pub use keymarket_primitives::staking::validity::of_error as validity_code;

impl<T: Config> Pallet<T> {
	/// Blocks until round `round` begins (at least one).
	fn blocks_until_round(round: Round) -> u64 {
		(Self::round_start(round) as u64).saturating_sub(Self::block_number() as u64).max(1)
	}
}

impl<T: Config> Duties<<T as frame_system::Config>::RuntimeCall, T::AccountId> for GatewayDuties<T>
where
	<T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
	fn check(
		who: Option<&T::AccountId>,
		call: &<T as frame_system::Config>::RuntimeCall,
	) -> Result<Option<Due>, TransactionValidityError> {
		let Some(who) = who else { return Ok(None) };
		match call.is_sub_type() {
			Some(Call::prove_unavailable { claim, request, signers, signatures }) => {
				let proof = Pallet::<T>::check_proof(claim, request, *signers, signatures);
				match proof {
					// A signing gateway's proof: its duty.
					Ok(proof) if proof.gateways.contains(who) => {},
					// Anyone else's: an ordinary, fee-paying transaction.
					Ok(_) => return Ok(None),
					Err(error) => {
						// A gateway's failing proof would be free: refused here. Others may
						// still pay to learn the error in a block.
						let is_gateway = crate::Rounds::<T>::get(claim.round)
							.is_some_and(|r| r.gateways.iter().any(|g| &g.worker == who));
						if is_gateway {
							return Err(validity_code(error).into());
						}
						return Ok(None);
					},
				}
				let window_ends =
					claim.round.saturating_add(T::ProofRounds::get()).saturating_add(1);
				Ok(Some(Due::new(
					(b"keymarket/duty/unavailable", claim.silent_round(), claim.ursula.clone()),
					Pallet::<T>::blocks_until_round(window_ends),
				)))
			},
			Some(Call::pass_case { round }) => {
				if !crate::Cases::<T>::contains_key(round, who) {
					return Ok(None);
				}
				let (case, _, _) = Pallet::<T>::check_pass(who, *round)
					.map_err(|error| TransactionValidityError::from(validity_code(error)))?;
				Ok(Some(Due::new(
					(b"keymarket/duty/answer", *round, who.clone()),
					Pallet::<T>::blocks_until_round(case.closes_at),
				)))
			},
			Some(Call::answer_case { round, cfrags }) => {
				if !crate::Cases::<T>::contains_key(round, who) {
					return Ok(None);
				}
				let (case, _) = Pallet::<T>::check_answer(who, *round, cfrags)
					.map_err(|error| TransactionValidityError::from(validity_code(error)))?;
				Ok(Some(Due::new(
					(b"keymarket/duty/answer", *round, who.clone()),
					Pallet::<T>::blocks_until_round(case.closes_at),
				)))
			},
			_ => Ok(None),
		}
	}

	fn weight(call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		match call.is_sub_type() {
			Some(Call::prove_unavailable { claim, signatures, .. }) => {
				T::WeightInfo::prove_unavailable(
					(signatures.len() as u32)
						.saturating_add(Pallet::<T>::bob_signatures(claim.kind)),
				)
			},
			Some(Call::pass_case { .. }) => T::WeightInfo::pass_case(),
			Some(Call::answer_case { cfrags, .. }) => {
				T::WeightInfo::answer_case(cfrags.len() as u32, 0)
			},
			_ => Weight::zero(),
		}
	}
}
