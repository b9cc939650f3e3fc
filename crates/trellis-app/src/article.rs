//! Knowledge articles (7.6): drafted by staff, reviewed by someone other than the author,
//! published to staff or also to customers, reviewed again when due, retired when no longer
//! true. Linked to a service and to the known error they document. Customers read published
//! public articles of the services they receive (or of none).

use crate::platform::RecordHandle;
use crate::record::{self, Changes};
use crate::{Actor, App, AppError, journal, search};
use jiff::civil::Date;
use trellis_domain::access::Action;
use trellis_domain::article::{ArticleStatus, Audience, BODY_MAX, REVIEW_DAYS, TITLE_MAX};
use trellis_domain::ci::parse_date;
use trellis_domain::journal::JournalAction;
use trellis_domain::lifecycle::parse_named;
use trellis_domain::problem::ProblemStatus;
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::validation::ValidationErrors;
use trellis_store::article::{self as store, ArticleRow, ArticleView, Filter};
use trellis_store::{Conn, micros, refs};
use uuid::Uuid;

/// What an article says and whom it is for; `None` leaves a field as it is on update.
#[derive(Debug, Clone, Default)]
pub struct ArticleInput {
    pub title: Option<String>,
    pub body: Option<String>,
    /// internal or public.
    pub audience: Option<String>,
    pub service_id: Option<Option<Uuid>>,
    /// A problem in known-error state (or once one).
    pub known_error_id: Option<Option<Uuid>>,
    /// YYYY-MM-DD; empty clears it.
    pub review_due_on: Option<String>,
}

