//! The Ursula's side of proofs of served work (docs/activity.md): in the `FeesOnly` stage, after
//! each period, it claims the distinct requests it served under each priced policy, from its
//! served log, and once the chain has drawn the claim's beacon it opens the challenged leaves —
//! by itself, fee-free, through the activity pallet's off-chain worker.
//!
//! - **Claims.** One block into a period, for each earlier period still claimable and each
//!   policy with a price that it served then, the Ursula takes that period's log records of the
//!   policy that carry no ticket (tickets pay for the others) and fit an opening, orders them by
//!   request key, keeps each request once, and builds the tree. It writes the claim's leaves,
//!   each with where its record sits in the log, to `activity/<period>-<policy>.claim` (synced)
//!   before it hands the signed claim to the off-chain worker: after a crash it claims and opens
//!   the very tree it kept, never one rebuilt from a log that changed meanwhile.
//! - **Openings.** When the chain shows the claim committed and its beacon drawn, the Ursula asks
//!   the chain which leaves are challenged, rebuilds the tree from the kept leaves, checks that
//!   its root is the one claimed, reads each challenged record from the log (checked against its
//!   leaf) and hands the openings over.
//! - **Private claims** (the zero-knowledge scheme): the same kept tree (at most
//!   `zk::MAX_ZK_OMEGA` leaves, key prefixes distinct), with Pedersen commitments to the keys'
//!   prefixes and a range proof that they strictly increase, proven on a thread of its own
//!   (seconds at the most leaves). The blindings derive from a random seed kept beside the
//!   claim (`<period>-<policy>.seed`, synced before the claim is handed over), so the
//!   commitments of a kept claim are the same after a restart or a change of the worker's
//!   keys; the openings recompute them and reveal the opened leaves' blindings only.
//! - What the chain has not acted on is handed over again after [`RESEND_BLOCKS`]. A kept claim is
//!   deleted once its period can no longer be opened.

use std::{
	collections::HashMap,
	io,
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
};

use codec::{DecodeAll, Encode};
use keymarket_primitives::{
	activity::{
		attestation_payload, claim_payload, ActivityApi, ActivityDuty, ActivityScheme,
		AttestationRequest, ClaimState, ClaimView, Leaf, Opening, Tree, ATTEST_VERSION,
	},
	crypto::{sr25519_signed, Sr25519Signature},
	gateway::SignerSet,
	policies::PolicyId,
	policies::ServedRecord,
	staking::{Period, Stage, StakingApi},
	time::Round,
	zk::{self, PrivateOpening},
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_core::{crypto::Pair as _, sr25519};

use super::{
	lottery::write_durably,
	served_log::{self, IndexEntry},
};

/// Blocks before a duty the chain has not acted on is handed to the off-chain worker again.
const RESEND_BLOCKS: u32 = 3;

/// Where activity duties go: the node's off-chain storage, read by the activity pallet's worker.
pub trait ActivityOutbox: Send + Sync {
	fn push(&self, duty: ActivityDuty<AccountId>) -> Result<(), String>;
}

impl<S: sp_core::offchain::OffchainStorage> ActivityOutbox for super::gateway::OffchainOutbox<S> {
	fn push(&self, duty: ActivityDuty<AccountId>) -> Result<(), String> {
		use keymarket_primitives::activity::{MAX_OUTBOX, OUTBOX_KEY};
		let kind = super::metrics::activity_duty_kind(&duty);
		self.push_to(OUTBOX_KEY, MAX_OUTBOX * 4, duty)?;
		self.count(kind);
		Ok(())
	}
}

/// A committee's members (worker, registered signing key) in draw order.
pub type Seats = Vec<(AccountId, [u8; 32])>;

/// A round's committee as the worker reaches it: who sits on it, and each member's answer.
pub trait Committee: Send + Sync {
	/// The current round, its members (worker, signing key) in draw order, and its threshold.
	fn current(&self) -> Option<(Round, Seats, u32)>;
	/// Asks `member` to attest the SCALE [`AttestationRequest`] `request`: its signature, or why
	/// not.
	fn ask(&self, member: &AccountId, request: &[u8]) -> Result<Sr25519Signature, String>;
}

/// The runtime's limits on claims.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// How many periods after a period it may still be claimed.
	pub claim_periods: Period,
	/// The most requests a claim counts.
	pub max_omega: u32,
	/// The longest SCALE record an opening carries.
	pub max_record_len: u32,
}

/// What the chain says at the best block, as the claims need it.
#[derive(Clone, Debug, Default)]
pub struct ChainView {
	/// The best block's number.
	pub best: u32,
	/// The current period, and whether the best block is its first.
	pub now: Period,
	pub first_block_of_period: bool,
	pub fees_only: bool,
	/// How served work is proven now.
	pub scheme: ActivityScheme,
	/// This worker's claims kept on chain.
	pub claims: Vec<ClaimView<Balance>>,
	/// The challenged leaves of each claim waiting to be opened whose beacon is drawn.
	pub challenged: HashMap<(PolicyId, Period), Vec<u32>>,
}

/// A claim as the Ursula keeps it until it is opened: its leaves in tree order, each with
/// where its record sits in the period's log.
#[derive(Clone, Debug, PartialEq, Eq, Encode, codec::Decode)]
struct KeptClaim {
	policy: PolicyId,
	period: Period,
	leaves: Vec<(Leaf, u64, u32)>,
}

impl KeptClaim {
	fn tree(&self) -> Tree {
		let leaves: Vec<Leaf> = self.leaves.iter().map(|(leaf, ..)| *leaf).collect();
		Tree::build(&leaves)
	}
}

