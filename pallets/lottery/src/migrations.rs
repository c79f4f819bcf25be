//! Storage migrations, one module per version they lead to. The runtime lists them in its
//! `Migrations`; each runs once, when the on-chain storage version is the one it starts from.

/// Version 2: the price of a request is the policy's, no longer each payer's. Accounts and the
/// authorizations they replaced drop their price; everything else stays.
pub mod v2 {
	use core::marker::PhantomData;

	use codec::Decode;
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	use crate::{Account, Accounts, BalanceOf, Config, Pallet, Period, Prior, PriorTerms, Round};

	/// The layout of version 1.
	pub mod v1 {
		use super::*;

		/// A payer's account with its own price.
		#[derive(Decode)]
		pub struct Account<Balance> {
			pub deposit: Balance,
			pub reserve: Balance,
			pub unlocks_at: Option<Round>,
			pub cap: Balance,
			pub price: Balance,
			pub spent: Balance,
			pub spent_in: Period,
		}

		/// A replaced authorization with its price.
		#[derive(Decode)]
		pub struct PriorTerms<Balance> {
			pub cap: Balance,
			pub price: Balance,
			pub until: Round,
		}
	}

	/// Rewrites every account and replaced authorization in the new layout: one read and one
	/// write each.
	pub struct Unchecked<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for Unchecked<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut count = 0u64;
			Accounts::<T>::translate::<v1::Account<BalanceOf<T>>, _>(|_, _, old| {
				count += 1;
				Some(Account {
					deposit: old.deposit,
					reserve: old.reserve,
					unlocks_at: old.unlocks_at,
					cap: old.cap,
					spent: old.spent,
					spent_in: old.spent_in,
				})
			});
			Prior::<T>::translate::<v1::PriorTerms<BalanceOf<T>>, _>(|_, _, old| {
				count += 1;
				Some(PriorTerms { cap: old.cap, until: old.until })
			});
			T::DbWeight::get().reads_writes(count, count)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			use codec::Encode;
			let accounts = Accounts::<T>::iter_keys().count() as u64;
			let priors = Prior::<T>::iter_keys().count() as u64;
			Ok((accounts, priors).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (accounts, priors) =
				<(u64, u64)>::decode(&mut &state[..]).map_err(|_| "lottery: pre-upgrade state")?;
			// Every entry decodes in the new layout, and none was lost.
			ensure!(
				Accounts::<T>::iter_values().count() as u64 == accounts
					&& Prior::<T>::iter_values().count() as u64 == priors,
				"lottery: an account was lost in the migration to v2"
			);
			Ok(())
		}
	}

	/// The migration to version 2, run once from version 1.
	pub type Migrate<T> =
		VersionedMigration<1, 2, Unchecked<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
