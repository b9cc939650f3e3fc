//! CMDB pages: configuration items (list, detail with impact and a relationship drawing, new,
//! edit, verify) and the CI types an administrator defines.

use super::graph::{self, Drawing};
use super::record::{self, Platform};
use super::{
    FormErrors, Nav, UiActor, UiResult, choices, customer_choices, form_uuid, list_query, next_page_url,
    render, short_time, staff_choices,
};
use crate::api::cis::{CiQuery, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use std::collections::HashMap;
use trellis_app::ci::{self as app, CiInput, CiType};
use trellis_app::views::CiView;
use trellis_app::{Actor, AppError, identity, impact};
use trellis_domain::access::Action;
use trellis_domain::ci::{
    AttributeDef, AttributeKind, CiStatus, attribute_from_text, format_cents, parse_cents, parse_date,
};
use trellis_domain::impact::Direction;
use trellis_domain::record::RecordKind;
use trellis_domain::service::Criticality;
use trellis_domain::validation::{FieldError, ValidationErrors};

pub struct Row {
    pub reference: String,
    pub name: String,
    pub type_name: String,
    pub status: String,
    pub status_label: &'static str,
    pub criticality: &'static str,
    pub location: String,
}

impl Row {
    fn of(v: &CiView) -> Row {
        Row {
            reference: v.row.reference.clone(),
            name: v.row.name.clone(),
            type_name: v.type_name.clone(),
            status: v.row.status.clone(),
            status_label: CiStatus::parse(&v.row.status).map_or("?", CiStatus::label),
            criticality: Criticality::parse(&v.row.criticality).map_or("?", Criticality::label),
            location: v.row.location.clone(),
        }
    }
}

async fn type_choices(s: &AppState, actor: &Actor) -> Result<Vec<(String, String)>, AppError> {
    Ok(app::list_types(&s.app, actor)
        .await?
        .into_iter()
        .map(|t| (t.row.id.to_string(), t.row.name))
        .collect())
}

#[derive(Template)]
#[template(path = "cis.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    statuses: Vec<(String, String)>,
    types: Vec<(String, String)>,
    q_status: String,
    q_type: String,
    q_text: String,
    can_create: bool,
    next_url: Option<String>,
    error: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<CiQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    actor.require(Action::ConfigurationRead)?;
    let (q, error) = list_query(query);
    let mut page = ListPage {
        nav: Nav::new(&actor, "cis"),
        items: Vec::new(),
        statuses: choices::<CiStatus>(),
        types: type_choices(&s, &actor).await?,
        q_status: q.status.clone().unwrap_or_default(),
        q_type: q.ci_type.map(|t| t.to_string()).unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        can_create: actor.may(Action::ConfigurationManage),
        next_url: None,
        error,
    };
    if page.error.is_none() {
        match filter_from_query(&q) {
            Ok(f) => {
                let (rows, next) = app::list(&s.app, &actor, f).await?;
                page.items = rows.iter().map(Row::of).collect();
                let params =
                    [("status", page.q_status.as_str()), ("ci_type", &page.q_type), ("q", &page.q_text)];
                page.next_url = next_page_url("/cis", &params, next);
            }
            Err(p) => page.error = Some(p.0.detail),
        }
    }
    Ok(render(&page))
}

/// An affected record as the impact table shows it.
pub struct Affected {
    pub href: String,
    pub reference: String,
    pub name: String,
    pub kind: &'static str,
    pub depth: u32,
    pub via: String,
}

#[derive(Template)]
#[template(path = "ci.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    fields: Vec<(&'static str, String)>,
    attributes: Vec<(String, String)>,
    verified: String,
    can_verify: bool,
    affected: Vec<Affected>,
    customers: Vec<(String, String)>,
    g: Drawing,
    p: Platform,
}

pub fn show_attribute(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "yes".into(),
        serde_json::Value::Bool(false) => "no".into(),
        other => other.to_string(),
    }
}