/// The Ursula's claims of served work.
pub struct Activity {
	worker: AccountId,
	signer: sr25519::Pair,
	/// The served log's directory.
	served: PathBuf,
	/// Where claims are kept until they are opened.
	dir: PathBuf,
	limits: Limits,
	/// Duties handed over, and the block they were handed over at.
	sent: Mutex<HashMap<Vec<u8>, u32>>,
	/// The periods whose claims were built from the log since the node started: later blocks
	/// read the kept claims instead of the log.
	built: Mutex<std::collections::BTreeSet<Period>>,
	/// The committee of the current round, under the committee scheme.
	committee: Option<Arc<dyn Committee>>,
	/// Attestations being gathered, on their own threads.
	asking: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

fn claim_path(dir: &Path, policy: &PolicyId, period: Period) -> PathBuf {
	dir.join(format!("{period}-{}.claim", hex::encode(policy)))
}

impl Activity {
	/// Keeps its claims in `dir`, reads the served log in `served`.
	pub fn open(
		dir: &Path,
		served: &Path,
		worker: AccountId,
		signer: sr25519::Pair,
		limits: Limits,
	) -> io::Result<Self> {
		std::fs::create_dir_all(dir)?;
		Ok(Self {
			worker,
			signer,
			served: served.to_path_buf(),
			dir: dir.to_path_buf(),
			limits,
			sent: Mutex::new(HashMap::new()),
			built: Mutex::new(Default::default()),
			committee: None,
			asking: Mutex::new(Vec::new()),
		})
	}

	/// Gathers attestations from `committee` under the committee scheme.
	pub fn with_committee(mut self, committee: Arc<dyn Committee>) -> Self {
		self.committee = Some(committee);
		self
	}

	/// Brings the claims up to the best block: claims what was served in the periods that may
	/// still be claimed (of policies `priced` says have a price), opens what the chain
	/// challenged, forgets what can no longer be opened.
	pub fn update(
		&self,
		chain: &ChainView,
		priced: impl Fn(&PolicyId) -> bool,
		outbox: &Arc<dyn ActivityOutbox>,
	) -> io::Result<()> {
		self.forget_old(chain.now)?;
		if !chain.fees_only {
			return Ok(());
		}
		let on_chain: HashMap<(PolicyId, Period), &ClaimView<Balance>> =
			chain.claims.iter().map(|c| ((c.policy, c.period), c)).collect();
		// Claims, from the first block after a period's first: a request served as the
		// period turned has reached the log by then.
		if !chain.first_block_of_period {
			let first = chain.now.saturating_sub(self.limits.claim_periods);
			for period in (first..chain.now).filter(|p| self.served_in(*p)) {
				for kept in self.claims_of(period, &priced)? {
					if on_chain.contains_key(&(kept.policy, kept.period)) {
						continue;
					}
					if chain.scheme == ActivityScheme::Committee {
						let key = (b"attest", kept.policy, kept.period).encode();
						if self.due(chain.best, &key) {
							self.gather(&kept, outbox.clone());
						}
						continue;
					}
					if chain.scheme == ActivityScheme::ZeroKnowledge {
						let key = (b"claim", kept.policy, kept.period).encode();
						if self.due(chain.best, &key) {
							self.prove(kept, outbox.clone());
						}
						continue;
					}
					let tree = kept.tree();
					let (omega, root) = (tree.omega(), tree.root());
					let payload =
						claim_payload(&self.worker, &kept.policy, kept.period, omega, &root);
					let duty = ActivityDuty::Claim {
						worker: self.worker.clone(),
						policy: kept.policy,
						period: kept.period,
						omega,
						root,
						signature: self.signer.sign(&payload).0,
					};
					self.send(
						chain.best,
						(b"claim", kept.policy, kept.period).encode(),
						duty,
						&**outbox,
					);
				}
			}
		}
		// Openings of the claims whose beacon is drawn.
		for ((policy, period), indices) in &chain.challenged {
			let Some(claim) = on_chain.get(&(*policy, *period)) else { continue };
			if claim.state != ClaimState::Committed {
				continue;
			}
			let duty = if claim.private {
				self.private_openings(claim, indices).map(|openings| ActivityDuty::OpenPrivate {
					worker: self.worker.clone(),
					policy: *policy,
					period: *period,
					openings,
				})
			} else {
				self.openings(claim, indices).map(|openings| ActivityDuty::Open {
					worker: self.worker.clone(),
					policy: *policy,
					period: *period,
					openings,
				})
			};
			match duty {
				Ok(duty) => {
					self.send(chain.best, (b"open", policy, period).encode(), duty, &**outbox);
				},
				Err(e) => log::error!(
					target: "ursula",
					"cannot open the claim of policy 0x{} for period {period}: {e}",
					hex::encode(policy)
				),
			}
		}
		Ok(())
	}

	fn served_in(&self, period: Period) -> bool {
		served_log::periods(&self.served).is_ok_and(|periods| periods.contains(&period))
	}

