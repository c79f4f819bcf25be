//! Every decoder of bytes from outside, each behind one entry point that takes any bytes and
//! says whether they decoded (as one of the things it reads): the cargo-fuzz targets of
//! `primitives/fuzz/` call these (feature `fuzzing`), and the unit tests below run them over
//! random bytes and mutations of valid encodings on every test run.
//!
//! None may panic, and each checks what it decoded: SCALE messages decode only from their one
//! encoding (a message that decodes re-encodes to the same bytes, so no two byte strings name
//! the same request, complaint or ticket, whose hashes the protocol keys on), and the framing's
//! scan accounts for every byte.

use alloc::vec::Vec;
use codec::{DecodeAll, Encode};

use crate::{
	activity::{check_opening, Opening},
	framing::{scan_frames, unframe_served_record},
	gateway::{
		claim_signing_payload, open_complained, ClaimKind, Complaint, SignerSet,
		UnavailabilityClaim,
	},
	lottery::{check_for_service, wins, FundsView, ServiceTerms, SignedTicket, Ticket},
	policies::{
		judge_cfrag, ReencryptionRequest, ReencryptionResponse, RequestError, ServedRecord,
	},
	zk::{check_private_opening, PrivateOpening},
	AccountId, Balance,
};

/// `T` decoded from exactly `data`, checked to be its only encoding.
fn canonical<T: DecodeAll + Encode>(data: &[u8]) -> Option<T> {
	let value = T::decode_all(&mut &data[..]).ok()?;
	assert_eq!(value.encode(), data, "a second encoding of one value");
	Some(value)
}

/// `data` cut in two after its first byte, at the length that byte says (or at its end).
fn split(data: &[u8]) -> (&[u8], &[u8]) {
	let rest = data.get(1..).unwrap_or_default();
	let at = data.first().map_or(0, |b| usize::from(*b)).min(rest.len());
	rest.split_at(at)
}

/// The first `N` bytes of `data`, zero-padded.
fn array<const N: usize>(data: &[u8]) -> [u8; N] {
	let mut out = [0u8; N];
	let n = data.len().min(N);
	out[..n].copy_from_slice(&data[..n]);
	out
}

/// umbral-pre's MessagePack objects, as the runtime's adjudicator and the Ursula read them:
/// capsules, capsule fragments and key fragments, and a fragment judged against a capsule under
/// three keys, all from the bytes.
pub fn umbral_msgpack(data: &[u8]) -> bool {
	let mut decoded = crate::policies::capsule_is_valid(data);
	decoded |= crate::msgpack::from_slice::<umbral_pre::CapsuleFrag>(data).is_ok();
	decoded |= crate::msgpack::from_slice::<umbral_pre::KeyFrag>(data).is_ok();
	// Alice's verifying key, the policy key, Bob's key; the capsule's length, it, the fragment.
	if let Some((keys, rest)) = data.split_at_checked(99) {
		let (capsule, cfrag) = split(rest);
		let key = |i: usize| array::<33>(&keys[33 * i..33 * (i + 1)]);
		decoded |= judge_cfrag(capsule, cfrag, &key(0), &key(1), &key(2)).is_ok();
	}
	decoded
}

/// The Ursula endpoint's wire format: Bob's request (and his signature of it or of its ticket),
/// the Ursula's answer, its refusal.
pub fn wire_messages(data: &[u8]) -> bool {
	let request = canonical::<ReencryptionRequest>(data);
	if let Some(request) = &request {
		let _ = request.bob_signed();
		let _ = request.body_hash();
	}
	request.is_some()
		| canonical::<ReencryptionResponse>(data).is_some()
		| canonical::<RequestError>(data).is_some()
}

/// The gateway's inputs: a complaint (possibly wrapping others, to the mediation depth), opened
/// for a claim of the kind the first byte names and checked for Bob's work and signatures; a
/// claim of unavailability with its signers.
pub fn complaint(data: &[u8]) -> bool {
	let kind = if data.first().is_some_and(|b| b & 1 == 1) {
		ClaimKind::Mediate
	} else {
		ClaimKind::Serve
	};
	let message = data.get(1..).unwrap_or_default();
	let opened = open_complained::<AccountId>(kind, message);
	if let Ok(opened) = &opened {
		let _ = opened.check_bob(data.len() as u8 % 24);
		let _ = opened.mediated();
	}
	let claim = canonical::<UnavailabilityClaim<AccountId>>(data);
	if let Some(claim) = &claim {
		let _ = claim_signing_payload(claim);
		let _ = claim.silent_round();
	}
	let signers = SignerSet(u64::from_le_bytes(array(data)));
	assert_eq!(signers.indices().count() as u32, signers.len());
	assert_eq!(signers.highest(), signers.indices().last());
	opened.is_ok() | claim.is_some() | canonical::<Complaint<AccountId>>(data).is_some()
}

