//! A `no_std` MessagePack reader for umbral-pre's byte serialization.
//!
//! umbral-pre serializes its objects (capsules, key fragments, capsule fragments) with serde into
//! MessagePack, and its Python and JavaScript packages read and write the same bytes. The usual
//! MessagePack crate needs `std`, so the runtime reads them with this small serde deserializer
//! instead. It understands the part of MessagePack that umbral-pre writes: arrays (structs are
//! written as arrays of their fields), binary strings (curve points, scalars, signatures, ids),
//! booleans, unsigned integers, text and nil. Anything else, trailing bytes, nesting deeper
//! than [`MAX_DEPTH`], or the point at infinity (on which umbral-pre 0.11 panics) is an error,
//! never a panic. The node reads umbral-pre objects from outside with this reader too, never
//! with umbral-pre's own `from_bytes`.

use alloc::string::{String, ToString};
use core::fmt;
use serde::de::{self, DeserializeSeed, Visitor};

/// How deeply arrays may nest (umbral-pre's objects nest two levels).
pub const MAX_DEPTH: u8 = 8;

/// Why bytes could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(&self.0)
	}
}

impl de::Error for Error {
	fn custom<M: fmt::Display>(msg: M) -> Self {
		Error(msg.to_string())
	}
}

impl de::StdError for Error {}

fn error(msg: &str) -> Error {
	Error(msg.into())
}

/// Reads one `T` from `bytes`, which must hold exactly one MessagePack value.
pub fn from_slice<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Error> {
	let mut reader = Reader { input: bytes, depth: 0 };
	let value = T::deserialize(&mut reader)?;
	if !reader.input.is_empty() {
		return Err(error("trailing bytes"));
	}
	Ok(value)
}

struct Reader<'de> {
	input: &'de [u8],
	depth: u8,
}

impl<'de> Reader<'de> {
	fn take(&mut self, n: usize) -> Result<&'de [u8], Error> {
		if self.input.len() < n {
			return Err(error("unexpected end of input"));
		}
		let (head, rest) = self.input.split_at(n);
		self.input = rest;
		Ok(head)
	}

	fn byte(&mut self) -> Result<u8, Error> {
		Ok(self.take(1)?[0])
	}

	fn uint(&mut self, width: usize) -> Result<u64, Error> {
		Ok(self.take(width)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
	}

	fn peek(&self) -> Result<u8, Error> {
		self.input.first().copied().ok_or_else(|| error("unexpected end of input"))
	}
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
	type Error = Error;

	// umbral-pre reads bytes from binary formats and hex text from human-readable ones.
	fn is_human_readable(&self) -> bool {
		false
	}

	fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
		let marker = self.byte()?;
		match marker {
			0x00..=0x7f => visitor.visit_u64(u64::from(marker)),
			0x90..=0x9f => self.array(usize::from(marker & 0x0f), visitor),
			0xa0..=0xbf => self.text(usize::from(marker & 0x1f), visitor),
			0xc0 => visitor.visit_unit(),
			0xc2 => visitor.visit_bool(false),
			0xc3 => visitor.visit_bool(true),
			0xc4..=0xc6 => {
				let len = self.uint(1 << (marker - 0xc4))? as usize;
				let bytes = self.take(len)?;
				// SEC1's encoding of the point at infinity. umbral-pre 0.11 takes it for a curve
				// point, then panics when it hashes one (it assumes 33 compressed bytes); no
				// umbral-pre object holds it, so it is refused here, before umbral-pre sees it.
				if bytes == [0x00] {
					return Err(error("the point at infinity"));
				}
				visitor.visit_borrowed_bytes(bytes)
			},
			0xcc..=0xcf => {
				let value = self.uint(1 << (marker - 0xcc))?;
				visitor.visit_u64(value)
			},
			0xd9..=0xdb => {
				let len = self.uint(1 << (marker - 0xd9))? as usize;
				self.text(len, visitor)
			},
			0xdc | 0xdd => {
				let len = self.uint(if marker == 0xdc { 2 } else { 4 })? as usize;
				self.array(len, visitor)
			},
			_ => Err(error("unsupported MessagePack type")),
		}
	}

	fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
		if self.peek()? == 0xc0 {
			self.take(1)?;
			visitor.visit_none()
		} else {
			visitor.visit_some(self)
		}
	}

	fn deserialize_newtype_struct<V: Visitor<'de>>(
		self,
		_name: &'static str,
		visitor: V,
	) -> Result<V::Value, Error> {
		visitor.visit_newtype_struct(self)
	}

	fn deserialize_enum<V: Visitor<'de>>(
		self,
		_name: &'static str,
		_variants: &'static [&'static str],
		_visitor: V,
	) -> Result<V::Value, Error> {
		Err(error("enums are not part of umbral-pre's format"))
	}

	serde::forward_to_deserialize_any! {
		bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
		bytes byte_buf unit unit_struct seq tuple
		tuple_struct map struct identifier ignored_any
	}
}

