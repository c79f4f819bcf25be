//! The Ursula service's Prometheus metrics, on the node's own registry beside Substrate's
//! (`--prometheus-port`, `/metrics`). Names and meanings are listed in `docs/operators.md`;
//! `docs/grafana-ursula.json` is a dashboard that uses them.
//!
//! Label values come from fixed lists (refusal reasons are the wire format's error names, duty
//! kinds the duties' names), never from what a client sends, so no client can grow the
//! registry.

use std::time::Duration;

use keymarket_primitives::{
	activity::ActivityDuty, gateway::ComplaintError, gateway::GatewayDuty, lottery::LotteryDuty,
	policies::RequestError,
};
use substrate_prometheus_endpoint::{
	register, Counter, CounterVec, Gauge, Histogram, HistogramOpts, Opts, PrometheusError,
	Registry, U64,
};

/// The metrics; every method records one event.
pub struct Metrics {
	served: Counter<U64>,
	answered_again: Counter<U64>,
	refused: CounterVec<U64>,
	latency: Histogram,
	capsules: Histogram,
	key_fragments: Gauge<U64>,
	complaints: CounterVec<U64>,
	confirmations: CounterVec<U64>,
	tickets_won: Counter<U64>,
	tickets_redeemed: Gauge<U64>,
	duties: CounterVec<U64>,
	committed_period: Gauge<U64>,
	lottery_round: Gauge<U64>,
}

impl Metrics {
	/// The metrics, registered in `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		let counter = |name: &str, help: &str| register(Counter::new(name, help)?, registry);
		let counter_vec = |name: &str, help: &str, label: &str| {
			register(CounterVec::new(Opts::new(name, help), &[label])?, registry)
		};
		let gauge = |name: &str, help: &str| register(Gauge::new(name, help)?, registry);
		Ok(Self {
			served: counter(
				"keymarket_ursula_requests_served_total",
				"Re-encryption requests answered with signed capsule fragments",
			)?,
			answered_again: counter(
				"keymarket_ursula_requests_answered_again_total",
				"Re-encryption requests answered again from the served log: the same request \
				 once more (a lost answer, a gateway forwarding Bob's complaint), no new work",
			)?,
			refused: counter_vec(
				"keymarket_ursula_requests_refused_total",
				"Re-encryption requests refused, by the wire format's error (RequestError)",
				"reason",
			)?,
			latency: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"keymarket_ursula_request_duration_seconds",
						"Time from a served request's headers to its answer (body, checks, work)",
					)
					.buckets(vec![
						0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0,
					]),
				)?,
				registry,
			)?,
			capsules: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"keymarket_ursula_request_capsules",
						"Capsules re-encrypted per served request",
					)
					.buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0]),
				)?,
				registry,
			)?,
			key_fragments: gauge(
				"keymarket_ursula_key_fragments",
				"Policies whose key fragment this Ursula holds, opened and verified",
			)?,
			complaints: counter_vec(
				"keymarket_ursula_complaints_total",
				"Bobs' complaints this node mediated as a gateway, by outcome",
				"outcome",
			)?,
			confirmations: counter_vec(
				"keymarket_ursula_confirmations_total",
				"Other gateways' requests to confirm a silence, by outcome",
				"outcome",
			)?,
			tickets_won: counter(
				"keymarket_ursula_tickets_won_total",
				"Winning lottery tickets kept (durably, before their request was served)",
			)?,
			tickets_redeemed: gauge(
				"keymarket_ursula_tickets_redeemed",
				"Winning tickets the chain has paid this Ursula, all time, as the best block says",
			)?,
			duties: counter_vec(
				"keymarket_ursula_proofs_submitted_total",
				"Proofs, answers, commitments and claims handed to the off-chain worker to \
				 submit, by kind (a duty the chain has not acted on is handed over again)",
				"kind",
			)?,
			committed_period: gauge(
				"keymarket_ursula_last_committed_period",
				"The last period this Ursula committed to being available for (0: never)",
			)?,
			lottery_round: gauge(
				"keymarket_ursula_lottery_commitment_round",
				"The round of this Ursula's current lottery commitment on chain (0: none, or round 0)",
			)?,
		})
	}

	/// Metrics in a registry of their own, for a node without Prometheus and for tests.
	pub fn unexported() -> Self {
		Self::register(&Registry::new()).expect("names are valid and registered once")
	}

	/// A request served with `capsules` fragments, `elapsed` after its headers arrived.
	pub fn served(&self, capsules: usize, elapsed: Duration) {
		self.served.inc();
		self.latency.observe(elapsed.as_secs_f64());
		self.capsules.observe(capsules as f64);
	}

	/// A request answered again from the served log.
	pub fn answered_again(&self) {
		self.answered_again.inc();
	}

	/// A request refused with `error`.
	pub fn refused(&self, error: RequestError) {
		self.refused.with_label_values(&[&request_error_name(error)]).inc();
	}

	/// The policies whose key fragment this Ursula holds.
	pub fn set_key_fragments(&self, held: usize) {
		self.key_fragments.set(held as u64);
	}

	/// A complaint mediated: its outcome's name, or its error.
	pub fn complaint(&self, outcome: Result<&'static str, ComplaintError>) {
		self.complaints.with_label_values(&[&outcome_name(outcome)]).inc();
	}

	/// A confirmation asked of this gateway: its outcome's name, or its error.
	pub fn confirmation(&self, outcome: Result<&'static str, ComplaintError>) {
		self.confirmations.with_label_values(&[&outcome_name(outcome)]).inc();
	}

	/// A winning ticket kept.
	pub fn ticket_won(&self) {
		self.tickets_won.inc();
	}

	/// The winning tickets the chain has paid this Ursula, all time.
	pub fn set_tickets_redeemed(&self, count: u64) {
		self.tickets_redeemed.set(count);
	}

	/// A request whose connection's deadline passed before it was answered (its answer, if
	/// the work finishes, is never sent).
	pub fn timed_out(&self, route: Route) {
		let counter = match route {
			Route::Reencrypt => &self.refused,
			Route::Complain => &self.complaints,
			Route::Confirm => &self.confirmations,
		};
		counter.with_label_values(&[TIMED_OUT]).inc();
	}

	/// A duty handed to the off-chain worker.
	pub fn duty(&self, kind: &'static str) {
		self.duties.with_label_values(&[kind]).inc();
	}

	/// The last period committed to, as the chain says at the best block.
	pub fn set_committed_period(&self, period: Option<u32>) {
		self.committed_period.set(period.unwrap_or(0).into());
	}

	/// The round of the current lottery commitment, as the chain says at the best block.
	pub fn set_lottery_round(&self, round: Option<u32>) {
		self.lottery_round.set(round.unwrap_or(0).into());
	}
	/// Requests refused with `reason` so far (for tests).
	#[cfg(test)]
	pub fn refusals(&self, reason: &str) -> u64 {
		self.refused.with_label_values(&[reason]).get()
	}

	/// Requests answered again so far (for tests).
	#[cfg(test)]
	pub fn answered_again_count(&self) -> u64 {
		self.answered_again.get()
	}

	/// Requests served so far (for tests).
	#[cfg(test)]
	pub fn served_count(&self) -> u64 {
		self.served.get()
	}
}

