//! One `Config` implementation per pallet. Parameters that later issues tune live next to the
//! pallet they configure.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use frame_system::EnsureRoot;
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{Bounded, Verify},
	FixedPointNumber, MultiSignature, Perbill, Perquintill,
};
use sp_version::RuntimeVersion;

// `RuntimeOrigin`, `RuntimeTask` and `PalletInfo` are injected by `derive_impl` by name.
use super::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask,
	System, TxExtension, UncheckedExtrinsic, EXISTENTIAL_DEPOSIT, MICRO_UNITS, MILLI_UNITS,
	MINUTES, SLOT_DURATION, UNITS, VERSION,
};

mod fees;
pub use fees::ToBlockAuthor;

/// Normal transactions may fill three quarters of a block; the rest is kept for operational ones.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute in a six-second block.
	pub RuntimeBlockWeights: frame_system::limits::BlockWeights =
		frame_system::limits::BlockWeights::with_sensible_defaults(
			Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
			NORMAL_DISPATCH_RATIO,
		);
	/// Five MiB a block.
	pub RuntimeBlockLength: frame_system::limits::BlockLength =
		frame_system::limits::BlockLength::builder()
			.max_length(5 * 1024 * 1024)
			.modify_max_length_for_class(DispatchClass::Normal, |max| {
				*max = NORMAL_DISPATCH_RATIO * *max
			})
			.build();
	pub const SS58Prefix: u16 = keymarket_primitives::SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores its state in ParityDB (see docs/build.md), so weights use its costs.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
	/// `Balances::burn` would take tokens out of the issuance accounting that the staking
	/// pallet checks; nobody needs it (transfer to an account nobody holds instead).
	type BaseCallFilter = NoBurnCall;
}

/// Every call but `Balances::burn`.
pub struct NoBurnCall;

impl frame_support::traits::Contains<RuntimeCall> for NoBurnCall {
	fn contains(call: &RuntimeCall) -> bool {
		!matches!(call, RuntimeCall::Balances(pallet_balances::Call::burn { .. }))
	}
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	// No equivocation reports yet: the key owner proof type is uninhabited.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	/// Dust of reaped accounts goes to the block author rather than being burned.
	type DustRemoval = ToBlockAuthor;
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<0>;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = ();
}

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
	type LengthToFee = frame_support::weights::ConstantMultiplier<Balance, TransactionByteFee>;
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

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

/// The worker key type's application crypto: sr25519 keys of type `ursw` in the keystore.
pub mod worker_key {
	use keymarket_primitives::staking::WORKER_KEY_TYPE;
	use sp_runtime::app_crypto::{app_crypto, sr25519};

	app_crypto!(sr25519, WORKER_KEY_TYPE);
}

/// How the off-chain worker signs a commitment with the worker key for an account.
pub struct WorkerKey;

impl frame_system::offchain::AppCrypto<<MultiSignature as Verify>::Signer, MultiSignature>
	for WorkerKey
{
	type RuntimeAppPublic = worker_key::Public;
	type GenericPublic = sp_core::sr25519::Public;
	type GenericSignature = sp_core::sr25519::Signature;
}

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

impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	/// An authorized call has no signer: no nonce, no fee; `AuthorizeCall` validates it.
	fn create_extension() -> TxExtension {
		crate::immortal_tx_extension(0, 0)
	}
}

/// Periods per year: a period is a minute of blocks.
pub const PERIODS_PER_YEAR: u32 = 365 * 24 * 60;

parameter_types! {
	/// A period is one minute (10 blocks): short, for development and test networks.
	pub const BlocksPerPeriod: BlockNumber = MINUTES;
	pub const MinStake: Balance = 1_000 * UNITS;
	pub const MaxStake: Balance = 10_000_000 * UNITS;
	/// Phase 1 mints at most 1,000 KEY a period, until supply reaches one billion.
	pub const MaxIssuancePerPeriod: Balance = 1_000 * UNITS;
	pub const FirstPhaseSupply: Balance = 1_000_000_000 * UNITS;
	pub const SupplyCap: Balance = 3_000_000_000 * UNITS;
}

