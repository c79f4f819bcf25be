//! # Keymarket slashing
//!
//! ## Overview
//! Every protection of the market ends here: a wrong capsule fragment, a proven unavailability,
//! a false service claim, a lottery overdraft. The pallets that catch an offence report it
//! through [`ReportOffence`] (a small trait in their `Config`); this pallet alone prices it,
//! defers it, lets governance cancel it, and applies it to stake through the staking pallet's
//! hook ([`StakeSlasher`]).
//!
//! - **Judging**: a penalty rule per kind (see [`Pallet::penalty`]); the same offence is punished
//!   once, an Ursula at most once per round for unavailability.
//! - **Deferral**: a slash waits `DeferPeriods` periods; until then `CancelOrigin` (sudo) may
//!   cancel it. At the first block of its period it is applied: shortest-lock sub-stakes first,
//!   then unlocked stake, never more than the staker holds (stake that may answer for an offence
//!   cannot be withdrawn); what could not be taken is recorded as unapplied.
//! - **Money**: `ReporterShare` of what is taken goes to the reporters in equal parts, the rest is
//!   burned (by the staking pallet, which keeps the issuance accounting).
//! - **History** per staker and kind: offences, stake taken, penalties left unapplied, cancelled.
//!
//! ## Terminology
//! - *Offender*: the Ursula's worker account (the key that signed the bad work); the slash falls
//!   on the staker it serves.
//! - *Evidence window*: offences older than `EvidenceWindow` periods are refused; the record of
//!   what was reported is kept exactly that long, which keeps it bounded and still rules out a
//!   second punishment.
//!
//! ## Assumptions
//! - Reporting pallets check the evidence itself (signatures, proofs) before they report.
//! - At most `MaxSlashesPerPeriod` offences are accepted per period, and at most
//!   `MaxSlashesPerOffender` of them against one staker; a reporter whose offence is refused
//!   with `QueueFull` or `OffenderQueueFull` may report it again in a later period of the window.
//! - An offence's identity binds the offender, the kind, the period and the evidence: nobody can
//!   make a report against one Ursula count as the report against another.
//! - There is no call that reports without evidence: governance only cancels.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod api;
mod apply;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod judge;
pub mod types;
pub mod weights;

#[cfg(test)]
pub(crate) mod tests;