	/// The claims of `period`, one per priced policy served then: kept ones as kept, new ones
	/// built from the log and kept before they are returned.
	fn claims_of(
		&self,
		period: Period,
		priced: &impl Fn(&PolicyId) -> bool,
	) -> io::Result<Vec<KeptClaim>> {
		if self.built.lock().expect("not poisoned").contains(&period) {
			return self.kept_of(period);
		}
		let log = served_log::read_period(&self.served, period)?;
		let mut by_policy: HashMap<PolicyId, Vec<(Leaf, u64, u32)>> = HashMap::new();
		for (at, record) in &log.records {
			let body = &record.request.body;
			// Tickets pay for a request that carries one; a claim of it would be refuted.
			if record.request.ticket.is_some()
				|| body.ursula != self.worker
				|| record.served_at != period
				|| record.encoded_size() > self.limits.max_record_len as usize
				|| !priced(&body.policy)
			{
				continue;
			}
			by_policy.entry(body.policy).or_default().push((Leaf::of(record), at.offset, at.len));
		}
		let mut claims = Vec::new();
		for (policy, mut leaves) in by_policy {
			let path = claim_path(&self.dir, &policy, period);
			if let Some(kept) = read_kept(&path)? {
				claims.push(kept);
				continue;
			}
			// Tree order, each request once (and each key prefix once, as a private claim
			// needs), at most what a claim may count.
			leaves.sort_by_key(|(leaf, ..)| *leaf);
			leaves.dedup_by(|a, b| zk::key_prefix(&a.0.key) == zk::key_prefix(&b.0.key));
			leaves.truncate(self.limits.max_omega as usize);
			let kept = KeptClaim { policy, period, leaves };
			write_durably(&path, &kept.encode())?;
			claims.push(kept);
		}
		self.built.lock().expect("not poisoned").insert(period);
		Ok(claims)
	}

