//! How balances and keys look in JSON: balances as decimal strings (JavaScript numbers lose
//! precision above 2^53), keys as `0x` hex, endpoints as text. Every pallet's views use them,
//! from here. Each module reads back what it writes, so the project's own RPC clients decode the
//! views the node serves with the same types.

/// A number as a decimal string.
pub mod decimal {
	pub fn serialize<B: core::fmt::Display, S: serde::Serializer>(
		value: &B,
		serializer: S,
	) -> Result<S::Ok, S::Error> {
		serializer.collect_str(value)
	}

	pub fn deserialize<'de, B, D>(deserializer: D) -> Result<B, D::Error>
	where
		B: core::str::FromStr,
		B::Err: core::fmt::Display,
		D: serde::Deserializer<'de>,
	{
		let text = <alloc::string::String as serde::Deserialize>::deserialize(deserializer)?;
		text.parse().map_err(serde::de::Error::custom)
	}
}

/// An optional number as a decimal string or `null`.
pub mod decimal_option {
	pub fn serialize<B: core::fmt::Display, S: serde::Serializer>(
		value: &Option<B>,
		serializer: S,
	) -> Result<S::Ok, S::Error> {
		match value {
			Some(value) => serializer.collect_str(value),
			None => serializer.serialize_none(),
		}
	}

	pub fn deserialize<'de, B, D>(deserializer: D) -> Result<Option<B>, D::Error>
	where
		B: core::str::FromStr,
		B::Err: core::fmt::Display,
		D: serde::Deserializer<'de>,
	{
		let text =
			<Option<alloc::string::String> as serde::Deserialize>::deserialize(deserializer)?;
		text.map(|text| text.parse().map_err(serde::de::Error::custom)).transpose()
	}
}

/// The bytes of a `0x`-prefixed (or bare) hex string.
fn unhex<E: serde::de::Error>(text: &str) -> Result<alloc::vec::Vec<u8>, E> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	if !digits.len().is_multiple_of(2) {
		return Err(E::custom("hex of an odd length"));
	}
	(0..digits.len())
		.step_by(2)
		.map(|i| {
			digits
				.get(i..i + 2)
				.and_then(|pair| u8::from_str_radix(pair, 16).ok())
				.ok_or_else(|| E::custom("not hex"))
		})
		.collect()
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

	/// Bytes of a fixed length (an array) or any length (a `Vec<u8>`).
	pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
	where
		T: TryFrom<alloc::vec::Vec<u8>>,
		D: serde::Deserializer<'de>,
	{
		let text = <alloc::string::String as serde::Deserialize>::deserialize(deserializer)?;
		T::try_from(super::unhex(&text)?)
			.map_err(|_| serde::de::Error::custom("hex of the wrong length"))
	}
}

/// An optional hash with a number (a lottery commitment and its round): `["0x…", n]` or `null`.
pub mod hex_and_number_option {
	pub fn serialize<S: serde::Serializer>(
		value: &Option<([u8; 32], u32)>,
		serializer: S,
	) -> Result<S::Ok, S::Error> {
		match value {
			Some((hash, number)) => serde::Serialize::serialize(
				&(format!("0x{}", sp_core::hexdisplay::HexDisplay::from(hash)), number),
				serializer,
			),
			None => serializer.serialize_none(),
		}
	}

	pub fn deserialize<'de, D>(deserializer: D) -> Result<Option<([u8; 32], u32)>, D::Error>
	where
		D: serde::Deserializer<'de>,
	{
		let value = <Option<(alloc::string::String, u32)> as serde::Deserialize>::deserialize(
			deserializer,
		)?;
		value
			.map(|(text, number)| {
				let hash = <[u8; 32]>::try_from(super::unhex(&text)?)
					.map_err(|_| serde::de::Error::custom("hex of the wrong length"))?;
				Ok((hash, number))
			})
			.transpose()
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

	pub fn deserialize<'de, T, D>(deserializer: D) -> Result<alloc::vec::Vec<T>, D::Error>
	where
		T: TryFrom<alloc::vec::Vec<u8>>,
		D: serde::Deserializer<'de>,
	{
		let list = <alloc::vec::Vec<alloc::string::String> as serde::Deserialize>::deserialize(
			deserializer,
		)?;
		list.iter()
			.map(|text| {
				T::try_from(super::unhex(text)?)
					.map_err(|_| serde::de::Error::custom("hex of the wrong length"))
			})
			.collect()
	}
}

/// Bytes as (lossy) UTF-8 text.
pub mod text {
	pub fn serialize<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
		serializer.serialize_str(&String::from_utf8_lossy(bytes))
	}

