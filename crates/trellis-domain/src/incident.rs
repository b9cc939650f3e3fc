//! The incident record (minimal, to prove the platform; the full process is its own issue).

use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    New,
    InProgress,
    Pending,
    Resolved,
    Closed,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 5] = [
        IncidentStatus::New,
        IncidentStatus::InProgress,
        IncidentStatus::Pending,
        IncidentStatus::Resolved,
        IncidentStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::New => "new",
            IncidentStatus::InProgress => "in_progress",
            IncidentStatus::Pending => "pending",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            IncidentStatus::New => "New",
            IncidentStatus::InProgress => "In progress",
            IncidentStatus::Pending => "Pending",
            IncidentStatus::Resolved => "Resolved",
            IncidentStatus::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The lifecycle: the states reachable in one move from this one. `Closed` is final;
    /// a resolved incident can be reopened (back to in progress) until it is closed.
    pub fn allowed_transitions(self) -> &'static [IncidentStatus] {
        use IncidentStatus::*;
        match self {
            New => &[InProgress, Pending, Resolved],
            InProgress => &[Pending, Resolved],
            Pending => &[InProgress, Resolved],
            Resolved => &[InProgress, Closed],
            Closed => &[],
        }
    }

    pub fn can_move_to(self, to: IncidentStatus) -> bool {
        self.allowed_transitions().contains(&to)
    }

    pub fn is_open(self) -> bool {
        !matches!(self, IncidentStatus::Resolved | IncidentStatus::Closed)
    }
}

/// A move the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an incident cannot move from {} to {}", from.as_str(), to.as_str())]
pub struct InvalidTransition {
    pub from: IncidentStatus,
    pub to: IncidentStatus,
}

pub fn check_transition(from: IncidentStatus, to: IncidentStatus) -> Result<(), InvalidTransition> {
    if from.can_move_to(to) { Ok(()) } else { Err(InvalidTransition { from, to }) }
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
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn status() -> impl Strategy<Value = IncidentStatus> {
        proptest::sample::select(IncidentStatus::ALL.to_vec())
    }

    #[test]
    fn every_state_is_reachable_from_new_and_closed_is_final() {
        let mut seen = HashSet::from([IncidentStatus::New]);
        let mut frontier = vec![IncidentStatus::New];
        while let Some(s) = frontier.pop() {
            for &n in s.allowed_transitions() {
                if seen.insert(n) {
                    frontier.push(n);
                }
            }
        }
        assert_eq!(seen.len(), IncidentStatus::ALL.len());
        assert!(IncidentStatus::Closed.allowed_transitions().is_empty());
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
                    Err(e) => prop_assert_eq!(e, InvalidTransition { from: s, to }),
                }
            }
        }

        #[test]
        fn status_names_round_trip(s in status()) {
            prop_assert_eq!(IncidentStatus::parse(s.as_str()), Some(s));
        }
    }
}
