//! Incident pages: list, detail (timeline, comments, attachments, links), new and edit.

use super::{Nav, UiActor, UiResult, field_error, opt_uuid, render, short_time};
use crate::api::dto::IncidentQuery;
use crate::api::incidents::{encode_cursor, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use trellis_app::views::IncidentView;
use trellis_app::{Actor, AppError, identity, incident as app, platform};
use trellis_domain::access::{Action, Role, sees_internal};
use trellis_domain::incident::IncidentStatus;
use trellis_domain::link::LinkType;
use trellis_domain::validation::FieldError;
use uuid::Uuid;

/// An incident as pages show it.
pub struct Row {
    pub reference: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub status_label: &'static str,
    pub customer: String,
    pub team: String,
    pub assignee: String,
    pub owner: String,
    pub version: i64,
    pub updated_at: String,
    pub updated_short: String,
}

impl From<&IncidentView> for Row {
    fn from(v: &IncidentView) -> Self {
        let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "—".into());
        Row {
            reference: v.row.reference.clone(),
            title: v.row.title.clone(),
            description: v.row.description.clone(),
            status: v.row.status.clone(),
            status_label: IncidentStatus::parse(&v.row.status).map(IncidentStatus::label).unwrap_or("?"),
            customer: dash(&v.customer_name),
            team: dash(&v.team_name),
            assignee: dash(&v.assignee_name),
            owner: dash(&v.owner_name),
            version: v.row.version,
            updated_at: crate::api::dto::rfc3339(v.row.updated_at),
            updated_short: short_time(v.row.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    statuses: Vec<(&'static str, &'static str)>,
    customers: Vec<(Uuid, String)>,
    is_staff: bool,
    q_status: String,
    q_customer: String,
    q_assignee: String,
    q_text: String,
    q_sort: String,
    next_url: Option<String>,
    error: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<IncidentQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    // A hand-edited URL with a bad parameter shows the list with the reason, not a bare 400.
    let (q, query_error) = match query {
        Ok(Query(q)) => (q, None),
        Err(e) => {
            let reason =
                std::error::Error::source(&e).map(ToString::to_string).unwrap_or_else(|| e.body_text());
            (IncidentQuery::default(), Some(reason))
        }
    };
    let mut page = ListPage {
        nav: Nav::new(&actor, "incidents"),
        items: Vec::new(),
        statuses: IncidentStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        customers: Vec::new(),
        is_staff: actor.role.is_staff(),
        q_status: q.status.clone().unwrap_or_default(),
        q_customer: q.customer.map(|c| c.to_string()).unwrap_or_default(),
        q_assignee: q.assignee.clone().unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        q_sort: q.sort.clone().unwrap_or_else(|| "-created_at".into()),
        next_url: None,
        error: None,
    };
    if actor.role.is_staff() {
        page.customers =
            identity::list_customers(&s.app, &actor).await?.into_iter().map(|c| (c.id, c.name)).collect();
    }
    if let Some(e) = query_error {
        page.error = Some(e);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    match filter_from_query(&q, actor.user_id) {
        Ok(filter) => {
            let (rows, next) = app::list(&s.app, &actor, filter).await?;
            page.items = rows.iter().map(Row::from).collect();
            page.next_url = next.map(|c| {
                let mut u = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in [
                    ("status", &page.q_status),
                    ("customer", &page.q_customer),
                    ("assignee", &page.q_assignee),
                    ("q", &page.q_text),
                    ("sort", &page.q_sort),
                ] {
                    if !v.is_empty() {
                        u.append_pair(k, v);
                    }
                }
                u.append_pair("after", &encode_cursor(c));
                format!("/incidents?{}", u.finish())
            });
        }
        Err(p) => page.error = Some(p.0.detail),
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "incident_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    version: Option<i64>,
    message: Option<String>,
    errors: Vec<FieldError>,
    is_staff: bool,
    title: String,
    description: String,
    customer_id: String,
    team_id: String,
    assignee_id: String,
    customers: Vec<(Uuid, String)>,
    teams: Vec<(Uuid, String)>,
    assignees: Vec<(Uuid, String)>,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct IncidentForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    assignee_id: String,
    version: Option<i64>,
}

/// The choices of the incident form (staff only: customers cannot route incidents).
async fn form_page(s: &AppState, actor: &Actor, f: &IncidentForm) -> Result<FormPage, AppError> {
    let mut page = FormPage {
        nav: Nav::new(actor, "incidents"),
        action: "/incidents".into(),
        reference: None,
        version: f.version,
        message: None,
        errors: Vec::new(),
        is_staff: actor.role.is_staff(),
        title: f.title.clone(),
        description: f.description.clone(),
        customer_id: f.customer_id.clone(),
        team_id: f.team_id.clone(),
        assignee_id: f.assignee_id.clone(),
        customers: Vec::new(),
        teams: Vec::new(),
        assignees: Vec::new(),
    };
    if actor.role.is_staff() {
        page.customers =
            identity::list_customers(&s.app, actor).await?.into_iter().map(|c| (c.id, c.name)).collect();
        page.teams = identity::list_teams(&s.app, actor).await?.into_iter().map(|t| (t.id, t.name)).collect();
        page.assignees = identity::list_users(&s.app, actor)
            .await?
            .into_iter()
            .filter(|u| {
                u.active && matches!(Role::parse(&u.role), Some(Role::Agent | Role::Manager | Role::Admin))
            })
            .map(|u| (u.id, u.display_name))
            .collect();
    }
    Ok(page)
}

pub async fn new_form(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    actor.require(Action::IncidentCreate)?;
    Ok(render(&form_page(&s, &actor, &IncidentForm::default()).await?))
}

/// Parses the id selects of the form; a tampered value is reported on its field.
fn ids(f: &IncidentForm, errors: &mut Vec<FieldError>) -> (Option<Uuid>, Option<Uuid>, Option<Uuid>) {
    let mut one = |field: &str, v: &str| {
        opt_uuid(v).unwrap_or_else(|_| {
            errors.push(FieldError { field: field.into(), message: "is not a valid choice".into() });
            None
        })
    };
    (one("customer_id", &f.customer_id), one("team_id", &f.team_id), one("assignee_id", &f.assignee_id))
}

/// Shows the form again with the user's input and the messages (422), or the error page.
async fn form_again(
    s: &AppState,
    actor: &Actor,
    f: &IncidentForm,
    reference: Option<String>,
    e: AppError,
) -> UiResult {
    let (errors, message) = match e {
        AppError::Validation(v) => (v.0, Some("Please correct the fields marked below.".to_owned())),
        AppError::VersionMismatch { .. } => (
            Vec::new(),
            Some("Someone else changed this incident after you opened it. Your changes are below; reload the incident to see theirs, then edit again.".to_owned()),
        ),
        other => return Err(other.into()),
    };
    let mut page = form_page(s, actor, f).await?;
    if let Some(r) = &reference {
        page.action = format!("/incidents/{r}/edit");
    }
    page.reference = reference;
    page.errors = errors;
    page.message = message;
    let status = if page.errors.is_empty() { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&page)).into_response())
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<IncidentForm>,
) -> UiResult {
    let mut errors = Vec::new();
    let (customer_id, team_id, assignee_id) = ids(&f, &mut errors);
    if !errors.is_empty() {
        return form_again(&s, &actor, &f, None, trellis_domain::validation::ValidationErrors(errors).into())
            .await;
    }
    let new = app::NewIncident {
        title: f.title.clone(),
        description: f.description.clone(),
        customer_id,
        team_id,
        assignee_id,
    };
    match app::create(&s.app, &actor, new).await {
        Ok(v) => Ok(Redirect::to(&format!("/incidents/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, &f, None, e).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let v = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::IncidentUpdate)?;
    let f = IncidentForm {
        title: v.row.title.clone(),
        description: v.row.description.clone(),
        customer_id: v.row.customer_id.map(|x| x.to_string()).unwrap_or_default(),
        team_id: v.row.team_id.map(|x| x.to_string()).unwrap_or_default(),
        assignee_id: v.row.assignee_id.map(|x| x.to_string()).unwrap_or_default(),
        version: Some(v.row.version),
    };
    let mut page = form_page(&s, &actor, &f).await?;
    page.action = format!("/incidents/{}/edit", v.row.reference);
    page.reference = Some(v.row.reference);
    Ok(render(&page))
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<IncidentForm>,
) -> UiResult {
    let h = app::handle(&s.app, &actor, &key).await?;
    let mut errors = Vec::new();
    let (customer_id, team_id, assignee_id) = ids(&f, &mut errors);
    if !errors.is_empty() {
        return form_again(
            &s,
            &actor,
            &f,
            Some(h.reference),
            trellis_domain::validation::ValidationErrors(errors).into(),
        )
        .await;
    }
    let Some(version) = f.version else {
        return Err(AppError::Validation(trellis_domain::validation::ValidationErrors::single(
            "version",
            "is required",
        ))
        .into());
    };
    let patch = app::IncidentPatch {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        customer_id: Some(customer_id),
        team_id: Some(team_id),
        assignee_id: Some(assignee_id),
    };
    match app::update(&s.app, &actor, &key, version, patch).await {
        Ok(v) => Ok(Redirect::to(&format!("/incidents/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, &f, Some(h.reference), e).await,
    }
}

/// One line of the timeline: a journal entry or a comment.
pub struct TimelineItem {
    kind: &'static str,
    at: String,
    at_short: String,
    who: String,
    summary: String,
    details: Vec<String>,
    channel: String,
    body: String,
    internal: bool,
    sort_key: (i64, u8),
}

pub struct AttachmentItem {
    id: Uuid,
    filename: String,
    size: String,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    message: Option<String>,
    timeline: Vec<TimelineItem>,
    transitions: Vec<(&'static str, String)>,
    attachments: Vec<AttachmentItem>,
    links: Vec<(&'static str, String, String)>,
    link_types: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    can_comment: bool,
    can_internal: bool,
    can_attach: bool,
    can_link: bool,
}

fn human_size(n: i64) -> String {
    match n {
        n if n >= 1024 * 1024 => format!("{:.1} MiB", n as f64 / 1_048_576.0),
        n if n >= 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// Names for the ids the journal mentions, looked up one by one (a page names a handful of
/// people and organisations; listing every user would grow with the customer base).
async fn names(
    s: &AppState,
    actor: &Actor,
    entries: &[trellis_app::views::EntryView],
) -> Result<HashMap<String, String>, AppError> {
    let mut m = HashMap::new();
    for t in identity::list_teams(&s.app, actor).await? {
        m.insert(t.id.to_string(), t.name);
    }
    for e in entries {
        for c in e.entry.parsed_changes() {
            for v in [&c.from, &c.to] {
                let Some(text) = v.as_str() else { continue };
                let Ok(id) = Uuid::parse_str(text) else { continue };
                if m.contains_key(text) {
                    continue;
                }
                let name = match c.field.as_str() {
                    "customer_id" => identity::get_customer(&s.app, actor, id).await.ok().map(|c| c.name),
                    "assignee_id" => identity::get_user(&s.app, actor, id).await.ok().map(|u| u.display_name),
                    _ => None,
                };
                if let Some(n) = name {
                    m.insert(text.to_owned(), n);
                }
            }
        }
    }
    Ok(m)
}

/// A journalled value as people read it: names for ids, labels for states, long text cut short.
fn show_value(field: &str, v: &serde_json::Value, names: &HashMap<String, String>) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) if field == "status" => {
            IncidentStatus::parse(s).map(|st| st.label().to_owned()).unwrap_or_else(|| s.clone())
        }
        serde_json::Value::String(s) => {
            let s = names.get(s).cloned().unwrap_or_else(|| s.clone());
            if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
        }
        other => other.to_string(),
    }
}

async fn detail_page(
    s: &AppState,
    actor: &Actor,
    key: &str,
    message: Option<String>,
) -> Result<DetailPage, AppError> {
    let v = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&v);
    let mut timeline = Vec::new();
    if actor.may(Action::JournalRead) {
        let entries = platform::journal_of(&s.app, actor, &h).await?;
        let names = names(s, actor, &entries).await?;
        for e in entries {
            if e.entry.action == "commented" {
                continue; // the comment itself is shown
            }
            let details: Vec<String> = e
                .entry
                .parsed_changes()
                .iter()
                .filter(|c| e.entry.action != "created" || !matches!(c.field.as_str(), "description" | "ref"))
                .map(|c| match e.entry.action.as_str() {
                    "created" => {
                        format!("{}: {}", c.field.replace("_id", ""), show_value(&c.field, &c.to, &names))
                    }
                    "attached" | "linked" => show_value(&c.field, &c.to, &names),
                    _ => format!(
                        "{}: {} → {}",
                        c.field.replace("_id", ""),
                        show_value(&c.field, &c.from, &names),
                        show_value(&c.field, &c.to, &names)
                    ),
                })
                .collect();
            let summary = match e.entry.action.as_str() {
                "created" => "logged the incident",
                "updated" => "changed",
                "transitioned" => "changed the status",
                "attached" => "attached a file",
                "linked" => "linked a record",
                other => other,
            };
            let micros = trellis_app::views::micros(e.entry.at);
            timeline.push(TimelineItem {
                kind: "journal",
                at: e.entry.at.to_string(),
                at_short: short_time(micros),
                who: e.actor_name.unwrap_or_else(|| "Trellis".into()),
                summary: summary.into(),
                details,
                channel: e.entry.channel,
                body: String::new(),
                internal: false,
                sort_key: (micros, 0),
            });
        }
    }
    for c in platform::list_comments(&s.app, actor, &h).await? {
        timeline.push(TimelineItem {
            kind: "comment",
            at: crate::api::dto::rfc3339(c.row.created_at),
            at_short: short_time(c.row.created_at),
            who: c.author_name.unwrap_or_else(|| "Trellis".into()),
            summary: String::new(),
            details: Vec::new(),
            channel: String::new(),
            body: c.row.body,
            internal: !c.row.is_public,
            sort_key: (c.row.created_at, 1),
        });
    }
    timeline.sort_by_key(|t| t.sort_key);
    let status = IncidentStatus::parse(&v.row.status).unwrap_or(IncidentStatus::New);
    let transitions = if actor.may(Action::IncidentTransition) {
        status
            .allowed_transitions()
            .iter()
            .map(|t| {
                let label = match (status, t) {
                    (IncidentStatus::Resolved, IncidentStatus::InProgress) => "Reopen".to_owned(),
                    _ => format!("Move to {}", t.label().to_lowercase()),
                };
                (t.as_str(), label)
            })
            .collect()
    } else {
        Vec::new()
    };
    let attachments = platform::list_attachments(&s.app, actor, &h)
        .await?
        .into_iter()
        .map(|a| AttachmentItem { id: a.id, filename: a.filename, size: human_size(a.size_bytes) })
        .collect();
    let links = platform::list_links(&s.app, actor, &h)
        .await?
        .into_iter()
        .map(|l| {
            (if l.outgoing { l.link_type.label() } else { "linked from" }, l.other.reference, l.other.title)
        })
        .collect();
    Ok(DetailPage {
        nav: Nav::new(actor, "incidents"),
        i: Row::from(&v),
        message,
        timeline,
        transitions,
        attachments,
        links,
        link_types: LinkType::ALL.iter().map(|l| (l.as_str(), l.label())).collect(),
        can_edit: actor.may(Action::IncidentUpdate),
        can_comment: actor.may(Action::CommentPublic) || actor.may(Action::CommentInternal),
        can_internal: sees_internal(actor.role) && actor.may(Action::CommentInternal),
        can_attach: actor.may(Action::AttachmentAdd),
        can_link: actor.may(Action::LinkAdd),
    })
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    Ok(render(&detail_page(&s, &actor, &key, None).await?))
}

/// After a failed action on the detail page: the page again, with the reason on top.
async fn detail_again(s: &AppState, actor: &Actor, key: &str, e: AppError) -> UiResult {
    let status = crate::problem::status_of(&e);
    let message = match &e {
        AppError::Validation(v) => {
            v.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        AppError::VersionMismatch { .. } => {
            "Someone else changed this incident meanwhile; here is the current state.".into()
        }
        AppError::InvalidTransition(_) | AppError::Conflict { .. } | AppError::TooLarge { .. } => {
            e.to_string()
        }
        _ => return Err(e.into()),
    };
    Ok((status, render(&detail_page(s, actor, key, Some(message)).await?)).into_response())
}

fn back_to(reference: &str) -> Response {
    Redirect::to(&format!("/incidents/{reference}")).into_response()
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    to: String,
    version: Option<i64>,
}

pub async fn transition(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<TransitionForm>,
) -> UiResult {
    match app::transition(&s.app, &actor, &key, &f.to, f.version).await {
        Ok(v) => Ok(back_to(&v.row.reference)),
        Err(e) => detail_again(&s, &actor, &key, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct CommentForm {
    body: String,
    public: Option<String>,
}

pub async fn comment(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<CommentForm>,
) -> UiResult {
    let h = app::handle(&s.app, &actor, &key).await?;
    // Customers only ever write public comments; staff choose, internal by default.
    let public = !actor.role.is_staff() || f.public.as_deref() == Some("true");
    match platform::add_comment(&s.app, &actor, &h, &f.body, public).await {
        Ok(_) => Ok(back_to(&h.reference)),
        Err(e) => detail_again(&s, &actor, &key, e).await,
    }
}

pub async fn attach(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    mut multipart: Multipart,
) -> UiResult {
    let h = app::handle(&s.app, &actor, &key).await?;
    let too_large = || AppError::TooLarge { max: s.app.settings.max_attachment_bytes };
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("upload").to_owned();
        let declared = field.content_type().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| too_large())?;
        let ct = declared
            .filter(|c| c != "application/octet-stream")
            .unwrap_or_else(|| mime_guess::from_path(&filename).first_or_octet_stream().to_string());
        return match platform::add_attachment(&s.app, &actor, &h, &filename, &ct, &bytes).await {
            Ok(_) => Ok(back_to(&h.reference)),
            Err(e) => detail_again(&s, &actor, &key, e).await,
        };
    }
    detail_again(
        &s,
        &actor,
        &key,
        trellis_domain::validation::ValidationErrors::single("file", "is required").into(),
    )
    .await
}

pub async fn download(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path((key, id)): Path<(String, String)>,
) -> UiResult {
    let h = app::handle(&s.app, &actor, &key).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let (a, bytes) = platform::attachment_content(&s.app, &h, id).await?;
    Ok(crate::api::incidents::download(&a.filename, &a.content_type, bytes))
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    link_type: String,
    target: String,
}

pub async fn link(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<LinkForm>,
) -> UiResult {
    let h = app::handle(&s.app, &actor, &key).await?;
    let kind = trellis_domain::record::RecordKind::Incident;
    match platform::add_link(&s.app, &actor, &h, &f.link_type, kind, f.target.trim()).await {
        Ok(_) => Ok(back_to(&h.reference)),
        Err(e) => detail_again(&s, &actor, &key, e).await,
    }
}
