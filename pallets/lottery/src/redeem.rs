//! Commitments, redemption, the reserve, and forgetting expired tickets.

use alloc::{
	collections::{BTreeMap, BTreeSet},
	vec::Vec,
};
use codec::Encode;
use frame_support::{
	pallet_prelude::*,
	storage::with_storage_layer,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::{BlockNumberFor, OriginFor};
use keymarket_primitives::{
	crypto::sr25519_signed,
	lottery::{commitment_of, expected_value, wins, TicketTerms, TICKET_VERSION},
	policies::{PaidBy, ServiceLedger},
	slashing::{Offence, OffenceKind},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

use crate::*;

/// A policy as redemption needs it: its Bob, its Ursulas and its price.
type PolicyTerms<T> = Option<TicketTerms<<T as frame_system::Config>::AccountId, BalanceOf<T>>>;

/// A payer's account for a policy as a redemption holds it: as read, and as it is now
/// (`None`: it has none).
type AccountsSeen<T> = BTreeMap<
	(<T as frame_system::Config>::AccountId, PolicyId),
	(Option<Account<BalanceOf<T>>>, Option<Account<BalanceOf<T>>>),
>;

/// What a ledger keeps per (payer, policy).
type PerAccount<T, V> = BTreeMap<(<T as frame_system::Config>::AccountId, PolicyId), V>;

/// A ticket the ledger will pay: its index in the batch, its place in the replay set, its face
/// value.
struct Paying<Balance> {
	index: u32,
	expires: Round,
	id: [u8; 32],
	face: Balance,
}

/// What a redemption did, for its actual weight.
pub(crate) struct Redemption {
	/// Among how many Ursulas a reserve was shared, if one was.
	pub shared: Option<u32>,
	/// The (payer, policy) accounts it read.
	pub accounts: u32,
	/// The policies it read.
	pub policies: u32,
}

/// What a redemption learned as it went, settled once at its end.
struct Ledger<T: Config> {
	accounts: AccountsSeen<T>,
	priors: PerAccount<T, Option<PriorTerms<BalanceOf<T>>>>,
	policies: BTreeMap<PolicyId, PolicyTerms<T>>,
	/// The tickets each (payer, policy) account pays, in batch order.
	paying: PerAccount<T, Vec<Paying<BalanceOf<T>>>>,
	/// The ids of those tickets: a ticket twice in one batch is paid once.
	ids: BTreeSet<[u8; 32]>,
	/// Whether a reserve was shared out already in this batch, and among how many.
	shared: Option<u32>,
	/// The current round and period, read once for the batch.
	now: Round,
	period: Period,
	/// The hash of each round's first block a ticket named, read once per round.
	round_hashes: BTreeMap<Round, T::Hash>,
}

impl<T: Config> Ledger<T> {
	fn new() -> Self {
		Self {
			accounts: BTreeMap::new(),
			priors: BTreeMap::new(),
			policies: BTreeMap::new(),
			paying: BTreeMap::new(),
			ids: BTreeSet::new(),
			shared: None,
			now: T::Ursulas::current_round(),
			period: T::Ursulas::current_period(),
			round_hashes: BTreeMap::new(),
		}
	}

	/// The hash of the first block of `round` (zeros for a block the chain does not know).
	fn round_hash(&mut self, round: Round) -> &T::Hash {
		self.round_hashes.entry(round).or_insert_with(|| {
			let block = Pallet::<T>::round_start(round);
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::from(block))
		})
	}

	fn prior(
		&mut self,
		payer: &T::AccountId,
		policy: PolicyId,
	) -> Option<PriorTerms<BalanceOf<T>>> {
		self.priors
			.entry((payer.clone(), policy))
			.or_insert_with(|| Prior::<T>::get(payer, policy))
			.clone()
	}

	fn policy(&mut self, id: PolicyId) -> &PolicyTerms<T> {
		self.policies.entry(id).or_insert_with(|| T::Policies::terms(&id))
	}

	fn account(
		&mut self,
		payer: &T::AccountId,
		policy: PolicyId,
	) -> &mut Option<Account<BalanceOf<T>>> {
		&mut self
			.accounts
			.entry((payer.clone(), policy))
			.or_insert_with(|| {
				let read = Accounts::<T>::get(payer, policy);
				(read.clone(), read)
			})
			.1
	}
}

impl<T: Config> Pallet<T> {
	/// The round a commitment by `worker` would be published in, if it may commit now.
	pub(crate) fn check_commit(worker: &T::AccountId) -> Result<Round, Error<T>> {
		ensure!(
			T::Ursulas::keys(worker).is_some() && T::Ursulas::staker_of(worker).is_some(),
			Error::<T>::NotAWorker
		);
		let now = T::Ursulas::current_round();
		if let Some(commitments) = CommitmentsOf::<T>::get(worker) {
			ensure!(commitments.since < now, Error::<T>::AlreadyCommitted);
		}
		Ok(now)
	}

	/// The `feeless_if` of [`Pallet::commit`]: a worker that may commit now.
	pub(crate) fn commit_is_a_duty(origin: &OriginFor<T>) -> bool {
		use frame_support::traits::OriginTrait;
		origin.as_signer().is_some_and(|worker| Self::check_commit(worker).is_ok())
	}

	/// The `feeless_if` of [`Pallet::redeem`]: a worker whose reveal opens its previous
	/// commitment (at most once per commitment, and a worker commits once a round).
	pub(crate) fn reveal_is_a_duty(origin: &OriginFor<T>, revealed: &[u8; 32]) -> bool {
		use frame_support::traits::OriginTrait;
		origin.as_signer().is_some_and(|worker| Self::reveal_opens_previous(worker, revealed))
	}

	/// Whether `revealed` opens `worker`'s previous commitment, the one it has to reveal, and
	/// `worker` is still a worker with a staker (a redemption that would fail is never free).
	pub(crate) fn reveal_opens_previous(worker: &T::AccountId, revealed: &[u8; 32]) -> bool {
		T::Ursulas::staker_of(worker).is_some()
			&& CommitmentsOf::<T>::get(worker)
				.and_then(|c| c.previous)
				.is_some_and(|(hash, _, _)| commitment_of(revealed) == hash)
	}

	/// The weight of redeeming `batch`: its tickets, the distinct (payer, policy) accounts they
	/// draw on, which a redemption writes and pays from once each, and the distinct policies,
	/// whose terms it reads and whose record of service pay it writes once each.
	pub(crate) fn redeem_weight(batch: &[SignedTicket<T::AccountId, BalanceOf<T>>]) -> Weight {
		let accounts: BTreeSet<(&T::AccountId, &PolicyId)> =
			batch.iter().map(|t| (&t.ticket.payer, &t.ticket.policy)).collect();
		let policies: BTreeSet<&PolicyId> = accounts.iter().map(|(_, policy)| *policy).collect();
		Self::redeem_weight_of(batch.len() as u32, accounts.len() as u32, policies.len() as u32)
	}

	/// The weight of redeeming `tickets` drawing on `accounts` accounts of `policies` policies.
	pub(crate) fn redeem_weight_of(tickets: u32, accounts: u32, policies: u32) -> Weight {
		let accounts = accounts.max(1);
		T::WeightInfo::redeem(tickets.saturating_sub(accounts), accounts).saturating_add(
			T::Policies::ticket_policy_weight().saturating_mul(policies.max(1).into()),
		)
	}

	/// The first block of `round`.
	pub(crate) fn round_start(round: Round) -> u32 {
		round.saturating_mul(T::BlocksPerRound::get())
	}

	/// Reveals `worker`'s previous value and redeems `batch`.
	pub(crate) fn do_redeem(
		worker: T::AccountId,
		revealed: [u8; 32],
		batch: &[SignedTicket<T::AccountId, BalanceOf<T>>],
	) -> Result<Redemption, DispatchError> {
		let mut commitments =
			CommitmentsOf::<T>::get(&worker).ok_or(Error::<T>::NothingToReveal)?;
		ensure!(
			commitments.previous.is_some() || commitments.opened.is_some(),
			Error::<T>::NothingToReveal
		);
		let opening = commitment_of(&revealed);
		let (hash, since, replaced_in) = [commitments.previous, commitments.opened]
			.into_iter()
			.flatten()
			.find(|(hash, _, _)| *hash == opening)
			.ok_or(Error::<T>::WrongReveal)?;
		let staker = T::Ursulas::staker_of(&worker).ok_or(Error::<T>::NotAWorker)?;

		let mut ledger = Ledger::<T>::new();
		let mut refused = 0u32;
		for (index, signed) in batch.iter().enumerate() {
			let index = index as u32;
			if let Err(error) = Self::redeem_one(
				&worker,
				&revealed,
				(hash, since, replaced_in),
				(index, signed),
				&mut ledger,
			) {
				refused += 1;
				Self::deposit_event(Event::TicketRefused { worker: worker.clone(), index, error });
			}
		}

		// Each payer's part in one transfer. A transfer that fails (the hold is short of what
		// the account says) refuses that payer's tickets alone: not consumed, its account as
		// before them; the other payers' stand.
		let (mut paid, mut value) = (0u32, BalanceOf::<T>::zero());
		let mut by_payer: BTreeMap<T::AccountId, Vec<PolicyId>> = BTreeMap::new();
		for (payer, policy) in ledger.paying.keys() {
			by_payer.entry(payer.clone()).or_default().push(*policy);
		}
		for (payer, policies) in by_payer {
			let tickets: Vec<(PolicyId, Paying<BalanceOf<T>>)> = policies
				.iter()
				.flat_map(|policy| {
					let paying =
						ledger.paying.remove(&(payer.clone(), *policy)).unwrap_or_default();
					paying.into_iter().map(move |p| (*policy, p))
				})
				.collect();
			let amount = tickets
				.iter()
				.fold(BalanceOf::<T>::zero(), |sum, (_, p)| sum.saturating_add(p.face));
			let moved = with_storage_layer(|| {
				T::Currency::transfer_on_hold(
					&HoldReason::TicketDeposit.into(),
					&payer,
					&staker,
					amount,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Polite,
				)
			});
			if moved.is_ok() {
				// What each policy paid, recorded once per policy by the policies pallet.
				let mut by_policy: BTreeMap<PolicyId, BalanceOf<T>> = BTreeMap::new();
				for (policy, ticket) in &tickets {
					Redeemed::<T>::insert(ticket.expires, ticket.id, ());
					let sum = by_policy.entry(*policy).or_default();
					*sum = sum.saturating_add(ticket.face);
				}
				for (policy, amount) in by_policy {
					T::Policies::record_service(&policy, &worker, &staker, amount, PaidBy::Tickets);
				}
				paid = paid.saturating_add(tickets.len() as u32);
				value = value.saturating_add(amount);
				continue;
			}
			for (policy, ticket) in tickets {
				if let Some(account) = ledger.account(&payer, policy) {
					account.deposit = account.deposit.saturating_add(ticket.face);
					account.spent = account.spent.saturating_sub(ticket.face);
				}
				refused += 1;
				Self::deposit_event(Event::TicketRefused {
					worker: worker.clone(),
					index: ticket.index,
					error: TicketError::Unfunded,
				});
			}
		}
		// Only the accounts that changed are written. What was read counts for the weight: an
		// account, or a policy read for a ticket refused before its account was.
		let touched = (ledger.accounts.len() as u32).max(ledger.policies.len() as u32);
		for ((payer, policy), (read, now)) in core::mem::take(&mut ledger.accounts) {
			if let Some(account) = now.filter(|now| Some(now) != read.as_ref()) {
				Accounts::<T>::insert(&payer, policy, account);
			}
		}
		if paid > 0 {
			WinningsOf::<T>::mutate(&worker, |w| {
				w.tickets = w.tickets.saturating_add(paid.into());
				w.paid = w.paid.saturating_add(value);
			});
		}
		if commitments.previous.is_some_and(|(previous, _, _)| previous == hash) {
			commitments.opened = commitments.previous.take();
		}
		CommitmentsOf::<T>::insert(&worker, commitments);
		Self::deposit_event(Event::Redeemed { worker, paid, value, refused });
		Ok(Redemption {
			shared: ledger.shared,
			accounts: touched,
			policies: ledger.policies.len() as u32,
		})
	}

	/// Every check of one winning ticket, cheapest first; enters it in the ledger to be paid.
	fn redeem_one(
		worker: &T::AccountId,
		revealed: &[u8; 32],
		(hash, since, replaced_in): ([u8; 32], Round, Round),
		(index, signed): (u32, &SignedTicket<T::AccountId, BalanceOf<T>>),
		ledger: &mut Ledger<T>,
	) -> Result<(), TicketError> {
		let ticket = &signed.ticket;
		ensure!(ticket.version == TICKET_VERSION, TicketError::Malformed);
		ensure!(&ticket.recipient == worker, TicketError::WrongRecipient);
		ensure!(ticket.commitment == hash, TicketError::WrongCommitment);
		let now = ledger.now;
		// Made while the commitment was the current one, living no longer than a ticket may.
		ensure!(
			since <= ticket.created_round
				&& ticket.created_round <= replaced_in
				&& ticket.created_round <= ticket.expires
				&& ticket.expires <= ticket.created_round.saturating_add(T::TicketRounds::get()),
			TicketError::BadCreation
		);
		ensure!(now <= ticket.expires, TicketError::Expired);
		// An unknown block reads as zeros: a ticket must name a real one.
		ensure!(
			ticket.created_hash != [0; 32]
				&& ledger.round_hash(ticket.created_round).as_ref()
					== ticket.created_hash.as_slice(),
			TicketError::BadCreation
		);
		ensure!(wins(&signed.signature, revealed, ticket.win_probability), TicketError::NotAWinner);
		let id = ticket.id();
		ensure!(
			!ledger.ids.contains(&id) && !Redeemed::<T>::contains_key(ticket.expires, id),
			TicketError::Replayed
		);

		let (bob_key, price): ([u8; 32], BalanceOf<T>) = match ledger.policy(ticket.policy) {
			Some(terms) if terms.ursulas.contains(worker) => {
				(terms.bob.encode().try_into().map_err(|_| TicketError::BadSignature)?, terms.price)
			},
			_ => return Err(TicketError::WrongRecipient),
		};
		let period = ledger.period;
		let account = ledger.account(&ticket.payer, ticket.policy).clone();
		let Some(mut account) = account else { return Err(TicketError::NotAuthorized) };
		// The cap the ticket was made under: the one in force in its round.
		let cap = match ledger.prior(&ticket.payer, ticket.policy) {
			Some(p) if ticket.created_round <= p.until => account.cap.max(p.cap),
			_ => account.cap,
		};
		ensure!(!cap.is_zero(), TicketError::NotAuthorized);
		let worth = expected_value(ticket.win_probability, ticket.face_value.saturated_into());
		ensure!(worth <= price.saturated_into::<u128>().saturating_add(1), TicketError::WrongPrice);
		ensure!(
			sr25519_signed(&bob_key, &ticket.signing_payload(), &signed.signature),
			TicketError::BadSignature
		);

		if account.spent_in != period {
			account.spent = Zero::zero();
			account.spent_in = period;
		}
		ensure!(account.spent.saturating_add(ticket.face_value) <= cap, TicketError::OverCap);
		if account.deposit < ticket.face_value {
			if !account.reserve.is_zero() && ledger.shared.is_none() {
				let ursulas =
					ledger.policy(ticket.policy).clone().map(|t| t.ursulas).unwrap_or_default();
				let shared =
					Self::share_reserve(&ticket.payer, ticket.policy, &mut account, &ursulas);
				ledger.shared = Some(shared);
			}
			*ledger.account(&ticket.payer, ticket.policy) = Some(account);
			return Err(TicketError::Unfunded);
		}
		account.deposit = account.deposit.saturating_sub(ticket.face_value);
		account.spent = account.spent.saturating_add(ticket.face_value);
		*ledger.account(&ticket.payer, ticket.policy) = Some(account);
		ledger.ids.insert(id);
		ledger.paying.entry((ticket.payer.clone(), ticket.policy)).or_default().push(Paying {
			index,
			expires: ticket.expires,
			id,
			face: ticket.face_value,
		});
		Ok(())
	}

	/// The payer's deposit failed a winner: its whole reserve goes, in equal fixed shares, to
	/// the stakers of the policy's Ursulas (what does not divide stays held), and the payer is
	/// reported for lottery fraud. Returns among how many Ursulas it was shared.
	pub(crate) fn share_reserve(
		payer: &T::AccountId,
		policy: PolicyId,
		account: &mut Account<BalanceOf<T>>,
		ursulas: &[T::AccountId],
	) -> u32 {
		let stakers: Vec<(T::AccountId, T::AccountId)> = ursulas
			.iter()
			.filter_map(|u| T::Ursulas::staker_of(u).map(|s| (u.clone(), s)))
			.collect();
		let count = stakers.len() as u32;
		if count == 0 {
			return 0;
		}
		let share = account.reserve / count.into();
		if share.is_zero() {
			return 0;
		}
		let mut given = BalanceOf::<T>::zero();
		for (ursula, staker) in &stakers {
			let moved = T::Currency::transfer_on_hold(
				&HoldReason::TicketReserve.into(),
				payer,
				staker,
				share,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Polite,
			);
			if moved.is_ok() {
				given = given.saturating_add(share);
				WinningsOf::<T>::mutate(ursula, |w| {
					w.from_reserves = w.from_reserves.saturating_add(share)
				});
			}
		}
		account.reserve = account.reserve.saturating_sub(given);
		Self::deposit_event(Event::ReserveShared {
			payer: payer.clone(),
			policy,
			share,
			ursulas: count,
		});
		let offence = Offence {
			offender: payer.clone(),
			kind: OffenceKind::LotteryFraud { overdraft: given },
			evidence: sp_io::hashing::blake2_256(
				&(b"keymarket/lottery-fraud", payer, policy, T::Ursulas::current_round()).encode(),
			),
			period: T::Ursulas::current_period(),
			reporters: alloc::vec![],
		};
		if let Err(reason) = T::Offences::report(offence) {
			Self::deposit_event(Event::FraudNotReported { payer: payer.clone(), reason });
		}
		count
	}

	/// Forgets the redeemed tickets of rounds past, as far as `remaining` allows. Returns the
	/// weight used.
	pub(crate) fn forget_expired(remaining: Weight) -> Weight {
		let db = T::DbWeight::get();
		let per_key = db.writes(1);
		let mut used = db.reads_writes(1, 1);
		if remaining.any_lt(used.saturating_add(per_key)) {
			return Weight::zero();
		}
		let now = T::Ursulas::current_round();
		let round = ForgottenBefore::<T>::get();
		if round >= now {
			return db.reads(1);
		}
		let limit = remaining.saturating_sub(used).ref_time() / per_key.ref_time().max(1);
		let limit = limit.min(u32::MAX as u64) as u32;
		let result = Redeemed::<T>::clear_prefix(round, limit, None);
		used = used.saturating_add(per_key.saturating_mul(result.unique.into()));
		if result.maybe_cursor.is_none() {
			ForgottenBefore::<T>::put(round.saturating_add(1));
		}
		used
	}
}
