//! Runtime-level attacks on the transaction pipeline: the real pallets, the real transaction
//! extensions, the real block limits and fees.

use codec::Encode;
use frame_support::{assert_ok, dispatch::DispatchClass, traits::Get};
use keymarket_primitives::staking::registration_payload;
use sp_core::{crypto::Pair as _, ecdsa, sr25519};
use sp_runtime::{
	traits::Convert,
	transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
	BuildStorage, MultiSignature,
};

use crate::{
	configs::{time::BlocksPerPeriod, RuntimeBlockLength, RuntimeBlockWeights},
	immortal_tx_extension, AccountId, BalancesConfig, Executive, Runtime, RuntimeCall,
	RuntimeGenesisConfig, RuntimeOrigin, SignedPayload, Staking, System, TransactionPayment,
	UncheckedExtrinsic, UNITS,
};

pub(crate) fn pair(seed: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{seed}"), None).expect("a dev seed")
}

pub(crate) fn account(seed: &str) -> AccountId {
	pair(seed).public().into()
}

fn new_ext() -> sp_io::TestExternalities {
	let balances = ["Alice", "Eve", "Ferdie"].map(|who| (account(who), 1_000_000 * UNITS)).to_vec();
	let storage = RuntimeGenesisConfig {
		balances: BalancesConfig { balances, ..Default::default() },
		..Default::default()
	}
	.build_storage()
	.expect("a genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// `signer`'s signed transaction of `call` (no tip).
pub(crate) fn signed(call: RuntimeCall, signer: &str, nonce: u32) -> UncheckedExtrinsic {
	let extension = immortal_tx_extension(nonce, 0);
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("a payload");
	let signature = payload.using_encoded(|bytes| pair(signer).sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		account(signer).into(),
		MultiSignature::from(signature),
		extension,
	)
}

/// Fills the normal class's weight in the current block, as heavy calls would.
fn fill_normal_weight() {
	let weights = RuntimeBlockWeights::get();
	let max_normal = weights.get(DispatchClass::Normal).max_total.expect("normal has a cap");
	frame_system::BlockWeight::<Runtime>::mutate(|used| {
		used.set(max_normal, DispatchClass::Normal)
	});
}

/// `staker` stakes `stake` for 120 periods for `worker`, which registers its keys: an Ursula.
pub(crate) fn ursula(staker: &str, worker: &str, stake: crate::Balance) -> AccountId {
	let (staker, seed, worker) = (account(staker), worker, account(worker));
	assert_ok!(Staking::stake(RuntimeOrigin::signed(staker.clone()), stake, 120));
	assert_ok!(Staking::bond_worker(RuntimeOrigin::signed(staker), Some(worker.clone())));
	let umbral = ecdsa::Pair::from_string(&format!("//{seed}//umbral"), None).unwrap();
	let (umbral_key, signing_key) = (umbral.public().0, pair(seed).public().0);
	let payload = registration_payload(&worker, &umbral_key, &signing_key);
	assert_ok!(Staking::register_worker(
		RuntimeOrigin::signed(worker.clone()),
		vec![],
		umbral_key,
		signing_key,
		umbral.sign(&payload).0,
		pair(seed).sign(&payload).0,
	));
	worker
}

#[test]
fn the_market_draws_among_the_ursulas_whose_terms_fit_and_says_why_the_others_do_not() {
	use crate::configs::parameters::dynamic_params::policies::MinFeeRate;
	new_ext().execute_with(|| {
		let ferdie = ursula("Alice", "Ferdie", 2_000 * UNITS);
		let dave = ursula("Eve", "Dave", 3_000 * UNITS);
		let lowest = MinFeeRate::get();
		let ask = 5 * lowest;
		// Eve asks five times the lowest rate, from the next period; both commit to it.
		assert_ok!(Staking::set_terms(RuntimeOrigin::signed(account("Eve")), ask, 2));
		for worker in [&ferdie, &dave] {
			assert_ok!(Staking::commit_to_next_period(RuntimeOrigin::signed(worker.clone())));
		}
		let next = Staking::current_period() + 1;
		System::set_block_number(next * BlocksPerPeriod::get());
		let end = next + 10;

		let view = crate::market::terms(dave.clone()).expect("a bonded worker");
		assert_eq!((view.in_force.min_fee_rate, view.in_force.capacity), (ask, 2));
		assert_eq!((view.chosen, view.load, view.free_places), (true, 0, 2));
		let view = crate::market::terms(ferdie.clone()).unwrap();
		assert_eq!((view.in_force.min_fee_rate, view.chosen), (lowest, false));
		assert!(crate::market::terms(account("Eve")).is_none(), "a staker is no worker");

		// At the lowest rate only Ferdie fits; the answer names the rate that finds both.
		let no = crate::market::sample_fitting([1; 32], 2, lowest, end).unwrap_err();
		assert_eq!((no.active, no.fitting, no.rate_too_low, no.lowest_rate), (2, 1, 1, Some(ask)));
		assert_eq!(
			crate::market::sample_fitting([1; 32], 1, lowest, end),
			Ok(vec![ferdie.clone()])
		);
		let mut both = crate::market::sample_fitting([1; 32], 2, ask, end).unwrap();
		both.sort();
		let mut expected = vec![ferdie.clone(), dave.clone()];
		expected.sort();
		assert_eq!(both, expected);
		// The same seed at the same state draws the same; the plain draw is the same list.
		assert_eq!(
			crate::market::sample_fitting([1; 32], 2, ask, end).unwrap(),
			Staking::sample([1; 32], 2, next).unwrap()
		);

		// Stake on offer at each price.
		let points = crate::market::price_distribution(vec![lowest, ask]);
		assert_eq!((points[0].ursulas, points[0].stake), (1, 2_000 * UNITS));
		assert_eq!(
			(points[1].ursulas, points[1].stake, points[1].free_places),
			(2, 5_000 * UNITS, 66)
		);

		// Eve winds down: her stake unlocks before a policy of 200 periods ends.
		assert_ok!(Staking::set_wind_down(RuntimeOrigin::signed(account("Eve")), true));
		let no = crate::market::sample_fitting([1; 32], 2, ask, next + 200).unwrap_err();
		assert_eq!((no.unlocks_early, no.lowest_rate), (1, None));
	});
}

#[test]
fn a_commitment_gets_through_a_block_stuffed_by_normal_transactions() {
	new_ext().execute_with(|| {
		let ferdie = ursula("Alice", "Ferdie", 2_000 * UNITS);
		let block = BlocksPerPeriod::get() + 1;
		System::set_block_number(block);
		let next = Staking::current_period() + 1;
		// The worker's own signed transaction, as its node's off-chain worker sends it.
		let commit = RuntimeCall::Staking(pallet_keymarket_staking::Call::commit_to_next_period {});
		let commitment = signed(commit.clone(), "Ferdie", 0);
		// In the pool it ranks above any tip.
		let validity = Executive::validate_transaction(
			TransactionSource::External,
			commitment.clone(),
			System::parent_hash(),
		)
		.expect("a commitment is valid");
		assert!(validity.priority >= pallet_keymarket_staking::COMMITMENT_PRIORITY);
		// A stranger's "commitment" is refused by the pool with the precise code: it never
		// reaches a block, so nobody pays for it.
		assert_eq!(
			Executive::validate_transaction(
				TransactionSource::External,
				signed(commit, "Eve", 0),
				System::parent_hash(),
			),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(
				keymarket_primitives::staking::validity::NOT_A_WORKER
			)))
		);
		let ferdie_free = pallet_balances::Pallet::<Runtime>::free_balance(&ferdie);

		// The attacker stuffs the block being built: one remark takes nearly all the length
		// normal transactions may use, and heavy calls all their weight...
		System::set_block_number(block);
		let len = *RuntimeBlockLength::get().max.get(DispatchClass::Normal) as usize - 1_000;
		let stuffing = RuntimeCall::System(frame_system::Call::remark { remark: vec![0; len] });
		assert_eq!(Executive::apply_extrinsic(signed(stuffing, "Eve", 0)), Ok(Ok(())));
		fill_normal_weight();
		// ...so its next remark, and anyone's normal transaction, no longer fits...
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![0; 100] });
		assert_eq!(
			Executive::apply_extrinsic(signed(remark, "Eve", 1)),
			Err(TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources))
		);
		// ...but the node's commitment, a duty in the operational class, still does, fee-free.
		assert_eq!(Executive::apply_extrinsic(commitment.clone()), Ok(Ok(())));
		assert!(Staking::committed_to(&ferdie, next));
		assert_eq!(pallet_balances::Pallet::<Runtime>::free_balance(&ferdie), ferdie_free);
		// Replayed, it is refused (its nonce is spent, and the duty is done).
		assert!(Executive::apply_extrinsic(commitment).is_err());
	});
}