impl pallet_keymarket_staking::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type BlocksPerPeriod = BlocksPerPeriod;
	type MinStake = MinStake;
	type MaxStake = MaxStake;
	/// An hour.
	type MinLockPeriods = ConstU32<60>;
	/// Five years.
	type MaxLockPeriods = ConstU32<{ 5 * PERIODS_PER_YEAR }>;
	type MaxSubStakes = ConstU32<16>;
	/// An hour.
	type MinWorkerPeriods = ConstU32<60>;
	/// As long as offences may be reported: the slashing evidence window.
	type WorkerAccountabilityPeriods = EvidenceWindow;
	/// The evidence window and the slashing deferral: a report made on the window's last
	/// period still finds the stake when it is applied.
	type AnswerablePeriods = AnswerablePeriods;
	type MaxWorkerChangesPerPeriod = ConstU32<64>;
	type WorkerSignature = MultiSignature;
	type WorkerKey = WorkerKey;
	type StageOrigin = EnsureRoot<AccountId>;
	type MaxIssuancePerPeriod = MaxIssuancePerPeriod;
	type FirstPhaseSupply = FirstPhaseSupply;
	type SupplyCap = SupplyCap;
	/// NuCypher: `kmax` is a year, `k2 = kmax / 0.5`, `k1 = 0.5 k2`.
	type LockBonusPeriods = ConstU32<PERIODS_PER_YEAR>;
	type LockCoefficient1 = ConstU32<PERIODS_PER_YEAR>;
	type LockCoefficient2 = ConstU32<{ 2 * PERIODS_PER_YEAR }>;
	/// `periods per year · 2 / ln 2`: a two-year half-life.
	type DecayPeriods = ConstU32<1_516_561>;
	/// A week.
	type RewardHistoryPeriods = ConstU32<{ 7 * 24 * 60 }>;
	type OnCommitment = crate::Policies;
	type WeightInfo = crate::weights::pallet_keymarket_staking::WeightInfo<Runtime>;
}

parameter_types! {
	/// Offences may be reported for a day of periods; a former worker answers for its staker
	/// as long.
	pub const EvidenceWindow: u32 = 24 * 60;
	pub const CfragBasePenalty: Balance = 100 * UNITS;
	pub const CfragHistoryPenalty: Balance = 100 * UNITS;
	/// A tenth of what is taken goes to the reporters.
	pub const ReporterShare: Perbill = Perbill::from_percent(10);
	/// Two periods (two minutes) for governance to cancel a slash.
	pub const DeferPeriods: u32 = 2;
	pub const AnswerablePeriods: u32 = EvidenceWindow::get() + DeferPeriods::get();
}

impl pallet_keymarket_slashing::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type Stakes = crate::Staking;
	type CancelOrigin = EnsureRoot<AccountId>;
	type DeferPeriods = DeferPeriods;
	type EvidenceWindow = EvidenceWindow;
	type MaxReporters = ConstU32<8>;
	type MaxSlashesPerPeriod = ConstU32<64>;
	/// One staker's offences can take at most a sixteenth of a period's places.
	type MaxSlashesPerOffender = ConstU32<4>;
	type CfragBasePenalty = CfragBasePenalty;
	type CfragHistoryPenalty = CfragHistoryPenalty;
	/// At most a tenth of the stake for a capsule fragment or a false claim.
	type MaxPenaltyDivisor = ConstU32<10>;
	type FalseClaimMultiplier = ConstU32<2>;
	type ReporterShare = ReporterShare;
	type WeightInfo = crate::weights::pallet_keymarket_slashing::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = SlashingBenchmarks;
}

