//! Pages: my notifications (and the unread badge of the top bar); notification templates and the
//! mail outbox for administrators.

use super::{FormErrors, Nav, UiActor, UiResult, render, short_time};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect};
use serde::Deserialize;
use trellis_app::notify::{self, TemplateView};
use trellis_app::{Actor, AppError};
use trellis_domain::notification::Template as Words;
use uuid::Uuid;

struct Item {
    id: Uuid,
    record_ref: String,
    /// The record's page (empty when the reference names no known kind).
    href: String,
    subject: String,
    body: String,
    at: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    nav: Option<Nav>,
    items: Vec<Item>,
    unread: i64,
}

pub async fn list(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    let (items, unread) = notify::list(&s.app, &actor, false, 100).await?;
    let items = items
        .into_iter()
        .map(|n| Item {
            id: n.id,
            href: trellis_domain::record::RecordKind::of_reference(&n.record_ref)
                .map_or_else(String::new, |k| super::record::href(k, &n.record_ref)),
            record_ref: n.record_ref,
            subject: n.subject,
            body: n.body,
            at: short_time(n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    Ok(render(&NotificationsPage { nav: Nav::new(&actor, "notifications"), items, unread }))
}

/// The unread count shown next to "Notifications" in the top bar (loaded after the page).
pub async fn badge(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    let n = notify::unread_count(&s.app, &actor).await?;
    let html =
        if n > 0 { format!("<span class=\"badge\" title=\"unread\">{n}</span>") } else { String::new() };
    Ok(Html(html).into_response())
}

pub async fn read(State(s): State<AppState>, UiActor(actor): UiActor, Path(id): Path<Uuid>) -> UiResult {
    notify::mark_read(&s.app, &actor, Some(id)).await?;
    Ok(Redirect::to("/notifications").into_response())
}

pub async fn read_all(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    notify::mark_read(&s.app, &actor, None).await?;
    Ok(Redirect::to("/notifications").into_response())
}

struct Mail {
    to: String,
    subject: String,
    status: String,
    attempts: i64,
    error: String,
    at: String,
}

#[derive(Template)]
#[template(path = "admin_notifications.html")]
struct TemplatesPage {
    nav: Option<Nav>,
    templates: Vec<(TemplateView, String)>,
    outbox: Vec<Mail>,
    /// The template whose form failed, with its errors.
    failed: Option<(String, FormErrors)>,
}

impl TemplatesPage {
    fn err(&self, kind: &str, field: &str) -> Option<&str> {
        self.failed.as_ref().filter(|(k, _)| k == kind).and_then(|(_, e)| e.err(field))
    }

    fn message(&self, kind: &str) -> Option<&str> {
        self.failed.as_ref().filter(|(k, _)| k == kind).and_then(|(_, e)| e.message.as_deref())
    }
}

async fn templates_page(s: &AppState, actor: &Actor) -> Result<TemplatesPage, AppError> {
    let templates = notify::templates(&s.app, actor)
        .await?
        .into_iter()
        .map(|t| {
            let vars = serde_json::to_string_pretty(&t.variables).unwrap_or_default();
            (t, vars)
        })
        .collect();
    let outbox = notify::outbox(&s.app, actor, 50)
        .await?
        .into_iter()
        .map(|m| Mail {
            to: m.to_address,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            error: m.last_error.unwrap_or_default(),
            at: short_time(m.created_at),
        })
        .collect();
    Ok(TemplatesPage { nav: Nav::new(actor, "admin"), templates, outbox, failed: None })
}

pub async fn templates(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    Ok(render(&templates_page(&s, &actor).await?))
}

#[derive(Debug, Deserialize)]
pub struct TemplateForm {
    subject: String,
    body: String,
    version: i64,
}

pub async fn save_template(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(kind): Path<String>,
    Form(f): Form<TemplateForm>,
) -> UiResult {
    let words = Words { subject: f.subject.clone(), body: f.body.clone() };
    match notify::put_template(&s.app, &actor, &kind, f.version, words).await {
        Ok(_) => Ok(Redirect::to("/admin/notifications").into_response()),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "template")?;
            let mut page = templates_page(&s, &actor).await?;
            // Show what was typed, so nothing is lost.
            if let Some((t, _)) = page.templates.iter_mut().find(|(t, _)| t.kind.as_str() == kind) {
                t.subject = f.subject;
                t.body = f.body;
                t.version = f.version;
            }
            page.failed = Some((kind, errors));
            Ok((status, render(&page)).into_response())
        }
    }
}
