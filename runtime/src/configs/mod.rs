//! One `Config` implementation per pallet, one file each. What a chain spec chooses (the
//! durations) is read from genesis state in [`time`]; what governance may tune (fee rates,
//! penalties, shares, gateways) is a `pallet-parameters` parameter in [`parameters`]; everything else is a
//! constant beside the pallet it configures.

mod activity;
mod balances;
mod consensus;
mod fees;
mod gateway;
mod lottery;
mod offchain;
pub mod parameters;
mod policies;
mod slashing;
mod staking;
mod sudo;
mod system;
pub mod time;
mod validators;

pub use fees::ToBlockAuthor;
pub use offchain::worker_key;
pub use system::{RuntimeBlockLength, RuntimeBlockWeights};
#[cfg(feature = "runtime-benchmarks")]
pub use {
	activity::ActivityBenchmarks, gateway::GatewayBenchmarks, lottery::LotteryBenchmarks,
	policies::PoliciesBenchmarks, slashing::SlashingBenchmarks, validators::ValidatorsBenchmarks,
};
