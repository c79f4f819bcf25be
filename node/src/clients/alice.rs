//! Alice: makes her keys, grants policies (key fragments made here, encrypted to each Ursula),
//! pays for their requests by lottery tickets, revokes them, lists them.

use std::path::PathBuf;

use codec::Encode;
use frame_support::BoundedVec;
use keymarket_primitives::policies::{BoundKeyFrag, EncryptedKeyFrag, WIRE_VERSION};
use keymarket_primitives::{policies::PolicyId, AccountId};
use keymarket_runtime::RuntimeCall;
use pallet_keymarket_policies::PolicyGrant;
use serde_json::json;
use sp_core::Pair as _;
use umbral_pre::{DefaultSerialize, PublicKey, Signer, VerifiedKeyFrag};

use super::{
	chain::{self, Chain, BEST},
	public_bytes, public_key,
	rpc::typed,
	KeyFile, Output, Progress, RpcFlag,
};
use crate::rpc::{
	lottery::LotteryApiClient,
	market::{Amount, MarketApiClient},
	policies::PoliciesApiClient,
	staking::{StakingApiClient, NOT_ENOUGH_URSULAS},
};
use jsonrpsee::core::client::Error as ClientError;
use keymarket_primitives::market::{draw_seed, Quote};

/// Alice's commands.
#[derive(Debug, clap::Subcommand)]
pub enum AliceCmd {
	/// Make a key file (Umbral keys: one signer, one policy key per label).
	Keygen {
		/// Where to write it (refuses to overwrite).
		#[arg(long)]
		out: PathBuf,
	},
	/// Grant Bob a policy: draw (among the Ursulas whose terms fit) or name the Ursulas, show
	/// the cost, make and encrypt the key fragments, put the fee in escrow. Prints the policy,
	/// the draw (seed and block, for anyone to check) and the cost as JSON.
	Grant(GrantArgs),
	/// Revoke a policy: Ursulas refuse from the next block, the rest of the fee comes back.
	Revoke {
		/// Alice's account (secret URI).
		#[arg(long)]
		suri: String,
		/// The policy id (hex).
		#[arg(long)]
		policy: String,
		#[command(flatten)]
		rpc: RpcFlag,
	},
	/// Pay for a policy's requests by lottery tickets: fund a ticket deposit and a penalty
	/// reserve (held on the payer's account), and authorize the policy's Bob to sign tickets
	/// against it up to a cap per period, at a price per request. Prints the funds as JSON.
	Tickets {
		/// The payer's account (secret URI): Alice, or any sponsor.
		#[arg(long)]
		suri: String,
		/// The policy id (hex).
		#[arg(long)]
		policy: String,
		/// Added to the ticket deposit: winning tickets are paid from it.
		#[arg(long, default_value_t = 0)]
		deposit: u128,
		/// Added to the penalty reserve: shared out to the policy's Ursulas if the deposit
		/// ever fails a winner.
		#[arg(long, default_value_t = 0)]
		reserve: u128,
		/// The most winning tickets may take in a period (zero revokes Bob's authorization).
		/// Each ticket is worth the policy's price on average (`alice grant --price`).
		#[arg(long)]
		cap: u128,
		#[command(flatten)]
		rpc: RpcFlag,
	},
	/// List an Alice's policies as JSON.
	List {
		/// The owner's account (SS58).
		#[arg(long)]
		owner: AccountId,
		#[command(flatten)]
		rpc: RpcFlag,
	},
}

