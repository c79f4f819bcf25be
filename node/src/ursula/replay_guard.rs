//! Replay protection: per (policy, Bob) each sequence number is accepted once, and only within
//! [`REPLAY_WINDOW`] of the highest accepted so far — so a Bob may have many requests in flight
//! and they may arrive out of order, but none is served twice, across restarts and crashes too.
//!
//! Before a number is accepted it must be covered by a reservation on disk: the guard reserves
//! ahead, up to `sequence + block`, appends the reservation to `<chain dir>/ursula/
//! sequence-reservations` and syncs it, and only then lets the request be served. While later
//! numbers stay below the reservation nothing touches the disk, so one sync covers many requests;
//! and reservations of different (policy, Bob) pairs waiting at the same time share one sync
//! (group commit). After a crash every number up to a pair's reservation counts as used: a Bob
//! whose numbers are microseconds since the epoch (the `bob` client) is past the default block
//! of one second's worth by the time the node is back.
//!
//! The file is a sequence of 64-byte entries: policy (16), Bob (32), reservation (`u64` LE),
//! the first 8 bytes of BLAKE2b-64 of those 56 bytes. A damaged or torn entry is skipped; the
//! file is compacted (one entry per pair) when it opens and when it has grown to several times
//! that.

use std::{
	collections::{BTreeSet, HashMap},
	fs::{File, OpenOptions},
	io::{self, Read, Write},
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicU64, Ordering},
		Mutex,
	},
};

use keymarket_primitives::{policies::PolicyId, AccountId};

/// How far below the highest accepted sequence number a late request may still be accepted.
pub const REPLAY_WINDOW: u64 = 1024;

/// How far ahead of a sequence number the guard reserves by default: one second of the `bob`
/// client's microsecond numbers.
pub const DEFAULT_RESERVATION_BLOCK: u64 = 1_000_000;

const ENTRY_BYTES: usize = 64;

/// How much the file may outgrow twice its compacted size before it is compacted.
const COMPACTION_SLACK: u64 = 256 * ENTRY_BYTES as u64;

type Pair = (PolicyId, AccountId);

/// The sequence numbers of one (policy, Bob).
#[derive(Default)]
struct Sequences {
	highest: u64,
	/// Numbers used within the window below `highest`.
	used: BTreeSet<u64>,
	/// Every number up to this one counts as used (the reservation found at start).
	used_up_to: u64,
	/// Numbers up to this one may be accepted without touching the disk.
	reserved: u64,
}

/// Per (policy, Bob), the sequence numbers already used.
pub struct ReplayGuard {
	sequences: Mutex<HashMap<Pair, Sequences>>,
	reservations: Reservations,
	block: u64,
}

impl ReplayGuard {
	/// Opens (or creates) the reservations at `path`; `block` is how far ahead to reserve.
	pub fn open(path: &Path, block: u64) -> io::Result<Self> {
		let (reservations, restored) = Reservations::open(path)?;
		let sequences = restored
			.into_iter()
			.map(|(pair, reserved)| {
				let seen = Sequences {
					highest: reserved,
					used: BTreeSet::new(),
					used_up_to: reserved,
					reserved,
				};
				(pair, seen)
			})
			.collect();
		Ok(Self { sequences: Mutex::new(sequences), reservations, block: block.max(1) })
	}

	/// Takes `sequence` for Bob's requests on `policy`: `Ok(false)` if it was used before or is
	/// [`REPLAY_WINDOW`] or more below the highest used; `Err` if its reservation cannot be
	/// written (then it must not be served).
	pub fn claim(&self, policy: PolicyId, bob: &AccountId, sequence: u64) -> io::Result<bool> {
		let pair = (policy, bob.clone());
		let reserve = {
			let mut sequences = self.sequences.lock().expect("not poisoned");
			let seen = sequences.entry(pair.clone()).or_default();
			let floor = seen.highest.saturating_sub(REPLAY_WINDOW).max(seen.used_up_to);
			if sequence <= floor || !seen.used.insert(sequence) {
				return Ok(false);
			}
			if sequence > seen.highest {
				seen.highest = sequence;
				let floor = sequence.saturating_sub(REPLAY_WINDOW);
				seen.used = seen.used.split_off(&(floor + 1));
			}
			(sequence > seen.reserved).then(|| sequence.saturating_add(self.block))
		};
		if let Some(reserved) = reserve {
			self.reservations.persist(&pair, reserved)?;
			let mut sequences = self.sequences.lock().expect("not poisoned");
			let seen = sequences.entry(pair).or_default();
			seen.reserved = seen.reserved.max(reserved);
		}
		Ok(true)
	}

