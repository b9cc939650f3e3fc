//! Notifications: who is told of what, in-app and by mail.
//!
//! An event's notifications are written in the transaction of the event itself: one in-app
//! notification per recipient and, for a recipient with an address, one outbox message with a
//! `mail.send` job. The job worker delivers the mail afterwards; a request never talks to the
//! SMTP server. The dedupe key (event + recipient) makes a repeated event a no-op.

mod incident;

pub(crate) use incident::{
    escalation_managers, holders, incident_assigned, incident_commented, incident_resolved, incident_vars,
    tell,
};

use crate::{Actor, App, AppError, settings};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};
use trellis_domain::access::Action;
use trellis_domain::notification::{NotificationKind, Template};
use trellis_domain::validation::ValidationErrors;
use trellis_store::identity::UserRow;
use trellis_store::notify::{self as store, NotificationRow, OutboxRow};
use trellis_store::{Conn, jobs, micros};
use uuid::Uuid;

/// The job that delivers one outbox message.
pub const MAIL_JOB: &str = "mail.send";

/// Deliveries tried before a message is given up (about an hour with the worker's back-off).
const MAIL_ATTEMPTS: i64 = 8;

const SUBJECT_MAX: usize = 500;
const BODY_MAX: usize = 20_000;

fn template_key(kind: NotificationKind) -> String {
    format!("notification_template.{}", kind.as_str())
}

/// One event to tell people of.
pub(crate) struct Notice {
    pub kind: NotificationKind,
    pub record_id: Uuid,
    pub record_ref: String,
    /// Names the event among the record's events (with the kind, the record and the recipient,
    /// the dedupe key).
    pub event: String,
    /// The template's variables, without `recipient` (added per recipient).
    pub vars: Value,
}

impl Notice {
    /// A notice of what `actor` did to a record: the record's variables, the actor's name and
    /// the kind's own variables (`extra`, an object) merged into one.
    pub fn about(
        kind: NotificationKind,
        (record_id, record_ref): (Uuid, &str),
        event: String,
        record: Value,
        actor: &Actor,
        extra: Value,
    ) -> Notice {
        let mut vars = json!({"actor": {"name": actor.display_name}});
        vars["record"] = record;
        if let (Some(base), Value::Object(extra)) = (vars.as_object_mut(), extra) {
            base.extend(extra);
        }
        Notice { kind, record_id, record_ref: record_ref.to_owned(), event, vars }
    }
}

/// The template in force for `kind` and its version (0: the built-in words).
async fn template(c: &mut Conn<'_>, kind: NotificationKind) -> Result<(Template, i64), AppError> {
    Ok(settings::read(c, &template_key(kind)).await?.unwrap_or_else(|| (kind.default_template(), 0)))
}

/// Tells each recipient (once, skipping the actor and inactive users) of the notice; returns
/// how many were told.
pub(crate) async fn send(
    c: &mut Conn<'_>,
    notice: &Notice,
    recipients: &[UserRow],
    skip: Option<Uuid>,
    now: Timestamp,
) -> Result<usize, AppError> {
    let (tpl, _) = template(c, notice.kind).await?;
    let mut told = 0;
    let mut seen = Vec::new();
    for user in recipients {
        if !user.active || Some(user.id) == skip || seen.contains(&user.id) {
            continue;
        }
        seen.push(user.id);
        let mut vars = notice.vars.clone();
        vars["recipient"] = json!({"name": user.display_name, "email": user.email});
        let rendered = trellis_mail::render(&tpl.subject, &tpl.body, &vars).or_else(|e| {
            // Templates are checked when saved; a variable the event lacks falls back to the
            // built-in words rather than leaving the recipient untold.
            tracing::warn!(kind = notice.kind.as_str(), error = %e, "notification template failed; using the default");
            let d = notice.kind.default_template();
            trellis_mail::render(&d.subject, &d.body, &vars)
        });
        let rendered = rendered.map_err(|e| AppError::Internal(format!("default template: {e}")))?;
        let n = NotificationRow {
            id: Uuid::now_v7(),
            user_id: user.id,
            kind: notice.kind.as_str().into(),
            record_id: Some(notice.record_id),
            record_ref: notice.record_ref.clone(),
            subject: rendered.subject,
            body: rendered.body,
            dedupe_key: format!("{}:{}:{}:{}", notice.kind.as_str(), notice.record_id, notice.event, user.id),
            created_at: micros(now),
            read_at: None,
        };
        if !store::insert_notification(c, &n).await? {
            continue;
        }
        told += 1;
        if user.email.is_empty() {
            continue;
        }
        let mail = OutboxRow {
            id: Uuid::now_v7(),
            notification_id: n.id,
            to_address: user.email.clone(),
            to_name: user.display_name.clone(),
            subject: n.subject,
            body: n.body,
            status: store::status::QUEUED.into(),
            attempts: 0,
            last_error: None,
            created_at: micros(now),
            sent_at: None,
        };
        let job = jobs::schedule(
            MAIL_JOB,
            &format!("{MAIL_JOB}:{}", mail.id),
            &mail.id.to_string(),
            micros(now),
            micros(now),
        );
        c.execute_batch(vec![store::insert_outbox(&mail), job]).await?;
    }
    Ok(told)
}

