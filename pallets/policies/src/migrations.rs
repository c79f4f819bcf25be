//! Storage migrations, one module per version they lead to. The runtime lists them in its
//! `Migrations`; each runs once, when the on-chain storage version is the one it starts from.

/// Version 2: a grant carries the price of a request ([`crate::PolicyGrant::price`]). A policy
/// made before it gets a price of zero — paid by the period only, as it was. And a policy is
/// settled `SettleDelay` periods after its end: an unsettled policy's clean-up scheduled at its
/// end moves there.
pub mod v2 {
	use core::marker::PhantomData;

	use codec::Decode;
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use keymarket_primitives::{policies::UmbralPublicKey, staking::Period};
	use sp_runtime::traits::Zero;

	use crate::{
		BalanceOf, Config, Expiring, Pallet, Policies, PolicyGrant, PolicyOf, PolicyUrsula,
	};

	/// The layout of version 1.
	pub mod v1 {
		use super::*;

		/// A grant without a price.
		#[derive(Decode)]
		pub struct PolicyGrant<AccountId, Balance> {
			pub bob: AccountId,
			pub bob_key: UmbralPublicKey,
			pub verifying_key: UmbralPublicKey,
			pub policy_key: UmbralPublicKey,
			pub threshold: u8,
			pub start: Period,
			pub end: Period,
			pub rate: Balance,
		}

		/// A policy with such a grant.
		#[derive(Decode)]
		pub struct Policy<AccountId, Balance, MaxUrsulas: Get<u32>> {
			pub owner: AccountId,
			pub grant: PolicyGrant<AccountId, Balance>,
			pub ursulas: BoundedVec<PolicyUrsula<AccountId>, MaxUrsulas>,
			pub escrow: Balance,
			pub paid: Balance,
			pub deposit: Balance,
			pub revoked_at: Option<Period>,
			pub settled: bool,
		}
	}

	/// A policy of version 1 as version 2 stores it.
	pub fn upgrade<T: Config>(
		old: v1::Policy<T::AccountId, BalanceOf<T>, T::MaxUrsulas>,
	) -> PolicyOf<T> {
		let g = old.grant;
		PolicyOf::<T> {
			owner: old.owner,
			grant: PolicyGrant {
				bob: g.bob,
				bob_key: g.bob_key,
				verifying_key: g.verifying_key,
				policy_key: g.policy_key,
				threshold: g.threshold,
				start: g.start,
				end: g.end,
				rate: g.rate,
				price: Zero::zero(),
			},
			ursulas: old.ursulas,
			escrow: old.escrow,
			paid: old.paid,
			deposit: old.deposit,
			revoked_at: old.revoked_at,
			settled: old.settled,
		}
	}

	/// Rewrites every policy in the new layout, and moves an unsettled one's clean-up to its
	/// settling period: a read and up to three writes each (the chain's policies, bounded by
	/// `MaxPoliciesPerUrsula` per Ursula and their evidence window).
	pub struct Unchecked<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for Unchecked<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut count = 0u64;
			Policies::<T>::translate::<v1::Policy<T::AccountId, BalanceOf<T>, T::MaxUrsulas>, _>(
				|_, old| {
					count += 1;
					Some(upgrade::<T>(old))
				},
			);
			for (id, policy) in Policies::<T>::iter() {
				let due = Pallet::<T>::settle_period(&policy);
				if !policy.settled
					&& due != policy.grant.end
					&& Expiring::<T>::take(policy.grant.end, id).is_some()
				{
					Expiring::<T>::insert(due, id, ());
				}
			}
			T::DbWeight::get().reads_writes(count.saturating_mul(2), count.saturating_mul(3))
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			use codec::Encode;
			Ok((Policies::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "policies: pre-upgrade state")?;
			// Every policy decodes in the new layout, and none was lost.
			let after = Policies::<T>::iter_values().count() as u64;
			ensure!(before == after, "policies: a policy was lost in the migration to v2");
			Ok(())
		}
	}

	/// The migration to version 2, run once from version 1.
	pub type Migrate<T> =
		VersionedMigration<1, 2, Unchecked<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
