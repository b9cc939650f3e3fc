//! The incident record (minimal, to prove the platform; the full process is its own issue).

use crate::lifecycle::Lifecycle;
use crate::record::RecordKind;
use crate::validation::ValidationErrors;

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;

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
