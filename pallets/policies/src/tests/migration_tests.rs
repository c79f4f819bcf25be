use codec::Encode;
use frame_support::{
	storage::unhashed,
	traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
};

use super::{mock::*, *};
use crate::{migrations::v2::Migrate, PolicyOf};

/// A policy's bytes as version 1 stored them: the same fields, the grant without a price.
fn v1_bytes(policy: &PolicyOf<Test>) -> Vec<u8> {
	let g = &policy.grant;
	(
		policy.owner,
		(g.bob, g.bob_key, g.verifying_key, g.policy_key, g.threshold, g.start, g.end, g.rate),
		policy.ursulas.clone(),
		policy.escrow,
		policy.paid,
		policy.deposit,
		policy.revoked_at,
		policy.settled,
	)
		.encode()
}

#[test]
fn version_1_policies_get_a_zero_price_and_keep_everything_else() {
	run(|| {
		alice_grants();
		let policy = crate::Policies::<Test>::get(POLICY).unwrap();
		let key = crate::Policies::<Test>::hashed_key_for(POLICY);
		unhashed::put_raw(&key, &v1_bytes(&policy));
		StorageVersion::new(1).put::<Policies>();
		// Version 1's bytes do not read as version 2.
		assert!(crate::Policies::<Test>::get(POLICY).is_none());

		Migrate::<Test>::on_runtime_upgrade();
		assert_eq!(Policies::on_chain_storage_version(), 2);
		let expected =
			PolicyOf::<Test> { grant: PolicyGrant { price: 0, ..policy.grant.clone() }, ..policy };
		assert_eq!(crate::Policies::<Test>::get(POLICY), Some(expected.clone()));

		// No settling delay here: the clean-up stays at the end.
		assert!(crate::Expiring::<Test>::contains_key(15, POLICY));

		// Once is all: a second run from version 2 changes nothing.
		Migrate::<Test>::on_runtime_upgrade();
		assert_eq!(crate::Policies::<Test>::get(POLICY), Some(expected));
	});
}

#[test]
fn a_chain_at_version_2_skips_the_migration() {
	run(|| {
		StorageVersion::new(2).put::<Policies>();
		alice_grants();
		let before = crate::Policies::<Test>::get(POLICY);
		Migrate::<Test>::on_runtime_upgrade();
		assert_eq!(crate::Policies::<Test>::get(POLICY), before);
	});
}

#[test]
fn an_unsettled_policys_clean_up_moves_to_its_settling_period() {
	run(|| {
		alice_grants();
		let policy = crate::Policies::<Test>::get(POLICY).unwrap();
		unhashed::put_raw(&crate::Policies::<Test>::hashed_key_for(POLICY), &v1_bytes(&policy));
		StorageVersion::new(1).put::<Policies>();
		SettleDelay::set(3);
		Migrate::<Test>::on_runtime_upgrade();
		assert!(!crate::Expiring::<Test>::contains_key(15, POLICY));
		assert!(crate::Expiring::<Test>::contains_key(18, POLICY));
		// As try-state expects of version 2 with this delay.
		Policies::do_try_state().expect("scheduled at its settling period");
	});
}