/// A stored attribute value as a form input holds it (a ticked box sends "true").
fn form_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "true".into(),
        serde_json::Value::Bool(false) | serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let v = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&v);
    let status = CiStatus::parse(&v.row.status).unwrap_or(CiStatus::Planned);
    let edit = Action::ConfigurationManage;
    let p =
        record::platform(s, actor, &h, v.row.version, status, record::Rights::both(edit), message).await?;
    let ty = app::get_type(&s.app, actor, v.row.ci_type_id).await?;
    let values: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&v.row.attributes).unwrap_or_default();
    let attributes = ty
        .attributes
        .iter()
        .map(|d| (d.label.clone(), values.get(&d.key).map(show_attribute).unwrap_or_else(|| "—".into())))
        .collect();
    let dash = |o: Option<String>| o.unwrap_or_else(|| "—".into());
    let fields = vec![
        ("Type", v.type_name.clone()),
        ("Owner", dash(v.owner_name.clone())),
        ("Team", dash(v.team_name.clone())),
        ("Customer", dash(v.customer_name.clone())),
        ("Location", if v.row.location.is_empty() { "—".into() } else { v.row.location.clone() }),
        ("Cost", dash(v.row.cost_cents.map(format_cents))),
        ("Warranty expires", dash(v.row.warranty_expires.clone())),
        ("Licence expires", dash(v.row.licence_expires.clone())),
        ("Licence seats", dash(v.row.licence_seats.map(|n| n.to_string()))),
    ];
    let r = impact::analyse(
        &s.app,
        actor,
        RecordKind::ConfigurationItem,
        &h.reference,
        Direction::Dependents,
        None,
    )
    .await?;
    let affected = r
        .nodes
        .into_iter()
        .map(|n| Affected {
            href: record::href(n.kind, &n.reference),
            reference: n.reference,
            name: n.name,
            kind: n.kind.label(),
            depth: n.depth,
            via: n.via,
        })
        .collect();
    let customers = r.customers.into_iter().map(|(_, name, svcs)| (name, svcs.join(", "))).collect();
    let g = graph::draw(&impact::neighbourhood(&s.app, actor, h).await?);
    Ok(render(&DetailPage {
        nav: Nav::new(actor, "cis"),
        i: Row::of(&v),
        fields,
        attributes,
        verified: v.row.last_verified_at.map_or_else(|| "never".into(), short_time),
        can_verify: actor.may(Action::ConfigurationManage),
        affected,
        customers,
        g,
        p,
    }))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}

#[derive(Debug, Deserialize)]
pub struct VerifyForm {
    version: Option<i64>,
}

pub async fn verify(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<VerifyForm>,
) -> UiResult {
    match app::verify(&s.app, &actor, &key, f.version).await {
        Ok(v) => Ok(Redirect::to(&format!("/cis/{}", v.row.reference)).into_response()),
        Err(e) => record::detail_again(&s, &actor, RecordKind::ConfigurationItem, &key, e).await,
    }
}

/// The CI form: fixed fields plus `attr.<key>` inputs for the chosen type's attributes.
#[derive(Debug, Deserialize, Default)]
pub struct CiForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    ci_type_id: String,
    #[serde(default)]
    criticality: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    warranty_expires: String,
    #[serde(default)]
    licence_expires: String,
    #[serde(default)]
    licence_seats: String,
    version: Option<i64>,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

/// The `attr.<key>` inputs for `defs`, holding what `rest` (the form as sent) has for them;
/// errors on `<error_prefix>.<key>` show next to each.
pub fn attribute_fields(
    defs: Vec<AttributeDef>,
    rest: &HashMap<String, String>,
    error_prefix: &str,
) -> Vec<AttributeField> {
    defs.into_iter()
        .map(|d| AttributeField {
            name: format!("attr.{}", d.key),
            value: rest.get(&format!("attr.{}", d.key)).cloned().unwrap_or_default(),
            field: format!("{error_prefix}.{}", d.key),
            label: d.label,
            kind: d.kind,
            required: d.required,
            choices: d.choices.into_iter().map(|c| (c.clone(), c)).collect(),
        })
        .collect()
}

/// Reads the `attr.<key>` inputs of a form, typing each value by its definition.
pub fn read_attributes(
    defs: &[AttributeDef],
    rest: &HashMap<String, String>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut values = serde_json::Map::new();
    for d in defs {
        let text = rest.get(&format!("attr.{}", d.key)).map(String::as_str).unwrap_or("");
        // An unticked checkbox sends nothing: for a yes/no attribute that means "no".
        let value = if d.kind == AttributeKind::Boolean && text.is_empty() {
            serde_json::Value::Bool(false)
        } else {
            attribute_from_text(d.kind, text)
        };
        values.insert(d.key.clone(), value);
    }
    values
}

/// One attribute input of the form.
pub struct AttributeField {
    pub name: String,
    pub label: String,
    pub kind: AttributeKind,
    pub required: bool,
    pub value: String,
    pub choices: Vec<(String, String)>,
    pub field: String,
}