/// What `alice grant` takes.
#[derive(Debug, clap::Args)]
pub struct GrantArgs {
	/// Alice's key file.
	#[arg(long)]
	keys: PathBuf,
	/// Alice's account (secret URI): pays the fee and signs.
	#[arg(long)]
	suri: String,
	/// The policy key's label: one policy key per label.
	#[arg(long)]
	label: String,
	/// Bob's account (SS58): the key that signs his requests.
	#[arg(long)]
	bob: AccountId,
	/// Bob's Umbral public key (hex).
	#[arg(long)]
	bob_key: String,
	/// M: fragments Bob needs.
	#[arg(long)]
	threshold: u8,
	/// N: how many Ursulas to draw by stake from the active set among those whose terms fit
	/// the rate and the policy's end (unless named).
	#[arg(long, default_value_t = 1)]
	shares: u8,
	/// Name the Ursulas (worker accounts, SS58) instead of drawing them; each must take the
	/// rate and have a free place.
	#[arg(long = "ursula")]
	ursulas: Vec<AccountId>,
	/// How many periods the policy lasts, from `--start` (default: the current period).
	#[arg(long)]
	periods: u32,
	/// The first period (default: the current one).
	#[arg(long)]
	start: Option<u32>,
	/// Fee per Ursula per period, in the token's smallest unit.
	#[arg(long)]
	rate: u128,
	/// The price of one re-encryption request, in the token's smallest unit: what Bob's
	/// lottery tickets are worth on average (zero: the policy is paid by the period only).
	#[arg(long, default_value_t = 0)]
	price: u128,
	/// The policy id (hex, 16 bytes; default: random).
	#[arg(long)]
	policy_id: Option<String>,
	/// Print the call (SCALE hex, for polkadot.js `api.tx(call)`) instead of submitting it.
	#[arg(long)]
	print_call: bool,
	/// Show the Ursulas and what the policy would cost, and stop there (nothing is signed).
	#[arg(long)]
	quote: bool,
	/// Do not ask before signing (asked only when standard input is a terminal).
	#[arg(long)]
	yes: bool,
	#[command(flatten)]
	rpc: RpcFlag,
}

impl AliceCmd {
	/// Runs the command, printing its result as `output` says.
	pub fn run(&self, output: Output) -> Result<(), String> {
		match self {
			AliceCmd::Keygen { out } => {
				let keys = KeyFile::create(out)?;
				let signer = keys.key(b"signer");
				output.print(
					&json!({ "verifyingKey": chain::hex_of(&public_bytes(&signer.public_key())) }),
				);
				Ok(())
			},
			AliceCmd::Grant(args) => grant(args, output),
			AliceCmd::Revoke { suri, policy, rpc } => {
				let chain = Chain::new(&rpc.rpc)?;
				let id = super::policy_id(policy)?;
				let call =
					RuntimeCall::Policies(pallet_keymarket_policies::Call::revoke_policy { id });
				let progress = Progress::new();
				progress.step(format!("revoking policy {policy}: waiting for its block"));
				let events = chain
					.submit(&super::signer(suri)?, call)
					.map_err(|e| format!("policy {policy}: not revoked: {e}"))?;
				drop(progress);
				let refund = events.iter().find_map(|e| match e {
					keymarket_runtime::RuntimeEvent::Policies(
						pallet_keymarket_policies::Event::PolicyRevoked { refund, .. },
					) => Some(*refund),
					_ => None,
				});
				output.print(&json!({ "policy": policy, "refund": refund.map(|r| r.to_string()) }));
				Ok(())
			},
			AliceCmd::Tickets { suri, policy, deposit, reserve, cap, rpc } => {
				let chain = Chain::new(&rpc.rpc)?;
				let id = super::policy_id(policy)?;
				let payer = super::signer(suri)?;
				let progress = Progress::new();
				let failed = |e: String| format!("policy {policy}: tickets not set: {e}");
				if *deposit > 0 || *reserve > 0 {
					progress
						.step(format!("funding policy {policy}'s tickets: waiting for the block"));
					let fund = pallet_keymarket_lottery::Call::fund {
						policy: id,
						deposit: *deposit,
						reserve: *reserve,
					};
					chain.submit(&payer, RuntimeCall::Lottery(fund)).map_err(failed)?;
				}
				progress
					.step(format!("authorizing Bob for policy {policy}: waiting for the block"));
				let authorize = pallet_keymarket_lottery::Call::authorize { policy: id, cap: *cap };
				chain.submit(&payer, RuntimeCall::Lottery(authorize)).map_err(failed)?;
				drop(progress);
				let payer: AccountId = payer.public().into();
				let funds = typed(chain.api().funds(payer.clone(), id.to_vec().into(), BEST))?;
				output.print(&json!({ "payer": payer, "policy": policy, "funds": funds }));
				Ok(())
			},
			AliceCmd::List { owner, rpc } => {
				let chain = Chain::new(&rpc.rpc)?;
				let ids = typed(chain.api().policies_of_owner(owner.clone(), BEST))?;
				let policies = ids
					.into_iter()
					.map(|id| typed(chain.api().policy(id, BEST)))
					.collect::<Result<Vec<_>, _>>()?;
				output.print(&json!(policies));
				Ok(())
			},
		}
	}
}

