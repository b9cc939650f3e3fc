//! Service requests (ISO/IEC 20000-1 8.6.2): ordered from a request offering under one pinned
//! definition, approved by its approvers (in sequence, or the first of any of them), fulfilled
//! through tasks assigned to teams, and followed by the requester until it is closed.

use crate::lifecycle::Lifecycle;
use crate::offering::ApprovalPolicy;
use crate::record::RecordKind;

pub const TEXT_MAX: usize = 20_000;
pub const COMMENT_MAX: usize = 2_000;

crate::named_enum! {
    pub enum RequestStatus {
        AwaitingApproval = ("awaiting_approval", "Awaiting approval"),
        InFulfilment = ("in_fulfilment", "In fulfilment"),
        Fulfilled = ("fulfilled", "Fulfilled"),
        Closed = ("closed", "Closed"),
        Rejected = ("rejected", "Rejected"),
        Cancelled = ("cancelled", "Cancelled"),
    }
}

impl RequestStatus {
    /// Still to be decided or delivered (counts in queues and backlogs).
    pub fn is_open(self) -> bool {
        matches!(self, RequestStatus::AwaitingApproval | RequestStatus::InFulfilment)
    }
}

impl Lifecycle for RequestStatus {
    const KIND: RecordKind = RecordKind::ServiceRequest;

    /// The moves people make directly. Approval decisions move a request out of
    /// `awaiting_approval` (to `in_fulfilment` or `rejected`) and are recorded as decisions, not
    /// as transitions; completing its last task fulfils a request.
    fn allowed_transitions(self) -> &'static [RequestStatus] {
        use RequestStatus::*;
        match self {
            AwaitingApproval => &[Cancelled],
            InFulfilment => &[Fulfilled, Cancelled],
            // Reopened when what was delivered is not what was asked for.
            Fulfilled => &[Closed, InFulfilment],
            Closed | Rejected | Cancelled => &[],
        }
    }
}

crate::named_enum! {
    /// Where one approval step stands.
    pub enum ApprovalState {
        /// A later step of a sequence, not yet its turn.
        Waiting = ("waiting", "Waiting for an earlier approver"),
        /// Awaiting this approver's decision now.
        Pending = ("pending", "Awaiting decision"),
        Approved = ("approved", "Approved"),
        Rejected = ("rejected", "Rejected"),
        /// No longer needed: another approver decided the request.
        Skipped = ("skipped", "Not needed"),
    }
}

crate::named_enum! {
    pub enum TaskStatus {
        Open = ("open", "Open"),
        Done = ("done", "Done"),
        /// The request was cancelled or rejected before the task was done.
        Cancelled = ("cancelled", "Cancelled"),
    }
}

/// The states of a new request's approval steps under `policy`: the first step (sequence) or
/// every step (any of) awaits a decision.
pub fn initial_steps(policy: ApprovalPolicy, steps: usize) -> Vec<ApprovalState> {
    (0..steps)
        .map(|i| match policy {
            ApprovalPolicy::Sequence if i > 0 => ApprovalState::Waiting,
            _ => ApprovalState::Pending,
        })
        .collect()
}

/// What a decision did to the request as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every approval it needs is given: fulfilment starts.
    Approved,
    Rejected,
    /// More approvals are needed (the next step of a sequence now awaits its decision).
    Undecided,
}