	/// Whether [`Self::claim`] would refuse `sequence` now (used before, or too far behind),
	/// without taking it: a look before any work is spent on a replayed request.
	pub fn is_spent(&self, policy: PolicyId, bob: &AccountId, sequence: u64) -> bool {
		let sequences = self.sequences.lock().expect("not poisoned");
		let Some(seen) = sequences.get(&(policy, bob.clone())) else { return false };
		let floor = seen.highest.saturating_sub(REPLAY_WINDOW).max(seen.used_up_to);
		sequence <= floor || seen.used.contains(&sequence)
	}

	/// Counts every number up to `sequence` as used for Bob on `policy` (as found in a log of
	/// an earlier version), on disk before it returns.
	pub fn mark_used_up_to(
		&self,
		policy: PolicyId,
		bob: &AccountId,
		sequence: u64,
	) -> io::Result<()> {
		let pair = (policy, bob.clone());
		self.reservations.persist(&pair, sequence)?;
		let mut sequences = self.sequences.lock().expect("not poisoned");
		let seen = sequences.entry(pair).or_default();
		seen.used_up_to = seen.used_up_to.max(sequence);
		seen.highest = seen.highest.max(sequence);
		seen.reserved = seen.reserved.max(sequence);
		Ok(())
	}

	/// How many times the reservations were synced to disk.
	#[cfg(test)]
	pub fn syncs(&self) -> u64 {
		self.reservations.syncs.load(Ordering::Relaxed)
	}
}

/// The reservations file, written by whichever waiting thread holds it (group commit).
struct Reservations {
	path: PathBuf,
	file: Mutex<ReservationFile>,
	queue: Mutex<Queue>,
	syncs: AtomicU64,
}

struct ReservationFile {
	file: File,
	len: u64,
	latest: HashMap<Pair, u64>,
}

/// Reservations waiting for the disk; tickets count them in order.
#[derive(Default)]
struct Queue {
	waiting: Vec<(Pair, u64)>,
	issued: u64,
	durable: u64,
}

impl Reservations {
	fn open(path: &Path) -> io::Result<(Self, HashMap<Pair, u64>)> {
		if let Some(dir) = path.parent() {
			std::fs::create_dir_all(dir)?;
		}
		let mut latest = HashMap::new();
		if let Ok(mut file) = File::open(path) {
			let mut bytes = Vec::new();
			file.read_to_end(&mut bytes)?;
			let mut damaged = 0;
			for entry in bytes.chunks(ENTRY_BYTES) {
				match decode_entry(entry) {
					Some((pair, reserved)) => {
						let at = latest.entry(pair).or_insert(0);
						*at = reserved.max(*at);
					},
					None => damaged += 1,
				}
			}
			if damaged > 0 {
				log::warn!(
					target: "ursula",
					"skipped {damaged} damaged entries of {}", path.display()
				);
			}
		}
		let file = write_compacted(path, &latest)?;
		let len = file.metadata()?.len();
		let reservations = Self {
			path: path.to_path_buf(),
			file: Mutex::new(ReservationFile { file, len, latest: latest.clone() }),
			queue: Mutex::new(Queue::default()),
			syncs: AtomicU64::new(0),
		};
		Ok((reservations, latest))
	}

