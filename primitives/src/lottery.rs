//! Lottery micropayments (DESIGN.md section 9): what a ticket says, who signs it, when it wins.
//! One implementation for the runtime, the node and the clients.
//!
//! - A **payer** (Alice, or any sponsor) funds a deposit and a penalty reserve for a policy and
//!   authorizes the policy's Bob to sign tickets against it, up to a cap per period.
//! - Each re-encryption request carries a [`Ticket`]: the payer, the recipient Ursula, the face
//!   value and win probability, Bob's sequence number as its nonce, the Ursula's committed random
//!   value (its [`commitment_of`], published on chain before Bob signs), the round it was made
//!   in and that round's first block hash, its last round, and the hash of the request it pays
//!   for. Bob's one signature of [`Ticket::signing_payload`] covers the ticket and, through its
//!   hash, the request.
//! - A ticket **wins** when [`draw`]`(signature, revealed)` — the first eight bytes of
//!   `blake2_256(signature ‖ revealed value)`, little-endian — is below its win probability, a
//!   fraction of 2^64 ([`wins`]). Neither side can steer it: the Ursula's value is committed
//!   before Bob signs, and Bob does not know it until the Ursula reveals it to redeem; the Ursula
//!   moves to a new value before it reveals the old one.
//! - The price of a request is its **expected value**; [`probability_for`] gives the win
//!   probability of a face value that pays it on average.

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_crypto_hashing::blake2_256;

use crate::{
	crypto::Sr25519Signature,
	policies::{PolicyId, ServiceLedger},
	time::Round,
};

/// The version of the ticket format.
pub const TICKET_VERSION: u8 = 1;

/// A win probability of one: every draw is below it but `u64::MAX` itself.
pub const CERTAIN: u64 = u64::MAX;

/// A ticket: what Bob signs with each request, paying for it by lottery.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct Ticket<AccountId, Balance> {
	/// [`TICKET_VERSION`].
	pub version: u8,
	/// Whose deposit pays.
	pub payer: AccountId,
	/// The policy the deposit is for; its Bob signs.
	pub policy: PolicyId,
	/// The Ursula (worker account) it pays.
	pub recipient: AccountId,
	/// What a winning ticket pays.
	pub face_value: Balance,
	/// The chance of winning, as a fraction of 2^64.
	pub win_probability: u64,
	/// Bob's sequence number of the request: a ticket is redeemed at most once.
	pub nonce: u64,
	/// The recipient's committed random value ([`commitment_of`] of it), as published on chain.
	pub commitment: [u8; 32],
	/// The round the ticket was made in, and the hash of that round's first block.
	pub created_round: Round,
	pub created_hash: [u8; 32],
	/// The last round it may be redeemed in.
	pub expires: Round,
	/// `blake2_256` of the SCALE body of the request it pays for.
	pub request_hash: [u8; 32],
}

impl<AccountId: Encode, Balance: Encode> Ticket<AccountId, Balance> {
	/// The bytes Bob signs.
	pub fn signing_payload(&self) -> Vec<u8> {
		let mut payload = b"keymarket/ticket/v1".to_vec();
		self.encode_to(&mut payload);
		payload
	}

	/// The ticket's identity in the chain's replay guard.
	pub fn id(&self) -> [u8; 32] {
		blake2_256(&self.encode())
	}
}

/// A winning ticket as the recipient redeems it: the ticket and Bob's signature. The revealed
/// value is given once for a batch.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct SignedTicket<AccountId, Balance> {
	pub ticket: Ticket<AccountId, Balance>,
	/// Bob's sr25519 signature of [`Ticket::signing_payload`].
	pub signature: Sr25519Signature,
}

/// The commitment to a random value: what the Ursula publishes, and a ticket names.
pub fn commitment_of(value: &[u8; 32]) -> [u8; 32] {
	let mut input = [0u8; 49];
	input[..17].copy_from_slice(b"keymarket/lottery");
	input[17..].copy_from_slice(value);
	blake2_256(&input)
}