/// The `mail.send` job: delivers one outbox message. The attempt is recorded whether or not the
/// lease is still held: a message that went out is marked sent, so a process taking the job over
/// finds nothing left to do. Delivery is exactly once unless a process dies between the SMTP
/// server accepting a message and this record; the message then goes again with the same
/// Message-ID, by which receiving systems recognise it.
pub(crate) async fn deliver(app: &App, job: &jobs::JobRow, owner: &str) -> Result<(), AppError> {
    let id: Uuid = job.payload.parse().map_err(|_| AppError::Internal(format!("job {}: payload", job.id)))?;
    let row = store::get_outbox(&mut app.db.read(), id).await?;
    let outcome = match (&row, &app.mailer) {
        (Some(r), _) if r.status != store::status::QUEUED => None,
        (None, _) => None,
        (Some(_), None) => Some(Err((true, "no SMTP server is configured (set smtp_url)".to_owned()))),
        (Some(r), Some(mailer)) => {
            let mail = trellis_mail::Mail {
                to_address: r.to_address.clone(),
                to_name: r.to_name.clone(),
                subject: r.subject.clone(),
                body: r.body.clone(),
                message_id: format!("<{}@trellis>", r.id),
            };
            Some(mailer.send(&mail).await.map_err(|e| (e.is_permanent(), e.to_string())))
        }
    };
    let now = micros(app.now());
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let failed = match &outcome {
        Some(Ok(())) => {
            c.execute(store::record_attempt(id, now, None, false)).await?;
            None
        }
        Some(Err((permanent, error))) => {
            let give_up = *permanent || job.attempts >= MAIL_ATTEMPTS;
            c.execute(store::record_attempt(id, now, Some(error), give_up)).await?;
            (!give_up).then(|| error.clone())
        }
        None => None,
    };
    if failed.is_none() {
        jobs::release(&mut c, job, owner, None, now).await?;
    }
    tx.commit().await?;
    match failed {
        // Left to the worker's back-off for another attempt.
        Some(e) => Err(AppError::Internal(format!("mail {id}: {e}"))),
        None => Ok(()),
    }
}

/// A notification as its recipient reads it.
pub type NotificationView = NotificationRow;

/// The actor's notifications, newest first (at most `limit`), and how many are unread.
pub async fn list(
    app: &App,
    actor: &Actor,
    unread_only: bool,
    limit: i64,
) -> Result<(Vec<NotificationView>, i64), AppError> {
    let user = signed_in(actor)?;
    let mut c = app.db.read();
    let items = store::list_notifications(&mut c, user, unread_only, limit.clamp(1, 200)).await?;
    let unread = store::count_unread(&mut c, user).await?;
    Ok((items, unread))
}

/// How many of the actor's notifications are unread (for the page header).
pub async fn unread_count(app: &App, actor: &Actor) -> Result<i64, AppError> {
    Ok(store::count_unread(&mut app.db.read(), signed_in(actor)?).await?)
}

