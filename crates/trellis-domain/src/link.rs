//! Typed links between records. Some link types are configuration relationships: they say that
//! one record needs another to work, and impact analysis walks them.

use crate::record::RecordKind;

crate::named_enum! {
    pub enum LinkType {
        /// Generic association.
        RelatesTo = ("relates_to", "relates to"),
        /// This record was caused by the target.
        CausedBy = ("caused_by", "caused by"),
        /// This record was resolved by the target (e.g. a change).
        ResolvedBy = ("resolved_by", "resolved by"),
        /// This record duplicates the target.
        DuplicateOf = ("duplicate_of", "duplicate of"),
        /// This record is a child of the target.
        ChildOf = ("child_of", "child of"),
        /// This record affects the target configuration item.
        AffectsCi = ("affects_ci", "affects CI"),
        /// This record implements the target.
        Implements = ("implements", "implements"),
        /// This service or CI needs the target service or CI to work.
        DependsOn = ("depends_on", "depends on"),
        /// This CI runs on the target CI (an application on a server, a VM on a host).
        RunsOn = ("runs_on", "runs on"),
        /// This CI is connected to the target CI (a network link; each needs the other).
        ConnectedTo = ("connected_to", "connected to"),
        /// This CI is a part of the target CI (a disk of a server); the whole needs its parts.
        PartOf = ("part_of", "part of"),
    }
}

/// Which way a configuration relationship makes records depend on each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    /// The link's source needs its target.
    SourceNeedsTarget,
    /// The link's target needs its source.
    TargetNeedsSource,
    /// Each needs the other.
    Mutual,
}

impl LinkType {
    /// The configuration relationships, which impact analysis follows.
    pub const RELATIONSHIPS: [LinkType; 4] =
        [LinkType::DependsOn, LinkType::RunsOn, LinkType::ConnectedTo, LinkType::PartOf];

    /// How this link type makes its ends depend on each other, if it is a configuration
    /// relationship.
    pub fn dependency(self) -> Option<Dependency> {
        match self {
            LinkType::DependsOn | LinkType::RunsOn => Some(Dependency::SourceNeedsTarget),
            LinkType::PartOf => Some(Dependency::TargetNeedsSource),
            LinkType::ConnectedTo => Some(Dependency::Mutual),
            _ => None,
        }
    }

    /// Whether a link of this type may go from a `from` record to a `to` record.
    pub fn allowed_between(self, from: RecordKind, to: RecordKind) -> Result<(), &'static str> {
        use RecordKind::{ConfigurationItem as Ci, Service};
        match self {
            LinkType::DependsOn if matches!(from, Ci | Service) && matches!(to, Ci | Service) => Ok(()),
            LinkType::DependsOn => Err("only services and configuration items depend on each other"),
            LinkType::RunsOn | LinkType::ConnectedTo | LinkType::PartOf if from == Ci && to == Ci => Ok(()),
            LinkType::RunsOn | LinkType::ConnectedTo | LinkType::PartOf => {
                Err("this relationship is between configuration items only")
            }
            LinkType::AffectsCi if to == Ci => Ok(()),
            LinkType::AffectsCi => Err("the target must be a configuration item"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configuration_relationships_carry_a_dependency() {
        for l in LinkType::ALL {
            assert_eq!(l.dependency().is_some(), LinkType::RELATIONSHIPS.contains(l), "{l}");
        }
    }

    #[test]
    fn runs_on_is_between_cis_only() {
        use RecordKind::*;
        assert!(LinkType::RunsOn.allowed_between(ConfigurationItem, ConfigurationItem).is_ok());
        assert!(LinkType::RunsOn.allowed_between(Service, ConfigurationItem).is_err());
        assert!(LinkType::DependsOn.allowed_between(Service, ConfigurationItem).is_ok());
        assert!(LinkType::DependsOn.allowed_between(Incident, Service).is_err());
        assert!(LinkType::AffectsCi.allowed_between(Incident, Service).is_err());
        assert!(LinkType::RelatesTo.allowed_between(Incident, Complaint).is_ok());
    }
}
