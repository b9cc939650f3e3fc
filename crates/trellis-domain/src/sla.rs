//! SLA clocks as a pure function of a ticket's history (see ARCHITECTURE.md, "SLA clocks").
//!
//! A timer is never a counter that events bump, so a reassignment, a pause, a calendar edit or a
//! reopen cannot corrupt it. It is recomputed from three things:
//! - the ticket's history: the state it was in after each journalled change (status, pending
//!   reason, the team holding it);
//! - the agreement's conditions: which states count, which pending reasons pause the clock, and
//!   whether a reopen resumes or restarts it;
//! - the versioned business calendar: each moment is measured by the version in force then.
//!
//! The same history therefore always gives the same answer, live or recomputed a year later,
//! and [`Timer::segments`] accounts for every second between the start and the instant asked
//! about.

use crate::agreement::Metric;
use crate::calendar::CalendarHistory;
use crate::incident::{IncidentStatus, PendingReason};
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

/// Warnings may fire from 1 % to 99 % of the target.
pub const WARN_PERCENT_RANGE: std::ops::RangeInclusive<u8> = 1..=99;
pub const DEFAULT_WARN_PERCENT: u8 = 75;

/// The ticket as it stood from `at` until its next change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    pub at: Timestamp,
    pub status: IncidentStatus,
    pub pending_reason: Option<PendingReason>,
    pub team_id: Option<Uuid>,
}

crate::named_enum! {
    /// What a reopened ticket does to a resolution clock.
    pub enum ReopenRule {
        Resume = ("resume", "Resume: carry on from the time already counted"),
        Restart = ("restart", "Restart: count from zero again"),
    }
}

/// When an agreement's clock runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conditions {
    /// Response clocks run while the ticket is new and stop for good when it first leaves new;
    /// resolution clocks run while it is open and stop when it is resolved. (Availability is not
    /// a ticket clock; it is measured as a resolution clock if asked.)
    pub metric: Metric,
    /// Pending with one of these reasons pauses the clock; pending for any other reason counts.
    pub pause_on: Vec<PendingReason>,
    pub on_reopen: ReopenRule,
    /// Whose time the clock measures.
    pub holder: Holder,
}

/// Whose share of a ticket's life a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The provider's: a customer SLA.
    Anyone,
    /// One internal team's, while it holds the ticket: an OLA.
    Team(Uuid),
    /// The supplier's, while the ticket waits on it: an underpinning contract.
    Supplier,
}

/// One timer: the conditions, the working time allowed, and when to warn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerSpec {
    pub conditions: Conditions,
    pub target: SignedDuration,
    /// Percentage of the target at which a warning falls due.
    pub warn_percent: u8,
}

impl TimerSpec {
    pub fn warn_after(&self) -> SignedDuration {
        self.target * i32::from(self.warn_percent) / 100
    }
}

/// Why a stretch of time counted or not: the explain view's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reason")]
pub enum SegmentKind {
    /// The clock ran in working time.
    Counted,
    /// The clock ran, but the calendar was closed.
    OutsideHours,
    /// Pending for a reason the agreement pauses on.
    Paused(PendingReason),
    /// An OLA or contract clock while someone else held the ticket.
    Elsewhere,
    /// Responded to, resolved or closed.
    Stopped,
    /// Working time counted before a reopen that restarted the clock.
    Discarded,
}

impl SegmentKind {
    pub fn explain(self) -> String {
        match self {
            SegmentKind::Counted => "counted: working time".into(),
            SegmentKind::OutsideHours => "not counted: outside working hours".into(),
            SegmentKind::Paused(r) => format!("not counted: paused ({})", r.label().to_lowercase()),
            SegmentKind::Elsewhere => "not counted: someone else held the ticket".into(),
            SegmentKind::Stopped => "not counted: clock stopped".into(),
            SegmentKind::Discarded => "not counted: before a reopen that restarted the clock".into(),
        }
    }
}