#[test]
fn stuffing_a_block_is_priced() {
	use frame_support::dispatch::GetDispatchInfo;
	use pallet_transaction_payment::Multiplier;
	new_ext().execute_with(|| {
		let len = *RuntimeBlockLength::get().max.get(DispatchClass::Normal);
		let remark =
			RuntimeCall::System(frame_system::Call::remark { remark: vec![0; len as usize - 200] });
		let fee = TransactionPayment::compute_fee(len, &remark.get_dispatch_info(), 0);
		assert!(fee >= 30 * UNITS, "the normal part of a block costs {fee}, under 30 KEY");

		// A block fuller than the target raises the next fee multiplier; an empty one lowers it.
		fill_normal_weight();
		let update = |m| {
			<<Runtime as pallet_transaction_payment::Config>::FeeMultiplierUpdate as Convert<
				Multiplier,
				Multiplier,
			>>::convert(m)
		};
		assert!(update(Multiplier::from(1)) > Multiplier::from(1));
		frame_system::BlockWeight::<Runtime>::kill();
		assert!(update(Multiplier::from(1)) < Multiplier::from(1));
	});
}

#[test]
fn stake_answers_as_long_as_an_offence_can_be_reported_and_applied() {
	use crate::genesis_config_presets::{SHORT_DURATIONS, STAGING_DURATIONS};
	// Whatever durations a chain spec chooses, the runtime derives the windows consistently.
	for durations in [SHORT_DURATIONS, STAGING_DURATIONS] {
		let storage = RuntimeGenesisConfig {
			staking: pallet_keymarket_staking::GenesisConfig { durations, ..Default::default() },
			..Default::default()
		}
		.build_storage()
		.expect("a genesis");
		sp_io::TestExternalities::new(storage).execute_with(|| {
			let window = <Runtime as pallet_keymarket_slashing::Config>::EvidenceWindow::get();
			let defer = <Runtime as pallet_keymarket_slashing::Config>::DeferPeriods::get();
			let answerable =
				<Runtime as pallet_keymarket_staking::Config>::AnswerablePeriods::get();
			let accountable =
				<Runtime as pallet_keymarket_staking::Config>::WorkerAccountabilityPeriods::get();
			assert_eq!(window, durations.evidence_window);
			// A report on the window's last period is applied `defer` later: the stake must
			// still be there, and the worker must still be known to answer for its staker.
			assert!(answerable >= window + defer);
			assert!(accountable >= window);
			// A policy record outlives the window too, so that its evidence can be judged.
			assert!(
				<Runtime as pallet_keymarket_policies::Config>::EvidenceRetention::get() >= window
			);
		});
	}
}

