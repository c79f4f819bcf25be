//! The Ursula's side of the lottery (docs/lottery.md): it judges each request's ticket before
//! it serves, keeps its winners durably, moves to a new random value each round and redeems the
//! winners of the previous one by itself, fee-free, through the lottery pallet's off-chain
//! worker.
//!
//! - **Values.** In the first round, and in each later round when its current value has
//!   winners, the Ursula draws a new random value (the OS's randomness), writes it to `values`
//!   (synced, readable by the node's user only) and only then hands the commitment to the
//!   off-chain worker (`Lottery.commit`). Once the chain shows the new commitment as current,
//!   the old one is the chain's "previous": the Ursula reveals its value with the winners made
//!   against it (`Lottery.redeem`), and forgets it once the chain has it revealed. A value is
//!   never revealed before the chain has moved to the next, so a Bob never learns a value while
//!   his tickets against it are still served. An Ursula without winners keeps its value and
//!   sends nothing.
//! - **The check.** A ticket is checked against what the chain said at the best block (its
//!   round, the hashes of its first blocks, the Ursula's commitment, the payer's funds, cached
//!   for the block) less what this Ursula's own unredeemed winners already take from the payer's
//!   deposit and Bob's cap: a payer cannot overdraw through winners not yet on chain.
//! - **Winners.** A winning ticket (the draw is the primitives', against the value behind the
//!   commitment it names) is appended to `winners-<commitment>` before the request is served
//!   (a crash of the node loses none) and synced to the disk with each block (a power cut loses
//!   at most a block's; an fsync per winner would cost more than the check); a torn tail is
//!   skipped on reading.
//! - **Who must pay.** A request without a ticket is served only while the policy is not paid
//!   by tickets: its owner has not authorized tickets for it. In the fees-only stage such a
//!   request is paid by proven activity instead ([`super::activity`]), from the policy's escrow.

use std::{
	collections::HashMap,
	fs::{File, OpenOptions},
	io::{self, Write},
	path::{Path, PathBuf},
	sync::{Arc, Mutex, RwLock},
};

use codec::{DecodeAll, Encode};
use keymarket_primitives::{
	lottery::{
		check_for_service, commitment_of, wins, FundsView, LotteryApi, LotteryDuty, ServiceTerms,
		SignedTicket, TicketError,
	},
	policies::{PolicyId, ReencryptionRequest, RequestError},
	staking::StakingApi,
	time::Round,
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;

use keymarket_primitives::framing::{frame_payload, scan_frames, unframe_payload};

/// A winning ticket as the Ursula keeps and redeems it.
pub type Winner = SignedTicket<AccountId, Balance>;

/// The most winners one redemption carries: the runtime's `MaxBatch`.
pub const MAX_BATCH: usize = 2_048;

/// Blocks before a duty the chain has not acted on is handed to the off-chain worker again.
const RESEND_BLOCKS: u32 = 3;

/// A payer's funds for a policy, by (payer, policy).
type FundsByAccount = HashMap<(AccountId, PolicyId), Option<FundsView<Balance>>>;

/// What the Ursula reads of a payer's funds on a cache miss.
pub trait FundsSource: Send + Sync {
	fn funds(&self, payer: &AccountId, policy: PolicyId) -> Option<FundsView<Balance>>;
}

/// Where lottery duties go: the node's off-chain storage, read by the lottery pallet's worker.
pub trait LotteryOutbox: Send + Sync {
	fn push(&self, duty: LotteryDuty<AccountId, Balance>) -> Result<(), String>;
}

/// What the chain said at the best block, as the check needs it.
#[derive(Clone, Debug)]
pub struct ChainTerms {
	pub now: Round,
	pub round_hashes: [(Round, [u8; 32]); 2],
	pub ticket_rounds: Round,
	/// This Ursula's current commitment on chain and the round it was published in, with its
	/// value, if it holds the value and has not handed it over to be revealed.
	pub current: Option<([u8; 32], Round, [u8; 32])>,
}

/// What the chain says of this Ursula's commitments: the current one, since when, and the
/// previous one still to be revealed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commitments {
	pub current: Option<([u8; 32], Round)>,
	pub previous: Option<[u8; 32]>,
}

/// The durable part: values not yet revealed on chain, and winners per commitment.
struct Store {
	dir: PathBuf,
	/// Oldest first; the last may still wait for the chain.
	values: Vec<[u8; 32]>,
	/// The commitments whose values were handed over to be revealed: never served again, even
	/// if a reorganisation brings one back as current.
	closed: std::collections::BTreeSet<[u8; 32]>,
	winners: HashMap<[u8; 32], (File, Vec<Winner>)>,
	/// Face values of unredeemed winners per (payer, policy).
	owed: HashMap<(AccountId, PolicyId), Balance>,
	/// Duties handed over, and the block they were handed over at.
	sent: HashMap<Vec<u8>, u32>,
}

/// The Ursula's lottery.
pub struct Lottery {
	worker: AccountId,
	terms: RwLock<Option<ChainTerms>>,
	funds: Mutex<FundsByAccount>,
	source: Arc<dyn FundsSource>,
	store: Mutex<Store>,
}