fn today(app: &App) -> Date {
    app.now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// Reads an article as the actor may: staff every one, customers published public ones of
/// services their organisation receives (or of none).
pub async fn get(app: &App, actor: &Actor, key: &str) -> Result<ArticleView, AppError> {
    actor.require(Action::ArticleRead)?;
    let key: RecordKey = key.parse().map_err(|()| AppError::NotFound)?;
    let mut c = app.db.read();
    let v = store::get(&mut c, &key).await?.ok_or(AppError::NotFound)?;
    if !actor.role.is_staff() {
        let r = &v.row;
        let public = r.status == ArticleStatus::Published.as_str() && r.audience == Audience::Public.as_str();
        let received = match (r.service_id, actor.customer_id) {
            (None, _) => true,
            (Some(s), Some(mine)) => trellis_store::service::receives(&mut c, s, mine).await?,
            (Some(_), None) => false,
        };
        if !public || !received {
            return Err(AppError::NotFound);
        }
    }
    Ok(v)
}

pub fn handle_of(v: &ArticleView) -> RecordHandle {
    RecordHandle {
        kind: RecordKind::Article,
        id: v.row.id,
        reference: v.row.reference.clone(),
        title: v.row.title.clone(),
        customer_id: None,
    }
}

/// Articles; a customer user's list holds only what they may read. `review_overdue` lists
/// published articles whose review date has come.
pub async fn list(
    app: &App,
    actor: &Actor,
    mut filter: Filter,
    review_overdue: bool,
) -> Result<(Vec<ArticleView>, Option<Uuid>), AppError> {
    actor.require(Action::ArticleRead)?;
    if !actor.role.is_staff() {
        let Some(mine) = actor.customer_id else { return Ok((Vec::new(), None)) };
        filter.customer_id = Some(mine);
        // Which known error an article documents is the provider's business.
        filter.known_error_id = None;
    }
    if review_overdue {
        filter.review_due_by = Some(today(app).to_string());
    }
    Ok(store::list(&mut app.db.read(), &filter).await?)
}

/// Applies `input` to `row`, checking every field; errors name the field.
async fn apply(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    row: &mut ArticleRow,
    input: &ArticleInput,
) -> Result<(), AppError> {
    if let Some(t) = &input.title {
        row.title = errors.required_line("title", t, TITLE_MAX);
    }
    if let Some(b) = &input.body {
        // Browsers send line breaks as CRLF: the text is kept with LF, so a form that did not
        // touch the text does not change it.
        row.body = errors.required_text("body", &b.replace("\r\n", "\n"), BODY_MAX);
    }
    if let Some(a) = input.audience.as_deref()
        && let Some(a) = parse_named::<Audience>(errors, "audience", a.trim())
    {
        row.audience = a.as_str().into();
    }
    if let Some(s) = input.service_id {
        row.service_id = s;
        if let Some(id) = s
            && trellis_store::service::get(c, &RecordKey::Id(id)).await?.is_none()
        {
            errors.add("service_id", "no such service");
        }
    }
    if let Some(k) = input.known_error_id {
        row.known_error_id = k;
        if let Some(id) = k {
            match trellis_store::problem::get(c, &RecordKey::Id(id)).await? {
                None => errors.add("known_error_id", "no such problem"),
                // Documented once the cause and workaround are known (it may be resolved since).
                Some(p)
                    if matches!(
                        ProblemStatus::parse(&p.row.status),
                        Some(ProblemStatus::New | ProblemStatus::Investigating)
                    ) =>
                {
                    errors.add("known_error_id", "the problem is not a known error yet");
                }
                Some(_) => {}
            }
        }
    }
    if let Some(d) = input.review_due_on.as_deref() {
        row.review_due_on = match d.trim() {
            "" => None,
            text => match parse_date(text) {
                Some(date) => Some(date.to_string()),
                None => {
                    errors.add("review_due_on", "must be a date (YYYY-MM-DD)");
                    None
                }
            },
        };
    }
    Ok(())
}

/// Writes a new draft.
pub async fn create(app: &App, actor: &Actor, input: ArticleInput) -> Result<ArticleView, AppError> {
    actor.require(Action::ArticleManage)?;
    let now = app.now();
    let mut row = ArticleRow {
        id: Uuid::now_v7(),
        reference: String::new(),
        title: String::new(),
        body: String::new(),
        status: ArticleStatus::Draft.as_str().into(),
        audience: Audience::Internal.as_str().into(),
        service_id: None,
        known_error_id: None,
        author_id: actor.journal_id(),
        edited_by: actor.journal_id(),
        reviewed_by: None,
        reviewed_at: None,
        published_at: None,
        review_due_on: None,
        version: 1,
        created_at: micros(now),
        updated_at: micros(now),
    };
    let mut errors = ValidationErrors::default();
    let complete = ArticleInput {
        title: Some(input.title.clone().unwrap_or_default()),
        body: Some(input.body.clone().unwrap_or_default()),
        ..input
    };
    apply(&mut app.db.read(), &mut errors, &mut row, &complete).await?;
    errors.into_result()?;
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    row.reference = refs::next_reference(&mut c, RecordKind::Article).await?;
    let mut changes = Changes::default();
    changes.initial("ref", &row.reference);
    changes.initial("title", &row.title);
    changes.initial("status", &row.status);
    changes.initial("audience", &row.audience);
    changes.initial("service_id", row.service_id);
    changes.initial("known_error_id", row.known_error_id);
    changes.initial("review_due_on", &row.review_due_on);
    let writes = vec![store::insert(&row), search::article_doc(&row)];
    journal::record_with(
        &mut c,
        writes,
        RecordKind::Article,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes.0,
    )
    .await?;
    tx.commit().await?;
    get(app, actor, &row.id.to_string()).await
}

fn compare(r0: &ArticleRow, next: &ArticleRow) -> Changes {
    let mut changes = Changes::default();
    changes.compare("title", &r0.title, &next.title);
    changes.compare("body", &r0.body, &next.body);
    changes.compare("status", &r0.status, &next.status);
    changes.compare("audience", &r0.audience, &next.audience);
    changes.compare("service_id", r0.service_id, next.service_id);
    changes.compare("known_error_id", r0.known_error_id, next.known_error_id);
    changes.compare("reviewed_by", r0.reviewed_by, next.reviewed_by);
    changes.compare("review_due_on", &r0.review_due_on, &next.review_due_on);
    changes
}

/// Changes an article. What it says is changed only in a draft (a reviewed or published text is
/// the one that was reviewed): 409 `article.not_draft` otherwise. The review date and links may
/// change at any time.
pub async fn update(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: i64,
    input: ArticleInput,
) -> Result<ArticleView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ArticleManage)?;
    let r0 = &current.row;
    record::expect_version(r0.version, Some(expected_version))?;
    let mut next = r0.clone();
    let mut errors = ValidationErrors::default();
    apply(&mut app.db.read(), &mut errors, &mut next, &input).await?;
    errors.into_result()?;
    // What readers see, and (for a public article) which customers see it, is what the review
    // covered.
    let readers_changed = r0.audience == Audience::Public.as_str() && next.service_id != r0.service_id;
    let content_changed =
        next.title != r0.title || next.body != r0.body || next.audience != r0.audience || readers_changed;
    if content_changed && r0.status != ArticleStatus::Draft.as_str() {
        return Err(AppError::conflict(
            "article.not_draft",
            "only a draft is edited: move the article back to draft to revise it",
        ));
    }
    if content_changed {
        next.edited_by = actor.journal_id();
    }
    let changes = compare(r0, &next);
    if changes.is_empty() {
        return Ok(current);
    }
    save(app, actor, next, expected_version, JournalAction::Updated, &changes).await
}

