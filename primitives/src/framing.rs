//! The framing of the Ursula's append-only files (its served-request log, its lottery winners):
//! every record is [`RECORD_MAGIC`] ‖ payload length (`u32` LE) ‖ BLAKE2b-128 of the payload ‖
//! payload, so that a reader that meets damage (a torn tail, a flipped bit, a wrong length)
//! skips to the next marker and loses that record only. The bytes come from a disk, which may
//! hold anything: every reader here takes any bytes and never panics (fuzzed in
//! `primitives/fuzz`).

use alloc::vec::Vec;
use codec::DecodeAll;

use crate::{
	crypto::Sr25519Signature,
	policies::{ReencryptionRequest, RequestBody, ServedRecord, SignedCfrag},
	staking::Period,
};

/// The marker that starts every record.
pub const RECORD_MAGIC: [u8; 4] = *b"KMsr";

/// Marker, length and checksum.
pub const HEADER_BYTES: usize = 4 + 4 + 16;

/// No record is larger (a request is at most 16 KiB, 32 fragments with their signatures about
/// 15 KiB): a larger length is damage.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// Where a record sits in its file: offset and frame length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexEntry {
	pub offset: u64,
	pub len: u32,
}

/// `payload` framed: the marker, its length, its hash, itself.
pub fn frame_payload(payload: &[u8]) -> Vec<u8> {
	let mut framed = Vec::with_capacity(HEADER_BYTES + payload.len());
	framed.extend(RECORD_MAGIC);
	framed.extend((payload.len() as u32).to_le_bytes());
	framed.extend(sp_crypto_hashing::blake2_128(payload));
	framed.extend(payload);
	framed
}

/// The payload framed at the start of `bytes` (its marker, length and hash intact), and its
/// frame's length.
pub fn unframe_payload(bytes: &[u8]) -> Option<(&[u8], usize)> {
	if bytes.get(..4)? != RECORD_MAGIC {
		return None;
	}
	let len = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?) as usize;
	if len > MAX_RECORD_BYTES {
		return None;
	}
	let payload = bytes.get(HEADER_BYTES..HEADER_BYTES + len)?;
	if sp_crypto_hashing::blake2_128(payload) != bytes[8..HEADER_BYTES] {
		return None;
	}
	Some((payload, HEADER_BYTES + len))
}

/// Reads what `unframe` finds framed in `bytes`, skipping damage (a torn or corrupt frame) up
/// to the next marker; returns each item with where it sits, and how many bytes were damaged.
pub fn scan_frames<R>(
	bytes: &[u8],
	unframe: impl Fn(&[u8]) -> Option<(R, usize)>,
) -> (Vec<(IndexEntry, R)>, u64) {
	let mut items = Vec::new();
	let mut damaged_bytes = 0;
	let mut at = 0;
	while at < bytes.len() {
		if let Some((item, len)) = unframe(&bytes[at..]) {
			items.push((IndexEntry { offset: at as u64, len: len as u32 }, item));
			at += len;
			continue;
		}
		let next = bytes[at + 1..]
			.windows(RECORD_MAGIC.len())
			.position(|w| w == RECORD_MAGIC)
			.map_or(bytes.len(), |p| at + 1 + p);
		damaged_bytes += (next - at) as u64;
		at = next;
	}
	(items, damaged_bytes)
}

/// The served record framed at the start of `bytes`, and its frame's length.
pub fn unframe_served_record(bytes: &[u8]) -> Option<(ServedRecord, usize)> {
	let (payload, len) = unframe_payload(bytes)?;
	let record =
		ServedRecord::decode_all(&mut &payload[..]).ok().or_else(|| legacy_record(payload))?;
	Some((record, len))
}

/// A record written before requests carried a ticket: the request was its body and signature.
fn legacy_record(payload: &[u8]) -> Option<ServedRecord> {
	let (version, body, signature, served_at, cfrags) =
		<(u8, RequestBody, Sr25519Signature, Period, Vec<SignedCfrag>)>::decode_all(
			&mut &payload[..],
		)
		.ok()?;
	let request = ReencryptionRequest { body, signature, ticket: None };
	Some(ServedRecord { version, request, served_at, cfrags })
}