fn values_path(dir: &Path) -> PathBuf {
	dir.join("values")
}

fn winners_path(dir: &Path, commitment: &[u8; 32]) -> PathBuf {
	dir.join(format!("winners-{}", hex::encode(commitment)))
}

/// Writes `bytes` to `path` atomically and durably, readable by this user only.
pub(super) fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
	// Beside it under its whole name and `.new`: files that differ only in their extension
	// (a claim and its seed) never share the file they are written through.
	let mut aside = path.as_os_str().to_owned();
	aside.push(".new");
	let aside = std::path::PathBuf::from(aside);
	let mut options = OpenOptions::new();
	options.write(true).create(true).truncate(true);
	#[cfg(unix)]
	std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
	let mut file = options.open(&aside)?;
	file.write_all(bytes)?;
	file.sync_all()?;
	std::fs::rename(&aside, path)?;
	if let Some(dir) = path.parent() {
		File::open(dir)?.sync_all()?;
	}
	Ok(())
}

fn unframe_winner(bytes: &[u8]) -> Option<(Winner, usize)> {
	let (payload, len) = unframe_payload(bytes)?;
	Some((Winner::decode_all(&mut &payload[..]).ok()?, len))
}

impl Store {
	fn open(dir: &Path) -> io::Result<Self> {
		std::fs::create_dir_all(dir)?;
		// Each value with whether it was handed over to be revealed.
		let values = match std::fs::read(values_path(dir)) {
			Ok(bytes) => Vec::<([u8; 32], bool)>::decode_all(&mut &bytes[..]).map_err(|e| {
				io::Error::new(io::ErrorKind::InvalidData, format!("lottery values: {e}"))
			})?,
			Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
			Err(e) => return Err(e),
		};
		let mut store = Store {
			dir: dir.to_path_buf(),
			values: Vec::new(),
			closed: Default::default(),
			winners: HashMap::new(),
			owed: HashMap::new(),
			sent: HashMap::new(),
		};
		for (value, closed) in values {
			store.add_value(value)?;
			if closed {
				store.closed.insert(commitment_of(&value));
			}
		}
		Ok(store)
	}

	/// Takes `value` on, with the winners already kept against its commitment.
	fn add_value(&mut self, value: [u8; 32]) -> io::Result<()> {
		let commitment = commitment_of(&value);
		let path = winners_path(&self.dir, &commitment);
		let bytes = match std::fs::read(&path) {
			Ok(bytes) => bytes,
			Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
			Err(e) => return Err(e),
		};
		let (found, damaged) = scan_frames(&bytes, unframe_winner);
		if damaged > 0 {
			log::warn!(target: "ursula", "skipped {damaged} damaged bytes of {}", path.display());
		}
		let winners: Vec<Winner> = found.into_iter().map(|(_, w)| w).collect();
		for winner in &winners {
			*self.owed.entry((winner.ticket.payer.clone(), winner.ticket.policy)).or_default() +=
				winner.ticket.face_value;
		}
		let file = OpenOptions::new().create(true).append(true).open(&path)?;
		self.winners.insert(commitment, (file, winners));
		self.values.push(value);
		Ok(())
	}

	fn value_of(&self, commitment: &[u8; 32]) -> Option<[u8; 32]> {
		self.values.iter().copied().find(|v| commitment_of(v) == *commitment)
	}

	fn persist_values(&self) -> io::Result<()> {
		let values: Vec<([u8; 32], bool)> =
			self.values.iter().map(|v| (*v, self.closed.contains(&commitment_of(v)))).collect();
		write_durably(&values_path(&self.dir), &values.encode())
	}

	/// Forgets `value` and its winners (revealed on chain: its tickets were redeemed or refused).
	fn forget(&mut self, value: &[u8; 32]) -> io::Result<()> {
		let commitment = commitment_of(value);
		self.values.retain(|v| v != value);
		self.closed.remove(&commitment);
		self.persist_values()?;
		if let Some((_, winners)) = self.winners.remove(&commitment) {
			for winner in winners {
				let key = (winner.ticket.payer.clone(), winner.ticket.policy);
				if let Some(owed) = self.owed.get_mut(&key) {
					*owed = owed.saturating_sub(winner.ticket.face_value);
				}
			}
		}
		match std::fs::remove_file(winners_path(&self.dir, &commitment)) {
			Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
			_ => Ok(()),
		}
	}
}

impl Lottery {
	/// The lottery of `worker`, its values and winners under `dir`.
	pub fn open(dir: &Path, worker: AccountId, source: Arc<dyn FundsSource>) -> io::Result<Self> {
		Ok(Self {
			worker,
			terms: RwLock::new(None),
			funds: Mutex::new(HashMap::new()),
			source,
			store: Mutex::new(Store::open(dir)?),
		})
	}

