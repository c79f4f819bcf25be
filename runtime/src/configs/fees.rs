//! Transaction fees: how they are priced (weight, length and the fee multiplier) and where they
//! and the dust of reaped accounts go: to the author of the block, so that
//! total issuance changes only by what inflation mints and slashing burns. When the author cannot
//! take an amount (no author, or an author account that would stay below the existential
//! deposit), it is burned and the staking pallet's issuance record notes it.

use frame_support::{
	parameter_types,
	traits::{
		fungible::{Balanced, Credit},
		tokens::imbalance::Imbalance,
		ConstU8, FindAuthor, OnUnbalanced,
	},
	weights::{ConstantMultiplier, IdentityFee},
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_runtime::{traits::Bounded, FixedPointNumber, Perquintill};

use crate::{AccountId, Aura, Balance, Balances, Runtime, RuntimeEvent, Staking, MICRO_UNITS};

parameter_types! {
	/// Block space is priced: ten micro-KEY a byte, so that stuffing the normal three quarters
	/// of a block (3.75 MiB) costs about 39 KEY, and more with each full block (below).
	pub const TransactionByteFee: Balance = 10 * MICRO_UNITS;
	/// The fee multiplier rises while blocks are more than a quarter full and falls below it
	/// (polkadot-sdk's targeted fee adjustment, with Polkadot's values).
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
	pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_rational(1, 10u128);
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Fees and tips go to the block author: nothing is burned outside the staking rules.
	type OnChargeTransaction = FungibleAdapter<Balances, ToBlockAuthor>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = TargetedFeeAdjustment<
		Self,
		TargetBlockFullness,
		AdjustmentVariable,
		MinimumMultiplier,
		MaximumMultiplier,
	>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

/// Credits an amount to the current block's author (`pallet-authorship`'s, found by
/// [`AuthorOfSlot`]).
pub struct ToBlockAuthor;

impl ToBlockAuthor {
	/// The block's author, as `pallet-authorship` found it at the start of the block.
	pub fn author() -> Option<AccountId> {
		pallet_authorship::Pallet::<Runtime>::author()
	}
}

/// The account of a block's author: the session's validator in its Aura slot (whose keys are
/// not its account's: a stake-backed validator's come from its node's keystore); on a chain
/// upgraded from before sessions, until its first set, the account of the Aura key.
/// `pallet-authorship` asks it at the start of the block, before a session's rotation can change
/// the set that gave the slot.
pub struct AuthorOfSlot;

impl FindAuthor<AccountId> for AuthorOfSlot {
	fn find_author<'a, I>(digests: I) -> Option<AccountId>
	where
		I: 'a + IntoIterator<Item = (sp_runtime::ConsensusEngineId, &'a [u8])>,
	{
		let index = Aura::find_author(digests)? as usize;
		if let Some(validator) = pallet_session::Validators::<Runtime>::get().get(index) {
			return Some(validator.clone());
		}
		let authority = pallet_aura::Authorities::<Runtime>::get().get(index).cloned()?;
		let key: sp_core::sr25519::Public = authority.into();
		Some(key.into())
	}
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = AuthorOfSlot;
	type EventHandler = ();
}

impl OnUnbalanced<Credit<AccountId, Balances>> for ToBlockAuthor {
	fn on_nonzero_unbalanced(amount: Credit<AccountId, Balances>) {
		let unplaced = match Self::author() {
			Some(author) => <Balances as Balanced<AccountId>>::resolve(&author, amount).err(),
			None => Some(amount),
		};
		if let Some(burned) = unplaced {
			Staking::note_burned(burned.peek());
		}
	}
}

/// Waives the fee of a call whose `feeless_if` holds (an Ursula's duty that is due), and says so
/// in an event (`FeeSkipped`).
impl pallet_skip_feeless_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
}
