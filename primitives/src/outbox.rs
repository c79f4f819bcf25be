//! The outboxes through which the node's Ursula service hands duties to the pallets' off-chain
//! workers: a SCALE list in the node's persistent off-chain storage, appended to by the service
//! and taken whole by the worker, both with a compare-and-set, so that no duty is taken twice
//! or lost between them.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use sp_runtime::offchain::storage::{MutateStorageError, StorageValueRef};

/// Takes every duty from the outbox at `key` (from an off-chain worker), leaving it empty.
/// Empty when there is none, or when the service wrote meanwhile (then they wait a block).
pub fn take<D: Encode + Decode>(key: &[u8]) -> Vec<D> {
	let mut taken = Vec::new();
	let emptied =
		StorageValueRef::persistent(key).mutate(|duties: Result<Option<Vec<D>>, _>| match duties {
			Ok(Some(duties)) if !duties.is_empty() => {
				taken = duties;
				Ok(Vec::<D>::new())
			},
			_ => Err(()),
		});
	match emptied {
		Ok(_) => taken,
		Err(
			MutateStorageError::ValueFunctionFailed(())
			| MutateStorageError::ConcurrentModification(_),
		) => Vec::new(),
	}
}

/// Reads the outbox at `key` without taking it (for tests and the node's own view).
pub fn read<D: Decode>(key: &[u8]) -> Vec<D> {
	StorageValueRef::persistent(key).get().ok().flatten().unwrap_or_default()
}
