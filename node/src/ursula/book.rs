//! The policies this Ursula serves, as of the best block, with their key fragments.
//!
//! On every new best block the book asks the runtime which live policies name this Ursula,
//! refreshes what it knows of each (a revocation shows at once), and fetches new key fragments:
//! it opens each with its Umbral key and verifies it against Alice's verifying key, the policy
//! key and Bob's key. A bad one is refused (logged, never served). A good one is kept in the
//! node's persistent off-chain storage still encrypted as it came from the chain, so a restart
//! does not depend on the chain keeping it; only the in-memory copy is in clear.

use std::{
	collections::HashMap,
	sync::{Arc, RwLock},
};

use codec::DecodeAll;
use keymarket_primitives::{
	msgpack,
	policies::{BoundKeyFrag, EncryptedKeyFrag, PoliciesApi, PolicyId, PolicyView, WIRE_VERSION},
	staking::{Period, StakingApi},
	AccountId, Balance,
};
use sp_api::ProvideRuntimeApi;
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};
use umbral_pre::{Capsule, KeyFrag, PublicKey, VerifiedKeyFrag};

use super::keys::UrsulaSecrets;

/// Why a policy's key fragment cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KfragProblem {
	/// The chain holds none for this Ursula (revoked, or not one of its Ursulas).
	Missing,
	/// It does not open with this Ursula's key, or does not verify: refused.
	Refused(String),
}

/// A policy as this Ursula serves it.
#[derive(Clone)]
pub struct Entry {
	/// What the chain says of it.
	pub view: PolicyView<AccountId, Balance>,
	/// The key fragment, verified, or why there is none.
	pub kfrag: Result<Arc<VerifiedKeyFrag>, KfragProblem>,
}

/// The book: policies by id, and the current period.
#[derive(Default)]
pub struct Book {
	entries: RwLock<HashMap<PolicyId, Entry>>,
	period: RwLock<Period>,
}

const KFRAG_KEY: &[u8] = b"keymarket/ursula/kfrag/";

/// How long after its end a cleaned-up policy is still answered as expired.
const TOMBSTONE_PERIODS: Period = 60;

fn storage_key(id: &PolicyId) -> Vec<u8> {
	[KFRAG_KEY, id.as_slice()].concat()
}

impl Book {
	/// The entry of policy `id`, if this Ursula knows it.
	pub fn get(&self, id: &PolicyId) -> Option<Entry> {
		self.entries.read().expect("not poisoned").get(id).cloned()
	}

	/// How many policies' key fragments the book holds, opened and verified.
	pub fn key_fragments(&self) -> usize {
		self.entries.read().expect("not poisoned").values().filter(|e| e.kfrag.is_ok()).count()
	}

	/// The current period as of the best block.
	pub fn period(&self) -> Period {
		*self.period.read().expect("not poisoned")
	}

	/// Sets the current period (for tests).
	#[cfg(test)]
	pub fn set_period(&self, period: Period) {
		*self.period.write().expect("not poisoned") = period;
	}

	/// Puts `entry` in the book (for tests).
	#[cfg(test)]
	pub fn insert(&self, entry: Entry) {
		self.entries.write().expect("not poisoned").insert(entry.view.id, entry);
	}

	/// Brings the book up to the block `at`.
	pub fn refresh<B, C, S>(&self, client: &C, storage: &mut S, keys: &UrsulaSecrets, at: B::Hash)
	where
		B: sp_runtime::traits::Block,
		C: ProvideRuntimeApi<B>,
		C::Api: PoliciesApi<B, AccountId, Balance> + StakingApi<B, AccountId, Balance>,
		S: OffchainStorage,
	{
		let api = client.runtime_api();
		let (Ok(period), Ok(live)) =
			(api.current_period(at), api.policies_of_ursula(at, keys.worker.clone()))
		else {
			log::warn!(target: "ursula", "cannot read policies at {at:?}");
			return;
		};
		*self.period.write().expect("not poisoned") = period;
		let known: Vec<PolicyId> =
			self.entries.read().expect("not poisoned").keys().copied().collect();
		let mut ids = live.clone();
		ids.extend(known.into_iter().filter(|id| !live.contains(id)));
		for id in ids {
			let view = match api.policy(at, id) {
				Ok(Some(view)) => view,
				Ok(None) => {
					// Cleaned up after its end: keep what it was for a while, so that Bobs hear
					// "expired" rather than "unknown", without its key fragment.
					storage.remove(STORAGE_PREFIX, &storage_key(&id));
					let mut entries = self.entries.write().expect("not poisoned");
					match entries.get_mut(&id) {
						Some(entry)
							if period <= entry.view.end.saturating_add(TOMBSTONE_PERIODS) =>
						{
							entry.kfrag = Err(KfragProblem::Missing)
						},
						_ => {
							entries.remove(&id);
						},
					}
					continue;
				},
				Err(e) => {
					log::warn!(target: "ursula", "cannot read policy 0x{}: {e}", hex::encode(id));
					continue;
				},
			};
			let kfrag = if live.contains(&id) {
				match self.get(&id).map(|entry| entry.kfrag) {
					// A verified fragment is kept; a refused one stays refused (it cannot change).
					Some(kept @ (Ok(_) | Err(KfragProblem::Refused(_)))) => kept,
					_ => self.load_kfrag(client, storage, keys, at, &view),
				}
			} else {
				// Revoked: the key fragment goes with it.
				storage.remove(STORAGE_PREFIX, &storage_key(&id));
				Err(KfragProblem::Missing)
			};
			self.entries.write().expect("not poisoned").insert(id, Entry { view, kfrag });
		}
	}

