//! # Keymarket primitives
//!
//! ## Overview
//! The types that Keymarket's runtime, node and clients must agree on byte for byte, one home
//! each: accounts, balances, block numbers, signatures (here); the chain's time and durations
//! ([`time`]); the interface through which pallets read the Ursulas ([`registry`]); each pallet's
//! runtime API, views and vocabulary ([`staking`], [`slashing`], [`policies`], [`market`]); the wire formats
//! and the one check of a capsule fragment ([`policies`]); sampling and MessagePack reading. Every
//! side runs one implementation of each algorithm.
//!
//! ## Assumptions
//! The crate is `no_std`: it compiles into the runtime's wasm as well as into the node.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod activity;
pub mod crypto;
pub mod duty;
pub mod framing;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod gateway;
pub mod lottery;
pub mod market;
pub mod msgpack;
pub mod outbox;
pub mod policies;
pub mod registry;
pub mod sampling;
#[cfg(feature = "std")]
pub mod serde_helpers;
pub mod slashing;
pub mod staking;
pub mod time;
pub mod zk;

use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	MultiSignature,
};

/// A block number: 6 s a block, so `u32` lasts more than 800 years.
pub type BlockNumber = u32;

/// The signature scheme of accounts: sr25519, ed25519 or ecdsa, as polkadot.js signs.
pub type Signature = MultiSignature;

/// An account: the public key behind a [`Signature`].
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// An amount of the native token, in its smallest unit.
pub type Balance = u128;

/// An Umbral public key: a compressed secp256k1 point.
pub type UmbralPublicKey = [u8; 33];

/// The per-account transaction counter.
pub type Nonce = u32;

/// A block or extrinsic hash.
pub type Hash = sp_core::H256;

/// Decimal places of the native token: one `KEY` is `10^12` units.
pub const TOKEN_DECIMALS: u8 = 12;

/// The token's symbol as wallets show it.
pub const TOKEN_SYMBOL: &str = "KEY";

/// One whole token.
pub const UNITS: Balance = 10u128.pow(TOKEN_DECIMALS as u32);

/// A thousandth of a token.
pub const MILLI_UNITS: Balance = UNITS / 1_000;

/// A millionth of a token.
pub const MICRO_UNITS: Balance = UNITS / 1_000_000;

/// The SS58 prefix of Keymarket addresses (42: the generic Substrate prefix, until one is registered).
pub const SS58_PREFIX: u16 = 42;

/// Target block time: one Aura slot.
pub const MILLISECS_PER_BLOCK: u64 = 6_000;

/// Blocks in a minute at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);

/// Blocks in an hour.
pub const HOURS: BlockNumber = MINUTES * 60;

/// Blocks in a day.
pub const DAYS: BlockNumber = HOURS * 24;

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn one_token_is_a_thousand_milli_tokens() {
		assert_eq!(UNITS, 1_000 * MILLI_UNITS);
		assert_eq!(MILLI_UNITS, 1_000 * MICRO_UNITS);
	}

	#[test]
	fn a_day_is_fourteen_thousand_four_hundred_blocks() {
		assert_eq!(MINUTES, 10);
		assert_eq!(DAYS, 14_400);
	}
}
