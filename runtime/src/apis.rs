//! The runtime APIs: the calls the node, the RPC layer and polkadot.js make into the runtime.

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult, ExtrinsicInclusionMode,
};
use sp_version::RuntimeVersion;

use keymarket_primitives::{
	market::{NoMatch, PricePoint, PriceRecord, Quote, TermsView},
	policies::{PolicyId, PolicyView},
	sampling::SamplingError,
	slashing::{HistoryView, PendingSlashView},
	staking::{Period, Stage, StakerView, UrsulaView},
};

use super::{
	AccountId, Aura, Balance, Block, Executive, Gateway, Grandpa, InherentDataExt, Lottery, Nonce,
	Policies, Runtime, RuntimeCall, RuntimeGenesisConfig, Slashing, Staking, System,
	TransactionPayment, VERSION,
};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			crate::opaque::SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			crate::opaque::SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			// Equivocation reports need a session pallet to prove key ownership; not yet.
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: sp_consensus_grandpa::AuthorityId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}

		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}

		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}

	#[api_version(2)]
	impl keymarket_primitives::staking::StakingApi<Block, AccountId, Balance> for Runtime {
		fn current_period() -> Period {
			Staking::current_period()
		}

		fn current_round() -> keymarket_primitives::time::Round {
			Staking::current_round()
		}

		fn durations() -> keymarket_primitives::time::Durations {
			Staking::durations()
		}

		fn stage() -> Stage {
			Staking::stage()
		}

		fn staker(who: AccountId) -> Option<StakerView<AccountId, Balance>> {
			Staking::staker_view(&who)
		}

		fn ursula(worker: AccountId) -> Option<UrsulaView<AccountId, Balance>> {
			Staking::ursula(worker)
		}

		fn active_ursulas(period: Period) -> Vec<UrsulaView<AccountId, Balance>> {
			Staking::active_ursulas(period)
		}

		fn sample(seed: [u8; 32], n: u32, period: Period) -> Result<Vec<AccountId>, SamplingError> {
			Staking::sample(seed, n, period)
		}
	}

	impl keymarket_primitives::market::MarketApi<Block, AccountId, Balance> for Runtime {
		fn terms(worker: AccountId) -> Option<TermsView<Balance>> {
			crate::market::terms(worker)
		}

		fn sample_fitting(
			seed: [u8; 32],
			n: u32,
			rate: Balance,
			end: Period,
		) -> Result<Vec<AccountId>, NoMatch<Balance>> {
			crate::market::sample_fitting(seed, n, rate, end)
		}

		fn price_distribution(rates: Vec<Balance>) -> Vec<PricePoint<Balance>> {
			crate::market::price_distribution(rates)
		}

		fn prices_paid(from: Period, to: Period) -> Vec<(Period, PriceRecord<Balance>)> {
			Policies::prices_paid(from, to)
		}

		fn quote(n: u32, rate: Balance, periods: Period) -> Option<Quote<Balance>> {
			Policies::quote(n, rate, periods)
		}
	}

	impl keymarket_primitives::slashing::SlashingApi<Block, AccountId, Balance> for Runtime {
		fn history(staker: AccountId) -> Vec<HistoryView<Balance>> {
			Slashing::history(&staker)
		}

		fn pending_slashes(staker: Option<AccountId>) -> Vec<PendingSlashView<AccountId, Balance>> {
			Slashing::pending_slashes(staker.as_ref())
		}
	}

	impl keymarket_primitives::policies::PoliciesApi<Block, AccountId, Balance> for Runtime {
		fn policy(id: PolicyId) -> Option<PolicyView<AccountId, Balance>> {
			Policies::policy_view(id)
		}

		fn policies_of_owner(owner: AccountId) -> Vec<PolicyId> {
			Policies::policies_of_owner(&owner)
		}

		fn policies_of_bob(bob: AccountId) -> Vec<PolicyId> {
			Policies::policies_of_bob(&bob)
		}

		fn policies_of_ursula(worker: AccountId) -> Vec<PolicyId> {
			Policies::policies_of_ursula(&worker)
		}

		fn encrypted_kfrag(id: PolicyId, worker: AccountId) -> Option<Vec<u8>> {
			Policies::encrypted_kfrag(id, &worker)
		}

		fn escrow_of(owner: AccountId) -> Balance {
			Policies::escrow_of(&owner)
		}

		fn earned_fees(staker: AccountId) -> Balance {
			Policies::earned_fees(&staker)
		}
	}

	impl keymarket_primitives::gateway::GatewayApi<Block, AccountId, Balance> for Runtime {
		fn round_gateways(round: u32) -> Option<keymarket_primitives::gateway::RoundView<AccountId>> {
			Gateway::round_view(round)
		}

		fn case(
			round: u32,
			ursula: AccountId,
		) -> Option<keymarket_primitives::gateway::CaseView<AccountId, Balance>> {
			Gateway::case_view(round, ursula)
		}

		fn cases_of(ursula: AccountId) -> Vec<keymarket_primitives::gateway::CaseView<AccountId, Balance>> {
			Gateway::cases_of(ursula)
		}

		fn open_cases() -> Vec<keymarket_primitives::gateway::CaseView<AccountId, Balance>> {
			Gateway::open_cases()
		}

		fn accused(ursula: AccountId) -> keymarket_primitives::gateway::AccusedView {
			Gateway::accused_view(ursula)
		}

		fn complaint_difficulty() -> u8 {
			Gateway::complaint_difficulty()
		}
	}

	impl keymarket_primitives::lottery::LotteryApi<Block, AccountId, Balance> for Runtime {
		fn funds(
			payer: AccountId,
			policy: keymarket_primitives::policies::PolicyId,
		) -> Option<keymarket_primitives::lottery::FundsView<Balance>> {
			Lottery::funds_view(payer, policy)
		}

		fn commitment(worker: AccountId) -> Option<keymarket_primitives::lottery::CommitmentView> {
			Lottery::commitment_view(worker)
		}

		fn redeemed(expires: u32, id: [u8; 32]) -> bool {
			Lottery::is_redeemed(expires, id)
		}

		fn winnings(worker: AccountId) -> keymarket_primitives::lottery::WinningsView<Balance> {
			Lottery::winnings_view(worker)
		}

		fn ticket_rounds() -> u32 {
			<<Runtime as pallet_keymarket_lottery::Config>::TicketRounds as frame_support::traits::Get<u32>>::get()
		}
	}

	impl keymarket_primitives::activity::ActivityApi<Block, AccountId, Balance> for Runtime {
		fn claims(worker: AccountId) -> Vec<keymarket_primitives::activity::ClaimView<Balance>> {
			crate::Activity::claims_of(&worker)
		}

		fn challenged(
			worker: AccountId,
			policy: keymarket_primitives::policies::PolicyId,
			period: u32,
		) -> Option<Vec<u32>> {
			crate::Activity::challenged(&worker, policy, period)
		}

		fn scheme() -> keymarket_primitives::activity::ActivityScheme {
			pallet_keymarket_activity::Scheme::<Runtime>::get()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use crate::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);
			(list, AllPalletsWithSystem::storage_info())
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::BenchmarkBatch;
			use frame_support::traits::WhitelistedStorageKeys;
			use frame_system_benchmarking::Pallet as SystemBench;
			use crate::*;

			let whitelist = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks)
				.expect("try-runtime: the runtime upgrade must succeed");
			(weight, crate::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			Executive::try_execute_block(block, state_root_check, signature_check, select)
				.expect("try-runtime: block execution must succeed")
		}
	}
}