/// The ticket's draw: the first eight bytes of `blake2_256(signature ‖ revealed)` as a
/// little-endian `u64`.
pub fn draw(signature: &Sr25519Signature, revealed: &[u8; 32]) -> u64 {
	let mut input = [0u8; 96];
	input[..64].copy_from_slice(signature);
	input[64..].copy_from_slice(revealed);
	let hash = blake2_256(&input);
	let mut low = [0u8; 8];
	low.copy_from_slice(&hash[..8]);
	u64::from_le_bytes(low)
}

/// Whether a ticket with `signature` and `win_probability` wins against `revealed`.
pub fn wins(signature: &Sr25519Signature, revealed: &[u8; 32], win_probability: u64) -> bool {
	draw(signature, revealed) < win_probability
}

/// The win probability (a fraction of 2^64) at which `face_value` pays `expected` on average,
/// rounded up so that the Ursula is never paid less than the price; [`CERTAIN`] when the face
/// value is not above the price, and zero for a zero price. The face value should be at most
/// `expected · 2^63`: beyond, the smallest probability step is worth more than the price, and the
/// chain refuses such tickets (`WrongPrice`).
pub fn probability_for(expected: u128, face_value: u128) -> u64 {
	if expected == 0 {
		return 0;
	}
	if face_value <= expected {
		return CERTAIN;
	}
	let face = sp_core::U256::from(face_value);
	let scaled = sp_core::U256::from(expected) << 64;
	// expected < face, so the quotient is below 2^64.
	let p = (scaled + face - 1) / face;
	p.min(sp_core::U256::from(u64::MAX)).low_u64()
}

/// What a ticket of `win_probability` and `face_value` is worth on average, rounded down.
pub fn expected_value(win_probability: u64, face_value: u128) -> u128 {
	// Below 2^128 · 2^64: the product fits 256 bits, and the shifted result 128.
	((sp_core::U256::from(face_value) * sp_core::U256::from(win_probability)) >> 64).low_u128()
}

/// What an Ursula reads of the chain to judge a request's ticket before it serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceTerms<Balance> {
	/// The current round, and the hashes of its first block and of the round before's (a
	/// ticket may be made in either).
	pub now: Round,
	pub round_hashes: [(Round, [u8; 32]); 2],
	/// The longest a ticket lives (the runtime's `TicketRounds`).
	pub ticket_rounds: Round,
	/// The Ursula's current commitment, and the round it was published in: a ticket made
	/// before it could never be redeemed against it.
	pub commitment: [u8; 32],
	pub since: Round,
	/// The payer's funds for the policy, if any.
	pub funds: Option<FundsView<Balance>>,
}

/// The Ursula's checks of a request's ticket before it serves (Bob's signature, which covers
/// the ticket, is the request's own check): for it, under the request's policy and with the
/// request's sequence number as its nonce (the Ursula's replay guard then uses both once), naming its
/// current commitment and a recent round, not before the commitment's, by its real hash, living long enough to be redeemed
/// and no longer than a ticket may, from a payer that authorized Bob, is not unlocking, can pay
/// it and is within its cap, and worth the price (within one unit of rounding).
pub fn check_for_service<AccountId: PartialEq>(
	ticket: &Ticket<AccountId, u128>,
	policy: &PolicyId,
	sequence: u64,
	me: &AccountId,
	terms: &ServiceTerms<u128>,
) -> Result<(), TicketError> {
	if ticket.version != TICKET_VERSION || &ticket.policy != policy || ticket.nonce != sequence {
		return Err(TicketError::Malformed);
	}
	if &ticket.recipient != me {
		return Err(TicketError::WrongRecipient);
	}
	if ticket.commitment != terms.commitment {
		return Err(TicketError::WrongCommitment);
	}
	let made_recently = terms.round_hashes.iter().any(|(round, hash)| {
		*round == ticket.created_round && *hash == ticket.created_hash && *hash != [0; 32]
	});
	if !made_recently
		|| ticket.created_round < terms.since
		|| ticket.expires > ticket.created_round.saturating_add(terms.ticket_rounds)
	{
		return Err(TicketError::BadCreation);
	}
	// The Ursula rotates its commitment and redeems in the round after: the ticket must live
	// that long.
	if ticket.expires <= terms.now {
		return Err(TicketError::Expired);
	}
	let funds = terms.funds.as_ref().ok_or(TicketError::NotAuthorized)?;
	if funds.cap == 0 {
		return Err(TicketError::NotAuthorized);
	}
	if funds.unlocks_at.is_some() || funds.deposit < ticket.face_value {
		return Err(TicketError::Unfunded);
	}
	if funds.spent.saturating_add(ticket.face_value) > funds.cap {
		return Err(TicketError::OverCap);
	}
	let worth = expected_value(ticket.win_probability, ticket.face_value);
	if worth.saturating_add(1) < funds.price || worth > funds.price.saturating_add(1) {
		return Err(TicketError::WrongPrice);
	}
	Ok(())
}

