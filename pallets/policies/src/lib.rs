//! # Keymarket policies
//!
//! ## Overview
//! The product: Alice grants Bob access to data she encrypted, for a fee, through M of N
//! Ursulas, and can take it back.
//!
//! - **Grant** ([`Pallet::create_policy`]): Alice names Bob's account and Umbral key, her own
//!   verifying key, the policy key, M of N Ursulas (her client draws them by stake from the
//!   active set with the shared sampling, `keymarket_sample`; the chain checks each is active),
//!   a start and an end period and a fee rate per Ursula per period. The whole fee, `rate · N · periods`, is held in escrow on her account
//!   ([`HoldReason::Escrow`]). Each Ursula's key fragment arrives encrypted to that Ursula's
//!   Umbral key: no key fragment is ever visible on chain.
//! - **Fees** accrue per period to each Ursula that was available in it. In the `Inflation`
//!   stage, available means committed: when a worker commits to period `p + 1` during `p` while
//!   it is committed to `p`, it is paid `rate` for `p` from each policy it serves that covers
//!   `p`. The fee moves from Alice's escrow to its staker, held as [`HoldReason::Fees`] until
//!   the staker withdraws it ([`Pallet::withdraw_fees`]). A period an Ursula missed is never
//!   paid, so it goes back to Alice. In the `FeesOnly` stage nothing accrues by commitment:
//!   proven service pays (the activity pallet).
//! - **Revocation** ([`Pallet::revoke_policy`]) stops service at once: the key fragments are
//!   deleted, Ursulas refuse, and everything not yet accrued goes back to Alice.
//! - **Clean-up**: a policy whose end period has come is settled in `on_idle` (or by anyone with
//!   [`Pallet::clean_up_policy`]): what is left in its escrow goes back to Alice, its key
//!   fragments and Ursula places are freed. Its small record stays `EvidenceRetention` periods
//!   more, so that wrong fragments served under it can still be judged, then it is removed.
//! - **Adjudicator** ([`Pallet::report_incorrect_cfrag`]): anyone submits a capsule fragment that
//!   an Ursula of a policy signed and whose correctness proof fails. The runtime checks the
//!   signature (by the signing key the Ursula had when the policy was made) and the proof with
//!   umbral-pre, and reports the offence to the slashing pallet, which prices it and pays the
//!   reporter. Each fragment is punished once.
//!
//! ## Terminology
//! - *Alice* / *owner*: creates and pays; *Bob*: the grantee; *Ursula*: a worker account of a
//!   staker, which holds a key fragment and re-encrypts.
//! - *Policy key*: the Umbral public key Enrico encrypts under (Alice's delegating key).
//!
//! ## Assumptions
//! - The staking pallet ([`Config::Ursulas`]) tells who is active and calls
//!   [`OnCommitment`] on each commitment.
//! - Each Ursula serves at most `MaxPoliciesPerUrsula` policies at a time, which bounds the work
//!   of a commitment; its staker may offer fewer places and ask a higher rate than the chain's
//!   lowest (its terms, kept by the staking pallet, read through [`UrsulaRegistry::terms`]).
//!   A policy must meet the terms in force of every Ursula it names; it keeps its rate and its
//!   places whatever the terms become. The prices agreed are recorded per period ([`Prices`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod adjudicator;
mod api;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod fees;
pub use keymarket_primitives::policies::fixture;
mod grant;
pub mod migrations;
pub mod types;
pub mod weights;

#[cfg(test)]
pub(crate) mod tests;

pub use keymarket_primitives::{
	market::{PriceRecord, Terms},
	policies::{
		AccusedPolicy, ActivityPolicies, ActivityTerms, CfragEvidence, PaidBy, PolicyDirectory,
		PolicyId, ServiceLedger, UmbralPublicKey,
	},
	registry::{Commitment, OnCommitment, RegisteredKeys, UrsulaRegistry},
	time::Clock,
};
pub use types::*;
pub use weights::WeightInfo;

/// The native balance of the configured currency.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

