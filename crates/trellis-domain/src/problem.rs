//! Problems and known errors (ISO/IEC 20000-1 8.6.3): the cause behind one or more incidents,
//! found by root-cause analysis, documented with a workaround as a known error while it lasts,
//! and removed (usually through a change).

use crate::lifecycle::Lifecycle;
use crate::record::RecordKind;

pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 20_000;

/// Days a problem may stay without a root cause before it is flagged, unless an administrator
/// sets another number.
pub const DEFAULT_RCA_DAYS: i64 = 30;

crate::named_enum! {
    pub enum ProblemStatus {
        New = ("new", "New"),
        Investigating = ("investigating", "Under investigation"),
        KnownError = ("known_error", "Known error"),
        Resolved = ("resolved", "Resolved"),
        Closed = ("closed", "Closed"),
    }
}

impl ProblemStatus {
    pub fn is_open(self) -> bool {
        !matches!(self, ProblemStatus::Resolved | ProblemStatus::Closed)
    }
}

impl Lifecycle for ProblemStatus {
    const KIND: RecordKind = RecordKind::Problem;

    /// Investigated first; a known error stays one until its cause is removed; a resolution that
    /// did not hold sends the problem back to investigation.
    fn allowed_transitions(self) -> &'static [ProblemStatus] {
        use ProblemStatus::*;
        match self {
            // Closed straight away: a duplicate, or raised by mistake (the resolution says which).
            New => &[Investigating, Closed],
            Investigating => &[KnownError, Resolved, Closed],
            KnownError => &[Investigating, Resolved],
            Resolved => &[Investigating, Closed],
            Closed => &[],
        }
    }
}

/// What must hold before a problem moves to `to`: a known error documents its cause and the
/// workaround agents offer; a resolved problem says how its cause was removed.
pub fn ready_for(
    to: ProblemStatus,
    root_cause: &str,
    workaround: &str,
    resolution: &str,
) -> Result<(), (&'static str, &'static str)> {
    match to {
        ProblemStatus::KnownError if root_cause.trim().is_empty() => {
            Err(("root_cause", "record the root cause before declaring a known error"))
        }
        ProblemStatus::KnownError if workaround.trim().is_empty() => {
            Err(("workaround", "record the workaround agents can offer before declaring a known error"))
        }
        ProblemStatus::Resolved if resolution.trim().is_empty() => {
            Err(("resolution", "record how the cause was removed (e.g. the change) before resolving"))
        }
        ProblemStatus::Closed if resolution.trim().is_empty() => Err((
            "resolution",
            "say how it ended (resolved by a change, a duplicate, raised by mistake) before closing",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::testing::assert_well_formed;

    #[test]
    fn every_problem_state_is_reachable_and_closed_is_final() {
        assert_well_formed(ProblemStatus::ALL, ProblemStatus::New, &[ProblemStatus::Closed]);
    }

    #[test]
    fn a_known_error_needs_its_cause_and_workaround_and_a_resolution_its_fix() {
        assert_eq!(
            ready_for(ProblemStatus::KnownError, "", "reboot", "").map_err(|e| e.0),
            Err("root_cause")
        );
        assert_eq!(ready_for(ProblemStatus::KnownError, "leak", " ", "").map_err(|e| e.0), Err("workaround"));
        assert!(ready_for(ProblemStatus::KnownError, "leak", "reboot nightly", "").is_ok());
        assert_eq!(ready_for(ProblemStatus::Resolved, "leak", "", "").map_err(|e| e.0), Err("resolution"));
        assert!(ready_for(ProblemStatus::Resolved, "", "", "CHG-000012 patched the driver").is_ok());
        assert!(ready_for(ProblemStatus::Investigating, "", "", "").is_ok());
        assert_eq!(ready_for(ProblemStatus::Closed, "", "", " ").map_err(|e| e.0), Err("resolution"));
        assert!(ready_for(ProblemStatus::Closed, "", "", "Duplicate of PRB-000003").is_ok());
    }
}