/// Where the Ursula service leaves its lottery duties for the lottery pallet's off-chain
/// worker (the node's persistent off-chain storage).
pub const OUTBOX_KEY: &[u8] = b"keymarket/lottery/outbox";

/// The most duties the lottery's outbox holds.
pub const MAX_OUTBOX: usize = 8;

/// A lottery duty the Ursula service hands to the off-chain worker, which submits it as the
/// worker's own fee-free transaction.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum LotteryDuty<AccountId, Balance> {
	/// Publish a commitment to a new random value (`Lottery.commit`).
	Commit { worker: AccountId, commitment: [u8; 32] },
	/// Reveal the previous value and redeem its winners (`Lottery.redeem`).
	Redeem { worker: AccountId, revealed: [u8; 32], batch: Vec<SignedTicket<AccountId, Balance>> },
}

/// Why a ticket is refused, by the Ursula before it serves and by the chain when it is redeemed.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
pub enum TicketError {
	/// Not a ticket of this version.
	Malformed,
	/// Not for this Ursula.
	WrongRecipient,
	/// Bob's signature does not verify, or the signer is not the policy's Bob.
	BadSignature,
	/// The payer has not authorized the policy's Bob.
	NotAuthorized,
	/// The ticket names another commitment than the Ursula's.
	WrongCommitment,
	/// The revealed value does not open the ticket's commitment.
	WrongReveal,
	/// Made in a round that is not recent, with a hash that is not that round's, or living
	/// longer than a ticket may.
	BadCreation,
	/// Past its last round.
	Expired,
	/// Already redeemed (on chain) or used (by the Ursula).
	Replayed,
	/// It does not win.
	NotAWinner,
	/// The payer's deposit cannot pay it, or is unlocking.
	Unfunded,
	/// Paying it would take the payer over the cap it set for Bob this period.
	OverCap,
	/// The face value or the expected value is not the policy's price.
	WrongPrice,
}

/// What the lottery reads of a policy: who signs its tickets, who may be paid, and the price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketTerms<AccountId, Balance> {
	/// The policy's Bob: his signature makes a ticket.
	pub bob: AccountId,
	/// Its Ursulas (worker accounts): a ticket pays one of them.
	pub ursulas: Vec<AccountId>,
	/// The price of a request, fixed by Alice in her grant: no ticket may be worth more on
	/// average.
	pub price: Balance,
}

/// What the lottery reads of policies and where it records what winners paid (the policies
/// pallet).
pub trait TicketPolicies<AccountId, Balance>: ServiceLedger<AccountId, Balance> {
	/// The policy's ticket terms, if it exists.
	fn terms(id: &PolicyId) -> Option<TicketTerms<AccountId, Balance>>;
	/// The most Ursulas a policy has: bounds a reserve's sharing.
	fn max_ursulas() -> u32;
	/// The weight of what a redemption asks of one policy: its terms, and the record of what its
	/// tickets paid (the policies pallet's benchmark).
	fn ticket_policy_weight() -> sp_runtime::Weight;
}