/// What the benchmarks need from the runtime: active Ursulas with keys, and time.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A registered worker, committed to the current period, whose staker has stake locked and
	/// whose registered keys are `umbral_key` and `signing_key`.
	fn active_ursula(index: u32, umbral_key: [u8; 33], signing_key: [u8; 32]) -> AccountId;
	/// Moves the chain to the first block of `period`.
	fn go_to_period(period: keymarket_primitives::staking::Period);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use keymarket_primitives::{
		policies::{MAX_CAPSULE_LEN, MAX_CFRAG_LEN},
		slashing::{ReportOffence, SlashId},
		staking::Period,
	};

	/// Defaults for test runtimes: a mock derives them
	/// (`#[derive_impl(config_preludes::TestDefaultConfig)]`) and lists only what it changes —
	/// its currency, its Ursulas and offences, and any price a test moves. Small numbers, `u128`
	/// balances; places and deposits cost nothing unless a test prices them.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;
		use frame_support::traits::{ConstU128, ConstU32};

		/// The numbers below, by name, for the tests that reason about them.
		pub const MIN_RATE: u128 = 10;
		pub const MAX_URSULAS: u32 = 5;
		pub const MAX_PER_URSULA: u32 = 3;
		pub const MAX_PERIODS: Period = 100;
		pub const MAX_DELAY: Period = 20;
		pub const RETENTION: Period = 5;
		pub const MAX_PENDING: u32 = 2;
		pub const PRICE_HISTORY: Period = 4;

		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeEvent = ();
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type MaxUrsulas = ConstU32<MAX_URSULAS>;
			type MaxPoliciesPerUrsula = ConstU32<MAX_PER_URSULA>;
			type MaxPolicyPeriods = ConstU32<MAX_PERIODS>;
			type MaxStartDelay = ConstU32<MAX_DELAY>;
			type EvidenceRetention = ConstU32<RETENTION>;
			type SettleDelay = ConstU32<0>;
			type MaxKeyFragLen = ConstU32<1024>;
			type MinFeeRate = ConstU128<MIN_RATE>;
			type PlaceFee = ConstU128<0>;
			type MaxPendingPerOwner = ConstU32<MAX_PENDING>;
			type DepositBase = ConstU128<0>;
			type DepositPerUrsula = ConstU128<0>;
			type PriceHistoryPeriods = ConstU32<PRICE_HISTORY>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		#[pallet::no_default_bounds]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The native currency: escrow and earned fees are holds on it.
		#[pallet::no_default]
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, of which [`HoldReason`] are two.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// The staking pallet: periods, stage, who is active, Ursula keys and sampling.
		#[pallet::no_default]
		type Ursulas: UrsulaRegistry<Self::AccountId>;

		/// The slashing pallet: where the adjudicator reports incorrect capsule fragments.
		#[pallet::no_default]
		type Offences: ReportOffence<Self::AccountId, BalanceOf<Self>>;

		/// The most Ursulas (N) of one policy.
		#[pallet::constant]
		type MaxUrsulas: Get<u32>;

		/// The most policies one Ursula serves at a time.
		#[pallet::constant]
		type MaxPoliciesPerUrsula: Get<u32>;

		/// The longest policy, in periods.
		#[pallet::constant]
		type MaxPolicyPeriods: Get<Period>;

		/// How far ahead a policy may start, in periods (a pending policy holds Ursula places).
		#[pallet::constant]
		type MaxStartDelay: Get<Period>;

		/// How long an ended policy's record stays for the adjudicator: the slashing pallet's
		/// evidence window.
		#[pallet::constant]
		type EvidenceRetention: Get<Period>;

		/// How many periods after its end a policy is settled (its escrow refunded, its key
		/// fragments and places freed): long enough for proven activity of its last periods,
		/// which is claimed after each period ends, to be paid from its escrow. At most
		/// `EvidenceRetention`.
		#[pallet::constant]
		type SettleDelay: Get<Period>;

		/// The longest encrypted key fragment, in bytes.
		#[pallet::constant]
		type MaxKeyFragLen: Get<u32>;

		/// The lowest fee rate per Ursula per period (it prices spam).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinFeeRate: Get<BalanceOf<Self>>;

		/// Paid by Alice to each Ursula's staker when a policy is made, never refunded: the
		/// price of holding a place on that Ursula (a pending policy holds it before it pays
		/// any fee, and revoking refunds the fees).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type PlaceFee: Get<BalanceOf<Self>>;

		/// The most policies one owner may have waiting for their start period.
		#[pallet::constant]
		type MaxPendingPerOwner: Get<u32>;

		/// Held on Alice's account for each policy record, and returned when the record is
		/// removed (after the evidence window that follows its end or revocation).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type DepositBase: Get<BalanceOf<Self>>;

		/// Held on Alice's account per Ursula of a policy, with `DepositBase`.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type DepositPerUrsula: Get<BalanceOf<Self>>;

		/// How many periods the prices of the policies made in each are remembered
		/// ([`Prices`]).
		#[pallet::constant]
		type PriceHistoryPeriods: Get<Period>;

		/// Weights of the calls and hooks.
		type WeightInfo: WeightInfo;

		/// Sets up Ursulas and periods for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The layout of this pallet's storage; a change of layout bumps it and ships a migration.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why the pallet holds tokens.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Alice's fees for her policies, not yet paid or refunded.
		#[codec(index = 0)]
		Escrow,
		/// Fees a staker's Ursula earned, until the staker withdraws them.
		#[codec(index = 1)]
		Fees,
		/// The storage deposit of Alice's policy records, until they are removed.
		#[codec(index = 2)]
		Deposit,
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Alice (`owner`) granted `bob` a policy served by `ursulas`; `escrow` and `deposit`
		/// are held, `place_fees` went to the Ursulas' stakers.
		PolicyCreated {
			policy: PolicyId,
			owner: T::AccountId,
			bob: T::AccountId,
			ursulas: alloc::vec::Vec<T::AccountId>,
			start: Period,
			end: Period,
			escrow: BalanceOf<T>,
			deposit: BalanceOf<T>,
			place_fees: BalanceOf<T>,
		},
		/// Alice revoked a policy; `refund` went back to her.
		PolicyRevoked { policy: PolicyId, owner: T::AccountId, refund: BalanceOf<T> },
		/// A policy's end came: `refund` (missed periods) went back to Alice and its key fragments
		/// are gone; its record stays for the evidence window.
		PolicyEnded { policy: PolicyId, owner: T::AccountId, refund: BalanceOf<T> },
		/// An ended policy's record was removed after the evidence window; its `deposit` went
		/// back to its owner.
		PolicyRemoved { policy: PolicyId, owner: T::AccountId, deposit: BalanceOf<T> },
		/// `worker` served `policy` in `period`: `fee` moved from Alice's escrow to `staker`.
		FeePaid {
			policy: PolicyId,
			worker: T::AccountId,
			staker: T::AccountId,
			period: Period,
			fee: BalanceOf<T>,
		},
		/// Alice paid `worker`'s place fee for `policy` to `staker` (held there as earned fees).
		PlaceFeePaid {
			policy: PolicyId,
			worker: T::AccountId,
			staker: T::AccountId,
			fee: BalanceOf<T>,
		},
		/// `worker`'s service of `policy` was paid: `amount` reached `staker`, paid `by`
		/// winning tickets or proven activity (the one record of pay for served requests).
		ServicePaid {
			policy: PolicyId,
			worker: T::AccountId,
			staker: T::AccountId,
			amount: BalanceOf<T>,
			by: PaidBy,
		},
		/// A staker withdrew the fees its Ursula earned.
		FeesWithdrawn { staker: T::AccountId, amount: BalanceOf<T> },
		/// `worker` was proven silent for a round of `period`: `amount` of the fee `staker`
		/// earned from `policy` for the period went back to Alice.
		RoundFeeRefunded {
			policy: PolicyId,
			worker: T::AccountId,
			staker: T::AccountId,
			period: Period,
			amount: BalanceOf<T>,
		},
		/// A capsule fragment `worker` signed failed its proof; slash `slash` follows.
		IncorrectCfragReported {
			policy: PolicyId,
			worker: T::AccountId,
			reporter: T::AccountId,
			slash: SlashId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A policy with this id exists.
		PolicyIdInUse,
		/// No policy with this id.
		UnknownPolicy,
		/// Only the policy's owner may do this.
		NotOwner,
		/// The policy was revoked already.
		AlreadyRevoked,
		/// The policy's end period has come.
		PolicyExpired,
		/// The policy's end period, and the settling delay after it, have not come yet.
		PolicyNotEnded,
		/// The policy's end was settled; its record stays until the evidence window passes.
		AlreadySettled,
		/// A key is not a valid Umbral public key (compressed secp256k1 point).
		InvalidUmbralKey,
		/// The threshold is zero or above the number of Ursulas.
		BadThreshold,
		/// No Ursulas.
		BadUrsulaCount,
		/// The number of key fragments differs from the number of Ursulas.
		KeyFragCountMismatch,
		/// An encrypted key fragment is not a SCALE `EncryptedKeyFrag` of the current version.
		MalformedKeyFrag,
		/// An Ursula is named twice.
		DuplicateUrsula,
		/// A named Ursula is not registered and committed to the current period.
		UrsulaNotActive,
		/// The Ursula at index `ursula` of the policy's list serves as many policies as it
		/// offers places (its staker's capacity, at most `MaxPoliciesPerUrsula`).
		UrsulaAtCapacity { ursula: u8 },
		/// The start period has passed.
		StartInPast,
		/// The start period is more than `MaxStartDelay` periods ahead.
		StartTooLate,
		/// The end period is not after the start period.
		EndNotAfterStart,
		/// The policy is longer than `MaxPolicyPeriods`.
		PolicyTooLong,
		/// The fee rate is below `MinFeeRate`.
		FeeRateTooLow,
		/// `rate · N · periods`, the place fees or the deposit (or all three together) do not
		/// fit in a balance.
		FeeOverflow,
		/// Alice cannot pay the place fees, or hold the whole fee in escrow and the deposit.
		InsufficientBalance,
		/// The owner already has `MaxPendingPerOwner` policies waiting for their start.
		TooManyPendingPolicies,
		/// No fees to withdraw.
		NothingToWithdraw,
		/// The worker is not one of the policy's Ursulas.
		NotPolicyUrsula,
		/// The fragment is dated outside the policy's service (before its start, after its end
		/// or after its revocation).
		ServedOutsidePolicy,
		/// The Ursula's signature of the capsule fragment does not verify.
		BadUrsulaSignature,
		/// The capsule is not a canonical umbral-pre capsule: it proves nothing against the
		/// Ursula (which refuses such capsules before serving).
		MalformedCapsule,
		/// The capsule fragment is correct: there is nothing to punish.
		CfragIsCorrect,
		/// The rate is below the minimum rate in force of the Ursula at index `ursula` of the
		/// policy's list (its staker's terms).
		RateBelowMinimum { ursula: u8 },
	}

	/// Policies, until the evidence window after their end has passed.
	#[pallet::storage]
	pub type Policies<T: Config> = StorageMap<_, Blake2_128Concat, PolicyId, PolicyOf<T>>;

	/// What each policy paid for served requests, by what paid it; removed with the policy.
	#[pallet::storage]
	pub type ServicePaid<T: Config> =
		StorageMap<_, Blake2_128Concat, PolicyId, ServiceTally<BalanceOf<T>>, ValueQuery>;

	/// Each Ursula's encrypted key fragment of each live policy.
	#[pallet::storage]
	pub type KeyFrags<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		PolicyId,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<u8, T::MaxKeyFragLen>,
	>;

	/// The policies of each owner (Alice).
	#[pallet::storage]
	pub type ByOwner<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Blake2_128Concat, PolicyId, ()>;

	/// The policies granted to each Bob.
	#[pallet::storage]
	pub type ByBob<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Blake2_128Concat, PolicyId, ()>;

	/// The live (not revoked, not cleaned up) policies each Ursula serves.
	#[pallet::storage]
	pub type ByUrsula<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Blake2_128Concat, PolicyId, ()>;

	/// How many entries each Ursula has in `ByUrsula` (at most `MaxPoliciesPerUrsula`).
	#[pallet::storage]
	pub type UrsulaLoad<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The policies of each owner that wait for their start period, with that period (entries
	/// of started policies are dropped when the owner creates the next one).
	#[pallet::storage]
	pub type PendingOf<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<(PolicyId, Period), T::MaxPendingPerOwner>,
		ValueQuery,
	>;

	/// Policies by the period of their next clean-up step: their end (settle), then their end
	/// plus `EvidenceRetention` (remove).
	#[pallet::storage]
	pub type Expiring<T: Config> =
		StorageDoubleMap<_, Twox64Concat, Period, Blake2_128Concat, PolicyId, ()>;

	/// The earliest period that may still have policies to clean up.
	#[pallet::storage]
	pub type CleanupCursor<T: Config> = StorageValue<_, Period, ValueQuery>;

	/// The prices of the policies made in each of the last `PriceHistoryPeriods` periods: the
	/// market's record of what Alices paid. A ring: period `p` is kept in slot
	/// `p % PriceHistoryPeriods`, with its period, until a later period's first policy takes
	/// the slot, so the map never holds more than `PriceHistoryPeriods` entries.
	#[pallet::storage]
	pub type Prices<T: Config> =
		StorageMap<_, Twox64Concat, u32, (Period, PriceRecord<BalanceOf<T>>), OptionQuery>;

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_idle(_now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::clean_up_expired(remaining)
		}

		fn integrity_test() {
			assert!(T::MaxUrsulas::get() > 0 && T::MaxUrsulas::get() <= u8::MAX as u32);
			assert!(T::MaxPoliciesPerUrsula::get() > 0, "Ursulas must be able to serve");
			assert!(T::MaxPolicyPeriods::get() > 0, "policies must be able to last");
			assert!(T::EvidenceRetention::get() > 0, "evidence must outlive the policy");
			assert!(
				T::SettleDelay::get() <= T::EvidenceRetention::get(),
				"a policy is settled before its record goes"
			);
			assert!(T::MaxPendingPerOwner::get() > 0, "owners must be able to plan ahead");
			assert!(T::PriceHistoryPeriods::get() > 0, "the last period's prices are kept");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Alice grants `bob` access through M-of-N Ursulas and puts the whole fee in escrow.
		///
		/// `ursulas` are worker accounts, each registered and committed to the current period
		/// (Alice's client draws them with the shared sampling filtered by their terms,
		/// `keymarket_sampleFitting`); `kfrags[i]` is the SCALE `EncryptedKeyFrag` for
		/// `ursulas[i]`. The rate must meet each Ursula's minimum in force and each must have
		/// a free place under its capacity (its staker's terms).
		///
		/// Besides the escrow, Alice pays `PlaceFee` to each Ursula's staker (never refunded)
		/// and holds the record's deposit (`DepositBase + DepositPerUrsula · N`, returned when
		/// the record is removed).
		///
		/// Origin: signed (Alice). Errors: `PolicyIdInUse`, `BadUrsulaCount`,
		/// `KeyFragCountMismatch`, `InvalidUmbralKey`, `StartInPast`, `StartTooLate`,
		/// `EndNotAfterStart`, `PolicyTooLong`, `FeeRateTooLow`, `BadThreshold`,
		/// `MalformedKeyFrag`, `DuplicateUrsula`, `UrsulaNotActive`, `RateBelowMinimum`,
		/// `UrsulaAtCapacity` (both naming the Ursula by its index in `ursulas`),
		/// `TooManyPendingPolicies`, `FeeOverflow`, `InsufficientBalance`. O(N²) comparisons
		/// for duplicates, O(N) reads and transfers.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_policy(ursulas.len() as u32))]
		pub fn create_policy(
			origin: OriginFor<T>,
			id: PolicyId,
			grant: PolicyGrantOf<T>,
			ursulas: BoundedVec<T::AccountId, T::MaxUrsulas>,
			kfrags: BoundedVec<BoundedVec<u8, T::MaxKeyFragLen>, T::MaxUrsulas>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_create_policy(owner, id, grant, ursulas, kfrags)
		}

		/// Alice revokes a policy: its key fragments are deleted, Ursulas refuse from now on,
		/// and the escrow not yet paid goes back to her. The policy is settled at once, but in
		/// the `FeesOnly` stage: there the rate of each Ursula for each period whose claims of
		/// served requests may still be made or opened (the revocation's and the `SettleDelay`
		/// before it) stays in escrow, and the rest of it goes back `SettleDelay` periods after
		/// the revocation's. The record (and deposit) goes `EvidenceRetention` periods after
		/// the revocation.
		///
		/// Origin: signed (the owner). Errors: `UnknownPolicy`, `NotOwner`, `AlreadyRevoked`,
		/// `PolicyExpired`. O(N).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke_policy(T::MaxUrsulas::get()))]
		pub fn revoke_policy(origin: OriginFor<T>, id: PolicyId) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_revoke(&owner, id)
		}

		/// Settles a policy whose end period has come (refunds what is left in its escrow to
		/// Alice, frees its key fragments and Ursula places), or removes its record once the
		/// evidence window after its end has passed. `on_idle` does the same when blocks have
		/// room.
		///
		/// Origin: signed (anyone). Errors: `UnknownPolicy`, `PolicyNotEnded`, `AlreadySettled`.
		/// O(N).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::clean_up_policy(T::MaxUrsulas::get()))]
		pub fn clean_up_policy(origin: OriginFor<T>, id: PolicyId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_clean_up(id)
		}

		/// A staker withdraws all the fees its Ursula earned (releases the `Fees` hold).
		///
		/// Origin: signed (the staker). Errors: `NothingToWithdraw`. O(1).
		#[pallet::call_index(3)]
		pub fn withdraw_fees(origin: OriginFor<T>) -> DispatchResult {
			let staker = ensure_signed(origin)?;
			Self::do_withdraw_fees(&staker)
		}

		/// Reports a capsule fragment that `worker` signed and that does not verify. The runtime
		/// checks the Ursula's signature and the fragment with umbral-pre, then reports
		/// `IncorrectCfrag` to the slashing pallet with the caller as reporter. A signed
		/// fragment that is not even umbral-pre bytes is an offence too: an honest Ursula never
		/// signs one. A capsule that is not canonical umbral-pre bytes is refused: it is Bob's
		/// input, which the Ursula refuses before serving. An accepted report pays no fee; a
		/// refused one pays its fee.
		///
		/// Origin: signed (anyone, usually Bob). Errors: `UnknownPolicy`, `NotPolicyUrsula`,
		/// `ServedOutsidePolicy`, `BadUrsulaSignature`, `MalformedCapsule`, `CfragIsCorrect`,
		/// and the slashing pallet's refusals as its own errors (`slashing.Duplicate`,
		/// `slashing.TooOld`, `slashing.InFuture`, `slashing.UnknownOffender`,
		/// `slashing.QueueFull`, `slashing.OffenderQueueFull`, `slashing.NothingToSlash`).
		/// O(1): one signature and one fragment check.
		#[pallet::call_index(4)]
		pub fn report_incorrect_cfrag(
			origin: OriginFor<T>,
			worker: T::AccountId,
			evidence: CfragEvidence<
				BoundedVec<u8, ConstU32<MAX_CAPSULE_LEN>>,
				BoundedVec<u8, ConstU32<MAX_CFRAG_LEN>>,
			>,
		) -> DispatchResultWithPostInfo {
			let reporter = ensure_signed(origin)?;
			Self::do_report_incorrect_cfrag(reporter, worker, evidence)?;
			Ok(Pays::No.into())
		}
	}
}
