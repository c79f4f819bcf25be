//! # Keymarket validators
//!
//! ## Overview
//! Who authors blocks (Aura) and votes on finality (GRANDPA) in each session, so that validators
//! join and leave a running chain without a new genesis. `pallet-session` rotates the session
//! keys and tells Aura and GRANDPA; this pallet is its `SessionManager` and decides the set:
//!
//! - **Invulnerables**: accounts governance names (`set_invulnerables`, root); the genesis
//!   validators start here. They keep the chain running while few stake to validate.
//! - **Candidates**: stakers who offered to validate (`offer`) with at least `MinValidatorStake`
//!   locked in the staking pallet and session keys set (`Session.set_keys`). At each new session
//!   the candidates that still qualify are ranked by locked stake, most first, and take places
//!   beside the invulnerables: fewer than half as many as the invulnerables chosen (so under a
//!   third of the set), and `MaxValidators` in all. A candidate leaves with `retire`, or by
//!   withdrawing its stake or purging its keys: it is not chosen at the next session.
//!
//! Why under a third: a validator's own misconduct (equivocating, going silent) is not judged
//! yet, and GRANDPA finalizes only with more than two thirds of the voters. Kept under a third,
//! the stake-backed validators cannot stall finality however they behave, and with no
//! invulnerable (a chain upgraded from before sessions, until governance names them) no stake
//! can take the chain over.
//!
//! The set chosen at the start of session `i` validates from session `i + 1` (the session pallet
//! queues it one session ahead).
//!
//! ## Terminology
//! - *Session*: the span between two rotations of the validator set; the runtime makes it a
//!   staking period.
//! - *Qualifying*: has session keys and, for a candidate, at least `MinValidatorStake` locked.
//!
//! ## Assumptions
//! - The validator id is the account id; the session keys are those `pallet-session` holds for it
//!   (`SessionKeys` in the `Config`).
//! - Stake is read, never locked here: the staking pallet's locks and slashes already bind it; a
//!   candidate whose stake falls below the minimum is simply not chosen again.
//! - When nobody qualifies, the session is given no new set: Aura and GRANDPA keep their
//!   authorities (a chain never loses all its validators).
//! - The candidates are bounded (`MaxCandidates`); when the list is full, a newcomer with more
//!   stake than the weakest candidate takes its place, so filling the list with small stakes
//!   keeps nobody out.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod select;
pub mod weights;

#[cfg(test)]
pub(crate) mod tests;

pub use weights::WeightInfo;

