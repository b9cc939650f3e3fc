//! What every record page shares: the timeline (journal and comments), attachments, links and
//! lifecycle buttons, and the handlers that add to them. A kind's page embeds [`Platform`] and
//! includes `record_main.html` and `record_side.html`; its routes come from [`routes`].

use super::{UiActor, UiResult, short_time};
use crate::state::AppState;
use axum::Form;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::HashMap;
use trellis_app::platform::{self, RecordHandle};
use trellis_app::{Actor, AppError, identity};
use trellis_domain::access::{Action, sees_internal};
use trellis_domain::lifecycle::Lifecycle;
use trellis_domain::link::LinkType;
use trellis_domain::record::RecordKind;
use trellis_domain::validation::ValidationErrors;
use uuid::Uuid;

/// One line of the timeline: a journal entry or a comment.
pub struct TimelineItem {
    pub kind: &'static str,
    pub at: String,
    pub at_short: String,
    pub who: String,
    pub summary: String,
    pub details: Vec<String>,
    pub channel: String,
    pub body: String,
    pub internal: bool,
    sort_key: (i64, u8),
}

pub struct AttachmentItem {
    pub id: Uuid,
    pub filename: String,
    pub size: String,
}

pub struct LinkItem {
    pub label: &'static str,
    pub href: String,
    pub reference: String,
    pub title: String,
}

