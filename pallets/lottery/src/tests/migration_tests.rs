//! The migration to version 2: accounts and replaced authorizations drop their price.

use codec::Encode;
use frame_support::{
	storage::unhashed,
	traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
};

use super::*;
use crate::{migrations::v2::Migrate, Account, Accounts, Prior, PriorTerms};

#[test]
fn version_1_accounts_lose_their_price_and_keep_everything_else() {
	run(|| {
		setup();
		let alice = account("Alice");
		alice_funds(1_000, 300, 500);
		// As version 1 stored them: a price between the cap and what was spent.
		let key = Accounts::<Test>::hashed_key_for(&alice, POLICY);
		unhashed::put_raw(
			&key,
			&(1_000u128, 300u128, Some(9u32), 500u128, 77u128, 40u128, 3u32).encode(),
		);
		let prior_key = Prior::<Test>::hashed_key_for(&alice, POLICY);
		unhashed::put_raw(&prior_key, &(800u128, 66u128, 2u32).encode());
		StorageVersion::new(1).put::<Lottery>();
		// Read as version 2, version 1's bytes are wrong: the price taken for what was spent.
		assert_eq!(Accounts::<Test>::get(&alice, POLICY).unwrap().spent, 77);

		Migrate::<Test>::on_runtime_upgrade();
		assert_eq!(Lottery::on_chain_storage_version(), 2);
		let account = Account {
			deposit: 1_000,
			reserve: 300,
			unlocks_at: Some(9),
			cap: 500,
			spent: 40,
			spent_in: 3,
		};
		assert_eq!(Accounts::<Test>::get(&alice, POLICY), Some(account.clone()));
		assert_eq!(Prior::<Test>::get(&alice, POLICY), Some(PriorTerms { cap: 800, until: 2 }));

		// Once is all.
		Migrate::<Test>::on_runtime_upgrade();
		assert_eq!(Accounts::<Test>::get(&alice, POLICY), Some(account));
	});
}