fn grant(args: &GrantArgs, output: Output) -> Result<(), String> {
	let chain = Chain::new(&args.rpc.rpc)?;
	let keys = KeyFile::open(&args.keys)?;
	let delegating = keys.key(&[b"policy/".as_slice(), args.label.as_bytes()].concat());
	let signer = Signer::new(keys.key(b"signer"));
	let bob_key = public_key(&args.bob_key)?;
	let id: PolicyId = match &args.policy_id {
		Some(id) => super::policy_id(id)?,
		None => {
			let mut id = [0u8; 16];
			getrandom::getrandom(&mut id).map_err(|e| e.to_string())?;
			id
		},
	};
	// One block for every read: the draw can be checked against it.
	let block = chain.block_hash(None)?;
	let at = Some(block);
	let now = typed(chain.api().current_period(at))?;
	let start = args.start.unwrap_or(now);
	let end = start.saturating_add(args.periods);

	// The Ursulas: named (each checked against its terms), or drawn by stake among those whose
	// terms fit, with the shared sampling from a seed bound to the policy id.
	let seed = draw_seed(&id);
	let ursulas: Vec<AccountId> = if args.ursulas.is_empty() {
		let offer = Amount(args.rate);
		futures::executor::block_on(chain.api().sample_fitting(
			seed.into(),
			args.shares.into(),
			offer,
			end,
			at,
		))
		.map_err(|e| match e {
			ClientError::Call(e) if e.code() == NOT_ENOUGH_URSULAS => format!(
				"no {} Ursulas take {} per period for a policy ending in period {end}: {}",
				args.shares,
				args.rate,
				e.message()
			),
			e => e.to_string(),
		})?
	} else {
		for worker in &args.ursulas {
			let terms = typed(chain.api().terms(worker.clone(), at))?
				.ok_or_else(|| format!("Ursula {worker} is not bonded"))?;
			if args.rate < terms.in_force.min_fee_rate {
				return Err(format!(
					"Ursula {worker} asks at least {} per period; the rate {} is below it",
					terms.in_force.min_fee_rate, args.rate
				));
			}
			if terms.free_places == 0 {
				return Err(format!(
					"Ursula {worker} has no free place (it serves {} policies, offers {})",
					terms.load, terms.in_force.capacity
				));
			}
		}
		args.ursulas.clone()
	};
	let cost = typed(chain.api().quote(ursulas.len() as u32, Amount(args.rate), args.periods, at))?;
	let draw = json!({
		"seed": chain::hex_of(&seed),
		"block": block,
		"drawn": args.ursulas.is_empty(),
	});
	if args.quote {
		let quote = json!({
			"policy": chain::hex_of(&id),
			"ursulas": ursulas,
			"start": start,
			"end": end,
			"cost": cost,
			"draw": draw,
		});
		output.print(&quote);
		return Ok(());
	}
	if !args.print_call {
		confirm(&cost, args.yes)?;
	}
	let progress = Progress::new();
	let mut ursula_keys = Vec::new();
	for (i, worker) in ursulas.iter().enumerate() {
		progress.step(format!("reading Ursula {} of {}: {worker}", i + 1, ursulas.len()));
		let view = typed(chain.api().ursula(worker.clone(), at))?
			.ok_or_else(|| format!("Ursula {worker} is not bonded"))?;
		let key = PublicKey::try_from_compressed_bytes(&view.umbral_key)
			.map_err(|e| format!("Ursula {worker}'s Umbral key: {e}"))?;
		ursula_keys.push(key);
	}

	// M-of-N key fragments, each sealed to its Ursula's Umbral key.
	if args.threshold == 0 || usize::from(args.threshold) > ursulas.len() {
		return Err(format!("--threshold must be 1 to {} (the Ursulas)", ursulas.len()));
	}
	let kfrags = umbral_pre::generate_kfrags(
		&delegating,
		&bob_key,
		&signer,
		args.threshold.into(),
		ursulas.len(),
		true,
		true,
	);
	let grant = PolicyGrant {
		bob: args.bob.clone(),
		bob_key: chain::array_of::<33>(&args.bob_key)?,
		verifying_key: public_bytes(&signer.verifying_key()),
		policy_key: public_bytes(&delegating.public_key()),
		threshold: args.threshold,
		start,
		end: start.saturating_add(args.periods),
		rate: args.rate,
		price: args.price,
	};
	// Each fragment is sealed with the policy it is for: the Ursula serves it for no other.
	let owner = super::signer(&args.suri)?;
	let binding = BoundKeyFrag {
		version: WIRE_VERSION,
		policy: id,
		owner: owner.public().into(),
		bob: grant.bob.clone(),
		bob_key: grant.bob_key,
		end: grant.end,
		kfrag: Vec::new(),
	};
	let sealed = kfrags
		.iter()
		.zip(&ursula_keys)
		.zip(&ursulas)
		.enumerate()
		.map(|(i, ((kfrag, key), worker))| {
			progress.step(format!(
				"sealing key fragment {} of {} to Ursula {worker}",
				i + 1,
				ursulas.len()
			));
			seal_kfrag(kfrag, &binding, key).map(BoundedVec::truncate_from).map_err(|e| {
				format!("policy {}: Ursula {worker}'s fragment: {e}", chain::hex_of(&id))
			})
		})
		.collect::<Result<Vec<_>, _>>()?;
	let call = RuntimeCall::Policies(pallet_keymarket_policies::Call::create_policy {
		id,
		grant,
		ursulas: BoundedVec::truncate_from(ursulas.clone()),
		kfrags: BoundedVec::truncate_from(sealed),
	});
	let summary = json!({
		"policy": chain::hex_of(&id),
		"policyKey": chain::hex_of(&public_bytes(&delegating.public_key())),
		"ursulas": ursulas,
		"start": start,
		"end": end,
		"cost": cost,
		"draw": draw,
	});
	if args.print_call {
		drop(progress);
		output.print(&json!({ "call": chain::hex_of(&call.encode()), "policy": summary }));
		return Ok(());
	}
	progress.step(format!("submitting policy {}: waiting for its block", chain::hex_of(&id)));
	chain
		.submit(&owner, call)
		.map_err(|e| format!("policy {}: not created: {e}", chain::hex_of(&id)))?;
	drop(progress);
	output.print(&summary);
	Ok(())
}

