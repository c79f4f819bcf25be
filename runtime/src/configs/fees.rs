//! Where transaction fees and the dust of reaped accounts go: to the author of the block, so that
//! total issuance changes only by what inflation mints and slashing burns. When the author cannot
//! take an amount (no author, or an author account that would stay below the existential
//! deposit), it is burned and the staking pallet's issuance record notes it.

use frame_support::traits::{
	fungible::{Balanced, Credit},
	tokens::imbalance::Imbalance,
	FindAuthor, OnUnbalanced,
};

use crate::{AccountId, Aura, Balances, Runtime, Staking, System};

/// Credits an amount to the current block's Aura author.
pub struct ToBlockAuthor;

impl ToBlockAuthor {
	/// The account of the block's author: the account of its Aura (sr25519) key.
	fn author() -> Option<AccountId> {
		let digest = System::digest();
		let pre_runtime = digest.logs().iter().filter_map(|item| item.as_pre_runtime());
		let index = Aura::find_author(pre_runtime)?;
		let authority = pallet_aura::Authorities::<Runtime>::get().get(index as usize).cloned()?;
		let key: sp_core::sr25519::Public = authority.into();
		Some(key.into())
	}
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
