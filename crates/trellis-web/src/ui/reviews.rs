//! The reviews section of agreement, supplier and service pages, and the handlers that plan and
//! record reviews, written once for every reviewed kind.

use super::{UiActor, UiResult, form_uuid};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::post;
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::platform::{self, RecordHandle};
use trellis_app::review as app;
use trellis_app::{Actor, AppError};
use trellis_domain::access::Action;
use trellis_domain::record::RecordKind;
use trellis_domain::review::ReviewInput;
use trellis_domain::validation::ValidationErrors;

/// One review as a page shows it.
pub struct ReviewItem {
    pub id: String,
    pub version: i64,
    pub scheduled_on: String,
    pub held_on: String,
    pub outcome: String,
    pub actions: String,
    pub rating: String,
    pub customer: String,
    pub customer_id: String,
}

/// The reviews section of a record page.
pub struct Reviews {
    pub base: String,
    pub items: Vec<ReviewItem>,
    pub can_manage: bool,
    /// Supplier reviews rate performance.
    pub rated: bool,
    /// Service reviews are held with a customer: (id, name) choices.
    pub customers: Vec<(String, String)>,
}

pub async fn section(
    s: &AppState,
    actor: &Actor,
    on: &RecordHandle,
    customers: Vec<(String, String)>,
) -> Result<Reviews, AppError> {
    let items = app::list(&s.app, actor, on)
        .await?
        .into_iter()
        .map(|v| {
            let r = v.row;
            ReviewItem {
                id: r.id.to_string(),
                version: r.version,
                scheduled_on: r.scheduled_on,
                held_on: r.held_on.unwrap_or_default(),
                outcome: r.outcome,
                actions: r.actions,
                rating: r.rating.map(|x| format!("{x}/5")).unwrap_or_default(),
                customer: v.customer_name.unwrap_or_default(),
                customer_id: r.customer_id.map(|c| c.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Reviews {
        base: super::record::href(on.kind, &on.reference),
        items,
        can_manage: actor.may(Action::AgreementManage),
        rated: on.kind == RecordKind::Supplier,
        customers,
    })
}

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    review_id: String,
    version: Option<i64>,
    #[serde(default)]
    scheduled_on: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    actions: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    customer_id: String,
}

/// Plans a review, or records one (the form names the review and its version).
async fn save(kind: RecordKind, s: AppState, actor: Actor, key: String, f: ReviewForm) -> UiResult {
    let on = platform::resolve(&s.app, &actor, kind, &key).await?;
    let mut errors = Vec::new();
    let customer_id = form_uuid(&mut errors, "customer_id", &f.customer_id);
    let review_id = form_uuid(&mut errors, "review_id", &f.review_id);
    let input = ReviewInput {
        scheduled_on: f.scheduled_on,
        held_on: f.held_on,
        outcome: f.outcome,
        actions: f.actions,
        rating: f.rating,
    };
    let result = match (review_id, f.version) {
        _ if !errors.is_empty() => Err(ValidationErrors(errors).into()),
        (None, _) => app::add(&s.app, &actor, &on, customer_id, input).await,
        (Some(id), Some(v)) => app::update(&s.app, &actor, &on, id, v, customer_id, input).await,
        (Some(_), None) => Err(ValidationErrors::single("version", "is required").into()),
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("{}#reviews", super::record::href(kind, &on.reference))).into_response())
        }
        Err(e) => super::record::detail_again(&s, &actor, kind, &key, e).await,
    }
}

/// `POST /<collection>/{key}/reviews` for every reviewed kind.
pub fn routes(router: Router<AppState>) -> Router<AppState> {
    [RecordKind::Agreement, RecordKind::Supplier, RecordKind::Service].into_iter().fold(router, |r, kind| {
        r.route(
            &format!("/{}/{{key}}/reviews", kind.collection()),
            post(
                move |State(s): State<AppState>,
                      UiActor(a): UiActor,
                      Path(key): Path<String>,
                      Form(f): Form<ReviewForm>| { save(kind, s, a, key, f) },
            ),
        )
    })
}