/// What the benchmarks need from the runtime: accounts with stake and session keys.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Account number `index`, with `stake` locked and session keys set.
	fn qualified(index: u32, stake: u128) -> AccountId;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{pallet_prelude::*, traits::Contains};
	use frame_system::pallet_prelude::*;
	use keymarket_primitives::registry::StakeOf;

	/// Defaults for test runtimes: a mock derives them and lists only its stakes and keys.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;
		use frame_support::traits::{ConstU128, ConstU32};

		/// The numbers below, by name, for the tests that reason about them.
		pub const MAX_VALIDATORS: u32 = 8;
		pub const MAX_CANDIDATES: u32 = 5;
		pub const MIN_STAKE: u128 = 1_000;

		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeEvent = ();
			type MaxValidators = ConstU32<MAX_VALIDATORS>;
			type MaxCandidates = ConstU32<MAX_CANDIDATES>;
			type MinValidatorStake = ConstU128<MIN_STAKE>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		#[pallet::no_default_bounds]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The staking pallet: the stake that ranks the candidates.
		#[pallet::no_default]
		type Stakes: StakeOf<Self::AccountId>;

		/// The accounts that have session keys set (`pallet-session`'s `NextKeys`).
		#[pallet::no_default]
		type SessionKeys: Contains<Self::AccountId>;

		/// Who may name the invulnerables (governance).
		#[pallet::no_default]
		type InvulnerablesOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The most validators in a session (at most the consensus pallets' `MaxAuthorities`).
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// The most candidates on the list.
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// The least stake a candidate must have locked to offer and to be chosen.
		#[pallet::constant]
		type MinValidatorStake: Get<u128>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;

		/// Accounts with stake and keys for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance named the invulnerables.
		InvulnerablesSet { invulnerables: Vec<T::AccountId> },
		/// A staker offered to validate, with `stake` locked.
		CandidateOffered { who: T::AccountId, stake: u128 },
		/// A candidate left the list.
		CandidateRetired { who: T::AccountId },
		/// A candidate lost its place on the full list to one with more stake.
		CandidateDisplaced { who: T::AccountId, by: T::AccountId },
		/// The validators of session `session`, chosen because they differ from the last set.
		ValidatorsChosen { session: u32, validators: Vec<T::AccountId> },
		/// Nobody qualified for session `session`: the set stays as it is.
		NoValidatorsQualified { session: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// More invulnerables than `MaxValidators`.
		TooManyInvulnerables,
		/// An account is named twice among the invulnerables.
		DuplicateInvulnerable,
		/// The account is an invulnerable already.
		AlreadyInvulnerable,
		/// The account is a candidate already.
		AlreadyCandidate,
		/// The account is not a candidate.
		NotCandidate,
		/// The account has no session keys (`Session.set_keys` first).
		NoSessionKeys,
		/// Less than `MinValidatorStake` locked.
		StakeBelowMinimum,
		/// The list is full and every candidate on it has at least as much stake.
		TooManyCandidates,
	}

	/// The validators governance keeps in every set, in order.
	#[pallet::storage]
	pub type Invulnerables<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// The stakers that offered to validate, in the order they offered (which breaks ties of
	/// stake).
	#[pallet::storage]
	pub type Candidates<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxCandidates>, ValueQuery>;

	/// The set this pallet last gave the session pallet.
	#[pallet::storage]
	pub type Chosen<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The first validators: invulnerables until governance changes them (each needs session
		/// keys in `pallet-session`'s genesis).
		pub invulnerables: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let invulnerables = Pallet::<T>::checked_invulnerables(self.invulnerables.clone())
				.expect("genesis invulnerables: at most MaxValidators, none twice");
			Chosen::<T>::put(&invulnerables);
			Invulnerables::<T>::put(invulnerables);
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxValidators::get() > 0, "a session needs a validator");
			assert!(T::MaxCandidates::get() > 0, "the list needs a place");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Names the invulnerables: kept in every set, before any candidate (a candidate named
		/// leaves the candidates). Root (governance) only. Takes effect at the next session's
		/// choice. Errors: `TooManyInvulnerables`, `DuplicateInvulnerable`. O(n² + n·c) in the `n`
		/// named (at most `MaxValidators`) and the `c` candidates.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_invulnerables(invulnerables.len() as u32))]
		pub fn set_invulnerables(
			origin: OriginFor<T>,
			invulnerables: Vec<T::AccountId>,
		) -> DispatchResult {
			T::InvulnerablesOrigin::ensure_origin(origin)?;
			Self::do_set_invulnerables(invulnerables)
		}

		/// Offers the caller, a staker with session keys, as a validator. Errors:
		/// `AlreadyInvulnerable`, `AlreadyCandidate`, `NoSessionKeys`, `StakeBelowMinimum`,
		/// `TooManyCandidates` (the list is full of candidates with at least as much stake).
		/// O(c) in the candidates; the weight charged is the worst (a full list, every
		/// candidate's stake read), the actual one that of the list as it was.
		#[pallet::call_index(1)]
		#[pallet::weight(Pallet::<T>::offer_weight(None))]
		pub fn offer(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let listed = Self::do_offer(who)?;
			Ok(Some(Self::offer_weight(Some(listed))).into())
		}

		/// Takes the caller off the candidates: it is not chosen from the next session on.
		/// Errors: `NotCandidate`. O(c) in the candidates.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::retire(T::MaxCandidates::get()))]
		pub fn retire(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let listed = Self::do_retire(who)?;
			Ok(Some(T::WeightInfo::retire(listed)).into())
		}
	}
}
