//! # Keymarket runtime
//!
//! ## Overview
//! The state transition function of the Keymarket chain: FRAME pallets composed into one runtime,
//! compiled to `wasm32v1-none` and executed by the node. It holds the standard pallets that any
//! Substrate chain needs (system, timestamp, Aura, GRANDPA, balances, transaction payment, sudo,
//! parameters, skip-feeless-payment) and the market's own: staking, slashing, policies, gateway,
//! lottery and activity.
//!
//! ## Terminology
//! - *Pallet configuration*: one `impl pallet_x::Config for Runtime` per file, in [`configs`];
//!   durations from genesis in [`configs::time`], governance's knobs in [`configs::parameters`].
//! - *Transaction extensions*: [`TxExtension`], built by [`tx_extension`], the one list.
//! - *Runtime APIs*: what the node and RPC clients may call into the runtime, in [`apis`].
//! - *Genesis presets*: named, typed genesis states (`development`, `local_testnet`, `staging`),
//!   in [`genesis_config_presets`].
//!
//! ## Assumptions
//! The crate is `no_std` for the wasm build; with `std` it also exposes the wasm blob to the node.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime` and `impl_runtime_apis` expand into deep recursion.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;
// The runtime macros expect `Vec` in scope.
use alloc::vec::Vec;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod market;
pub mod weights;

pub use configs::parameters::{dynamic_params, RuntimeParameters, RuntimeParametersKey};

#[cfg(test)]
mod capacity_tests;
#[cfg(test)]
mod session_tests;
#[cfg(test)]
mod tests;

use sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256};
use sp_version::{runtime_version, RuntimeVersion};

pub use keymarket_primitives::{
	AccountId, Balance, BlockNumber, Hash, Nonce, Signature, MICRO_UNITS, MILLISECS_PER_BLOCK,
	MILLI_UNITS, UNITS,
};

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Types the node needs without knowing the runtime's extrinsic format: it only moves bytes.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// A block header.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// A block whose extrinsics are opaque bytes.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;

	impl_opaque_keys! {
		/// The keys a validator registers: one for block authoring, one for finality voting.
		pub struct SessionKeys {
			pub aura: Aura,
			pub grandpa: Grandpa,
		}
	}
}

/// The runtime's identity. Bump `spec_version` with every change of behaviour, and
/// `transaction_version` whenever the encoding of a call or of the extensions changes.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("keymarket"),
	impl_name: alloc::borrow::Cow::Borrowed("keymarket-node"),
	authoring_version: 1,
	spec_version: 111,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 6,
	system_version: 1,
};

/// An Aura slot lasts one block time.
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

/// The smallest balance an account may hold; below it the account is reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNITS;

/// How a transaction names the account it acts on.
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;

/// A block header as this runtime sees it.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// A block as this runtime sees it.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The pallets whose calls include an Ursula's duties, each saying which are due
/// (`keymarket_primitives::duty`): a pallet with duties joins here, not in the extension list.
pub type Duties = (
	pallet_keymarket_staking::CommitDuty<Runtime>,
	pallet_keymarket_gateway::GatewayDuties<Runtime>,
	pallet_keymarket_lottery::LotteryDuties<Runtime>,
	pallet_keymarket_activity::ActivityDuties<Runtime>,
);

/// The one transaction extension of duties: gives every pallet's due duties their place in the
/// pool and refuses free ones that cannot succeed.
pub type CheckDuties = keymarket_primitives::duty::CheckDuties<RuntimeCall, AccountId, Duties>;

/// The checks and charges every signed transaction passes through, in order. polkadot.js and
/// substrate-interface build the same list from the metadata. `CheckDuties` gives an Ursula's
/// duty transactions their place (and refuses those that cannot succeed); the fee charge skips
/// the calls whose `feeless_if` holds (a duty that is due) and looks like the plain
/// `ChargeTransactionPayment` to every client.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	CheckDuties,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_skip_feeless_payment::SkipCheckIfFeeless<
		Runtime,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	>,
	frame_system::WeightReclaim<Runtime>,
);

/// An extrinsic as it travels: address, signature and extensions around a call.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The extensions of a transaction in `era` with `nonce` and `tip`: the one place the list's
/// values are spelled, for the node's off-chain workers, its clients and the tests.
pub fn tx_extension(era: sp_runtime::generic::Era, nonce: Nonce, tip: Balance) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(era),
		CheckDuties::new(),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip).into(),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// What a signer off chain signs beside the call and [`tx_extension`]'s values, in the same
/// order: the spec and transaction versions, the genesis hash and the hash of the era's first
/// block (the genesis hash for an immortal transaction).
pub fn tx_implicit(
	spec_version: u32,
	tx_version: u32,
	genesis: Hash,
	era_block: Hash,
) -> <TxExtension as sp_runtime::traits::TransactionExtension<RuntimeCall>>::Implicit {
	((), spec_version, tx_version, genesis, era_block, (), (), (), (), ())
}

/// [`tx_extension`] of an immortal transaction: what the node's clients and the tests sign.
pub fn immortal_tx_extension(nonce: Nonce, tip: Balance) -> TxExtension {
	tx_extension(sp_runtime::generic::Era::Immortal, nonce, tip)
}

/// What a signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations run on a runtime upgrade, each once from the storage version it starts from
/// (spec 107: a request's price moved from the lottery's payers to the policy's grant, and
/// policies are settled `SettleDelay` periods after their end).
type Migrations = (
	pallet_keymarket_policies::migrations::v2::Migrate<Runtime>,
	pallet_keymarket_lottery::migrations::v2::Migrate<Runtime>,
);

/// Dispatches blocks and transactions to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	// Declared before the session: it finds the block's author (for its fees) in the set that
	// chose the author, before a rotation changes it.
	#[runtime::pallet_index(17)]
	pub type Authorship = pallet_authorship;

	// Declared before the consensus pallets: genesis builds the invulnerables before the
	// session's first set, and each block rotates the session before Aura and GRANDPA run.
	#[runtime::pallet_index(15)]
	pub type Validators = pallet_keymarket_validators;

	#[runtime::pallet_index(16)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Staking = pallet_keymarket_staking;

	#[runtime::pallet_index(8)]
	pub type Slashing = pallet_keymarket_slashing;

	#[runtime::pallet_index(9)]
	pub type Policies = pallet_keymarket_policies;

	#[runtime::pallet_index(10)]
	pub type Parameters = pallet_parameters;

	#[runtime::pallet_index(11)]
	pub type SkipFeelessPayment = pallet_skip_feeless_payment;

	#[runtime::pallet_index(12)]
	pub type Gateway = pallet_keymarket_gateway;

	#[runtime::pallet_index(13)]
	pub type Lottery = pallet_keymarket_lottery;

	#[runtime::pallet_index(14)]
	pub type Activity = pallet_keymarket_activity;
}