sp_api::decl_runtime_apis! {
	/// What the Ursula and Bob's client read of the lottery.
	pub trait LotteryApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// `payer`'s funds for `policy`: deposit, reserve, unlocking round, Bob's cap and what
		/// he spent this period.
		fn funds(payer: AccountId, policy: PolicyId) -> Option<FundsView<Balance>>;
		/// The recipient's committed value now (what Bob puts in a ticket), and the one it
		/// will reveal next.
		fn commitment(worker: AccountId) -> Option<CommitmentView>;
		/// Whether the ticket with this id was redeemed (and not yet forgotten).
		fn redeemed(expires: Round, id: [u8; 32]) -> bool;
		/// What `worker`'s winning tickets paid, in count and value.
		fn winnings(worker: AccountId) -> WinningsView<Balance>;
		/// The longest a ticket lives, in rounds after the one it was made in.
		fn ticket_rounds() -> Round;
	}
}

/// A payer's funds for a policy, as clients see them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct FundsView<Balance> {
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub deposit: Balance,
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub reserve: Balance,
	/// The round from which it may be withdrawn, if it is unlocking.
	pub unlocks_at: Option<Round>,
	/// What Bob may sign for in a period (zero: not authorized).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub cap: Balance,
	/// What winning tickets took this period.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub spent: Balance,
	/// The policy's price of a request: what a ticket is worth on average.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub price: Balance,
}

/// An Ursula's commitments, as clients see them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
pub struct CommitmentView {
	/// What Bob names in a ticket now.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex"))]
	pub current: [u8; 32],
	/// Since when.
	pub since: Round,
	/// The one before, still to be revealed, and the round it was replaced in
	/// (`["0x…", round]` in JSON).
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::hex_and_number_option"))]
	pub previous: Option<([u8; 32], Round)>,
}

/// What an Ursula's winning tickets paid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
	feature = "std",
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "Balance: core::fmt::Display",
			deserialize = "Balance: core::str::FromStr, <Balance as core::str::FromStr>::Err: core::fmt::Display"
		)
	)
)]
pub struct WinningsView<Balance> {
	pub tickets: u64,
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub paid: Balance,
	/// What it got from reserves of payers that could not pay.
	#[cfg_attr(feature = "std", serde(with = "crate::serde_helpers::decimal"))]
	pub from_reserves: Balance,
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Fixed vectors: any other implementation of the draw must give these.
	#[test]
	fn the_draw_matches_its_vectors() {
		let revealed = [7u8; 32];
		assert_eq!(draw(&[0u8; 64], &revealed), VECTOR_ZERO);
		assert_eq!(draw(&[0xffu8; 64], &revealed), VECTOR_ONES);
		let mut counting = [0u8; 64];
		counting.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
		assert_eq!(draw(&counting, &[0u8; 32]), VECTOR_COUNTING);
		assert_eq!(commitment_of(&[0u8; 32]), COMMITMENT_ZERO);
	}

	// Computed independently with Python's hashlib:
	// int.from_bytes(blake2b(signature + revealed, digest_size=32).digest()[:8], "little").
	const VECTOR_ZERO: u64 = 0x1636_5648_43bd_8cb4;
	const VECTOR_ONES: u64 = 0x0ee7_95bd_2e2c_78f9;
	const VECTOR_COUNTING: u64 = 0x401e_03e3_67a0_0fd4;
	// blake2b(b"keymarket/lottery" + bytes(32), digest_size=32).
	const COMMITMENT_ZERO: [u8; 32] = [
		28, 171, 24, 114, 45, 62, 91, 107, 69, 221, 44, 131, 83, 38, 157, 59, 192, 166, 206, 212,
		130, 177, 151, 246, 82, 200, 236, 88, 243, 158, 23, 181,
	];

	#[test]
	fn a_ticket_wins_below_its_probability() {
		let (signature, revealed) = ([3u8; 64], [9u8; 32]);
		let value = draw(&signature, &revealed);
		assert!(wins(&signature, &revealed, value + 1));
		assert!(!wins(&signature, &revealed, value));
		assert!(!wins(&signature, &revealed, 0), "probability zero never wins");
		// Another reveal, another draw.
		assert_ne!(draw(&signature, &[8u8; 32]), value);
	}

