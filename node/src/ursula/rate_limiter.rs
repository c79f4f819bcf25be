//! Token buckets weighed by capsules: a request of `n` capsules costs `n` tokens. The endpoint
//! keeps one limiter keyed by the client's address (checked before any signature or curve work)
//! and one keyed by (policy, Bob) (checked once Bob's signature verifies, so that nobody drains
//! another Bob's bucket with forged requests).
//!
//! Memory is bounded: a bucket that has refilled to the brim is the same as no bucket, so idle
//! entries are pruned (at most once per [`PRUNE_EVERY`]); and while the map holds `max_entries`
//! busy clients, a new one is refused rather than the map growing.

use std::{
	collections::HashMap,
	hash::Hash,
	net::IpAddr,
	sync::Mutex,
	time::{Duration, Instant},
};

use keymarket_primitives::policies::MAX_CAPSULES_PER_REQUEST;

/// How often idle buckets are forgotten.
pub const PRUNE_EVERY: Duration = Duration::from_secs(1);

/// Who a client is for the endpoint's limits: its IPv4 address, or the /64 prefix of its IPv6
/// address (one host is routinely given a whole /64, so counting addresses inside it would let
/// it multiply its share at will).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientAddress {
	V4([u8; 4]),
	V6Prefix([u8; 8]),
}

impl From<IpAddr> for ClientAddress {
	fn from(ip: IpAddr) -> Self {
		match ip {
			IpAddr::V4(v4) => Self::V4(v4.octets()),
			IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
				Some(v4) => Self::V4(v4.octets()),
				None => Self::V6Prefix(v6.octets()[..8].try_into().expect("eight bytes")),
			},
		}
	}
}

struct Bucket {
	tokens: f64,
	at: Instant,
}

struct Buckets<K> {
	by_key: HashMap<K, Bucket>,
	pruned_at: Instant,
}

/// Token buckets of `rate` tokens a second each, holding at most `max(rate, 32)` tokens (so
/// that a request of the most capsules can always pass a full bucket).
pub struct RateLimiter<K> {
	rate: f64,
	capacity: f64,
	max_entries: usize,
	buckets: Mutex<Buckets<K>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
	pub fn new(rate: u32, max_entries: usize) -> Self {
		let rate = f64::from(rate.max(1));
		Self {
			rate,
			capacity: rate.max(f64::from(MAX_CAPSULES_PER_REQUEST)),
			max_entries: max_entries.max(1),
			buckets: Mutex::new(Buckets { by_key: HashMap::new(), pruned_at: Instant::now() }),
		}
	}

	/// Takes `cost` tokens from `key`'s bucket; `false` (nothing taken) when it holds fewer.
	pub fn admit(&self, key: &K, cost: u32) -> bool {
		self.admit_at(key, cost, Instant::now())
	}

	/// [`Self::admit`] at the instant `now`.
	pub fn admit_at(&self, key: &K, cost: u32, now: Instant) -> bool {
		let cost = f64::from(cost);
		let mut buckets = self.buckets.lock().expect("not poisoned");
		if now.saturating_duration_since(buckets.pruned_at) >= PRUNE_EVERY {
			buckets.by_key.retain(|_, bucket| self.refilled(bucket, now) < self.capacity);
			buckets.pruned_at = now;
		}
		if let Some(bucket) = buckets.by_key.get_mut(key) {
			bucket.tokens = self.refilled(bucket, now);
			bucket.at = now;
			if bucket.tokens < cost {
				return false;
			}
			bucket.tokens -= cost;
			return true;
		}
		if buckets.by_key.len() >= self.max_entries || self.capacity < cost {
			return false;
		}
		buckets.by_key.insert(key.clone(), Bucket { tokens: self.capacity - cost, at: now });
		true
	}

	/// How many clients have a bucket that is not full.
	#[cfg(test)]
	pub fn tracked(&self) -> usize {
		self.buckets.lock().expect("not poisoned").by_key.len()
	}

	fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
		let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
		(bucket.tokens + elapsed * self.rate).min(self.capacity)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_request_costs_one_token_per_capsule() {
		let limiter = RateLimiter::new(64, 10);
		let t0 = Instant::now();
		let client = ClientAddress::V4([10, 0, 0, 1]);
		assert!(limiter.admit_at(&client, 32, t0));
		assert!(limiter.admit_at(&client, 32, t0));
		assert!(!limiter.admit_at(&client, 32, t0), "64 tokens, two requests of 32 capsules");
		assert!(!limiter.admit_at(&client, 1, t0), "not even one capsule more");
		// Half a second refills 32 tokens: one more full request, no more.
		let later = t0 + Duration::from_millis(500);
		assert!(limiter.admit_at(&client, 32, later));
		assert!(!limiter.admit_at(&client, 1, later));
		// Another client has its own bucket.
		assert!(limiter.admit_at(&ClientAddress::V4([10, 0, 0, 2]), 32, later));
	}

	#[test]
	fn a_low_rate_still_admits_a_full_request() {
		let limiter = RateLimiter::new(4, 10);
		let t0 = Instant::now();
		assert!(limiter.admit_at(&1u8, MAX_CAPSULES_PER_REQUEST, t0), "the bucket holds 32");
		assert!(!limiter.admit_at(&1u8, 4, t0 + Duration::from_millis(999)));
		assert!(limiter.admit_at(&1u8, 4, t0 + Duration::from_secs(1)), "then 4 a second");
	}

	#[test]
	fn each_bob_and_policy_has_its_own_bucket() {
		let limiter = RateLimiter::<([u8; 16], [u8; 32])>::new(32, 10);
		let t0 = Instant::now();
		assert!(limiter.admit_at(&([1; 16], [2; 32]), 32, t0));
		assert!(!limiter.admit_at(&([1; 16], [2; 32]), 1, t0), "Bob spent his on policy 1");
		assert!(limiter.admit_at(&([3; 16], [2; 32]), 32, t0), "his other policy is untouched");
		assert!(limiter.admit_at(&([1; 16], [4; 32]), 32, t0), "another Bob is untouched");
	}

	#[test]
	fn idle_clients_are_forgotten_and_the_map_stays_bounded() {
		let limiter = RateLimiter::new(100, 3);
		let t0 = Instant::now();
		for client in 0u32..3 {
			assert!(limiter.admit_at(&client, 1, t0));
		}
		assert_eq!(limiter.tracked(), 3);
		assert!(!limiter.admit_at(&3, 1, t0), "full of busy clients: a newcomer waits");
		assert_eq!(limiter.tracked(), 3);
		// After a second every bucket is full again: pruning frees them all.
		let later = t0 + PRUNE_EVERY;
		assert!(limiter.admit_at(&3, 1, later));
		assert_eq!(limiter.tracked(), 1, "only the newcomer is left");
		// A client drained half a second before the next pruning is remembered.
		assert!(limiter.admit_at(&4, 100, later + PRUNE_EVERY / 2));
		assert!(limiter.admit_at(&5, 1, later + PRUNE_EVERY));
		assert_eq!(limiter.tracked(), 2, "client 4 (half full) and the newcomer");
		assert!(!limiter.admit_at(&4, 51, later + PRUNE_EVERY), "its 50 tokens were kept");
	}

	#[test]
	fn an_ipv6_host_counts_as_its_slash_64() {
		let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
		let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
		let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
		assert_eq!(ClientAddress::from(a), ClientAddress::from(b));
		assert_ne!(ClientAddress::from(a), ClientAddress::from(c));
		let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
		assert_eq!(ClientAddress::from(mapped), ClientAddress::V4([10, 0, 0, 1]));
	}
}