/// A lottery ticket, as a request carries it and as the Ursula redeems it: decoded, judged for
/// service against terms that match it (so that the checks past the first are reached), drawn.
pub fn ticket(data: &[u8]) -> bool {
	let Some(signed) = canonical::<SignedTicket<AccountId, Balance>>(data).or_else(|| {
		let ticket = canonical::<Ticket<AccountId, Balance>>(data)?;
		Some(SignedTicket { ticket, signature: [0u8; 64] })
	}) else {
		return false;
	};
	let ticket = &signed.ticket;
	let _ = ticket.id();
	let spent = ticket.face_value / 3;
	let terms = ServiceTerms {
		now: ticket.created_round,
		round_hashes: [
			(ticket.created_round, ticket.created_hash),
			(ticket.created_round.saturating_sub(1), [0; 32]),
		],
		ticket_rounds: ticket.expires.saturating_sub(ticket.created_round),
		commitment: ticket.commitment,
		since: ticket.created_round,
		funds: Some(FundsView {
			deposit: ticket.face_value,
			reserve: ticket.face_value / 2,
			unlocks_at: None,
			cap: ticket.face_value,
			spent,
			price: crate::lottery::expected_value(ticket.win_probability, ticket.face_value),
		}),
	};
	let _ = check_for_service(ticket, &ticket.policy, ticket.nonce, &ticket.recipient, &terms);
	let _ = wins(&signed.signature, &ticket.commitment, ticket.win_probability);
	true
}

/// Proofs of served work: an opening of a claim's tree (public, and private with its
/// commitment) against a root and a leaf count from the bytes; the range proof of the
/// zero-knowledge scheme.
pub fn service_proof(data: &[u8]) -> bool {
	let root = array::<32>(data);
	let omega = u32::from_le_bytes(array(data.get(32..).unwrap_or_default()));
	let proof = data.get(36..).unwrap_or_default();
	let opening = canonical::<Opening>(proof);
	if let Some(opening) = &opening {
		let _ = check_opening(&root, omega, opening);
	}
	let private = canonical::<PrivateOpening>(proof);
	if let Some(private) = &private {
		let _ = check_private_opening(&root, &root, omega, private);
	}
	#[cfg(feature = "zk")]
	{
		let (commitments, range_proof) = split(proof);
		let _ = crate::zk::native::verify_distinct(&root, omega % 64, commitments, range_proof);
	}
	opening.is_some() | private.is_some()
}

/// The served-request log's files, whatever a disk holds: every byte is a record's or counted
/// as damaged, records in order and within the bytes.
pub fn served_log(data: &[u8]) -> bool {
	let (records, damaged): (Vec<_>, u64) = scan_frames(data, unframe_served_record);
	let mut end = 0;
	for (at, record) in &records {
		assert!(at.offset >= end, "records overlap");
		end = at.offset + u64::from(at.len);
		let _: &ServedRecord = record;
	}
	assert!(end <= data.len() as u64);
	let framed: u64 = records.iter().map(|(at, _)| u64::from(at.len)).sum();
	assert_eq!(framed + damaged, data.len() as u64, "every byte is a record's or damaged");
	!records.is_empty()
}

/// An entry point: any bytes in, whether they decoded out.
pub type Target = fn(&[u8]) -> bool;

