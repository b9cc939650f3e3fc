//! Baseline pages (take one, compare one with today) and the configuration audit page.

use super::{FormErrors, Nav, UiActor, UiResult, customer_choices, form_uuid, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::baseline::{self as app, Finding, Selection};
use trellis_app::{Actor, AppError, ci};
use trellis_domain::access::Action;
use trellis_domain::validation::ValidationErrors;
use uuid::Uuid;

pub struct BaselineItem {
    pub id: String,
    pub name: String,
    pub description: String,
    pub taken_at: String,
    pub items: i64,
}

#[derive(Debug, Deserialize, Default)]
pub struct BaselineForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    ci_type_id: String,
    #[serde(default)]
    customer_id: String,
}

#[derive(Template)]
#[template(path = "baselines.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<BaselineItem>,
    can_take: bool,
    types: Vec<(String, String)>,
    customers: Vec<(String, String)>,
    f: BaselineForm,
    errors: FormErrors,
}

async fn list_page(
    s: &AppState,
    actor: &Actor,
    f: BaselineForm,
    errors: FormErrors,
) -> Result<ListPage, AppError> {
    let items = app::list(&s.app, actor)
        .await?
        .into_iter()
        .map(|b| BaselineItem {
            id: b.id.to_string(),
            name: b.name,
            description: b.description,
            taken_at: super::short_time(b.taken_at),
            items: b.item_count,
        })
        .collect();
    Ok(ListPage {
        nav: Nav::new(actor, "cis"),
        items,
        can_take: actor.may(Action::ConfigurationManage),
        types: ci::list_types(&s.app, actor)
            .await?
            .into_iter()
            .map(|t| (t.row.id.to_string(), t.row.name))
            .collect(),
        customers: customer_choices(s, actor).await?.into_iter().map(|(id, n)| (id.to_string(), n)).collect(),
        f,
        errors,
    })
}

pub async fn list(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    Ok(render(&list_page(&s, &actor, BaselineForm::default(), FormErrors::default()).await?))
}

pub async fn take(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<BaselineForm>,
) -> UiResult {
    let mut errors = Vec::new();
    let selection = Selection {
        ci_type_id: form_uuid(&mut errors, "ci_type_id", &f.ci_type_id),
        customer_id: form_uuid(&mut errors, "customer_id", &f.customer_id),
    };
    let result = if errors.is_empty() {
        app::take(&s.app, &actor, &f.name, &f.description, selection).await
    } else {
        Err(ValidationErrors(errors).into())
    };
    match result {
        Ok(b) => Ok(Redirect::to(&format!("/baselines/{}", b.id)).into_response()),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "baseline")?;
            Ok((status, render(&list_page(&s, &actor, f, errors).await?)).into_response())
        }
    }
}

pub struct ChangedItem {
    pub reference: String,
    pub name: String,
    pub differences: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "baseline.html")]
struct ComparisonPage {
    nav: Option<Nav>,
    name: String,
    description: String,
    taken_at: String,
    items: i64,
    unchanged: usize,
    changed: Vec<ChangedItem>,
    left: Vec<(String, String)>,
    added: Vec<(String, String)>,
}

/// A JSON value as a person reads it.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) if s.is_empty() => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) if a.is_empty() => "—".into(),
        serde_json::Value::Array(a) => a.iter().map(shown).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

pub async fn show(State(s): State<AppState>, UiActor(actor): UiActor, Path(id): Path<String>) -> UiResult {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let c = app::compare(&s.app, &actor, id).await?;
    Ok(render(&ComparisonPage {
        nav: Nav::new(&actor, "cis"),
        name: c.baseline.name.clone(),
        description: c.baseline.description.clone(),
        taken_at: super::short_time(c.baseline.taken_at),
        items: c.baseline.item_count,
        unchanged: c.unchanged,
        changed: c
            .changed
            .into_iter()
            .map(|ch| ChangedItem {
                reference: ch.reference,
                name: ch.name,
                differences: ch
                    .differences
                    .iter()
                    .map(|d| (d.field.clone(), shown(&d.then), shown(&d.now)))
                    .collect(),
            })
            .collect(),
        left: c.left,
        added: c.added,
    }))
}

#[derive(Template)]
#[template(path = "config_audit.html")]
struct AuditPage {
    nav: Option<Nav>,
    days: i64,
    checked: usize,
    sections: Vec<(&'static str, &'static str, Vec<Finding>)>,
}

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    unverified_days: Option<i64>,
}

pub async fn audit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Query(q): Query<AuditQuery>,
) -> UiResult {
    let a = app::audit(&s.app, &actor, q.unverified_days.unwrap_or(90)).await?;
    Ok(render(&AuditPage {
        nav: Nav::new(&actor, "cis"),
        days: a.unverified_days,
        checked: a.checked,
        sections: vec![
            ("schema", "Failing their type's schema", a.schema_failures),
            ("unverified", "Not verified recently", a.unverified),
            ("orphaned", "Supporting no service", a.orphaned),
        ],
    }))
}