#[test]
fn governance_tunes_an_economic_knob_and_nobody_else_can() {
	use crate::{dynamic_params::policies, Parameters, RuntimeParameters};
	new_ext().execute_with(|| {
		assert_eq!(<Runtime as pallet_keymarket_policies::Config>::PlaceFee::get(), UNITS / 10);
		let doubled = RuntimeParameters::Policies(policies::Parameters::PlaceFee(
			policies::PlaceFee,
			Some(UNITS / 5),
		));
		// A signed account is not governance: refused, nothing changes.
		assert_eq!(
			Parameters::set_parameter(RuntimeOrigin::signed(account("Eve")), doubled.clone()),
			Err(sp_runtime::DispatchError::BadOrigin)
		);
		assert_eq!(<Runtime as pallet_keymarket_policies::Config>::PlaceFee::get(), UNITS / 10);
		// Root (sudo) sets it; the pallet reads the new value at once.
		assert_ok!(Parameters::set_parameter(RuntimeOrigin::root(), doubled));
		assert_eq!(<Runtime as pallet_keymarket_policies::Config>::PlaceFee::get(), UNITS / 5);
		// Resetting it (`None`) returns to the default.
		let reset =
			RuntimeParameters::Policies(policies::Parameters::PlaceFee(policies::PlaceFee, None));
		assert_ok!(Parameters::set_parameter(RuntimeOrigin::root(), reset));
		assert_eq!(<Runtime as pallet_keymarket_policies::Config>::PlaceFee::get(), UNITS / 10);
	});
}