/// A stretch `[from, to)` of wall-clock time, in one state, counted or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub from: Timestamp,
    pub to: Timestamp,
    pub kind: SegmentKind,
    /// The ticket's status during the stretch.
    pub status: IncidentStatus,
}

impl Segment {
    pub fn length(&self) -> SignedDuration {
        self.to.duration_since(self.from)
    }
}

crate::named_enum! {
    pub enum TimerState {
        Running = ("running", "Running"),
        Paused = ("paused", "Paused"),
        Stopped = ("stopped", "Stopped"),
    }
}

/// A timer evaluated at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub started_at: Timestamp,
    pub state: TimerState,
    /// Working time counted in the current cycle.
    pub elapsed: SignedDuration,
    pub target: SignedDuration,
    /// Starts at 1; a reopen under [`ReopenRule::Restart`] begins the next.
    pub cycle: u32,
    /// When the warning threshold was or, if the clock keeps running, will be reached.
    pub warn_at: Option<Timestamp>,
    /// When the target was or, if the clock keeps running, will be reached.
    pub due_at: Option<Timestamp>,
    pub warned_at: Option<Timestamp>,
    pub breached_at: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    /// Every second from the start to the instant evaluated, in order.
    pub segments: Vec<Segment>,
}

impl Timer {
    pub fn is_breached(&self) -> bool {
        self.breached_at.is_some()
    }

    /// Thousandths of the target used (1000 = the target reached).
    pub fn used_permille(&self) -> i64 {
        let target = self.target.as_secs().max(1);
        (self.elapsed.as_secs().saturating_mul(1000) / target).max(0)
    }
}

/// The ticket's states, replayed from its journal: each entry that changed the status, the
/// pending reason or the team starts a new state. Entries must be in journal order; the first
/// is the creation. Values the journal does not carry keep their previous value.
pub fn history_from_journal<'a>(
    entries: impl IntoIterator<Item = (Timestamp, &'a [crate::journal::Change])>,
) -> Vec<TicketState> {
    let mut out: Vec<TicketState> = Vec::new();
    for (at, changes) in entries {
        let mut state = out.last().cloned().unwrap_or(TicketState {
            at,
            status: IncidentStatus::New,
            pending_reason: None,
            team_id: None,
        });
        let mut touched = out.is_empty();
        for change in changes {
            let text = change.to.as_str();
            match change.field.as_str() {
                "status" => {
                    if let Some(status) = text.and_then(IncidentStatus::parse) {
                        state.status = status;
                        touched = true;
                    }
                }
                "pending_reason" => {
                    state.pending_reason = text.and_then(PendingReason::parse);
                    touched = true;
                }
                "team_id" => {
                    state.team_id = text.and_then(|t| t.parse().ok());
                    touched = true;
                }
                _ => {}
            }
        }
        if touched {
            state.at = at;
            out.push(state);
        }
    }
    out
}

/// What the clock does while the ticket is in one state.
enum Mode {
    Counting,
    Idle(SegmentKind),
}

