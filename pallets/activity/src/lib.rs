//! # Keymarket activity: proofs of served work
//!
//! ## Overview
//! In the `FeesOnly` stage an Ursula is paid for the requests it served, not for saying it was
//! online (the paper, section 3, "Confirm service activity"). This pallet runs two of the
//! paper's three schemes, of which governance selects one ([`Pallet::set_scheme`]):
//! **commit, challenge, open** (the default, below; `keymarket_primitives::activity`) and
//! **committee attestation** ([`Pallet::attest`]: `t` members of a round's committee — its
//! gateways — checked the worker's whole record natively and signed ω; see `committee.rs`).
//! The third, **zero knowledge** ([`Pallet::claim_private`], [`Pallet::open_private`];
//! `keymarket_primitives::zk`), claims privately: Pedersen commitments to the claim's key
//! prefixes and a bulletproofs range proof that they strictly increase — distinctness proven
//! for every leaf, the keys hidden — verified by a host function the node registers; the
//! challenged leaves are opened as below, each with its commitment's opening.
//! Claims made under one scheme are still opened and paid after a switch.
//!
//! - **Claim** ([`Pallet::claim`]): after a period ends, a worker claims ω distinct requests it
//!   served under one policy in that period, committed to by the root of a Merkle tree of its
//!   served records sorted by request key, and signed with its registered key. One claim per
//!   worker, policy and period.
//! - **Challenge**: `BeaconDelay` blocks after the claim, the hash of that block — unknown when
//!   the claim was made, so the tree cannot be rebuilt to dodge it — is the claim's beacon;
//!   `Challenges` distinct leaf indices follow from it.
//! - **Open** ([`Pallet::open`]): after the beacon, until the end of the period after the last
//!   one in which the period could be claimed, the worker opens exactly the challenged leaves, each with its path and its right neighbour. The runtime checks each path
//!   against the root, that keys strictly increase (a duplicate cannot hide), and each record:
//!   the request is to this worker under this policy, signed by the policy's Bob, served in the
//!   claimed period, carrying no lottery ticket (tickets pay for those), answered with one
//!   fragment per capsule, of which one (chosen by the beacon) the adjudicator's judge finds
//!   correct. All hold: the policy's price × ω is paid from its
//!   escrow to the worker's staker, recorded on the policies pallet's one path of service pay
//!   (`PaidBy::Activity`). One fails: the claim is refuted, nothing is paid, and the worker is
//!   reported for a false service claim with the evidence.
//! - A claim not opened in time pays nothing. A period's claims are forgotten (in `on_idle`)
//!   once none can be made or opened: from `ClaimPeriods + 2` periods after it. The policies
//!   pallet keeps a policy's escrow `ClaimPeriods + 1` periods past its end (its
//!   `SettleDelay`), so that its last period's claims are paid.
//!
//! - The Ursula's node makes its claims and openings by itself from its served log and leaves
//!   them in an outbox; this pallet's off-chain worker submits each as the worker's own signed,
//!   fee-free transaction ([`offchain`], [`duty`]).
//!
//! **Why cheating loses.** A worker that fakes a fraction `f` of its ω leaves sees its
//! challenges before it opens: with probability `1 − (1 − f)^n` one hits a fake, and opening
//! then gets it refuted and slashed, while not opening forfeits the whole period's pay,
//! honest leaves included. Its expected pay is at most `(1 − f)^n · ω` requests' worth against
//! `(1 − f) · ω` for the truth: a loss for every `n ≥ 2`.
//!
//! ## Assumptions
//! - The staking pallet is the registry (clock, stage, keys, stakers); the policies pallet tells
//!   each policy's Bob, keys, window and price and pays from escrow ([`ActivityPolicies`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod claims;
mod committee;
pub mod duty;
pub mod offchain;
mod private;
pub mod weights;

#[cfg(test)]
mod tests;