	/// The claims kept for `period`.
	fn kept_of(&self, period: Period) -> io::Result<Vec<KeptClaim>> {
		let prefix = format!("{period}-");
		let mut claims = Vec::new();
		for entry in std::fs::read_dir(&self.dir)? {
			let path = entry?.path();
			let ours = path
				.file_name()
				.and_then(|n| n.to_str())
				.is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".claim"));
			if let Some(kept) = ours.then(|| read_kept(&path)).transpose()?.flatten() {
				claims.push(kept);
			}
		}
		Ok(claims)
	}

	/// The kept claim behind `claim` on chain and its tree, checked to be the tree claimed.
	fn kept_as_claimed(&self, claim: &ClaimView<Balance>) -> Result<(KeptClaim, Tree), String> {
		let path = claim_path(&self.dir, &claim.policy, claim.period);
		let kept = read_kept(&path)
			.map_err(|e| e.to_string())?
			.ok_or("the claim's leaves are not kept here")?;
		let tree = kept.tree();
		if (tree.omega(), tree.root()) != (claim.omega, claim.root) {
			return Err("the kept leaves are not the tree claimed".into());
		}
		Ok((kept, tree))
	}

	/// The openings of `claim`'s challenged leaves, from the kept claim and the log.
	fn openings(
		&self,
		claim: &ClaimView<Balance>,
		indices: &[u32],
	) -> Result<Vec<Opening>, String> {
		let (kept, tree) = self.kept_as_claimed(claim)?;
		indices
			.iter()
			.map(|&index| {
				let kept_leaf =
					kept.leaves.get(index as usize).ok_or("a challenge past the leaves")?;
				let record = self.record_at(kept.period, kept_leaf)?;
				let next = kept
					.leaves
					.get(index as usize + 1)
					.map(|(leaf, ..)| (*leaf, tree.path(index + 1)));
				Ok(Opening { index, record: record.encode(), path: tree.path(index), next })
			})
			.collect()
	}

	/// The openings of a private claim's challenged leaves: as [`Self::openings`], each with
	/// its commitment (recomputed from the kept leaves and the worker's secret), the
	/// commitment's path and its blinding.
	fn private_openings(
		&self,
		claim: &ClaimView<Balance>,
		indices: &[u32],
	) -> Result<Vec<PrivateOpening>, String> {
		let (kept, tree) = self.kept_as_claimed(claim)?;
		let (commitments, blindings) = private_commitments(&self.dir, &kept, false)?;
		indices
			.iter()
			.map(|&index| {
				let kept_leaf =
					kept.leaves.get(index as usize).ok_or("a challenge past the leaves")?;
				let record = self.record_at(kept.period, kept_leaf)?;
				Ok(PrivateOpening {
					index,
					record: record.encode(),
					path: tree.path(index),
					commitment: commitments[index as usize],
					commitment_path: zk::commitment_path(&commitments, index),
					blinding: blindings[index as usize].to_bytes(),
				})
			})
			.collect()
	}

	/// On a thread of its own: proves the kept claim's keys distinct and hands the private
	/// claim over. A kept claim of more leaves than a private claim counts is cut to them
	/// first (and kept so), as it could be opened no other way.
	fn prove(&self, mut kept: KeptClaim, outbox: Arc<dyn ActivityOutbox>) {
		if kept.leaves.len() > zk::MAX_ZK_OMEGA as usize {
			kept.leaves.truncate(zk::MAX_ZK_OMEGA as usize);
			let path = claim_path(&self.dir, &kept.policy, kept.period);
			if let Err(e) = write_durably(&path, &kept.encode()) {
				log::error!(target: "ursula", "cannot keep the private claim's leaves: {e}");
				return;
			}
		}
		let mut asking = self.asking.lock().expect("not poisoned");
		asking.retain(|handle| !handle.is_finished());
		if asking.len() >= MAX_BACKGROUND {
			// Due again in a few blocks, when a thread is free.
			return;
		}
		let (worker, signer, dir) = (self.worker.clone(), self.signer.clone(), self.dir.clone());
		// A thread the system refuses is logged, never a panic (the lock is held).
		let spawned = std::thread::Builder::new().name("zk-prove".into()).spawn(move || {
			let started = std::time::Instant::now();
			match private_claim(&worker, &signer, &dir, &kept) {
				Ok(duty) => {
					log::info!(
						target: "ursula",
						"proved {} requests of period {} distinct in {} ms",
						kept.leaves.len(),
						kept.period,
						started.elapsed().as_millis()
					);
					if let Err(e) = outbox.push(duty) {
						log::warn!(target: "ursula", "cannot hand over a private claim: {e}");
					}
				},
				Err(e) => log::error!(target: "ursula", "cannot prove a private claim: {e}"),
			}
		});
		match spawned {
			Ok(handle) => asking.push(handle),
			Err(e) => log::warn!(target: "ursula", "cannot start a proof now: {e}"),
		}
	}

	/// Whether the duty at `key` is due at block `best`: not handed over in the last
	/// [`RESEND_BLOCKS`] (marks it handed over now).
	fn due(&self, best: u32, key: &[u8]) -> bool {
		let mut sent = self.sent.lock().expect("not poisoned");
		if sent.get(key).is_some_and(|at| best < at.saturating_add(RESEND_BLOCKS)) {
			return false;
		}
		sent.retain(|_, at| best < at.saturating_add(RESEND_BLOCKS * 10));
		sent.insert(key.to_vec(), best);
		true
	}

	/// Hands `duty` over, unless it was handed over in the last [`RESEND_BLOCKS`].
	fn send(
		&self,
		best: u32,
		key: Vec<u8>,
		duty: ActivityDuty<AccountId>,
		outbox: &dyn ActivityOutbox,
	) {
		if !self.due(best, &key) {
			return;
		}
		if let Err(e) = outbox.push(duty) {
			self.sent.lock().expect("not poisoned").remove(&key);
			log::warn!(target: "ursula", "cannot hand over an activity duty: {e}");
		}
	}

	/// The records of a kept claim, from the log, in tree order.
	fn records_of(&self, kept: &KeptClaim) -> Result<Vec<ServedRecord>, String> {
		kept.leaves.iter().map(|kept_leaf| self.record_at(kept.period, kept_leaf)).collect()
	}

	/// The record behind a kept leaf, read from `period`'s log where the leaf says, checked
	/// against the leaf.
	fn record_at(
		&self,
		period: Period,
		(leaf, offset, len): &(Leaf, u64, u32),
	) -> Result<ServedRecord, String> {
		let at = IndexEntry { offset: *offset, len: *len };
		served_log::read_record(&self.served, period, at)
			.map_err(|e| e.to_string())?
			.filter(|record| Leaf::of(record) == *leaf)
			.ok_or_else(|| "a claimed record is damaged in the log".to_string())
	}

	/// On a thread of its own: sends the kept claim's records to every other member of the
	/// current round's committee at once, keeps the signatures that verify, and hands over an
	/// attestation once the threshold's are in.
	fn gather(&self, kept: &KeptClaim, outbox: Arc<dyn ActivityOutbox>) {
		let Some(committee) = self.committee.clone() else { return };
		let records = match self.records_of(kept) {
			Ok(records) => records,
			Err(e) => {
				log::error!(target: "ursula", "cannot read the records to attest: {e}");
				return;
			},
		};
		let (worker, kept, signer) = (self.worker.clone(), kept.clone(), self.signer.clone());
		let handle = std::thread::spawn(move || {
			let Some((round, members, threshold)) = committee.current() else { return };
			let tree = kept.tree();
			let (omega, root) = (tree.omega(), tree.root());
			let mut request = AttestationRequest {
				version: ATTEST_VERSION,
				worker: worker.clone(),
				policy: kept.policy,
				period: kept.period,
				round,
				records,
				signature: [0; 64],
			};
			request.signature = signer.sign(&request.signing_payload()).0;
			let request = request.encode();
			let payload =
				attestation_payload(&worker, &kept.policy, kept.period, omega, &root, round);
			let signed: Vec<(u32, Sr25519Signature)> = std::thread::scope(|scope| {
				let asks: Vec<_> = members
					.iter()
					.enumerate()
					.filter(|(_, (member, _))| *member != worker)
					.map(|(index, (member, key))| {
						let (committee, request, payload) = (&committee, &request, &payload);
						scope.spawn(move || match committee.ask(member, request) {
							Ok(signature) if sr25519_signed(key, payload, &signature) => {
								Some((index as u32, signature))
							},
							Ok(_) => {
								log::warn!(target: "ursula", "{member} signed something else");
								None
							},
							Err(e) => {
								log::info!(target: "ursula", "{member} did not attest: {e}");
								None
							},
						})
					})
					.collect();
				asks.into_iter().filter_map(|ask| ask.join().ok().flatten()).collect()
			});
			if (signed.len() as u32) < threshold.max(1) {
				log::warn!(
					target: "ursula",
					"{} of {threshold} attestations of period {} (policy 0x{}): not enough",
					signed.len(),
					kept.period,
					hex::encode(kept.policy)
				);
				return;
			}
			let indices: Vec<u32> = signed.iter().map(|(index, _)| *index).collect();
			let duty = ActivityDuty::Attest {
				worker,
				policy: kept.policy,
				period: kept.period,
				omega,
				root,
				round,
				signers: SignerSet::of(&indices),
				signatures: signed.into_iter().map(|(_, signature)| signature).collect(),
			};
			if let Err(e) = outbox.push(duty) {
				log::warn!(target: "ursula", "cannot hand over an attestation: {e}");
			}
		});
		let mut asking = self.asking.lock().expect("not poisoned");
		asking.retain(|handle| !handle.is_finished());
		asking.push(handle);
	}

	/// Waits for the attestations being gathered (for tests).
	#[cfg(test)]
	pub fn wait_gathered(&self) {
		let handles = std::mem::take(&mut *self.asking.lock().expect("not poisoned"));
		for handle in handles {
			handle.join().expect("the gathering thread does not panic");
		}
	}

	/// Deletes the kept claims of periods that can no longer be opened.
	fn forget_old(&self, now: Period) -> io::Result<()> {
		let last_open = self.limits.claim_periods.saturating_add(1);
		for entry in std::fs::read_dir(&self.dir)? {
			let path = entry?.path();
			let period = path
				.file_name()
				.and_then(|name| name.to_str())
				.and_then(|name| name.split('-').next())
				.and_then(|period| period.parse::<Period>().ok());
			if period.is_some_and(|p| p.saturating_add(last_open) < now) {
				std::fs::remove_file(&path)?;
			}
		}
		self.built.lock().expect("not poisoned").retain(|p| p.saturating_add(last_open) >= now);
		Ok(())
	}
}

