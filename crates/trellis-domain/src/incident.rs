//! Incidents (ISO/IEC 20000-1 8.6.1): lifecycle, classification, priority from impact and
//! urgency, pending reasons and resolution codes.

use crate::agreement::Priority;
use crate::lifecycle::Lifecycle;
use crate::record::RecordKind;
use crate::validation::ValidationErrors;

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const CATEGORY_MAX: usize = 100;
pub const NOTES_MAX: usize = 20_000;

crate::named_enum! {
    pub enum IncidentStatus {
        New = ("new", "New"),
        InProgress = ("in_progress", "In progress"),
        Pending = ("pending", "Pending"),
        Resolved = ("resolved", "Resolved"),
        Closed = ("closed", "Closed"),
    }
}

impl Lifecycle for IncidentStatus {
    const KIND: RecordKind = RecordKind::Incident;

    /// `Closed` is final; a resolved incident can be reopened (back to in progress) until it is
    /// closed.
    fn allowed_transitions(self) -> &'static [IncidentStatus] {
        use IncidentStatus::*;
        match self {
            New => &[InProgress, Pending, Resolved],
            InProgress => &[Pending, Resolved],
            Pending => &[InProgress, Resolved],
            Resolved => &[InProgress, Closed],
            Closed => &[],
        }
    }
}

impl IncidentStatus {
    pub fn is_open(self) -> bool {
        !matches!(self, IncidentStatus::Resolved | IncidentStatus::Closed)
    }
}

crate::named_enum! {
    /// Who a major incident's communication was for.
    pub enum Audience {
        Customers = ("customers", "Customers"),
        Internal = ("internal", "Internal"),
        Suppliers = ("suppliers", "Suppliers"),
    }
}

crate::named_enum! {
    /// How a major incident's communication went out.
    pub enum Channel {
        Email = ("email", "E-mail"),
        Portal = ("portal", "Portal"),
        Phone = ("phone", "Phone"),
        StatusPage = ("status_page", "Status page"),
        Meeting = ("meeting", "Meeting"),
    }
}

crate::named_enum! {
    /// How much of the business an incident touches.
    pub enum Impact {
        High = ("high", "High: many users or a whole service"),
        Medium = ("medium", "Medium: a group of users"),
        Low = ("low", "Low: one user"),
    }
}

crate::named_enum! {
    /// How soon the business needs it back.
    pub enum Urgency {
        High = ("high", "High: work has stopped"),
        Medium = ("medium", "Medium: work is slowed"),
        Low = ("low", "Low: a workaround serves"),
    }
}

/// Priority from impact × urgency: the table an administrator may change. Priority is never
/// typed in directly, so the same situation always gets the same priority (and the same SLA
/// target).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriorityMatrix {
    /// `cells[impact][urgency]`, both in the order high, medium, low.
    pub cells: [[Priority; 3]; 3],
}

impl Default for PriorityMatrix {
    /// The usual ITIL table: high × high is P1, and each step down on either axis lowers it.
    fn default() -> Self {
        use Priority::*;
        PriorityMatrix { cells: [[P1, P2, P3], [P2, P3, P4], [P3, P4, P4]] }
    }
}

impl PriorityMatrix {
    pub fn priority(&self, impact: Impact, urgency: Urgency) -> Priority {
        let row = Impact::ALL.iter().position(|i| *i == impact).unwrap_or(0);
        let col = Urgency::ALL.iter().position(|u| *u == urgency).unwrap_or(0);
        self.cells[row][col]
    }

    /// A table where a lower impact or urgency never gives a higher priority (P1 is highest):
    /// each cell that ranks above its neighbour with more impact or more urgency is named.
    pub fn validate(&self, errors: &mut ValidationErrors) {
        for (i, impact) in Impact::ALL.iter().enumerate() {
            for (u, urgency) in Urgency::ALL.iter().enumerate() {
                let here = self.cells[i][u];
                let above_more_impact = i > 0 && here < self.cells[i - 1][u];
                let above_more_urgency = u > 0 && here < self.cells[i][u - 1];
                if above_more_impact || above_more_urgency {
                    errors.add(
                        &format!("matrix.{}.{}", impact.as_str(), urgency.as_str()),
                        "must not rank above a cell with more impact or more urgency",
                    );
                }
            }
        }
    }
}

crate::named_enum! {
    /// Why an incident waits. Agreements say which reasons stop their clocks.
    pub enum PendingReason {
        AwaitingCustomer = ("awaiting_customer", "Awaiting the customer"),
        AwaitingSupplier = ("awaiting_supplier", "Awaiting a supplier"),
        AwaitingChange = ("awaiting_change", "Awaiting a change"),
        Other = ("other", "Other"),
    }
}