pub use duty::{ActivityDuties, CheckActivityDuty};
pub use keymarket_primitives::{
	activity::{ActivityScheme, Committee, Committees, Opening, OpeningError},
	gateway::SignerSet,
	policies::{ActivityPolicies, ActivityTerms, PolicyId},
	registry::UrsulaRegistry,
	slashing::ReportOffence,
	time::{Clock, Period, Round},
};
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A worker whose registered signing key is `signing_key`, with a staker, serving a policy
	/// of Bob `bob` (whose keys are the fixture's) that covers the current period at a price
	/// above zero, in the `FeesOnly` stage. Returns the worker and the policy.
	fn worker_and_policy(signing_key: [u8; 32], bob: AccountId) -> (AccountId, PolicyId);
	/// Moves the chain to the first block of `period`.
	fn go_to_period(period: Period);
	/// Makes `members` (worker, signing key) the committee of the current round, with
	/// `threshold`; returns the round.
	fn committee(members: alloc::vec::Vec<(AccountId, [u8; 32])>, threshold: u32) -> Round;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use keymarket_primitives::activity::MAX_DEPTH;

	/// The balance of the chain.
	pub type BalanceOf<T> = <T as Config>::Balance;

	/// A worker's openings of its challenged leaves.
	pub type Openings<T> = BoundedVec<OpeningOf<T>, <T as Config>::Challenges>;

	/// A private claim's commitments: ω keys' and the padding's (`zk::commitment_count`).
	pub type Commitments = BoundedVec<
		[u8; 32],
		ConstU32<
			{ keymarket_primitives::zk::MAX_ZK_OMEGA + keymarket_primitives::zk::MAX_ZK_VALUES },
		>,
	>;

	/// A private claim's range proof.
	pub type ZkProof = BoundedVec<u8, ConstU32<{ keymarket_primitives::zk::MAX_ZK_PROOF }>>;

	/// A worker's openings of its private claim's challenged leaves.
	pub type PrivateOpenings<T> = BoundedVec<PrivateOpeningOf<T>, <T as Config>::Challenges>;

	/// A private opening with bounded parts, as a call carries it.
	pub type PrivateOpeningOf<T> = BoundedPrivateOpening<<T as Config>::MaxRecordLen>;

	/// [`keymarket_primitives::zk::PrivateOpening`] with its record and paths bounded.
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
	)]
	#[scale_info(skip_type_params(MaxRecordLen))]
	pub struct BoundedPrivateOpening<MaxRecordLen: Get<u32>> {
		/// The challenged leaf.
		pub index: u32,
		/// The SCALE served record behind it.
		pub record: BoundedVec<u8, MaxRecordLen>,
		/// Its path in the records' tree, from the leaves up.
		pub path: BoundedVec<[u8; 32], ConstU32<MAX_DEPTH>>,
		/// The commitment at the same index, and its path in the commitments' tree.
		pub commitment: [u8; 32],
		pub commitment_path: BoundedVec<[u8; 32], ConstU32<MAX_DEPTH>>,
		/// The commitment's blinding: the record's key prefix and it open the commitment.
		pub blinding: [u8; 32],
	}

	impl<M: Get<u32>> BoundedPrivateOpening<M> {
		/// The opening as the primitives check it.
		pub fn unbounded(&self) -> keymarket_primitives::zk::PrivateOpening {
			keymarket_primitives::zk::PrivateOpening {
				index: self.index,
				record: self.record.to_vec(),
				path: self.path.to_vec(),
				commitment: self.commitment,
				commitment_path: self.commitment_path.to_vec(),
				blinding: self.blinding,
			}
		}
	}

	/// A committee's signatures of an attestation, in the order of their signer indices.
	pub type Attestations = BoundedVec<
		keymarket_primitives::crypto::Sr25519Signature,
		ConstU32<{ keymarket_primitives::gateway::MAX_GATEWAYS }>,
	>;

	/// An opening with bounded parts, as a call carries it.
	pub type OpeningOf<T> = BoundedOpening<<T as Config>::MaxRecordLen>;

	/// [`Opening`] with its record and paths bounded.
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
	)]
	#[scale_info(skip_type_params(MaxRecordLen))]
	pub struct BoundedOpening<MaxRecordLen: Get<u32>> {
		/// The challenged leaf.
		pub index: u32,
		/// The SCALE served record behind it.
		pub record: BoundedVec<u8, MaxRecordLen>,
		/// Its path, from the leaves up.
		pub path: BoundedVec<[u8; 32], ConstU32<MAX_DEPTH>>,
		/// Its right neighbour's leaf and path (none for the last leaf).
		pub next: Option<(
			keymarket_primitives::activity::Leaf,
			BoundedVec<[u8; 32], ConstU32<MAX_DEPTH>>,
		)>,
	}

	impl<M: Get<u32>> BoundedOpening<M> {
		/// The opening as the primitives check it.
		pub fn unbounded(&self) -> Opening {
			Opening {
				index: self.index,
				record: self.record.to_vec(),
				path: self.path.to_vec(),
				next: self.next.as_ref().map(|(leaf, path)| (*leaf, path.to_vec())),
			}
		}
	}

	/// Where a claim is in its life: committed, paid, or refuted (the primitives' type, which
	/// clients read).
	pub type ClaimStatus<Balance> = keymarket_primitives::activity::ClaimState<Balance>;

	/// A worker's claim for a policy and a period.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen)]
	pub struct Claim<Balance> {
		/// ω: the distinct requests claimed.
		pub omega: u32,
		/// The root of the tree of their records.
		pub root: [u8; 32],
		/// The block whose hash is the beacon.
		pub beacon_at: u32,
		/// The last block in which it may be opened: the end of the period after the last one
		/// in which its period may be claimed.
		pub open_until: u32,
		pub status: ClaimStatus<Balance>,
	}

	#[pallet::config]
	pub trait Config:
		frame_system::Config
		+ frame_system::offchain::SigningTypes
		+ frame_system::offchain::CreateSignedTransaction<Call<Self>>
	{
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The chain's balance type.
		type Balance: Parameter
			+ MaxEncodedLen
			+ Copy
			+ Default
			+ sp_runtime::traits::AtLeast32BitUnsigned;

		/// The staking pallet: the clock, the stage, workers' keys and stakers.
		type Ursulas: UrsulaRegistry<Self::AccountId>;

		/// The policies pallet: each policy's Bob, keys, window and price; pay from escrow.
		type Policies: ActivityPolicies<Self::AccountId, Self::Balance>;

		/// The slashing pallet: where false claims are reported.
		type Offences: ReportOffence<Self::AccountId, Self::Balance>;

		/// The gateway pallet: each round's committee (its t-of-n list) for attestations.
		type Committees: Committees<Self::AccountId>;

		/// Who selects the scheme (governance).
		type SchemeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The worker key the off-chain worker signs claims and openings with (the staking
		/// pallet's).
		type WorkerKey: frame_system::offchain::AppCrypto<
			Self::Public,
			<Self as frame_system::offchain::SigningTypes>::Signature,
		>;

		/// `n`: the leaves a claim must open.
		#[pallet::constant]
		type Challenges: Get<u32>;

		/// Blocks between a claim and the block whose hash is its beacon.
		#[pallet::constant]
		type BeaconDelay: Get<u32>;

		/// How many periods after a period it may still be claimed; its claims may be opened
		/// until the end of the period after that.
		#[pallet::constant]
		type ClaimPeriods: Get<Period>;

		/// The length of a period in blocks (the chain's durations): more than `BeaconDelay`.
		#[pallet::constant]
		type BlocksPerPeriod: Get<u32>;

		/// The most requests one claim counts.
		#[pallet::constant]
		type MaxOmega: Get<u32>;

		/// The longest SCALE served record an opening carries.
		#[pallet::constant]
		type MaxRecordLen: Get<u32>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;

		/// Sets up workers and policies for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The layout of this pallet's storage; a change of layout bumps it and ships a migration.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Each worker's claims, by policy and period.
	#[pallet::storage]
	pub type Claims<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		(PolicyId, Period),
		Claim<T::Balance>,
		OptionQuery,
	>;

	/// The claims of each period, to forget them.
	#[pallet::storage]
	pub type ByPeriod<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		Period,
		Blake2_128Concat,
		(T::AccountId, PolicyId),
		(),
		OptionQuery,
	>;

	/// Periods before this one have no claims left to forget.
	#[pallet::storage]
	pub type ForgottenBefore<T: Config> = StorageValue<_, Period, ValueQuery>;

	/// The root of each private claim's commitments (its claim is in [`Claims`]).
	#[pallet::storage]
	pub type PrivateClaims<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		(PolicyId, Period),
		[u8; 32],
		OptionQuery,
	>;

	/// How served work is proven now: claims and openings, or a committee's attestation.
	#[pallet::storage]
	pub type Scheme<T: Config> = StorageValue<_, ActivityScheme, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `worker` claimed `omega` requests of `policy` served in `period`; its beacon is the
		/// hash of block `beacon_at`.
		Claimed {
			worker: T::AccountId,
			policy: PolicyId,
			period: Period,
			omega: u32,
			root: [u8; 32],
			beacon_at: u32,
		},
		/// The claim was opened and proven: `paid` went from the policy's escrow to `staker`.
		ClaimPaid {
			worker: T::AccountId,
			policy: PolicyId,
			period: Period,
			staker: T::AccountId,
			paid: T::Balance,
		},
		/// The claim was opened and refuted at opening `index` (`u32::MAX`: a private claim's
		/// proof of distinct keys): nothing paid, the worker reported.
		ClaimRefuted {
			worker: T::AccountId,
			policy: PolicyId,
			period: Period,
			index: u32,
			reason: Refutation,
		},
		/// A committee of `round` attested that `worker` served `omega` requests of `policy` in
		/// `period`: `paid` went from the policy's escrow to `staker`.
		Attested {
			worker: T::AccountId,
			policy: PolicyId,
			period: Period,
			omega: u32,
			round: Round,
			staker: T::AccountId,
			paid: T::Balance,
		},
		/// Governance selected how served work is proven.
		SchemeSet { scheme: ActivityScheme },
		/// The worker's false claim could not be reported.
		OffenceNotReported {
			worker: T::AccountId,
			reason: keymarket_primitives::slashing::OffenceError,
		},
	}

	/// What an opening showed wrong.
	#[derive(
		Clone,
		Copy,
		Debug,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
	)]
	pub enum Refutation {
		/// The leaf is not in the tree, or its neighbour does not follow it.
		Opening(OpeningError),
		/// The request is to another Ursula or under another policy.
		NotThisService,
		/// Bob did not sign the request (or the signer is not the policy's Bob).
		NotSignedByBob,
		/// Served in another period than the claimed one.
		WrongPeriod,
		/// Not one fragment per capsule.
		WrongAnswerCount,
		/// The judged fragment is incorrect (or not a fragment of the capsule at all).
		IncorrectCfrag,
		/// The request carried a lottery ticket: tickets pay for it, a claim may not.
		PaidByTicket,
		/// A private opening does not hold: not in either tree, or the record's key does not
		/// open the commitment at its index.
		Private(keymarket_primitives::zk::PrivateOpeningError),
		/// A private claim's proof that its keys are distinct does not verify.
		NotDistinct,
	}

	impl From<keymarket_primitives::activity::RecordFault> for Refutation {
		fn from(fault: keymarket_primitives::activity::RecordFault) -> Self {
			use keymarket_primitives::activity::RecordFault;
			match fault {
				RecordFault::NotThisService => Refutation::NotThisService,
				RecordFault::NotSignedByBob => Refutation::NotSignedByBob,
				RecordFault::WrongPeriod => Refutation::WrongPeriod,
				RecordFault::PaidByTicket => Refutation::PaidByTicket,
				RecordFault::WrongAnswerCount => Refutation::WrongAnswerCount,
				RecordFault::IncorrectCfrag => Refutation::IncorrectCfrag,
			}
		}
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Claims are paid in the `FeesOnly` stage only.
		NotFeesOnly,
		/// The period has not ended, or is older than `ClaimPeriods`.
		PeriodNotClaimable,
		/// The caller is not one of the policy's Ursulas (or there is no such policy).
		NotPolicyUrsula,
		/// The policy did not serve in that period.
		ServedOutsidePolicy,
		/// The policy's price of a request is zero: nothing to claim.
		NothingToPay,
		/// ω is zero or above `MaxOmega`.
		BadOmega,
		/// This worker already claimed this policy and period.
		AlreadyClaimed,
		/// The claim's signature does not verify with the worker's registered key.
		BadSignature,
		/// No such claim.
		NoSuchClaim,
		/// The claim was opened already.
		AlreadyOpened,
		/// Its beacon is not drawn yet.
		TooEarly,
		/// Its opening window has passed.
		TooLate,
		/// The openings are not exactly the challenged leaves, in order.
		WrongChallenges,
		/// Another scheme proves served work now (`claim` or `attest` is not the one in force).
		WrongScheme,
		/// The chain keeps no committee of that round, or it was drawn before the period ended.
		UnknownRound,
		/// Fewer signatures than the committee's threshold, or not one per signer.
		NotEnoughSigners,
		/// A signer index past the committee's members.
		NotACommitteeMember,
		/// The worker is one of the signers: it may not attest its own work.
		OwnAttestation,
		/// A committee member's signature does not verify.
		BadAttestation,
		/// That scheme is in force already.
		SchemeUnchanged,
		/// A private claim's commitments are not one per key and one per padding value.
		BadCommitments,
		/// A private claim is opened with `open_private`, any other with `open`.
		OpenedTheOtherWay,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Forgets the claims of periods past `ClaimPeriods`, with the block's spare weight.
		fn on_idle(_: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::forget_old(remaining)
		}

		/// Submits the claims and openings the node's Ursula service prepared.
		fn offchain_worker(_: BlockNumberFor<T>) {
			Self::submit_outbox();
		}

		fn integrity_test() {
			assert!(T::Challenges::get() > 0, "a claim opens a leaf");
			assert!(T::BeaconDelay::get() > 0, "the beacon comes after the claim");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// The caller, one of `policy`'s Ursulas, claims `omega` distinct requests of it served
		/// in `period` (ended, at most `ClaimPeriods` ago), committed to by `root`, and signs
		/// the claim (`claim_payload`) with its registered key. In the `FeesOnly` stage, once
		/// per worker, policy and period.
		#[pallet::call_index(0)]
		#[pallet::feeless_if(|origin: &OriginFor<T>, policy: &PolicyId, period: &Period, omega: &u32, root: &[u8; 32], signature: &keymarket_primitives::crypto::Sr25519Signature| -> bool {
			Pallet::<T>::claim_is_a_duty(origin, policy, period, omega, root, signature)
		})]
		pub fn claim(
			origin: OriginFor<T>,
			policy: PolicyId,
			period: Period,
			omega: u32,
			root: [u8; 32],
			signature: keymarket_primitives::crypto::Sr25519Signature,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			let beacon_at = Self::do_claim(&worker, policy, period, omega, root, &signature)?;
			Self::deposit_event(Event::Claimed { worker, policy, period, omega, root, beacon_at });
			Ok(())
		}

		/// The caller opens its claim for `policy` and `period`: exactly the challenged leaves,
		/// in order. Proven, it is paid the policy's price × ω (at most the policy's rate for a
		/// period) from escrow; refuted, it is reported for a false service claim. Weighed for
		/// the openings carried, each with a record of the most capsules; a refutation stops
		/// the judging and returns the weight of the openings judged.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::open(openings.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, policy: &PolicyId, period: &Period, openings: &Openings<T>| -> bool {
			Pallet::<T>::open_is_a_duty(origin, policy, period, openings)
		})]
		pub fn open(
			origin: OriginFor<T>,
			policy: PolicyId,
			period: Period,
			openings: Openings<T>,
		) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			let judged = Self::do_open(worker, policy, period, &openings)?;
			Ok(Some(T::WeightInfo::open(judged)).into())
		}

		/// Governance selects how served work is proven from now on. Claims already made under
		/// the other scheme are still opened and paid.
		///
		/// Origin: `SchemeOrigin`. Errors: `BadOrigin`, `SchemeUnchanged`.
		#[pallet::call_index(2)]
		pub fn set_scheme(origin: OriginFor<T>, scheme: ActivityScheme) -> DispatchResult {
			T::SchemeOrigin::ensure_origin(origin)?;
			ensure!(Scheme::<T>::get() != scheme, Error::<T>::SchemeUnchanged);
			Scheme::<T>::put(scheme);
			Self::deposit_event(Event::SchemeSet { scheme });
			Ok(())
		}

		/// The caller, one of `policy`'s Ursulas, submits the attestation of a committee of
		/// `round` (drawn after `period` ended) that it served `omega` distinct, valid requests
		/// of the policy in `period`, whose tree has root `root`: the signatures of the members
		/// at `signers` (at least the round's threshold; the worker not among them) of
		/// `attestation_payload`. Under the `Committee` scheme, in the `FeesOnly` stage, once per
		/// worker, policy and period; pays the policy's price × ω (at most its rate) from escrow.
		/// Weighed for the signatures carried.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::attest(signatures.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, policy: &PolicyId, period: &Period, omega: &u32, root: &[u8; 32], round: &Round, signers: &SignerSet, signatures: &Attestations| -> bool {
			Pallet::<T>::attest_is_a_duty(origin, policy, period, omega, root, round, signers, signatures)
		})]
		#[allow(clippy::too_many_arguments)]
		pub fn attest(
			origin: OriginFor<T>,
			policy: PolicyId,
			period: Period,
			omega: u32,
			root: [u8; 32],
			round: Round,
			signers: SignerSet,
			signatures: Attestations,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_attest(worker, policy, period, omega, root, round, signers, &signatures)
		}

		/// The caller, one of `policy`'s Ursulas, claims privately `omega` distinct requests of
		/// it served in `period` (ended, at most `ClaimPeriods` ago), under the `ZeroKnowledge`
		/// scheme: `root` commits to its records as in `claim`; `commitments` are Pedersen
		/// commitments to the keys' 64-bit prefixes in tree order, then to the padding values
		/// (`zk::commitment_count(ω)` in all; ω at most `zk::MAX_ZK_OMEGA`); `proof` is the
		/// range proof that the keys strictly increase; the signature is over
		/// `zk::private_claim_payload`. A claim whose proof does not verify is kept as refuted
		/// and the worker reported. Weighed for the commitments carried.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::claim_private(commitments.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, policy: &PolicyId, period: &Period, omega: &u32, root: &[u8; 32], commitments: &Commitments, _proof: &ZkProof, signature: &keymarket_primitives::crypto::Sr25519Signature| -> bool {
			Pallet::<T>::claim_private_is_a_duty(origin, policy, period, omega, root, commitments, signature)
		})]
		#[allow(clippy::too_many_arguments)]
		pub fn claim_private(
			origin: OriginFor<T>,
			policy: PolicyId,
			period: Period,
			omega: u32,
			root: [u8; 32],
			commitments: Commitments,
			proof: ZkProof,
			signature: keymarket_primitives::crypto::Sr25519Signature,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_claim_private(
				worker,
				policy,
				period,
				omega,
				root,
				&commitments,
				&proof,
				&signature,
			)
		}

		/// The caller opens its private claim for `policy` and `period`: exactly the
		/// challenged leaves, in order, each with its commitment, the commitment's path and its
		/// blinding. Proven, it is paid as `open` pays; refuted, reported. Weighed for the
		/// openings carried; a refutation returns the weight of the openings judged.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::open_private(openings.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, policy: &PolicyId, period: &Period, openings: &PrivateOpenings<T>| -> bool {
			Pallet::<T>::open_private_is_a_duty(origin, policy, period, openings)
		})]
		pub fn open_private(
			origin: OriginFor<T>,
			policy: PolicyId,
			period: Period,
			openings: PrivateOpenings<T>,
		) -> DispatchResultWithPostInfo {
			let worker = ensure_signed(origin)?;
			let judged = Self::do_open_private(worker, policy, period, &openings)?;
			Ok(Some(T::WeightInfo::open_private(judged)).into())
		}
	}
}
