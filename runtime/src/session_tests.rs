//! Validators join and leave the running chain: the real session, validators, staking, Aura and
//! GRANDPA pallets, keys made and proven as `author_rotateKeysWithOwner` makes them.

use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, Get, Hooks},
};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::{traits::OpaqueKeys, BuildStorage};

use crate::tests::{account, signed, ursula};
use crate::{
	configs::time::BlocksPerPeriod, opaque::SessionKeys, AccountId, Balances, BalancesConfig,
	RuntimeGenesisConfig, RuntimeHoldReason, RuntimeOrigin, Session, SessionConfig, Staking,
	System, Validators, ValidatorsConfig, UNITS,
};

/// The genesis validators: invulnerables, each with its development keys.
const GENESIS: [(&str, Sr25519Keyring, Ed25519Keyring); 3] = [
	("Alice", Sr25519Keyring::Alice, Ed25519Keyring::Alice),
	("Bob", Sr25519Keyring::Bob, Ed25519Keyring::Bob),
	("Charlie", Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
];

fn genesis_keys() -> Vec<(AccountId, SessionKeys)> {
	GENESIS
		.iter()
		.map(|(name, aura, grandpa)| {
			(
				account(name),
				SessionKeys { aura: aura.public().into(), grandpa: grandpa.public().into() },
			)
		})
		.collect()
}

/// The genesis validators' Aura keys, in their accounts' order (the session's).
fn genesis_aura() -> Vec<AuraId> {
	let mut keys = genesis_keys();
	keys.sort_by(|a, b| a.0.cmp(&b.0));
	keys.into_iter().map(|(_, keys)| keys.aura).collect()
}

/// Alice, Bob and Charlie validate from genesis (so a candidate has one place beside them);
/// Eve and Ferdie have tokens; a keystore makes keys.
fn new_ext() -> sp_io::TestExternalities {
	let balances = ["Alice", "Eve", "Ferdie"].map(|who| (account(who), 1_000_000 * UNITS)).to_vec();
	let keys = genesis_keys();
	let storage = RuntimeGenesisConfig {
		balances: BalancesConfig { balances, ..Default::default() },
		validators: ValidatorsConfig {
			invulnerables: keys.iter().map(|(who, _)| who.clone()).collect(),
		},
		session: SessionConfig {
			keys: keys.into_iter().map(|(who, keys)| (who.clone(), who, keys)).collect(),
			..Default::default()
		},
		..Default::default()
	}
	.build_storage()
	.expect("a genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs the session pallet's hook at the first block of the next period: a session ends there.
fn next_session() {
	let period = BlocksPerPeriod::get();
	let next = (System::block_number() / period + 1) * period;
	System::set_block_number(next);
	let weight = <Session as Hooks<_>>::on_initialize(next);
	assert!(weight != frame_support::weights::Weight::zero(), "a session ends at block {next}");
}

/// The block being built is sealed in Aura slot `slot`.
fn in_slot(slot: u64) {
	System::deposit_log(sp_runtime::DigestItem::PreRuntime(
		sp_consensus_aura::AURA_ENGINE_ID,
		sp_consensus_aura::Slot::from(slot).encode(),
	));
}

fn aura_authorities() -> Vec<AuraId> {
	pallet_aura::Authorities::<crate::Runtime>::get().into_inner()
}

/// `who` makes session keys in the keystore, as the node's `author_rotateKeysWithOwner` does,
/// and sets them with their proof of ownership.
fn rotate_and_set_keys(who: &AccountId) -> SessionKeys {
	let generated = SessionKeys::generate(&who.encode(), None);
	assert_ok!(Session::set_keys(
		RuntimeOrigin::signed(who.clone()),
		generated.keys.clone(),
		generated.proof.encode()
	));
	generated.keys
}

#[test]
fn a_staker_joins_the_validators_at_the_second_session_and_leaves_the_same_way() {
	new_ext().execute_with(|| {
		let eve = account("Eve");
		assert_eq!(aura_authorities(), genesis_aura());
		let stake = crate::dynamic_params::validators::MinValidatorStake::get();
		assert_ok!(Staking::stake(RuntimeOrigin::signed(eve.clone()), stake, 120));
		let keys = rotate_and_set_keys(&eve);
		// The keys are paid for while they are set.
		let reason = RuntimeHoldReason::Session(pallet_session::HoldReason::Keys);
		assert_eq!(Balances::balance_on_hold(&reason, &eve), UNITS);
		assert_ok!(Validators::offer(RuntimeOrigin::signed(eve.clone())));

		// Chosen at the next session, queued one session ahead, authoring in the one after.
		next_session();
		assert!(!pallet_session::Validators::<crate::Runtime>::get().contains(&eve));
		assert_eq!(aura_authorities(), genesis_aura());
		next_session();
		let validators = pallet_session::Validators::<crate::Runtime>::get();
		assert!(validators.contains(&eve) && validators.len() == 4);
		let authorities = aura_authorities();
		assert!(authorities.contains(&keys.aura) && authorities.len() == 4);
		// GRANDPA schedules the same change.
		let change = pallet_grandpa::PendingChange::<crate::Runtime>::get().expect("a change");
		assert!(change.next_authorities.iter().any(|(id, _)| id == &keys.grandpa));
		assert_eq!(change.next_authorities.len(), 4);

		// A block in Eve's slot pays its fees to Eve's account, not to her Aura key's.
		let eve_index = validators.iter().position(|v| v == &eve).expect("Eve validates");
		assert_eq!(authorities[eve_index], keys.aura, "the session's and Aura's lists align");
		in_slot(4_000 + eve_index as u64);
		assert_eq!(crate::configs::ToBlockAuthor::author(), Some(eve.clone()));
		<crate::Authorship as Hooks<_>>::on_finalize(System::block_number());

		// Eve retires: out two sessions later; its keys can go, and their deposit with them.
		assert_ok!(Validators::retire(RuntimeOrigin::signed(eve.clone())));
		next_session();
		next_session();
		assert_eq!(aura_authorities(), genesis_aura());
		assert_ok!(Session::purge_keys(RuntimeOrigin::signed(eve.clone())));
		assert_eq!(Balances::balance_on_hold(&reason, &eve), 0);
	});
}

#[test]
fn keys_made_for_one_account_cannot_be_set_by_another() {
	new_ext().execute_with(|| {
		let (eve, ferdie) = (account("Eve"), account("Ferdie"));
		let generated = SessionKeys::generate(&eve.encode(), None);
		// Ferdie replays Eve's keys and proof: the proof names Eve.
		assert_noop!(
			Session::set_keys(
				RuntimeOrigin::signed(ferdie.clone()),
				generated.keys.clone(),
				generated.proof.encode()
			),
			pallet_session::Error::<crate::Runtime>::InvalidProof
		);
		// Nor can anyone take Alice's keys, whose secret they do not hold.
		assert_noop!(
			Session::set_keys(
				RuntimeOrigin::signed(ferdie),
				genesis_keys()[0].1.clone(),
				vec![0; 128]
			),
			pallet_session::Error::<crate::Runtime>::InvalidProof
		);
		assert_eq!(SessionKeys::key_ids().len(), 2);
	});
}

#[test]
fn a_candidate_whose_stake_is_withdrawn_or_too_small_does_not_validate() {
	new_ext().execute_with(|| {
		let eve = account("Eve");
		let stake = crate::dynamic_params::validators::MinValidatorStake::get();
		assert_ok!(Staking::stake(RuntimeOrigin::signed(eve.clone()), stake - 1, 120));
		rotate_and_set_keys(&eve);
		assert_noop!(
			Validators::offer(RuntimeOrigin::signed(eve.clone())),
			pallet_keymarket_validators::Error::<crate::Runtime>::StakeBelowMinimum
		);
		// Governance lowers the bar: the same stake now qualifies.
		assert_ok!(crate::Parameters::set_parameter(
			RuntimeOrigin::root(),
			crate::RuntimeParameters::Validators(
				crate::dynamic_params::validators::Parameters::MinValidatorStake(
					crate::dynamic_params::validators::MinValidatorStake,
					Some(stake - 1),
				)
			)
		));
		assert_ok!(Validators::offer(RuntimeOrigin::signed(eve.clone())));
		next_session();
		next_session();
		assert_eq!(aura_authorities().len(), 4);
		// And raises it again: Eve is not chosen at the next session.
		assert_ok!(crate::Parameters::set_parameter(
			RuntimeOrigin::root(),
			crate::RuntimeParameters::Validators(
				crate::dynamic_params::validators::Parameters::MinValidatorStake(
					crate::dynamic_params::validators::MinValidatorStake,
					Some(stake),
				)
			)
		));
		next_session();
		next_session();
		assert_eq!(aura_authorities(), genesis_aura());
	});
}

#[test]
fn the_block_that_ends_a_session_carries_duties_but_no_normal_transaction() {
	use sp_runtime::{
		traits::Header as _,
		transaction_validity::{InvalidTransaction, TransactionValidityError},
	};
	new_ext().execute_with(|| {
		ursula("Alice", "Ferdie", 2_000 * UNITS);
		// The block that ends session 0, initialized as the node initializes it: every hook.
		let period = BlocksPerPeriod::get();
		System::set_block_number(period - 1);
		let header = <crate::Block as sp_runtime::traits::Block>::Header::new(
			period,
			Default::default(),
			Default::default(),
			System::parent_hash(),
			Default::default(),
		);
		crate::Executive::initialize_block(&header);
		assert_eq!(pallet_session::CurrentIndex::<crate::Runtime>::get(), 1);
		let remark =
			crate::RuntimeCall::System(frame_system::Call::remark { remark: vec![0; 100] });
		assert_eq!(
			crate::Executive::apply_extrinsic(signed(remark, "Eve", 0)),
			Err(TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources))
		);
		let commit =
			crate::RuntimeCall::Staking(pallet_keymarket_staking::Call::commit_to_next_period {});
		assert_eq!(crate::Executive::apply_extrinsic(signed(commit, "Ferdie", 0)), Ok(Ok(())));
	});
}

#[test]
fn the_block_that_rotates_the_set_pays_the_author_its_slot_belonged_to() {
	new_ext().execute_with(|| {
		let eve = account("Eve");
		let stake = crate::dynamic_params::validators::MinValidatorStake::get();
		assert_ok!(Staking::stake(RuntimeOrigin::signed(eve.clone()), stake, 120));
		rotate_and_set_keys(&eve);
		assert_ok!(Validators::offer(RuntimeOrigin::signed(eve.clone())));
		next_session();
		// The block that brings Eve in: sealed in slot 5 by the old set's third validator (5 mod
		// 3); in the new set of four, slot 5 would be the second's.
		let old_set = pallet_session::Validators::<crate::Runtime>::get();
		let period = BlocksPerPeriod::get();
		let next = (System::block_number() / period + 1) * period;
		System::set_block_number(next);
		in_slot(5);
		<crate::Authorship as Hooks<_>>::on_initialize(next);
		<Session as Hooks<_>>::on_initialize(next);
		let new_set = pallet_session::Validators::<crate::Runtime>::get();
		assert_eq!(new_set.len(), 4);
		assert_ne!(new_set[1], old_set[2]);
		assert_eq!(crate::configs::ToBlockAuthor::author(), Some(old_set[2].clone()));
	});
}
