//! The market's views for the runtime API: the staking pallet's active set and terms joined
//! with the policies pallet's places, handed to the one matching and pricing code in
//! `keymarket_primitives::market`.

use alloc::vec::Vec;
use keymarket_primitives::market::{self, Candidate, NoMatch, Offer, PricePoint, TermsView};

use crate::{AccountId, Balance, Policies, Staking};

/// The terms of the Ursula of `worker`, in force now and to come, with its free places.
pub fn terms(worker: AccountId) -> Option<TermsView<Balance>> {
	let info = pallet_keymarket_staking::Workers::<crate::Runtime>::get(&worker)?;
	let now = Staking::current_period();
	let record = pallet_keymarket_staking::StakerTerms::<crate::Runtime>::get(&info.staker);
	let in_force = Staking::terms_of(&info.staker, now);
	let next = record
		.and_then(|record| record.next)
		.filter(|(from, _)| *from > now)
		.map(|(from, terms)| (from, Staking::bounded_terms(Some(terms))));
	let load = pallet_keymarket_policies::UrsulaLoad::<crate::Runtime>::get(&worker);
	Some(TermsView {
		in_force,
		chosen: record.and_then(|record| record.set_for(now)).is_some(),
		next,
		load,
		free_places: Policies::free_places(&worker, in_force.capacity),
	})
}

/// The current period's active Ursulas in sampling order, each as matching sees it.
fn candidates() -> (Vec<AccountId>, Vec<Candidate>) {
	let now = Staking::current_period();
	Staking::active_ursulas(now)
		.into_iter()
		.map(|ursula| {
			let terms = Staking::terms_of(&ursula.staker, now);
			let candidate = Candidate {
				stake: ursula.locked,
				min_fee_rate: terms.min_fee_rate,
				free_places: Policies::free_places(&ursula.worker, terms.capacity),
				locked_through: Staking::locked_through(&ursula.staker),
			};
			(ursula.worker, candidate)
		})
		.unzip()
}

/// `n` active Ursulas that fit `rate` and a policy ending at `end`, drawn by stake from `seed`.
pub fn sample_fitting(
	seed: [u8; 32],
	n: u32,
	rate: Balance,
	end: keymarket_primitives::staking::Period,
) -> Result<Vec<AccountId>, NoMatch<Balance>> {
	let (workers, candidates) = candidates();
	let chosen = market::draw(&candidates, &Offer { rate, end }, n, seed)?;
	Ok(chosen.into_iter().filter_map(|i| workers.get(i as usize).cloned()).collect())
}

/// The stake on offer at or below each of `rates`.
pub fn price_distribution(rates: Vec<Balance>) -> Vec<PricePoint<Balance>> {
	market::price_distribution(&candidates().1, &rates)
}