/// Evaluates a timer at `now` from the ticket's history (sorted by instant; the first entry is
/// the ticket's creation). Changes after `now` are ignored, so evaluating at an earlier instant
/// gives what a live clock showed then. `None` before the ticket existed.
pub fn evaluate(
    spec: &TimerSpec,
    calendar: &CalendarHistory,
    history: &[TicketState],
    now: Timestamp,
) -> Option<Timer> {
    let known: Vec<&TicketState> = history.iter().take_while(|s| s.at <= now).collect();
    let first = known.first()?;
    let warn_after = spec.warn_after();
    let mut t = Timer {
        started_at: first.at,
        state: TimerState::Running,
        elapsed: SignedDuration::ZERO,
        target: spec.target,
        cycle: 1,
        warn_at: None,
        due_at: None,
        warned_at: None,
        breached_at: None,
        stopped_at: None,
        segments: Vec::new(),
    };
    let mut mode = Mode::Counting;
    for (i, state) in known.iter().enumerate() {
        mode = next_mode(spec, &mut t, state);
        let from = state.at;
        let to = known.get(i + 1).map_or(now, |next| next.at);
        if to <= from {
            continue;
        }
        match mode {
            Mode::Counting => count(spec.target, warn_after, calendar, &mut t, from, to, state.status),
            Mode::Idle(kind) => t.segments.push(Segment { from, to, kind, status: state.status }),
        }
    }
    t.state = match mode {
        Mode::Counting => TimerState::Running,
        Mode::Idle(SegmentKind::Stopped) => TimerState::Stopped,
        Mode::Idle(_) => TimerState::Paused,
    };
    let project = |reached: Option<Timestamp>, threshold: SignedDuration| {
        reached.or_else(|| {
            matches!(mode, Mode::Counting)
                .then(|| calendar.add_working_time(now, threshold - t.elapsed))
                .flatten()
        })
    };
    t.warn_at = project(t.warned_at, warn_after);
    t.due_at = project(t.breached_at, spec.target);
    Some(t)
}

/// Applies the conditions to the state the ticket has just entered.
fn next_mode(spec: &TimerSpec, t: &mut Timer, state: &TicketState) -> Mode {
    let c = &spec.conditions;
    let open = state.status.is_open();
    let stop = match c.metric {
        // A response is made once; nothing restarts it.
        Metric::Response => t.stopped_at.is_some() || state.status != IncidentStatus::New,
        Metric::Resolution | Metric::Availability => !open,
    };
    if stop {
        t.stopped_at.get_or_insert(state.at);
        return Mode::Idle(SegmentKind::Stopped);
    }
    if t.stopped_at.take().is_some() && c.on_reopen == ReopenRule::Restart {
        t.cycle += 1;
        t.elapsed = SignedDuration::ZERO;
        t.warned_at = None;
        t.breached_at = None;
        for s in t.segments.iter_mut().filter(|s| s.kind == SegmentKind::Counted) {
            s.kind = SegmentKind::Discarded;
        }
    }
    let pending = (state.status == IncidentStatus::Pending)
        .then(|| state.pending_reason.unwrap_or(PendingReason::Other));
    match c.holder {
        Holder::Supplier if pending == Some(PendingReason::AwaitingSupplier) => Mode::Counting,
        Holder::Supplier => Mode::Idle(SegmentKind::Elsewhere),
        _ if pending.is_some_and(|r| c.pause_on.contains(&r)) => {
            Mode::Idle(SegmentKind::Paused(pending.unwrap_or(PendingReason::Other)))
        }
        Holder::Team(team) if state.team_id != Some(team) => Mode::Idle(SegmentKind::Elsewhere),
        Holder::Team(_) | Holder::Anyone => Mode::Counting,
    }
}

