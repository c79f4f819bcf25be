//! The outboxes through which the node's Ursula service hands duties to the pallets' off-chain
//! workers: a SCALE list in the node's persistent off-chain storage, appended to by the service
//! and taken whole by the worker, both with a compare-and-set, so that no duty is taken twice
//! or lost between them. Each duty is submitted as the hosted worker's own signed transaction
//! ([`submit_as`]).

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

/// Why a duty was not submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitError {
	/// The node's keystore holds no key of the worker.
	NoKey,
	/// The pool refused the transaction (or it could not be made).
	Refused,
}

/// Signs `call` as `worker`, with its key of `K` in the node's keystore, and submits it to the
/// pool (from an off-chain worker).
pub fn submit_as<T, K, C>(worker: &T::AccountId, call: C) -> Result<(), SubmitError>
where
	T: frame_system::offchain::CreateSignedTransaction<C>,
	K: frame_system::offchain::AppCrypto<T::Public, T::Signature>,
	C: Clone,
{
	use frame_system::offchain::{SendSignedTransaction, Signer};
	use sp_runtime::{traits::IdentifyAccount, RuntimeAppPublic};
	let public = K::RuntimeAppPublic::all()
		.into_iter()
		.map(|key| {
			let generic: K::GenericPublic = key.into();
			let public: T::Public = generic.into();
			public
		})
		.find(|public| public.clone().into_account() == *worker)
		.ok_or(SubmitError::NoKey)?;
	let sent = Signer::<T, K>::all_accounts()
		.with_filter(alloc::vec![public])
		.send_signed_transaction(|_| call.clone());
	match sent.first() {
		Some((_, Ok(()))) => Ok(()),
		_ => Err(SubmitError::Refused),
	}
}

/// Implements the off-chain signing traits for a pallet's test runtime `$runtime` (calls
/// `$call`, accounts `$account`): transactions signed by a worker key over the call's encoding,
/// without extensions, as [`Extrinsic`](sp_runtime::generic::UncheckedExtrinsic) `Extrinsic`,
/// which it defines. One implementation for every pallet whose off-chain worker submits duties.
#[macro_export]
macro_rules! mock_worker_signing {
	($runtime:ty, $call:ty, $account:ty) => {
		/// The mock's transactions: signed by a worker key, without extensions.
		pub type Extrinsic = sp_runtime::generic::UncheckedExtrinsic<
			$account,
			$call,
			sp_runtime::MultiSignature,
			(),
		>;

		impl frame_system::offchain::SigningTypes for $runtime {
			type Public = sp_runtime::MultiSigner;
			type Signature = sp_runtime::MultiSignature;
		}

		impl<C> frame_system::offchain::CreateTransactionBase<C> for $runtime
		where
			$call: From<C>,
		{
			type Extrinsic = Extrinsic;
			type RuntimeCall = $call;
		}

		impl<C> frame_system::offchain::CreateSignedTransaction<C> for $runtime
		where
			$call: From<C>,
		{
			/// Signs the call's encoding with the worker key.
			fn create_signed_transaction<
				K: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
			>(
				call: $call,
				public: sp_runtime::MultiSigner,
				account: $account,
				_nonce: u32,
			) -> Option<Extrinsic> {
				use codec::Encode;
				let signature = call.using_encoded(|payload| K::sign(payload, public))?;
				Some(Extrinsic::new_signed(call, account, signature, ()))
			}
		}
	};
}
