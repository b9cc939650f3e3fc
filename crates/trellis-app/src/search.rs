//! Full-text search across incidents, service requests, problems and knowledge articles: each
//! record's document is written in the transaction that changes the record, and a search is
//! scoped as the records are (customers find their organisation's records and the published
//! public articles of services they receive).

use crate::{Actor, App, AppError};
use trellis_domain::access::Action;
use trellis_domain::article::{ArticleStatus, Audience};
use trellis_domain::journal::Change;
use trellis_domain::record::RecordKind;
use trellis_domain::search::{
    Narrow, PUBLIC_TAG, Segment, clean, customer_tag, fts5_query, kind_tag, snippet, terms, tsquery,
};
use trellis_domain::validation::ValidationErrors;
use trellis_store::Sql;
use trellis_store::article::ArticleRow;
use trellis_store::incident::IncidentRow;
use trellis_store::problem::ProblemRow;
use trellis_store::search::{self as store, SearchDoc};
use trellis_store::service_request::RequestRow;
use uuid::Uuid;

pub const LIMIT_MAX: i64 = 100;

#[expect(clippy::too_many_arguments, reason = "a document is exactly these facts")]
fn doc(
    kind: RecordKind,
    id: Uuid,
    reference: &str,
    title: &str,
    body: &str,
    customer_id: Option<Uuid>,
    service_id: Option<Uuid>,
    public: bool,
    updated_at: i64,
) -> SearchDoc {
    SearchDoc {
        record_id: id,
        kind: kind.as_str().into(),
        reference: reference.into(),
        title: clean(title),
        body: clean(body),
        customer_id,
        service_id,
        public,
        updated_at,
    }
}

pub(crate) fn incident_doc(r: &IncidentRow) -> Sql {
    let d = doc(
        RecordKind::Incident,
        r.id,
        &r.reference,
        &r.title,
        &r.description,
        r.customer_id,
        r.service_id,
        false,
        r.updated_at,
    );
    store::put(&d)
}

/// Whether an incident change touches what its document holds.
pub(crate) fn touches_incident_doc(changes: &[Change]) -> bool {
    changes.iter().any(|c| matches!(c.field.as_str(), "title" | "description" | "customer_id" | "service_id"))
}

pub(crate) fn problem_doc(r: &ProblemRow) -> Sql {
    let body = format!("{}\n{}\n{}\n{}", r.description, r.root_cause, r.workaround, r.resolution);
    let d = doc(
        RecordKind::Problem,
        r.id,
        &r.reference,
        &r.title,
        &body,
        None,
        r.service_id,
        false,
        r.updated_at,
    );
    store::put(&d)
}

pub(crate) fn request_doc(r: &RequestRow) -> Sql {
    let d = doc(
        RecordKind::ServiceRequest,
        r.id,
        &r.reference,
        &r.title,
        &format!("{}\n{}", r.description, r.answers),
        r.customer_id,
        Some(r.service_id),
        false,
        r.updated_at,
    );
    store::put(&d)
}

pub(crate) fn article_doc(r: &ArticleRow) -> Sql {
    let public = r.status == ArticleStatus::Published.as_str() && r.audience == Audience::Public.as_str();
    let d = doc(
        RecordKind::Article,
        r.id,
        &r.reference,
        &r.title,
        &r.body,
        None,
        r.service_id,
        public,
        r.updated_at,
    );
    store::put(&d)
}

/// One record found.
#[derive(Debug, Clone)]
pub struct Hit {
    pub kind: RecordKind,
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    /// The best passage, split into plain and matched text.
    pub snippet: Vec<Segment>,
    pub updated_at: i64,
}

/// The kinds the actor may search (of those asked for; all of them when none are).
fn searchable(actor: &Actor, asked: &[RecordKind]) -> Vec<RecordKind> {
    [
        (RecordKind::Incident, Action::IncidentRead),
        (RecordKind::ServiceRequest, Action::RequestRead),
        (RecordKind::Problem, Action::ProblemRead),
        (RecordKind::Article, Action::ArticleRead),
    ]
    .into_iter()
    .filter(|(k, a)| actor.may(*a) && (asked.is_empty() || asked.contains(k)))
    .map(|(k, _)| k)
    .collect()
}

/// The records and articles best matching every word of `q` (as prefixes), best first.
pub async fn search(
    app: &App,
    actor: &Actor,
    q: &str,
    kinds: &[RecordKind],
    limit: i64,
) -> Result<Vec<Hit>, AppError> {
    let words = terms(q);
    let mut errors = ValidationErrors::default();
    if words.is_empty() {
        errors.add("q", "type a word to search for");
    }
    if !(1..=LIMIT_MAX).contains(&limit) {
        errors.add("limit", format!("must be between 1 and {LIMIT_MAX}"));
    }
    errors.into_result()?;
    let allowed = searchable(actor, kinds);
    if allowed.is_empty() {
        return Ok(Vec::new());
    }
    let mut narrow = Narrow::default();
    // Every kind searchable and none asked for: no need to narrow by kind.
    if allowed.len() < 4 || !kinds.is_empty() {
        narrow.kinds = allowed.iter().map(|k| kind_tag(k.as_str())).collect();
    }
    let customer = if actor.role.is_staff() {
        None
    } else {
        // A customer user finds their organisation's records and public articles.
        let Some(mine) = actor.customer_id else { return Ok(Vec::new()) };
        narrow.scope = vec![customer_tag(mine), PUBLIC_TAG.to_owned()];
        Some(mine)
    };
    let (fts, ts) = (fts5_query(&words, &narrow), tsquery(&words, &narrow));
    let ranked_by = tsquery(&words, &Narrow::default());
    let hits = store::query(&mut app.db.read(), &fts, &ts, &ranked_by, customer, limit).await?;
    Ok(hits
        .into_iter()
        .filter_map(|h| {
            let body_matches = snippet(&h.body, &words);
            Some(Hit {
                kind: RecordKind::parse(&h.kind)?,
                id: h.record_id,
                // The passage of the text that matched; the title when only the title did.
                snippet: if body_matches.iter().any(|s| s.matched) {
                    body_matches
                } else {
                    snippet(&h.title, &words)
                },
                reference: h.reference,
                title: h.title,
                updated_at: h.updated_at,
            })
        })
        .collect())
}
