//! The market's terms and matching: what each Ursula asks (a minimum fee rate per period and the
//! places it offers), which Ursulas fit what an Alice offers, and what the market looks like
//! (the stake on offer at each price, the prices policies agreed). The staking pallet keeps the
//! terms, the policies pallet enforces them and records the prices; the runtime API
//! ([`MarketApi`]) and the `keymarket_*` market RPC methods serve this module's views.
//!
//! Matching is the shared sampling ([`crate::sampling`]) over the active set in its usual
//! order, with the weight of every Ursula whose terms do not fit set to zero: anyone who knows
//! the seed, the block and Alice's offer draws the same Ursulas, so a hand-picked set shows.

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{sampling::sample_weighted, time::Period};

/// The most rates one price-distribution query may ask about (each costs a pass over the
/// sorted asks, after one sort of the active set).
pub const MAX_PRICE_POINTS: u32 = 64;

/// The most periods one query of the prices paid may cover.
pub const MAX_PRICE_PERIODS: u32 = 256;

/// What a staker asks of the policies its Ursula takes.
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
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct Terms<Balance> {
	/// The least fee per period a policy must pay this Ursula.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub min_fee_rate: Balance,
	/// The most policies it serves at a time (at most the chain's `MaxPoliciesPerUrsula`).
	pub capacity: u32,
}

/// An Ursula's terms as integrators see them: those in force now (the governance range and the
/// chain's maximum applied), the staker's change that takes effect later, and its free places.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct TermsView<Balance> {
	/// In force in the current period: what `create_policy` checks.
	pub in_force: Terms<Balance>,
	/// Whether the staker set them (or they are the chain's defaults: the lowest rate and the
	/// most places).
	pub chosen: bool,
	/// A change the staker made, and the period it takes effect in.
	pub next: Option<(Period, Terms<Balance>)>,
	/// The live policies it serves.
	pub load: u32,
	/// The places left under its capacity.
	pub free_places: u32,
}

/// One active Ursula as matching sees it, in the active set's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
	/// Its weight in sampling: the stake committed for the period.
	pub stake: u128,
	/// The least rate it takes now.
	pub min_fee_rate: u128,
	/// Places left under its capacity.
	pub free_places: u32,
	/// The last period through which its staker keeps at least the minimum stake locked
	/// (`None`: the locks stand still, wind-down is off).
	pub locked_through: Option<Period>,
}

/// What an Alice offers: a rate per Ursula per period and the policy's end (its first period
/// after service).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct Offer {
	/// The fee per Ursula per period.
	pub rate: u128,
	/// The first period after the policy's service.
	pub end: Period,
}

/// The term that keeps an Ursula out of a draw, the first that fails in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Obstacle {
	/// It has no free place.
	Full,
	/// Its stake unlocks before the policy ends.
	UnlocksEarly,
	/// It asks more than the rate offered.
	RateTooLow,
}

impl Candidate {
	/// Whether it would take `offer`, or the first term that keeps it out.
	pub fn fits(&self, offer: &Offer) -> Result<(), Obstacle> {
		if self.free_places == 0 {
			return Err(Obstacle::Full);
		}
		if self.locked_through.is_some_and(|last| last.saturating_add(1) < offer.end) {
			return Err(Obstacle::UnlocksEarly);
		}
		if self.min_fee_rate > offer.rate {
			return Err(Obstacle::RateTooLow);
		}
		Ok(())
	}
}

/// Why no `wanted` Ursulas fit an offer: how many were active and how many each term kept out.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Default,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct NoMatch<Balance> {
	/// The Ursulas asked for.
	pub wanted: u32,
	/// Active in the period (with stake).
	pub active: u32,
	/// Those that fit.
	pub fitting: u32,
	/// Kept out by capacity: no free place.
	pub full: u32,
	/// Kept out because their stake unlocks before the policy ends.
	pub unlocks_early: u32,
	/// Kept out by their minimum rate (having room and stake through the end).
	pub rate_too_low: u32,
	/// The least rate at which `wanted` Ursulas would fit, all else equal (`None`: no rate
	/// would do, capacity or locks are the obstacle).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal_option"))]
	pub lowest_rate: Option<Balance>,
}

impl<Balance> NoMatch<Balance> {
	/// The obstacle in words, for clients.
	pub fn explain(&self) -> alloc::string::String
	where
		Balance: core::fmt::Display,
	{
		let mut text = alloc::format!(
			"{} of {} active Ursulas fit, {} are needed: {} full, {} unlock before the policy ends, {} ask a higher rate",
			self.fitting, self.active, self.wanted, self.full, self.unlocks_early, self.rate_too_low
		);
		match &self.lowest_rate {
			Some(rate) if self.rate_too_low > 0 => {
				text.push_str(&alloc::format!("; a rate of {rate} would find {}", self.wanted))
			},
			Some(_) => {},
			None => text.push_str("; no rate would find enough: fewer Ursulas or a shorter policy"),
		}
		text
	}
}

