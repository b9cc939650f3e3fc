//! `/api/v1/baselines` (configuration snapshots and their comparison with today) and
//! `/api/v1/configuration/audit`.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::dto::{Items, rfc3339};
use super::{ApiQuery, created};
use crate::extract::{ApiActor, ApiJson};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use trellis_app::baseline::{self as app, Comparison, ConfigurationAudit, Finding, Selection};
use trellis_app::views::BaselineRow;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct Baseline {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Only CIs of this type (null: any).
    pub ci_type_id: Option<Uuid>,
    /// Only CIs of this customer (null: any).
    pub customer_id: Option<Uuid>,
    pub taken_at: String,
    pub taken_by: Option<Uuid>,
    /// How many CIs it holds.
    pub items: i64,
}

fn baseline_dto(r: BaselineRow) -> Baseline {
    let s: Selection = serde_json::from_str(&r.selection).unwrap_or_default();
    Baseline {
        id: r.id,
        name: r.name,
        description: r.description,
        ci_type_id: s.ci_type_id,
        customer_id: s.customer_id,
        taken_at: rfc3339(r.taken_at),
        taken_by: r.created_by,
        items: r.item_count,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Data centre before the move", "ci_type_id": "019a8f3c-0000-7000-8000-000000000044"}))]
pub struct TakeBaseline {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub ci_type_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
}

/// List baselines, newest first
#[utoipa::path(operation_id = "list_baselines", get, path = "/api/v1/baselines", tag = "configuration",
    responses((status = 200, body = Items<Baseline>), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<Items<Baseline>>> {
    let items = app::list(&s.app, &actor).await?.into_iter().map(baseline_dto).collect();
    Ok(axum::Json(Items { items }))
}

/// Take a baseline of the CIs (of a type and/or customer) as they are now
#[utoipa::path(operation_id = "take_baseline", post, path = "/api/v1/baselines", tag = "configuration", request_body = TakeBaseline,
    responses((status = 201, body = Baseline), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn take(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<TakeBaseline>,
) -> ApiResult<Response> {
    let selection = Selection { ci_type_id: b.ci_type_id, customer_id: b.customer_id };
    let r = app::take(&s.app, &actor, &b.name, &b.description, selection).await?;
    Ok(created(&format!("/api/v1/baselines/{}/comparison", r.id), 1, baseline_dto(r)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDifference {
    /// A field, `attributes.<key>`, or `relationships`.
    pub field: String,
    pub then: Value,
    pub now: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedCi {
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
    pub differences: Vec<FieldDifference>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefName {
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
}

fn ref_names(v: Vec<(String, String)>) -> Vec<RefName> {
    v.into_iter().map(|(reference, name)| RefName { reference, name }).collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BaselineComparison {
    pub baseline: Baseline,
    pub unchanged: usize,
    pub changed: Vec<ChangedCi>,
    /// In the baseline, but no longer of its type or customer.
    pub left: Vec<RefName>,
    /// Of its type and customer now, but not in the baseline.
    pub added: Vec<RefName>,
}

fn comparison_dto(c: Comparison) -> BaselineComparison {
    BaselineComparison {
        baseline: baseline_dto(c.baseline),
        unchanged: c.unchanged,
        changed: c
            .changed
            .into_iter()
            .map(|ch| ChangedCi {
                reference: ch.reference,
                name: ch.name,
                differences: ch
                    .differences
                    .into_iter()
                    .map(|d| FieldDifference { field: d.field, then: d.then, now: d.now })
                    .collect(),
            })
            .collect(),
        left: ref_names(c.left),
        added: ref_names(c.added),
    }
}

/// Compare a baseline with the configuration of today
#[utoipa::path(operation_id = "compare_baseline", get, path = "/api/v1/baselines/{id}/comparison", tag = "configuration",
    params(("id" = Uuid, Path, description = "Baseline id")),
    responses((status = 200, body = BaselineComparison), (status = 404, body = Problem)))]
pub async fn compare(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<BaselineComparison>> {
    let id = Uuid::parse_str(&id).map_err(|_| trellis_app::AppError::NotFound)?;
    Ok(axum::Json(comparison_dto(app::compare(&s.app, &actor, id).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// A CI not verified for this many days is reported (default 90).
    pub unverified_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditFinding {
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigurationAuditDto {
    pub unverified_days: i64,
    /// CIs planned, in use or in maintenance that were checked.
    pub checked: usize,
    /// CIs whose attributes fail their type's schema as it is now.
    pub schema_failures: Vec<AuditFinding>,
    pub unverified: Vec<AuditFinding>,
    /// CIs no service depends on, directly or through other CIs.
    pub orphaned: Vec<AuditFinding>,
}

fn findings(v: Vec<Finding>) -> Vec<AuditFinding> {
    v.into_iter().map(|f| AuditFinding { reference: f.reference, name: f.name, detail: f.detail }).collect()
}

pub fn audit_dto(a: ConfigurationAudit) -> ConfigurationAuditDto {
    ConfigurationAuditDto {
        unverified_days: a.unverified_days,
        checked: a.checked,
        schema_failures: findings(a.schema_failures),
        unverified: findings(a.unverified),
        orphaned: findings(a.orphaned),
    }
}

/// Configuration audit
///
/// CIs failing their type's schema, not verified for `unverified_days`, or supporting no service.
#[utoipa::path(operation_id = "configuration_audit", get, path = "/api/v1/configuration/audit", tag = "configuration", params(AuditQuery),
    responses((status = 200, body = ConfigurationAuditDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn audit(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<axum::Json<ConfigurationAuditDto>> {
    Ok(axum::Json(audit_dto(app::audit(&s.app, &actor, q.unverified_days.unwrap_or(90)).await?)))
}
