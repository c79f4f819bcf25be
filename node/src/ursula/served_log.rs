//! The durable log of served requests, and the sequence numbers it implies.
//!
//! Each record is a SCALE [`ServedRecord`] (Bob's signed request and the Ursula's signed
//! fragments) framed by its length as a little-endian `u32`, appended to
//! `<chain dir>/ursula/served.log`. A writer thread appends what the endpoint sends it, flushes,
//! and syncs the file once per batch (group commit), so the endpoint never waits for the disk;
//! the price is that a crash loses the records of the last, unsynced batch (and with them the
//! sequence numbers they used, which could then be replayed once).
//!
//! Sequence numbers: per (policy, Bob) a number is accepted once, and only within
//! [`REPLAY_WINDOW`] of the highest accepted so far — so a Bob may have many requests in flight
//! and they may arrive out of order, but none is served twice. At start the log is read back to
//! restore the highest number of every (policy, Bob) (everything up to it counts as used): a
//! replayed request is refused across restarts too. A torn last record (a crash mid-write) is cut
//! off.

use std::{
	collections::{BTreeSet, HashMap},
	fs::{File, OpenOptions},
	io::{BufWriter, Read, Write},
	path::Path,
	sync::{mpsc, Mutex},
};

use codec::{DecodeAll, Encode};
use keymarket_primitives::{
	policies::{PolicyId, ServedRecord},
	AccountId,
};

/// How far below the highest accepted sequence number a late request may still be accepted.
pub const REPLAY_WINDOW: u64 = 1024;

/// The sequence numbers of one (policy, Bob): the highest, and those used within the window.
#[derive(Default)]
struct Sequences {
	highest: u64,
	used: BTreeSet<u64>,
	/// Every number up to this one counts as used (restored from the log).
	used_up_to: u64,
}

/// The log and the sequence numbers.
pub struct ServedLog {
	sequences: Mutex<HashMap<(PolicyId, AccountId), Sequences>>,
	writer: Mutex<mpsc::Sender<ServedRecord>>,
}

impl ServedLog {
	/// Opens (or creates) the log at `path`, reads it back and starts its writer thread.
	pub fn open(path: &Path) -> std::io::Result<Self> {
		if let Some(dir) = path.parent() {
			std::fs::create_dir_all(dir)?;
		}
		let mut file = OpenOptions::new().create(true).read(true).append(true).open(path)?;
		let (sequences, good_len) = read_back(&mut file)?;
		if good_len < file.metadata()?.len() {
			log::warn!(target: "ursula", "cut a torn record off the end of {}", path.display());
			file.set_len(good_len)?;
		}
		let (tx, rx) = mpsc::channel::<ServedRecord>();
		std::thread::Builder::new()
			.name("ursula-served-log".into())
			.spawn(move || write_loop(file, rx))?;
		Ok(Self { sequences: Mutex::new(sequences), writer: Mutex::new(tx) })
	}

	/// Takes `sequence` for Bob's requests on `policy`; `false` if it was used before or is
	/// [`REPLAY_WINDOW`] or more below the highest used.
	pub fn claim_sequence(&self, policy: PolicyId, bob: &AccountId, sequence: u64) -> bool {
		let mut sequences = self.sequences.lock().expect("not poisoned");
		let seen = sequences.entry((policy, bob.clone())).or_default();
		let floor = seen.highest.saturating_sub(REPLAY_WINDOW).max(seen.used_up_to);
		if sequence <= floor || !seen.used.insert(sequence) {
			return false;
		}
		if sequence > seen.highest {
			seen.highest = sequence;
			let floor = sequence.saturating_sub(REPLAY_WINDOW);
			seen.used = seen.used.split_off(&(floor + 1));
		}
		true
	}

	/// Queues `record` for the disk.
	pub fn append(&self, record: ServedRecord) {
		if self.writer.lock().expect("not poisoned").send(record).is_err() {
			log::error!(target: "ursula", "the served-request log writer has stopped");
		}
	}
}

type Restored = (HashMap<(PolicyId, AccountId), Sequences>, u64);

