//! # Keymarket lottery: a ticket per request, winners paid
//!
//! ## Overview
//! Probabilistic micropayments (DESIGN.md section 9): each re-encryption request carries a
//! [`Ticket`] signed by the policy's Bob, and only winning tickets ever reach the chain, so no
//! transaction is made per request. This pallet:
//!
//! - keeps each payer's **funds** for a policy under holds on the payer's own account: a
//!   ticket deposit and a penalty reserve ([`Pallet::fund`]). Unlocking
//!   ([`Pallet::unlock`]) waits `TicketRounds + 1` rounds — longer than a ticket lives — and new
//!   funding cancels it; then [`Pallet::withdraw`] releases everything;
//! - keeps the payer's **authorization** of the policy's Bob ([`Pallet::authorize`]): the most
//!   winning tickets may take from the deposit in a period. A colluding Bob and Ursula can take
//!   at most the cap. The price of a request (the expected value no ticket may exceed) is the
//!   policy's, fixed by Alice in her grant;
//! - keeps each Ursula's **commitments** to its random values ([`Pallet::commit`]): Bob names
//!   the current one in his tickets; the Ursula moves to a new one before it reveals the old;
//! - **redeems** winning tickets in batches ([`Pallet::redeem`]): the Ursula reveals the value
//!   behind its previous commitment once for the batch; each ticket is checked on its own (a bad
//!   one is refused with its [`TicketError`] and does not sink the others); the winners' face
//!   values move from the payer's held deposit to the Ursula's staker, one transfer per payer,
//!   and the policies pallet records what each policy paid (its one accounting path of service
//!   pay, shared with proven activity);
//!   a ticket is redeemed at most once (an expiring replay set, forgotten as tickets expire).
//!   When a deposit cannot pay a winner, the policy's reserve is shared out at once, in fixed
//!   equal shares, to the stakers of the policy's Ursulas, the payer is reported for lottery
//!   fraud, and the ticket is not consumed.
//!
//! ## Assumptions
//! - The staking pallet is the registry (clock, keys, stakers); the policies pallet tells each
//!   policy's Bob, Ursulas and price and records what tickets paid ([`TicketPolicies`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod api;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod duty;
pub mod migrations;
pub mod offchain;
mod redeem;
pub mod weights;

#[cfg(test)]
mod tests;

