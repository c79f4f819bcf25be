//! The capsules this Ursula has lately read and checked, keyed by the blake2-256 of their bytes.
//!
//! umbral-pre checks a capsule when it reads one (two scalar multiplications, about as much as
//! half a re-encryption), and the endpoint also writes it back to refuse any encoding but the
//! canonical one. Bobs re-ask for the same capsules (a file read again, a retry, the same
//! capsule in several requests), so a capsule that passed both checks is remembered: its
//! bytes' hash finds it next time and only the re-encryption is paid.
//!
//! Safe to skip: the key is the hash of the exact bytes that were checked (a different byte is
//! a different key), and only capsules that passed are remembered — a refused one is checked
//! again each time, so an attacker cannot make the cache vouch for anything. Bounded: two
//! generations of at most half the capacity each; when the young one is full it becomes the
//! old one and the old one is dropped, and a capsule found in the old one moves to the young
//! (least recently used, approximately, with no list to keep).

use std::{collections::HashMap, sync::Mutex};

use keymarket_primitives::msgpack;
use umbral_pre::{Capsule, DefaultSerialize};

/// How many checked capsules an Ursula remembers by default (about 300 bytes each).
pub const DEFAULT_CAPACITY: usize = 8_192;

type Key = [u8; 32];

#[derive(Default)]
struct Generations {
	young: HashMap<Key, Capsule>,
	old: HashMap<Key, Capsule>,
}

/// Capsules read and checked lately (see the module's documentation).
pub struct CheckedCapsules {
	generations: Mutex<Generations>,
	/// Entries per generation.
	half: usize,
}

impl CheckedCapsules {
	/// A cache of at most `capacity` capsules (at least two).
	pub fn new(capacity: usize) -> Self {
		Self { generations: Mutex::default(), half: (capacity / 2).max(1) }
	}

	/// The capsule `bytes` are, if they are one in canonical form (what umbral-pre writes, and
	/// the runtime's adjudicator reads): from memory when these very bytes passed lately, else
	/// read, checked and remembered. `hash` is the blake2-256 of `bytes`.
	pub fn read(&self, bytes: &[u8], hash: &Key) -> Option<Capsule> {
		if let Some(capsule) = self.recall(hash) {
			return Some(capsule);
		}
		// Only canonical bytes: a capsule with trailing bytes or another encoding would be
		// signed here and refused by the adjudicator, so a signed answer to it could be neither
		// judged nor trusted.
		let capsule = msgpack::from_slice::<Capsule>(bytes)
			.ok()
			.filter(|capsule| capsule.to_bytes().is_ok_and(|canonical| *canonical == bytes[..]))?;
		self.remember(*hash, capsule.clone());
		Some(capsule)
	}

	/// How many capsules are remembered.
	#[cfg(test)]
	pub fn len(&self) -> usize {
		let generations = self.lock();
		generations.young.len() + generations.old.len()
	}

	fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
		// The maps stay consistent whatever a panicking holder did: each step is one map call.
		self.generations.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	fn recall(&self, hash: &Key) -> Option<Capsule> {
		let mut generations = self.lock();
		if let Some(capsule) = generations.young.get(hash) {
			return Some(capsule.clone());
		}
		let capsule = generations.old.remove(hash)?;
		self.insert(&mut generations, *hash, capsule.clone());
		Some(capsule)
	}

	fn remember(&self, hash: Key, capsule: Capsule) {
		let mut generations = self.lock();
		self.insert(&mut generations, hash, capsule);
	}

	fn insert(&self, generations: &mut Generations, hash: Key, capsule: Capsule) {
		if generations.young.len() >= self.half && !generations.young.contains_key(&hash) {
			generations.old = std::mem::take(&mut generations.young);
		}
		generations.young.insert(hash, capsule);
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_crypto_hashing::blake2_256;

	fn capsule_bytes() -> Vec<u8> {
		let key = umbral_pre::SecretKey::random().public_key();
		let (capsule, _) = umbral_pre::encrypt(&key, b"cached").expect("encrypts");
		capsule.to_bytes().expect("writes").into_vec()
	}

	#[test]
	fn a_checked_capsule_is_found_by_its_bytes_hash() {
		let cache = CheckedCapsules::new(16);
		let bytes = capsule_bytes();
		let read = cache.read(&bytes, &blake2_256(&bytes)).expect("a valid capsule");
		assert_eq!(cache.len(), 1);
		assert_eq!(cache.recall(&blake2_256(&bytes)), Some(read));
	}

	#[test]
	fn a_refused_capsule_is_not_remembered_and_stays_refused() {
		let cache = CheckedCapsules::new(16);
		let mut bent = capsule_bytes();
		let last = bent.len() - 1;
		bent[last] ^= 1; // the signature scalar: the capsule's self-check fails
		for _ in 0..2 {
			assert!(cache.read(&bent, &blake2_256(&bent)).is_none());
		}
		let mut long = capsule_bytes();
		long.push(0); // trailing bytes: not canonical
		assert!(cache.read(&long, &blake2_256(&long)).is_none());
		assert_eq!(cache.len(), 0);
	}

	#[test]
	fn a_remembered_hash_vouches_only_for_its_own_bytes() {
		let cache = CheckedCapsules::new(16);
		let good = capsule_bytes();
		cache.read(&good, &blake2_256(&good)).expect("a valid capsule");
		let mut bent = good.clone();
		let last = bent.len() - 1;
		bent[last] ^= 1;
		assert!(cache.read(&bent, &blake2_256(&bent)).is_none());
	}

	#[test]
	fn memory_stays_bounded_and_recent_capsules_stay() {
		let cache = CheckedCapsules::new(8);
		let kept = capsule_bytes();
		let kept_hash = blake2_256(&kept);
		cache.read(&kept, &kept_hash).expect("a valid capsule");
		for _ in 0..40 {
			let other = capsule_bytes();
			cache.read(&other, &blake2_256(&other)).expect("a valid capsule");
			// Used between every other capsule: never the least recently used.
			assert!(cache.recall(&kept_hash).is_some());
			assert!(cache.len() <= 8, "{} capsules remembered", cache.len());
		}
		// Untouched for a full generation, a capsule is forgotten (and read again if asked).
		for _ in 0..8 {
			let other = capsule_bytes();
			cache.read(&other, &blake2_256(&other)).expect("a valid capsule");
		}
		assert!(cache.recall(&kept_hash).is_none());
		assert!(cache.read(&kept, &kept_hash).is_some());
	}
}