	/// The payer's funds for the policy as of the best block (cached for the block).
	fn funds(&self, payer: &AccountId, policy: PolicyId) -> Option<FundsView<Balance>> {
		let key = (payer.clone(), policy);
		if let Some(known) = self.funds.lock().expect("not poisoned").get(&key) {
			return known.clone();
		}
		let read = self.source.funds(payer, policy);
		self.funds.lock().expect("not poisoned").insert(key, read.clone());
		read
	}

	/// Judges `request`'s ticket (its signature already checked): `Ok(Some(winner))` when it
	/// wins and must be kept before the request is served, `Ok(None)` when it loses or the
	/// policy needs no ticket; the refusal otherwise. `owner` is the policy's owner.
	pub fn check(
		&self,
		request: &ReencryptionRequest,
		owner: &AccountId,
	) -> Result<Option<Winner>, RequestError> {
		let terms = self.terms.read().expect("not poisoned").clone();
		let terms = terms.ok_or(RequestError::Unavailable)?;
		let body = &request.body;
		let Some(ticket) = &request.ticket else {
			let authorized = || self.funds(owner, body.policy).is_some_and(|f| f.cap > 0);
			if authorized() {
				return Err(RequestError::TicketRequired);
			}
			return Ok(None);
		};
		let (commitment, since, value) =
			terms.current.ok_or(RequestError::Ticket(TicketError::WrongCommitment))?;
		let funds = self.funds(&ticket.payer, ticket.policy).map(|mut funds| {
			let owed = self.owed(&ticket.payer, ticket.policy);
			funds.deposit = funds.deposit.saturating_sub(owed);
			funds.spent = funds.spent.saturating_add(owed);
			funds
		});
		let service = ServiceTerms {
			now: terms.now,
			round_hashes: terms.round_hashes,
			ticket_rounds: terms.ticket_rounds,
			commitment,
			since,
			funds,
		};
		check_for_service(ticket, &body.policy, body.sequence, &self.worker, &service)
			.map_err(RequestError::Ticket)?;
		Ok(wins(&request.signature, &value, ticket.win_probability)
			.then(|| SignedTicket { ticket: ticket.clone(), signature: request.signature }))
	}

	fn owed(&self, payer: &AccountId, policy: PolicyId) -> Balance {
		let store = self.store.lock().expect("not poisoned");
		store.owed.get(&(payer.clone(), policy)).copied().unwrap_or_default()
	}

	/// Keeps a winner durably before its request is served. Checks again, under the store's
	/// lock, that the payer's deposit and Bob's cap still cover it beside this Ursula's other
	/// unredeemed winners (two winners checked at once must not both take the last of it).
	pub fn keep(&self, winner: Winner) -> Result<(), RequestError> {
		let ticket = &winner.ticket;
		let funds = self.funds(&ticket.payer, ticket.policy);
		let mut store = self.store.lock().expect("not poisoned");
		// Its value may have been handed over since the check: too late to be redeemed.
		if store.closed.contains(&ticket.commitment) {
			return Err(RequestError::Ticket(TicketError::WrongCommitment));
		}
		let key = (ticket.payer.clone(), ticket.policy);
		let owed = store.owed.get(&key).copied().unwrap_or_default();
		let funds = funds.ok_or(RequestError::Ticket(TicketError::NotAuthorized))?;
		if funds.deposit < owed.saturating_add(ticket.face_value) {
			return Err(RequestError::Ticket(TicketError::Unfunded));
		}
		if funds.spent.saturating_add(owed).saturating_add(ticket.face_value) > funds.cap {
			return Err(RequestError::Ticket(TicketError::OverCap));
		}
		let (file, winners) =
			store.winners.get_mut(&ticket.commitment).ok_or(RequestError::Unavailable)?;
		// Written before the request is served (a crash of the node loses nothing); synced
		// to the disk with the block (`update`), so a power cut loses at most a block's.
		if let Err(e) = file.write_all(&frame_payload(&winner.encode())) {
			log::error!(target: "ursula", "cannot keep a winning ticket: {e}");
			return Err(RequestError::Unavailable);
		}
		winners.push(winner.clone());
		*store.owed.entry(key).or_default() += ticket.face_value;
		Ok(())
	}

	/// The winners kept against `commitment`.
	#[cfg(test)]
	pub fn winners(&self, commitment: &[u8; 32]) -> Vec<Winner> {
		let store = self.store.lock().expect("not poisoned");
		store.winners.get(commitment).map(|(_, w)| w.clone()).unwrap_or_default()
	}