pub use duty::{CheckLotteryDuty, LotteryDuties};
pub use keymarket_primitives::{
	lottery::{SignedTicket, Ticket, TicketError, TicketPolicies},
	policies::PolicyId,
	registry::UrsulaRegistry,
	slashing::ReportOffence,
	time::{Clock, Period, Round},
};
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A registered worker whose staker exists.
	fn worker(index: u32) -> AccountId;
	/// A policy of `ursulas` Ursulas (the first is `worker`) whose Bob is `bob`, at a price of
	/// 1,000 a request.
	fn policy(worker: &AccountId, bob: &AccountId, ursulas: u32) -> PolicyId;
	/// Moves the chain to the first block of `round` (without running hooks).
	fn go_to_round(round: Round);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			tokens::Precision,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Saturating, Zero};

	/// The balance of the currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// The batch of winning tickets a redemption carries.
	pub type Batch<T> = BoundedVec<
		SignedTicket<<T as frame_system::Config>::AccountId, BalanceOf<T>>,
		<T as Config>::MaxBatch,
	>;

	#[pallet::config]
	pub trait Config:
		frame_system::Config
		+ frame_system::offchain::SigningTypes
		+ frame_system::offchain::CreateSignedTransaction<Call<Self>>
	{
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The native currency: deposits and reserves are held on the payer's account.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, of which [`HoldReason`] are two.
		type RuntimeHoldReason: From<HoldReason>;

		/// The staking pallet: the clock, registered workers and their stakers.
		type Ursulas: UrsulaRegistry<Self::AccountId>;

		/// The policies pallet: each policy's Bob, Ursulas and price, and the record of what
		/// its tickets paid.
		type Policies: TicketPolicies<Self::AccountId, BalanceOf<Self>>;

		/// The slashing pallet: where lottery fraud is reported.
		type Offences: ReportOffence<Self::AccountId, BalanceOf<Self>>;

		/// The worker key the off-chain worker signs commitments and redemptions with (the
		/// staking pallet's).
		type WorkerKey: frame_system::offchain::AppCrypto<
			Self::Public,
			<Self as frame_system::offchain::SigningTypes>::Signature,
		>;

		/// The length of a round in blocks (the chain's durations).
		#[pallet::constant]
		type BlocksPerRound: Get<u32>;

		/// The most rounds a ticket lives: its last round is at most this many after its
		/// creation. Unlocking funds waits one round more.
		#[pallet::constant]
		type TicketRounds: Get<Round>;

		/// The most tickets one redemption carries.
		#[pallet::constant]
		type MaxBatch: Get<u32>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;

		/// Sets up workers and policies for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The layout of this pallet's storage; a change of layout bumps it and ships a migration.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A payer's ticket deposit: winning tickets are paid from it.
		#[codec(index = 0)]
		TicketDeposit,
		/// A payer's penalty reserve: shared out to a policy's Ursulas if the deposit fails.
		#[codec(index = 1)]
		TicketReserve,
	}

	/// A payer's funds and authorization for one policy.
	#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
	pub struct Account<Balance> {
		/// Held to pay winning tickets.
		pub deposit: Balance,
		/// Held to pay the policy's Ursulas if the deposit cannot.
		pub reserve: Balance,
		/// The round from which the funds may be withdrawn, if unlocking.
		pub unlocks_at: Option<Round>,
		/// The most winning tickets may take in a period: the Bob's authorization (zero: none).
		pub cap: Balance,
		/// What winning tickets took in `spent_in`.
		pub spent: Balance,
		pub spent_in: Period,
	}

	/// An Ursula's commitments to its random values, each `(commitment, published in,
	/// replaced in)` once replaced.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
	pub struct Commitments {
		/// What Bob names in a ticket now, and the round it was published in.
		pub current: [u8; 32],
		pub since: Round,
		/// The one before, until revealed.
		pub previous: Option<([u8; 32], Round, Round)>,
		/// The last one revealed: its tickets may still be redeemed (with its value again)
		/// until the next reveal.
		pub opened: Option<([u8; 32], Round, Round)>,
	}

	/// The authorization a payer replaced, still in force for the tickets made under it: the
	/// most permissive cap of the changes within a ticket's life, and the last round it was in
	/// force in.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
	pub struct PriorTerms<Balance> {
		pub cap: Balance,
		pub until: Round,
	}

	/// What an Ursula's winning tickets paid.
	#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
	pub struct Winnings<Balance> {
		pub tickets: u64,
		pub paid: Balance,
		pub from_reserves: Balance,
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `payer` added to its deposit and reserve for `policy` (and stopped any unlocking).
		Funded {
			payer: T::AccountId,
			policy: PolicyId,
			deposit: BalanceOf<T>,
			reserve: BalanceOf<T>,
		},
		/// `payer` authorized the policy's Bob to sign tickets up to `cap` a period.
		Authorized { payer: T::AccountId, policy: PolicyId, cap: BalanceOf<T> },
		/// `payer`'s funds for `policy` may be withdrawn from round `at`.
		Unlocking { payer: T::AccountId, policy: PolicyId, at: Round },
		/// `payer` took back its funds for `policy`.
		Withdrawn { payer: T::AccountId, policy: PolicyId, amount: BalanceOf<T> },
		/// `worker` committed to a new random value.
		Committed { worker: T::AccountId, commitment: [u8; 32] },
		/// `worker` revealed its previous value and redeemed `paid` tickets for `value`;
		/// `refused` were refused.
		Redeemed { worker: T::AccountId, paid: u32, value: BalanceOf<T>, refused: u32 },
		/// Ticket `index` of the batch was refused.
		TicketRefused { worker: T::AccountId, index: u32, error: TicketError },
		/// `payer`'s deposit could not pay a winner of `policy`: its reserve went to the
		/// policy's Ursulas' stakers, `share` each.
		ReserveShared { payer: T::AccountId, policy: PolicyId, share: BalanceOf<T>, ursulas: u32 },
		/// The payer's lottery fraud could not be reported.
		FraudNotReported {
			payer: T::AccountId,
			reason: keymarket_primitives::slashing::OffenceError,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Nothing to add: both amounts are zero.
		NothingToFund,
		/// The payer cannot hold that much.
		InsufficientBalance,
		/// No funds of this payer for this policy.
		NoAccount,
		/// The funds are not unlocking.
		NotUnlocking,
		/// The unlocking round has not come.
		StillLocked,
		/// The funds are already unlocking.
		AlreadyUnlocking,
		/// No such policy.
		UnknownPolicy,
		/// Not a registered worker with a staker.
		NotAWorker,
		/// This worker already committed this round.
		AlreadyCommitted,
		/// No previous commitment to reveal.
		NothingToReveal,
		/// The revealed value does not open the previous commitment.
		WrongReveal,
	}

	/// Each payer's funds and authorization per policy.
	#[pallet::storage]
	pub type Accounts<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		PolicyId,
		Account<BalanceOf<T>>,
		OptionQuery,
	>;

	/// The authorization each payer replaced per policy, for the tickets made under it: a payer
	/// cannot take back, by lowering its cap, what Bob already signed for and an Ursula already
	/// served.
	#[pallet::storage]
	pub type Prior<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		PolicyId,
		PriorTerms<BalanceOf<T>>,
		OptionQuery,
	>;

	/// Each Ursula's commitments.
	#[pallet::storage]
	pub type CommitmentsOf<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Commitments, OptionQuery>;

	/// The tickets redeemed, by their last round: forgotten once that round is past.
	#[pallet::storage]
	pub type Redeemed<T: Config> =
		StorageDoubleMap<_, Twox64Concat, Round, Identity, [u8; 32], (), OptionQuery>;

	/// Rounds before this one have no redeemed tickets left to forget.
	#[pallet::storage]
	pub type ForgottenBefore<T: Config> = StorageValue<_, Round, ValueQuery>;

	/// What each Ursula's winning tickets paid.
	#[pallet::storage]
	pub type WinningsOf<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Winnings<BalanceOf<T>>, ValueQuery>;

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Forgets redeemed tickets that have expired, with the block's spare weight.
		fn on_idle(_: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::forget_expired(remaining)
		}

		/// Submits the commitments and redemptions the node's Ursula service prepared.
		fn offchain_worker(_: BlockNumberFor<T>) {
			Self::submit_outbox();
		}

		fn integrity_test() {
			assert!(T::BlocksPerRound::get() > 0, "a round has blocks");
			assert!(T::MaxBatch::get() > 0, "a batch has a ticket");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Adds `deposit` and `reserve` to the caller's funds for `policy`, held on its account;
		/// stops any unlocking. Anyone may pay for any policy.
		#[pallet::call_index(0)]
		pub fn fund(
			origin: OriginFor<T>,
			policy: PolicyId,
			deposit: BalanceOf<T>,
			reserve: BalanceOf<T>,
		) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			ensure!(!(deposit.is_zero() && reserve.is_zero()), Error::<T>::NothingToFund);
			ensure!(T::Policies::terms(&policy).is_some(), Error::<T>::UnknownPolicy);
			// A failed call changes nothing: the first hold goes with the second's error.
			T::Currency::hold(&HoldReason::TicketDeposit.into(), &payer, deposit)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			T::Currency::hold(&HoldReason::TicketReserve.into(), &payer, reserve)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			Accounts::<T>::mutate(&payer, policy, |account| {
				let account = account.get_or_insert_with(Default::default);
				account.deposit = account.deposit.saturating_add(deposit);
				account.reserve = account.reserve.saturating_add(reserve);
				account.unlocks_at = None;
			});
			Self::deposit_event(Event::Funded { payer, policy, deposit, reserve });
			Ok(())
		}

		/// Authorizes the policy's Bob to sign tickets against the caller's deposit: winning
		/// tickets may take up to `cap` a period, each worth the policy's price on average. A
		/// zero cap revokes. Tickets made before the change keep the cap they were made under
		/// (the more permissive of the old and the new) for as long as they live.
		#[pallet::call_index(1)]
		pub fn authorize(
			origin: OriginFor<T>,
			policy: PolicyId,
			cap: BalanceOf<T>,
		) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			ensure!(T::Policies::terms(&policy).is_some(), Error::<T>::UnknownPolicy);
			let now = T::Ursulas::current_round();
			Accounts::<T>::mutate(&payer, policy, |account| {
				let account = account.get_or_insert_with(Default::default);
				if !account.cap.is_zero() {
					// Older terms still cover tickets alive now: keep the most permissive.
					let alive = |p: &PriorTerms<BalanceOf<T>>| {
						p.until.saturating_add(T::TicketRounds::get()) >= now
					};
					let cap = match Prior::<T>::get(&payer, policy).filter(alive) {
						Some(p) => p.cap.max(account.cap),
						None => account.cap,
					};
					Prior::<T>::insert(&payer, policy, PriorTerms { cap, until: now });
				}
				account.cap = cap;
			});
			Self::deposit_event(Event::Authorized { payer, policy, cap });
			Ok(())
		}

		/// Starts unlocking the caller's funds for `policy`: they may be withdrawn once every
		/// ticket made before now has expired (`TicketRounds + 1` rounds on).
		#[pallet::call_index(2)]
		pub fn unlock(origin: OriginFor<T>, policy: PolicyId) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			let at = T::Ursulas::current_round()
				.saturating_add(T::TicketRounds::get())
				.saturating_add(1);
			Accounts::<T>::try_mutate(&payer, policy, |account| {
				let account = account.as_mut().ok_or(Error::<T>::NoAccount)?;
				ensure!(account.unlocks_at.is_none(), Error::<T>::AlreadyUnlocking);
				account.unlocks_at = Some(at);
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::Unlocking { payer, policy, at });
			Ok(())
		}

		/// Releases the caller's unlocked funds for `policy` and forgets the account.
		#[pallet::call_index(3)]
		pub fn withdraw(origin: OriginFor<T>, policy: PolicyId) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			let account = Accounts::<T>::get(&payer, policy).ok_or(Error::<T>::NoAccount)?;
			let at = account.unlocks_at.ok_or(Error::<T>::NotUnlocking)?;
			ensure!(T::Ursulas::current_round() >= at, Error::<T>::StillLocked);
			T::Currency::release(
				&HoldReason::TicketDeposit.into(),
				&payer,
				account.deposit,
				Precision::Exact,
			)?;
			T::Currency::release(
				&HoldReason::TicketReserve.into(),
				&payer,
				account.reserve,
				Precision::Exact,
			)?;
			Accounts::<T>::remove(&payer, policy);
			Prior::<T>::remove(&payer, policy);
			let amount = account.deposit.saturating_add(account.reserve);
			Self::deposit_event(Event::Withdrawn { payer, policy, amount });
			Ok(())
		}

		/// The caller, a registered worker, commits to a new random value (`commitment_of` of
		/// it): Bob names it in tickets from now on, and the current one becomes the previous,
		/// to be revealed. A previous one still unrevealed is dropped: its tickets can no longer
		/// be redeemed (the worker's own loss; a worker that lost a value is never locked out).
		/// Once a round. Free for a worker (its duty).
		#[pallet::call_index(4)]
		#[pallet::feeless_if(|origin: &OriginFor<T>, _commitment: &[u8; 32]| -> bool {
			Pallet::<T>::commit_is_a_duty(origin)
		})]
		pub fn commit(origin: OriginFor<T>, commitment: [u8; 32]) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			let now = Self::check_commit(&worker)?;
			CommitmentsOf::<T>::mutate(&worker, |commitments| {
				let previous = commitments.as_ref().map(|c| (c.current, c.since, now));
				let opened = commitments.as_ref().and_then(|c| c.opened);
				*commitments =
					Some(Commitments { current: commitment, since: now, previous, opened });
			});
			Self::deposit_event(Event::Committed { worker, commitment });
			Ok(())
		}

		/// The caller, a worker, reveals the value behind its previous commitment (or gives
		/// again the one it revealed last) and redeems the winning tickets of `batch` made
		/// against it. Each ticket is checked on its own: a bad one is refused (event
		/// `TicketRefused`) and the rest are paid, one transfer per payer from its held deposit
		/// to the worker's staker. Free for a worker whose reveal opens its previous commitment:
		/// once per commitment, and a worker commits once a round. Its weight counts the
		/// tickets and the distinct (payer, policy) accounts they draw on.
		#[pallet::call_index(5)]
		#[pallet::weight(Pallet::<T>::redeem_weight(batch)
			.saturating_add(T::WeightInfo::share_reserve(T::Policies::max_ursulas())))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, revealed: &[u8; 32], _batch: &Batch<T>| -> bool {
			Pallet::<T>::reveal_is_a_duty(origin, revealed)
		})]
		pub fn redeem(
			origin: OriginFor<T>,
			revealed: [u8; 32],
			batch: Batch<T>,
		) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			let done = Self::do_redeem(worker, revealed, &batch)?;
			// The accounts and policies it actually read (a ticket refused early reads none),
			// as the benchmarks count them: fewer than the batch names, never more.
			let mut weight =
				Self::redeem_weight_of(batch.len() as u32, done.accounts, done.policies);
			if let Some(ursulas) = done.shared {
				weight = weight.saturating_add(T::WeightInfo::share_reserve(ursulas));
			}
			Ok(Some(weight).into())
		}
	}
}
