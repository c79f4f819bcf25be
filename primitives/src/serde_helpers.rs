//! How balances and keys look in JSON: balances as decimal strings (JavaScript numbers lose
//! precision above 2^53), keys as `0x` hex, endpoints as text. Every pallet's views use them,
//! from here.

/// A number as a decimal string.
pub mod decimal {
	pub fn serialize<B: core::fmt::Display, S: serde::Serializer>(
		value: &B,
		serializer: S,
	) -> Result<S::Ok, S::Error> {
		serializer.collect_str(value)
	}
}

/// Bytes as a `0x`-prefixed hex string.
pub mod hex {
	pub fn serialize<S: serde::Serializer>(
		bytes: impl AsRef<[u8]>,
		serializer: S,
	) -> Result<S::Ok, S::Error> {
		serializer.collect_str(&format_args!(
			"0x{}",
			sp_core::hexdisplay::HexDisplay::from(&bytes.as_ref())
		))
	}
}

/// A list of byte strings, each a `0x`-prefixed hex string.
pub mod hex_list {
	pub fn serialize<S: serde::Serializer, B: AsRef<[u8]>>(
		list: &[B],
		serializer: S,
	) -> Result<S::Ok, S::Error> {
		serializer.collect_seq(
			list.iter().map(|bytes| {
				format!("0x{}", sp_core::hexdisplay::HexDisplay::from(&bytes.as_ref()))
			}),
		)
	}
}

/// Bytes as (lossy) UTF-8 text.
pub mod text {
	pub fn serialize<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
		serializer.serialize_str(&String::from_utf8_lossy(bytes))
	}
}