/// The shared parts of a record page.
pub struct Platform {
    /// The page's own URL, e.g. `/services/SVC-000001`.
    pub base: String,
    pub reference: String,
    pub version: i64,
    pub message: Option<String>,
    pub timeline: Vec<TimelineItem>,
    pub transitions: Vec<(&'static str, String)>,
    pub attachments: Vec<AttachmentItem>,
    pub links: Vec<LinkItem>,
    pub link_types: Vec<(&'static str, &'static str)>,
    pub link_placeholder: &'static str,
    pub can_edit: bool,
    /// Comments and attachments are shown (not on shared records for customer users).
    pub can_discuss: bool,
    pub can_comment: bool,
    pub can_internal: bool,
    pub can_attach: bool,
    pub can_link: bool,
}

/// The URL of a record's page.
pub fn href(kind: RecordKind, reference: &str) -> String {
    format!("/{}/{reference}", kind.collection())
}

fn human_size(n: i64) -> String {
    match n {
        n if n >= 1024 * 1024 => format!("{:.1} MiB", n as f64 / 1_048_576.0),
        n if n >= 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// Names for the ids the journal mentions, looked up one by one (a page names a handful of
/// people, organisations and services; listing them all would grow with the customer base).
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
            let values = [&c.from, &c.to].into_iter().flat_map(|v| match v {
                serde_json::Value::Array(a) => a.iter().collect::<Vec<_>>(),
                other => vec![other],
            });
            for v in values.collect::<Vec<_>>() {
                let Some(text) = v.as_str() else { continue };
                let Ok(id) = Uuid::parse_str(text) else { continue };
                if m.contains_key(text) {
                    continue;
                }
                let name = match c.field.as_str() {
                    "customer_id" | "customer_ids" => {
                        identity::get_customer(&s.app, actor, id).await.ok().map(|c| c.name)
                    }
                    "assignee_id" | "owner_id" | "requested_for" => {
                        identity::get_user(&s.app, actor, id).await.ok().map(|u| u.display_name)
                    }
                    "ci_type_id" => {
                        trellis_app::ci::get_type(&s.app, actor, id).await.ok().map(|t| t.row.name)
                    }
                    "service_id" => platform::resolve(&s.app, actor, RecordKind::Service, text)
                        .await
                        .ok()
                        .map(|h| format!("{} {}", h.reference, h.title)),
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
fn show_value<L: Lifecycle>(field: &str, v: &serde_json::Value, names: &HashMap<String, String>) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) if field == "status" => L::ALL
            .iter()
            .find(|st| st.as_str() == s)
            .map(|st| st.label().to_owned())
            .unwrap_or_else(|| s.clone()),
        serde_json::Value::String(s) => {
            let s = names.get(s).cloned().unwrap_or_else(|| s.clone());
            if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
        }
        serde_json::Value::Array(a) if a.is_empty() => "—".into(),
        serde_json::Value::Array(a) => {
            a.iter().map(|x| show_value::<L>(field, x, names)).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// A journalled link as a sentence: "depends on CI-000002" or "CI-000006 runs on this".
fn link_summary(v: &serde_json::Value) -> String {
    let label = v["type"].as_str().and_then(LinkType::parse).map_or("linked", LinkType::label);
    let other = v["record"].as_str().unwrap_or("?");
    if v["direction"] == "incoming" { format!("{other} {label} this") } else { format!("{label} {other}") }
}

fn field_label(field: &str) -> String {
    field.trim_end_matches("_ids").trim_end_matches("_id").replace('_', " ")
}

async fn timeline<L: Lifecycle>(
    s: &AppState,
    actor: &Actor,
    h: &RecordHandle,
) -> Result<Vec<TimelineItem>, AppError> {
    let mut timeline = Vec::new();
    if actor.may(Action::JournalRead) {
        let entries = platform::journal_of(&s.app, actor, h).await?;
        let names = names(s, actor, &entries).await?;
        for e in entries {
            if e.entry.action == "commented" {
                continue; // the comment itself is shown
            }
            let created = e.entry.action == "created";
            let details: Vec<String> = e
                .entry
                .parsed_changes()
                .iter()
                .filter(|c| !created || !matches!(c.field.as_str(), "description" | "ref"))
                .map(|c| match e.entry.action.as_str() {
                    "created" => {
                        format!("{}: {}", field_label(&c.field), show_value::<L>(&c.field, &c.to, &names))
                    }
                    "linked" => link_summary(&c.to),
                    "sla" => c.to.as_str().unwrap_or_default().to_owned(),
                    "attached" => show_value::<L>(&c.field, &c.to, &names),
                    _ => format!(
                        "{}: {} → {}",
                        field_label(&c.field),
                        show_value::<L>(&c.field, &c.from, &names),
                        show_value::<L>(&c.field, &c.to, &names)
                    ),
                })
                .collect();
            let summary = match e.entry.action.as_str() {
                "created" => match h.kind {
                    RecordKind::Incident => "logged the incident".into(),
                    RecordKind::Complaint => "lodged the complaint".into(),
                    other => format!("created the {}", other.label()),
                },
                "updated" => "changed".into(),
                "transitioned" => "changed the status".into(),
                "attached" => "attached a file".into(),
                "linked" => "linked a record".into(),
                "sla" => "recorded an SLA event".into(),
                other => other.into(),
            };
            let micros = trellis_app::views::micros(e.entry.at);
            timeline.push(TimelineItem {
                kind: "journal",
                at: e.entry.at.to_string(),
                at_short: short_time(micros),
                who: e.actor_name.unwrap_or_else(|| "Trellis".into()),
                summary,
                details,
                channel: e.entry.channel,
                body: String::new(),
                internal: false,
                sort_key: (micros, 0),
            });
        }
    }
    let comments = if platform::may_discuss(actor, h) {
        platform::list_comments(&s.app, actor, h).await?
    } else {
        Vec::new()
    };
    for c in comments {
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
    Ok(timeline)
}

/// Who may do what on a record page: edit its fields, move it through its lifecycle.
#[derive(Debug, Clone, Copy)]
pub struct Rights {
    pub edit: Action,
    pub transition: Action,
}

impl Rights {
    /// One action covers both editing and lifecycle moves.
    pub fn both(a: Action) -> Self {
        Rights { edit: a, transition: a }
    }
}

/// Builds the shared parts of a record page. `status` is the record's current state; the
/// lifecycle buttons and edit link appear as `rights` allow.
pub async fn platform<L: Lifecycle>(
    s: &AppState,
    actor: &Actor,
    h: &RecordHandle,
    version: i64,
    status: L,
    rights: Rights,
    message: Option<String>,
) -> Result<Platform, AppError> {
    let transitions = if actor.may(rights.transition) {
        status.allowed_transitions().iter().map(|t| (t.as_str(), transition_label(status, *t))).collect()
    } else {
        Vec::new()
    };
    let discuss = platform::may_discuss(actor, h);
    let attachments = if discuss { platform::list_attachments(&s.app, actor, h).await? } else { Vec::new() };
    let attachments = attachments
        .into_iter()
        .map(|a| AttachmentItem { id: a.id, filename: a.filename, size: human_size(a.size_bytes) })
        .collect();
    let links = platform::list_links(&s.app, actor, h)
        .await?
        .into_iter()
        .map(|l| LinkItem {
            label: if l.outgoing { l.link_type.label() } else { incoming_label(l.link_type) },
            href: href(l.other.kind, &l.other.reference),
            reference: l.other.reference,
            title: l.other.title,
        })
        .collect();
    let link_types = LinkType::ALL
        .iter()
        .filter(|l| {
            !matches!(h.kind, RecordKind::Incident | RecordKind::Complaint) || l.dependency().is_none()
        })
        .map(|l| (l.as_str(), l.label()))
        .collect();
    Ok(Platform {
        base: href(h.kind, &h.reference),
        reference: h.reference.clone(),
        version,
        message,
        timeline: timeline::<L>(s, actor, h).await?,
        transitions,
        attachments,
        links,
        link_types,
        link_placeholder: match h.kind {
            RecordKind::ConfigurationItem | RecordKind::Service => "CI-000001 or SVC-000001",
            _ => "INC-000001",
        },
        can_edit: actor.may(rights.edit),
        can_discuss: discuss,
        can_comment: discuss && (actor.may(Action::CommentPublic) || actor.may(Action::CommentInternal)),
        can_internal: discuss && sees_internal(actor.role) && actor.may(Action::CommentInternal),
        can_attach: discuss && actor.may(Action::AttachmentAdd),
        can_link: actor.may(Action::LinkAdd),
    })
}

/// How a link reads from its target's side.
fn incoming_label(t: LinkType) -> &'static str {
    match t {
        LinkType::DependsOn => "needed by",
        LinkType::RunsOn => "hosts",
        LinkType::PartOf => "has part",
        LinkType::ConnectedTo => "connected to",
        LinkType::AffectsCi => "affected by",
        _ => "linked from",
    }
}

fn transition_label<L: Lifecycle>(from: L, to: L) -> String {
    // Moving back to an earlier state reads as reopening.
    let back = L::ALL.iter().position(|s| *s == to) < L::ALL.iter().position(|s| *s == from);
    if back && matches!(from.as_str(), "resolved" | "fulfilled") {
        "Reopen".into()
    } else {
        format!("Move to {}", to.label().to_lowercase())
    }
}

/// The routes every record kind's pages share, under `/{collection}/{key}/...`.
pub fn routes(router: Router<AppState>, kind: RecordKind) -> Router<AppState> {
    let base = format!("/{}/{{key}}", kind.collection());
    router
        .route(
            &format!("{base}/transitions"),
            post(move |s: State<AppState>, a: UiActor, p: Path<String>, f: Form<TransitionForm>| {
                transition(kind, s, a, p, f)
            }),
        )
        .route(
            &format!("{base}/comments"),
            post(move |s: State<AppState>, a: UiActor, p: Path<String>, f: Form<CommentForm>| {
                comment(kind, s, a, p, f)
            }),
        )
        .route(
            &format!("{base}/attachments"),
            post(move |s: State<AppState>, a: UiActor, p: Path<String>, m: Multipart| {
                attach(kind, s, a, p, m)
            }),
        )
        .route(
            &format!("{base}/attachments/{{id}}"),
            get(move |s: State<AppState>, a: UiActor, p: Path<(String, String)>| download(kind, s, a, p)),
        )
        .route(
            &format!("{base}/links"),
            post(move |s: State<AppState>, a: UiActor, p: Path<String>, f: Form<LinkForm>| {
                link(kind, s, a, p, f)
            }),
        )
}

/// After a failed action on a record page: the page again, with the reason on top.
pub async fn detail_again(s: &AppState, actor: &Actor, kind: RecordKind, key: &str, e: AppError) -> UiResult {
    let status = crate::problem::status_of(&e);
    let message = match &e {
        AppError::Validation(v) => {
            v.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        AppError::VersionMismatch { .. } => {
            format!("Someone else changed this {} meanwhile; here is the current state.", kind.label())
        }
        AppError::InvalidTransition(_) | AppError::Conflict { .. } | AppError::TooLarge { .. } => {
            e.to_string()
        }
        _ => return Err(e.into()),
    };
    let page = super::detail(s, actor, kind, key, Some(message)).await?;
    Ok((status, page).into_response())
}

fn back_to(kind: RecordKind, reference: &str) -> Response {
    Redirect::to(&href(kind, reference)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    to: String,
    version: Option<i64>,
    /// Incidents: why it waits, and how it was resolved.
    pending_reason: Option<String>,
    resolution_code: Option<String>,
    resolution_notes: Option<String>,
}

async fn transition(
    kind: RecordKind,
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<TransitionForm>,
) -> UiResult {
    let app = &s.app;
    let moved = match kind {
        RecordKind::Incident => {
            let m = trellis_app::incident::IncidentMove {
                to: f.to.clone(),
                pending_reason: f.pending_reason.clone(),
                resolution_code: f.resolution_code.clone(),
                resolution_notes: f.resolution_notes.clone(),
            };
            trellis_app::incident::transition(app, &actor, &key, m, f.version).await.map(|v| v.row.reference)
        }
        RecordKind::Service => trellis_app::service::transition(app, &actor, &key, &f.to, f.version)
            .await
            .map(|v| v.view.row.reference),
        RecordKind::ConfigurationItem => {
            trellis_app::ci::transition(app, &actor, &key, &f.to, f.version).await.map(|v| v.row.reference)
        }
        RecordKind::Complaint => trellis_app::complaint::transition(app, &actor, &key, &f.to, f.version)
            .await
            .map(|v| v.row.reference),
        RecordKind::Agreement => trellis_app::agreement::transition(app, &actor, &key, &f.to, f.version)
            .await
            .map(|d| d.view.row.reference),
        RecordKind::Supplier => trellis_app::supplier::transition(app, &actor, &key, &f.to, f.version)
            .await
            .map(|v| v.row.reference),
        RecordKind::Problem => trellis_app::problem::transition(app, &actor, &key, &f.to, f.version)
            .await
            .map(|v| v.row.reference),
        RecordKind::ServiceRequest => {
            trellis_app::service_request::transition(app, &actor, &key, &f.to, f.version)
                .await
                .map(|d| d.view.row.reference)
        }
        RecordKind::Article => trellis_app::article::transition(app, &actor, &key, &f.to, f.version)
            .await
            .map(|v| v.row.reference),
    };
    match moved {
        Ok(r) => Ok(back_to(kind, &r)),
        Err(e) => detail_again(&s, &actor, kind, &key, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct CommentForm {
    body: String,
    public: Option<String>,
}

async fn comment(
    kind: RecordKind,
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<CommentForm>,
) -> UiResult {
    let h = platform::resolve(&s.app, &actor, kind, &key).await?;
    // Customers only ever write public comments; staff choose, internal by default.
    let public = !actor.role.is_staff() || f.public.as_deref() == Some("true");
    match platform::add_comment(&s.app, &actor, &h, &f.body, public).await {
        Ok(_) => Ok(back_to(kind, &h.reference)),
        Err(e) => detail_again(&s, &actor, kind, &key, e).await,
    }
}

async fn attach(
    kind: RecordKind,
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    mut multipart: Multipart,
) -> UiResult {
    let h = platform::resolve(&s.app, &actor, kind, &key).await?;
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
            Ok(_) => Ok(back_to(kind, &h.reference)),
            Err(e) => detail_again(&s, &actor, kind, &key, e).await,
        };
    }
    detail_again(&s, &actor, kind, &key, ValidationErrors::single("file", "is required").into()).await
}

async fn download(
    kind: RecordKind,
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path((key, id)): Path<(String, String)>,
) -> UiResult {
    let h = platform::resolve(&s.app, &actor, kind, &key).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let (a, bytes) = platform::attachment_content(&s.app, &actor, &h, id).await?;
    Ok(crate::api::platform::download(&a.filename, &a.content_type, bytes))
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    link_type: String,
    target: String,
}

async fn link(
    kind: RecordKind,
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<LinkForm>,
) -> UiResult {
    let h = platform::resolve(&s.app, &actor, kind, &key).await?;
    match platform::add_link(&s.app, &actor, &h, &f.link_type, f.target.trim()).await {
        Ok(_) => Ok(back_to(kind, &h.reference)),
        Err(e) => detail_again(&s, &actor, kind, &key, e).await,
    }
}
