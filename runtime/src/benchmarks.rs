//! The pallets whose benchmarks the node's `benchmark pallet` runs (feature `runtime-benchmarks`).

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_keymarket_staking, Staking]
	[pallet_keymarket_slashing, Slashing]
	[pallet_keymarket_policies, Policies]
	[pallet_keymarket_gateway, Gateway]
	[pallet_keymarket_lottery, Lottery]
	[pallet_keymarket_activity, Activity]
	[pallet_keymarket_validators, Validators]
	[pallet_parameters, Parameters]
);

impl frame_system_benchmarking::Config for crate::Runtime {}