/// Counts `[from, to)` while the clock runs: working time counts, the rest is outside hours.
/// Notes the exact instants the warning and the target are reached.
fn count(
    target: SignedDuration,
    warn_after: SignedDuration,
    calendar: &CalendarHistory,
    t: &mut Timer,
    from: Timestamp,
    to: Timestamp,
    status: IncidentStatus,
) {
    let mut cursor = from;
    for (a, b) in calendar.working_intervals(from, to) {
        if a > cursor {
            t.segments.push(Segment { from: cursor, to: a, kind: SegmentKind::OutsideHours, status });
        }
        let length = b.duration_since(a);
        let crossing = |threshold: SignedDuration| {
            (t.elapsed < threshold && t.elapsed + length >= threshold)
                .then(|| a.checked_add(threshold - t.elapsed).ok())
                .flatten()
        };
        if t.warned_at.is_none() {
            t.warned_at = crossing(warn_after);
        }
        if t.breached_at.is_none() {
            t.breached_at = crossing(target);
        }
        t.elapsed += length;
        t.segments.push(Segment { from: a, to: b, kind: SegmentKind::Counted, status });
        cursor = b;
    }
    if cursor < to {
        t.segments.push(Segment { from: cursor, to, kind: SegmentKind::OutsideHours, status });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::tests::calendar;
    use crate::calendar::{Calendar, Shift, SpecialDay, WeeklyHours};
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    const TEAM_A: Uuid = Uuid::from_u128(1);
    const TEAM_B: Uuid = Uuid::from_u128(2);

    fn at(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    fn st(when: &str, status: IncidentStatus) -> TicketState {
        TicketState { at: at(when), status, pending_reason: None, team_id: Some(TEAM_A) }
    }

    fn pending(when: &str, reason: PendingReason) -> TicketState {
        TicketState { pending_reason: Some(reason), ..st(when, IncidentStatus::Pending) }
    }

    fn spec(metric: Metric, hours: i64) -> TimerSpec {
        TimerSpec {
            conditions: Conditions {
                metric,
                pause_on: vec![PendingReason::AwaitingCustomer],
                on_reopen: ReopenRule::Resume,
                holder: Holder::Anyone,
            },
            target: SignedDuration::from_hours(hours),
            warn_percent: 75,
        }
    }

    /// Monday to Friday 09:00–17:00 in London, with Christmas Day 2026 a holiday.
    fn office() -> CalendarHistory {
        let mut c = Calendar::new(
            "Europe/London",
            WeeklyHours::monday_to_friday(&[Shift::new(time(9, 0, 0, 0), time(17, 0, 0, 0))]),
        );
        c.special_days.push(SpecialDay::holiday(date(2026, 12, 25), "Christmas Day"));
        CalendarHistory::new(vec![(Timestamp::MIN, c)])
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    #[test]
    fn a_ticket_paused_on_the_customer_over_a_weekend_and_reassigned_counts_only_working_time() {
        // Fri 2026-11-20 is a working day; London is UTC+0 in November.
        let history = vec![
            st("2026-11-20T15:00:00Z", IncidentStatus::New),
            st("2026-11-20T15:30:00Z", IncidentStatus::InProgress), // 0.5 h counted
            pending("2026-11-20T16:00:00Z", PendingReason::AwaitingCustomer), // 0.5 h more
            st("2026-11-23T10:00:00Z", IncidentStatus::InProgress), // paused over the weekend
            TicketState { team_id: Some(TEAM_B), ..st("2026-11-23T11:00:00Z", IncidentStatus::InProgress) },
            st("2026-11-23T12:00:00Z", IncidentStatus::Resolved), // 2 h more
            st("2026-11-23T13:00:00Z", IncidentStatus::InProgress), // reopened: resume
        ];
        let t = evaluate(&spec(Metric::Resolution, 8), &office(), &history, at("2026-11-23T14:00:00Z"))
            .expect("started");
        assert_eq!(t.elapsed, hours(4));
        assert_eq!(t.state, TimerState::Running);
        assert_eq!(t.breached_at, None);
        // 4 h left: 14:00 + 3 h to 17:00, then 1 h on Tuesday.
        assert_eq!(t.due_at, Some(at("2026-11-24T10:00:00Z")));
        // Warning at 6 h: 2 h after 14:00.
        assert_eq!(t.warn_at, Some(at("2026-11-23T16:00:00Z")));
        let paused: SignedDuration = t
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::Paused(PendingReason::AwaitingCustomer))
            .map(Segment::length)
            .sum();
        assert_eq!(paused, hours(24 * 2 + 18));
    }

    #[test]
    fn response_stops_when_the_ticket_first_leaves_new_and_a_holiday_does_not_count() {
        let history = vec![
            st("2026-12-24T16:00:00Z", IncidentStatus::New),
            st("2026-12-28T10:00:00Z", IncidentStatus::InProgress),
        ];
        let t = evaluate(&spec(Metric::Response, 1), &office(), &history, at("2026-12-30T00:00:00Z"))
            .expect("started");
        // 1 h on the 24th (16–17), the 25th is a holiday and the 26th/27th a weekend, 1 h on the 28th.
        assert_eq!(t.elapsed, hours(2));
        assert_eq!(t.state, TimerState::Stopped);
        assert_eq!(t.stopped_at, Some(at("2026-12-28T10:00:00Z")));
        assert_eq!(t.breached_at, Some(at("2026-12-24T17:00:00Z")));
        assert_eq!(t.due_at, t.breached_at);
    }

    #[test]
    fn restart_on_reopen_discards_the_earlier_cycle() {
        let mut s = spec(Metric::Resolution, 2);
        s.conditions.on_reopen = ReopenRule::Restart;
        let history = vec![
            st("2026-11-23T09:00:00Z", IncidentStatus::New),
            st("2026-11-23T12:00:00Z", IncidentStatus::Resolved),
            st("2026-11-23T13:00:00Z", IncidentStatus::InProgress),
        ];
        let t = evaluate(&s, &office(), &history, at("2026-11-23T14:00:00Z")).expect("started");
        assert_eq!(t.cycle, 2);
        assert_eq!(t.elapsed, hours(1));
        assert_eq!(t.breached_at, None);
        assert!(t.segments.iter().any(|s| s.kind == SegmentKind::Discarded && s.length() == hours(3)));
        assert_eq!(t.due_at, Some(at("2026-11-23T15:00:00Z")));
    }

    #[test]
    fn an_ola_clock_counts_only_while_its_team_holds_the_ticket() {
        let mut s = spec(Metric::Resolution, 8);
        s.conditions.holder = Holder::Team(TEAM_B);
        let history = vec![
            st("2026-11-23T09:00:00Z", IncidentStatus::New),
            TicketState { team_id: Some(TEAM_B), ..st("2026-11-23T10:00:00Z", IncidentStatus::InProgress) },
            st("2026-11-23T12:00:00Z", IncidentStatus::InProgress),
        ];
        let t = evaluate(&s, &office(), &history, at("2026-11-23T16:00:00Z")).expect("started");
        assert_eq!(t.elapsed, hours(2));
        assert_eq!(t.state, TimerState::Paused);
        assert_eq!(t.due_at, None);
    }

    #[test]
    fn the_journal_replays_into_states() {
        use crate::journal::Change;
        let created = vec![Change::new("status", (), "new"), Change::new("team_id", (), TEAM_A)];
        let titled = vec![Change::new("title", "a", "b")];
        let pended = vec![
            Change::new("status", "new", "pending"),
            Change::new("pending_reason", (), "awaiting_customer"),
        ];
        let moved = vec![Change::new("team_id", TEAM_A, TEAM_B)];
        let h = history_from_journal([
            (at("2026-11-23T09:00:00Z"), created.as_slice()),
            (at("2026-11-23T09:10:00Z"), titled.as_slice()),
            (at("2026-11-23T09:20:00Z"), pended.as_slice()),
            (at("2026-11-23T09:30:00Z"), moved.as_slice()),
        ]);
        assert_eq!(h.len(), 3);
        assert_eq!(h[0], st("2026-11-23T09:00:00Z", IncidentStatus::New));
        assert_eq!(h[1], pending("2026-11-23T09:20:00Z", PendingReason::AwaitingCustomer));
        assert_eq!(h[2].team_id, Some(TEAM_B));
        assert_eq!(h[2].status, IncidentStatus::Pending);
    }

    #[test]
    fn a_contract_clock_counts_only_while_the_ticket_waits_on_the_supplier() {
        let mut s = spec(Metric::Resolution, 8);
        s.conditions.holder = Holder::Supplier;
        let history = vec![
            st("2026-11-23T09:00:00Z", IncidentStatus::New),
            pending("2026-11-23T10:00:00Z", PendingReason::AwaitingSupplier),
            pending("2026-11-23T13:00:00Z", PendingReason::AwaitingCustomer),
        ];
        let t = evaluate(&s, &office(), &history, at("2026-11-23T16:00:00Z")).expect("started");
        assert_eq!(t.elapsed, hours(3));
        assert_eq!(t.state, TimerState::Paused);
    }

    #[test]
    fn before_the_ticket_exists_there_is_no_timer() {
        let history = vec![st("2026-11-23T09:00:00Z", IncidentStatus::New)];
        assert!(
            evaluate(&spec(Metric::Resolution, 8), &office(), &history, at("2026-11-23T08:00:00Z")).is_none()
        );
    }

    #[derive(Debug, Clone)]
    struct Step {
        gap_secs: i64,
        status: IncidentStatus,
        reason: Option<PendingReason>,
        team: Option<Uuid>,
    }

    fn step() -> impl Strategy<Value = Step> {
        (
            0i64..5 * 86_400,
            proptest::sample::select(IncidentStatus::ALL.to_vec()),
            proptest::option::of(proptest::sample::select(PendingReason::ALL.to_vec())),
            proptest::sample::select(vec![None, Some(TEAM_A), Some(TEAM_B)]),
        )
            .prop_map(|(gap_secs, status, reason, team)| Step { gap_secs, status, reason, team })
    }

    fn history_from(start: Timestamp, steps: &[Step]) -> Vec<TicketState> {
        let mut at = start;
        let mut out = vec![TicketState {
            at,
            status: IncidentStatus::New,
            pending_reason: None,
            team_id: Some(TEAM_A),
        }];
        for s in steps {
            at = at.checked_add(SignedDuration::from_secs(s.gap_secs)).expect("in range");
            out.push(TicketState { at, status: s.status, pending_reason: s.reason, team_id: s.team });
        }
        out
    }

    fn any_spec() -> impl Strategy<Value = TimerSpec> {
        (
            proptest::sample::select(vec![Metric::Response, Metric::Resolution]),
            proptest::sample::subsequence(PendingReason::ALL.to_vec(), 0..=PendingReason::ALL.len()),
            proptest::sample::select(ReopenRule::ALL.to_vec()),
            proptest::sample::select(vec![Holder::Anyone, Holder::Team(TEAM_B), Holder::Supplier]),
            1i64..40 * 3600,
            1u8..100,
        )
            .prop_map(|(metric, pause_on, on_reopen, holder, secs, warn_percent)| TimerSpec {
                conditions: Conditions { metric, pause_on, on_reopen, holder },
                target: SignedDuration::from_secs(secs),
                warn_percent,
            })
    }

    fn start() -> impl Strategy<Value = Timestamp> {
        // Across 2025–2027: both DST changes each year in every generated zone.
        (0i64..3 * 365 * 86_400).prop_map(|s| Timestamp::from_second(1_735_689_600 + s).expect("instant"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// The explain view accounts for every second, and the counted seconds are the elapsed time.
        #[test]
        fn segments_account_for_every_second(
            spec in any_spec(), cal in calendar(), start in start(),
            steps in proptest::collection::vec(step(), 0..8), tail in 0i64..4 * 86_400,
        ) {
            let history = history_from(start, &steps);
            let now = history.last().expect("created").at.checked_add(SignedDuration::from_secs(tail)).expect("instant");
            let t = evaluate(&spec, &CalendarHistory::new(vec![(Timestamp::MIN, cal)]), &history, now).expect("started");
            let total: SignedDuration = t.segments.iter().map(Segment::length).sum();
            prop_assert_eq!(total, now.duration_since(start));
            let counted: SignedDuration =
                t.segments.iter().filter(|s| s.kind == SegmentKind::Counted).map(Segment::length).sum();
            prop_assert_eq!(counted, t.elapsed);
            for pair in t.segments.windows(2) {
                prop_assert_eq!(pair[0].to, pair[1].from);
            }
        }

        /// What a live clock showed at any instant is what recomputing from the whole history says
        /// about that instant, and when the live clock projected a breach with nothing happening
        /// before it, the recomputed breach is that very instant.
        #[test]
        fn live_and_recomputed_clocks_agree(
            spec in any_spec(), cal in calendar(), start in start(),
            steps in proptest::collection::vec(step(), 1..8), tail in 0i64..6 * 86_400,
        ) {
            let calendar = CalendarHistory::new(vec![(Timestamp::MIN, cal)]);
            let history = history_from(start, &steps);
            let now = history.last().expect("created").at.checked_add(SignedDuration::from_secs(tail)).expect("instant");
            let full = evaluate(&spec, &calendar, &history, now).expect("started");
            for k in 0..history.len() {
                let live = evaluate(&spec, &calendar, &history[..=k], history[k].at).expect("started");
                let quiet_until = history.get(k + 1).map_or(now, |n| n.at);
                if live.state == TimerState::Running && full.cycle == live.cycle {
                    if let Some(due) = live.due_at.filter(|d| *d <= quiet_until) {
                        prop_assert_eq!(full.breached_at, Some(due));
                    }
                    if let Some(warn) = live.warn_at.filter(|w| *w <= quiet_until) {
                        prop_assert_eq!(full.warned_at, Some(warn));
                    }
                }
            }
        }

        /// Under the resume rule the elapsed time never goes down as time passes, and a breach,
        /// once it happened, stays at the same instant.
        #[test]
        fn elapsed_time_is_monotonic_and_breaches_are_fixed(
            mut spec in any_spec(), cal in calendar(), start in start(),
            steps in proptest::collection::vec(step(), 0..8), a in 0i64..20 * 86_400, b in 0i64..20 * 86_400,
        ) {
            spec.conditions.on_reopen = ReopenRule::Resume;
            let calendar = CalendarHistory::new(vec![(Timestamp::MIN, cal)]);
            let history = history_from(start, &steps);
            let (a, b) = (a.min(b), a.max(b));
            let t1 = start.checked_add(SignedDuration::from_secs(a)).expect("instant");
            let t2 = start.checked_add(SignedDuration::from_secs(b)).expect("instant");
            let early = evaluate(&spec, &calendar, &history, t1).expect("started");
            let late = evaluate(&spec, &calendar, &history, t2).expect("started");
            prop_assert!(early.elapsed <= late.elapsed);
            if early.breached_at.is_some() {
                prop_assert_eq!(early.breached_at, late.breached_at);
            }
        }

        /// A calendar edit taking effect at `edit` leaves everything measured before it unchanged:
        /// a clock evaluated up to that instant reads the same under the old and the new history.
        #[test]
        fn a_calendar_edit_never_rewrites_what_was_measured(
            spec in any_spec(), old in calendar(), new in calendar(), start in start(),
            steps in proptest::collection::vec(step(), 0..8), edit_after in 0i64..10 * 86_400,
        ) {
            let history = history_from(start, &steps);
            let edit = start.checked_add(SignedDuration::from_secs(edit_after)).expect("instant");
            let before = CalendarHistory::new(vec![(Timestamp::MIN, old.clone())]);
            let after = CalendarHistory::new(vec![(Timestamp::MIN, old), (edit, new)]);
            let a = evaluate(&spec, &before, &history, edit).expect("started");
            let b = evaluate(&spec, &after, &history, edit).expect("started");
            prop_assert_eq!(a.elapsed, b.elapsed);
            prop_assert_eq!(a.breached_at, b.breached_at);
            prop_assert_eq!(a.warned_at, b.warned_at);
            prop_assert_eq!(a.segments, b.segments);
        }
    }
}
