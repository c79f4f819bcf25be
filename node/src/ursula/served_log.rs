//! The durable log of served requests: one file per period, each record framed so that a
//! damaged one costs that record only, and an index for proofs of service.
//!
//! `<chain dir>/ursula/served/<period>.log` holds the SCALE [`ServedRecord`]s served in that
//! period (their `served_at`), each framed as `KMsr` ‖ payload length (`u32` LE) ‖
//! BLAKE2b-128 of the payload ‖ payload ([`keymarket_primitives::framing`]). A reader that meets
//! a frame whose length, checksum or SCALE is wrong scans forward to the next marker: the
//! records after a damaged one survive.
//! `<period>.idx` lists each record's offset (`u64` LE) and frame length (`u32` LE). The index is
//! derived from the log: at start, an index that does not end where its log ends (a crash between
//! the two, a torn record) is rebuilt from the log, and a torn tail is cut off.
//!
//! The endpoint writes a record itself, under a lock, before it hands out the answer
//! ([`ServedLog::append`]): once `append` returns the record is in the file (the kernel's page
//! cache), so a killed node (SIGKILL, a panic, an out-of-memory kill) never loses the record of
//! an answer it gave. A syncer thread makes what was written survive a power loss too, every
//! [`SYNC_INTERVAL`] at most (group commit: one `fdatasync` per log for everything written in
//! the interval, and none when nothing was), so a machine crash loses at most the records of the
//! last interval, and never lets their sequence numbers be served again: that is the
//! [`ReplayGuard`](super::replay_guard::ReplayGuard)'s job, done before serving. Writing in the
//! serving thread costs no hand-over to another thread per request (two context switches, on a
//! loaded core a sizeable share of a request), and a slow disk slows the serving threads, whose
//! number the endpoint bounds, instead of growing a queue.

use std::{
	collections::{BTreeMap, HashMap, VecDeque},
	fs::{File, OpenOptions},
	io::{self, Read, Seek, SeekFrom, Write},
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
	time::Duration,
};

use codec::{DecodeAll, Encode};
pub use keymarket_primitives::framing::IndexEntry;
use keymarket_primitives::framing::{
	frame_payload, scan_frames, unframe_served_record as unframe, HEADER_BYTES, MAX_RECORD_BYTES,
};
use keymarket_primitives::{policies::ServedRecord, staking::Period};

const INDEX_ENTRY_BYTES: usize = 12;

/// How long a written record may wait for its sync at most.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(20);

/// How many of the latest records the log finds again by their request's body (about 6 MB of
/// index; at the endpoint's peak of about 3,000 requests a second, the last 20 s; at 100 a
/// second, the last 11 minutes).
pub const RECENT_RECORDS: usize = 65_536;

/// The log of served requests (see the module's documentation).
pub struct ServedLog {
	files: Arc<Mutex<Files>>,
}

impl ServedLog {
	/// Opens (or creates) the log in `dir`, repairs what a crash left, and starts the syncer.
	pub fn open(dir: &Path) -> io::Result<Self> {
		std::fs::create_dir_all(dir)?;
		let periods = periods(dir)?;
		for period in &periods {
			repair(dir, *period)?;
		}
		let files = Arc::new(Mutex::new(Files {
			dir: dir.to_path_buf(),
			open: BTreeMap::new(),
			unsynced: BTreeMap::new(),
			recent: Recent::read(dir, &periods)?,
		}));
		let syncing = Arc::downgrade(&files);
		std::thread::Builder::new().name("ursula-served-sync".into()).spawn(move || loop {
			std::thread::sleep(SYNC_INTERVAL);
			// The log is gone (its last sync done by `Drop`): so is the syncer.
			let Some(files) = syncing.upgrade() else { return };
			if let Err(e) = sync(&files) {
				log::error!(target: "ursula", "cannot sync the served-request log: {e}");
			}
		})?;
		Ok(Self { files })
	}