	/// Brings the lottery up to the best block: the terms the check reads, and the duties the
	/// chain now needs (a commitment to a new value once a round, the reveal of the previous
	/// one with its winners), handed to `outbox` (again after [`RESEND_BLOCKS`] if the chain
	/// has not acted on them).
	pub fn update(
		&self,
		best: u32,
		chain: ChainTerms,
		on_chain: Commitments,
		finalized: Commitments,
		outbox: &dyn LotteryOutbox,
	) -> io::Result<()> {
		self.funds.lock().expect("not poisoned").clear();
		let mut store = self.store.lock().expect("not poisoned");
		for (file, _) in store.winners.values() {
			file.sync_data()?;
		}
		let held_in = |at: &Commitments, c: &[u8; 32]| {
			at.current.is_some_and(|(current, _)| current == *c) || at.previous == Some(*c)
		};
		let held = |c: &[u8; 32]| held_in(&on_chain, c);
		// Values the chain has revealed (neither current nor previous at the best block nor at
		// the finalized one, so that no reorganisation brings one back), but the newest, which
		// may still wait for the chain.
		let newest = store.values.last().copied();
		let revealed: Vec<[u8; 32]> = store
			.values
			.iter()
			.copied()
			.filter(|v| {
				let c = commitment_of(v);
				Some(*v) != newest && !held(&c) && !held_in(&finalized, &c)
			})
			.collect();
		for value in revealed {
			store.forget(&value)?;
		}
		let send = |store: &mut Store, key: Vec<u8>, duty: LotteryDuty<AccountId, Balance>| {
			if store.sent.get(&key).is_some_and(|at| best < at.saturating_add(RESEND_BLOCKS)) {
				return;
			}
			match outbox.push(duty) {
				Ok(()) => {
					store.sent.retain(|_, at| best < at.saturating_add(RESEND_BLOCKS * 10));
					store.sent.insert(key, best);
				},
				Err(e) => log::warn!(target: "ursula", "cannot hand over a lottery duty: {e}"),
			}
		};
		let revealing = on_chain.previous.and_then(|p| store.value_of(&p).map(|v| (p, v)));
		if let Some((previous, revealed)) = revealing {
			let mut batch: Vec<Winner> = store
				.winners
				.get(&previous)
				.map(|(_, w)| w.clone())
				.unwrap_or_default()
				.into_iter()
				.filter(|w| w.ticket.expires >= chain.now)
				.collect();
			if batch.len() > MAX_BATCH {
				log::warn!(
					target: "ursula",
					"{} winners against one value: the first {MAX_BATCH} are redeemed",
					batch.len()
				);
				batch.truncate(MAX_BATCH);
			}
			// Closed before it is handed over, under the lock `keep` takes: no winner against it
			// is kept after this batch was taken.
			if store.closed.insert(previous) {
				store.persist_values()?;
			}
			let duty = LotteryDuty::Redeem { worker: self.worker.clone(), revealed, batch };
			send(&mut store, (b"reveal", previous).encode(), duty);
		} else {
			if let Some(lost) = on_chain.previous {
				log::warn!(
					target: "ursula",
					"the value behind commitment 0x{} is not here: its tickets cannot be redeemed",
					hex::encode(lost)
				);
			}
			// A new value when there is none on chain, or when the round has moved on and the
			// current one has winners to redeem (or its value is not here): an Ursula without
			// winners keeps its value and costs the chain nothing.
			let due = match on_chain.current {
				None => true,
				Some((current, since)) => {
					store.closed.contains(&current)
						|| (since < chain.now
							&& store.winners.get(&current).is_none_or(|(_, w)| !w.is_empty()))
				},
			};
			if due {
				// A new value, unless the newest still waits for the chain.
				let waiting = newest.filter(|v| !held(&commitment_of(v)));
				let value = match waiting {
					Some(value) => value,
					None => {
						let mut value = [0u8; 32];
						getrandom::getrandom(&mut value).map_err(io::Error::other)?;
						store.add_value(value)?;
						store.persist_values()?;
						value
					},
				};
				let commitment = commitment_of(&value);
				let duty = LotteryDuty::Commit { worker: self.worker.clone(), commitment };
				send(&mut store, (b"commit", commitment).encode(), duty);
			}
		}
		let current =
			on_chain.current.filter(|(commitment, _)| !store.closed.contains(commitment)).and_then(
				|(commitment, since)| store.value_of(&commitment).map(|v| (commitment, since, v)),
			);
		drop(store);
		*self.terms.write().expect("not poisoned") = Some(ChainTerms { current, ..chain });
		Ok(())
	}
}

/// Reads what [`Lottery::update`] needs at block `at`: the chain's terms (less this Ursula's
/// value, which the lottery adds) and its commitments.
pub fn read_chain<B, C>(
	client: &C,
	worker: &AccountId,
	at: B::Hash,
) -> Result<(ChainTerms, Commitments), String>
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B>,
	C::Api: StakingApi<B, AccountId, Balance> + LotteryApi<B, AccountId, Balance>,
{
	let api = client.runtime_api();
	let error = |e: sp_api::ApiError| e.to_string();
	let now = api.current_round(at).map_err(error)?;
	let durations = api.durations(at).map_err(error)?;
	let ticket_rounds = api.ticket_rounds(at).map_err(error)?;
	let view = api.commitment(at, worker.clone()).map_err(error)?;
	// Unknown hashes read as zeros, which no ticket may name. The chain keeps no real hash of
	// the genesis block (`frame_system` stores a placeholder), so round 0 takes no tickets.
	let hash_of = |round: Round| -> [u8; 32] {
		let number = round.saturating_mul(durations.blocks_per_round);
		let mut bytes = [0u8; 32];
		if number > 0 {
			if let Ok(Some(hash)) = client.hash(number.into()) {
				bytes.copy_from_slice(hash.as_ref());
			}
		}
		bytes
	};
	let previous_round = now.saturating_sub(1);
	let terms = ChainTerms {
		now,
		round_hashes: [(now, hash_of(now)), (previous_round, hash_of(previous_round))],
		ticket_rounds,
		current: None,
	};
	Ok((terms, commitments_of(view)))
}

