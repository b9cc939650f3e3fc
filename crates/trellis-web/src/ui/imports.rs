//! The CSV import pages: choose a file and a kind (with a dry run), then watch the progress and
//! read the report.

use super::{Nav, UiActor, UiResult, choices, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use std::sync::atomic::Ordering;
use trellis_app::AppError;
use trellis_app::import::{self as app, Job};
use trellis_domain::import::ImportKind;
use uuid::Uuid;

pub struct JobItem {
    pub id: String,
    pub kind: &'static str,
    pub file_name: String,
    pub dry_run: bool,
    pub started: String,
    pub total: usize,
    pub checked: usize,
    pub imported: usize,
    pub running: bool,
    /// Why it failed outright (not bad rows: those are in `problems`).
    pub failure: Option<String>,
    pub problems: Vec<(u64, String, String)>,
    pub made: Vec<String>,
}

fn item(j: &Job) -> JobItem {
    let outcome = j.outcome();
    let (failure, problems, made) = match &outcome {
        Some(Ok(r)) => (
            None,
            r.problems.iter().map(|p| (p.line, p.column.clone(), p.message.clone())).collect(),
            r.imported.clone(),
        ),
        Some(Err(e)) => (Some(e.clone()), Vec::new(), Vec::new()),
        None => (None, Vec::new(), Vec::new()),
    };
    JobItem {
        id: j.id.to_string(),
        kind: j.kind.label(),
        file_name: j.file_name.clone(),
        dry_run: j.dry_run,
        started: j.started_at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        total: j.progress.total.load(Ordering::Relaxed),
        checked: j.progress.checked.load(Ordering::Relaxed),
        imported: j.progress.imported.load(Ordering::Relaxed),
        running: outcome.is_none(),
        failure,
        problems,
        made,
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ListPage {
    nav: Option<Nav>,
    kinds: Vec<(String, String)>,
    jobs: Vec<JobItem>,
    error: Option<String>,
}

pub async fn list(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    let jobs = s.app.imports.mine(&actor).iter().map(|j| item(j)).collect();
    Ok(render(&ListPage {
        nav: Nav::new(&actor, "imports"),
        kinds: choices::<ImportKind>(),
        jobs,
        error: None,
    }))
}

/// Starts an import from the uploaded file and shows its progress.
pub async fn start(State(s): State<AppState>, UiActor(actor): UiActor, mut multipart: Multipart) -> UiResult {
    let (mut kind, mut text, mut file_name, mut dry_run) =
        (String::new(), String::new(), String::new(), false);
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            file_name = field.file_name().unwrap_or("upload.csv").to_owned();
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "kind" => kind = value,
            "file" => text = value,
            "dry_run" => dry_run = value == "true",
            _ => {}
        }
    }
    let again = |error: &str| ListPage {
        nav: Nav::new(&actor, "imports"),
        kinds: choices::<ImportKind>(),
        jobs: s.app.imports.mine(&actor).iter().map(|j| item(j)).collect(),
        error: Some(error.to_owned()),
    };
    let Some(kind) = ImportKind::parse(&kind) else {
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            render(&again("Choose what the file holds.")),
        )
            .into_response());
    };
    if text.trim().is_empty() {
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            render(&again("Choose a CSV file to import.")),
        )
            .into_response());
    }
    let job = app::start(&s.app, actor.clone(), kind, text, file_name, dry_run)?;
    Ok(Redirect::to(&format!("/imports/{}", job.id)).into_response())
}

#[derive(Template)]
#[template(path = "import.html")]
struct JobPage {
    nav: Option<Nav>,
    j: JobItem,
}

pub async fn show(State(s): State<AppState>, UiActor(actor): UiActor, Path(id): Path<String>) -> UiResult {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let job = s.app.imports.get(&actor, id).ok_or(AppError::NotFound)?;
    Ok(render(&JobPage { nav: Nav::new(&actor, "imports"), j: item(&job) }))
}
