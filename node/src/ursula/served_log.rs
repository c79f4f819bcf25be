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
//! A writer thread appends what the endpoint queues, a batch at a time, and syncs each log file
//! once per batch (group commit). The endpoint hands out an answer only once its record is
//! written ([`Written::wait`]): in the kernel's page cache, so a killed node (SIGKILL, a panic,
//! an out-of-memory kill) never loses the record of an answer it gave; the sync that follows
//! makes the batch survive a power loss too. The queue is bounded: the endpoint takes a place in
//! it ([`ServedLog::reserve`]) before it does any work, and refuses the request when there is
//! none, so a slow disk sheds load instead of growing memory. A machine crash loses at most the
//! records of the last, unsynced batch, and never lets their sequence numbers be served again:
//! that is the [`ReplayGuard`](super::replay_guard::ReplayGuard)'s job, done before serving.

use std::{
	collections::BTreeMap,
	fs::{File, OpenOptions},
	io::{self, Read, Seek, SeekFrom, Write},
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicUsize, Ordering},
		mpsc, Arc,
	},
};

use codec::{DecodeAll, Encode};
pub use keymarket_primitives::framing::IndexEntry;
use keymarket_primitives::framing::{
	frame_payload, scan_frames, unframe_served_record as unframe, HEADER_BYTES, MAX_RECORD_BYTES,
};
use keymarket_primitives::{policies::ServedRecord, staking::Period};

const INDEX_ENTRY_BYTES: usize = 12;

/// How many served records may wait for the disk by default.
pub const DEFAULT_QUEUE: usize = 4_096;

/// Records in one batch at most, so that one sync never waits for an endless stream.
const MAX_BATCH: usize = 1_024;

/// The writer's queue.
pub struct ServedLog {
	queue: mpsc::SyncSender<(ServedRecord, mpsc::SyncSender<()>)>,
	/// Places taken in the queue: records queued or about to be, not yet on disk.
	taken: Arc<AtomicUsize>,
	capacity: usize,
}

/// A place in the writer's queue, taken before the work and used by [`ServedLog::append`].
pub struct QueuePlace {
	taken: Option<Arc<AtomicUsize>>,
}

impl Drop for QueuePlace {
	fn drop(&mut self) {
		if let Some(taken) = self.taken.take() {
			taken.fetch_sub(1, Ordering::AcqRel);
		}
	}
}

impl ServedLog {
	/// Opens (or creates) the log in `dir`, repairs what a crash left, and starts the writer
	/// thread with a queue of `capacity` records.
	pub fn open(dir: &Path, capacity: usize) -> io::Result<Self> {
		std::fs::create_dir_all(dir)?;
		for period in periods(dir)? {
			repair(dir, period)?;
		}
		let capacity = capacity.max(1);
		let (queue, records) = mpsc::sync_channel(capacity);
		let taken = Arc::new(AtomicUsize::new(0));
		let writer = WriteLoop { dir: dir.to_path_buf(), open: BTreeMap::new() };
		let freed = taken.clone();
		std::thread::Builder::new()
			.name("ursula-served-log".into())
			.spawn(move || writer.run(records, freed))?;
		Ok(Self { queue, taken, capacity })
	}

	/// A place in the queue, or `None` when it is full (the disk is behind).
	pub fn reserve(&self) -> Option<QueuePlace> {
		self.taken
			.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
				(n < self.capacity).then_some(n + 1)
			})
			.ok()?;
		Some(QueuePlace { taken: Some(self.taken.clone()) })
	}

	/// Queues `record` for the disk in the place taken for it; the answer it records waits on
	/// the [`Written`] returned.
	pub fn append(&self, mut place: QueuePlace, record: ServedRecord) -> Written {
		let (done, written) = mpsc::sync_channel(1);
		// There are no more places than the channel holds, so this never finds it full.
		match self.queue.try_send((record, done)) {
			// The writer frees the place once the record is on disk.
			Ok(()) => place.taken = None,
			Err(e) => log::error!(target: "ursula", "cannot queue a served record: {e}"),
		}
		Written(written)
	}
}

/// The writer's word that a record is written (or could not be).
pub struct Written(mpsc::Receiver<()>);

impl Written {
	/// Waits until the record is written: `Err` if the writer could not write it (the disk
	/// failed) or did not within `timeout`, and then its answer must not be handed out.
	pub fn wait(self, timeout: std::time::Duration) -> io::Result<()> {
		self.0.recv_timeout(timeout).map_err(|e| {
			io::Error::other(match e {
				mpsc::RecvTimeoutError::Timeout => "the served log's writer is behind",
				mpsc::RecvTimeoutError::Disconnected => "the served log's writer failed",
			})
		})
	}
}

#[cfg(test)]
impl ServedLog {
	/// Waits until the writer has every queued record on disk (for tests).
	pub fn wait_written(&self) {
		let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
		while self.taken.load(Ordering::Acquire) > 0 {
			assert!(std::time::Instant::now() < deadline, "the writer wrote nothing");
			std::thread::sleep(std::time::Duration::from_millis(5));
		}
	}
}