/// Draws `n` distinct candidates that fit `offer`, by stake, from `seed`'s hash chain: the
/// shared sampling over the whole list with the weights of those that do not fit set to zero.
/// Returns their indices, or what kept the others out.
pub fn draw(
	candidates: &[Candidate],
	offer: &Offer,
	n: u32,
	seed: [u8; 32],
) -> Result<Vec<u32>, NoMatch<u128>> {
	let mut no_match = NoMatch { wanted: n, ..Default::default() };
	let mut rates_with_room = Vec::new();
	let weights: Vec<u128> = candidates
		.iter()
		.map(|candidate| {
			if candidate.stake == 0 {
				return 0;
			}
			no_match.active += 1;
			match candidate.fits(offer) {
				Ok(()) => {
					no_match.fitting += 1;
					rates_with_room.push(candidate.min_fee_rate);
					candidate.stake
				},
				Err(Obstacle::Full) => {
					no_match.full += 1;
					0
				},
				Err(Obstacle::UnlocksEarly) => {
					no_match.unlocks_early += 1;
					0
				},
				Err(Obstacle::RateTooLow) => {
					no_match.rate_too_low += 1;
					rates_with_room.push(candidate.min_fee_rate);
					0
				},
			}
		})
		.collect();
	if no_match.fitting >= n && n > 0 {
		if let Ok(chosen) = sample_weighted(seed, &weights, n as usize) {
			return Ok(chosen);
		}
	}
	rates_with_room.sort_unstable();
	no_match.lowest_rate = n.checked_sub(1).and_then(|i| rates_with_room.get(i as usize).copied());
	Err(no_match)
}

/// The market at one rate: the active Ursulas that take it, their stake and free places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct PricePoint<Balance> {
	/// The rate asked about.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub rate: Balance,
	/// Active Ursulas whose minimum is at or below it and that have a free place.
	pub ursulas: u32,
	/// Their committed stake.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub stake: Balance,
	/// Their free places.
	pub free_places: u32,
}

/// The stake on offer at or below each of `rates` (at most [`MAX_PRICE_POINTS`] of them, the
/// rest ignored): Ursulas with a free place whose minimum rate is at most the rate. One sort of
/// the candidates, then one binary search per rate.
pub fn price_distribution(candidates: &[Candidate], rates: &[u128]) -> Vec<PricePoint<u128>> {
	let mut asks: Vec<(u128, u128, u32)> = candidates
		.iter()
		.filter(|c| c.stake > 0 && c.free_places > 0)
		.map(|c| (c.min_fee_rate, c.stake, c.free_places))
		.collect();
	asks.sort_unstable_by_key(|(rate, _, _)| *rate);
	// Running sums: the stake and places of the first `i` asks.
	let mut stake = Vec::with_capacity(asks.len() + 1);
	let mut places = Vec::with_capacity(asks.len() + 1);
	stake.push(0u128);
	places.push(0u32);
	for (_, s, p) in &asks {
		stake.push(stake.last().copied().unwrap_or_default().saturating_add(*s));
		places.push(places.last().copied().unwrap_or_default().saturating_add(*p));
	}
	rates
		.iter()
		.take(MAX_PRICE_POINTS as usize)
		.map(|rate| {
			let taken = asks.partition_point(|(ask, _, _)| ask <= rate);
			PricePoint {
				rate: *rate,
				ursulas: taken as u32,
				stake: stake[taken],
				free_places: places[taken],
			}
		})
		.collect()
}

/// The prices of the policies made in one period: how many, how many Ursula places they took,
/// and the rates they agreed (lowest, highest, and the sum over places, for the mean).
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct PriceRecord<Balance> {
	/// Policies made.
	pub policies: u32,
	/// Ursula places they took (the sum of their N).
	pub places: u32,
	/// The lowest rate agreed.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub min_rate: Balance,
	/// The highest rate agreed.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub max_rate: Balance,
	/// `Σ rate · N`: what the period's new policies pay per period of service, all together;
	/// divided by `places`, the mean rate.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub per_period: Balance,
}

/// What a policy costs Alice, before she signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct Quote<Balance> {
	/// `rate · N · periods`, held in escrow and paid out per period served (the rest refunded).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub escrow: Balance,
	/// `PlaceFee · N`, paid to the Ursulas' stakers at once, never refunded.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub place_fees: Balance,
	/// The record's deposit, held and returned when the record is removed.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub deposit: Balance,
	/// All three: what must be free on her account (the transaction fee aside).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub total: Balance,
}

/// The seed of the draw for a policy: anyone who knows the policy id, the offer and the block
/// the draw was made at draws the same Ursulas.
pub fn draw_seed(policy: &crate::policies::PolicyId) -> [u8; 32] {
	let mut bytes = b"keymarket/draw/v1".to_vec();
	bytes.extend_from_slice(policy);
	sp_crypto_hashing::blake2_256(&bytes)
}