	fn load_kfrag<B, C, S>(
		&self,
		client: &C,
		storage: &mut S,
		keys: &UrsulaSecrets,
		at: B::Hash,
		view: &PolicyView<AccountId, Balance>,
	) -> Result<Arc<VerifiedKeyFrag>, KfragProblem>
	where
		B: sp_runtime::traits::Block,
		C: ProvideRuntimeApi<B>,
		C::Api: PoliciesApi<B, AccountId, Balance>,
		S: OffchainStorage,
	{
		let key = storage_key(&view.id);
		let (envelope, stored) = match storage.get(STORAGE_PREFIX, &key) {
			Some(envelope) => (envelope, true),
			None => match client.runtime_api().encrypted_kfrag(at, view.id, keys.worker.clone()) {
				Ok(Some(envelope)) => (envelope, false),
				_ => return Err(KfragProblem::Missing),
			},
		};
		match open_kfrag(&envelope, keys, view) {
			Ok(kfrag) => {
				if !stored {
					storage.set(STORAGE_PREFIX, &key, &envelope);
					log::info!(target: "ursula", "accepted the key fragment of policy 0x{}", hex::encode(view.id));
				}
				Ok(Arc::new(kfrag))
			},
			Err(why) => {
				log::warn!(
					target: "ursula",
					"refused the key fragment of policy 0x{}: {why}",
					hex::encode(view.id)
				);
				Err(KfragProblem::Refused(why))
			},
		}
	}
}

/// Opens an encrypted key fragment with the Ursula's Umbral key and verifies it for the policy.
pub fn open_kfrag(
	envelope: &[u8],
	keys: &UrsulaSecrets,
	view: &PolicyView<AccountId, Balance>,
) -> Result<VerifiedKeyFrag, String> {
	let envelope = EncryptedKeyFrag::decode_all(&mut &envelope[..])
		.map_err(|e| format!("not an encrypted key fragment: {e}"))?;
	if envelope.version != WIRE_VERSION {
		return Err(format!("unknown version {}", envelope.version));
	}
	let capsule = msgpack::from_slice::<Capsule>(&envelope.capsule)
		.map_err(|e| format!("bad capsule: {e}"))?;
	let plain = umbral_pre::decrypt_original(&keys.umbral, &capsule, &envelope.ciphertext)
		.map_err(|e| format!("not encrypted to this Ursula: {e}"))?;
	let bound = BoundKeyFrag::decode_all(&mut &plain[..])
		.map_err(|e| format!("not a key fragment bound to a policy: {e}"))?;
	// Fragments and keys of any policy are public on chain: one sealed for another policy
	// (another owner, Bob, or end) is a replay, never served.
	if !bound.binds(view) {
		return Err("sealed for another policy (a replayed key fragment)".into());
	}
	let kfrag = msgpack::from_slice::<KeyFrag>(&bound.kfrag)
		.map_err(|e| format!("not a key fragment: {e}"))?;
	let key = |bytes: &[u8; 33]| {
		PublicKey::try_from_compressed_bytes(bytes).map_err(|e| format!("bad policy key: {e}"))
	};
	kfrag
		.verify(
			&key(&view.verifying_key)?,
			Some(&key(&view.policy_key)?),
			Some(&key(&view.bob_key)?),
		)
		.map_err(|(e, _)| format!("does not verify: {e}"))
}