/// Records the decision of step `index` (which must be pending) and moves the other steps on:
/// a rejection ends the approval; in a sequence an approval hands over to the next step, and
/// the last one approves the request; under "any of" the first approval decides. Steps no
/// longer needed become `Skipped`. `None` when the step is not awaiting a decision.
pub fn decide(
    policy: ApprovalPolicy,
    steps: &mut [ApprovalState],
    index: usize,
    approve: bool,
) -> Option<Outcome> {
    if steps.get(index) != Some(&ApprovalState::Pending) {
        return None;
    }
    steps[index] = if approve { ApprovalState::Approved } else { ApprovalState::Rejected };
    let next_waiting = steps.iter().position(|s| *s == ApprovalState::Waiting);
    let outcome = match (approve, policy, next_waiting) {
        (false, ..) => Outcome::Rejected,
        (true, ApprovalPolicy::Sequence, Some(next)) => {
            steps[next] = ApprovalState::Pending;
            Outcome::Undecided
        }
        _ => Outcome::Approved,
    };
    if outcome != Outcome::Undecided {
        for s in steps.iter_mut().filter(|s| matches!(s, ApprovalState::Pending | ApprovalState::Waiting)) {
            *s = ApprovalState::Skipped;
        }
    }
    Some(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApprovalState::*;
    use proptest::prelude::*;

    #[test]
    fn a_sequence_hands_over_step_by_step_and_any_of_takes_the_first_answer() {
        let mut s = initial_steps(ApprovalPolicy::Sequence, 3);
        assert_eq!(s, [Pending, Waiting, Waiting]);
        assert_eq!(decide(ApprovalPolicy::Sequence, &mut s, 1, true), None, "not its turn");
        assert_eq!(decide(ApprovalPolicy::Sequence, &mut s, 0, true), Some(Outcome::Undecided));
        assert_eq!(s, [Approved, Pending, Waiting]);
        assert_eq!(decide(ApprovalPolicy::Sequence, &mut s, 1, false), Some(Outcome::Rejected));
        assert_eq!(s, [Approved, Rejected, Skipped]);

        let mut s = initial_steps(ApprovalPolicy::AnyOf, 3);
        assert_eq!(s, [Pending, Pending, Pending]);
        assert_eq!(decide(ApprovalPolicy::AnyOf, &mut s, 2, true), Some(Outcome::Approved));
        assert_eq!(s, [Skipped, Skipped, Approved]);
        assert_eq!(decide(ApprovalPolicy::AnyOf, &mut s, 0, false), None, "already decided");
    }

    #[test]
    fn only_people_move_requests_and_final_states_stay_final() {
        use RequestStatus::*;
        assert!(!AwaitingApproval.allowed_transitions().contains(&InFulfilment));
        for s in [Closed, Rejected, Cancelled] {
            assert!(s.allowed_transitions().is_empty());
            assert!(!s.is_open());
        }
    }

    proptest! {
        /// Whatever order approvers answer in: a request is approved only when a sequence's
        /// every step approved (or any-of's one), rejected when anyone rejected, and once decided
        /// no step awaits a decision any more.
        #[test]
        fn decisions_follow_the_policy(
            any_of in any::<bool>(),
            n in 1usize..6,
            answers in proptest::collection::vec((0usize..6, any::<bool>()), 0..20),
        ) {
            let policy = if any_of { ApprovalPolicy::AnyOf } else { ApprovalPolicy::Sequence };
            let mut steps = initial_steps(policy, n);
            let mut outcome = Outcome::Undecided;
            for (i, approve) in answers {
                let before = steps.clone();
                match decide(policy, &mut steps, i % n, approve) {
                    None => prop_assert_eq!(&before, &steps, "a refused decision changes nothing"),
                    Some(o) => {
                        prop_assert_eq!(outcome, Outcome::Undecided, "decided twice");
                        prop_assert_eq!(before[i % n], Pending);
                        outcome = o;
                    }
                }
            }
            let awaiting = steps.iter().filter(|s| matches!(s, Pending | Waiting)).count();
            let approved = steps.iter().filter(|s| **s == Approved).count();
            let rejected = steps.iter().filter(|s| **s == Rejected).count();
            match outcome {
                Outcome::Undecided => prop_assert!(awaiting > 0 && rejected == 0),
                Outcome::Rejected => prop_assert!(awaiting == 0 && rejected == 1),
                Outcome::Approved => {
                    prop_assert!(awaiting == 0 && rejected == 0);
                    prop_assert_eq!(approved, if any_of { 1 } else { n });
                }
            }
            if !any_of {
                // A sequence is decided in order: nothing approved after a step still open.
                let first_open = steps.iter().position(|s| matches!(s, Pending | Waiting)).unwrap_or(n);
                prop_assert!(steps[first_open..].iter().all(|s| matches!(s, Pending | Waiting | Skipped)));
            }
        }
    }
}
