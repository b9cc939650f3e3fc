//! Saved filters: a person's named views of a work list ("my P1s of ACME", "unassigned network
//! incidents"), kept as the list's own query string so a saved filter is exactly the URL it
//! opens and the API parameters it stands for.

use crate::access::Action;
use crate::validation::ValidationErrors;

/// The lists a filter can be saved for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavedList {
    Incidents,
    ServiceRequests,
    Problems,
}

impl SavedList {
    pub const ALL: [SavedList; 3] = [SavedList::Incidents, SavedList::ServiceRequests, SavedList::Problems];

    pub fn as_str(self) -> &'static str {
        match self {
            SavedList::Incidents => "incidents",
            SavedList::ServiceRequests => "service-requests",
            SavedList::Problems => "problems",
        }
    }

    pub fn parse(s: &str) -> Option<SavedList> {
        SavedList::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Who may read the list may save filters of it.
    pub fn read_action(self) -> Action {
        match self {
            SavedList::Incidents => Action::IncidentRead,
            SavedList::ServiceRequests => Action::RequestRead,
            SavedList::Problems => Action::ProblemRead,
        }
    }
}

pub const NAME_MAX: usize = 60;
pub const QUERY_MAX: usize = 1000;
/// Per person and list: a saved filter is a shortcut, and a wall of them is no shortcut.
pub const PER_LIST_MAX: i64 = 30;

/// The query string as stored: parameters in the order given, empty values and the page cursor
/// dropped (a saved filter opens on its first page), re-encoded so equal filters read equal.
pub fn normalise_query(query: &str) -> String {
    let query = query.trim().trim_start_matches('?');
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k == "after" || v.trim().is_empty() {
            continue;
        }
        out.append_pair(&k, v.trim());
    }
    out.finish()
}

/// Checks a filter's name and normalised query; the list's own parameters are checked by whoever
/// knows them (the web layer parses them as the list would).
pub fn validate(name: &str, query: &str) -> Result<(String, String), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let name = errors.text("name", name.trim(), NAME_MAX);
    if name.is_empty() {
        errors.add("name", "give the filter a name");
    }
    let query = normalise_query(query);
    if query.len() > QUERY_MAX {
        errors.add("query", format!("must be at most {QUERY_MAX} characters"));
    }
    errors.into_result()?;
    Ok((name, query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_drops_empty_values_and_the_cursor() {
        assert_eq!(
            normalise_query("?status=new&customer=&q=disk%20full&after=abc&sort=due_at"),
            "status=new&q=disk+full&sort=due_at"
        );
        assert_eq!(normalise_query(""), "");
    }

    #[test]
    fn a_name_is_required_and_bounded() {
        assert!(validate("  ", "status=new").is_err());
        assert!(validate(&"x".repeat(NAME_MAX + 1), "").is_err());
        assert_eq!(
            validate(" Mine ", "assignee=me&q=").expect("valid"),
            ("Mine".into(), "assignee=me".into())
        );
    }

    #[test]
    fn lists_round_trip() {
        for l in SavedList::ALL {
            assert_eq!(SavedList::parse(l.as_str()), Some(l));
        }
        assert_eq!(SavedList::parse("cis"), None);
    }
}