	/// Returns once `reserved` for `pair` is on disk.
	fn persist(&self, pair: &Pair, reserved: u64) -> io::Result<()> {
		let ticket = {
			let mut queue = self.queue.lock().expect("not poisoned");
			queue.waiting.push((pair.clone(), reserved));
			queue.issued += 1;
			queue.issued
		};
		let mut file = self.file.lock().expect("not poisoned");
		let (batch, last) = {
			let mut queue = self.queue.lock().expect("not poisoned");
			if queue.durable >= ticket {
				// Another thread's sync covered it.
				return Ok(());
			}
			(std::mem::take(&mut queue.waiting), queue.issued)
		};
		let bytes: Vec<u8> = batch.iter().flat_map(|(pair, r)| encode_entry(pair, *r)).collect();
		let written = file.file.write_all(&bytes).and_then(|_| file.file.sync_data());
		if let Err(e) = written {
			// Cut a partial write off, and leave the batch for the next thread to try.
			let _ = file.file.set_len(file.len);
			self.queue.lock().expect("not poisoned").waiting.extend(batch);
			return Err(e);
		}
		self.syncs.fetch_add(1, Ordering::Relaxed);
		file.len += bytes.len() as u64;
		for (pair, reserved) in batch {
			let at = file.latest.entry(pair).or_insert(0);
			*at = reserved.max(*at);
		}
		self.queue.lock().expect("not poisoned").durable = last;
		let compacted_len = (file.latest.len() * ENTRY_BYTES) as u64;
		if file.len > 2 * compacted_len + COMPACTION_SLACK {
			match write_compacted(&self.path, &file.latest) {
				Ok(compacted) => {
					file.len = compacted_len;
					file.file = compacted;
				},
				Err(e) => {
					log::warn!(target: "ursula", "cannot compact {}: {e}", self.path.display())
				},
			}
		}
		Ok(())
	}
}

fn encode_entry((policy, bob): &Pair, reserved: u64) -> [u8; ENTRY_BYTES] {
	let mut entry = [0u8; ENTRY_BYTES];
	entry[..16].copy_from_slice(policy);
	entry[16..48].copy_from_slice(bob.as_ref());
	entry[48..56].copy_from_slice(&reserved.to_le_bytes());
	let checksum = sp_crypto_hashing::blake2_64(&entry[..56]);
	entry[56..].copy_from_slice(&checksum);
	entry
}

fn decode_entry(entry: &[u8]) -> Option<(Pair, u64)> {
	if entry.len() != ENTRY_BYTES || sp_crypto_hashing::blake2_64(&entry[..56]) != entry[56..] {
		return None;
	}
	let policy: PolicyId = entry[..16].try_into().ok()?;
	let bob: [u8; 32] = entry[16..48].try_into().ok()?;
	let reserved = u64::from_le_bytes(entry[48..56].try_into().ok()?);
	Some(((policy, AccountId::from(bob)), reserved))
}

