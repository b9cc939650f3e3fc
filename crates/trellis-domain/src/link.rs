//! Typed links between records.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// Generic association.
    RelatesTo,
    /// This record was caused by the target.
    CausedBy,
    /// This record was resolved by the target (e.g. a change).
    ResolvedBy,
    /// This record duplicates the target.
    DuplicateOf,
    /// This record is a child of the target.
    ChildOf,
    /// This record affects the target configuration item.
    AffectsCi,
    /// This record implements the target.
    Implements,
}

impl LinkType {
    pub const ALL: [LinkType; 7] = [
        LinkType::RelatesTo,
        LinkType::CausedBy,
        LinkType::ResolvedBy,
        LinkType::DuplicateOf,
        LinkType::ChildOf,
        LinkType::AffectsCi,
        LinkType::Implements,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkType::RelatesTo => "relates_to",
            LinkType::CausedBy => "caused_by",
            LinkType::ResolvedBy => "resolved_by",
            LinkType::DuplicateOf => "duplicate_of",
            LinkType::ChildOf => "child_of",
            LinkType::AffectsCi => "affects_ci",
            LinkType::Implements => "implements",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LinkType::RelatesTo => "relates to",
            LinkType::CausedBy => "caused by",
            LinkType::ResolvedBy => "resolved by",
            LinkType::DuplicateOf => "duplicate of",
            LinkType::ChildOf => "child of",
            LinkType::AffectsCi => "affects CI",
            LinkType::Implements => "implements",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}