pub use keymarket_primitives::slashing::{
	Offence, OffenceError, OffenceKind, OffenceTag, ReportOffence, SlashId, StakeSlasher,
};
pub use types::*;
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime: stake behind a worker, and time.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A bonded worker whose staker has stake locked in the most sub-stakes allowed.
	fn staked_worker(index: u32) -> AccountId;
	/// Moves the chain to the first block of `period`.
	fn go_to_period(period: keymarket_primitives::staking::Period);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use keymarket_primitives::{registry::UrsulaRegistry, staking::Period};
	use sp_runtime::Perbill;

	/// Defaults for test runtimes: a mock derives them
	/// (`#[derive_impl(config_preludes::TestDefaultConfig)]`) and lists only what it changes —
	/// its stakes, its origin and any number a test moves. Small numbers, `u128` balances.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;
		use frame_support::traits::{ConstU128, ConstU32};

		/// The numbers below, by name, for the tests that reason about them.
		pub const DEFER: Period = 2;
		pub const WINDOW: Period = 4;
		pub const MAX_PER_PERIOD: u32 = 4;
		pub const MAX_PER_OFFENDER: u32 = 3;
		pub const CFRAG_BASE: u128 = 100;
		pub const CFRAG_HISTORY: u128 = 50;
		pub const FALSE_ACCUSATION: u128 = 70;

		frame_support::parameter_types! {
			/// A tenth to the reporters.
			pub const TestReporterShare: Perbill = Perbill::from_percent(10);
		}

		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeEvent = ();
			type Balance = u128;
			type DeferPeriods = ConstU32<DEFER>;
			type EvidenceWindow = ConstU32<WINDOW>;
			type MaxReporters = ConstU32<2>;
			type MaxSlashesPerPeriod = ConstU32<MAX_PER_PERIOD>;
			type MaxSlashesPerOffender = ConstU32<MAX_PER_OFFENDER>;
			type CfragBasePenalty = ConstU128<CFRAG_BASE>;
			type CfragHistoryPenalty = ConstU128<CFRAG_HISTORY>;
			type MaxPenaltyDivisor = ConstU32<10>;
			type FalseClaimMultiplier = ConstU32<2>;
			type FalseAccusationPenalty = ConstU128<FALSE_ACCUSATION>;
			type ReporterShare = TestReporterShare;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		#[pallet::no_default_bounds]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The native currency's balance type.
		type Balance: frame_support::traits::tokens::Balance + From<u32>;

		/// The staking pallet: the clock, who serves whom, what it holds, and the only way to
		/// take stake.
		#[pallet::no_default]
		type Stakes: UrsulaRegistry<Self::AccountId> + StakeSlasher<Self::AccountId, Self::Balance>;

		/// Who may cancel a deferred slash (governance).
		#[pallet::no_default]
		type CancelOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// How many periods a slash waits before it is applied.
		#[pallet::constant]
		type DeferPeriods: Get<Period>;

		/// How many periods an offence may be reported after it happened.
		#[pallet::constant]
		type EvidenceWindow: Get<Period>;

		/// The most reporters that share one offence's reward.
		#[pallet::constant]
		type MaxReporters: Get<u32>;

		/// The most offences accepted in one period (and so applied in one block).
		#[pallet::constant]
		type MaxSlashesPerPeriod: Get<u32>;

		/// The most offences accepted against one staker in one period: one offender cannot
		/// take the places that reports against others need.
		#[pallet::constant]
		type MaxSlashesPerOffender: Get<u32>;

		/// Incorrect capsule fragment: the penalty of a first offence (`base`).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type CfragBasePenalty: Get<Self::Balance>;

		/// Incorrect capsule fragment: added per earlier offence of the kind (`histCoef`).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type CfragHistoryPenalty: Get<Self::Balance>;

		/// A capsule-fragment or false-claim penalty never exceeds `stake / MaxPenaltyDivisor`
		/// (`pctCoef`), `stake` being all the staker holds.
		#[pallet::constant]
		type MaxPenaltyDivisor: Get<u32>;

		/// A false service claim costs this many times what was claimed.
		#[pallet::constant]
		type FalseClaimMultiplier: Get<u32>;

		/// A false accusation (a gateway signed a proof of unavailability that the accused
		/// answered on chain): the penalty, at most `stake / MaxPenaltyDivisor`.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type FalseAccusationPenalty: Get<Self::Balance>;

		/// The reporters' part of what is taken (`1 / rewardCoef`); the rest is burned.
		#[pallet::constant]
		type ReporterShare: Get<Perbill>;

		/// Weights of the calls and of applying slashes.
		type WeightInfo: WeightInfo;

		/// Sets up stakers and periods for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The layout of this pallet's storage; a change of layout bumps it and ships a migration.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An offence of `staker`'s worker was reported and accepted as slash `id`.
		OffenceReported {
			id: SlashId,
			staker: T::AccountId,
			worker: T::AccountId,
			kind: OffenceTag,
			evidence: [u8; 32],
		},
		/// Slash `id` was judged at `penalty` and waits until `apply_at`, unless governance
		/// cancels it.
		SlashDeferred { id: SlashId, staker: T::AccountId, penalty: T::Balance, apply_at: Period },
		/// Governance cancelled a deferred slash.
		SlashCancelled { id: SlashId, staker: T::AccountId },
		/// A slash was applied: `taken` of `penalty` came out of the stake (`rewarded` of it to
		/// the reporters, the rest burned); `unapplied` could not be taken.
		SlashApplied {
			id: SlashId,
			staker: T::AccountId,
			penalty: T::Balance,
			taken: T::Balance,
			rewarded: T::Balance,
			unapplied: T::Balance,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No deferred slash with that id (never reported, cancelled or already applied).
		NoSuchSlash,
		/// The offender is not a bonded worker.
		UnknownOffender,
		/// This evidence (or this Ursula and round) was already reported.
		Duplicate,
		/// The offence is older than the evidence window.
		TooOld,
		/// The offence is dated in a future period.
		InFuture,
		/// More reporters than `MaxReporters`.
		TooManyReporters,
		/// This period already accepted `MaxSlashesPerPeriod` offences.
		QueueFull,
		/// This period already accepted `MaxSlashesPerOffender` offences against this staker.
		OffenderQueueFull,
		/// The offender's staker has nothing a penalty could take.
		NothingToSlash,
	}

	/// The next slash's id.
	#[pallet::storage]
	pub type NextSlashId<T: Config> = StorageValue<_, SlashId, ValueQuery>;

	/// Deferred slashes, by id.
	#[pallet::storage]
	pub type Slashes<T: Config> = StorageMap<
		_,
		Twox64Concat,
		SlashId,
		PendingSlash<T::AccountId, T::Balance, T::MaxReporters>,
	>;

	/// The slashes to apply at the start of each period.
	#[pallet::storage]
	pub type DueSlashes<T: Config> = StorageMap<
		_,
		Twox64Concat,
		Period,
		BoundedVec<SlashId, T::MaxSlashesPerPeriod>,
		ValueQuery,
	>;

	/// What was reported within the evidence window (an evidence hash, or for unavailability
	/// the hash of the Ursula and round), with the period it was reported in.
	#[pallet::storage]
	pub type Reported<T: Config> = StorageMap<_, Blake2_128Concat, [u8; 32], Period>;

	/// The keys of `Reported` by the period they were reported in, for pruning.
	#[pallet::storage]
	pub type ReportedIn<T: Config> = StorageMap<
		_,
		Twox64Concat,
		Period,
		BoundedVec<[u8; 32], T::MaxSlashesPerPeriod>,
		ValueQuery,
	>;

	/// How many offences against each staker were accepted in each period (kept one period).
	#[pallet::storage]
	pub type OffencesAgainst<T: Config> =
		StorageDoubleMap<_, Twox64Concat, Period, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Each staker's record per kind of offence.
	#[pallet::storage]
	pub type History<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		OffenceTag,
		HistoryRecord<T::Balance>,
		ValueQuery,
	>;

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxPenaltyDivisor::get() > 0, "the divisor divides");
			assert!(T::EvidenceWindow::get() > 0, "offences must be reportable");
			assert!(T::MaxSlashesPerPeriod::get() > 0 && T::MaxReporters::get() > 0);
			assert!(T::MaxSlashesPerOffender::get() > 0, "an offender must be reportable");
			assert!(
				T::MaxSlashesPerOffender::get() < T::MaxSlashesPerPeriod::get(),
				"one offender must not be able to fill a period's queue"
			);
			assert!(T::DeferPeriods::get() > 0, "a slash is applied in a later period");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Cancels the deferred slash `id` before it is applied; the offence no longer counts in
		/// the staker's history (it is recorded as cancelled).
		///
		/// Origin: `CancelOrigin`. Errors: `BadOrigin`, `NoSuchSlash`. O(1).
		#[pallet::call_index(0)]
		pub fn cancel_slash(origin: OriginFor<T>, id: SlashId) -> DispatchResult {
			T::CancelOrigin::ensure_origin(origin)?;
			Self::do_cancel_slash(id)
		}

		// Call index 1 (`report_offence`, governance reporting without evidence) was removed:
		// every offence now comes from a pallet that checked its evidence.
	}
}