fn commitments_of(view: Option<keymarket_primitives::lottery::CommitmentView>) -> Commitments {
	Commitments {
		current: view.as_ref().map(|v| (v.current, v.since)),
		previous: view.and_then(|v| v.previous.map(|(hash, _)| hash)),
	}
}

/// This Ursula's commitments as of block `at` (the finalized one: what no reorganisation
/// undoes).
pub fn read_commitments<B, C>(
	client: &C,
	worker: &AccountId,
	at: B::Hash,
) -> Result<Commitments, String>
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B>,
	C::Api: LotteryApi<B, AccountId, Balance>,
{
	let view = client.runtime_api().commitment(at, worker.clone()).map_err(|e| e.to_string())?;
	Ok(commitments_of(view))
}

/// Funds as set by hand: for tests and the benchmark.
#[derive(Default)]
pub struct StaticFunds(pub Mutex<HashMap<(AccountId, PolicyId), FundsView<Balance>>>);

impl FundsSource for StaticFunds {
	fn funds(&self, payer: &AccountId, policy: PolicyId) -> Option<FundsView<Balance>> {
		self.0.lock().expect("not poisoned").get(&(payer.clone(), policy)).cloned()
	}
}

/// [`FundsSource`] over the node's client, at the best block.
pub struct ClientFunds<B, C> {
	client: Arc<C>,
	_block: std::marker::PhantomData<B>,
}

impl<B, C> ClientFunds<B, C> {
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: Default::default() }
	}
}

impl<B, C> FundsSource for ClientFunds<B, C>
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync,
	C::Api: LotteryApi<B, AccountId, Balance>,
{
	fn funds(&self, payer: &AccountId, policy: PolicyId) -> Option<FundsView<Balance>> {
		let best = self.client.info().best_hash;
		self.client.runtime_api().funds(best, payer.clone(), policy).ok().flatten()
	}
}

impl<S: sp_core::offchain::OffchainStorage> LotteryOutbox for super::gateway::OffchainOutbox<S> {
	fn push(&self, duty: LotteryDuty<AccountId, Balance>) -> Result<(), String> {
		use keymarket_primitives::lottery::{MAX_OUTBOX, OUTBOX_KEY};
		let kind = super::metrics::lottery_duty_kind(&duty);
		self.push_to(OUTBOX_KEY, MAX_OUTBOX * 4, duty)?;
		self.count(kind);
		Ok(())
	}
}

#[cfg(test)]
pub mod tests {
	use super::*;
	use keymarket_primitives::{
		lottery::{probability_for, Ticket, TICKET_VERSION},
		policies::{RequestBody, WIRE_VERSION},
	};
	use sp_core::{crypto::Pair as _, sr25519};

	#[derive(Default)]
	struct Outbox(Mutex<Vec<LotteryDuty<AccountId, Balance>>>);

	impl LotteryOutbox for Outbox {
		fn push(&self, duty: LotteryDuty<AccountId, Balance>) -> Result<(), String> {
			self.0.lock().unwrap().push(duty);
			Ok(())
		}
	}

	impl Outbox {
		fn take(&self) -> Vec<LotteryDuty<AccountId, Balance>> {
			std::mem::take(&mut *self.0.lock().unwrap())
		}
	}

	const POLICY: PolicyId = [7; 16];
	const PRICE: Balance = 100;

	/// Dev keys, derived once (a derivation from a phrase takes milliseconds).
	fn pair(name: &str) -> sr25519::Pair {
		static PAIRS: Mutex<Option<HashMap<String, sr25519::Pair>>> = Mutex::new(None);
		let mut pairs = PAIRS.lock().unwrap();
		pairs
			.get_or_insert_with(HashMap::new)
			.entry(name.to_string())
			.or_insert_with(|| sr25519::Pair::from_string(&format!("//{name}"), None).unwrap())
			.clone()
	}

	fn account(name: &str) -> AccountId {
		pair(name).public().into()
	}

	fn funds(deposit: Balance, cap: Balance) -> FundsView<Balance> {
		FundsView { deposit, reserve: 0, unlocks_at: None, cap, spent: 0, price: PRICE }
	}

	fn chain(now: Round) -> ChainTerms {
		ChainTerms {
			now,
			round_hashes: [(now, [now as u8 + 1; 32]), (now - 1, [now as u8; 32])],
			ticket_rounds: 2,
			current: None,
		}
	}

	struct Scene {
		dir: tempfile::TempDir,
		source: Arc<StaticFunds>,
		lottery: Lottery,
		outbox: Outbox,
	}