	/// Writes `record` to its period's log and index. Once this returns `Ok` the record is in
	/// the file; on `Err` (the disk failed) its answer must not be handed out.
	pub fn append(&self, record: &ServedRecord) -> io::Result<()> {
		let frame = frame(record);
		let body = record.request.body_hash();
		let mut files = lock(&self.files);
		match files.write(record.served_at, &frame) {
			Ok(at) => {
				files.recent.remember(body, record.served_at, at);
				Ok(())
			},
			Err(e) => {
				// Start again from what the files say (a torn frame is skipped when read).
				files.open.clear();
				Err(e)
			},
		}
	}

	/// The record of a request with this body (its [`ReencryptionRequest::body_hash`]) among the
	/// latest [`RECENT_RECORDS`] served (since before a restart too), read back from its log.
	///
	/// [`ReencryptionRequest::body_hash`]: keymarket_primitives::policies::ReencryptionRequest::body_hash
	pub fn served(&self, body: &[u8; 32]) -> Option<ServedRecord> {
		let (dir, period, at) = {
			let files = lock(&self.files);
			let (period, at) = files.recent.find(body)?;
			(files.dir.clone(), period, at)
		};
		let record = read_record(&dir, period, at).ok().flatten()?;
		(record.request.body_hash() == *body).then_some(record)
	}

	/// Syncs every log written since the last sync.
	pub fn sync(&self) -> io::Result<()> {
		sync(&self.files)
	}
}

impl Drop for ServedLog {
	fn drop(&mut self) {
		if let Err(e) = self.sync() {
			log::error!(target: "ursula", "cannot sync the served-request log: {e}");
		}
	}
}

fn lock(files: &Mutex<Files>) -> std::sync::MutexGuard<'_, Files> {
	// A panic while holding the lock leaves at worst a torn frame, which readers skip.
	files.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Syncs the logs written since the last sync, outside the lock (writes go on meanwhile).
fn sync(files: &Mutex<Files>) -> io::Result<()> {
	let unsynced = std::mem::take(&mut lock(files).unsynced);
	unsynced.values().try_for_each(|log| log.sync_data())
}

struct PeriodFiles {
	log: Arc<File>,
	index: File,
	len: u64,
}

struct Files {
	dir: PathBuf,
	/// The files of the latest periods written.
	open: BTreeMap<Period, PeriodFiles>,
	/// The logs written since the last sync.
	unsynced: BTreeMap<Period, Arc<File>>,
	/// Where the latest records are, by their request's body.
	recent: Recent,
}

/// The latest [`RECENT_RECORDS`] records' places, by their request's body hash, oldest first out.
#[derive(Default)]
struct Recent {
	places: HashMap<[u8; 32], (Period, IndexEntry)>,
	order: VecDeque<[u8; 32]>,
}

impl Recent {
	/// The latest records of the logs in `dir` (of `periods`, in order), from their indexes.
	fn read(dir: &Path, periods: &[Period]) -> io::Result<Self> {
		let mut latest = Vec::new();
		for period in periods.iter().rev() {
			let index = read_index(dir, *period)?;
			let take = index.len().min(RECENT_RECORDS - latest.len());
			latest.extend(index[index.len() - take..].iter().rev().map(|at| (*period, *at)));
			if latest.len() == RECENT_RECORDS {
				break;
			}
		}
		let mut recent = Self::default();
		for (period, at) in latest.into_iter().rev() {
			// A record that cannot be read back is not found again; it never stops a start.
			if let Ok(Some(record)) = read_record(dir, period, at) {
				recent.remember(record.request.body_hash(), period, at);
			}
		}
		Ok(recent)
	}

	fn remember(&mut self, body: [u8; 32], period: Period, at: IndexEntry) {
		if self.places.insert(body, (period, at)).is_none() {
			self.order.push_back(body);
		}
		while self.order.len() > RECENT_RECORDS {
			if let Some(oldest) = self.order.pop_front() {
				self.places.remove(&oldest);
			}
		}
	}

	fn find(&self, body: &[u8; 32]) -> Option<(Period, IndexEntry)> {
		self.places.get(body).copied()
	}
}