impl<T: Config> From<OffenceError> for Error<T> {
	fn from(e: OffenceError) -> Self {
		match e {
			OffenceError::UnknownOffender => Error::UnknownOffender,
			OffenceError::Duplicate => Error::Duplicate,
			OffenceError::TooOld => Error::TooOld,
			OffenceError::InFuture => Error::InFuture,
			OffenceError::TooManyReporters => Error::TooManyReporters,
			OffenceError::QueueFull => Error::QueueFull,
			OffenceError::OffenderQueueFull => Error::OffenderQueueFull,
			OffenceError::NothingToSlash => Error::NothingToSlash,
		}
	}
}

impl<T: Config> ReportOffence<T::AccountId, T::Balance> for Pallet<T> {
	fn report(offence: Offence<T::AccountId, T::Balance>) -> Result<SlashId, OffenceError> {
		Self::do_report(offence)
	}

	fn refusal(error: OffenceError) -> sp_runtime::DispatchError {
		match error {
			OffenceError::UnknownOffender => Error::<T>::UnknownOffender,
			OffenceError::Duplicate => Error::<T>::Duplicate,
			OffenceError::TooOld => Error::<T>::TooOld,
			OffenceError::InFuture => Error::<T>::InFuture,
			OffenceError::TooManyReporters => Error::<T>::TooManyReporters,
			OffenceError::QueueFull => Error::<T>::QueueFull,
			OffenceError::OffenderQueueFull => Error::<T>::OffenderQueueFull,
			OffenceError::NothingToSlash => Error::<T>::NothingToSlash,
		}
		.into()
	}
}