	impl Scene {
		fn new() -> Self {
			let dir = tempfile::tempdir().unwrap();
			let source = Arc::new(StaticFunds::default());
			let lottery = Lottery::open(dir.path(), account("Ferdie"), source.clone()).unwrap();
			Scene { dir, source, lottery, outbox: Outbox::default() }
		}

		fn fund(&self, deposit: Balance, cap: Balance) {
			self.source.0.lock().unwrap().insert((account("Alice"), POLICY), funds(deposit, cap));
		}

		fn update(&self, best: u32, now: Round, on_chain: Commitments) {
			self.lottery
				.update(best, chain(now), on_chain.clone(), on_chain, &self.outbox)
				.unwrap();
		}

		/// Round `now` begins with nothing on chain: the Ursula commits; the chain takes it.
		fn committed(&self, best: u32, now: Round) -> [u8; 32] {
			self.update(best, now, Commitments::default());
			let LotteryDuty::Commit { commitment, .. } = self.outbox.take().remove(0) else {
				panic!("a commitment first")
			};
			self.update(
				best + 1,
				now,
				Commitments { current: Some((commitment, now)), previous: None },
			);
			commitment
		}
	}

	/// Bob's request number `sequence`, with a ticket against `commitment` made in round `now`
	/// of `face` at the policy's price (certain to win when `face` is the price).
	fn request(
		sequence: u64,
		commitment: [u8; 32],
		now: Round,
		face: Balance,
	) -> ReencryptionRequest {
		let body = RequestBody {
			version: WIRE_VERSION,
			policy: POLICY,
			ursula: account("Ferdie"),
			bob: account("Bob"),
			sequence,
			capsules: vec![vec![1; 10]],
		};
		let ticket = Ticket {
			version: TICKET_VERSION,
			payer: account("Alice"),
			policy: POLICY,
			recipient: account("Ferdie"),
			face_value: face,
			win_probability: probability_for(PRICE, face),
			nonce: sequence,
			commitment,
			created_round: now,
			created_hash: [now as u8 + 1; 32],
			expires: now + 2,
			request_hash: sp_crypto_hashing::blake2_256(&body.encode()),
		};
		let signature = pair("Bob").sign(&ticket.signing_payload()).0;
		ReencryptionRequest { body, signature, ticket: Some(ticket) }
	}

	fn serve(lottery: &Lottery, request: &ReencryptionRequest) -> Result<bool, RequestError> {
		match lottery.check(request, &account("Alice"))? {
			Some(winner) => lottery.keep(winner).map(|()| true),
			None => Ok(false),
		}
	}

	#[test]
	fn the_ursula_commits_once_a_round_and_reveals_after_it_moved_on() {
		let scene = Scene::new();
		scene.update(10, 2, Commitments::default());
		let duties = scene.outbox.take();
		let [LotteryDuty::Commit { commitment: first, .. }] = duties[..] else {
			panic!("one commitment, not {duties:?}")
		};
		// Not handed over again until the chain had time to act; then again, same value.
		scene.update(11, 2, Commitments::default());
		assert!(scene.outbox.take().is_empty());
		scene.update(13, 2, Commitments::default());
		assert!(
			matches!(scene.outbox.take()[..], [LotteryDuty::Commit { commitment, .. }] if commitment == first)
		);
		// On chain: nothing more this round.
		let on_chain = Commitments { current: Some((first, 2)), previous: None };
		scene.update(14, 2, on_chain.clone());
		assert!(scene.outbox.take().is_empty());
		scene.fund(10_000, 10_000);
		assert_eq!(serve(&scene.lottery, &request(1, first, 2, PRICE)), Ok(true));

		// Next round: a new value, and only once the chain has it, the old one revealed.
		scene.update(15, 3, on_chain);
		let [LotteryDuty::Commit { commitment: second, .. }] = scene.outbox.take()[..] else {
			panic!("a new commitment")
		};
		assert_ne!(second, first);
		// Until the chain moves, tickets against the first are still served.
		assert_eq!(serve(&scene.lottery, &request(2, first, 3, PRICE)), Ok(true));
		let moved = Commitments { current: Some((second, 3)), previous: Some(first) };
		scene.update(16, 3, moved);
		let duties = scene.outbox.take();
		let [LotteryDuty::Redeem { revealed, ref batch, .. }] = duties[..] else {
			panic!("the reveal, not {duties:?}")
		};
		assert_eq!(commitment_of(&revealed), first);
		assert_eq!(batch.iter().map(|w| w.ticket.nonce).collect::<Vec<_>>(), vec![1, 2]);
		// From now on the first commitment is refused: its value is out.
		assert_eq!(
			serve(&scene.lottery, &request(3, first, 3, PRICE)),
			Err(RequestError::Ticket(TicketError::WrongCommitment))
		);
		assert_eq!(serve(&scene.lottery, &request(4, second, 3, PRICE)), Ok(true));
		// Revealed on chain: the value and its winners are forgotten, on disk too.
		scene.update(17, 3, Commitments { current: Some((second, 3)), previous: None });
		assert!(scene.lottery.winners(&first).is_empty());
		assert!(!winners_path(scene.dir.path(), &first).exists());
		assert_eq!(scene.lottery.winners(&second).len(), 1);
	}