/// Marks one notification read (None: all of them). Another user's notification is not found.
pub async fn mark_read(app: &App, actor: &Actor, id: Option<Uuid>) -> Result<u64, AppError> {
    let user = signed_in(actor)?;
    if let Some(id) = id
        && store::get_notification(&mut app.db.read(), user, id).await?.is_none()
    {
        return Err(AppError::NotFound);
    }
    let mut tx = app.db.begin().await?;
    let n = tx.conn().execute(store::mark_read(user, id, micros(app.now()))).await?;
    tx.commit().await?;
    Ok(n)
}

fn signed_in(actor: &Actor) -> Result<Uuid, AppError> {
    actor.journal_id().ok_or(AppError::Forbidden)
}

/// A notification template as an administrator edits it.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateView {
    pub kind: NotificationKind,
    pub label: &'static str,
    pub subject: String,
    pub body: String,
    /// 0 while the built-in words are in force.
    pub version: i64,
    /// Variables like those the kind is given.
    pub variables: Value,
}

async fn template_view(c: &mut Conn<'_>, kind: NotificationKind) -> Result<TemplateView, AppError> {
    let (t, version) = template(c, kind).await?;
    Ok(TemplateView {
        kind,
        label: kind.label(),
        subject: t.subject,
        body: t.body,
        version,
        variables: kind.sample_vars(),
    })
}

pub async fn templates(app: &App, actor: &Actor) -> Result<Vec<TemplateView>, AppError> {
    actor.require(Action::SettingsManage)?;
    let mut c = app.db.read();
    let mut out = Vec::new();
    for kind in NotificationKind::ALL {
        out.push(template_view(&mut c, *kind).await?);
    }
    Ok(out)
}

fn parse_kind(kind: &str) -> Result<NotificationKind, AppError> {
    NotificationKind::parse(kind).ok_or(AppError::NotFound)
}

pub async fn get_template(app: &App, actor: &Actor, kind: &str) -> Result<TemplateView, AppError> {
    actor.require(Action::SettingsManage)?;
    template_view(&mut app.db.read(), parse_kind(kind)?).await
}

/// Replaces a template if it is still at `expected_version`. It must render with the kind's
/// variables: an unknown variable or a syntax error is refused, naming the field and the line.
pub async fn put_template(
    app: &App,
    actor: &Actor,
    kind: &str,
    expected_version: i64,
    template: Template,
) -> Result<TemplateView, AppError> {
    actor.require(Action::SettingsManage)?;
    let kind = parse_kind(kind)?;
    let mut errors = ValidationErrors::default();
    let subject = errors.text("subject", template.subject.trim(), SUBJECT_MAX);
    let body = errors.text("body", &template.body, BODY_MAX);
    if subject.is_empty() {
        errors.add("subject", "is required");
    }
    if body.trim().is_empty() {
        errors.add("body", "is required");
    }
    errors.into_result()?;
    if let Err(e) = trellis_mail::render(&subject, &body, &kind.sample_vars()) {
        return Err(ValidationErrors::single(e.field, e.message).into());
    }
    settings::write(app, actor, &template_key(kind), expected_version, &Template { subject, body }).await?;
    template_view(&mut app.db.read(), kind).await
}

/// The newest outbox messages with their delivery state (administrators).
pub async fn outbox(app: &App, actor: &Actor, limit: i64) -> Result<Vec<OutboxRow>, AppError> {
    actor.require(Action::SettingsManage)?;
    Ok(store::recent_outbox(&mut app.db.read(), limit.clamp(1, 500)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_renders_with_its_variables() {
        for kind in NotificationKind::ALL {
            let t = kind.default_template();
            let r = trellis_mail::render(&t.subject, &t.body, &kind.sample_vars())
                .unwrap_or_else(|e| panic!("{}: {e}", kind.as_str()));
            assert!(r.subject.contains("INC-000042"), "{}: {}", kind.as_str(), r.subject);
            assert!(r.body.contains("https://trellis.example/incidents/INC-000042"), "{}", r.body);
        }
    }
}