crate::named_enum! {
    /// How an incident was resolved: counted the same way for every customer in reports.
    pub enum ResolutionCode {
        Fixed = ("fixed", "Fixed"),
        Workaround = ("workaround", "Workaround applied"),
        ResolvedByChange = ("resolved_by_change", "Resolved by a change"),
        UserError = ("user_error", "User error / advice given"),
        NoFaultFound = ("no_fault_found", "No fault found"),
        Duplicate = ("duplicate", "Duplicate"),
        Withdrawn = ("withdrawn", "Withdrawn by the customer"),
    }
}

/// How incidents are run here: what an administrator sets for the whole service desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IncidentPolicy {
    pub matrix: PriorityMatrix,
    /// A resolved incident may be reopened for this many days; after that a new one is logged.
    pub reopen_days: i64,
    /// An open problem without a root cause this many days after it was raised is flagged.
    #[serde(default = "default_rca_days")]
    pub problem_rca_days: i64,
}

pub const REOPEN_DAYS_MAX: i64 = 365;
pub const RCA_DAYS_RANGE: std::ops::RangeInclusive<i64> = 1..=365;

fn default_rca_days() -> i64 {
    crate::problem::DEFAULT_RCA_DAYS
}

impl Default for IncidentPolicy {
    fn default() -> Self {
        IncidentPolicy {
            matrix: PriorityMatrix::default(),
            reopen_days: 7,
            problem_rca_days: default_rca_days(),
        }
    }
}

impl IncidentPolicy {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        self.matrix.validate(&mut errors);
        if !(0..=REOPEN_DAYS_MAX).contains(&self.reopen_days) {
            errors.add("reopen_days", format!("must be between 0 and {REOPEN_DAYS_MAX}"));
        }
        if !RCA_DAYS_RANGE.contains(&self.problem_rca_days) {
            errors.add("problem_rca_days", "must be between 1 and 365");
        }
        errors.into_result()
    }
}

/// Validated title and description of an incident.
pub fn validate_text(errors: &mut ValidationErrors, title: &str, description: &str) -> (String, String) {
    let title = errors.required_line("title", title, TITLE_MAX);
    let description = errors.text("description", description, DESCRIPTION_MAX);
    (title, description)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{InvalidTransition, check_transition, testing::assert_well_formed};
    use proptest::prelude::*;

    fn status() -> impl Strategy<Value = IncidentStatus> {
        proptest::sample::select(IncidentStatus::ALL.to_vec())
    }

    #[test]
    fn the_default_matrix_is_valid_and_ranks_high_high_first() {
        let m = PriorityMatrix::default();
        let mut errors = ValidationErrors::default();
        m.validate(&mut errors);
        assert!(errors.into_result().is_ok());
        assert_eq!(m.priority(Impact::High, Urgency::High), Priority::P1);
        assert_eq!(m.priority(Impact::Low, Urgency::Low), Priority::P4);
        assert_eq!(m.priority(Impact::Medium, Urgency::High), Priority::P2);
    }

    #[test]
    fn a_matrix_ranking_lower_impact_higher_is_refused() {
        let mut m = PriorityMatrix::default();
        m.cells[2][0] = Priority::P1;
        let mut errors = ValidationErrors::default();
        m.validate(&mut errors);
        let errors = errors.into_result().expect_err("inverted");
        assert!(errors.0.iter().any(|e| e.field == "matrix.low.high"), "{errors:?}");
    }

    #[test]
    fn every_state_is_reachable_from_new_and_closed_is_final() {
        assert_well_formed(IncidentStatus::ALL, IncidentStatus::New, &[IncidentStatus::Closed]);
    }

    proptest! {
        /// Any sequence of requested moves, applied when legal, never leaves the lifecycle,
        /// never moves out of Closed, and never "moves" to the same state.
        #[test]
        fn random_walks_respect_the_lifecycle(moves in proptest::collection::vec(status(), 0..40)) {
            let mut s = IncidentStatus::New;
            for to in moves {
                match check_transition(s, to) {
                    Ok(()) => {
                        prop_assert_ne!(s, to);
                        prop_assert_ne!(s, IncidentStatus::Closed);
                        s = to;
                    }
                    Err(e) => prop_assert_eq!(e, InvalidTransition { kind: RecordKind::Incident, from: s.to_string(), to: to.to_string() }),
                }
            }
        }

        #[test]
        fn status_names_round_trip(s in status()) {
            prop_assert_eq!(IncidentStatus::parse(s.as_str()), Some(s));
        }
    }
}