impl Files {
	/// Appends `frame` to `period`'s log and its entry to the period's index.
	fn write(&mut self, period: Period, frame: &[u8]) -> io::Result<IndexEntry> {
		if !self.open.contains_key(&period) {
			self.open.insert(period, open_period(&self.dir, period)?);
		}
		let files = self.open.get_mut(&period).expect("opened above");
		let at = IndexEntry { offset: files.len, len: frame.len() as u32 };
		let mut entry = [0u8; INDEX_ENTRY_BYTES];
		entry[..8].copy_from_slice(&at.offset.to_le_bytes());
		entry[8..].copy_from_slice(&at.len.to_le_bytes());
		(&*files.log).write_all(frame)?;
		files.len += frame.len() as u64;
		// Not synced: the index is rebuilt from the log when a crash leaves it behind.
		files.index.write_all(&entry)?;
		self.unsynced.entry(period).or_insert_with(|| files.log.clone());
		while self.open.len() > 2 {
			self.open.pop_first();
		}
		Ok(at)
	}
}

fn log_path(dir: &Path, period: Period) -> PathBuf {
	dir.join(format!("{period}.log"))
}

fn index_path(dir: &Path, period: Period) -> PathBuf {
	dir.join(format!("{period}.idx"))
}

fn open_period(dir: &Path, period: Period) -> io::Result<PeriodFiles> {
	let log = OpenOptions::new().create(true).append(true).open(log_path(dir, period))?;
	let index = OpenOptions::new().create(true).append(true).open(index_path(dir, period))?;
	let len = log.metadata()?.len();
	Ok(PeriodFiles { log: Arc::new(log), index, len })
}

/// The framed bytes of `record`.
pub fn frame(record: &ServedRecord) -> Vec<u8> {
	frame_payload(&record.encode())
}

/// The records of one period's log, where each sits, and how many bytes were damaged.
pub struct PeriodRecords {
	pub records: Vec<(IndexEntry, ServedRecord)>,
	pub damaged_bytes: u64,
}

/// Reads framed records from `bytes`, skipping damage up to the next marker.
fn scan(bytes: &[u8]) -> PeriodRecords {
	let (records, damaged_bytes) = scan_frames(bytes, unframe);
	PeriodRecords { records, damaged_bytes }
}

/// The periods that have a log in `dir`, in order.
pub fn periods(dir: &Path) -> io::Result<Vec<Period>> {
	let mut periods: Vec<Period> = std::fs::read_dir(dir)?
		.filter_map(|entry| {
			let name = entry.ok()?.file_name();
			name.to_str()?.strip_suffix(".log")?.parse().ok()
		})
		.collect();
	periods.sort_unstable();
	Ok(periods)
}

/// Every intact record served in `period`.
pub fn read_period(dir: &Path, period: Period) -> io::Result<PeriodRecords> {
	Ok(scan(&std::fs::read(log_path(dir, period))?))
}

/// The index of `period`'s log.
pub fn read_index(dir: &Path, period: Period) -> io::Result<Vec<IndexEntry>> {
	let bytes = std::fs::read(index_path(dir, period))?;
	Ok(bytes
		.chunks_exact(INDEX_ENTRY_BYTES)
		.map(|entry| IndexEntry {
			offset: u64::from_le_bytes(entry[..8].try_into().expect("eight bytes")),
			len: u32::from_le_bytes(entry[8..].try_into().expect("four bytes")),
		})
		.collect())
}

/// The record at `at` in `period`'s log (from its index), `None` if it is damaged.
pub fn read_record(dir: &Path, period: Period, at: IndexEntry) -> io::Result<Option<ServedRecord>> {
	let mut file = File::open(log_path(dir, period))?;
	file.seek(SeekFrom::Start(at.offset))?;
	let mut bytes = vec![0; (at.len as usize).min(HEADER_BYTES + MAX_RECORD_BYTES)];
	file.read_exact(&mut bytes)?;
	Ok(unframe(&bytes).map(|(record, _)| record))
}

/// The records of a log written before period files (one `served.log`, records framed by their
/// `u32` length alone), up to the first that does not decode.
pub fn read_legacy(path: &Path) -> io::Result<Vec<ServedRecord>> {
	let bytes = std::fs::read(path)?;
	let mut records = Vec::new();
	let mut at = 0;
	while let Some(len) = bytes.get(at..at + 4) {
		let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
		let Some(Ok(record)) =
			bytes.get(at + 4..at + 4 + len).map(|frame| ServedRecord::decode_all(&mut &frame[..]))
		else {
			break;
		};
		records.push(record);
		at += 4 + len;
	}
	Ok(records)
}