	#[test]
	fn wins_follow_the_probability() {
		// A quarter: about 2,500 of 10,000 signatures win.
		let quarter = 1u64 << 62;
		let won = (0..10_000u32)
			.filter(|i| {
				let mut signature = [0u8; 64];
				signature[..4].copy_from_slice(&i.to_le_bytes());
				wins(&signature, &[1u8; 32], quarter)
			})
			.count();
		assert!((2_350..2_650).contains(&won), "{won} of 10000");
	}

	#[test]
	fn the_probability_pays_the_price_on_average() {
		assert_eq!(probability_for(0, 100), 0);
		assert_eq!(probability_for(100, 100), CERTAIN);
		assert_eq!(probability_for(100, 50), CERTAIN);
		assert_eq!(probability_for(1, 2), 1 << 63);
		assert_eq!(probability_for(1, 4), 1 << 62);
		// Rounded up: the average never falls below the price.
		for (price, face) in [(1u128, 3u128), (7, 1_000), (1_000_000, 1_000_000_007), (5, 5 << 60)]
		{
			let p = probability_for(price, face);
			assert!(expected_value(p, face) + 1 >= price, "{price} {face}");
			assert!(expected_value(p, face) <= price + 1, "{price} {face}");
		}
		// Huge prices do not overflow: a quarter of the maximum at half of it is one half.
		assert_eq!(probability_for(u128::MAX / 4, u128::MAX / 2), 1 << 63);
		assert_eq!(expected_value(CERTAIN, 1_000), 999);
		assert_eq!(expected_value(1 << 63, 1_000), 500);
	}

	mod service {
		use super::super::*;
		use crate::policies::{ReencryptionRequest, RequestBody, WIRE_VERSION};
		use sp_core::{crypto::Pair as _, sr25519};

		fn bob() -> sr25519::Pair {
			sr25519::Pair::from_string("//Bob", None).unwrap()
		}

		fn me() -> crate::AccountId {
			[3u8; 32].into()
		}

		fn body() -> RequestBody {
			RequestBody {
				version: WIRE_VERSION,
				policy: [2; 16],
				ursula: me(),
				bob: bob().public().into(),
				sequence: 9,
				capsules: vec![vec![1; 10]],
			}
		}

		fn ticket(body: &RequestBody) -> Ticket<crate::AccountId, u128> {
			Ticket {
				version: TICKET_VERSION,
				payer: [1u8; 32].into(),
				policy: [2; 16],
				recipient: me(),
				face_value: 1_000,
				win_probability: probability_for(100, 1_000),
				nonce: 9,
				commitment: commitment_of(&[4; 32]),
				created_round: 10,
				created_hash: [5; 32],
				expires: 12,
				request_hash: blake2_256(&body.encode()),
			}
		}

		fn terms() -> ServiceTerms<u128> {
			ServiceTerms {
				now: 10,
				round_hashes: [(10, [5; 32]), (9, [6; 32])],
				ticket_rounds: 2,
				commitment: commitment_of(&[4; 32]),
				since: 9,
				funds: Some(FundsView {
					deposit: 5_000,
					reserve: 0,
					unlocks_at: None,
					cap: 10_000,
					spent: 0,
					price: 100,
				}),
			}
		}

		fn request(ticket: Option<Ticket<crate::AccountId, u128>>) -> ReencryptionRequest {
			let body = body();
			let payload = match &ticket {
				Some(t) => t.signing_payload(),
				None => body.signing_payload(),
			};
			ReencryptionRequest { signature: bob().sign(&payload).0, body, ticket }
		}

		#[test]
		fn one_signature_covers_the_request_and_its_ticket() {
			assert!(request(None).bob_signed());
			let with = request(Some(ticket(&body())));
			assert!(with.bob_signed());
			// The body changed under the ticket, or the ticket under the signature: refused.
			let mut moved = with.clone();
			moved.body.sequence = 10;
			assert!(!moved.bob_signed());
			let mut dearer = with.clone();
			dearer.ticket.as_mut().unwrap().face_value = 2_000;
			assert!(!dearer.bob_signed());
			// A ticket naming another request, signed anyway, does not cover this one.
			let mut other = ticket(&body());
			other.request_hash = [0; 32];
			let signature = bob().sign(&other.signing_payload()).0;
			let stray = ReencryptionRequest { body: body(), signature, ticket: Some(other) };
			assert!(!stray.bob_signed());
		}

