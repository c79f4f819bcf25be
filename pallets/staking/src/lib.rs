//! # Keymarket staking
//!
//! ## Overview
//! Ursulas are the servers of the market, and their stake is what every other rule can take away.
//! This pallet keeps the stakes and the workers that serve them: NuCypher's `StakingEscrow` as a
//! FRAME pallet.
//!
//! - A **staker** locks native tokens for a number of periods in **sub-stakes** (create, increase,
//!   divide, prolong, merge, remove when unlocked; at most `MaxSubStakes`). Locked tokens stay in
//!   the staker's own account under a hold ([`HoldReason::Staking`]); they never move to a pallet
//!   account.
//! - The **wind-down** switch makes every lock shorten by one each period; with it off, locks stand
//!   still. The **re-stake** switch says whether rewards join the stake or stay free.
//! - A staker bonds one **worker**: the account of the Ursula node. A worker cannot be re-bonded or
//!   unbonded within `MinWorkerPeriods` of its bonding. The worker registers its service endpoint,
//!   its Umbral public key and its signing key.
//! - Each period the worker **commits** to be available in the next one (the weak availability
//!   signal that the paper criticises and later pallets improve on). Periods without a commitment
//!   are recorded as downtime.
//! - The node hosting a worker commits for it automatically: its off-chain worker signs
//!   [`Call::commit_to_next_period`] with the worker key from the keystore
//!   ([`keymarket_primitives::staking::WORKER_KEY_TYPE`]) as the worker account's own transaction.
//!   A duty that is due is fee-free and first in line; one that is not is refused by the pool
//!   ([`CheckDuty`], see [`duty`](crate::duty)). A bonded worker's account exists for its nonce
//!   without holding tokens (the pallet gives it a sufficient reference).
//! - **Inflation** pays for availability: each committed period, once it has passed, earns the
//!   staker NuCypher's two-phase reward per sub-stake (see [`rewards`](crate::rewards)), minted up
//!   to `SupplyCap`. When the cap is reached (or governance says so) the network **stage** turns
//!   from `Inflation` to `FeesOnly` and inflation stops; other pallets read [`Pallet::stage`].
//! - Other pallets take stake only through [`Pallet::slash`], which cuts the sub-stakes with the
//!   shortest remaining lock first and never takes more than is locked.
//!
//! ## Terminology
//! - *Period*: `block number / BlocksPerPeriod`.
//! - *Locked*: the sum of the sub-stakes whose lock has not run out.
//! - *Active Ursula* of period `p`: a registered worker whose staker has at least `MinStake` locked
//!   and that committed to `p`.
//!
//! ## Assumptions
//! - Periods pass lazily: a staker's locks are brought up to date (wind-down applied) whenever the
//!   staker, its worker or another pallet touches the stake, so no hook iterates over all stakers.
//! - A commitment records the staker's stake as it stands for the committed period; changes
//!   made after committing count from the next commitment on.
//! - Rewards are minted lazily, when the worker commits again or the staker calls `mint`; the
//!   per-period totals they need are kept for `RewardHistoryPeriods` periods.

#![cfg_attr(not(feature = "std"), no_std)]
// `Call::register_worker` carries two keys and their proofs of possession inline (194 bytes);
// boxing them would change nothing on the wire and burden every caller for a rare call.
#![allow(clippy::large_enum_variant)]

extern crate alloc;

pub use pallet::*;

mod api;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod crypto;
pub mod duty;
mod offchain;
pub mod rewards;
mod stakes;
mod terms;
pub mod types;
pub mod weights;
mod workers;

#[cfg(test)]
pub(crate) mod tests;

pub use duty::{CheckDuty, CommitDuty, COMMITMENT_PRIORITY, DUTY_PRIORITY};
pub use types::*;
pub use weights::WeightInfo;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