struct PeriodFiles {
	log: File,
	index: File,
	len: u64,
}

struct WriteLoop {
	dir: PathBuf,
	/// The files of the latest periods written.
	open: BTreeMap<Period, PeriodFiles>,
}

impl WriteLoop {
	fn run(
		mut self,
		records: mpsc::Receiver<(ServedRecord, mpsc::SyncSender<()>)>,
		taken: Arc<AtomicUsize>,
	) {
		while let Ok(first) = records.recv() {
			let (batch, written): (Vec<ServedRecord>, Vec<mpsc::SyncSender<()>>) =
				std::iter::once(first).chain(records.try_iter().take(MAX_BATCH)).unzip();
			// The answers go out once their records are written; the sync follows.
			let outcome = self.write(&batch).and_then(|synced| {
				for done in written {
					let _ = done.try_send(());
				}
				synced()
			});
			if let Err(e) = outcome {
				log::error!(target: "ursula", "cannot write the served-request log: {e}");
				// Start again from what the files say.
				self.open.clear();
			}
			taken.fetch_sub(batch.len(), Ordering::AcqRel);
		}
	}

	/// Writes `batch` to the logs and the indexes; returns how to sync the logs it wrote.
	fn write(&mut self, batch: &[ServedRecord]) -> io::Result<impl FnOnce() -> io::Result<()>> {
		let mut pending: BTreeMap<Period, (Vec<u8>, Vec<u8>)> = BTreeMap::new();
		for record in batch {
			let period = record.served_at;
			if !self.open.contains_key(&period) {
				self.open.insert(period, open_period(&self.dir, period)?);
			}
			let (log, index) = pending.entry(period).or_default();
			let frame = frame(record);
			let offset = self.open[&period].len + log.len() as u64;
			index.extend(offset.to_le_bytes());
			index.extend((frame.len() as u32).to_le_bytes());
			log.extend(frame);
		}
		let mut written = Vec::with_capacity(pending.len());
		for (period, (log, index)) in pending {
			let files = self.open.get_mut(&period).expect("opened above");
			files.log.write_all(&log)?;
			files.len += log.len() as u64;
			// Not synced: the index is rebuilt from the log when a crash leaves it behind.
			files.index.write_all(&index)?;
			written.push(files.log.try_clone()?);
		}
		while self.open.len() > 2 {
			self.open.pop_first();
		}
		Ok(move || written.iter().try_for_each(File::sync_data))
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
	Ok(PeriodFiles { log, index, len })
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

	/// Writes `records` through a log in `dir` and waits until the writer has them on disk.
	fn write_all(dir: &Path, records: &[ServedRecord]) {
		let log = ServedLog::open(dir, 16).unwrap();
		for record in records {
			log.append(log.reserve().expect("room"), record.clone());
		}
		log.wait_written();
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
	fn an_answer_waits_until_its_record_is_in_the_file() {
		let dir = tempfile::tempdir().unwrap();
		let log = ServedLog::open(dir.path(), 16).unwrap();
		for sequence in 1..=3 {
			let written = log.append(log.reserve().expect("room"), record(sequence, 7));
			written.wait(std::time::Duration::from_secs(10)).expect("written");
			// Written means in the file now, for any process that reads it (a killed node's
			// next start among them), without waiting for the writer's sync.
			let read = read_period(dir.path(), 7).unwrap();
			assert_eq!(sequences(&read), (1..=sequence).collect::<Vec<_>>());
		}
	}

	#[test]
	fn a_record_that_cannot_be_written_withholds_its_answer() {
		let dir = tempfile::tempdir().unwrap();
		let log = ServedLog::open(dir.path(), 16).unwrap();
		// Period 9's log cannot be opened: a directory stands where the file would be.
		std::fs::create_dir(log_path(dir.path(), 9)).unwrap();
		let written = log.append(log.reserve().expect("room"), record(1, 9));
		let error = written.wait(std::time::Duration::from_secs(10)).unwrap_err();
		assert_eq!(error.to_string(), "the served log's writer failed");
		// The writer goes on with what it can write.
		let written = log.append(log.reserve().expect("room"), record(2, 7));
		written.wait(std::time::Duration::from_secs(10)).expect("period 7 is writable");
	}

	#[test]
	fn a_full_queue_refuses_and_frees_its_places_once_written() {
		let dir = tempfile::tempdir().unwrap();
		let log = ServedLog::open(dir.path(), 2).unwrap();
		let first = log.reserve().expect("room");
		let second = log.reserve().expect("room");
		assert!(log.reserve().is_none(), "two places, both taken");
		drop(second);
		let third = log.reserve().expect("a place given back is free again");
		log.append(first, record(1, 7));
		log.append(third, record(2, 7));
		let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
		while log.taken.load(Ordering::Acquire) > 0 {
			assert!(std::time::Instant::now() < deadline, "the writer wrote nothing");
			std::thread::sleep(std::time::Duration::from_millis(5));
		}
		assert!(log.reserve().is_some());
		assert_eq!(sequences(&read_period(dir.path(), 7).unwrap()), vec![1, 2]);
	}
}