/// Private claims' proofs being made at once, at most (each a thread of its own; a claim not
/// started is due again a few blocks later).
const MAX_BACKGROUND: usize = 4;

/// Where the seed of a kept claim's blindings is kept.
fn seed_path(dir: &Path, policy: &PolicyId, period: Period) -> PathBuf {
	dir.join(format!("{period}-{}.seed", hex::encode(policy)))
}

/// The seed of a kept claim's blindings: read, or made at random and kept (synced) when
/// `create`.
fn claim_seed(dir: &Path, kept: &KeptClaim, create: bool) -> Result<[u8; 32], String> {
	let path = seed_path(dir, &kept.policy, kept.period);
	match std::fs::read(&path) {
		Ok(bytes) => bytes.try_into().map_err(|_| "the claim's seed is damaged".to_string()),
		Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
			let mut seed = [0u8; 32];
			getrandom::getrandom(&mut seed).map_err(|e| e.to_string())?;
			write_durably(&path, &seed).map_err(|e| e.to_string())?;
			Ok(seed)
		},
		Err(e) => Err(format!("the claim's seed is not kept here: {e}")),
	}
}

/// The commitments of a kept claim's keys and padding, and their blindings (from the claim's
/// seed, made if `create`).
fn private_commitments(
	dir: &Path,
	kept: &KeptClaim,
	create: bool,
) -> Result<(Vec<[u8; 32]>, Vec<zk::native::Scalar>), String> {
	let keys: Vec<u64> = kept.leaves.iter().map(|(leaf, ..)| zk::key_prefix(&leaf.key)).collect();
	let seed = claim_seed(dir, kept, create)?;
	let blindings = zk::native::blindings(&seed, &kept.policy, kept.period, &keys);
	let commitments =
		zk::native::commitments(&keys, &blindings).ok_or("no blinding for every commitment")?;
	Ok((commitments, blindings))
}

/// The signed private claim of a kept claim, with its commitments and proof.
fn private_claim(
	worker: &AccountId,
	signer: &sr25519::Pair,
	dir: &Path,
	kept: &KeptClaim,
) -> Result<ActivityDuty<AccountId>, String> {
	let tree = kept.tree();
	let (omega, root) = (tree.omega(), tree.root());
	let keys: Vec<u64> = kept.leaves.iter().map(|(leaf, ..)| zk::key_prefix(&leaf.key)).collect();
	let (_, blindings) = private_commitments(dir, kept, true)?;
	let payload_of = |commitments: &[[u8; 32]]| {
		let commitments_root = zk::commitments_root(commitments);
		zk::private_claim_payload(
			worker,
			&kept.policy,
			kept.period,
			omega,
			&root,
			&commitments_root,
		)
	};
	let (commitments, proof) = zk::native::prove_distinct(
		&keys,
		&blindings,
		|commitments| sp_crypto_hashing::blake2_256(&payload_of(commitments)),
		&mut rand::rngs::OsRng,
	)
	.ok_or("the kept keys are not distinct in their first 64 bits, or too many")?;
	let signature = signer.sign(&payload_of(&commitments)).0;
	Ok(ActivityDuty::ClaimPrivate {
		worker: worker.clone(),
		policy: kept.policy,
		period: kept.period,
		omega,
		root,
		commitments,
		proof,
		signature,
	})
}

/// The claim kept at `path`, if there is one (a damaged one is rebuilt).
fn read_kept(path: &Path) -> io::Result<Option<KeptClaim>> {
	match std::fs::read(path) {
		Ok(bytes) => Ok(KeptClaim::decode_all(&mut &bytes[..]).ok()),
		Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
		Err(e) => Err(e),
	}
}