#[derive(Template)]
#[template(path = "ci_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    f: CiForm,
    errors: FormErrors,
    types: Vec<(String, String)>,
    criticalities: Vec<(String, String)>,
    owners: Vec<(String, String)>,
    teams: Vec<(String, String)>,
    customers: Vec<(String, String)>,
    attributes: Vec<AttributeField>,
}

async fn form_page(
    s: &AppState,
    actor: &Actor,
    f: CiForm,
    reference: Option<String>,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let ty = match uuid::Uuid::parse_str(&f.ci_type_id) {
        Ok(id) => app::get_type(&s.app, actor, id).await.ok(),
        Err(_) => None,
    };
    let attributes = attribute_fields(ty.map(|t| t.attributes).unwrap_or_default(), &f.rest, "attributes");
    let ids =
        |v: Vec<(uuid::Uuid, String)>| v.into_iter().map(|(id, n)| (id.to_string(), n)).collect::<Vec<_>>();
    Ok(FormPage {
        nav: Nav::new(actor, "cis"),
        action: reference.as_ref().map_or_else(|| "/cis".into(), |r| format!("/cis/{r}/edit")),
        reference,
        types: type_choices(s, actor).await?,
        criticalities: choices::<Criticality>(),
        owners: ids(staff_choices(s, actor).await?),
        teams: ids(identity::list_teams(&s.app, actor).await?.into_iter().map(|t| (t.id, t.name)).collect()),
        customers: ids(customer_choices(s, actor).await?),
        attributes,
        f,
        errors,
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    ci_type: String,
}

pub async fn new_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Query(q): Query<NewQuery>,
) -> UiResult {
    actor.require(Action::ConfigurationManage)?;
    let f = CiForm { criticality: "medium".into(), ci_type_id: q.ci_type, ..CiForm::default() };
    Ok(render(&form_page(&s, &actor, f, None, FormErrors::default()).await?))
}

/// Reads the form into an input, typing each attribute by its definition.
async fn input_of(s: &AppState, actor: &Actor, f: &CiForm) -> Result<CiInput, AppError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let ci_type_id = form_uuid(&mut errors, "ci_type_id", &f.ci_type_id);
    let owner_id = form_uuid(&mut errors, "owner_id", &f.owner_id);
    let team_id = form_uuid(&mut errors, "team_id", &f.team_id);
    let customer_id = form_uuid(&mut errors, "customer_id", &f.customer_id);
    let mut date = |field: &str, v: &str| {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        let d = parse_date(v);
        if d.is_none() {
            errors.push(FieldError { field: field.into(), message: "must be a date (YYYY-MM-DD)".into() });
        }
        d
    };
    let warranty_expires = date("warranty_expires", &f.warranty_expires);
    let licence_expires = date("licence_expires", &f.licence_expires);
    let cost_cents = match f.cost.trim() {
        "" => None,
        t => {
            let c = parse_cents(t);
            if c.is_none() {
                errors.push(FieldError {
                    field: "cost".into(),
                    message: "must be an amount like 1234.50".into(),
                });
            }
            c
        }
    };
    let licence_seats = match f.licence_seats.trim() {
        "" => None,
        t => {
            let n = t.parse().ok();
            if n.is_none() {
                errors.push(FieldError {
                    field: "licence_seats".into(),
                    message: "must be a whole number".into(),
                });
            }
            n
        }
    };
    let defs: Vec<AttributeDef> = match ci_type_id {
        Some(id) => app::get_type(&s.app, actor, id).await.map(|t: CiType| t.attributes).unwrap_or_default(),
        None => Vec::new(),
    };
    let attributes = read_attributes(&defs, &f.rest);
    if !errors.is_empty() {
        return Err(ValidationErrors(errors).into());
    }
    Ok(CiInput {
        name: f.name.clone(),
        description: f.description.clone(),
        ci_type_id,
        criticality: f.criticality.clone(),
        owner_id,
        team_id,
        customer_id,
        location: f.location.clone(),
        cost_cents,
        warranty_expires,
        licence_expires,
        licence_seats,
        attributes,
    })
}

async fn form_again(
    s: &AppState,
    actor: &Actor,
    f: CiForm,
    reference: Option<String>,
    e: AppError,
) -> UiResult {
    let (errors, status) = FormErrors::from_error(e, "configuration item")?;
    Ok((status, render(&form_page(s, actor, f, reference, errors).await?)).into_response())
}