/// Replaces the file at `path` by one entry per pair (written aside, synced, renamed), and
/// returns it open for appending.
fn write_compacted(path: &Path, latest: &HashMap<Pair, u64>) -> io::Result<File> {
	let aside = path.with_extension("compacting");
	let mut file = File::create(&aside)?;
	let bytes: Vec<u8> = latest.iter().flat_map(|(pair, r)| encode_entry(pair, *r)).collect();
	file.write_all(&bytes)?;
	file.sync_all()?;
	std::fs::rename(&aside, path)?;
	if let Some(dir) = path.parent() {
		File::open(dir)?.sync_all()?;
	}
	OpenOptions::new().append(true).open(path)
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::{sync::Arc, time::Instant};

	fn bob() -> AccountId {
		AccountId::from([3; 32])
	}

	#[test]
	fn late_requests_within_the_window_are_served_once() {
		let dir = tempfile::tempdir().unwrap();
		let guard = ReplayGuard::open(&dir.path().join("reservations"), 10).unwrap();
		assert!(guard.claim([1; 16], &bob(), 2_000).unwrap());
		assert!(guard.claim([1; 16], &bob(), 1_999).unwrap(), "late, within the window");
		assert!(!guard.claim([1; 16], &bob(), 1_999).unwrap(), "but once");
		assert!(!guard.claim([1; 16], &bob(), 2_000 - REPLAY_WINDOW).unwrap(), "too far behind");
		assert!(!guard.claim([1; 16], &bob(), 0).unwrap(), "zero is never a sequence");
		assert!(guard.claim([2; 16], &bob(), 1).unwrap(), "per policy");
	}

	#[test]
	fn a_crash_never_lets_a_sequence_number_be_served_twice() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("ursula/sequence-reservations");
		{
			let guard = ReplayGuard::open(&path, 100).unwrap();
			for sequence in [5, 9, 150, 151] {
				assert!(guard.claim([1; 16], &bob(), sequence).unwrap());
			}
			assert_eq!(guard.syncs(), 2, "5 reserved up to 105, 150 up to 250");
			// The crash: the guard is dropped with nothing written on the way out, and a
			// reservation was torn in the middle of its write.
			std::mem::forget(guard);
		}
		OpenOptions::new().append(true).open(&path).unwrap().write_all(&[7; 30]).unwrap();
		let guard = ReplayGuard::open(&path, 100).unwrap();
		for sequence in [5, 9, 150, 151, 200, 250] {
			assert!(
				!guard.claim([1; 16], &bob(), sequence).unwrap(),
				"{sequence} is covered by the reservation: it counts as used"
			);
		}
		assert!(guard.claim([1; 16], &bob(), 251).unwrap());
		assert!(guard.claim([2; 16], &bob(), 1).unwrap(), "another policy starts afresh");
		assert_eq!(std::fs::metadata(&path).unwrap().len(), 3 * ENTRY_BYTES as u64);
	}

	#[test]
	fn a_damaged_reservation_is_skipped_and_the_others_hold() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("reservations");
		{
			let guard = ReplayGuard::open(&path, 10).unwrap();
			assert!(guard.claim([1; 16], &bob(), 5).unwrap());
			assert!(guard.claim([2; 16], &bob(), 7).unwrap());
		}
		let mut bytes = std::fs::read(&path).unwrap();
		bytes[3] ^= 0xff;
		std::fs::write(&path, bytes).unwrap();
		let guard = ReplayGuard::open(&path, 10).unwrap();
		assert!(!guard.claim([2; 16], &bob(), 17).unwrap(), "the intact reservation holds");
	}

	#[test]
	fn the_file_is_compacted_as_it_grows() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("reservations");
		let guard = ReplayGuard::open(&path, 1).unwrap();
		for sequence in 1..=300 {
			assert!(guard.claim([1; 16], &bob(), sequence * 2).unwrap());
		}
		assert_eq!(guard.syncs(), 300, "a block of 1 syncs every number");
		let len = std::fs::metadata(&path).unwrap().len();
		assert!(len <= 2 * ENTRY_BYTES as u64 + COMPACTION_SLACK, "{len} bytes for one pair");
		drop(guard);
		let guard = ReplayGuard::open(&path, 1).unwrap();
		assert!(!guard.claim([1; 16], &bob(), 600).unwrap());
		assert!(!guard.claim([1; 16], &bob(), 601).unwrap(), "reserved up to 601");
		assert!(guard.claim([1; 16], &bob(), 602).unwrap());
	}

	/// Prints what the reservations cost (run with `--nocapture`; figures in
	/// docs/performance.md). Nothing is asserted about time.
	#[test]
	fn reservation_cost_figures() {
		let dir = tempfile::tempdir_in(
			std::env::var_os("URSULA_FIGURES_DIR")
				.unwrap_or_else(|| std::env::temp_dir().into_os_string()),
		)
		.unwrap();
		// `claims` numbers `step` apart for each of `threads` Bobs, reserved `block` ahead.
		let measure = |block: u64, step: u64, threads: u64, claims: u64| {
			let path = dir.path().join(format!("r{block}-{step}-{threads}"));
			let guard = Arc::new(ReplayGuard::open(&path, block).unwrap());
			let started = Instant::now();
			let workers: Vec<_> = (0..threads)
				.map(|t| {
					let guard = guard.clone();
					std::thread::spawn(move || {
						let bob = AccountId::from([t as u8; 32]);
						for k in 1..=claims {
							assert!(guard.claim([1; 16], &bob, k * step).unwrap());
						}
					})
				})
				.collect();
			workers.into_iter().for_each(|w| w.join().unwrap());
			let elapsed = started.elapsed().as_secs_f64();
			let total = threads * claims;
			println!(
				"block {block:>9}, numbers {step:>3} apart, {threads} Bobs: {total:>6} claims in \
				 {:>6.1} ms, {:>6.2} µs per claim, {:>4} syncs, {:>6.1} claims per sync",
				elapsed * 1e3,
				elapsed * 1e6 / total as f64,
				guard.syncs(),
				total as f64 / guard.syncs().max(1) as f64,
			);
		};
		// Every claim reserves anew: the cost of one sync per request.
		measure(1, 2, 1, 200);
		// The same from 8 Bobs at once: their reservations share syncs.
		measure(1, 2, 8, 100);
		// Consecutive numbers, blocks of 1,024.
		measure(1_024, 1, 1, 100_000);
		// The `bob` client's microseconds at about 3,300 requests a second, default block.
		measure(DEFAULT_RESERVATION_BLOCK, 300, 1, 100_000);
	}
}
