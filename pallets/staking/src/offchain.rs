//! The node's side of the availability signal: the off-chain worker commits for every worker
//! whose key is in the node's keystore, fee-less, as an authorized call; the authorization checks
//! the cheap things first and the signature last.

use codec::Encode;
use frame_support::{
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityWithRefund, ValidTransaction,
	},
	traits::Get,
	weights::Weight,
};
use frame_system::{
	offchain::{AppCrypto, SubmitTransaction},
	pallet_prelude::BlockNumberFor,
};
use sp_runtime::{
	offchain::storage::StorageValueRef,
	traits::{IdentifyAccount, UniqueSaturatedInto, Verify, Zero},
	RuntimeAppPublic,
};

use crate::{Call, Config, Error, Pallet, Period};

/// What a worker signs to commit: a fixed context, the chain's genesis hash (no replay on
/// another chain), the worker and the period.
const COMMIT_CONTEXT: &[u8] = b"keymarket/staking/commit";

/// The pool priority of a commitment: above what any tip buys a normal transaction (a tip's
/// priority is the tip scaled by the block's capacity, far below this), so commitments are
/// taken first; there is at most one per worker and period.
pub const COMMITMENT_PRIORITY: frame_support::pallet_prelude::TransactionPriority = u64::MAX / 4;

/// An off-chain worker retries a commitment that has not landed after this many blocks.
const RESUBMIT_AFTER_BLOCKS: u32 = 5;

impl<T: Config> Pallet<T> {
	/// The bytes `worker` signs to commit to `period` on this chain.
	pub fn commitment_payload(worker: &T::AccountId, period: Period) -> alloc::vec::Vec<u8> {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		(COMMIT_CONTEXT, genesis, worker, period).encode()
	}

	/// Validates [`Call::submit_commitment`]: state checks first, the signature last.
	pub(crate) fn authorize_submit_commitment(
		_source: TransactionSource,
		worker: &T::AccountId,
		period: &Period,
		signature: &T::WorkerSignature,
	) -> TransactionValidityWithRefund {
		Self::check_commit(worker, *period).map_err(|e| match e {
			Error::<T>::NotAWorker => InvalidTransaction::Custom(1),
			Error::<T>::WorkerNotRegistered => InvalidTransaction::Custom(2),
			Error::<T>::WrongCommitPeriod if *period > Self::current_period() => {
				InvalidTransaction::Future
			},
			Error::<T>::WrongCommitPeriod | Error::<T>::AlreadyCommitted => {
				InvalidTransaction::Stale
			},
			Error::<T>::NotEnoughLockedStake => InvalidTransaction::Custom(3),
			_ => InvalidTransaction::Call,
		})?;
		let payload = Self::commitment_payload(worker, *period);
		if !signature.verify(&payload[..], worker) {
			return Err(InvalidTransaction::BadProof.into());
		}
		// Valid until the period it commits to begins.
		let blocks_per_period: u64 = T::BlocksPerPeriod::get().unique_saturated_into();
		let now: u64 = frame_system::Pallet::<T>::block_number().unique_saturated_into();
		let longevity = blocks_per_period.saturating_sub(now % blocks_per_period.max(1)).max(1);
		let validity = ValidTransaction::with_tag_prefix("KeymarketCommit")
			.and_provides((worker, period))
			.priority(COMMITMENT_PRIORITY)
			.longevity(longevity)
			.propagate(true)
			.build()?;
		Ok((validity, Weight::zero()))
	}

	/// Commits to the next period for each worker key in the keystore that may commit now.
	/// Never panics; problems are logged.
	pub(crate) fn commit_for_hosted_workers(block: BlockNumberFor<T>) {
		let next = Self::current_period().saturating_add(1);
		let block: u32 = block.unique_saturated_into();
		for key in <T::WorkerKey as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic::all() {
			let generic: <T::WorkerKey as AppCrypto<T::Public, T::Signature>>::GenericPublic =
				key.into();
			let public: T::Public = generic.into();
			let worker = public.clone().into_account();
			if let Err(e) = Self::check_commit(&worker, next) {
				log::debug!(target: "runtime::staking", "no commitment for {worker:?}: {e:?}");
				continue;
			}
			if !Self::claim_submission(&worker, next, block) {
				continue;
			}
			let payload = Self::commitment_payload(&worker, next);
			let Some(signature) = T::WorkerKey::sign(&payload, public) else {
				log::error!(target: "runtime::staking", "the keystore did not sign for {worker:?}");
				continue;
			};
			let call = Call::submit_commitment {
				worker: worker.clone(),
				period: next,
				signature: signature.into(),
			};
			let xt = T::create_authorized_transaction(call.into());
			match SubmitTransaction::<T, Call<T>>::submit_transaction(xt) {
				Ok(()) => log::info!(
					target: "runtime::staking",
					"worker {worker:?} committed to period {next}"
				),
				Err(()) => log::warn!(
					target: "runtime::staking",
					"the pool refused the commitment of {worker:?} to period {next}"
				),
			}
		}
	}

	/// A lock in the node's persistent off-chain storage: true when this node has not submitted
	/// `worker`'s commitment to `period` in the last `RESUBMIT_AFTER_BLOCKS` blocks.
	fn claim_submission(worker: &T::AccountId, period: Period, block: u32) -> bool {
		let key = (COMMIT_CONTEXT, worker).encode();
		let lock = StorageValueRef::persistent(&key);
		lock.mutate(|last: Result<Option<(Period, u32)>, _>| match last {
			Ok(Some((p, at)))
				if p == period && block < at.saturating_add(RESUBMIT_AFTER_BLOCKS) =>
			{
				Err(())
			},
			_ => Ok((period, block)),
		})
		.is_ok()
	}
}