	#[test]
	fn without_winners_the_value_stays_and_a_lost_value_does_not_lock_the_ursula_out() {
		let scene = Scene::new();
		let commitment = scene.committed(10, 2);
		scene.fund(u128::MAX / 2, u128::MAX / 2);
		// Rounds pass without a winner (every ticket loses at odds of 2^60): nothing to send.
		assert_eq!(serve(&scene.lottery, &request(1, commitment, 2, PRICE << 60)), Ok(false));
		for (best, now) in [(20, 4), (30, 6)] {
			scene.update(best, now, Commitments { current: Some((commitment, 2)), previous: None });
			assert!(scene.outbox.take().is_empty());
		}
		// A node that lost its values (a new data directory) finds a previous value it cannot
		// reveal and a current one it does not hold: it commits to a new one.
		let fresh = Scene::new();
		fresh.update(40, 8, Commitments { current: Some(([5; 32], 7)), previous: Some([6; 32]) });
		assert!(matches!(fresh.outbox.take()[..], [LotteryDuty::Commit { .. }]));
	}

	#[test]
	fn a_value_handed_over_is_never_served_again_nor_forgotten_before_finality() {
		let scene = Scene::new();
		let first = scene.committed(10, 2);
		scene.fund(10_000, 10_000);
		assert_eq!(serve(&scene.lottery, &request(1, first, 2, PRICE)), Ok(true));
		// A ticket checked just before the reveal is handed over...
		let late = scene.lottery.check(&request(2, first, 2, PRICE), &account("Alice"));
		let late = late.unwrap().expect("a winner");
		scene.update(15, 3, Commitments { current: Some((first, 2)), previous: None });
		let LotteryDuty::Commit { commitment: second, .. } = scene.outbox.take().remove(0) else {
			panic!("a new commitment")
		};
		let moved = Commitments { current: Some((second, 3)), previous: Some(first) };
		let behind = Commitments { current: Some((first, 2)), previous: None };
		scene.lottery.update(16, chain(3), moved.clone(), behind.clone(), &scene.outbox).unwrap();
		assert!(matches!(scene.outbox.take()[..], [LotteryDuty::Redeem { .. }]));
		// ...is not kept once it is: it could not be in the batch.
		assert_eq!(
			scene.lottery.keep(late),
			Err(RequestError::Ticket(TicketError::WrongCommitment))
		);
		// A reorganisation brings the first back as current: it is not served, and the Ursula
		// moves on from it again.
		scene.lottery.update(19, chain(3), behind.clone(), behind.clone(), &scene.outbox).unwrap();
		assert_eq!(
			serve(&scene.lottery, &request(3, first, 3, PRICE)),
			Err(RequestError::Ticket(TicketError::WrongCommitment))
		);
		assert!(matches!(scene.outbox.take()[..], [LotteryDuty::Commit { .. }]));
		// Closed stays closed across a restart.
		let reopened =
			Lottery::open(scene.dir.path(), account("Ferdie"), scene.source.clone()).unwrap();
		assert!(reopened.store.lock().unwrap().closed.contains(&first));
		drop(reopened);
		// Revealed at the best block but not yet final: the value and its winners stay.
		let revealed = Commitments { current: Some((second, 3)), previous: None };
		scene.lottery.update(20, chain(3), revealed.clone(), behind, &scene.outbox).unwrap();
		assert_eq!(scene.lottery.winners(&first).len(), 1);
		scene.lottery.update(21, chain(3), revealed.clone(), revealed, &scene.outbox).unwrap();
		assert!(scene.lottery.winners(&first).is_empty());
	}

	#[test]
	fn winners_survive_a_crash_and_a_torn_write() {
		let scene = Scene::new();
		let commitment = scene.committed(10, 2);
		scene.fund(10_000, 10_000);
		for sequence in 1..=3 {
			assert_eq!(serve(&scene.lottery, &request(sequence, commitment, 2, PRICE)), Ok(true));
		}
		// A crash mid-write leaves a torn frame at the end.
		let path = winners_path(scene.dir.path(), &commitment);
		let mut file = OpenOptions::new().append(true).open(&path).unwrap();
		file.write_all(&frame_payload(&[9u8; 300])[..40]).unwrap();
		drop(scene.lottery);

		let lottery =
			Lottery::open(scene.dir.path(), account("Ferdie"), scene.source.clone()).unwrap();
		assert_eq!(lottery.winners(&commitment).len(), 3);
		lottery
			.update(
				12,
				chain(2),
				Commitments { current: Some((commitment, 2)), previous: None },
				Commitments { current: Some((commitment, 2)), previous: None },
				&scene.outbox,
			)
			.unwrap();
		// What they owe still counts: the deposit of 10,000 took 3 × 100 already.
		assert_eq!(lottery.owed(&account("Alice"), POLICY), 300);
		assert_eq!(serve(&lottery, &request(4, commitment, 2, PRICE)), Ok(true));
	}

