//! `/reviews` under agreements, suppliers and services, written once.
//! [`review_routes!`](crate::review_routes) gives each kind its own documented routes.

use super::dto::{Items, Named, rfc3339};
use super::{created, with_etag};
use crate::problem::ApiResult;
use crate::state::AppState;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_app::Actor;
use trellis_app::review as app;
use trellis_app::views::ReviewView;
use trellis_domain::record::RecordKind;
use trellis_domain::review::ReviewInput;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8f3c-0000-7000-8000-0000000000e1", "scheduled_on": "2026-11-20", "held_on": "2026-11-20",
    "outcome": "Targets met; P2 response close to the limit.", "actions": "Add a second on-call engineer.",
    "rating": null, "customer": null, "version": 2}))]
pub struct Review {
    pub id: Uuid,
    pub scheduled_on: String,
    /// Null until the review is held.
    pub held_on: Option<String>,
    pub outcome: String,
    pub actions: String,
    /// Supplier performance reviews: 1 (poor) to 5 (excellent).
    pub rating: Option<i64>,
    /// Service reviews: the customer it was held with.
    pub customer: Option<Named>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub fn review_dto(v: ReviewView) -> Review {
    let r = v.row;
    Review {
        id: r.id,
        scheduled_on: r.scheduled_on,
        held_on: r.held_on,
        outcome: r.outcome,
        actions: r.actions,
        rating: r.rating,
        customer: super::dto::named(r.customer_id, v.customer_name),
        version: r.version,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scheduled_on": "2026-12-01"}))]
pub struct ReviewFields {
    /// YYYY-MM-DD.
    pub scheduled_on: String,
    /// YYYY-MM-DD, not in the future; a held review needs its `outcome`.
    pub held_on: Option<String>,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub actions: String,
    pub rating: Option<i64>,
    /// Service reviews only: a customer who receives the service.
    pub customer_id: Option<Uuid>,
}

fn input_of(b: ReviewFields) -> (Option<Uuid>, ReviewInput) {
    let input = ReviewInput {
        scheduled_on: b.scheduled_on,
        held_on: b.held_on.unwrap_or_default(),
        outcome: b.outcome,
        actions: b.actions,
        rating: b.rating.map(|r| r.to_string()).unwrap_or_default(),
    };
    (b.customer_id, input)
}

pub async fn list(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
) -> ApiResult<axum::Json<Items<Review>>> {
    let on = super::platform::handle(s, actor, kind, key).await?;
    let items = app::list(&s.app, actor, &on).await?.into_iter().map(review_dto).collect();
    Ok(axum::Json(Items { items }))
}

pub async fn add(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
    b: ReviewFields,
) -> ApiResult<Response> {
    let on = super::platform::handle(s, actor, kind, key).await?;
    let (customer_id, input) = input_of(b);
    let v = app::add(&s.app, actor, &on, customer_id, input).await?;
    let location = format!("/api/v1/{}/{}/reviews/{}", kind.collection(), on.reference, v.row.id);
    let version = v.row.version;
    Ok(created(&location, version, review_dto(v)))
}

pub async fn update(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
    review: &str,
    headers: &HeaderMap,
    b: ReviewFields,
) -> ApiResult<Response> {
    let on = super::platform::handle(s, actor, kind, key).await?;
    let review = Uuid::parse_str(review).map_err(|_| trellis_app::AppError::NotFound)?;
    let version = crate::extract::require_if_match(headers)?;
    let (customer_id, input) = input_of(b);
    let v = app::update(&s.app, actor, &on, review, version, customer_id, input).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(review_dto(v))))
}

/// Declares the documented `/reviews` routes of a reviewed kind inside its API module.
#[macro_export]
macro_rules! review_routes {
    (kind = $kind:expr, collection = $coll:literal, tag = $tag:literal, noun = $noun:literal) => {
        /// Reviews of the record, latest first
        #[utoipa::path(get, path = concat!("/api/v1/", $coll, "/{key}/reviews"), tag = $tag,
            operation_id = concat!($noun, "_reviews"),
            params(("key" = String, Path, description = "Reference or id")),
            responses((status = 200, body = $crate::api::dto::Items<$crate::api::reviews::Review>),
                (status = 403, body = $crate::problem::Problem), (status = 404, body = $crate::problem::Problem)))]
        pub async fn reviews(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path(key): axum::extract::Path<String>,
        ) -> $crate::problem::ApiResult<axum::Json<$crate::api::dto::Items<$crate::api::reviews::Review>>> {
            $crate::api::reviews::list(&s, &actor, $kind, &key).await
        }

        /// Plan or record a review (managers)
        #[utoipa::path(post, path = concat!("/api/v1/", $coll, "/{key}/reviews"), tag = $tag,
            operation_id = concat!($noun, "_add_review"), request_body = $crate::api::reviews::ReviewFields,
            params(("key" = String, Path, description = "Reference or id")),
            responses((status = 201, body = $crate::api::reviews::Review), (status = 403, body = $crate::problem::Problem),
                (status = 404, body = $crate::problem::Problem), (status = 422, body = $crate::problem::Problem)))]
        pub async fn add_review(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path(key): axum::extract::Path<String>,
            $crate::extract::ApiJson(body): $crate::extract::ApiJson<$crate::api::reviews::ReviewFields>,
        ) -> $crate::problem::ApiResult<axum::response::Response> {
            $crate::api::reviews::add(&s, &actor, $kind, &key, body).await
        }

        /// Replace a review, e.g. to record that it was held (managers; requires `If-Match`)
        #[utoipa::path(put, path = concat!("/api/v1/", $coll, "/{key}/reviews/{review}"), tag = $tag,
            operation_id = concat!($noun, "_update_review"), request_body = $crate::api::reviews::ReviewFields,
            params(("key" = String, Path, description = "Reference or id"), ("review" = Uuid, Path, description = "Review id"),
                ("If-Match" = String, Header, description = "The version read")),
            responses((status = 200, body = $crate::api::reviews::Review), (status = 403, body = $crate::problem::Problem),
                (status = 404, body = $crate::problem::Problem), (status = 412, body = $crate::problem::Problem),
                (status = 422, body = $crate::problem::Problem), (status = 428, body = $crate::problem::Problem)))]
        pub async fn update_review(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path((key, review)): axum::extract::Path<(String, String)>,
            headers: axum::http::HeaderMap,
            $crate::extract::ApiJson(body): $crate::extract::ApiJson<$crate::api::reviews::ReviewFields>,
        ) -> $crate::problem::ApiResult<axum::response::Response> {
            $crate::api::reviews::update(&s, &actor, $kind, &key, &review, &headers, body).await
        }
    };
}

/// Adds a module's `/reviews` routes (declared with [`review_routes!`](crate::review_routes)).
#[macro_export]
macro_rules! review_router {
    ($router:expr, $m:path) => {{
        use $m as m;
        $router
            .routes(utoipa_axum::routes!(m::reviews, m::add_review))
            .routes(utoipa_axum::routes!(m::update_review))
    }};
}