/// Makes `period`'s index end where its log ends: when it does not, cuts a torn tail off the log
/// and rebuilds the index from the log.
fn repair(dir: &Path, period: Period) -> io::Result<()> {
	let log_len = std::fs::metadata(log_path(dir, period))?.len();
	let index_len = std::fs::metadata(index_path(dir, period)).map_or(0, |m| m.len());
	if index_len.is_multiple_of(INDEX_ENTRY_BYTES as u64) {
		let ends_at = read_index(dir, period)?.last().map_or(0, |e| e.offset + u64::from(e.len));
		if ends_at == log_len {
			return Ok(());
		}
	}
	let scanned = read_period(dir, period)?;
	let good_len = scanned.records.last().map_or(0, |(e, _)| e.offset + u64::from(e.len));
	if scanned.damaged_bytes > 0 {
		log::warn!(
			target: "ursula",
			"served log of period {period}: skipped {} damaged bytes, kept {} records",
			scanned.damaged_bytes,
			scanned.records.len(),
		);
	}
	if good_len < log_len {
		OpenOptions::new().write(true).open(log_path(dir, period))?.set_len(good_len)?;
	}
	let index: Vec<u8> = scanned
		.records
		.iter()
		.flat_map(|(e, _)| e.offset.to_le_bytes().into_iter().chain(e.len.to_le_bytes()))
		.collect();
	let mut file = File::create(index_path(dir, period))?;
	file.write_all(&index)?;
	file.sync_all()
}

#[cfg(test)]
mod tests {
	use super::*;
	use keymarket_primitives::{
		policies::{ReencryptionRequest, RequestBody, WIRE_VERSION},
		AccountId,
	};