	#[test]
	fn unredeemed_winners_count_against_the_deposit_and_the_cap() {
		let scene = Scene::new();
		let commitment = scene.committed(10, 2);
		// A deposit of 250 pays two winners of 100, not three.
		scene.fund(250, 10_000);
		assert_eq!(serve(&scene.lottery, &request(1, commitment, 2, PRICE)), Ok(true));
		assert_eq!(serve(&scene.lottery, &request(2, commitment, 2, PRICE)), Ok(true));
		assert_eq!(
			serve(&scene.lottery, &request(3, commitment, 2, PRICE)),
			Err(RequestError::Ticket(TicketError::Unfunded))
		);
		// A cap of 250 likewise, whatever the deposit.
		scene.fund(10_000, 250);
		scene.update(11, 2, Commitments { current: Some((commitment, 2)), previous: None });
		assert_eq!(
			serve(&scene.lottery, &request(4, commitment, 2, PRICE)),
			Err(RequestError::Ticket(TicketError::OverCap))
		);
		assert_eq!(scene.lottery.winners(&commitment).len(), 2);
	}

	#[test]
	fn every_bad_ticket_is_refused_before_service() {
		let scene = Scene::new();
		let commitment = scene.committed(10, 2);
		scene.fund(10_000, 10_000);
		let refused = |request: ReencryptionRequest| serve(&scene.lottery, &request);
		let resigned = |mut request: ReencryptionRequest,
		                f: &dyn Fn(&mut Ticket<AccountId, Balance>)| {
			f(request.ticket.as_mut().unwrap());
			request.signature =
				pair("Bob").sign(&request.ticket.as_ref().unwrap().signing_payload()).0;
			request
		};
		let good = request(1, commitment, 2, PRICE);
		let bad = |f: &dyn Fn(&mut Ticket<AccountId, Balance>)| refused(resigned(good.clone(), f));
		use TicketError::*;
		assert_eq!(
			bad(&|t| t.recipient = account("Eve")),
			Err(RequestError::Ticket(WrongRecipient))
		);
		assert_eq!(bad(&|t| t.nonce = 2), Err(RequestError::Ticket(Malformed)));
		assert_eq!(bad(&|t| t.commitment = [1; 32]), Err(RequestError::Ticket(WrongCommitment)));
		assert_eq!(bad(&|t| t.created_hash = [0; 32]), Err(RequestError::Ticket(BadCreation)));
		// A round whose hash the Ursula does not know reads as zeros, which no ticket may name.
		let mut unknown = chain(2);
		unknown.round_hashes[1].1 = [0; 32];
		scene
			.lottery
			.update(
				11,
				unknown,
				Commitments { current: Some((commitment, 2)), previous: None },
				Commitments { current: Some((commitment, 2)), previous: None },
				&scene.outbox,
			)
			.unwrap();
		assert_eq!(
			bad(&|t| {
				t.created_round = 1;
				t.created_hash = [0; 32];
			}),
			Err(RequestError::Ticket(BadCreation))
		);
		assert_eq!(bad(&|t| t.expires = 2), Err(RequestError::Ticket(Expired)));
		assert_eq!(bad(&|t| t.payer = account("Dave")), Err(RequestError::Ticket(NotAuthorized)));
		assert_eq!(bad(&|t| t.win_probability /= 2), Err(RequestError::Ticket(WrongPrice)));
		assert_eq!(bad(&|t| t.face_value = 1_000_000), Err(RequestError::Ticket(Unfunded)));
		// Certain to lose at probability zero, and refused for its price anyway.
		assert_eq!(bad(&|t| t.win_probability = 0), Err(RequestError::Ticket(WrongPrice)));
		assert!(scene.lottery.winners(&commitment).is_empty());
		assert_eq!(refused(good), Ok(true));
	}

	#[test]
	fn a_policy_paid_by_tickets_needs_one() {
		let scene = Scene::new();
		let commitment = scene.committed(10, 2);
		let mut bare = request(1, commitment, 2, PRICE);
		bare.ticket = None;
		// Not paid by tickets: served without.
		assert_eq!(serve(&scene.lottery, &bare), Ok(false));
		// Its owner authorized tickets: needed, from the next block the Ursula sees.
		scene.fund(10_000, 10_000);
		assert_eq!(serve(&scene.lottery, &bare), Ok(false), "as of the block it read");
		scene.update(11, 2, Commitments { current: Some((commitment, 2)), previous: None });
		assert_eq!(serve(&scene.lottery, &bare), Err(RequestError::TicketRequired));
	}

	#[test]
	fn losing_tickets_are_served_and_not_kept_and_wins_follow_the_odds() {
		let scene = Scene::new();
		let commitment = scene.committed(10, 2);
		scene.fund(u128::MAX / 2, u128::MAX / 2);
		// Face 20 × the price: about one in 20 wins.
		let won = (1..=2_000u64)
			.filter(|s| serve(&scene.lottery, &request(*s, commitment, 2, PRICE * 20)).unwrap())
			.count();
		assert!((55..=145).contains(&won), "{won} of 2000 at 1/20");
		assert_eq!(scene.lottery.winners(&commitment).len(), won);
	}
}
