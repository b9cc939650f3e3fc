//! Knowledge articles (ISO/IEC 20000-1 7.6, 7.5): written as drafts, reviewed by someone other
//! than the author, published (to staff, or also to customers on the portal), reviewed again
//! when due, and retired when no longer true.

use crate::lifecycle::Lifecycle;
use crate::record::RecordKind;

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 100_000;

/// Days a published article stays trusted before it is due for review, unless its author sets
/// another date.
pub const REVIEW_DAYS: i64 = 365;

crate::named_enum! {
    pub enum ArticleStatus {
        Draft = ("draft", "Draft"),
        Reviewed = ("reviewed", "Reviewed"),
        Published = ("published", "Published"),
        Retired = ("retired", "Retired"),
    }
}

impl Lifecycle for ArticleStatus {
    const KIND: RecordKind = RecordKind::Article;

    /// Only a draft is edited; a reviewed article is published as it was reviewed. Revising a
    /// published article takes it back to draft (off the portal) until it is reviewed again.
    fn allowed_transitions(self) -> &'static [ArticleStatus] {
        use ArticleStatus::*;
        match self {
            Draft => &[Reviewed, Retired],
            Reviewed => &[Published, Draft],
            Published => &[Draft, Retired],
            Retired => &[Draft],
        }
    }
}

crate::named_enum! {
    /// Who reads a published article.
    pub enum Audience {
        /// Staff only (the service desk's own procedures).
        Internal = ("internal", "Staff only"),
        /// Also customers on the portal (of the article's service, when it has one).
        Public = ("public", "Customers too"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_can_be_left_and_only_a_review_leads_to_publication() {
        for s in ArticleStatus::ALL {
            assert!(!s.allowed_transitions().is_empty(), "{s}");
            let reaches_published = s.allowed_transitions().contains(&ArticleStatus::Published);
            assert_eq!(reaches_published, *s == ArticleStatus::Reviewed, "{s}");
        }
    }
}