/// Stakers and periods for the slashing benchmarks, made through the staking pallet's calls.
#[cfg(feature = "runtime-benchmarks")]
pub struct SlashingBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_keymarket_slashing::BenchmarkHelper<AccountId> for SlashingBenchmarks {
	fn staked_worker(index: u32) -> AccountId {
		use frame_support::traits::{fungible::Mutate, Get};
		let staker: AccountId = frame_benchmarking::account("staker", index, 0);
		let worker: AccountId = frame_benchmarking::account("worker", index, 0);
		let sub_stakes: u32 = <Runtime as pallet_keymarket_staking::Config>::MaxSubStakes::get();
		let _ = crate::Balances::set_balance(&staker, MinStake::get() * (sub_stakes as u128 + 2));
		for _ in 0..sub_stakes {
			crate::Staking::stake(RuntimeOrigin::signed(staker.clone()), MinStake::get(), 120)
				.expect("the benchmark staker can stake");
		}
		crate::Staking::bond_worker(RuntimeOrigin::signed(staker), Some(worker.clone()))
			.expect("a fresh worker bonds");
		worker
	}

	fn go_to_period(period: keymarket_primitives::staking::Period) {
		System::set_block_number(period * BlocksPerPeriod::get());
	}
}

parameter_types! {
	/// The lowest fee: a thousandth of a token per Ursula per period.
	pub const MinFeeRate: Balance = MILLI_UNITS;
	/// A tenth of a token per Ursula per policy, to its staker: holding all 64 places of one
	/// Ursula costs 6.4 KEY however long the policies wait or however soon they are revoked.
	pub const PlaceFee: Balance = 100 * MILLI_UNITS;
	/// A record of up to 16 Ursulas takes under 1.5 KiB (with its indexes): a tenth of a
	/// token, plus a hundredth per Ursula for its key fragment and place.
	pub const DepositBase: Balance = 100 * MILLI_UNITS;
	pub const DepositPerUrsula: Balance = 10 * MILLI_UNITS;
}

impl pallet_keymarket_policies::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Ursulas = crate::Staking;
	type Offences = crate::Slashing;
	type MaxUrsulas = ConstU32<16>;
	/// Bounds the fee work of one commitment.
	type MaxPoliciesPerUrsula = ConstU32<64>;
	/// A year.
	type MaxPolicyPeriods = ConstU32<PERIODS_PER_YEAR>;
	/// A day.
	type MaxStartDelay = ConstU32<{ 24 * 60 }>;
	type EvidenceRetention = EvidenceWindow;
	/// An encrypted key fragment takes about 530 bytes.
	type MaxKeyFragLen = ConstU32<1024>;
	type MinFeeRate = MinFeeRate;
	type PlaceFee = PlaceFee;
	type MaxPendingPerOwner = ConstU32<16>;
	type DepositBase = DepositBase;
	type DepositPerUrsula = DepositPerUrsula;
	type WeightInfo = crate::weights::pallet_keymarket_policies::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = PoliciesBenchmarks;
}

/// Active Ursulas for the policies benchmarks, made through the staking pallet's calls.
#[cfg(feature = "runtime-benchmarks")]
pub struct PoliciesBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_keymarket_policies::BenchmarkHelper<AccountId> for PoliciesBenchmarks {
	fn active_ursula(index: u32, umbral_key: [u8; 33], signing_key: [u8; 32]) -> AccountId {
		use pallet_keymarket_slashing::BenchmarkHelper;
		let now = crate::Staking::current_period();
		// Bond and commit in the period before, so that the worker is committed to this one.
		System::set_block_number(now.saturating_sub(1) * BlocksPerPeriod::get());
		let worker = SlashingBenchmarks::staked_worker(1_000 + index);
		let origin = RuntimeOrigin::signed(worker.clone());
		crate::Staking::register_for_benchmarks(&worker, umbral_key, signing_key)
			.expect("a bonded worker registers");
		crate::Staking::commit_to_next_period(origin).expect("a registered worker commits");
		System::set_block_number(now * BlocksPerPeriod::get());
		worker
	}

	fn go_to_period(period: keymarket_primitives::staking::Period) {
		System::set_block_number(period * BlocksPerPeriod::get());
	}
}