/// How many downtime gaps are kept per staker (the oldest are dropped).
pub const MAX_DOWNTIME_RECORDS: u32 = 32;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate, MutateHold},
	};
	use frame_system::{
		offchain::{AppCrypto, CreateSignedTransaction, SigningTypes},
		pallet_prelude::*,
	};

	/// Defaults for test runtimes: a mock derives them
	/// (`#[derive_impl(config_preludes::TestDefaultConfig)]`) and lists only what it changes —
	/// this pallet's mock, and the mocks of the pallets built on staking. Small numbers: periods of
	/// ten blocks, rounds of five, stakes of 100 to 10,000, `kmax` of 100.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;
		use frame_support::traits::{ConstU128, ConstU32, ConstU64};

		/// The numbers below, by name, for the tests that reason about them.
		pub const BLOCKS_PER_PERIOD: u64 = 10;
		pub const BLOCKS_PER_ROUND: u64 = 5;
		pub const MIN_STAKE: u128 = 100;
		pub const MAX_STAKE: u128 = 10_000;
		/// Phase 1 mints up to this per period; it lasts while supply stays within
		/// `FIRST_PHASE`.
		pub const IMAX: u128 = 1_000;
		pub const FIRST_PHASE: u128 = 200_000;
		pub const SUPPLY_CAP: u128 = 300_000;
		/// `kmax`, `k1 = kmax`, `k2 = 2 kmax`: NuCypher's proportions, small numbers.
		pub const KMAX: u32 = 100;
		pub const DECAY: u32 = 50;
		pub const REWARD_HISTORY: u32 = 10;
		/// Periods a former worker still answers for its staker.
		pub const ACCOUNTABILITY: u32 = 5;
		/// The range of the stakers' minimum fee rates, and the most places an Ursula offers.
		pub const MIN_FEE_RATE: u128 = 10;
		pub const MAX_FEE_RATE: u128 = 1_000;
		pub const MAX_CAPACITY: u32 = 3;

		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeEvent = ();
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type BlocksPerPeriod = ConstU64<BLOCKS_PER_PERIOD>;
			type BlocksPerRound = ConstU64<BLOCKS_PER_ROUND>;
			type OnPeriodStart = ();
			type MinStake = ConstU128<MIN_STAKE>;
			type MaxStake = ConstU128<MAX_STAKE>;
			type MinLockPeriods = ConstU32<2>;
			type MaxLockPeriods = ConstU32<365>;
			type MaxSubStakes = ConstU32<3>;
			type MinWorkerPeriods = ConstU32<2>;
			type WorkerAccountabilityPeriods = ConstU32<ACCOUNTABILITY>;
			type AnswerablePeriods = ConstU32<{ ACCOUNTABILITY + 2 }>;
			type MaxWorkerChangesPerPeriod = ConstU32<2>;
			type MaxIssuancePerPeriod = ConstU128<IMAX>;
			type FirstPhaseSupply = ConstU128<FIRST_PHASE>;
			type SupplyCap = ConstU128<SUPPLY_CAP>;
			type LockBonusPeriods = ConstU32<KMAX>;
			type LockCoefficient1 = ConstU32<KMAX>;
			type LockCoefficient2 = ConstU32<{ 2 * KMAX }>;
			type DecayPeriods = ConstU32<DECAY>;
			type RewardHistoryPeriods = ConstU32<REWARD_HISTORY>;
			type MinFeeRate = ConstU128<MIN_FEE_RATE>;
			type MaxFeeRate = ConstU128<MAX_FEE_RATE>;
			type MaxCapacity = ConstU32<MAX_CAPACITY>;
			type OnCommitment = ();
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config:
		frame_system::Config + SigningTypes + CreateSignedTransaction<Call<Self>>
	{
		/// The overarching event type.
		#[allow(deprecated)]
		#[pallet::no_default_bounds]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The native currency, in which stakes are held.
		#[pallet::no_default]
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, of which [`HoldReason::Staking`] is one.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// The length of a period in blocks (the runtime reads it from [`Durations`]).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type BlocksPerPeriod: Get<BlockNumberFor<Self>>;

		/// The length of a round in blocks; divides the period (from [`Durations`] too).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type BlocksPerRound: Get<BlockNumberFor<Self>>;

		/// Told in the first block of every period: the chain's one clock ticks here.
		type OnPeriodStart: keymarket_primitives::time::OnPeriodStart;

		/// The least a sub-stake may hold, and the least a staker must have locked to be active.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinStake: Get<BalanceOf<Self>>;

		/// The most a staker may have staked in all its sub-stakes together.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MaxStake: Get<BalanceOf<Self>>;

		/// The shortest lock of a sub-stake, in periods.
		#[pallet::constant]
		type MinLockPeriods: Get<u32>;

		/// The longest lock of a sub-stake, in periods.
		#[pallet::constant]
		type MaxLockPeriods: Get<u32>;

		/// The most sub-stakes a staker may have.
		#[pallet::constant]
		type MaxSubStakes: Get<u32>;

		/// How many periods a worker stays bonded before it can be unbonded or replaced.
		#[pallet::constant]
		type MinWorkerPeriods: Get<u32>;

		/// How many periods a worker that left its staker still answers for it: offences of
		/// those periods are still charged to that staker (the slashing evidence window).
		#[pallet::constant]
		type WorkerAccountabilityPeriods: Get<u32>;

		/// How many periods after its worker left a staker's stake stays unwithdrawable: the
		/// evidence window (`WorkerAccountabilityPeriods`) plus the slashing deferral, so that
		/// an offence reported at the last moment still finds the stake when it is applied.
		/// While a worker is bonded nothing can be withdrawn.
		#[pallet::constant]
		type AnswerablePeriods: Get<u32>;

		/// The most workers that may leave their stakers in one period (bounds the record
		/// above).
		#[pallet::constant]
		type MaxWorkerChangesPerPeriod: Get<u32>;

		/// The worker key in the node's keystore that the off-chain worker signs with.
		#[pallet::no_default]
		type WorkerKey: AppCrypto<Self::Public, <Self as SigningTypes>::Signature>;

		/// Who may switch the network stage (governance).
		#[pallet::no_default]
		type StageOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Phase 1 of inflation: the most minted for one period (`Imax`).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MaxIssuancePerPeriod: Get<BalanceOf<Self>>;

		/// Phase 1 lasts while a period's `Imax` keeps total issuance at or below this.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type FirstPhaseSupply: Get<BalanceOf<Self>>;

		/// Inflation never takes total issuance above this; reaching it starts `FeesOnly`.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type SupplyCap: Get<BalanceOf<Self>>;

		/// `kmax`: locks longer than this many periods earn no more bonus.
		#[pallet::constant]
		type LockBonusPeriods: Get<u32>;

		/// `k1`: the lock-duration coefficient's base.
		#[pallet::constant]
		type LockCoefficient1: Get<u32>;

		/// `k2`: the lock-duration coefficient's divisor.
		#[pallet::constant]
		type LockCoefficient2: Get<u32>;

		/// `d`: phase 2 mints `1/d` of what is left under the cap per period (in full locks).
		#[pallet::constant]
		type DecayPeriods: Get<u32>;

		/// How many periods a period's total locked stake is kept for rewards to be minted.
		#[pallet::constant]
		type RewardHistoryPeriods: Get<u32>;

		/// The lowest minimum fee rate (per Ursula per period) a staker may ask: the chain's
		/// lowest rate, governance's (the policies pallet's `MinFeeRate`). A staker that asks
		/// nothing asks this.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinFeeRate: Get<BalanceOf<Self>>;

		/// The highest minimum fee rate a staker may ask (governance's). Terms set before the
		/// range moved are read inside it: raised to its bottom, lowered to its top.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MaxFeeRate: Get<BalanceOf<Self>>;

		/// The most places (policies at a time) an Ursula may offer: the policies pallet's
		/// `MaxPoliciesPerUrsula`, and what a staker that says nothing offers.
		#[pallet::constant]
		type MaxCapacity: Get<u32>;

		/// Told of every commitment (the policies pallet pays fees for available periods).
		type OnCommitment: keymarket_primitives::registry::OnCommitment<Self::AccountId>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;
	}

	/// How many rewarded periods [`RecentRewards`] remembers per staker.
	pub const RECENT_REWARDS: u32 = 4;

	/// The layout of this pallet's storage; a change of layout bumps it and ships a migration.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Tokens staked by an Ursula's staker.
		#[codec(index = 0)]
		Staking,
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A staker locked `value` in a new sub-stake at `index` for `periods` periods.
		Staked { staker: T::AccountId, index: u32, value: BalanceOf<T>, periods: u32 },
		/// A sub-stake grew by `value`.
		StakeIncreased { staker: T::AccountId, index: u32, value: BalanceOf<T> },
		/// `value` of the sub-stake at `index` moved to a new sub-stake at `new_index`, locked
		/// `extra_periods` longer.
		StakeDivided {
			staker: T::AccountId,
			index: u32,
			new_index: u32,
			value: BalanceOf<T>,
			extra_periods: u32,
		},
		/// The lock of a sub-stake grew by `periods`.
		StakeProlonged { staker: T::AccountId, index: u32, periods: u32 },
		/// The sub-stake at `from` was merged into the one at `into` (and `from` removed).
		StakesMerged { staker: T::AccountId, into: u32, from: u32 },
		/// An unlocked sub-stake was removed; its `value` is now withdrawable.
		SubStakeRemoved { staker: T::AccountId, index: u32, value: BalanceOf<T> },
		/// The wind-down switch was set.
		WindDownSet { staker: T::AccountId, enabled: bool },
		/// The re-stake switch was set.
		RestakeSet { staker: T::AccountId, enabled: bool },
		/// Unlocked tokens were released to the staker.
		Withdrawn { staker: T::AccountId, value: BalanceOf<T> },
		/// The staker withdrew everything and has no worker: its record is gone.
		StakerRemoved { staker: T::AccountId },
		/// A staker bonded a worker (`None`: unbonded it).
		WorkerBonded { staker: T::AccountId, worker: Option<T::AccountId> },
		/// A worker registered (or updated) its endpoint and keys.
		WorkerRegistered { worker: T::AccountId, staker: T::AccountId },
		/// A worker committed to be available in `period`.
		Committed { worker: T::AccountId, staker: T::AccountId, period: Period },
		/// A worker committed after missing the periods `from..=to`.
		DowntimeRecorded { staker: T::AccountId, from: Period, to: Period },
		/// Stake was taken away: `requested` was asked for, `taken` was locked; `rewarded` of it
		/// went to the reporters, the rest was burned.
		Slashed {
			staker: T::AccountId,
			requested: BalanceOf<T>,
			taken: BalanceOf<T>,
			rewarded: BalanceOf<T>,
		},
		/// Inflation paid `value` for the staker's committed `period`; `restaked`: it was locked.
		RewardMinted { staker: T::AccountId, period: Period, value: BalanceOf<T>, restaked: bool },
		/// `value` of the staker's reward for `period` was withheld (never minted) for a silent
		/// round; `left` is still to be withheld from its later rewards.
		RewardWithheld {
			staker: T::AccountId,
			period: Period,
			value: BalanceOf<T>,
			left: BalanceOf<T>,
		},
		/// The network entered `stage`.
		StageChanged { stage: Stage },
		/// A staker set its Ursula's terms, in force from period `from`.
		TermsSet { staker: T::AccountId, terms: Terms<BalanceOf<T>>, from: Period },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A sub-stake would hold less than `MinStake`.
		StakeBelowMinimum,
		/// The staker's stakes would add up to more than `MaxStake`.
		StakeAboveMaximum,
		/// A lock shorter than `MinLockPeriods`.
		LockTooShort,
		/// A lock longer than `MaxLockPeriods`.
		LockTooLong,
		/// The staker already has `MaxSubStakes` sub-stakes.
		TooManySubStakes,
		/// No sub-stake at that index.
		NoSuchSubStake,
		/// The sub-stake's lock has run out: it can only be removed.
		SubStakeUnlocked,
		/// The sub-stake is still locked.
		SubStakeStillLocked,
		/// The two sub-stakes do not end in the same period.
		SubStakesNotMergeable,
		/// A sub-stake cannot be merged with itself.
		SameSubStake,
		/// Not enough unlocked tokens for that withdrawal.
		InsufficientUnlocked,
		/// The stake may still answer for an offence: a worker is bonded, or it left less than
		/// `AnswerablePeriods` ago.
		StakeStillAnswerable,
		/// The account cannot hold that much more.
		InsufficientBalance,
		/// The account has never staked.
		NotAStaker,
		/// The worker is already bonded to a staker.
		WorkerAlreadyBonded,
		/// The current worker was bonded less than `MinWorkerPeriods` ago.
		WorkerBondTooRecent,
		/// The account is not a bonded worker.
		NotAWorker,
		/// The worker has not registered its endpoint and keys.
		WorkerNotRegistered,
		/// The worker already committed to the next period.
		AlreadyCommitted,
		/// The staker has less than `MinStake` locked through the next period.
		NotEnoughLockedStake,
		/// The endpoint is longer than `MaxEndpointLen`.
		EndpointTooLong,
		/// The Umbral key is not a valid compressed secp256k1 point.
		InvalidUmbralKey,
		/// The Umbral key's proof of possession does not verify.
		BadUmbralKeyProof,
		/// The signing key's proof of possession does not verify.
		BadSigningKeyProof,
		/// A commitment can only be made to the period after the current one.
		WrongCommitPeriod,
		/// The worker left another staker within `WorkerAccountabilityPeriods` and still
		/// answers for it.
		WorkerRecentlyBonded,
		/// `MaxWorkerChangesPerPeriod` workers already left their stakers this period.
		TooManyWorkerChanges,
		/// The staker has no passed, committed period to be rewarded for.
		NoRewardDue,
		/// The network is already in that stage.
		StageUnchanged,
		/// An amount or a period count overflowed.
		Overflow,
		/// The minimum fee rate is outside governance's range (`MinFeeRate..=MaxFeeRate`).
		FeeRateOutOfRange,
		/// The capacity is zero or above the most places an Ursula may offer (`MaxCapacity`).
		CapacityOutOfRange,
	}

	/// Stakers and their switches, unlocked tokens and bonded worker.
	#[pallet::storage]
	pub type Stakers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, StakerInfo<T::AccountId, BalanceOf<T>>>;

	/// The sub-stakes of each staker, in the order they were created.
	#[pallet::storage]
	pub type SubStakes<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<SubStake<BalanceOf<T>>, T::MaxSubStakes>,
		ValueQuery,
	>;

	/// Bonded workers: the Ursula nodes' accounts.
	#[pallet::storage]
	pub type Workers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, WorkerInfo<T::AccountId>>;

	/// The most recent periods each staker's worker missed, as `(from, to)` ranges.
	#[pallet::storage]
	pub type Downtime<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<(Period, Period), ConstU32<MAX_DOWNTIME_RECORDS>>,
		ValueQuery,
	>;

	/// The rewards each staker earned for its last [`RECENT_REWARDS`] rewarded periods (before
	/// any withholding): a proof of unavailability that comes after the mint still prices the
	/// round's subsidy.
	#[pallet::storage]
	pub type RecentRewards<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<(Period, BalanceOf<T>), ConstU32<RECENT_REWARDS>>,
		ValueQuery,
	>;

	/// Inflation still to be withheld from each staker's next rewards: the subsidy of the rounds
	/// its Ursula was proven silent in (the gateway pallet's `PeriodReward::withhold`).
	#[pallet::storage]
	pub type Withheld<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	/// The tokens locked by all stakers whose workers committed to a period (the denominator of
	/// the inflation formula) and the supply its inflation is measured against. Kept for
	/// `RewardHistoryPeriods` periods.
	#[pallet::storage]
	pub type LockedInPeriod<T: Config> =
		StorageMap<_, Twox64Concat, Period, PeriodTotal<BalanceOf<T>>, ValueQuery>;

	/// Workers that left their staker within `WorkerAccountabilityPeriods`: the staker they
	/// answer for and the period they left in.
	#[pallet::storage]
	pub type FormerWorkers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (T::AccountId, Period)>;

	/// The workers that left in each period, for pruning `FormerWorkers`.
	#[pallet::storage]
	pub type WorkersLeftIn<T: Config> = StorageMap<
		_,
		Twox64Concat,
		Period,
		BoundedVec<T::AccountId, T::MaxWorkerChangesPerPeriod>,
		ValueQuery,
	>;

	/// The terms each staker set for its Ursula (stakers that set none ask the defaults).
	#[pallet::storage]
	pub type StakerTerms<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, TermsRecord<BalanceOf<T>>>;

	/// The network stage.
	#[pallet::storage]
	pub type CurrentStage<T: Config> = StorageValue<_, Stage, ValueQuery>;

	/// Genesis issuance and what inflation minted and slashing burned since.
	#[pallet::storage]
	pub type Issuance<T: Config> = StorageValue<_, IssuanceRecord<BalanceOf<T>>, ValueQuery>;

	/// The chain's durations: set by the chain spec at genesis, never changed. The runtime
	/// feeds them to every pallet's `Config` (period and round length, locks, windows); an empty
	/// state reads the `dev` durations.
	#[pallet::storage]
	pub type Durations<T: Config> =
		StorageValue<_, keymarket_primitives::time::Durations, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The stage the chain starts in.
		pub stage: Stage,
		/// The chain's durations (see [`keymarket_primitives::time::Durations`]).
		pub durations: keymarket_primitives::time::Durations,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Err(e) = self.durations.check() {
				panic!("the chain spec's durations cannot run a chain: {e:?}");
			}
			Durations::<T>::put(self.durations);
			CurrentStage::<T>::put(self.stage);
			// Balances builds its genesis first: this is the whole genesis supply.
			Issuance::<T>::put(IssuanceRecord {
				genesis: T::Currency::total_issuance(),
				..Default::default()
			});
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::on_period_start(now)
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::commit_for_hosted_workers(now);
		}

		fn integrity_test() {
			assert!(!T::BlocksPerPeriod::get().is_zero(), "a period must last at least a block");
			assert!(
				!T::BlocksPerRound::get().is_zero()
					&& (T::BlocksPerPeriod::get() % T::BlocksPerRound::get()).is_zero(),
				"a round must last at least a block and divide the period"
			);
			assert!(!T::MinStake::get().is_zero(), "MinStake must be positive");
			assert!(T::MinStake::get() <= T::MaxStake::get(), "MinStake must not exceed MaxStake");
			assert!(T::MinLockPeriods::get() >= 1, "a lock must last at least a period");
			assert!(T::MinLockPeriods::get() <= T::MaxLockPeriods::get());
			assert!(T::MaxSubStakes::get() >= 1);
			assert!(T::LockCoefficient2::get() > 0, "k2 divides");
			assert!(
				T::LockCoefficient1::get().saturating_add(T::LockBonusPeriods::get())
					<= T::LockCoefficient2::get(),
				"k1 + kmax <= k2, or a period could mint more than Imax"
			);
			assert!(T::DecayPeriods::get() > 0, "d divides");
			assert!(T::FirstPhaseSupply::get() <= T::SupplyCap::get());
			assert!(T::RewardHistoryPeriods::get() >= 2, "rewards are minted a period late");
			assert!(
				T::AnswerablePeriods::get() > T::WorkerAccountabilityPeriods::get(),
				"stake must outlast the evidence window by the slashing deferral"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Locks `value` of the caller's free balance for `periods` periods in a new sub-stake.
		///
		/// Anyone may stake. Errors: `StakeBelowMinimum`, `StakeAboveMaximum`, `LockTooShort`,
		/// `LockTooLong`, `TooManySubStakes`, `InsufficientBalance`. O(sub-stakes).
		#[pallet::call_index(0)]
		pub fn stake(origin: OriginFor<T>, value: BalanceOf<T>, periods: u32) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_stake(&staker, value, periods)
		}

		/// Adds `value` of the caller's free balance to its locked sub-stake at `index`.
		///
		/// Errors: `NoSuchSubStake`, `SubStakeUnlocked`, `StakeAboveMaximum`,
		/// `InsufficientBalance`. O(sub-stakes).
		#[pallet::call_index(1)]
		pub fn increase_stake(
			origin: OriginFor<T>,
			index: u32,
			value: BalanceOf<T>,
		) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_increase_stake(&staker, index, value)
		}

		/// Moves `value` out of the sub-stake at `index` into a new sub-stake locked
		/// `extra_periods` longer. Both parts must keep at least `MinStake`.
		///
		/// Errors: `NoSuchSubStake`, `SubStakeUnlocked`, `StakeBelowMinimum`, `LockTooShort`
		/// (`extra_periods` is zero), `LockTooLong`, `TooManySubStakes`. O(sub-stakes).
		#[pallet::call_index(2)]
		pub fn divide_stake(
			origin: OriginFor<T>,
			index: u32,
			value: BalanceOf<T>,
			extra_periods: u32,
		) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_divide_stake(&staker, index, value, extra_periods)
		}

		/// Locks the sub-stake at `index` for `periods` more periods.
		///
		/// Errors: `NoSuchSubStake`, `SubStakeUnlocked`, `LockTooShort` (zero), `LockTooLong`.
		#[pallet::call_index(3)]
		pub fn prolong_stake(origin: OriginFor<T>, index: u32, periods: u32) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_prolong_stake(&staker, index, periods)
		}

		/// Merges the sub-stake at `from` into the one at `into`; both must still be locked for
		/// the same number of periods. Frees a sub-stake slot.
		///
		/// Errors: `SameSubStake`, `NoSuchSubStake`, `SubStakeUnlocked`,
		/// `SubStakesNotMergeable`. O(sub-stakes).
		#[pallet::call_index(4)]
		pub fn merge_stakes(origin: OriginFor<T>, into: u32, from: u32) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_merge_stakes(&staker, into, from)
		}

		/// Removes the unlocked sub-stake at `index`, freeing its slot; its tokens become
		/// withdrawable. Later sub-stakes move down by one index.
		///
		/// Errors: `NoSuchSubStake`, `SubStakeStillLocked`. O(sub-stakes).
		#[pallet::call_index(5)]
		pub fn remove_unused_sub_stake(origin: OriginFor<T>, index: u32) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_remove_unused_sub_stake(&staker, index)
		}

		/// Turns wind-down on (locks shorten each period) or off (locks stand still).
		///
		/// Errors: `NotAStaker`.
		#[pallet::call_index(6)]
		pub fn set_wind_down(origin: OriginFor<T>, enabled: bool) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_set_wind_down(&staker, enabled)
		}

		/// Turns re-staking of rewards on or off.
		///
		/// Errors: `NotAStaker`.
		#[pallet::call_index(7)]
		pub fn set_restake(origin: OriginFor<T>, enabled: bool) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_set_restake(&staker, enabled)
		}

		/// Releases `value` of the caller's unlocked stake (removed sub-stakes and sub-stakes
		/// whose lock ran out) back to its free balance. Only a staker without a worker, whose
		/// last worker left at least `AnswerablePeriods` ago, may withdraw: until then the
		/// stake may still answer for an offence. A staker left with nothing is removed.
		///
		/// Errors: `NotAStaker`, `StakeStillAnswerable`, `InsufficientUnlocked`.
		/// O(sub-stakes).
		#[pallet::call_index(8)]
		pub fn withdraw(origin: OriginFor<T>, value: BalanceOf<T>) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_withdraw(&staker, value)
		}

		/// Bonds `worker` (the Ursula node's account) to the calling staker, replacing the
		/// current one, or unbonds the current one with `None`.
		///
		/// The worker that leaves still answers for this staker for
		/// `WorkerAccountabilityPeriods`, and its commitment to the next period is dropped.
		///
		/// Errors: `NotAStaker`, `WorkerAlreadyBonded`, `WorkerBondTooRecent`,
		/// `WorkerRecentlyBonded`, `TooManyWorkerChanges`.
		#[pallet::call_index(9)]
		pub fn bond_worker(origin: OriginFor<T>, worker: Option<T::AccountId>) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_bond_worker(&staker, worker)
		}

		/// Called by a bonded worker: registers or updates its service endpoint, its Umbral
		/// public key and its signing key, proving that it holds both secrets: `umbral_proof` is
		/// the Umbral key's ECDSA signature and `signing_proof` the signing key's sr25519
		/// signature of [`keymarket_primitives::staking::registration_payload`] (the worker
		/// account and both keys). The node prints both proofs in its log.
		///
		/// Errors: `NotAWorker`, `EndpointTooLong`, `InvalidUmbralKey`, `BadUmbralKeyProof`,
		/// `BadSigningKeyProof`. O(1): two signature checks.
		#[pallet::call_index(10)]
		pub fn register_worker(
			origin: OriginFor<T>,
			endpoint: alloc::vec::Vec<u8>,
			umbral_key: [u8; 33],
			signing_key: [u8; 32],
			umbral_proof: [u8; 65],
			signing_proof: [u8; 64],
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_register_worker(
				&worker,
				endpoint,
				umbral_key,
				signing_key,
				umbral_proof,
				signing_proof,
			)
		}

		/// Called by a registered worker (its node's off-chain worker sends it every period):
		/// commits to serve in the next period. The commitment hook (`OnCommitment`: fees of the
		/// period being served) is charged at its worst case and refunded to what it used.
		///
		/// A duty, not a purchase. In the pool, [`CheckDuty`] refuses one that cannot succeed
		/// with a precise validity code ([`keymarket_primitives::staking::validity`]
		/// `NOT_A_WORKER`, `NOT_REGISTERED`, `NOT_ENOUGH_STAKE`; `Stale` when already committed)
		/// and places one that can at [`COMMITMENT_PRIORITY`], above any tip, one per worker and
		/// period; such a one pays no fee (`feeless_if`). It travels in the operational class
		/// (the quarter of each block that normal transactions cannot fill), so that a block
		/// stuffed by others cannot keep it out.
		///
		/// Errors: `NotAWorker`, `WorkerNotRegistered`, `AlreadyCommitted`,
		/// `NotEnoughLockedStake`. O(sub-stakes + policies the worker serves).
		/// (Call index 12, the former authorized `submit_commitment`, is retired.)
		#[pallet::call_index(11)]
		#[pallet::weight((
			T::WeightInfo::commit_to_next_period().saturating_add(
				<T::OnCommitment as keymarket_primitives::registry::OnCommitment<_>>::max_weight()
			),
			DispatchClass::Operational,
		))]
		#[pallet::feeless_if(|origin: &OriginFor<T>| -> bool { Pallet::<T>::duty_is_due(origin) })]
		pub fn commit_to_next_period(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			let hook = Self::do_commit(&worker, Self::current_period().saturating_add(1))?;
			Ok(Some(T::WeightInfo::commit_to_next_period().saturating_add(hook)).into())
		}

		/// Mints the caller's rewards for committed periods that have passed (they are minted
		/// anyway at the worker's next commitment).
		///
		/// Errors: `NotAStaker`, `NoRewardDue`. O(sub-stakes).
		#[pallet::call_index(13)]
		pub fn mint(origin: OriginFor<T>) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_mint(&staker)
		}

		/// Governance: puts the network in `stage`.
		///
		/// Errors: `BadOrigin`, `StageUnchanged`.
		#[pallet::call_index(14)]
		pub fn set_stage(origin: OriginFor<T>, stage: Stage) -> DispatchResult {
			T::StageOrigin::ensure_origin(origin)?;
			Self::do_set_stage(stage)
		}

		/// Sets the terms of the caller's Ursula from the next period on: the least fee rate
		/// per period a new policy must pay it (within governance's `MinFeeRate..=MaxFeeRate`)
		/// and the most policies it serves at a time (`1..=MaxCapacity`: an Ursula that earns
		/// for its availability offers at least a place). Policies made before keep their rate
		/// and their places; a second change in the same period replaces the first.
		///
		/// Errors: `NotAStaker`, `FeeRateOutOfRange`, `CapacityOutOfRange`. O(1).
		#[pallet::call_index(15)]
		pub fn set_terms(
			origin: OriginFor<T>,
			min_fee_rate: BalanceOf<T>,
			capacity: u32,
		) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_set_terms(&staker, Terms { min_fee_rate, capacity })
		}
	}
}