async fn save(
    app: &App,
    actor: &Actor,
    next: ArticleRow,
    expected_version: i64,
    action: JournalAction,
    changes: &Changes,
) -> Result<ArticleView, AppError> {
    let id = record::save_version(app, actor, next, expected_version, action, changes).await?;
    get(app, actor, &id.to_string()).await
}

record::versioned!(ArticleRow, RecordKind::Article, store::update, search = search::article_doc);

/// Moves an article: reviewed (by someone other than its author: 409 `article.self_review`),
/// published (its review date set a year on unless a later one is set), back to draft to revise
/// it (off the portal until published again), retired.
pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    to: &str,
    expected_version: Option<i64>,
) -> Result<ArticleView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ArticleManage)?;
    let to: ArticleStatus = record::target_state(to)?;
    let r0 = &current.row;
    record::plan_move(&r0.status, r0.version, to, expected_version)?;
    let now = app.now();
    let mut next = r0.clone();
    next.status = to.as_str().into();
    match to {
        ArticleStatus::Reviewed => {
            require_other_reviewer(actor, r0)?;
            next.reviewed_by = actor.journal_id();
            next.reviewed_at = Some(micros(now));
        }
        ArticleStatus::Published => {
            next.published_at = Some(micros(now));
            let due = today(app).saturating_add(jiff::Span::new().days(REVIEW_DAYS)).to_string();
            if next.review_due_on.as_deref().is_none_or(|d| d <= today(app).to_string().as_str()) {
                next.review_due_on = Some(due);
            }
        }
        ArticleStatus::Draft => {
            next.reviewed_by = None;
            next.reviewed_at = None;
        }
        ArticleStatus::Retired => {}
    }
    let changes = compare(r0, &next);
    save(app, actor, next, r0.version, JournalAction::Transitioned, &changes).await
}

/// Four eyes: neither the author nor whoever last changed the text reviews it.
fn require_other_reviewer(actor: &Actor, r: &ArticleRow) -> Result<(), AppError> {
    let me = actor.journal_id();
    if me.is_some() && (r.author_id == me || r.edited_by == me) {
        return Err(AppError::conflict(
            "article.self_review",
            "an article is reviewed by someone other than its author and its last editor",
        ));
    }
    Ok(())
}

/// Confirms a published article is still right: its next review is a year on.
pub async fn confirm_review(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: Option<i64>,
) -> Result<ArticleView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ArticleManage)?;
    let r0 = &current.row;
    record::expect_version(r0.version, expected_version)?;
    if r0.status != ArticleStatus::Published.as_str() {
        return Err(AppError::conflict(
            "article.not_published",
            "only a published article is reviewed for currency",
        ));
    }
    require_other_reviewer(actor, r0)?;
    // Who reviewed it for publication stays recorded; the journal names who confirmed it.
    let mut next = r0.clone();
    next.review_due_on = Some(today(app).saturating_add(jiff::Span::new().days(REVIEW_DAYS)).to_string());
    let mut changes = compare(r0, &next);
    changes.compare("review_confirmed_by", None, actor.journal_id());
    save(app, actor, next, r0.version, JournalAction::Updated, &changes).await
}
