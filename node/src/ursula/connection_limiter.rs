//! Open connections per client address: one host may hold at most `per_address` of the
//! endpoint's connections, so that slow connections from one host cannot take every slot. The
//! map has an entry per address with an open connection only, so it is no larger than the
//! endpoint's global cap of connections.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
};

use super::rate_limiter::ClientAddress;

/// Counts the open connections of each client address.
pub struct ConnectionLimiter {
	per_address: usize,
	open: Mutex<HashMap<ClientAddress, usize>>,
}

/// One open connection of a client; it is counted until dropped.
pub struct ConnectionSlot {
	limiter: Arc<ConnectionLimiter>,
	client: ClientAddress,
}

impl ConnectionLimiter {
	pub fn new(per_address: usize) -> Arc<Self> {
		Arc::new(Self { per_address: per_address.max(1), open: Mutex::new(HashMap::new()) })
	}

	/// A slot for one more connection of `client`, or `None` if it holds its share already.
	pub fn admit(self: &Arc<Self>, client: ClientAddress) -> Option<ConnectionSlot> {
		let mut open = self.open.lock().expect("not poisoned");
		let count = open.entry(client).or_default();
		if *count >= self.per_address {
			return None;
		}
		*count += 1;
		Some(ConnectionSlot { limiter: self.clone(), client })
	}

	/// How many addresses have connections open.
	#[cfg(test)]
	pub fn clients(&self) -> usize {
		self.open.lock().expect("not poisoned").len()
	}
}

impl Drop for ConnectionSlot {
	fn drop(&mut self) {
		let mut open = self.limiter.open.lock().expect("not poisoned");
		if let Some(count) = open.get_mut(&self.client) {
			*count -= 1;
			if *count == 0 {
				open.remove(&self.client);
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn one_host_holds_at_most_its_share_of_connections() {
		let limiter = ConnectionLimiter::new(2);
		let attacker = ClientAddress::V4([10, 0, 0, 66]);
		let first = limiter.admit(attacker).expect("one");
		let _second = limiter.admit(attacker).expect("two");
		assert!(limiter.admit(attacker).is_none(), "a third from the same host is refused");
		let _bob = limiter.admit(ClientAddress::V4([10, 0, 0, 7])).expect("another host is not");
		drop(first);
		let _again = limiter.admit(attacker).expect("a closed connection frees its slot");
	}

	#[test]
	fn closed_connections_leave_no_entry() {
		let limiter = ConnectionLimiter::new(4);
		let slots: Vec<_> =
			(0..100u8).filter_map(|i| limiter.admit(ClientAddress::V4([10, 0, 0, i]))).collect();
		assert_eq!(limiter.clients(), 100);
		drop(slots);
		assert_eq!(limiter.clients(), 0);
	}
}
