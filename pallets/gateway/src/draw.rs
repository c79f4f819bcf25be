//! The gateways of each round: candidates told by the staking pallet's commitment hook, a
//! period's cumulative stake line, and the draw at the round's first block.

use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::pallet_prelude::BlockNumberFor;
use keymarket_primitives::gateway::{beacon_block, draw_gateways, gateway_seed, MAX_GATEWAYS};

use crate::*;

impl<T: Config> Pallet<T> {
	/// The period of `round`.
	pub fn period_of(round: Round) -> Period {
		round / T::RoundsPerPeriod::get().max(1)
	}

	/// The first block of `round`.
	pub fn round_start(round: Round) -> u32 {
		round.saturating_mul(T::BlocksPerRound::get())
	}

	/// How long a round's records stay: past its proof window, the answer window of a case
	/// opened at the window's end, the answer window of the case a silent gateway may pass it
	/// on to at that window's end, and one more round.
	pub fn retained_rounds() -> Round {
		T::ProofRounds::get()
			.saturating_add(T::AnswerRounds::get().saturating_mul(2))
			.saturating_add(2)
	}

	/// Round `round` begins: draws its gateways, closes the cases whose answer window ended,
	/// and forgets what is past every window. Returns the weight used.
	pub(crate) fn start_round(round: Round) -> Weight {
		let period = Self::period_of(round);
		let line = Lines::<T>::get(period);
		let seed = gateway_seed(&Self::beacon_hash(round), round);
		let n = T::GatewayCount::get().min(MAX_GATEWAYS);
		let drawn = draw_gateways(seed, line.total, n, |point| Self::find(period, line, point));
		let gateways: BoundedVec<_, _> = drawn
			.iter()
			.filter_map(|index| Candidates::<T>::get(period, index))
			.filter_map(|candidate| {
				let keys = T::Ursulas::keys(&candidate.worker)?;
				Some(Gateway { worker: candidate.worker, signing_key: keys.signing_key })
			})
			.collect::<alloc::vec::Vec<_>>()
			.try_into()
			.expect("at most MAX_GATEWAYS were drawn; qed");
		let threshold = T::GatewayThreshold::get();
		Self::deposit_event(Event::RoundStarted {
			round,
			gateways: gateways.len() as u32,
			threshold,
		});
		Rounds::<T>::insert(round, RoundGateways { seed, gateways, threshold });

		let closing = Closing::<T>::take(round);
		let closed = closing.len() as u32;
		for (claimed, ursula) in closing {
			Self::close_case(claimed, &ursula);
		}

		let mut pruned = 0;
		if let Some(old) = round.checked_sub(Self::retained_rounds()) {
			Rounds::<T>::remove(old);
			CasesClaimed::<T>::remove(old);
			pruned = Cases::<T>::clear_prefix(old, T::MaxCasesPerRound::get(), None).backend;
		}
		// A period's line is drawn from while its rounds last: forget the one before last.
		if round.is_multiple_of(T::RoundsPerPeriod::get().max(1)) {
			if let Some(old) = period.checked_sub(2) {
				Lines::<T>::remove(old);
				pruned = pruned.saturating_add(
					Candidates::<T>::clear_prefix(old, T::MaxCandidates::get(), None).backend,
				);
			}
		}
		T::WeightInfo::start_round(drawn.len() as u32, line.count)
			.saturating_add(
				T::WeightInfo::close_case(T::Policies::max_policies_per_ursula())
					.saturating_mul(closed.into()),
			)
			.saturating_add(T::DbWeight::get().writes(pruned.into()))
	}

	/// The hash of round `round`'s beacon block (zero when it is not known).
	fn beacon_hash(round: Round) -> [u8; 32] {
		let block = beacon_block(round, T::BlocksPerRound::get());
		let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::from(block));
		let mut bytes = [0u8; 32];
		let raw = hash.as_ref();
		let len = raw.len().min(32);
		bytes[..len].copy_from_slice(&raw[..len]);
		bytes
	}

	/// The candidate under `point` on `period`'s line: a binary search of the stored starts,
	/// `O(log m)` reads.
	fn find(period: Period, line: Line, point: u128) -> Option<u32> {
		if point >= line.total {
			return None;
		}
		// The last candidate whose stake starts at or before the point.
		let (mut low, mut high) = (0u32, line.count);
		while high - low > 1 {
			let middle = low + (high - low) / 2;
			let start = Candidates::<T>::get(period, middle)?.start;
			if start <= point {
				low = middle;
			} else {
				high = middle;
			}
		}
		(line.count > 0).then_some(low)
	}
}

/// A round's gateways are also its committee for attestations of served work (the activity
/// pallet's second scheme): the same t-of-n list, the same signing keys.
impl<T: Config> keymarket_primitives::activity::Committees<T::AccountId> for Pallet<T> {
	fn committee(round: Round) -> Option<keymarket_primitives::activity::Committee<T::AccountId>> {
		let drawn = Rounds::<T>::get(round)?;
		Some(keymarket_primitives::activity::Committee {
			members: drawn.gateways.into_iter().map(|g| (g.worker, g.signing_key)).collect(),
			threshold: drawn.threshold,
			first_block: Self::round_start(round),
		})
	}
}

impl<T: Config> OnCommitment<T::AccountId> for Pallet<T> {
	/// A worker committed to `commitment.period`: it becomes a candidate of that period's
	/// draws, its stake appended to the period's line (while the line has room).
	fn on_commitment(commitment: &Commitment<T::AccountId>) -> Weight {
		let mut line = Lines::<T>::get(commitment.period);
		if commitment.stake == 0 || line.count >= T::MaxCandidates::get() {
			return T::DbWeight::get().reads(1);
		}
		Candidates::<T>::insert(
			commitment.period,
			line.count,
			Candidate { worker: commitment.worker.clone(), start: line.total },
		);
		line.count += 1;
		line.total = line.total.saturating_add(commitment.stake);
		Lines::<T>::insert(commitment.period, line);
		T::DbWeight::get().reads_writes(1, 2)
	}

	fn max_weight() -> Weight {
		T::DbWeight::get().reads_writes(1, 2)
	}
}