pub async fn create(State(s): State<AppState>, UiActor(actor): UiActor, Form(f): Form<CiForm>) -> UiResult {
    let result = match input_of(&s, &actor, &f).await {
        Ok(input) => app::create(&s.app, &actor, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/cis/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, None, e).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let v = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::ConfigurationManage)?;
    let r = &v.row;
    let values: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&r.attributes).unwrap_or_default();
    let text = |o: Option<uuid::Uuid>| o.map(|x| x.to_string()).unwrap_or_default();
    let f = CiForm {
        name: r.name.clone(),
        description: r.description.clone(),
        ci_type_id: r.ci_type_id.to_string(),
        criticality: r.criticality.clone(),
        owner_id: text(r.owner_id),
        team_id: text(r.team_id),
        customer_id: text(r.customer_id),
        location: r.location.clone(),
        cost: r.cost_cents.map(format_cents).unwrap_or_default(),
        warranty_expires: r.warranty_expires.clone().unwrap_or_default(),
        licence_expires: r.licence_expires.clone().unwrap_or_default(),
        licence_seats: r.licence_seats.map(|n| n.to_string()).unwrap_or_default(),
        version: Some(r.version),
        rest: values.iter().map(|(k, v)| (format!("attr.{k}"), form_text(v))).collect(),
    };
    Ok(render(&form_page(&s, &actor, f, Some(r.reference.clone()), FormErrors::default()).await?))
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<CiForm>,
) -> UiResult {
    let current = app::get(&s.app, &actor, &key).await?;
    let reference = current.row.reference.clone();
    let result = match (input_of(&s, &actor, &f).await, f.version) {
        (Err(e), _) => Err(e),
        (Ok(_), None) => Err(ValidationErrors::single("version", "is required").into()),
        (Ok(input), Some(version)) => app::update(&s.app, &actor, &key, version, input).await,
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/cis/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, Some(reference), e).await,
    }
}

#[derive(Template)]
#[template(path = "ci_types.html")]
struct TypesPage {
    nav: Option<Nav>,
    types: Vec<(String, String, Vec<String>)>,
    can_manage: bool,
    type_name: String,
    description: String,
    schema: String,
    errors: FormErrors,
}

/// An attribute as one line of the schema box: `key | label | kind | required | choices`.
pub(crate) fn schema_line(d: &AttributeDef) -> String {
    let req = if d.required { "required" } else { "optional" };
    format!("{} | {} | {} | {} | {}", d.key, d.label, d.kind.as_str(), req, d.choices.join(", "))
}

/// Parses the schema box, one attribute per line; errors name the line.
pub(crate) fn parse_schema(text: &str) -> Result<Vec<AttributeDef>, ValidationErrors> {
    let mut defs = Vec::new();
    let mut errors = ValidationErrors::default();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let kind = parts.get(2).and_then(|k| AttributeKind::parse(k));
        let Some(kind) = kind.filter(|_| parts.len() >= 3) else {
            errors.add(
                "schema",
                format!(
                    "line {}: write key | label | kind | required | choices, kind one of {}",
                    i + 1,
                    AttributeKind::choices()
                ),
            );
            continue;
        };
        defs.push(AttributeDef {
            key: parts[0].to_owned(),
            label: parts[1].to_owned(),
            kind,
            required: parts.get(3).is_some_and(|r| *r == "required"),
            choices: parts
                .get(4)
                .map(|c| c.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
        });
    }
    errors.into_result().map(|()| defs)
}

async fn types_page(
    s: &AppState,
    actor: &Actor,
    name: String,
    description: String,
    schema: String,
    errors: FormErrors,
) -> Result<TypesPage, AppError> {
    let types = app::list_types(&s.app, actor)
        .await?
        .into_iter()
        .map(|t| (t.row.name, t.row.description, t.attributes.iter().map(schema_line).collect()))
        .collect();
    Ok(TypesPage {
        nav: Nav::new(actor, "admin"),
        types,
        can_manage: actor.may(Action::CiTypeManage),
        type_name: name,
        description,
        schema,
        errors,
    })
}

pub async fn types(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    Ok(render(
        &types_page(&s, &actor, String::new(), String::new(), String::new(), FormErrors::default()).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct TypeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    schema: String,
}

pub async fn create_type(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<TypeForm>,
) -> UiResult {
    let result = match parse_schema(&f.schema) {
        Ok(defs) => app::create_type(&s.app, &actor, &f.name, &f.description, defs).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/ci-types").into_response()),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "CI type")?;
            Ok((status, render(&types_page(&s, &actor, f.name, f.description, f.schema, errors).await?))
                .into_response())
        }
    }
}