/// The label of a request cut short by its connection's deadline.
pub const TIMED_OUT: &str = "TimedOut";

/// The endpoint's routes that count their outcomes.
#[derive(Clone, Copy, Debug)]
pub enum Route {
	Reencrypt,
	Complain,
	Confirm,
}

/// Counts a request as [`TIMED_OUT`] unless it is answered first: the connection drops the
/// request's future when its deadline passes, and with it this guard.
pub struct Unanswered<'a> {
	metrics: &'a Metrics,
	route: Route,
	answered: bool,
}

impl<'a> Unanswered<'a> {
	pub fn new(metrics: &'a Metrics, route: Route) -> Self {
		Self { metrics, route, answered: false }
	}

	/// The request was answered (and its outcome counted).
	pub fn answered(mut self) {
		self.answered = true;
	}
}

impl Drop for Unanswered<'_> {
	fn drop(&mut self) {
		if !self.answered {
			self.metrics.timed_out(self.route);
		}
	}
}

/// A refusal's label: the error's name, with a ticket's reason after a dot
/// (`Ticket.Unfunded`) and a capsule's index dropped (`MalformedCapsule`).
pub fn request_error_name(error: RequestError) -> String {
	match error {
		RequestError::MalformedCapsule(_) => "MalformedCapsule".into(),
		RequestError::Ticket(reason) => format!("Ticket.{reason:?}"),
		other => format!("{other:?}"),
	}
}

fn outcome_name(outcome: Result<&'static str, ComplaintError>) -> String {
	match outcome {
		Ok(name) => name.into(),
		Err(error) => format!("{error:?}"),
	}
}

/// The kind of a gateway duty, as the metric labels it.
pub fn gateway_duty_kind(duty: &GatewayDuty<keymarket_primitives::AccountId>) -> &'static str {
	match duty {
		GatewayDuty::Prove { .. } => "prove_unavailable",
		GatewayDuty::Answer { .. } => "answer_case",
		GatewayDuty::Pass { .. } => "pass_case",
	}
}

/// The kind of a lottery duty, as the metric labels it.
pub fn lottery_duty_kind<A, B>(duty: &LotteryDuty<A, B>) -> &'static str {
	match duty {
		LotteryDuty::Commit { .. } => "lottery_commit",
		LotteryDuty::Redeem { .. } => "lottery_redeem",
	}
}

