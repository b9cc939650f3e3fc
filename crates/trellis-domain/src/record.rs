//! Record kinds and their human references (`INC-000123`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Every kind of record that lives on the record platform (journal, comments, links ...).
/// New process records add a variant here and get references, journal and links for free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Incident,
    Service,
    ConfigurationItem,
    Complaint,
    Agreement,
    Supplier,
    Problem,
    ServiceRequest,
    Article,
}

impl RecordKind {
    pub const ALL: [RecordKind; 9] = [
        RecordKind::Incident,
        RecordKind::Service,
        RecordKind::ConfigurationItem,
        RecordKind::Complaint,
        RecordKind::Agreement,
        RecordKind::Supplier,
        RecordKind::Problem,
        RecordKind::ServiceRequest,
        RecordKind::Article,
    ];

    /// The prefix of the human reference, e.g. `INC` in `INC-000123`.
    pub fn prefix(self) -> &'static str {
        match self {
            RecordKind::Incident => "INC",
            RecordKind::Service => "SVC",
            RecordKind::ConfigurationItem => "CI",
            RecordKind::Complaint => "CMP",
            RecordKind::Agreement => "AGR",
            RecordKind::Supplier => "SUP",
            RecordKind::Problem => "PRB",
            RecordKind::ServiceRequest => "REQ",
            RecordKind::Article => "KB",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Incident => "incident",
            RecordKind::Service => "service",
            RecordKind::ConfigurationItem => "configuration_item",
            RecordKind::Complaint => "complaint",
            RecordKind::Agreement => "agreement",
            RecordKind::Supplier => "supplier",
            RecordKind::Problem => "problem",
            RecordKind::ServiceRequest => "service_request",
            RecordKind::Article => "article",
        }
    }

    /// The kind as people name it in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Incident => "incident",
            RecordKind::Service => "service",
            RecordKind::ConfigurationItem => "configuration item",
            RecordKind::Complaint => "complaint",
            RecordKind::Agreement => "agreement",
            RecordKind::Supplier => "supplier",
            RecordKind::Problem => "problem",
            RecordKind::ServiceRequest => "service request",
            RecordKind::Article => "knowledge article",
        }
    }

    /// The plural path segment of the kind's API and UI routes (`/api/v1/cis/CI-000001`).
    pub fn collection(self) -> &'static str {
        match self {
            RecordKind::Incident => "incidents",
            RecordKind::Service => "services",
            RecordKind::ConfigurationItem => "cis",
            RecordKind::Complaint => "complaints",
            RecordKind::Agreement => "agreements",
            RecordKind::Supplier => "suppliers",
            RecordKind::Problem => "problems",
            RecordKind::ServiceRequest => "service-requests",
            RecordKind::Article => "articles",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind a human reference names, from its prefix.
    pub fn of_reference(reference: &str) -> Option<Self> {
        let prefix = reference.split_once('-')?.0;
        Self::ALL.into_iter().find(|k| k.prefix() == prefix)
    }

    /// The human reference for the `n`th record of this kind. Six digits, growing past a million.
    pub fn reference(self, n: i64) -> String {
        format!("{}-{n:06}", self.prefix())
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a caller names a record in a URL: by human reference or by UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKey {
    Ref(String),
    Id(uuid::Uuid),
}

impl FromStr for RecordKey {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        if let Ok(id) = uuid::Uuid::parse_str(s) {
            return Ok(RecordKey::Id(id));
        }
        let (prefix, digits) = s.split_once('-').ok_or(())?;
        let valid = !prefix.is_empty()
            && prefix.bytes().all(|b| b.is_ascii_uppercase())
            && (6..=12).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit());
        if valid { Ok(RecordKey::Ref(s.to_owned())) } else { Err(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_is_zero_padded_and_grows() {
        assert_eq!(RecordKind::Incident.reference(123), "INC-000123");
        assert_eq!(RecordKind::Incident.reference(1_234_567), "INC-1234567");
    }

    #[test]
    fn record_key_accepts_refs_and_uuids_only() {
        assert_eq!("INC-000123".parse(), Ok(RecordKey::Ref("INC-000123".into())));
        let id = uuid::Uuid::now_v7();
        assert_eq!(id.to_string().parse(), Ok(RecordKey::Id(id)));
        assert!("inc-000123".parse::<RecordKey>().is_err());
        assert!("INC-12".parse::<RecordKey>().is_err());
        assert!("INC-000123; drop".parse::<RecordKey>().is_err());
    }

    #[test]
    fn every_kind_has_its_own_prefix_name_and_collection() {
        for (i, a) in RecordKind::ALL.iter().enumerate() {
            assert_eq!(RecordKind::parse(a.as_str()), Some(*a));
            assert_eq!(RecordKind::of_reference(&a.reference(7)), Some(*a));
            for b in &RecordKind::ALL[i + 1..] {
                assert_ne!(a.prefix(), b.prefix());
                assert_ne!(a.collection(), b.collection());
            }
        }
    }
}
