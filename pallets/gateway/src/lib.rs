//! # Keymarket gateway: confirm availability
//!
//! ## Overview
//! Optimistic and detect-and-punish (DESIGN.md section 7): nothing runs on chain while Ursulas
//! answer their Bobs. When one stays silent, Bob complains to a gateway of the round; the
//! gateways forward his exact request, and those that get no answer sign an
//! [`UnavailabilityClaim`]. This pallet:
//!
//! - **draws the gateways** of each round at its first block: up to `GatewayCount` active Ursulas
//!   of the round's period, by committed stake, from the hash chain of the round's beacon (the
//!   hash of the last block of the round before last; see [`keymarket_primitives::gateway`]).
//!   The candidates are the Ursulas that committed to the period, told by the staking pallet's
//!   commitment hook and kept as a cumulative stake line, so a draw costs `O(n · log m)` reads;
//! - **opens a case** from a proof of unavailability ([`Pallet::prove_unavailable`]): Bob's
//!   signed request and `t` valid signatures of distinct gateways of the claim's round, given
//!   with a bitmap of their indices. Anyone may submit it; a signing gateway submits it free;
//! - lets **the accused answer on chain** ([`Pallet::answer_case`]) while the case is open: the
//!   capsule fragments for the complained request, judged by the adjudicator's own check. A
//!   correct answer voids the case, Bob reads the fragments from the chain, and every signing
//!   gateway is reported for a false accusation. So an Ursula that watches the chain is never
//!   punished unjustly, even if every gateway of a round colludes;
//! - **closes** each case still open when its answer window (`AnswerRounds`) ends, at the first
//!   block of the closing round: the unavailability offence goes to the slashing pallet with the
//!   round's pay as its penalty (the round's part of the period's fees and of the staker's
//!   inflation reward), the signing gateways as its reporters (they share the reporters' part),
//!   and the round's fees go back from the Ursula's earned fees to Alice. One case per Ursula and
//!   round.
//!
//! ## Terminology
//! - *Claimed round*: the round whose gateways signed; the case's key with the accused.
//! - *Proof window*: a proof of round `r` is accepted in rounds `r ..= r + ProofRounds`.
//! - *Answer window*: a case opened in round `o` may be answered until round `o + AnswerRounds`
//!   starts; then it closes.
//!
//! ## Assumptions
//! - The staking pallet tells this pallet of each commitment (its `OnCommitment`), with the
//!   stake committed, and is the registry of keys and duty (`UrsulaRegistry`).
//! - `BlocksPerRound · RoundsPerPeriod` is the period; the proof and answer windows together are
//!   shorter than the slashing pallet's evidence window.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod api;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod cases;
mod draw;
pub mod duty;
pub mod offchain;
pub mod types;
pub mod weights;

#[cfg(test)]
pub(crate) mod tests;

