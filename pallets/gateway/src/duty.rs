//! The gateway pallet's duty transactions in the pool, in the form the staking pallet settled
//! (`pallet_keymarket_staking::duty`): signed by the worker (a version-4 extrinsic every client
//! decodes), checked in full here before the fee extension, fee-free through the calls'
//! `feeless_if` when, and only when, they will succeed.
//!
//! - A proof of unavailability submitted by one of its signing gateways: valid at
//!   [`DUTY_PRIORITY`], one per case in the pool (tag: the case's round and accused), until the
//!   proof window closes.
//! - The accused's answer to its open case, or a silent gateway passing its case on: the same,
//!   until the case closes.
//!
//! Anyone else's proof is an ordinary transaction: it pays its fee, and this extension does
//! nothing for it. A duty that would fail is refused here with the pallet's error as a
//! `Custom` validity code (its index in [`crate::Error`]), so it costs nobody anything.

use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::{
		TransactionPriority, TransactionSource, TransactionValidityError, ValidTransaction,
	},
	traits::{Get, IsSubType},
	weights::Weight,
};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{
		AsSystemOriginSigner, DispatchInfoOf, DispatchOriginOf, Dispatchable, Implication,
		TransactionExtension, ValidateResult,
	},
};

use crate::{Call, Config, Pallet, Round, WeightInfo};

/// The pool priority of a gateway duty: as high as the commitment's, above any tip.
pub const DUTY_PRIORITY: TransactionPriority = u64::MAX / 4;

/// Checks gateways' and accused Ursulas' duty transactions in the pool (see the module docs).
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct CheckGatewayDuty<T: Config + Send + Sync>(PhantomData<T>);

impl<T: Config + Send + Sync> CheckGatewayDuty<T> {
	/// The extension (it carries nothing).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T: Config + Send + Sync> Default for CheckGatewayDuty<T> {
	fn default() -> Self {
		Self::new()
	}
}

impl<T: Config + Send + Sync> core::fmt::Debug for CheckGatewayDuty<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckGatewayDuty")
	}
}

/// An error of the pallet as a validity code: its index in [`crate::Error`].
pub use keymarket_primitives::staking::validity::of_error as validity_code;

impl<T: Config> Pallet<T> {
	/// Blocks until round `round` begins (at least one).
	fn blocks_until_round(round: Round) -> u64 {
		(Self::round_start(round) as u64).saturating_sub(Self::block_number() as u64).max(1)
	}
}

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
	for CheckGatewayDuty<T>
where
	<T as frame_system::Config>::RuntimeCall: Dispatchable + IsSubType<Call<T>>,
	DispatchOriginOf<<T as frame_system::Config>::RuntimeCall>:
		AsSystemOriginSigner<T::AccountId> + Clone,
{
	const IDENTIFIER: &'static str = "CheckGatewayDuty";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
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

	fn validate(
		&self,
		origin: DispatchOriginOf<<T as frame_system::Config>::RuntimeCall>,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_self_implicit: (),
		_inherited_implication: &impl Implication,
		_source: TransactionSource,
	) -> ValidateResult<(), <T as frame_system::Config>::RuntimeCall> {
		let Some(who) = origin.as_system_origin_signer() else {
			return Ok((ValidTransaction::default(), (), origin));
		};
		let (tag, longevity) = match call.is_sub_type() {
			Some(Call::prove_unavailable { claim, request, signers, signatures }) => {
				let proof = Pallet::<T>::check_proof(claim, request, *signers, signatures);
				match proof {
					// A signing gateway's proof: its duty.
					Ok(proof) if proof.gateways.contains(who) => {},
					// Anyone else's: an ordinary, fee-paying transaction.
					Ok(_) => return Ok((ValidTransaction::default(), (), origin)),
					Err(error) => {
						// A gateway's failing proof would be free: refused here. Others may
						// still pay to learn the error in a block.
						let is_gateway = crate::Rounds::<T>::get(claim.round)
							.is_some_and(|r| r.gateways.iter().any(|g| &g.worker == who));
						if is_gateway {
							return Err(validity_code(error).into());
						}
						return Ok((ValidTransaction::default(), (), origin));
					},
				}
				let window_ends =
					claim.round.saturating_add(T::ProofRounds::get()).saturating_add(1);
				(
					(b"keymarket/duty/unavailable", claim.silent_round(), claim.ursula.clone())
						.encode(),
					Pallet::<T>::blocks_until_round(window_ends),
				)
			},
			Some(Call::pass_case { round }) => {
				if !crate::Cases::<T>::contains_key(round, who) {
					return Ok((ValidTransaction::default(), (), origin));
				}
				let (case, _, _) = Pallet::<T>::check_pass(who, *round)
					.map_err(|error| TransactionValidityError::from(validity_code(error)))?;
				(
					(b"keymarket/duty/answer", *round, who.clone()).encode(),
					Pallet::<T>::blocks_until_round(case.closes_at),
				)
			},
			Some(Call::answer_case { round, cfrags }) => {
				if !crate::Cases::<T>::contains_key(round, who) {
					return Ok((ValidTransaction::default(), (), origin));
				}
				let (case, _) = Pallet::<T>::check_answer(who, *round, cfrags)
					.map_err(|error| TransactionValidityError::from(validity_code(error)))?;
				(
					(b"keymarket/duty/answer", *round, who.clone()).encode(),
					Pallet::<T>::blocks_until_round(case.closes_at),
				)
			},
			_ => return Ok((ValidTransaction::default(), (), origin)),
		};
		let valid = ValidTransaction::with_tag_prefix("KeymarketGatewayDuty")
			.priority(DUTY_PRIORITY)
			.and_provides(tag)
			.longevity(longevity)
			.propagate(true)
			.build()?;
		Ok((valid, (), origin))
	}

	impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
