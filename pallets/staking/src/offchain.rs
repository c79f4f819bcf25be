//! The node's side of the availability signal: the off-chain worker commits for every worker
//! whose key is in the node's keystore, as the worker's own signed transaction, fee-free when
//! due ([`crate::duty`]).

use codec::Encode;
use frame_system::{
	offchain::{AppCrypto, SendSignedTransaction, Signer},
	pallet_prelude::BlockNumberFor,
};
use sp_runtime::{
	offchain::storage::StorageValueRef,
	traits::{IdentifyAccount, UniqueSaturatedInto},
	RuntimeAppPublic,
};

use crate::{Call, Config, Pallet, Period};

/// The key of the node's record of its last submission for a worker.
const SUBMITTED_CONTEXT: &[u8] = b"keymarket/staking/commit";

/// An off-chain worker retries a commitment that has not landed after this many blocks.
const RESUBMIT_AFTER_BLOCKS: u32 = 5;

impl<T: Config> Pallet<T> {
	/// Commits to the next period for each worker key in the keystore that may commit now.
	/// Never panics; problems are logged.
	pub(crate) fn commit_for_hosted_workers(block: BlockNumberFor<T>) {
		let block: u32 = block.unique_saturated_into();
		for key in <T::WorkerKey as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic::all() {
			let generic: <T::WorkerKey as AppCrypto<T::Public, T::Signature>>::GenericPublic =
				key.into();
			let public: T::Public = generic.into();
			let worker = public.clone().into_account();
			let next = match Self::duty_validity(&worker) {
				Ok(next) => next,
				Err(e) => {
					log::debug!(target: "runtime::staking", "no commitment for {worker:?}: {e:?}");
					continue;
				},
			};
			if !Self::claim_submission(&worker, next, block) {
				continue;
			}
			let signer = Signer::<T, T::WorkerKey>::all_accounts().with_filter(alloc::vec![public]);
			for (_, result) in signer.send_signed_transaction(|_| Call::commit_to_next_period {}) {
				match result {
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
	}

	/// A lock in the node's persistent off-chain storage: true when this node has not submitted
	/// `worker`'s commitment to `period` in the last `RESUBMIT_AFTER_BLOCKS` blocks.
	fn claim_submission(worker: &T::AccountId, period: Period, block: u32) -> bool {
		let key = (SUBMITTED_CONTEXT, worker).encode();
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