	fn record(sequence: u64, served_at: Period) -> ServedRecord {
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
				ticket: None,
			},
			served_at,
			cfrags: vec![],
		}
	}

	#[test]
	fn a_record_from_before_tickets_still_reads() {
		let new = record(7, 3);
		let old = (
			new.version,
			new.request.body.clone(),
			new.request.signature,
			new.served_at,
			new.cfrags.clone(),
		)
			.encode();
		let framed = frame_payload(&old);
		let (read, len) = unframe(&framed).expect("a legacy record reads");
		assert_eq!((read, len), (new, framed.len()));
	}

	fn sequences(records: &PeriodRecords) -> Vec<u64> {
		records.records.iter().map(|(_, r)| r.request.body.sequence).collect()
	}

	/// Writes `records` through a log in `dir`.
	fn write_all(dir: &Path, records: &[ServedRecord]) {
		let log = ServedLog::open(dir).unwrap();
		for record in records {
			log.append(record).expect("written");
		}
	}

	#[test]
	fn a_damaged_record_is_skipped_and_the_records_after_it_survive() {
		let dir = tempfile::tempdir().unwrap();
		write_all(dir.path(), &[record(1, 7), record(2, 7), record(3, 7)]);
		let mut bytes = std::fs::read(log_path(dir.path(), 7)).unwrap();
		let second = frame(&record(1, 7)).len();
		// A flipped bit in the second record's payload.
		bytes[second + HEADER_BYTES + 10] ^= 1;
		std::fs::write(log_path(dir.path(), 7), &bytes).unwrap();
		let read = read_period(dir.path(), 7).unwrap();
		assert_eq!(sequences(&read), vec![1, 3], "record 3 survives the damage before it");
		assert_eq!(read.damaged_bytes, second as u64);
		// A damaged length is skipped too.
		bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
		std::fs::write(log_path(dir.path(), 7), &bytes).unwrap();
		assert_eq!(sequences(&read_period(dir.path(), 7).unwrap()), vec![3]);
		// The index still finds record 3 where it is.
		let index = read_index(dir.path(), 7).unwrap();
		assert_eq!(index.len(), 3);
		let third = read_record(dir.path(), 7, index[2]).unwrap().expect("intact");
		assert_eq!(third.request.body.sequence, 3);
		assert!(read_record(dir.path(), 7, index[1]).unwrap().is_none(), "damaged");
	}

	#[test]
	fn a_torn_tail_is_cut_and_the_index_rebuilt() {
		let dir = tempfile::tempdir().unwrap();
		write_all(dir.path(), &[record(1, 7), record(2, 7)]);
		// The crash: half of a third record reached the disk, its index entry did not.
		let torn = frame(&record(3, 7));
		let mut log = OpenOptions::new().append(true).open(log_path(dir.path(), 7)).unwrap();
		log.write_all(&torn[..torn.len() / 2]).unwrap();
		let good_len = 2 * torn.len() as u64;
		write_all(dir.path(), &[record(4, 7)]);
		assert_eq!(sequences(&read_period(dir.path(), 7).unwrap()), vec![1, 2, 4]);
		let index = read_index(dir.path(), 7).unwrap();
		assert_eq!(index.len(), 3);
		assert_eq!(index[2].offset, good_len, "appended where the torn record was cut");
		for (entry, sequence) in index.into_iter().zip([1, 2, 4]) {
			let record = read_record(dir.path(), 7, entry).unwrap().expect("intact");
			assert_eq!(record.request.body.sequence, sequence);
		}
	}

	#[test]
	fn records_rotate_by_period_with_an_index_each() {
		let dir = tempfile::tempdir().unwrap();
		write_all(
			dir.path(),
			&[record(1, 7), record(2, 8), record(3, 7), record(4, 9), record(5, 10), record(6, 9)],
		);
		assert_eq!(periods(dir.path()).unwrap(), vec![7, 8, 9, 10]);
		assert_eq!(sequences(&read_period(dir.path(), 7).unwrap()), vec![1, 3]);
		assert_eq!(sequences(&read_period(dir.path(), 9).unwrap()), vec![4, 6]);
		for period in [7, 8, 9, 10] {
			let read = read_period(dir.path(), period).unwrap();
			let index = read_index(dir.path(), period).unwrap();
			let positions: Vec<IndexEntry> = read.records.iter().map(|(e, _)| *e).collect();
			assert_eq!(index, positions, "period {period}");
		}
		// A later start appends to the same files.
		write_all(dir.path(), &[record(7, 7)]);
		assert_eq!(sequences(&read_period(dir.path(), 7).unwrap()), vec![1, 3, 7]);
		assert_eq!(read_index(dir.path(), 7).unwrap().len(), 3);
	}

	#[test]
	fn a_log_of_the_earlier_format_is_read_for_its_sequence_numbers() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("served.log");
		let mut bytes = Vec::new();
		for sequence in [5, 9] {
			let encoded = record(sequence, 7).encode();
			bytes.extend((encoded.len() as u32).to_le_bytes());
			bytes.extend(encoded);
		}
		bytes.extend([9, 0, 0]);
		std::fs::write(&path, bytes).unwrap();
		let read: Vec<u64> =
			read_legacy(&path).unwrap().iter().map(|r| r.request.body.sequence).collect();
		assert_eq!(read, vec![5, 9]);
	}

	#[test]
	fn a_served_request_is_found_again_by_its_body_after_a_restart_too() {
		let dir = tempfile::tempdir().unwrap();
		let served = [record(1, 7), record(2, 8), record(3, 8)];
		let body = |r: &ServedRecord| r.request.body_hash();
		{
			let log = ServedLog::open(dir.path()).unwrap();
			for r in &served {
				log.append(r).unwrap();
			}
			assert_eq!(log.served(&body(&served[1])).as_ref(), Some(&served[1]));
			assert_eq!(log.served(&body(&record(4, 8))), None, "never served");
		}
		// Reopened (a restart, a kill): the places are read back from the indexes.
		let log = ServedLog::open(dir.path()).unwrap();
		for r in &served {
			assert_eq!(
				log.served(&body(r)).as_ref(),
				Some(r),
				"sequence {}",
				r.request.body.sequence
			);
		}
		// Bob's signature is not the body: the same body, signed again, finds the same record.
		let mut signed_again = record(3, 8);
		signed_again.request.signature = [6; 64];
		assert_eq!(log.served(&body(&signed_again)).as_ref(), Some(&served[2]));
	}

	#[test]
	fn only_the_latest_records_are_remembered() {
		let mut recent = Recent::default();
		let at = |n: u64| IndexEntry { offset: n, len: 1 };
		let body = |n: u64| sp_crypto_hashing::blake2_256(&n.encode());
		for n in 0..=RECENT_RECORDS as u64 {
			recent.remember(body(n), 7, at(n));
		}
		assert_eq!(recent.find(&body(0)), None, "the oldest forgotten");
		assert_eq!(recent.find(&body(1)), Some((7, at(1))));
		assert_eq!(recent.find(&body(RECENT_RECORDS as u64)), Some((7, at(RECENT_RECORDS as u64))));
		assert_eq!((recent.places.len(), recent.order.len()), (RECENT_RECORDS, RECENT_RECORDS));
	}

	#[test]
	fn a_record_is_in_the_file_when_append_returns() {
		let dir = tempfile::tempdir().unwrap();
		let log = ServedLog::open(dir.path()).unwrap();
		for sequence in 1..=3 {
			log.append(&record(sequence, 7)).expect("written");
			// In the file now, for any process that reads it (a killed node's next start among
			// them), without waiting for the sync.
			let read = read_period(dir.path(), 7).unwrap();
			assert_eq!(sequences(&read), (1..=sequence).collect::<Vec<_>>());
			assert_eq!(read_index(dir.path(), 7).unwrap().len() as u64, sequence);
		}
	}

	#[test]
	fn a_record_that_cannot_be_written_is_an_error_and_the_log_goes_on() {
		let dir = tempfile::tempdir().unwrap();
		let log = ServedLog::open(dir.path()).unwrap();
		// Period 9's log cannot be opened: a directory stands where the file would be.
		std::fs::create_dir(log_path(dir.path(), 9)).unwrap();
		assert!(log.append(&record(1, 9)).is_err());
		log.append(&record(2, 7)).expect("period 7 is writable");
		log.append(&record(3, 7)).expect("period 7 is writable");
		assert_eq!(sequences(&read_period(dir.path(), 7).unwrap()), vec![2, 3]);
	}

	#[test]
	fn the_syncer_syncs_what_was_written_within_its_interval() {
		let dir = tempfile::tempdir().unwrap();
		let log = ServedLog::open(dir.path()).unwrap();
		log.append(&record(1, 7)).unwrap();
		log.append(&record(2, 8)).unwrap();
		assert_eq!(lock(&log.files).unsynced.len(), 2, "two logs written, not yet synced");
		let deadline = std::time::Instant::now() + Duration::from_secs(10);
		while !lock(&log.files).unsynced.is_empty() {
			assert!(std::time::Instant::now() < deadline, "never synced");
			std::thread::sleep(SYNC_INTERVAL / 4);
		}
		// Nothing written, nothing to sync; and the syncer ends with its log.
		let syncing = Arc::downgrade(&log.files);
		drop(log);
		std::thread::sleep(2 * SYNC_INTERVAL);
		assert!(syncing.upgrade().is_none(), "the syncer let go of the files");
	}

	#[test]
	fn writers_on_many_threads_leave_whole_records_and_a_matching_index() {
		let dir = tempfile::tempdir().unwrap();
		let log = Arc::new(ServedLog::open(dir.path()).unwrap());
		let threads: Vec<_> = (0..8u64)
			.map(|t| {
				let log = log.clone();
				std::thread::spawn(move || {
					for i in 0..50 {
						log.append(&record(t * 1_000 + i, 7)).unwrap();
					}
				})
			})
			.collect();
		threads.into_iter().for_each(|t| t.join().unwrap());
		let read = read_period(dir.path(), 7).unwrap();
		assert_eq!(read.records.len(), 400);
		assert_eq!(read.damaged_bytes, 0);
		let index = read_index(dir.path(), 7).unwrap();
		let positions: Vec<IndexEntry> = read.records.iter().map(|(e, _)| *e).collect();
		assert_eq!(index, positions);
	}
}
