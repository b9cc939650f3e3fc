//! Services in the catalogue (ISO/IEC 20000-1 8.2.4): what is delivered, to whom, by whom, and how
//! much it matters.

use crate::lifecycle::Lifecycle;
use crate::record::RecordKind;

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;

crate::named_enum! {
    /// Where a service is in its life: designed and being built, delivered, or withdrawn.
    pub enum ServiceStatus {
        Pipeline = ("pipeline", "Pipeline"),
        Live = ("live", "Live"),
        Retired = ("retired", "Retired"),
    }
}

impl Lifecycle for ServiceStatus {
    const KIND: RecordKind = RecordKind::Service;

    /// A retired service stays retired: a successor is a new catalogue entry, so the history of
    /// what was delivered under the old one stays intact.
    fn allowed_transitions(self) -> &'static [ServiceStatus] {
        use ServiceStatus::*;
        match self {
            Pipeline => &[Live, Retired],
            Live => &[Retired],
            Retired => &[],
        }
    }
}

crate::named_enum! {
    /// How much the business depends on a record; drives priorities and review frequency.
    pub enum Criticality {
        Low = ("low", "Low"),
        Medium = ("medium", "Medium"),
        High = ("high", "High"),
        Critical = ("critical", "Critical"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::testing::assert_well_formed;

    #[test]
    fn every_service_state_is_reachable_and_retired_is_final() {
        assert_well_formed(ServiceStatus::ALL, ServiceStatus::Pipeline, &[ServiceStatus::Retired]);
    }

    #[test]
    fn choices_read_as_a_sentence() {
        assert_eq!(Criticality::choices(), "low, medium, high or critical");
    }
}