		#[test]
		fn the_ursula_judges_a_ticket_before_it_serves() {
			let t = ticket(&body());
			let check = |t: &Ticket<crate::AccountId, u128>, terms: &ServiceTerms<u128>| {
				check_for_service(t, &[2; 16], 9, &me(), terms)
			};
			assert_eq!(check(&t, &terms()), Ok(()));
			let with = |f: &dyn Fn(&mut Ticket<crate::AccountId, u128>)| {
				let mut t = t.clone();
				f(&mut t);
				check(&t, &terms())
			};
			assert_eq!(with(&|t| t.version = 2), Err(TicketError::Malformed));
			assert_eq!(with(&|t| t.policy = [9; 16]), Err(TicketError::Malformed));
			assert_eq!(with(&|t| t.nonce = 10), Err(TicketError::Malformed));
			assert_eq!(with(&|t| t.recipient = [8u8; 32].into()), Err(TicketError::WrongRecipient));
			assert_eq!(with(&|t| t.commitment = [0; 32]), Err(TicketError::WrongCommitment));
			assert_eq!(with(&|t| t.created_hash = [6; 32]), Err(TicketError::BadCreation));
			assert_eq!(with(&|t| t.created_round = 8), Err(TicketError::BadCreation));
			// Dated before the commitment was published: the chain would refuse it.
			let mut fresh = terms();
			fresh.since = 10;
			let back = Ticket { created_round: 9, created_hash: [6; 32], expires: 11, ..t.clone() };
			assert_eq!(check(&back, &terms()), Ok(()));
			assert_eq!(check(&back, &fresh), Err(TicketError::BadCreation));
			assert_eq!(with(&|t| t.expires = 13), Err(TicketError::BadCreation));
			assert_eq!(with(&|t| t.expires = 10), Err(TicketError::Expired));
			assert_eq!(with(&|t| t.face_value = 10_000), Err(TicketError::Unfunded));
			assert_eq!(with(&|t| t.win_probability /= 2), Err(TicketError::WrongPrice));
			assert_eq!(with(&|t| t.win_probability *= 2), Err(TicketError::WrongPrice));
			let mut poor = terms();
			poor.funds = None;
			assert_eq!(check(&t, &poor), Err(TicketError::NotAuthorized));
			let mut leaving = terms();
			leaving.funds.as_mut().unwrap().unlocks_at = Some(13);
			assert_eq!(check(&t, &leaving), Err(TicketError::Unfunded));
			let mut spent = terms();
			spent.funds.as_mut().unwrap().spent = 9_500;
			assert_eq!(check(&t, &spent), Err(TicketError::OverCap));
			let mut revoked = terms();
			revoked.funds.as_mut().unwrap().cap = 0;
			assert_eq!(check(&t, &revoked), Err(TicketError::NotAuthorized));
		}
	}

	#[test]
	fn a_ticket_is_signed_and_identified_by_all_it_says() {
		let ticket = Ticket::<[u8; 32], u128> {
			version: TICKET_VERSION,
			payer: [1; 32],
			policy: [2; 16],
			recipient: [3; 32],
			face_value: 1_000,
			win_probability: 1 << 60,
			nonce: 9,
			commitment: commitment_of(&[4; 32]),
			created_round: 10,
			created_hash: [5; 32],
			expires: 14,
			request_hash: [6; 32],
		};
		assert!(ticket.signing_payload().starts_with(b"keymarket/ticket/v1"));
		let other = Ticket { nonce: 10, ..ticket.clone() };
		assert_ne!(ticket.id(), other.id());
		assert_ne!(ticket.signing_payload(), other.signing_payload());
	}
}