	pub fn deserialize<'de, D: serde::Deserializer<'de>>(
		deserializer: D,
	) -> Result<alloc::vec::Vec<u8>, D::Error> {
		Ok(<alloc::string::String as serde::Deserialize>::deserialize(deserializer)?.into_bytes())
	}
}

#[cfg(test)]
mod tests {
	use crate::{
		policies::{PolicyStatus, PolicyView},
		slashing::{OffenceKind, PendingSlashView},
		staking::{StakerView, SubStakeView, UrsulaView},
		AccountId, Balance,
	};

	/// Writes `value` as the node's RPC does and reads it back as a client does.
	fn round_trip<T>(value: T)
	where
		T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug,
	{
		let json = serde_json::to_string(&value).unwrap();
		assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value, "{json}");
	}

	#[test]
	fn the_market_and_lottery_views_read_back_and_write_hashes_in_hex() {
		use crate::{
			lottery::CommitmentView,
			market::{NoMatch, Terms, TermsView},
		};
		let view = CommitmentView { current: [1; 32], since: 4, previous: Some(([0xab; 32], 3)) };
		let json = serde_json::to_value(&view).unwrap();
		assert_eq!(json["previous"][0], format!("0x{}", "ab".repeat(32)));
		assert_eq!(json["previous"][1], 3);
		round_trip(view);
		round_trip(CommitmentView { previous: None, ..Default::default() });
		round_trip(TermsView::<Balance> {
			in_force: Terms { min_fee_rate: u128::MAX, capacity: 3 },
			chosen: true,
			next: Some((9, Terms { min_fee_rate: 7, capacity: 1 })),
			load: 2,
			free_places: 1,
		});
		round_trip(NoMatch::<Balance> {
			wanted: 3,
			lowest_rate: Some(1 << 100),
			..Default::default()
		});
		round_trip(NoMatch::<Balance>::default());
	}

	#[test]
	fn every_view_reads_back_what_it_writes() {
		let alice = AccountId::from([1; 32]);
		round_trip(PolicyView::<AccountId, Balance> {
			id: [7; 16],
			owner: alice.clone(),
			bob: AccountId::from([2; 32]),
			bob_key: [3; 33],
			verifying_key: [4; 33],
			policy_key: [5; 33],
			threshold: 2,
			ursulas: vec![alice.clone()],
			signing_keys: vec![[6; 32], [8; 32]],
			start: 3,
			end: 9,
			rate: u128::MAX,
			price: 1 << 90,
			escrow: 10,
			paid: 0,
			paid_by_tickets: 11,
			paid_by_activity: 12,
			status: PolicyStatus::Revoked(4),
		});
		round_trip(UrsulaView::<AccountId, Balance> {
			worker: alice.clone(),
			staker: alice.clone(),
			endpoint: b"http://127.0.0.1:9000".to_vec(),
			umbral_key: [9; 33],
			signing_key: [10; 32],
			registered: true,
			locked: 1 << 100,
			last_committed_period: Some(12),
		});
		round_trip(StakerView::<AccountId, Balance> {
			locked: 5,
			unlocked: 6,
			sub_stakes: vec![SubStakeView { value: 5, remaining_periods: 3, first_period: 1 }],
			wind_down: true,
			restake: false,
			worker: None,
			unrewarded_periods: vec![1, 2],
			downtime: vec![(3, 4)],
		});
		round_trip(PendingSlashView::<AccountId, Balance> {
			id: 3,
			staker: alice.clone(),
			worker: alice,
			kind: OffenceKind::Unavailability { round: 7, earnings: 11 },
			evidence: [12; 32],
			penalty: 13,
			apply_at: 14,
		});
	}

	#[test]
	fn bad_hex_and_bad_numbers_are_refused() {
		let bad = [r#""0x0""#, r#""0xzz""#, r#""0x0102""#];
		for text in bad {
			let mut de = serde_json::Deserializer::from_str(text);
			assert!(super::hex::deserialize::<[u8; 3], _>(&mut de).is_err(), "{text}");
		}
		let mut de = serde_json::Deserializer::from_str(r#""12x""#);
		assert!(super::decimal::deserialize::<u128, _>(&mut de).is_err());
	}
}