/// The kind of an activity duty, as the metric labels it.
pub fn activity_duty_kind<A>(duty: &ActivityDuty<A>) -> &'static str {
	match duty {
		ActivityDuty::Claim { .. } => "activity_claim",
		ActivityDuty::Open { .. } => "activity_open",
		ActivityDuty::Attest { .. } => "activity_attest",
		ActivityDuty::ClaimPrivate { .. } => "activity_claim_private",
		ActivityDuty::OpenPrivate { .. } => "activity_open_private",
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use keymarket_primitives::lottery::TicketError;
	use substrate_prometheus_endpoint::prometheus::{Encoder, TextEncoder};

	fn text(registry: &Registry) -> String {
		let mut out = Vec::new();
		TextEncoder::new().encode(&registry.gather(), &mut out).unwrap();
		String::from_utf8(out).unwrap()
	}

	#[test]
	fn labels_come_from_fixed_names_not_from_client_bytes() {
		assert_eq!(request_error_name(RequestError::MalformedCapsule(17)), "MalformedCapsule");
		assert_eq!(request_error_name(RequestError::MalformedCapsule(3)), "MalformedCapsule");
		assert_eq!(
			request_error_name(RequestError::Ticket(TicketError::Unfunded)),
			"Ticket.Unfunded"
		);
		assert_eq!(request_error_name(RequestError::RateLimited), "RateLimited");
	}

	#[test]
	fn events_show_in_the_exposition() {
		let registry = Registry::new();
		let metrics = Metrics::register(&registry).unwrap();
		metrics.served(3, Duration::from_micros(700));
		metrics.served(1, Duration::from_millis(3));
		metrics.answered_again();
		metrics.refused(RequestError::MalformedCapsule(9));
		metrics.refused(RequestError::MalformedCapsule(2));
		metrics.complaint(Err(ComplaintError::Replayed));
		metrics.complaint(Ok("proven"));
		metrics.ticket_won();
		metrics.set_tickets_redeemed(4);
		Unanswered::new(&metrics, Route::Reencrypt).answered();
		drop(Unanswered::new(&metrics, Route::Reencrypt));
		metrics.duty("lottery_commit");
		metrics.set_committed_period(Some(12));
		metrics.set_key_fragments(2);
		let text = text(&registry);
		for line in [
			"keymarket_ursula_requests_served_total 2",
			"keymarket_ursula_requests_answered_again_total 1",
			"keymarket_ursula_requests_refused_total{reason=\"MalformedCapsule\"} 2",
			"keymarket_ursula_request_duration_seconds_bucket{le=\"0.001\"} 1",
			"keymarket_ursula_request_duration_seconds_count 2",
			"keymarket_ursula_request_capsules_bucket{le=\"1\"} 1",
			"keymarket_ursula_request_capsules_bucket{le=\"4\"} 2",
			"keymarket_ursula_request_capsules_sum 4",
			"keymarket_ursula_complaints_total{outcome=\"Replayed\"} 1",
			"keymarket_ursula_complaints_total{outcome=\"proven\"} 1",
			"keymarket_ursula_tickets_won_total 1",
			"keymarket_ursula_tickets_redeemed 4",
			"keymarket_ursula_requests_refused_total{reason=\"TimedOut\"} 1",
			"keymarket_ursula_proofs_submitted_total{kind=\"lottery_commit\"} 1",
			"keymarket_ursula_last_committed_period 12",
			"keymarket_ursula_key_fragments 2",
			"keymarket_ursula_lottery_commitment_round 0",
		] {
			assert!(text.lines().any(|l| l == line), "{line} missing from:\n{text}");
		}
	}

	/// Every `keymarket_ursula_*` series the Grafana dashboard in docs/ queries is exported.
	#[test]
	fn the_dashboard_uses_only_metrics_the_node_exports() {
		let registry = Registry::new();
		let metrics = Metrics::register(&registry).unwrap();
		// Series of a labelled metric show once an event has touched them.
		metrics.refused(RequestError::RateLimited);
		metrics.complaint(Ok("answered"));
		metrics.confirmation(Ok("signed"));
		metrics.duty("lottery_commit");
		let mut exported = std::collections::BTreeSet::new();
		for family in registry.gather() {
			let name = family.get_name().to_string();
			for suffix in ["", "_bucket", "_sum", "_count"] {
				exported.insert(format!("{name}{suffix}"));
			}
		}
		let dashboard: serde_json::Value =
			serde_json::from_str(include_str!("../../../docs/grafana-ursula.json"))
				.expect("the dashboard is JSON");
		let panels = dashboard["panels"].as_array().expect("panels");
		let mut queried = 0;
		for panel in panels {
			let targets = panel["targets"].as_array().expect("every panel has targets");
			assert!(!targets.is_empty(), "{}", panel["title"]);
			for target in targets {
				let expr = target["expr"].as_str().expect("a PromQL expression");
				for (at, _) in expr.match_indices("keymarket_ursula_") {
					let name: String = expr[at..]
						.chars()
						.take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
						.collect();
					assert!(exported.contains(&name), "the dashboard queries {name}, not exported");
					queried += 1;
				}
			}
		}
		assert!(queried >= 12, "{queried} series queried");
	}

	#[test]
	fn registering_twice_in_one_registry_is_an_error_not_a_panic() {
		let registry = Registry::new();
		Metrics::register(&registry).unwrap();
		assert!(Metrics::register(&registry).is_err());
	}
}