/// Reads what [`Activity::update`] needs at block `at` (number `best`).
pub fn read_chain<B, C>(
	client: &C,
	worker: &AccountId,
	best: u32,
	at: B::Hash,
) -> Result<ChainView, String>
where
	B: sp_runtime::traits::Block,
	C: ProvideRuntimeApi<B>,
	C::Api: StakingApi<B, AccountId, Balance> + ActivityApi<B, AccountId, Balance>,
{
	let api = client.runtime_api();
	let e = |e: sp_api::ApiError| e.to_string();
	let durations = api.durations(at).map_err(e)?;
	let now = api.current_period(at).map_err(e)?;
	let fees_only = api.stage(at).map_err(e)? == Stage::FeesOnly;
	let claims = if fees_only { api.claims(at, worker.clone()).map_err(e)? } else { vec![] };
	let scheme = if fees_only { api.scheme(at).map_err(e)? } else { ActivityScheme::CommitOpen };
	let mut challenged = HashMap::new();
	for claim in claims.iter().filter(|c| c.state == ClaimState::Committed && best > c.beacon_at) {
		if let Some(indices) =
			api.challenged(at, worker.clone(), claim.policy, claim.period).map_err(e)?
		{
			challenged.insert((claim.policy, claim.period), indices);
		}
	}
	Ok(ChainView {
		best,
		now,
		first_block_of_period: best.is_multiple_of(durations.blocks_per_period.max(1)),
		fees_only,
		scheme,
		claims,
		challenged,
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use keymarket_primitives::{
		activity::{check_opening, in_tree_order},
		crypto::sr25519_signed,
		policies::{ReencryptionRequest, RequestBody, ServedRecord, SignedCfrag, WIRE_VERSION},
	};

	const PRICED: PolicyId = [1; 16];
	const FREE: PolicyId = [2; 16];
	const SERVED: Period = 3;
	const LIMITS: Limits = Limits { claim_periods: 2, max_omega: 1_000, max_record_len: 4_096 };

	#[derive(Default)]
	struct Outbox(Mutex<Vec<ActivityDuty<AccountId>>>);

	impl ActivityOutbox for Outbox {
		fn push(&self, duty: ActivityDuty<AccountId>) -> Result<(), String> {
			self.0.lock().unwrap().push(duty);
			Ok(())
		}
	}

	impl Outbox {
		fn take(&self) -> Vec<ActivityDuty<AccountId>> {
			std::mem::take(&mut *self.0.lock().unwrap())
		}
	}

	fn signer() -> sr25519::Pair {
		sr25519::Pair::from_string("//Ursula", None).unwrap()
	}

	fn worker() -> AccountId {
		signer().public().into()
	}

	fn record(policy: PolicyId, sequence: u64, served_at: Period) -> ServedRecord {
		ServedRecord {
			version: WIRE_VERSION,
			request: ReencryptionRequest {
				body: RequestBody {
					version: WIRE_VERSION,
					policy,
					ursula: worker(),
					bob: AccountId::from([3; 32]),
					sequence,
					capsules: vec![vec![4; 98]],
				},
				signature: [5; 64],
				ticket: None,
			},
			served_at,
			cfrags: vec![SignedCfrag { cfrag: vec![6; 300], signature: [7; 64] }],
		}
	}

	struct Scene {
		dir: tempfile::TempDir,
		log: served_log::ServedLog,
		outbox: Arc<Outbox>,
	}

	impl Scene {
		fn new() -> Self {
			let dir = tempfile::tempdir().unwrap();
			let log = served_log::ServedLog::open(&dir.path().join("served")).unwrap();
			Scene { dir, log, outbox: Arc::default() }
		}

		fn serve(&self, records: &[ServedRecord]) {
			for record in records {
				self.log.append(record).unwrap();
			}
		}

		/// The Ursula as it starts (again) on this node's files.
		fn activity(&self) -> Activity {
			let dir = self.dir.path();
			Activity::open(&dir.join("activity"), &dir.join("served"), worker(), signer(), LIMITS)
				.unwrap()
		}

		fn update(&self, activity: &Activity, chain: &ChainView) -> Vec<ActivityDuty<AccountId>> {
			let outbox: Arc<dyn ActivityOutbox> = self.outbox.clone();
			activity.update(chain, |policy| *policy == PRICED, &outbox).unwrap();
			activity.wait_gathered();
			self.outbox.take()
		}
	}

	/// Block `best` in the fees-only stage, with these claims on chain.
	fn chain(best: u32, claims: Vec<ClaimView<Balance>>) -> ChainView {
		ChainView {
			best,
			now: best / 10,
			first_block_of_period: best.is_multiple_of(10),
			fees_only: true,
			scheme: ActivityScheme::CommitOpen,
			claims,
			challenged: HashMap::new(),
		}
	}

	fn claimed(duties: &[ActivityDuty<AccountId>]) -> Vec<(PolicyId, Period, u32, [u8; 32])> {
		duties
			.iter()
			.filter_map(|duty| match duty {
				ActivityDuty::Claim { worker: w, policy, period, omega, root, signature } => {
					let payload = claim_payload(w, policy, *period, *omega, root);
					assert_eq!(*w, worker());
					assert!(sr25519_signed(&signer().public().0, &payload, signature));
					Some((*policy, *period, *omega, *root))
				},
				_ => None,
			})
			.collect()
	}

	fn on_chain(omega: u32, root: [u8; 32]) -> ClaimView<Balance> {
		ClaimView {
			policy: PRICED,
			period: SERVED,
			omega,
			root,
			beacon_at: 45,
			open_until: 69,
			state: ClaimState::Committed,
			private: false,
		}
	}

	/// What was served honestly under the priced policy in [`SERVED`]: ten requests, one of
	/// them twice.
	fn honest() -> Vec<ServedRecord> {
		let mut records: Vec<_> = (0..10).map(|s| record(PRICED, s, SERVED)).collect();
		records.push(record(PRICED, 4, SERVED));
		records
	}

	#[test]
	fn the_ursula_claims_each_priced_policys_distinct_unticketed_requests_once_a_period() {
		let scene = Scene::new();
		let mut served = honest();
		// Under a policy without a price, with a ticket, for another Ursula, of another period.
		served.push(record(FREE, 1, SERVED));
		let mut ticketed = record(PRICED, 20, SERVED);
		ticketed.request.ticket = Some(keymarket_primitives::lottery::Ticket {
			version: keymarket_primitives::lottery::TICKET_VERSION,
			payer: AccountId::from([8; 32]),
			policy: PRICED,
			recipient: worker(),
			face_value: 1,
			win_probability: 1,
			nonce: 20,
			commitment: [0; 32],
			created_round: 0,
			created_hash: [0; 32],
			expires: 1,
			request_hash: [0; 32],
		});
		served.push(ticketed);
		let mut foreign = record(PRICED, 21, SERVED);
		foreign.request.body.ursula = AccountId::from([9; 32]);
		served.push(foreign);
		served.push(record(PRICED, 22, SERVED + 1));
		scene.serve(&served);
		let activity = scene.activity();

		// Not in the fees-only stage, or on the period's first block: nothing yet.
		let mut inflation = chain(41, vec![]);
		inflation.fees_only = false;
		assert!(scene.update(&activity, &inflation).is_empty());
		assert!(scene.update(&activity, &chain(40, vec![])).is_empty());

		let claims = claimed(&scene.update(&activity, &chain(41, vec![])));
		let tree = Tree::build(
			&in_tree_order(&honest()).iter().map(|(leaf, _)| *leaf).collect::<Vec<_>>(),
		);
		assert_eq!(claims, vec![(PRICED, SERVED, 10, tree.root())]);
		// Handed over again only after a few blocks without it on chain; not once it is.
		assert!(scene.update(&activity, &chain(42, vec![])).is_empty());
		assert_eq!(claimed(&scene.update(&activity, &chain(44, vec![]))).len(), 1);
		let landed = vec![on_chain(10, tree.root())];
		assert!(scene.update(&activity, &chain(49, landed)).is_empty());
	}

	#[test]
	fn a_claim_is_the_tree_kept_even_when_the_log_changes_after_a_crash() {
		let scene = Scene::new();
		scene.serve(&honest());
		let first = claimed(&scene.update(&scene.activity(), &chain(41, vec![])));
		// A straggler reaches the log; the node restarts.
		scene.serve(&[record(PRICED, 30, SERVED)]);
		let again = claimed(&scene.update(&scene.activity(), &chain(45, vec![])));
		assert_eq!(first, again, "the kept tree, not one rebuilt");
	}

	#[test]
	fn the_challenged_leaves_open_against_the_claimed_root() {
		let scene = Scene::new();
		scene.serve(&honest());
		let activity = scene.activity();
		let (_, _, omega, root) = claimed(&scene.update(&activity, &chain(41, vec![])))[0];
		let mut view = chain(46, vec![on_chain(omega, root)]);
		view.challenged.insert((PRICED, SERVED), vec![0, 4, 9]);
		let duties = scene.update(&activity, &view);
		let [ActivityDuty::Open { worker: w, policy, period, openings }] = &duties[..] else {
			panic!("one opening: {duties:?}");
		};
		assert_eq!((w, *policy, *period), (&worker(), PRICED, SERVED));
		let indices: Vec<u32> = openings.iter().map(|o| o.index).collect();
		assert_eq!(indices, vec![0, 4, 9]);
		let expected = in_tree_order(&honest());
		for opening in openings {
			let record = check_opening(&root, omega, opening).expect("an opening that holds");
			assert_eq!(record.encode(), expected[opening.index as usize].1);
		}
		// A claim on chain that is not the kept tree (the kept leaves were lost, or another
		// node of the same worker claimed): nothing is opened.
		let mut other = chain(50, vec![on_chain(omega, [0; 32])]);
		other.challenged.insert((PRICED, SERVED), vec![0]);
		assert!(scene.update(&activity, &other).is_empty());
	}

	#[test]
	fn claims_past_their_opening_window_are_forgotten() {
		let scene = Scene::new();
		scene.serve(&honest());
		let activity = scene.activity();
		assert_eq!(claimed(&scene.update(&activity, &chain(41, vec![]))).len(), 1);
		let kept = claim_path(&scene.dir.path().join("activity"), &PRICED, SERVED);
		assert!(kept.exists());
		// Openable until the end of period SERVED + claim periods + 1; gone after.
		scene.update(&activity, &chain(69, vec![]));
		assert!(kept.exists());
		scene.update(&activity, &chain(71, vec![]));
		assert!(!kept.exists());
	}

	/// A committee of `members` (dev keys `//m<i>`), the worker sitting at place 1: each member
	/// signs what it computes from the records it is sent, but `liar`, who signs other work.
	struct Members {
		members: Vec<(AccountId, [u8; 32])>,
		liar: Option<usize>,
		asked: Mutex<Vec<AccountId>>,
	}

	fn member(i: usize) -> sr25519::Pair {
		sr25519::Pair::from_string(&format!("//m{i}"), None).unwrap()
	}

	impl Members {
		fn new(count: usize, liar: Option<usize>) -> Self {
			let mut members: Vec<(AccountId, [u8; 32])> =
				(0..count).map(|i| (member(i).public().into(), member(i).public().0)).collect();
			members.insert(1, (worker(), signer().public().0));
			Self { members, liar, asked: Mutex::new(Vec::new()) }
		}
	}

	impl Committee for Members {
		fn current(&self) -> Option<(Round, Seats, u32)> {
			Some((8, self.members.clone(), 2))
		}
		fn ask(&self, who: &AccountId, request: &[u8]) -> Result<Sr25519Signature, String> {
			use codec::Decode;
			self.asked.lock().unwrap().push(who.clone());
			let request = AttestationRequest::<AccountId>::decode(&mut &request[..]).unwrap();
			let leaves: Vec<Leaf> =
				in_tree_order(&request.records).iter().map(|(leaf, _)| *leaf).collect();
			let tree = Tree::build(&leaves);
			let i = (0..8).find(|i| AccountId::from(member(*i).public()) == *who).unwrap();
			let omega = tree.omega() + u32::from(self.liar == Some(i));
			let payload = attestation_payload(
				&request.worker,
				&request.policy,
				request.period,
				omega,
				&tree.root(),
				request.round,
			);
			Ok(member(i).sign(&payload).0)
		}
	}

	#[test]
	fn under_the_committee_scheme_the_ursula_gathers_a_threshold_of_attestations() {
		let scene = Scene::new();
		scene.serve(&honest());
		let committee = Arc::new(Members::new(3, Some(2)));
		let activity = scene.activity().with_committee(committee.clone());
		let mut view = chain(41, vec![]);
		view.scheme = ActivityScheme::Committee;
		let duties = scene.update(&activity, &view);
		let [ActivityDuty::Attest {
			worker: w,
			policy,
			period,
			omega,
			root,
			round,
			signers,
			signatures,
		}] = &duties[..]
		else {
			panic!("one attestation: {duties:?}");
		};
		// Every member but the worker was asked; the liar's signature was dropped; the
		// others' (places 0 and 2 of 0..=3) are handed over, in the order of their places.
		let asked = committee.asked.lock().unwrap().clone();
		assert_eq!(asked.len(), 3);
		assert!(!asked.contains(&worker()));
		let tree = Tree::build(
			&in_tree_order(&honest()).iter().map(|(leaf, _)| *leaf).collect::<Vec<_>>(),
		);
		assert_eq!(
			(w, *policy, *period, *omega, *root, *round),
			(&worker(), PRICED, SERVED, 10, tree.root(), 8)
		);
		assert_eq!(signers.indices().collect::<Vec<_>>(), vec![0, 2]);
		let payload = attestation_payload(&worker(), &PRICED, SERVED, 10, &tree.root(), 8);
		for (index, signature) in signers.indices().zip(signatures) {
			let key = committee.members[index as usize].1;
			assert!(sr25519_signed(&key, &payload, signature));
		}
		// Asked once, not at every block.
		assert!(scene.update(&activity, &chain_with(42, ActivityScheme::Committee)).is_empty());
	}

	#[test]
	fn without_a_threshold_of_attestations_nothing_is_handed_over() {
		let scene = Scene::new();
		scene.serve(&honest());
		// Two members besides the worker, one of them lying: one good signature of two needed.
		let activity = scene.activity().with_committee(Arc::new(Members::new(2, Some(0))));
		assert!(scene.update(&activity, &chain_with(41, ActivityScheme::Committee)).is_empty());
	}

	fn chain_with(best: u32, scheme: ActivityScheme) -> ChainView {
		ChainView { scheme, ..chain(best, vec![]) }
	}

	#[test]
	fn under_the_zero_knowledge_scheme_the_ursula_claims_privately_and_opens_its_commitments() {
		let scene = Scene::new();
		scene.serve(&honest());
		let activity = scene.activity();
		let duties = scene.update(&activity, &chain_with(41, ActivityScheme::ZeroKnowledge));
		let [ActivityDuty::ClaimPrivate {
			worker: w,
			policy,
			period,
			omega,
			root,
			commitments,
			proof,
			signature,
		}] = &duties[..]
		else {
			panic!("one private claim: {duties:?}");
		};
		let tree = Tree::build(
			&in_tree_order(&honest()).iter().map(|(leaf, _)| *leaf).collect::<Vec<_>>(),
		);
		assert_eq!(
			(w, *policy, *period, *omega, *root),
			(&worker(), PRICED, SERVED, 10, tree.root())
		);
		// Signed over the commitments' root; the proof verifies under that claim's context.
		let commitments_root = zk::commitments_root(commitments);
		let payload =
			zk::private_claim_payload(&worker(), &PRICED, SERVED, 10, root, &commitments_root);
		assert!(sr25519_signed(&signer().public().0, &payload, signature));
		let flat: Vec<u8> = commitments.iter().flatten().copied().collect();
		let context = sp_crypto_hashing::blake2_256(&payload);
		assert_eq!(zk::native::verify_distinct(&context, 10, &flat, proof), Ok(()));
		// Made again after a restart: the same commitments (the proof is fresh).
		let again = scene.update(&scene.activity(), &chain_with(45, ActivityScheme::ZeroKnowledge));
		let [ActivityDuty::ClaimPrivate { commitments: same, .. }] = &again[..] else {
			panic!("the private claim again: {again:?}");
		};
		assert_eq!(same, commitments);

		// Challenged: each opening holds against both roots.
		let mut view = chain_with(46, ActivityScheme::ZeroKnowledge);
		view.claims = vec![ClaimView { private: true, ..on_chain(10, tree.root()) }];
		view.challenged.insert((PRICED, SERVED), vec![1, 7]);
		let duties = scene.update(&activity, &view);
		let [ActivityDuty::OpenPrivate { openings, .. }] = &duties[..] else {
			panic!("one private opening: {duties:?}");
		};
		assert_eq!(openings.iter().map(|o| o.index).collect::<Vec<_>>(), vec![1, 7]);
		for opening in openings {
			zk::check_private_opening(&tree.root(), &commitments_root, 10, opening)
				.expect("a private opening that holds");
		}
	}
}
