//! `/api/v1/agreements`: SLAs, OLAs and underpinning contracts, their targets and the chain of
//! support between them, reviews, and the dates coming up.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::dto::{Named, named, rfc3339};
use super::{
    ApiQuery, allowed_transitions, bad_param, created, encode_id_cursor, named_list, page_params, with_etag,
};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_app::agreement::{self as app, AgreementDetail, AgreementInput, TargetEntry, describe};
use trellis_app::sla::parse_pause_on;
use trellis_app::views::{AgreementFilter as Filter, TargetView};
use trellis_domain::agreement::{AgreementStatus, AgreementType, Metric, TargetInput};
use trellis_domain::record::RecordKind;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A record named by reference: `{"id", "ref", "name"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordRef {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
}

fn record_ref(id: Option<Uuid>, reference: Option<String>, name: Option<String>) -> Option<RecordRef> {
    Some(RecordRef { id: id?, reference: reference.unwrap_or_default(), name: name.unwrap_or_default() })
}

/// A target in another agreement, on the chain of support.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainLink {
    pub target_id: Uuid,
    pub agreement: RecordRef,
    /// sla, ola or contract.
    pub agreement_type: String,
    pub description: String,
    /// Steps away from the target (1: directly).
    pub distance: usize,
}

fn link(t: &TargetView, distance: usize) -> ChainLink {
    ChainLink {
        target_id: t.row.id,
        agreement: RecordRef {
            id: t.row.agreement_id,
            reference: t.agreement_ref.clone(),
            name: t.agreement_title.clone(),
        },
        agreement_type: t.agreement_type.clone(),
        description: describe(t),
        distance,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Target {
    /// Stable while the metric and priority stay: other targets rest on it by this id.
    pub id: Uuid,
    /// availability, response or resolution.
    pub metric: String,
    /// p1 to p4 (null for availability).
    pub priority: Option<String>,
    /// Working minutes (response, resolution).
    pub minutes: Option<i64>,
    /// Availability in percent.
    pub percent: Option<f64>,
    pub description: String,
    pub calendar: Named,
    /// What this target rests on, nearest first (OLA, then contract).
    pub supported_by: Vec<ChainLink>,
    /// The targets resting on this one, directly or through another.
    pub supports: Vec<ChainLink>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c77", "ref": "AGR-000001", "kind": "agreement", "version": 1,
    "title": "Managed e-mail for Northwind Health", "agreement_type": "sla", "status": "active",
    "allowed_transitions": ["expired", "terminated"],
    "service": {"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c11", "ref": "SVC-000003", "name": "Managed e-mail"},
    "customer": {"id": "019a8f3c-0000-7000-8000-000000000001", "name": "Northwind Health"},
    "targets": [{"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c78", "metric": "resolution", "priority": "p1", "minutes": 240,
        "description": "P1 resolution time within 4 h",
        "calendar": {"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c79", "name": "Office hours Berlin"},
        "supported_by": [{"target_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c80",
            "agreement": {"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c81", "ref": "AGR-000002", "name": "Network team OLA"},
            "agreement_type": "ola", "description": "P1 resolution time within 2 h", "distance": 1}],
        "supports": []}]}))]
pub struct Agreement {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// Always `agreement`.
    pub kind: &'static str,
    pub version: i64,
    pub title: String,
    pub description: String,
    /// sla, ola or contract.
    pub agreement_type: String,
    /// draft, active, expired or terminated.
    pub status: String,
    pub allowed_transitions: Vec<&'static str>,
    pub service: Option<RecordRef>,
    /// SLAs: the customer.
    pub customer: Option<Named>,
    /// OLAs: the internal team.
    pub team: Option<Named>,
    /// Contracts: the supplier.
    pub supplier: Option<RecordRef>,
    pub owner: Option<Named>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// Contracts: the last day to give notice.
    pub notice_on: Option<String>,
    pub renewal_on: Option<String>,
    pub next_review_on: Option<String>,
    pub value_cents: Option<i64>,
    /// Pending reasons that pause this agreement's clocks (awaiting_customer, awaiting_supplier,
    /// awaiting_change, other).
    pub pause_on: Vec<String>,
    /// What a reopened ticket does to a resolution clock: resume or restart.
    pub on_reopen: String,
    /// Percentage of a target at which a warning fires.
    pub warn_percent: i64,
    pub targets: Vec<Target>,
    pub created_at: String,
    pub updated_at: String,
}

fn target_dto(l: &trellis_app::agreement::TargetLine) -> Target {
    let t = &l.target.row;
    let metric = Metric::parse(&t.metric);
    let is_time = metric.is_none_or(Metric::is_time);
    Target {
        id: t.id,
        metric: t.metric.clone(),
        priority: (!t.priority.is_empty()).then(|| t.priority.clone()),
        minutes: is_time.then_some(t.threshold),
        percent: (!is_time).then(|| t.threshold as f64 / 1000.0),
        description: l.describe(),
        calendar: Named { id: t.calendar_id, name: l.target.calendar_name.clone() },
        supported_by: l.supported_by.iter().enumerate().map(|(i, s)| link(s, i + 1)).collect(),
        supports: l.supports.iter().map(|(d, s)| link(s, *d)).collect(),
    }
}

impl From<AgreementDetail> for Agreement {
    fn from(d: AgreementDetail) -> Self {
        let v = d.view;
        let r = v.row;
        Agreement {
            id: r.id,
            allowed_transitions: allowed_transitions::<AgreementStatus>(&r.status),
            reference: r.reference,
            kind: "agreement",
            version: r.version,
            title: r.title,
            description: r.description,
            agreement_type: r.agreement_type,
            status: r.status,
            service: record_ref(r.service_id, v.service_ref, v.service_name),
            customer: named(r.customer_id, v.customer_name),
            team: named(r.team_id, v.team_name),
            supplier: record_ref(r.supplier_id, v.supplier_ref, v.supplier_name),
            owner: named(r.owner_id, v.owner_name),
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            notice_on: r.notice_on,
            renewal_on: r.renewal_on,
            next_review_on: r.next_review_on,
            value_cents: r.value_cents,
            pause_on: parse_pause_on(&r.pause_on).iter().map(|p| p.as_str().to_owned()).collect(),
            on_reopen: r.on_reopen,
            warn_percent: r.warn_percent,
            targets: d.targets.iter().map(target_dto).collect(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementList {
    /// List entries carry no targets; read an agreement for them.
    pub items: Vec<Agreement>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    /// Comma-separated: sla, ola, contract.
    pub agreement_type: Option<String>,
    /// Comma-separated: draft, active, expired, terminated.
    pub status: Option<String>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub service: Option<Uuid>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub customer: Option<Uuid>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub supplier: Option<Uuid>,
    /// Text in the title or reference.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

pub fn filter_from_query(q: &AgreementQuery) -> Result<Filter, crate::problem::ApiError> {
    let (limit, after) = page_params(q.limit, q.after.as_deref())?;
    Ok(Filter {
        types: named_list::<AgreementType>("agreement_type", q.agreement_type.as_deref())?,
        statuses: named_list::<AgreementStatus>("status", q.status.as_deref())?,
        service_id: q.service,
        customer_id: q.customer,
        supplier_id: q.supplier,
        text: q.q.clone(),
        after,
        limit,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetFields {
    /// availability, response or resolution.
    pub metric: String,
    /// p1 to p4 for response and resolution; leave out for availability.
    pub priority: Option<String>,
    /// Working minutes (response, resolution).
    pub minutes: Option<i64>,
    /// Percent with at most three decimals (availability).
    pub percent: Option<f64>,
    pub calendar_id: Option<Uuid>,
    /// The id of a target in an OLA or contract this one rests on.
    pub supported_by: Option<Uuid>,
}

fn entry_of(t: TargetFields) -> TargetEntry {
    let value = if t.metric == Metric::Availability.as_str() {
        t.percent.map(|p| p.to_string())
    } else {
        t.minutes.map(|m| m.to_string())
    };
    TargetEntry {
        target: TargetInput {
            metric: t.metric,
            priority: t.priority.unwrap_or_default(),
            value: value.unwrap_or_default(),
        },
        calendar_id: t.calendar_id,
        supported_by: t.supported_by,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Managed e-mail for Northwind Health", "agreement_type": "sla",
    "service_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c11", "customer_id": "019a8f3c-0000-7000-8000-000000000001",
    "starts_on": "2026-01-01", "ends_on": "2027-12-31", "next_review_on": "2027-03-31",
    "targets": [{"metric": "availability", "percent": 99.9, "calendar_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c79"},
        {"metric": "resolution", "priority": "p1", "minutes": 240, "calendar_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c79",
         "supported_by": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c80"}]}))]
pub struct CreateAgreement {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// sla (with `customer_id`), ola (with `team_id`) or contract (with `supplier_id`).
    pub agreement_type: String,
    /// Required for SLAs and OLAs.
    pub service_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    /// Dates as YYYY-MM-DD.
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub notice_on: Option<String>,
    pub renewal_on: Option<String>,
    pub next_review_on: Option<String>,
    pub value_cents: Option<i64>,
    /// Pending reasons that pause the clocks; default `["awaiting_customer"]`.
    pub pause_on: Option<Vec<String>>,
    /// resume (default) or restart.
    pub on_reopen: Option<String>,
    /// 1–99; default 75.
    pub warn_percent: Option<i64>,
    #[serde(default)]
    pub targets: Vec<TargetFields>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"next_review_on": "2027-06-30"}))]
pub struct UpdateAgreement {
    pub title: Option<String>,
    pub description: Option<String>,
    pub service_id: Option<Uuid>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub owner_id: Option<Option<Uuid>>,
    /// Dates as YYYY-MM-DD; an empty string clears one.
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub notice_on: Option<String>,
    pub renewal_on: Option<String>,
    pub next_review_on: Option<String>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<i64>, nullable)]
    pub value_cents: Option<Option<i64>>,
    /// Changing a clock condition recomputes the open tickets this agreement measures.
    pub pause_on: Option<Vec<String>>,
    pub on_reopen: Option<String>,
    pub warn_percent: Option<i64>,
    /// Replaces every target. A target keeps its id while its metric and priority stay; one that
    /// other targets rest on cannot be dropped (409 `agreement.target_in_use`).
    pub targets: Option<Vec<TargetFields>>,
}

/// List agreements
#[utoipa::path(operation_id = "list_agreements", get, path = "/api/v1/agreements", tag = "agreements", params(AgreementQuery),
    responses((status = 200, body = AgreementList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AgreementQuery>,
) -> ApiResult<axum::Json<AgreementList>> {
    let (rows, next) = app::list(&s.app, &actor, filter_from_query(&q)?).await?;
    let items =
        rows.into_iter().map(|view| Agreement::from(AgreementDetail { view, targets: Vec::new() })).collect();
    Ok(axum::Json(AgreementList { items, next: next.map(encode_id_cursor) }))
}

/// Make an agreement (managers)
///
/// A new agreement starts as a draft. Each target is measured on a business calendar and may
/// rest on a target of a lower agreement (SLA ← OLA or contract, OLA ← contract).
#[utoipa::path(operation_id = "create_agreement", post, path = "/api/v1/agreements", tag = "agreements", request_body = CreateAgreement,
    responses((status = 201, body = Agreement, headers(("Location" = String), ("ETag" = String))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateAgreement>,
) -> ApiResult<Response> {
    let input = AgreementInput {
        title: b.title,
        description: b.description,
        agreement_type: b.agreement_type,
        service_id: b.service_id,
        customer_id: b.customer_id,
        team_id: b.team_id,
        supplier_id: b.supplier_id,
        owner_id: b.owner_id,
        starts_on: b.starts_on.unwrap_or_default(),
        ends_on: b.ends_on.unwrap_or_default(),
        notice_on: b.notice_on.unwrap_or_default(),
        renewal_on: b.renewal_on.unwrap_or_default(),
        next_review_on: b.next_review_on.unwrap_or_default(),
        value_cents: b.value_cents,
        pause_on: b.pause_on,
        on_reopen: b.on_reopen,
        warn_percent: b.warn_percent,
        targets: b.targets.into_iter().map(entry_of).collect(),
    };
    let d = app::create(&s.app, &actor, input).await?;
    let location = format!("/api/v1/agreements/{}", d.view.row.reference);
    let version = d.view.row.version;
    Ok(created(&location, version, Agreement::from(d)))
}

/// Read an agreement with its targets and their chain of support
#[utoipa::path(operation_id = "get_agreement", get, path = "/api/v1/agreements/{key}", tag = "agreements",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Agreement, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let d = app::get(&s.app, &actor, &key).await?;
    let version = d.view.row.version;
    Ok(with_etag(version, axum::Json(Agreement::from(d))))
}

/// Update an agreement (managers; requires `If-Match`)
///
/// The type and the party (customer, team, supplier) cannot change.
#[utoipa::path(operation_id = "update_agreement", patch, path = "/api/v1/agreements/{key}", tag = "agreements", request_body = UpdateAgreement,
    params(("key" = String, Path, description = "Reference or id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Agreement), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<UpdateAgreement>,
) -> ApiResult<Response> {
    let current = app::get(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let mut input = app::input_of(&current);
    input.title = b.title.unwrap_or(input.title);
    input.description = b.description.unwrap_or(input.description);
    input.service_id = b.service_id.or(input.service_id);
    input.owner_id = b.owner_id.unwrap_or(input.owner_id);
    input.starts_on = b.starts_on.unwrap_or(input.starts_on);
    input.ends_on = b.ends_on.unwrap_or(input.ends_on);
    input.notice_on = b.notice_on.unwrap_or(input.notice_on);
    input.renewal_on = b.renewal_on.unwrap_or(input.renewal_on);
    input.next_review_on = b.next_review_on.unwrap_or(input.next_review_on);
    input.value_cents = b.value_cents.unwrap_or(input.value_cents);
    input.pause_on = b.pause_on.or(input.pause_on);
    input.on_reopen = b.on_reopen.or(input.on_reopen);
    input.warn_percent = b.warn_percent.or(input.warn_percent);
    if let Some(targets) = b.targets {
        input.targets = targets.into_iter().map(entry_of).collect();
    }
    let d = app::update(&s.app, &actor, &key, version, input).await?;
    let version = d.view.row.version;
    Ok(with_etag(version, axum::Json(Agreement::from(d))))
}

/// Move an agreement through its lifecycle
///
/// draft → active → expired (→ active when renewed) or terminated; an SLA or OLA in force needs
/// a target.
#[utoipa::path(operation_id = "transition_agreement", post, path = "/api/v1/agreements/{key}/transitions", tag = "agreements",
    request_body = super::dto::Transition, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Agreement), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<super::dto::Transition>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    let d = app::transition(&s.app, &actor, &key, &b.to, if_match(&headers)?).await?;
    let version = d.view.row.version;
    Ok(with_etag(version, axum::Json(Agreement::from(d))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// How many days ahead (default 90).
    pub days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Deadline {
    /// YYYY-MM-DD.
    pub on: String,
    /// last day to give notice, renewal, ends, review due.
    pub what: &'static str,
    pub agreement: RecordRef,
    pub agreement_type: String,
}

/// Dates coming up: notice periods, renewals, ends and reviews
///
/// The reminders contract and agreement owners need before a date passes, soonest first.
#[utoipa::path(operation_id = "agreement_deadlines", get, path = "/api/v1/agreements/deadlines", tag = "agreements", params(DeadlineQuery),
    responses((status = 200, body = super::dto::Items<Deadline>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn deadlines(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<DeadlineQuery>,
) -> ApiResult<axum::Json<super::dto::Items<Deadline>>> {
    let days = q.days.unwrap_or(90);
    if !(0..=3660).contains(&days) {
        return Err(bad_param("days", "must be from 0 to 3660").into());
    }
    let items = app::deadlines(&s.app, &actor, days)
        .await?
        .into_iter()
        .map(|d| Deadline {
            on: d.on.to_string(),
            what: d.what,
            agreement: RecordRef {
                id: d.agreement.row.id,
                reference: d.agreement.row.reference,
                name: d.agreement.row.title,
            },
            agreement_type: d.agreement.row.agreement_type,
        })
        .collect();
    Ok(axum::Json(super::dto::Items { items }))
}

crate::platform_routes!(
    kind = RecordKind::Agreement,
    collection = "agreements",
    tag = "agreements",
    noun = "agreement"
);
crate::review_routes!(
    kind = RecordKind::Agreement,
    collection = "agreements",
    tag = "agreements",
    noun = "agreement"
);