sp_api::decl_runtime_apis! {
	/// Terms, matching and prices for Alices, operators and integrators.
	pub trait MarketApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// The terms of the Ursula of `worker` and its free places; `None` if not bonded.
		fn terms(worker: AccountId) -> Option<TermsView<Balance>>;
		/// `n` distinct Ursulas of the current period's active set that fit `rate` and a
		/// policy ending at `end`, drawn by stake from `seed` ([`draw`]), or why not.
		fn sample_fitting(
			seed: [u8; 32],
			n: u32,
			rate: Balance,
			end: Period,
		) -> Result<Vec<AccountId>, NoMatch<Balance>>;
		/// The stake on offer at or below each of `rates` in the current period (at most
		/// [`MAX_PRICE_POINTS`] rates).
		fn price_distribution(rates: Vec<Balance>) -> Vec<PricePoint<Balance>>;
		/// The prices of the policies made in periods `from..=to` that are still remembered
		/// (at most [`MAX_PRICE_PERIODS`] periods: the newest of a longer range).
		fn prices_paid(from: Period, to: Period) -> Vec<(Period, PriceRecord<Balance>)>;
		/// What a policy of `n` Ursulas at `rate` for `periods` periods costs; `None` if it
		/// overflows.
		fn quote(n: u32, rate: Balance, periods: Period) -> Option<Quote<Balance>>;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn ursula(stake: u128, min_fee_rate: u128, free_places: u32) -> Candidate {
		Candidate { stake, min_fee_rate, free_places, locked_through: None }
	}

	const OFFER: Offer = Offer { rate: 100, end: 20 };

	#[test]
	fn the_draw_takes_only_fitting_ursulas_and_is_the_shared_sampling_with_zeroed_weights() {
		let candidates = [
			ursula(500, 50, 3),
			ursula(900, 150, 3), // asks too much
			ursula(700, 100, 0), // full
			ursula(300, 10, 1),
			Candidate { locked_through: Some(18), ..ursula(800, 10, 2) }, // unlocks early
			ursula(0, 10, 5),                                             // not active
		];
		for i in 0u8..50 {
			let chosen = draw(&candidates, &OFFER, 2, [i; 32]).unwrap();
			let mut sorted = chosen.clone();
			sorted.sort();
			assert_eq!(sorted, vec![0, 3], "seed {i}");
			let weights = [500, 0, 0, 300, 0, 0];
			assert_eq!(chosen, sample_weighted([i; 32], &weights, 2).unwrap());
		}
		// Locked through the policy's last period (19) is enough.
		let through = Candidate { locked_through: Some(19), ..ursula(800, 10, 2) };
		assert_eq!(through.fits(&OFFER), Ok(()));
	}

	#[test]
	fn no_match_counts_each_obstacle_and_names_the_rate_that_would_do() {
		let candidates = [
			ursula(500, 50, 3),
			ursula(900, 150, 3),
			ursula(400, 120, 3),
			ursula(700, 100, 0),
			Candidate { locked_through: Some(5), ..ursula(800, 10, 2) },
			ursula(0, 10, 5),
		];
		let no = draw(&candidates, &OFFER, 3, [1; 32]).unwrap_err();
		assert_eq!(
			no,
			NoMatch {
				wanted: 3,
				active: 5,
				fitting: 1,
				full: 1,
				unlocks_early: 1,
				rate_too_low: 2,
				lowest_rate: Some(150),
			}
		);
		assert!(no.explain().contains("a rate of 150 would find 3"), "{}", no.explain());
		// With the rate that it names, the draw succeeds.
		assert!(draw(&candidates, &Offer { rate: 150, ..OFFER }, 3, [1; 32]).is_ok());
		// Four cannot be had at any rate: capacity and locks are the obstacle.
		let no = draw(&candidates, &OFFER, 4, [1; 32]).unwrap_err();
		assert_eq!(no.lowest_rate, None);
		assert!(no.explain().contains("no rate would find enough"), "{}", no.explain());
		// Zero Ursulas is no sample.
		assert_eq!(draw(&candidates, &OFFER, 0, [1; 32]).unwrap_err().lowest_rate, None);
	}

	#[test]
	fn the_price_distribution_sums_the_stake_at_or_below_each_rate() {
		let candidates =
			[ursula(500, 50, 3), ursula(900, 150, 2), ursula(700, 100, 0), ursula(300, 50, 1)];
		let points = price_distribution(&candidates, &[10, 50, 149, 150, u128::MAX]);
		let summary: Vec<_> =
			points.iter().map(|p| (p.rate, p.ursulas, p.stake, p.free_places)).collect();
		assert_eq!(
			summary,
			vec![
				(10, 0, 0, 0),
				(50, 2, 800, 4),
				(149, 2, 800, 4),
				(150, 3, 1_700, 6),
				(u128::MAX, 3, 1_700, 6),
			]
		);
		let many: Vec<u128> = (0..1_000).collect();
		assert_eq!(price_distribution(&candidates, &many).len(), MAX_PRICE_POINTS as usize);
	}

	#[test]
	fn the_draw_seed_is_bound_to_the_policy() {
		assert_ne!(draw_seed(&[1; 16]), draw_seed(&[2; 16]));
		assert_eq!(draw_seed(&[1; 16]), draw_seed(&[1; 16]));
	}
}