/// Every entry point by name: what the fuzz targets are called.
pub const TARGETS: [(&str, Target); 6] = [
	("umbral_msgpack", umbral_msgpack),
	("wire_messages", wire_messages),
	("complaint", complaint),
	("ticket", ticket),
	("service_proof", service_proof),
	("served_log", served_log),
];

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		framing::frame_payload,
		policies::{
			fixture::{BOB_KEY, CAPSULE, CORRECT_CFRAG, POLICY_KEY, VERIFYING_KEY, WRONG_CFRAG},
			RequestBody, SignedCfrag, WIRE_VERSION,
		},
	};
	use rand::{rngs::StdRng, Rng, SeedableRng};
	use sp_core::{hexdisplay::HexDisplay, sr25519, Pair};

	/// Valid encodings of each target's inputs: where mutations start.
	fn seeds() -> Vec<Vec<u8>> {
		let bob = sr25519::Pair::from_seed(&[7; 32]);
		let body = RequestBody {
			version: WIRE_VERSION,
			policy: [1; 16],
			ursula: AccountId::new([2; 32]),
			bob: bob.public().into(),
			sequence: 42,
			capsules: vec![vec![3; 98]],
		};
		let signature = bob.sign(&body.signing_payload()).0;
		let request = ReencryptionRequest { body, signature, ticket: None };
		let response = ReencryptionResponse {
			version: WIRE_VERSION,
			policy: [1; 16],
			ursula: AccountId::new([2; 32]),
			served_at: 9,
			cfrags: vec![SignedCfrag { cfrag: vec![4; 40], signature: [5; 64] }],
		};
		let record = ServedRecord {
			version: WIRE_VERSION,
			served_at: 9,
			cfrags: response.cfrags.clone(),
			request: request.clone(),
		};
		let claim = UnavailabilityClaim {
			ursula: AccountId::new([2; 32]),
			policy: [1; 16],
			request_hash: [6; 32],
			round: 3,
			deadline: 100,
			kind: ClaimKind::Serve,
		};
		let ticket: Ticket<AccountId, Balance> = Ticket {
			version: crate::lottery::TICKET_VERSION,
			payer: AccountId::new([9; 32]),
			policy: [1; 16],
			recipient: AccountId::new([2; 32]),
			face_value: 1_000_000,
			win_probability: u64::MAX / 100,
			nonce: 42,
			commitment: [10; 32],
			created_round: 5,
			created_hash: [11; 32],
			expires: 9,
			request_hash: request.body_hash(),
		};
		let signed = SignedTicket { signature: bob.sign(&ticket.signing_payload()).0, ticket };
		let framed = [frame_payload(&record.encode()), frame_payload(&record.encode())].concat();
		let opening = Opening { index: 0, record: record.encode(), path: vec![], next: None };
		vec![
			request.encode(),
			response.encode(),
			[vec![0], request.encode()].concat(),
			claim.encode(),
			framed,
			[[8u8; 36].to_vec(), opening.encode()].concat(),
			signed.encode(),
			signed.ticket.encode(),
			[
				&VERIFYING_KEY[..],
				&POLICY_KEY,
				&BOB_KEY,
				&[CAPSULE.len() as u8],
				&CAPSULE,
				&CORRECT_CFRAG,
			]
			.concat(),
			CAPSULE.to_vec(),
			WRONG_CFRAG.to_vec(),
		]
	}

	/// One of a few mutations of `bytes`: a flipped bit, a byte set, a cut, an insertion, a
	/// duplicated slice.
	fn mutate(rng: &mut StdRng, bytes: &mut Vec<u8>) {
		let at = if bytes.is_empty() { 0 } else { rng.gen_range(0..bytes.len()) };
		match rng.gen_range(0..5) {
			0 if !bytes.is_empty() => bytes[at] ^= 1 << rng.gen_range(0..8),
			1 if !bytes.is_empty() => bytes[at] = [0, 1, 0x7f, 0x80, 0xff][rng.gen_range(0..5)],
			2 => bytes.truncate(at),
			3 => bytes.insert(at, rng.gen()),
			_ => {
				let end = rng.gen_range(at..=bytes.len());
				let slice = bytes[at..end].to_vec();
				bytes.splice(at..at, slice);
			},
		}
	}

	#[test]
	fn every_decoder_takes_random_and_mutated_bytes_without_a_panic() {
		let mut rng = StdRng::seed_from_u64(0x6b65_796d);
		let seeds = seeds();
		for (name, target) in TARGETS {
			// Every target reads some seed, and some of the mutated inputs: it is not a test of
			// its first check only.
			assert!(seeds.iter().any(|seed| target(seed)), "{name} reads none of the seeds");
			let mut decoded = 0;
			for round in 0..3_000 {
				let bytes = if round % 3 == 0 {
					(0..rng.gen_range(0..600)).map(|_| rng.gen()).collect()
				} else {
					let mut bytes = seeds[rng.gen_range(0..seeds.len())].clone();
					for _ in 0..rng.gen_range(1..4) {
						mutate(&mut rng, &mut bytes);
					}
					bytes
				};
				let outcome = std::panic::catch_unwind(|| target(&bytes));
				let read = outcome.unwrap_or_else(|_| {
					panic!("{name} panicked on 0x{}", HexDisplay::from(&bytes))
				});
				decoded += usize::from(read);
			}
			assert!(decoded >= 30, "{name} read only {decoded} of the inputs");
		}
	}
}