/// Shows what the policy costs on standard error and, when a person is at the terminal and
/// did not say `--yes`, asks before signing.
fn confirm(cost: &Quote<u128>, yes: bool) -> Result<(), String> {
	use std::io::{BufRead, IsTerminal, Write};
	eprintln!(
		"the policy costs {} in all: {} in escrow (paid out per period served, the rest refunded), {} in place fees (not refunded), {} deposit (returned with the record)",
		cost.total, cost.escrow, cost.place_fees, cost.deposit
	);
	if yes || !std::io::stdin().is_terminal() {
		return Ok(());
	}
	eprint!("sign and submit? [y/N] ");
	std::io::stderr().flush().map_err(|e| e.to_string())?;
	let mut answer = String::new();
	std::io::stdin().lock().read_line(&mut answer).map_err(|e| e.to_string())?;
	match answer.trim() {
		"y" | "Y" | "yes" => Ok(()),
		_ => Err("not signed: Alice declined the cost".into()),
	}
}

/// Seals `kfrag` for the policy `binding` names (its `kfrag` field is filled here) and
/// encrypts it to an Ursula's Umbral key: the `EncryptedKeyFrag` that goes on chain.
pub fn seal_kfrag(
	kfrag: &VerifiedKeyFrag,
	binding: &BoundKeyFrag,
	ursula_key: &PublicKey,
) -> Result<Vec<u8>, String> {
	let bound = BoundKeyFrag {
		kfrag: kfrag.to_bytes().map_err(|e| e.to_string())?.into_vec(),
		..binding.clone()
	};
	let (capsule, ciphertext) =
		umbral_pre::encrypt(ursula_key, &bound.encode()).map_err(|e| e.to_string())?;
	let capsule = capsule.to_bytes().map_err(|e| e.to_string())?.into_vec();
	Ok(EncryptedKeyFrag { version: WIRE_VERSION, capsule, ciphertext: ciphertext.into_vec() }
		.encode())
}
