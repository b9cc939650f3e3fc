//! Complaints (ISO/IEC 20000-1 8.3.2): a customer's expression of dissatisfaction, recorded,
//! investigated, acted on and closed with an outcome the customer is told.

use crate::lifecycle::Lifecycle;
use crate::record::RecordKind;

pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 20_000;

crate::named_enum! {
    pub enum ComplaintStatus {
        Received = ("received", "Received"),
        Investigated = ("investigated", "Investigated"),
        Actioned = ("actioned", "Actioned"),
        Closed = ("closed", "Closed"),
    }
}

impl Lifecycle for ComplaintStatus {
    const KIND: RecordKind = RecordKind::Complaint;

    /// Every complaint is investigated before it is acted on; an action that did not satisfy
    /// sends it back to investigation.
    fn allowed_transitions(self) -> &'static [ComplaintStatus] {
        use ComplaintStatus::*;
        match self {
            Received => &[Investigated],
            Investigated => &[Actioned],
            Actioned => &[Investigated, Closed],
            Closed => &[],
        }
    }
}

/// What must hold before a complaint moves to `to`: closing needs the outcome told to the
/// customer.
pub fn ready_for(to: ComplaintStatus, outcome: &str) -> Result<(), &'static str> {
    if to == ComplaintStatus::Closed && outcome.trim().is_empty() {
        return Err("record the outcome before closing the complaint");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::testing::assert_well_formed;

    #[test]
    fn every_complaint_state_is_reachable_and_closed_is_final() {
        assert_well_formed(ComplaintStatus::ALL, ComplaintStatus::Received, &[ComplaintStatus::Closed]);
    }

    #[test]
    fn closing_needs_an_outcome() {
        assert!(ready_for(ComplaintStatus::Closed, "  ").is_err());
        assert!(ready_for(ComplaintStatus::Closed, "Refunded one month").is_ok());
        assert!(ready_for(ComplaintStatus::Actioned, "").is_ok());
    }
}