fn read_back(file: &mut File) -> std::io::Result<Restored> {
	let mut bytes = Vec::new();
	file.read_to_end(&mut bytes)?;
	let mut sequences = HashMap::new();
	let mut at = 0usize;
	while let Some(len) = bytes.get(at..at + 4) {
		let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
		let Some(frame) = bytes.get(at + 4..at + 4 + len) else { break };
		let Ok(record) = ServedRecord::decode_all(&mut &frame[..]) else { break };
		let body = &record.request.body;
		let seen: &mut Sequences = sequences.entry((body.policy, body.bob.clone())).or_default();
		seen.highest = seen.highest.max(body.sequence);
		seen.used_up_to = seen.highest;
		at += 4 + len;
	}
	Ok((sequences, at as u64))
}

fn write_loop(file: File, records: mpsc::Receiver<ServedRecord>) {
	let mut out = BufWriter::new(file);
	while let Ok(first) = records.recv() {
		let mut batch = vec![first];
		batch.extend(records.try_iter());
		let written = batch.iter().try_for_each(|record| {
			let bytes = record.encode();
			out.write_all(&(bytes.len() as u32).to_le_bytes())?;
			out.write_all(&bytes)
		});
		let synced = written.and_then(|_| out.flush()).and_then(|_| out.get_ref().sync_data());
		if let Err(e) = synced {
			log::error!(target: "ursula", "cannot write the served-request log: {e}");
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use keymarket_primitives::policies::{ReencryptionRequest, RequestBody, WIRE_VERSION};

	fn record(sequence: u64) -> ServedRecord {
		ServedRecord {
			version: WIRE_VERSION,
			request: ReencryptionRequest {
				body: RequestBody {
					version: WIRE_VERSION,
					policy: [1; 16],
					ursula: AccountId::from([2; 32]),
					bob: AccountId::from([3; 32]),
					sequence,
					capsules: vec![vec![4; 105]],
				},
				signature: [5; 64],
			},
			served_at: 7,
			cfrags: vec![],
		}
	}

	#[test]
	fn sequences_survive_a_restart_and_a_torn_record_is_cut() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("ursula/served.log");
		let bob = AccountId::from([3; 32]);
		{
			let log = ServedLog::open(&path).unwrap();
			assert!(log.claim_sequence([1; 16], &bob, 5));
			assert!(!log.claim_sequence([1; 16], &bob, 5), "a replay");
			log.append(record(5));
			log.append(record(9));
		}
		// Let the writer thread drain, then tear the file's end.
		let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
		while std::fs::metadata(&path).unwrap().len() < 2 * (4 + record(5).encode().len() as u64) {
			assert!(std::time::Instant::now() < deadline, "the writer wrote nothing");
			std::thread::sleep(std::time::Duration::from_millis(10));
		}
		OpenOptions::new().append(true).open(&path).unwrap().write_all(&[9, 0, 0]).unwrap();
		let log = ServedLog::open(&path).unwrap();
		assert!(!log.claim_sequence([1; 16], &bob, 9), "seen before the restart");
		assert!(
			!log.claim_sequence([1; 16], &bob, 7),
			"at or below the highest before the restart"
		);
		assert!(log.claim_sequence([1; 16], &bob, 10));
		assert!(log.claim_sequence([2; 16], &bob, 1), "per policy");
	}

	#[test]
	fn late_requests_within_the_window_are_served_once() {
		let dir = tempfile::tempdir().unwrap();
		let log = ServedLog::open(&dir.path().join("served.log")).unwrap();
		let bob = AccountId::from([3; 32]);
		assert!(log.claim_sequence([1; 16], &bob, 2_000));
		assert!(log.claim_sequence([1; 16], &bob, 1_999), "late, within the window");
		assert!(!log.claim_sequence([1; 16], &bob, 1_999), "but once");
		assert!(!log.claim_sequence([1; 16], &bob, 2_000 - REPLAY_WINDOW), "too far behind");
		assert!(!log.claim_sequence([1; 16], &bob, 0), "zero is never a sequence");
	}
}
