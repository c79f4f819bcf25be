//! Weights for `pallet_keymarket_gateway`: a placeholder of generous figures that
//! `./scripts/bench pallet_keymarket_gateway` replaces with the benchmarked ones.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::Weight};
use core::marker::PhantomData;

/// Weight functions for `pallet_keymarket_gateway`.
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_keymarket_gateway::WeightInfo for WeightInfo<T> {
	fn prove_unavailable(s: u32, ) -> Weight {
		Weight::from_parts(200_000_000, 20_000)
			.saturating_add(Weight::from_parts(60_000_000, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads_writes(12, 5))
	}
	fn answer_case(c: u32, g: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 20_000)
			.saturating_add(Weight::from_parts(20_000_000_000, 0).saturating_mul(c.into()))
			.saturating_add(Weight::from_parts(150_000_000, 5_000).saturating_mul(g.into()))
			.saturating_add(T::DbWeight::get().reads_writes(8, 4))
			.saturating_add(T::DbWeight::get().reads_writes(12, 8).saturating_mul(g.into()))
	}
	fn start_round(n: u32, m: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(Weight::from_parts(50_000_000, 3_000).saturating_mul(n.into()))
			.saturating_add(Weight::from_parts(10_000, 0).saturating_mul(m.into()))
			.saturating_add(T::DbWeight::get().reads(15).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(4, 4))
	}
	fn close_case(p: u32, ) -> Weight {
		Weight::from_parts(300_000_000, 20_000)
			.saturating_add(Weight::from_parts(50_000_000, 3_000).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads_writes(20, 12))
			.saturating_add(T::DbWeight::get().reads_writes(3, 3).saturating_mul(p.into()))
	}
}