pub use duty::{CheckGatewayDuty, GatewayDuties, DUTY_PRIORITY};
pub use keymarket_primitives::{
	gateway::{
		ClaimKind, SignerSet, UnavailabilityClaim, MAX_COMPLAINT_CAPSULES, MAX_GATEWAYS,
		MAX_MEDIATION_DEPTH,
	},
	policies::{PolicyDirectory, PolicyId},
	registry::{Commitment, OnCommitment, PeriodReward, UrsulaRegistry},
	slashing::ReportOffence,
	time::{Clock, Period, Round},
};
pub use types::*;
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime: active Ursulas that serve a policy, and time.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A registered worker committed to the current period (and told to this pallet as a
	/// candidate), whose registered sr25519 signing key is `signing_key`.
	fn active_ursula(index: u32, signing_key: [u8; 32]) -> AccountId;
	/// A policy in service now whose Ursulas include `worker`, whose Bob is `bob`, and whose
	/// keys are the adjudicator fixture's (`pallet_keymarket_policies::fixture`-like: a policy
	/// key, a verifying key and Bob's key for which `capsule` and `cfrag` judge correct).
	fn policy_of(worker: &AccountId, bob: &AccountId, policies: u32) -> PolicyId;
	/// Moves the chain to the first block of `round` (without running hooks).
	fn go_to_round(round: Round);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::tokens::Balance as BalanceTrait};
	use frame_system::pallet_prelude::*;
	use keymarket_primitives::slashing::{OffenceError, SlashId};

	/// Defaults for test runtimes: a mock derives them
	/// (`#[derive_impl(config_preludes::TestDefaultConfig)]`) and lists only what it changes —
	/// its registry, policies and offences, and any number a test moves. Rounds of five blocks,
	/// two per period; five gateways, three signatures.
	pub mod config_preludes {
		use super::*;
		use frame_support::{derive_impl, traits::ConstU32};

		/// The numbers below, by name, for the tests that reason about them.
		pub const BLOCKS_PER_ROUND: u32 = 5;
		pub const ROUNDS_PER_PERIOD: u32 = 2;
		pub const PROOF_ROUNDS: Round = 1;
		pub const ANSWER_ROUNDS: Round = 2;
		pub const MAX_CANDIDATES: u32 = 16;
		pub const MAX_CASES: u32 = 3;
		pub const GATEWAYS: u32 = 5;
		pub const THRESHOLD: u32 = 3;
		pub const DIFFICULTY: u8 = 8;

		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeEvent = ();
			type Balance = u128;
			type BlocksPerRound = ConstU32<BLOCKS_PER_ROUND>;
			type RoundsPerPeriod = ConstU32<ROUNDS_PER_PERIOD>;
			type ProofRounds = ConstU32<PROOF_ROUNDS>;
			type AnswerRounds = ConstU32<ANSWER_ROUNDS>;
			type MaxCandidates = ConstU32<MAX_CANDIDATES>;
			type MaxCasesPerRound = ConstU32<MAX_CASES>;
			type GatewayCount = ConstU32<GATEWAYS>;
			type GatewayThreshold = ConstU32<THRESHOLD>;
			type ComplaintDifficulty = frame_support::traits::ConstU8<DIFFICULTY>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config:
		frame_system::Config
		+ frame_system::offchain::SigningTypes
		+ frame_system::offchain::CreateSignedTransaction<Call<Self>>
	{
		/// The overarching event type.
		#[allow(deprecated)]
		#[pallet::no_default_bounds]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The native currency's balance type.
		type Balance: BalanceTrait + From<u32>;

		/// The staking pallet: the clock, who committed, who serves whom, registered keys.
		#[pallet::no_default]
		type Ursulas: UrsulaRegistry<Self::AccountId>;

		/// The policies pallet: the accused's policy, and the fee part of a silent round.
		#[pallet::no_default]
		type Policies: PolicyDirectory<Self::AccountId, Self::Balance>;

		/// The slashing pallet: where unavailability and false accusations are reported.
		#[pallet::no_default]
		type Offences: ReportOffence<Self::AccountId, Self::Balance>;

		/// The inflation an Ursula's staker earns for a period (the staking pallet's reward
		/// rule), of which a silent round's part is withheld.
		#[pallet::no_default]
		type Rewards: PeriodReward<Self::AccountId, Self::Balance>;

		/// The worker key in the node's keystore that the off-chain worker signs duties with (the
		/// staking pallet's).
		#[pallet::no_default]
		type WorkerKey: frame_system::offchain::AppCrypto<
			Self::Public,
			<Self as frame_system::offchain::SigningTypes>::Signature,
		>;

		/// The length of a round in blocks (the chain's durations).
		#[pallet::constant]
		type BlocksPerRound: Get<u32>;

		/// Rounds per period (the chain's durations).
		#[pallet::constant]
		type RoundsPerPeriod: Get<u32>;

		/// How many rounds after its round a proof of unavailability is still accepted.
		#[pallet::constant]
		type ProofRounds: Get<Round>;

		/// How many rounds the accused has to answer a case on chain (the chain's durations).
		#[pallet::constant]
		type AnswerRounds: Get<Round>;

		/// The most candidates (Ursulas committed to a period) a period's draw considers;
		/// commitments beyond it are not drawn.
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// The most cases claimed in one round, and the most closing in one round.
		#[pallet::constant]
		type MaxCasesPerRound: Get<u32>;

		/// `n`: the gateways drawn per round (governance; at most [`MAX_GATEWAYS`]).
		type GatewayCount: Get<u32>;

		/// `t`: the gateway signatures a proof needs (governance).
		type GatewayThreshold: Get<u32>;

		/// The leading zero bits of a complaint's work (governance); gateways read it.
		type ComplaintDifficulty: Get<u8>;

		/// Weights of the calls and hooks.
		type WeightInfo: WeightInfo;

		/// Sets up Ursulas, policies and rounds for the benchmarks.
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
		/// Round `round` began with `gateways` gateways; proofs of it need `threshold`
		/// signatures.
		RoundStarted { round: Round, gateways: u32, threshold: u32 },
		/// `signers` gateways proved `ursula` silent in `round` on a request under `policy`
		/// (or, as a gateway, on Bob's complaint: `kind`); it may answer on chain until round
		/// `closes_at` starts.
		UnavailabilityProven {
			round: Round,
			ursula: T::AccountId,
			kind: ClaimKind,
			policy: PolicyId,
			request_hash: [u8; 32],
			signers: u32,
			closes_at: Round,
		},
		/// The accused answered its case with correct fragments (in the case's record): the
		/// case is void, and `reported` of its signing gateways were reported for a false
		/// accusation.
		CaseAnswered { round: Round, ursula: T::AccountId, reported: u32 },
		/// A signing gateway could not be reported for its false accusation.
		AccusationNotReported { round: Round, gateway: T::AccountId, reason: OffenceError },
		/// The case closed unanswered: `penalty` (the round's pay) will be taken from the
		/// Ursula's stake (slash `slash`), and `refunded` of its fees went back to Alice.
		UrsulaPunished {
			round: Round,
			ursula: T::AccountId,
			penalty: T::Balance,
			refunded: T::Balance,
			slash: SlashId,
		},
		/// The case closed unanswered but the slashing pallet refused the offence.
		PunishmentRefused { round: Round, ursula: T::AccountId, reason: OffenceError },
		/// The accused gateway of a silent-gateway case passed it on to `to`, the one it
		/// mediated for: its own case is void, and a case against `to` was opened (`opened`;
		/// false when `to` already had one for the round), answerable until round
		/// `opened_in + AnswerRounds`.
		CasePassed {
			round: Round,
			gateway: T::AccountId,
			to: T::AccountId,
			opened: bool,
			opened_in: Round,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No gateways are recorded for the claim's round (not started, or pruned).
		UnknownRound,
		/// The claim's round is past the proof window, or has not started.
		ProofWindowClosed,
		/// This Ursula already has a case for this round.
		AlreadyAccused,
		/// The round already has the most cases it takes.
		TooManyCases,
		/// Fewer signers than the round's threshold.
		NotEnoughSigners,
		/// The number of signatures is not the number of signers.
		SignatureCountMismatch,
		/// A signer index names no gateway of the round.
		NotAGateway,
		/// The accused is one of the signers.
		AccusedSigned,
		/// The request does not hash to the claim's request hash.
		RequestHashMismatch,
		/// The request is not a SCALE re-encryption request of a known version.
		MalformedRequest,
		/// The request is not to the accused, or not under the claim's policy.
		RequestMismatch,
		/// The request has no capsule, too many, or one too long.
		BadCapsuleCount,
		/// No such policy, or the accused is not one of its Ursulas.
		NotPolicyUrsula,
		/// The policy did not serve in the claim's period.
		PolicyNotInService,
		/// The request is not signed by the policy's Bob.
		NotBobsRequest,
		/// The accused was not committed to serve in the claim's period.
		NotOnDuty,
		/// The deadline is not within the claim's round, or has not passed.
		BadDeadline,
		/// Bob's signature of the request does not verify.
		BadBobSignature,
		/// A gateway's signature of the claim does not verify.
		BadGatewaySignature,
		/// The signer has no case for that round.
		NoSuchCase,
		/// The case is no longer open.
		CaseClosed,
		/// The answer has not one fragment per capsule.
		WrongAnswerCount,
		/// A fragment of the answer is not a correct re-encryption of its capsule.
		IncorrectAnswer,
		/// A complaint Bob wrapped is not addressed to the accused (or to the gateway the
		/// complaint around it is about), not to a gateway of its round, or not in the round
		/// after the one around it.
		ComplaintMismatch,
		/// A complaint of Bob's does not carry the chain's proof of work.
		NotEnoughWork,
		/// A capsule of the request does not verify itself: nobody could answer it.
		InvalidCapsule,
		/// Only a silent gateway's case can be passed on.
		NotPassable,
	}

	/// The candidates of a period's draws, in commitment order: `(period, index)` to the worker
	/// and where its stake starts on the period's cumulative stake line.
	#[pallet::storage]
	pub type Candidates<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		Period,
		Twox64Concat,
		u32,
		Candidate<T::AccountId>,
		OptionQuery,
	>;

	/// A period's cumulative stake line: how many candidates and the stake of all of them.
	#[pallet::storage]
	pub type Lines<T: Config> = StorageMap<_, Twox64Concat, Period, Line, ValueQuery>;

	/// The gateways of each recent round (kept until its cases can no longer change).
	#[pallet::storage]
	pub type Rounds<T: Config> =
		StorageMap<_, Twox64Concat, Round, RoundGateways<T::AccountId>, OptionQuery>;

	/// The cases, by the round the accused was silent in and the accused worker.
	#[pallet::storage]
	pub type Cases<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		Round,
		Blake2_128Concat,
		T::AccountId,
		CaseOf<T>,
		OptionQuery,
	>;

	/// How many cases each recent round has (at most `MaxCasesPerRound` proven; passed cases
	/// come on top).
	#[pallet::storage]
	pub type CasesClaimed<T: Config> = StorageMap<_, Twox64Concat, Round, u32, ValueQuery>;

	/// The open cases that close at the start of each round: `(case round, accused)`.
	#[pallet::storage]
	pub type Closing<T: Config> = StorageMap<
		_,
		Twox64Concat,
		Round,
		BoundedVec<(Round, T::AccountId), T::MaxCasesPerRound>,
		ValueQuery,
	>;

	/// Each accused Ursula's record: cases proven against it, answered, punished.
	#[pallet::storage]
	pub type Records<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, UrsulaRecord, ValueQuery>;

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(block: BlockNumberFor<T>) -> Weight {
			use sp_runtime::traits::UniqueSaturatedInto;
			let block: u32 = block.unique_saturated_into();
			let per_round = T::BlocksPerRound::get().max(1);
			if !block.is_multiple_of(per_round) {
				return Weight::zero();
			}
			Self::start_round(block / per_round)
		}

		fn offchain_worker(_: BlockNumberFor<T>) {
			Self::submit_outbox();
		}

		fn integrity_test() {
			assert!(T::BlocksPerRound::get() > 0, "a round has blocks");
			assert!(T::RoundsPerPeriod::get() > 0, "a period has rounds");
			assert!(T::MaxCasesPerRound::get() > 0, "a round takes a case");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Opens a case against `claim.ursula`: `signatures` are the sr25519 signatures of
		/// [`keymarket_primitives::gateway::claim_signing_payload`] by the gateways of
		/// `claim.round` named in `signers` (ascending index order), at least the round's
		/// threshold of them; `request` is Bob's request exactly as he signed it. Checked
		/// cheapest first: the round and its windows, the case's place, the signer set, the
		/// request and the policy, Bob's signature, then each gateway's.
		///
		/// A silent gateway's proof (`claim.kind` = `Mediate`) also checks Bob's complaints
		/// (each a signature and a work hash): it is charged as [`MAX_MEDIATION_DEPTH`] more
		/// signatures.
		///
		/// Anyone may submit a proof; a signing gateway pays no fee (its duty).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::prove_unavailable(
			(signatures.len() as u32).saturating_add(Pallet::<T>::bob_signatures(claim.kind))
		))]
		#[pallet::feeless_if(|origin: &OriginFor<T>,
			claim: &UnavailabilityClaim<T::AccountId>,
			request: &Request,
			signers: &SignerSet,
			signatures: &Signatures| -> bool {
			let _ = (request, signatures);
			Pallet::<T>::proof_is_a_duty(origin, claim, signers)
		})]
		pub fn prove_unavailable(
			origin: OriginFor<T>,
			claim: UnavailabilityClaim<T::AccountId>,
			request: Request,
			signers: SignerSet,
			signatures: Signatures,
		) -> DispatchResultWithPostInfo {
			let submitter = ensure_signed(origin)?;
			let kind = claim.kind;
			Self::do_prove(submitter, claim, request, signers, &signatures)?;
			let checked = (signatures.len() as u32).saturating_add(Self::bob_signatures(kind));
			Ok(Some(T::WeightInfo::prove_unavailable(checked)).into())
		}

		/// The accused answers its case of `round`: one capsule fragment per capsule of the
		/// complained request, in order, each judged by the adjudicator's check against the
		/// policy's keys. A correct answer voids the case and reports its signing gateways
		/// for a false accusation. The accused pays no fee while its case is open.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::answer_case(cfrags.len() as u32, MAX_GATEWAYS))]
		#[pallet::feeless_if(|origin: &OriginFor<T>,
			round: &Round,
			cfrags: &Answer| -> bool {
			Pallet::<T>::answer_is_a_duty(origin, *round, cfrags.len())
		})]
		pub fn answer_case(
			origin: OriginFor<T>,
			round: Round,
			cfrags: Answer,
		) -> DispatchResultWithPostInfo {
			let ursula = ensure_signed(origin)?;
			let reported = Self::do_answer(ursula, round, cfrags.clone())?;
			Ok(Some(T::WeightInfo::answer_case(cfrags.len() as u32, reported)).into())
		}

		/// The accused gateway of a silent-gateway case of `round` passes it on: it forwarded
		/// Bob's complaint, and the Ursula (or the next round's gateway) it mediated for stayed
		/// silent. Its case is void, and a case opens against that one with this gateway as its
		/// only signer, answerable for a whole answer window; if that one answers it, this
		/// gateway is reported for a false accusation. Only the case's accused may pass it, free
		/// while it is open.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::pass_case())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, round: &Round| -> bool {
			Pallet::<T>::pass_is_a_duty(origin, *round)
		})]
		pub fn pass_case(origin: OriginFor<T>, round: Round) -> DispatchResultWithPostInfo {
			let gateway = ensure_signed(origin)?;
			Self::do_pass(gateway, round)?;
			Ok(().into())
		}
	}
}