#[test]
fn a_new_chain_starts_at_the_pallets_storage_versions_and_its_migrations_change_nothing() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade};
	new_ext().execute_with(|| {
		assert_eq!(crate::Policies::on_chain_storage_version(), 2);
		assert_eq!(crate::Lottery::on_chain_storage_version(), 2);
		assert_eq!(crate::Validators::on_chain_storage_version(), 1);
		assert_eq!(crate::Session::on_chain_storage_version(), 1);
		let root = sp_io::storage::root(sp_runtime::StateVersion::V1);
		crate::Migrations::on_runtime_upgrade();
		assert_eq!(sp_io::storage::root(sp_runtime::StateVersion::V1), root);
	});
}

#[test]
fn a_chain_that_ran_before_sessions_starts_them_at_their_versions_and_no_stake_takes_it_over() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_ext().execute_with(|| {
		// As spec 110 left it: neither pallet's version nor any of their storage.
		for prefix in [&b"Validators"[..], &b"Session"[..]] {
			let _ = frame_support::storage::unhashed::clear_prefix(
				&sp_io::hashing::twox_128(prefix),
				None,
				None,
			);
		}
		// Its authorities, as Aura's own genesis gave them then.
		let alice: sp_consensus_aura::sr25519::AuthorityId =
			sp_keyring::Sr25519Keyring::Alice.public().into();
		pallet_aura::Authorities::<Runtime>::put(frame_support::BoundedVec::truncate_from(vec![
			alice.clone(),
		]));
		assert_eq!(crate::Validators::on_chain_storage_version(), StorageVersion::new(0));
		// What the executive does at an upgrade: a pallet with no storage yet is put at its
		// code's version before any migration runs; then the migrations.
		<crate::AllPalletsWithSystem as frame_support::traits::BeforeAllRuntimeMigrations>::before_all_runtime_migrations();
		crate::Migrations::on_runtime_upgrade();
		assert_eq!(crate::Validators::on_chain_storage_version(), 1);
		assert_eq!(crate::Session::on_chain_storage_version(), 1);
		// A staker with the most stake, keys and an offer: with no invulnerable there is no place
		// for stake alone. Sessions end and choose nobody; the authorities stay.
		let eve = account("Eve");
		assert_ok!(Staking::stake(RuntimeOrigin::signed(eve.clone()), 500_000 * UNITS, 120));
		let keys = crate::opaque::SessionKeys {
			aura: sp_keyring::Sr25519Keyring::Eve.public().into(),
			grandpa: sp_keyring::Ed25519Keyring::Eve.public().into(),
		};
		pallet_session::NextKeys::<Runtime>::insert(&eve, keys);
		assert_ok!(crate::Validators::offer(RuntimeOrigin::signed(eve)));
		for _ in 0..3 {
			pallet_session::Pallet::<Runtime>::rotate_session();
		}
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().into_inner(), vec![alice]);
		assert!(pallet_grandpa::PendingChange::<Runtime>::get().is_none());
	});
}
