//! Agreement pages: list with the dates coming up, detail (targets with their chain of support,
//! reviews, timeline), new and edit.

use super::record::{self, Platform};
use super::reviews::{self, Reviews};
use super::{
    FormErrors, Nav, UiActor, UiResult, choices, customer_choices, form_uuid, list_query, next_page_url,
    render, staff_choices,
};
use crate::api::agreements::{AgreementQuery, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::agreement::{self as app, AgreementDetail, AgreementInput, TargetEntry, describe};
use trellis_app::views::{AgreementView, ServiceFilter, SupplierFilter};
use trellis_app::{Actor, AppError, calendar, identity, service, supplier};
use trellis_domain::access::Action;
use trellis_domain::agreement::{AgreementStatus, AgreementType, Metric, Priority, TargetInput};
use trellis_domain::ci::{format_cents, parse_cents};
use trellis_domain::incident::PendingReason;
use trellis_domain::sla::{DEFAULT_WARN_PERCENT, ReopenRule};
use trellis_domain::validation::{FieldError, ValidationErrors};

pub struct Row {
    pub reference: String,
    pub title: String,
    pub kind: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub service: String,
    pub party: String,
    pub ends_on: String,
}

impl Row {
    pub fn of(v: &AgreementView) -> Row {
        let r = &v.row;
        let party =
            v.customer_name.clone().or_else(|| v.team_name.clone()).or_else(|| v.supplier_name.clone());
        Row {
            reference: r.reference.clone(),
            title: r.title.clone(),
            kind: AgreementType::parse(&r.agreement_type).map_or("?", AgreementType::short),
            status: r.status.clone(),
            status_label: AgreementStatus::parse(&r.status).map_or("?", AgreementStatus::label),
            service: v.service_name.clone().unwrap_or_else(|| "—".into()),
            party: party.unwrap_or_else(|| "—".into()),
            ends_on: r.ends_on.clone().unwrap_or_default(),
        }
    }
}

pub struct DeadlineRow {
    pub on: String,
    pub what: &'static str,
    pub reference: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "agreements.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    deadlines: Vec<DeadlineRow>,
    types: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    q_type: String,
    q_status: String,
    q_text: String,
    can_create: bool,
    next_url: Option<String>,
    error: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<AgreementQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    actor.require(Action::AgreementRead)?;
    let (q, error) = list_query(query);
    let deadlines = app::deadlines(&s.app, &actor, 90)
        .await?
        .into_iter()
        .map(|d| DeadlineRow {
            on: d.on.to_string(),
            what: d.what,
            reference: d.agreement.row.reference,
            title: d.agreement.row.title,
        })
        .collect();
    let mut page = ListPage {
        nav: Nav::new(&actor, "agreements"),
        items: Vec::new(),
        deadlines,
        types: choices::<AgreementType>(),
        statuses: choices::<AgreementStatus>(),
        q_type: q.agreement_type.clone().unwrap_or_default(),
        q_status: q.status.clone().unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        can_create: actor.may(Action::AgreementManage),
        next_url: None,
        error,
    };
    if page.error.is_none() {
        match filter_from_query(&q) {
            Ok(f) => {
                let (rows, next) = app::list(&s.app, &actor, f).await?;
                page.items = rows.iter().map(Row::of).collect();
                let params = [
                    ("agreement_type", page.q_type.as_str()),
                    ("status", &page.q_status),
                    ("q", &page.q_text),
                ];
                page.next_url = next_page_url("/agreements", &params, next);
            }
            Err(p) => page.error = Some(p.0.detail),
        }
    }
    Ok(render(&page))
}

/// A target in another agreement, linked.
pub struct ChainItem {
    pub reference: String,
    pub kind: String,
    pub description: String,
    pub distance: usize,
}

pub struct TargetItem {
    pub description: String,
    pub calendar: String,
    pub calendar_id: String,
    pub supported_by: Vec<ChainItem>,
    pub supports: Vec<ChainItem>,
}

fn chain_item(t: &trellis_app::views::TargetView, distance: usize) -> ChainItem {
    ChainItem {
        reference: t.agreement_ref.clone(),
        kind: AgreementType::parse(&t.agreement_type).map_or("?", AgreementType::short).to_owned(),
        description: describe(t),
        distance,
    }
}

pub struct Detail {
    pub reference: String,
    pub title: String,
    pub description: String,
    pub kind_label: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub service: Option<(String, String)>,
    pub party_label: &'static str,
    pub party: String,
    pub supplier_ref: Option<String>,
    pub owner: String,
    pub dates: Vec<(&'static str, String)>,
    pub value: String,
    /// How the clocks run, in words.
    pub clock_rules: String,
    pub targets: Vec<TargetItem>,
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct DetailPage {
    nav: Option<Nav>,
    a: Detail,
    r: Reviews,
    p: Platform,
}

fn clock_rules(r: &trellis_app::views::AgreementRow) -> String {
    let pauses: Vec<String> =
        trellis_app::sla::parse_pause_on(&r.pause_on).into_iter().map(|p| p.label().to_lowercase()).collect();
    let pause = if pauses.is_empty() {
        "never paused".to_owned()
    } else {
        format!("paused while {}", pauses.join(" or "))
    };
    let reopen = ReopenRule::parse(&r.on_reopen).map_or("?", ReopenRule::label);
    format!("Clocks {pause}; on reopen: {}; warning at {} %", reopen.to_lowercase(), r.warn_percent)
}

fn detail_of(d: &AgreementDetail) -> Detail {
    let v = &d.view;
    let r = &v.row;
    let kind = AgreementType::parse(&r.agreement_type);
    let (party_label, party) = match kind {
        Some(AgreementType::Sla) => ("Customer", v.customer_name.clone()),
        Some(AgreementType::Ola) => ("Team", v.team_name.clone()),
        _ => ("Supplier", v.supplier_name.clone()),
    };
    let dates = [
        ("Starts", &r.starts_on),
        ("Ends", &r.ends_on),
        ("Notice by", &r.notice_on),
        ("Renewal", &r.renewal_on),
        ("Next review", &r.next_review_on),
    ]
    .into_iter()
    .filter_map(|(l, d)| d.clone().map(|d| (l, d)))
    .collect();
    Detail {
        reference: r.reference.clone(),
        title: r.title.clone(),
        description: r.description.clone(),
        kind_label: kind.map_or("Agreement", AgreementType::label),
        status: r.status.clone(),
        status_label: AgreementStatus::parse(&r.status).map_or("?", AgreementStatus::label),
        service: v.service_ref.clone().zip(v.service_name.clone()),
        party_label,
        party: party.unwrap_or_else(|| "—".into()),
        supplier_ref: v.supplier_ref.clone(),
        owner: v.owner_name.clone().unwrap_or_else(|| "—".into()),
        dates,
        value: r.value_cents.map(format_cents).unwrap_or_default(),
        clock_rules: clock_rules(r),
        targets: d
            .targets
            .iter()
            .map(|l| TargetItem {
                description: l.describe(),
                calendar: l.target.calendar_name.clone(),
                calendar_id: l.target.row.calendar_id.to_string(),
                supported_by: l.supported_by.iter().enumerate().map(|(i, t)| chain_item(t, i + 1)).collect(),
                supports: l.supports.iter().map(|(n, t)| chain_item(t, *n)).collect(),
            })
            .collect(),
    }
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let d = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&d.view);
    let status = AgreementStatus::parse(&d.view.row.status).unwrap_or(AgreementStatus::Draft);
    let rights = record::Rights::both(Action::AgreementManage);
    let p = record::platform(s, actor, &h, d.view.row.version, status, rights, message).await?;
    let r = reviews::section(s, actor, &h, Vec::new()).await?;
    Ok(render(&DetailPage { nav: Nav::new(actor, "agreements"), a: detail_of(&d), r, p }))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}

/// Empty target rows offered below the filled ones.
const BLANK_TARGET_ROWS: usize = 3;

#[derive(Debug, Deserialize, Default)]
pub struct AgreementForm {
    #[serde(default)]
    agreement_type: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    party_id: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    notice_on: String,
    #[serde(default)]
    renewal_on: String,
    #[serde(default)]
    next_review_on: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    t_metric: Vec<String>,
    #[serde(default)]
    t_priority: Vec<String>,
    #[serde(default)]
    t_value: Vec<String>,
    #[serde(default)]
    t_calendar: Vec<String>,
    #[serde(default)]
    t_supported_by: Vec<String>,
    /// Clock conditions: the pending reasons ticked, the reopen rule, the warning percentage.
    #[serde(default)]
    pause_on: Vec<String>,
    #[serde(default)]
    on_reopen: String,
    #[serde(default)]
    warn_percent: String,
    version: Option<i64>,
}

/// One row of the targets table in the form, with its messages.
pub struct TargetRowForm {
    pub metric: String,
    pub priority: String,
    pub value: String,
    pub calendar: String,
    pub supported_by: String,
    pub errors: Vec<String>,
}

impl AgreementForm {
    /// The filled target rows (a row without a metric is left out).
    fn target_rows(&self) -> Vec<(String, String, String, String, String)> {
        let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
        (0..self.t_metric.len())
            .map(|i| {
                (
                    at(&self.t_metric, i),
                    at(&self.t_priority, i),
                    at(&self.t_value, i),
                    at(&self.t_calendar, i),
                    at(&self.t_supported_by, i),
                )
            })
            .filter(|r| !r.0.trim().is_empty())
            .collect()
    }
}

#[derive(Template)]
#[template(path = "agreement_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    kind_label: &'static str,
    party_field: &'static str,
    f: AgreementForm,
    rows: Vec<TargetRowForm>,
    errors: FormErrors,
    services: Vec<(String, String)>,
    parties: Vec<(String, String)>,
    owners: Vec<(String, String)>,
    metrics: Vec<(String, String)>,
    priorities: Vec<(String, String)>,
    pending_reasons: Vec<(String, String)>,
    reopen_rules: Vec<(String, String)>,
    calendars: Vec<(String, String)>,
    supporting: Vec<(String, String)>,
}

fn ids(v: Vec<(uuid::Uuid, String)>) -> Vec<(String, String)> {
    v.into_iter().map(|(id, n)| (id.to_string(), n)).collect()
}

/// Who an agreement of this type can be with.
async fn party_choices(
    s: &AppState,
    actor: &Actor,
    kind: AgreementType,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(match kind {
        AgreementType::Sla => ids(customer_choices(s, actor).await?),
        AgreementType::Ola => {
            ids(identity::list_teams(&s.app, actor).await?.into_iter().map(|t| (t.id, t.name)).collect())
        }
        AgreementType::Contract => {
            let f = SupplierFilter { limit: 500, ..SupplierFilter::default() };
            let (rows, _) = supplier::list(&s.app, actor, f).await?;
            rows.into_iter()
                .map(|v| (v.row.id.to_string(), format!("{} {}", v.row.reference, v.row.name)))
                .collect()
        }
    })
}

async fn form_page(
    s: &AppState,
    actor: &Actor,
    f: AgreementForm,
    reference: Option<String>,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let kind = AgreementType::parse(&f.agreement_type).unwrap_or(AgreementType::Sla);
    let services = {
        let filter = ServiceFilter { limit: 500, ..ServiceFilter::default() };
        let (rows, _) = service::list(&s.app, actor, filter).await?;
        rows.into_iter()
            .map(|v| (v.row.id.to_string(), format!("{} {}", v.row.reference, v.row.name)))
            .collect()
    };
    let calendars =
        calendar::list(&s.app, actor).await?.into_iter().map(|c| (c.id.to_string(), c.name)).collect();
    let supporting = app::supporting_targets(&s.app, actor, kind)
        .await?
        .iter()
        .filter(|t| Some(&t.agreement_ref) != reference.as_ref())
        .map(|t| {
            (t.row.id.to_string(), format!("{} {}: {}", t.agreement_ref, t.agreement_title, describe(t)))
        })
        .collect();
    let mut rows: Vec<TargetRowForm> = f
        .target_rows()
        .into_iter()
        .enumerate()
        .map(|(i, (metric, priority, value, calendar, supported_by))| {
            let prefix = format!("targets[{i}].");
            let errors = errors
                .fields
                .iter()
                .filter(|e| e.field.starts_with(&prefix))
                .map(|e| format!("{}: {}", e.field.trim_start_matches(&prefix).replace('_', " "), e.message))
                .collect();
            TargetRowForm { metric, priority, value, calendar, supported_by, errors }
        })
        .collect();
    rows.extend((0..BLANK_TARGET_ROWS).map(|_| TargetRowForm {
        metric: String::new(),
        priority: String::new(),
        value: String::new(),
        calendar: String::new(),
        supported_by: String::new(),
        errors: Vec::new(),
    }));
    Ok(FormPage {
        nav: Nav::new(actor, "agreements"),
        action: reference.as_ref().map_or_else(|| "/agreements".into(), |r| format!("/agreements/{r}/edit")),
        reference,
        kind_label: kind.label(),
        party_field: match kind {
            AgreementType::Sla => "Customer",
            AgreementType::Ola => "Internal team",
            AgreementType::Contract => "Supplier",
        },
        parties: party_choices(s, actor, kind).await?,
        services,
        owners: ids(staff_choices(s, actor).await?),
        metrics: choices::<Metric>(),
        priorities: choices::<Priority>(),
        pending_reasons: choices::<PendingReason>(),
        reopen_rules: choices::<ReopenRule>(),
        calendars,
        supporting,
        rows,
        f,
        errors,
    })
}

async fn form_again(
    s: &AppState,
    actor: &Actor,
    f: AgreementForm,
    reference: Option<String>,
    e: AppError,
) -> UiResult {
    let (errors, status) = FormErrors::from_error(e, "agreement")?;
    Ok((status, render(&form_page(s, actor, f, reference, errors).await?)).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    agreement_type: String,
}

pub async fn new_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Query(q): Query<NewQuery>,
) -> UiResult {
    actor.require(Action::AgreementManage)?;
    let kind = AgreementType::parse(&q.agreement_type).unwrap_or(AgreementType::Sla);
    let f = AgreementForm {
        agreement_type: kind.as_str().into(),
        pause_on: vec![PendingReason::AwaitingCustomer.as_str().into()],
        on_reopen: ReopenRule::Resume.as_str().into(),
        warn_percent: DEFAULT_WARN_PERCENT.to_string(),
        ..AgreementForm::default()
    };
    Ok(render(&form_page(&s, &actor, f, None, FormErrors::default()).await?))
}

/// The use-case input a submitted form stands for; a tampered id or amount is reported on its field.
fn input_of(f: &AgreementForm) -> Result<AgreementInput, ValidationErrors> {
    let mut errors: Vec<FieldError> = Vec::new();
    let kind = AgreementType::parse(&f.agreement_type);
    let party = form_uuid(&mut errors, "party_id", &f.party_id);
    let value_cents = match f.value.trim() {
        "" => None,
        t => {
            let c = parse_cents(t);
            if c.is_none() {
                errors.push(FieldError {
                    field: "value_cents".into(),
                    message: "must be an amount such as 12500.00".into(),
                });
            }
            c
        }
    };
    let mut targets = Vec::new();
    for (i, (metric, priority, value, calendar, supported_by)) in f.target_rows().into_iter().enumerate() {
        targets.push(TargetEntry {
            target: TargetInput { metric, priority, value },
            calendar_id: form_uuid(&mut errors, &format!("targets[{i}].calendar_id"), &calendar),
            supported_by: form_uuid(&mut errors, &format!("targets[{i}].supported_by"), &supported_by),
        });
    }
    let input = AgreementInput {
        title: f.title.clone(),
        description: f.description.clone(),
        agreement_type: f.agreement_type.clone(),
        service_id: form_uuid(&mut errors, "service_id", &f.service_id),
        customer_id: party.filter(|_| kind == Some(AgreementType::Sla)),
        team_id: party.filter(|_| kind == Some(AgreementType::Ola)),
        supplier_id: party.filter(|_| kind == Some(AgreementType::Contract)),
        owner_id: form_uuid(&mut errors, "owner_id", &f.owner_id),
        starts_on: f.starts_on.clone(),
        ends_on: f.ends_on.clone(),
        notice_on: f.notice_on.clone(),
        renewal_on: f.renewal_on.clone(),
        next_review_on: f.next_review_on.clone(),
        value_cents,
        pause_on: Some(f.pause_on.clone()),
        on_reopen: Some(f.on_reopen.clone()),
        warn_percent: match f.warn_percent.trim() {
            "" => None,
            t => t.parse().ok().or_else(|| {
                errors.push(FieldError {
                    field: "warn_percent".into(),
                    message: "must be a whole number".into(),
                });
                None
            }),
        },
        targets,
    };
    if errors.is_empty() { Ok(input) } else { Err(ValidationErrors(errors)) }
}

/// The app names the party by its own field; the form has one party field.
fn party_errors_on_form(e: AppError) -> AppError {
    match e {
        AppError::Validation(mut v) => {
            for f in &mut v.0 {
                if matches!(f.field.as_str(), "customer_id" | "team_id" | "supplier_id") {
                    f.field = "party_id".into();
                }
            }
            AppError::Validation(v)
        }
        other => other,
    }
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<AgreementForm>,
) -> UiResult {
    let result = match input_of(&f) {
        Ok(input) => app::create(&s.app, &actor, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/agreements/{}", d.view.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, None, party_errors_on_form(e)).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let d = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::AgreementManage)?;
    let input = app::input_of(&d);
    let id = |v: Option<uuid::Uuid>| v.map(|x| x.to_string()).unwrap_or_default();
    let f = AgreementForm {
        agreement_type: input.agreement_type,
        title: input.title,
        description: input.description,
        service_id: id(input.service_id),
        party_id: id(input.customer_id.or(input.team_id).or(input.supplier_id)),
        owner_id: id(input.owner_id),
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        notice_on: input.notice_on,
        renewal_on: input.renewal_on,
        next_review_on: input.next_review_on,
        value: input.value_cents.map(format_cents).unwrap_or_default(),
        t_metric: input.targets.iter().map(|t| t.target.metric.clone()).collect(),
        t_priority: input.targets.iter().map(|t| t.target.priority.clone()).collect(),
        t_value: input.targets.iter().map(|t| t.target.value.clone()).collect(),
        t_calendar: input.targets.iter().map(|t| id(t.calendar_id)).collect(),
        t_supported_by: input.targets.iter().map(|t| id(t.supported_by)).collect(),
        pause_on: input.pause_on.unwrap_or_default(),
        on_reopen: input.on_reopen.unwrap_or_default(),
        warn_percent: input.warn_percent.map(|w| w.to_string()).unwrap_or_default(),
        version: Some(d.view.row.version),
    };
    Ok(render(&form_page(&s, &actor, f, Some(d.view.row.reference.clone()), FormErrors::default()).await?))
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<AgreementForm>,
) -> UiResult {
    let current = app::get(&s.app, &actor, &key).await?;
    let reference = current.view.row.reference.clone();
    let result = match (input_of(&f), f.version) {
        (Err(e), _) => Err(e.into()),
        (Ok(_), None) => Err(ValidationErrors::single("version", "is required").into()),
        (Ok(input), Some(version)) => app::update(&s.app, &actor, &key, version, input).await,
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/agreements/{}", d.view.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, Some(reference), party_errors_on_form(e)).await,
    }
}