impl<'de> Reader<'de> {
	fn array<V: Visitor<'de>>(&mut self, len: usize, visitor: V) -> Result<V::Value, Error> {
		if self.depth >= MAX_DEPTH {
			return Err(error("nested too deeply"));
		}
		// Every element takes at least one byte: a longer count is a lie, refused before work.
		if len > self.input.len() {
			return Err(error("array longer than its input"));
		}
		self.depth += 1;
		let mut elements = Elements { reader: self, left: len };
		let value = visitor.visit_seq(&mut elements)?;
		// A struct reads exactly its fields: more elements than that is not umbral-pre's format.
		if elements.left != 0 {
			return Err(error("array longer than its struct"));
		}
		self.depth -= 1;
		Ok(value)
	}

	fn text<V: Visitor<'de>>(&mut self, len: usize, visitor: V) -> Result<V::Value, Error> {
		let bytes = self.take(len)?;
		let text = core::str::from_utf8(bytes).map_err(|_| error("text is not UTF-8"))?;
		visitor.visit_borrowed_str(text)
	}
}

struct Elements<'a, 'de> {
	reader: &'a mut Reader<'de>,
	left: usize,
}

impl<'de> de::SeqAccess<'de> for &mut Elements<'_, 'de> {
	type Error = Error;

	fn next_element_seed<S: DeserializeSeed<'de>>(
		&mut self,
		seed: S,
	) -> Result<Option<S::Value>, Error> {
		if self.left == 0 {
			return Ok(None);
		}
		self.left -= 1;
		seed.deserialize(&mut *self.reader).map(Some)
	}

	fn size_hint(&self) -> Option<usize> {
		Some(self.left)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec::Vec;

	#[derive(serde::Deserialize, Debug, PartialEq)]
	struct Inner<'a> {
		#[serde(borrow)]
		id: &'a [u8],
		flag: bool,
	}

	#[derive(serde::Deserialize, Debug, PartialEq)]
	struct Outer<'a> {
		n: u32,
		#[serde(borrow)]
		inner: Inner<'a>,
		name: String,
	}

	#[test]
	fn reads_structs_written_as_arrays() {
		let bytes = [0x93, 0xcd, 0x01, 0x00, 0x92, 0xc4, 0x02, 7, 8, 0xc3, 0xa2, b'h', b'i'];
		let value: Outer = from_slice(&bytes).unwrap();
		assert_eq!(
			value,
			Outer { n: 256, inner: Inner { id: &[7, 8], flag: true }, name: "hi".into() }
		);
	}

	#[test]
	fn refuses_truncated_trailing_and_unknown_input() {
		assert!(from_slice::<Outer>(&[0x93, 0x01]).is_err());
		assert!(from_slice::<u8>(&[0x01, 0x02]).is_err());
		assert!(from_slice::<u8>(&[0xca, 0, 0, 0, 0]).is_err());
		assert!(from_slice::<Vec<u8>>(&[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err());
	}

	#[test]
	fn refuses_arrays_longer_than_their_struct() {
		let bytes = [0x92, 0xc4, 0x01, 7, 0xc3];
		assert!(from_slice::<Inner>(&bytes).is_ok());
		let longer = [0x93, 0xc4, 0x01, 7, 0xc3, 0x01];
		assert!(from_slice::<Inner>(&longer).is_err());
	}

	#[test]
	fn refuses_the_point_at_infinity_on_which_umbral_pre_panics() {
		// A capsule whose two points are SEC1's one-byte point at infinity: umbral-pre 0.11's own
		// reader takes it and panics verifying it (found by the `umbral_msgpack` fuzz target).
		let capsule = [&[0x93, 0xc4, 1, 0, 0xc4, 1, 0, 0xc4, 32][..], &[1; 32]].concat();
		assert_eq!(
			from_slice::<umbral_pre::Capsule>(&capsule).unwrap_err(),
			error("the point at infinity")
		);
		assert!(!crate::policies::capsule_is_valid(&capsule));
		// Any other one-byte string is read as before.
		assert!(from_slice::<Inner>(&[0x92, 0xc4, 1, 0, 0xc3]).is_err());
		assert!(from_slice::<Inner>(&[0x92, 0xc4, 1, 7, 0xc3]).is_ok());
	}

	#[test]
	fn refuses_deep_nesting() {
		let bytes = [0x91; 64];
		assert!(from_slice::<Vec<Vec<Vec<Vec<Vec<Vec<Vec<Vec<Vec<u8>>>>>>>>>>(&bytes).is_err());
	}
}
