//! The agent's workspace around the work lists: saved filters (a bar on the incident, request
//! and problem lists, and a page to manage them) and bulk changes to incidents.

use super::{FormErrors, Nav, UiActor, UiResult, opt_uuid, render};
use crate::api::incidents::{BulkResult, bulk_result};
use crate::api::saved_filters::{check_query, page_url};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::bulk::BulkChange;
use trellis_app::incident::IncidentMove;
use trellis_app::{Actor, AppError, saved_filter as app};
use trellis_domain::saved_filter::{SavedList, normalise_query};
use trellis_domain::validation::FieldError;
use uuid::Uuid;

/// A saved filter as a link.
pub struct SavedLink {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    /// The list is showing exactly this filter now.
    pub current: bool,
}

/// The saved-filters bar of a list page.
pub struct SavedBar {
    pub list: &'static str,
    /// The list's current query (cursor dropped), which "Save" keeps.
    pub query: String,
    pub items: Vec<SavedLink>,
}

/// The bar for `list` as the actor sees it with the list showing `raw_query`.
pub async fn saved_bar(
    s: &AppState,
    actor: &Actor,
    list: SavedList,
    raw_query: Option<&str>,
) -> Result<SavedBar, AppError> {
    let query = normalise_query(raw_query.unwrap_or_default());
    let items = app::list(&s.app, actor, list)
        .await?
        .into_iter()
        .map(|r| SavedLink {
            id: r.id,
            current: r.query == query,
            url: page_url(&r.list, &r.query),
            name: r.name,
        })
        .collect();
    Ok(SavedBar { list: list.as_str(), query, items })
}

#[derive(Template)]
#[template(path = "saved_filters.html")]
struct ManagePage {
    nav: Option<Nav>,
    /// List label, and its filters.
    groups: Vec<(&'static str, Vec<SavedLink>)>,
    /// The save form, shown again after a failed save.
    form: Option<SaveForm>,
    errors: FormErrors,
}

impl ManagePage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.err(field)
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
pub struct SaveForm {
    #[serde(default)]
    list: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

fn label(list: SavedList) -> &'static str {
    match list {
        SavedList::Incidents => "Incidents",
        SavedList::ServiceRequests => "Service requests",
        SavedList::Problems => "Problems",
    }
}

async fn manage_page(
    s: &AppState,
    actor: &Actor,
    form: Option<SaveForm>,
    errors: FormErrors,
) -> Result<ManagePage, AppError> {
    let rows = app::list_all(&s.app, actor).await?;
    let groups = SavedList::ALL
        .into_iter()
        .filter(|l| actor.may(l.read_action()))
        .map(|l| {
            let links = rows
                .iter()
                .filter(|r| r.list == l.as_str())
                .map(|r| SavedLink {
                    id: r.id,
                    name: r.name.clone(),
                    url: page_url(&r.list, &r.query),
                    current: false,
                })
                .collect();
            (label(l), links)
        })
        .collect();
    Ok(ManagePage { nav: Nav::new(actor, "incidents"), groups, form, errors })
}

/// `/saved-filters`: the actor's filters of every list, to open or delete.
pub async fn manage(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    Ok(render(&manage_page(&s, &actor, None, FormErrors::default()).await?))
}

/// Saves the list's current filter under a name, then opens it; a bad name or query shows the
/// save form again with the message.
pub async fn save(State(s): State<AppState>, UiActor(actor): UiActor, Form(f): Form<SaveForm>) -> UiResult {
    let outcome = match SavedList::parse(&f.list) {
        None => Err(AppError::Validation(trellis_domain::validation::ValidationErrors::single(
            "list",
            "is not a list",
        ))),
        Some(list) => match check_query(list, &f.query) {
            Err(p) => {
                let mut errors = FormErrors { message: Some(p.0.detail.clone()), fields: Vec::new() };
                errors.fields.push(FieldError { field: "query".into(), message: p.0.detail });
                let page = manage_page(&s, &actor, Some(f), errors).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
            }
            Ok(()) => app::create(&s.app, &actor, list, &f.name, &f.query).await,
        },
    };
    match outcome {
        Ok(row) => Ok(Redirect::to(&page_url(&row.list, &row.query)).into_response()),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "filter")?;
            let page = manage_page(&s, &actor, Some(f), errors).await?;
            Ok((status, render(&page)).into_response())
        }
    }
}

/// Deletes one of the actor's filters and shows the rest.
pub async fn delete(State(s): State<AppState>, UiActor(actor): UiActor, Path(id): Path<Uuid>) -> UiResult {
    app::delete(&s.app, &actor, id).await?;
    Ok(Redirect::to("/saved-filters").into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct BulkForm {
    /// The incidents ticked.
    #[serde(default, rename = "ref")]
    refs: Vec<String>,
    /// `assign` or `move`: the button pressed.
    #[serde(default)]
    op: String,
    /// "" keeps, "none" clears, else a team id.
    #[serde(default)]
    team: String,
    /// "" keeps, "none" unassigns, "me", else a user id.
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    pending_reason: String,
    #[serde(default)]
    resolution_code: String,
    #[serde(default)]
    resolution_notes: String,
    /// The list to go back to.
    #[serde(default)]
    back: String,
}

#[derive(Template)]
#[template(path = "incident_bulk.html")]
struct BulkPage {
    nav: Option<Nav>,
    result: Option<BulkResult>,
    message: Option<String>,
    back: String,
}

/// A keep / clear / set choice of the bulk form.
fn pick(value: &str, me: Uuid) -> Result<Option<Option<Uuid>>, ()> {
    match value.trim() {
        "" => Ok(None),
        "none" => Ok(Some(None)),
        "me" => Ok(Some(Some(me))),
        v => opt_uuid(v).map(Some).map_err(|_| ()),
    }
}

/// `POST /incidents/bulk`: the change applied to each incident ticked, and what became of each.
pub async fn bulk_incidents(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<BulkForm>,
) -> UiResult {
    // Only a path back into the incident list: the field comes from the page but could be edited.
    let back = if f.back.starts_with("/incidents") && !f.back.starts_with("//") {
        f.back.clone()
    } else {
        "/incidents".into()
    };
    let mut page = BulkPage { nav: Nav::new(&actor, "incidents"), result: None, message: None, back };
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let change = match f.op.as_str() {
        "assign" => match (pick(&f.team, actor.user_id), pick(&f.assignee, actor.user_id)) {
            (Ok(team_id), Ok(assignee_id)) => Some(BulkChange::Assign { team_id, assignee_id }),
            _ => {
                page.message = Some("The team or assignee chosen is not one of the choices.".into());
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
            }
        },
        "move" => Some(BulkChange::Move(IncidentMove {
            to: f.to.clone(),
            pending_reason: opt(&f.pending_reason),
            resolution_code: opt(&f.resolution_code),
            resolution_notes: opt(&f.resolution_notes),
        })),
        _ => None,
    };
    let Some(change) = change else {
        page.message = Some("Choose an assignment or a state to move to.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    };
    match trellis_app::bulk::incidents(&s.app, &actor, &f.refs, &change).await {
        Ok(outcomes) => {
            page.result = Some(bulk_result(outcomes));
            Ok(render(&page))
        }
        Err(AppError::Validation(v)) => {
            let reason = v.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; ");
            page.message = Some(format!("Nothing was changed: {reason}."));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
