//! What the node's off-chain workers need to build transactions: the worker key (defined beside
//! the staking pallet, which checks its signatures) and how a call becomes the worker's signed
//! transaction.

use codec::Encode;
use sp_runtime::{generic::Era, traits::Verify, MultiSignature, SaturatedConversion};

use crate::{
	AccountId, Nonce, Runtime, RuntimeCall, SignedPayload, System, TxExtension, UncheckedExtrinsic,
};

/// Blocks a duty transaction stays valid for (a mortal era: an old signature cannot be replayed
/// once the worker account's nonce starts over).
const DUTY_ERA_BLOCKS: u64 = 64;

/// The worker key's application crypto, as the node's keystore knows it.
pub use pallet_keymarket_staking::crypto as worker_key;

impl frame_system::offchain::SigningTypes for Runtime {
	type Public = <MultiSignature as Verify>::Signer;
	type Signature = MultiSignature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extension = TxExtension;

	fn create_transaction(call: RuntimeCall, extension: TxExtension) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateSignedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	/// The worker's own version-4 signed transaction: mortal from the parent block, no tip.
	fn create_signed_transaction<
		K: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		public: Self::Public,
		account: AccountId,
		nonce: Nonce,
	) -> Option<UncheckedExtrinsic> {
		// The era's birth block must have a hash on chain: the parent of the block being built.
		let birth = System::block_number().saturating_sub(1).saturated_into::<u64>();
		let extension = crate::tx_extension(Era::mortal(DUTY_ERA_BLOCKS, birth), nonce, 0);
		let payload = SignedPayload::new(call, extension)
			.map_err(|e| log::warn!(target: "runtime::offchain", "no duty payload: {e:?}"))
			.ok()?;
		let signature = payload.using_encoded(|bytes| K::sign(bytes, public))?;
		let (call, extension, _) = payload.deconstruct();
		Some(UncheckedExtrinsic::new_signed(call, account.into(), signature, extension))
	}
}
