//! Agreements: SLAs with customers, OLAs with internal teams and underpinning contracts with
//! suppliers, their targets on business calendars, and the chain of support between targets
//! (an SLA target rests on an OLA or contract target, an OLA target on a contract target).

use crate::platform::RecordHandle;
use crate::record::{self, Changes};
use crate::{Actor, App, AppError, journal};
use jiff::civil::Date;
use trellis_domain::access::Action;
use trellis_domain::agreement::{
    AgreementStatus, AgreementType, Metric, Priority, TEXT_MAX, TITLE_MAX, TargetInput, TargetSpec,
    describe_target, validate_targets,
};
use trellis_domain::ci::parse_date;
use trellis_domain::incident::PendingReason;
use trellis_domain::journal::JournalAction;
use trellis_domain::lifecycle::parse_named;
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::sla::{DEFAULT_WARN_PERCENT, ReopenRule, WARN_PERCENT_RANGE};
use trellis_domain::validation::ValidationErrors;
use trellis_store::agreement::{self as store, AgreementRow, AgreementView, Filter, TargetRow, TargetView};
use trellis_store::{Conn, Sql, micros, refs};
use uuid::Uuid;

/// A target as given, with its calendar and the lower target it rests on.
#[derive(Debug, Clone, Default)]
pub struct TargetEntry {
    pub target: TargetInput,
    pub calendar_id: Option<Uuid>,
    pub supported_by: Option<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct AgreementInput {
    pub title: String,
    pub description: String,
    /// Fixed once the agreement exists.
    pub agreement_type: String,
    pub service_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    /// Dates as YYYY-MM-DD; empty for none.
    pub starts_on: String,
    pub ends_on: String,
    pub notice_on: String,
    pub renewal_on: String,
    pub next_review_on: String,
    pub value_cents: Option<i64>,
    /// Pending reasons that pause this agreement's clocks; `None`: awaiting the customer.
    pub pause_on: Option<Vec<String>>,
    /// resume or restart; `None`: resume.
    pub on_reopen: Option<String>,
    /// Percentage of a target at which a warning fires; `None`: 75.
    pub warn_percent: Option<i64>,
    pub targets: Vec<TargetEntry>,
}

/// A target with what it rests on (nearest first) and what rests on it (with the distance).
#[derive(Debug, Clone)]
pub struct TargetLine {
    pub target: TargetView,
    pub supported_by: Vec<TargetView>,
    pub supports: Vec<(usize, TargetView)>,
}

impl TargetLine {
    pub fn describe(&self) -> String {
        describe(&self.target)
    }
}

/// "P1 resolution time within 4 h" for a stored target.
pub fn describe(t: &TargetView) -> String {
    match (Metric::parse(&t.row.metric), Priority::parse(&t.row.priority)) {
        (Some(m), p) => describe_target(m, p, t.row.threshold),
        (None, _) => format!("{} {}", t.row.metric, t.row.threshold),
    }
}

#[derive(Debug, Clone)]
pub struct AgreementDetail {
    pub view: AgreementView,
    pub targets: Vec<TargetLine>,
}

fn date_field(errors: &mut ValidationErrors, field: &str, text: &str) -> Option<Date> {
    match text.trim() {
        "" => None,
        t => {
            let d = parse_date(t);
            if d.is_none() {
                errors.add(field, "must be a date (YYYY-MM-DD)");
            }
            d
        }
    }
}

/// Checks who the agreement is with: an SLA names a customer who receives the service, an OLA
/// an internal team, a contract a supplier.
async fn check_party(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    kind: AgreementType,
    input: &AgreementInput,
) -> Result<(), AppError> {
    let parties = [
        ("customer_id", input.customer_id, AgreementType::Sla),
        ("team_id", input.team_id, AgreementType::Ola),
        ("supplier_id", input.supplier_id, AgreementType::Contract),
    ];
    for (field, value, owner) in parties {
        match (value.is_some(), owner == kind) {
            (false, true) => errors.add(field, format!("is required for an {}", kind.short())),
            (true, false) => errors.add(field, format!("does not apply to an {}", kind.short())),
            _ => {}
        }
    }
    if kind != AgreementType::Contract && input.service_id.is_none() {
        errors.add("service_id", format!("an {} covers a service", kind.short()));
    }
    if let Some(s) = input.service_id
        && trellis_store::service::get(c, &RecordKey::Id(s)).await?.is_none()
    {
        errors.add("service_id", "no such service");
    }
    record::check_customer(c, errors, "customer_id", input.customer_id).await?;
    record::check_team(c, errors, "team_id", input.team_id).await?;
    if let Some(p) = input.supplier_id
        && trellis_store::supplier::get(c, &RecordKey::Id(p)).await?.is_none()
    {
        errors.add("supplier_id", "no such supplier");
    }
    if let (Some(s), Some(cu)) = (input.service_id, input.customer_id)
        && errors.is_empty()
        && !trellis_store::service::receives(c, s, cu).await?
    {
        errors.add("customer_id", "the customer does not receive this service");
    }
    Ok(())
}

/// Names of the calendars and lower targets the entries refer to, for the journal.
type Labels = std::collections::HashMap<Uuid, String>;

/// Checks the targets' calendars and the lower targets they rest on.
async fn check_targets(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    kind: AgreementType,
    own_id: Uuid,
    entries: &[TargetEntry],
    already_linked: &[Uuid],
) -> Result<(Vec<TargetSpec>, Labels), AppError> {
    let inputs: Vec<TargetInput> = entries.iter().map(|e| e.target.clone()).collect();
    let specs = validate_targets(errors, &inputs);
    let mut labels = Labels::new();
    for (i, e) in entries.iter().enumerate() {
        match e.calendar_id {
            None => errors
                .add(&format!("targets[{i}].calendar_id"), "every target is measured on a business calendar"),
            Some(id) => match trellis_store::calendar::get(c, id).await? {
                None => errors.add(&format!("targets[{i}].calendar_id"), "no such calendar"),
                Some(cal) => {
                    labels.insert(id, cal.name);
                }
            },
        }
        let Some(lower) = e.supported_by else { continue };
        let field = format!("targets[{i}].supported_by");
        match store::target(c, lower).await? {
            None => errors.add(&field, "no such target"),
            Some(t) if t.row.agreement_id == own_id => {
                errors.add(&field, "a target cannot rest on its own agreement");
            }
            Some(t) => {
                labels.insert(t.row.id, format!("{} {}", t.agreement_ref, describe(&t)));
                let lower_kind = AgreementType::parse(&t.agreement_type);
                if !lower_kind.is_some_and(|l| kind.may_rest_on(l)) {
                    let message = match kind {
                        AgreementType::Sla => {
                            "an SLA target rests on a target of an OLA or an underpinning contract"
                        }
                        AgreementType::Ola => "an OLA target rests on a target of an underpinning contract",
                        AgreementType::Contract => {
                            "an underpinning contract is the end of the chain: its targets rest on nothing"
                        }
                    };
                    errors.add(&field, message);
                } else if t.row.metric != e.target.metric {
                    // A breach is attributed along the chain only between like targets.
                    errors.add(
                        &field,
                        format!("rests on a {} target; choose one of the same metric", t.row.metric),
                    );
                } else if t.agreement_status == AgreementStatus::Terminated.as_str()
                    && !already_linked.contains(&lower)
                {
                    // Links made before the lower agreement ended stay; new ones cannot be made.
                    errors.add(&field, format!("{} is terminated", t.agreement_ref));
                }
            }
        }
    }
    Ok((specs, labels))
}

/// Checks everything but the targets and writes it into `row`.
async fn apply(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    kind: AgreementType,
    input: &AgreementInput,
    row: &mut AgreementRow,
) -> Result<(), AppError> {
    row.title = errors.required_line("title", &input.title, TITLE_MAX);
    row.description = errors.text("description", &input.description, TEXT_MAX);
    check_party(c, errors, kind, input).await?;
    record::check_staff_user(c, errors, "owner_id", input.owner_id).await?;
    let starts = date_field(errors, "starts_on", &input.starts_on);
    let ends = date_field(errors, "ends_on", &input.ends_on);
    let notice = date_field(errors, "notice_on", &input.notice_on);
    let renewal = date_field(errors, "renewal_on", &input.renewal_on);
    let review = date_field(errors, "next_review_on", &input.next_review_on);
    if let (Some(s), Some(e)) = (starts, ends)
        && e < s
    {
        errors.add("ends_on", "must not be before the start");
    }
    if let (Some(n), Some(e)) = (notice, ends)
        && n > e
    {
        errors.add("notice_on", "notice must be given before the agreement ends");
    }
    if input.value_cents.is_some_and(|v| v < 0) {
        errors.add("value_cents", "must not be negative");
    }
    row.service_id = input.service_id;
    row.customer_id = input.customer_id;
    row.team_id = input.team_id;
    row.supplier_id = input.supplier_id;
    row.owner_id = input.owner_id;
    row.starts_on = starts.map(|d| d.to_string());
    row.ends_on = ends.map(|d| d.to_string());
    row.notice_on = notice.map(|d| d.to_string());
    row.renewal_on = renewal.map(|d| d.to_string());
    row.next_review_on = review.map(|d| d.to_string());
    row.value_cents = input.value_cents;
    apply_conditions(errors, input, row);
    Ok(())
}

/// When the agreement's clocks run: see [`trellis_domain::sla::Conditions`].
fn apply_conditions(errors: &mut ValidationErrors, input: &AgreementInput, row: &mut AgreementRow) {
    let pause_on: Vec<PendingReason> = match &input.pause_on {
        None => vec![PendingReason::AwaitingCustomer],
        Some(given) => {
            given.iter().filter_map(|r| parse_named::<PendingReason>(errors, "pause_on", r)).collect()
        }
    };
    let mut names: Vec<&str> = pause_on.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    row.pause_on = names.join(",");
    row.on_reopen = match input.on_reopen.as_deref().filter(|r| !r.trim().is_empty()) {
        None => ReopenRule::Resume.as_str().into(),
        Some(r) => {
            parse_named::<ReopenRule>(errors, "on_reopen", r).map_or_else(String::new, |r| r.as_str().into())
        }
    };
    let warn = input.warn_percent.unwrap_or(i64::from(DEFAULT_WARN_PERCENT));
    let range = WARN_PERCENT_RANGE;
    if !(i64::from(*range.start())..=i64::from(*range.end())).contains(&warn) {
        errors.add("warn_percent", format!("must be between {} and {}", range.start(), range.end()));
    }
    row.warn_percent = warn;
}

/// The statements that make the agreement's targets `specs`. A target keeps its id while its
/// metric and priority stay, so the targets resting on it stay attached.
fn target_statements(
    agreement_id: Uuid,
    existing: &[TargetView],
    specs: &[TargetSpec],
    entries: &[TargetEntry],
) -> Vec<Sql> {
    let key = |m: Metric, p: Option<Priority>| (m.as_str(), p.map_or("", Priority::as_str));
    let mut statements = Vec::new();
    let mut kept = Vec::new();
    for (position, (spec, entry)) in specs.iter().zip(entries).enumerate() {
        let (metric, priority) = key(spec.metric, spec.priority);
        let same = existing.iter().find(|t| t.row.metric == metric && t.row.priority == priority);
        let row = TargetRow {
            id: same.map_or_else(Uuid::now_v7, |t| t.row.id),
            agreement_id,
            metric: metric.into(),
            priority: priority.into(),
            threshold: spec.threshold,
            calendar_id: entry.calendar_id.unwrap_or_default(),
            supported_by: entry.supported_by,
            position: position as i64,
        };
        statements.push(if same.is_some() { store::update_target(&row) } else { store::insert_target(&row) });
        kept.push(row.id);
    }
    let mut out: Vec<Sql> = existing
        .iter()
        .filter(|t| !kept.contains(&t.row.id))
        .map(|t| store::delete_target(t.row.id))
        .collect();
    out.extend(statements);
    out
}

/// A line per target for the journal, so a reader sees what each version promised.
fn target_line(description: &str, calendar: &str, rests_on: Option<&str>) -> String {
    match rests_on {
        Some(lower) => format!("{description} on {calendar}, resting on {lower}"),
        None => format!("{description} on {calendar}"),
    }
}

fn target_summary(specs: &[TargetSpec], entries: &[TargetEntry], labels: &Labels) -> Vec<String> {
    let label = |id: Option<Uuid>| id.map(|i| labels.get(&i).cloned().unwrap_or_else(|| i.to_string()));
    specs
        .iter()
        .zip(entries)
        .map(|(s, e)| {
            let description = describe_target(s.metric, s.priority, s.threshold);
            target_line(
                &description,
                &label(e.calendar_id).unwrap_or_default(),
                label(e.supported_by).as_deref(),
            )
        })
        .collect()
}

fn stored_summary(targets: &[TargetLine]) -> Vec<String> {
    targets
        .iter()
        .map(|l| {
            let lower = l.supported_by.first().map(|t| format!("{} {}", t.agreement_ref, describe(t)));
            target_line(&l.describe(), &l.target.calendar_name, lower.as_deref())
        })
        .collect()
}

/// The targets in `entries` may be written in any order but the form and API name them by
/// position; specs come back only for valid entries, so all must be valid to be saved.
fn entries_match(specs: &[TargetSpec], entries: &[TargetEntry]) -> Result<(), AppError> {
    if specs.len() == entries.len() { Ok(()) } else { Err(AppError::Internal("validated targets".into())) }
}

pub async fn create(app: &App, actor: &Actor, input: AgreementInput) -> Result<AgreementDetail, AppError> {
    actor.require(Action::AgreementManage)?;
    let mut errors = ValidationErrors::default();
    let kind = parse_named::<AgreementType>(&mut errors, "agreement_type", &input.agreement_type);
    let now = app.now();
    let mut row = AgreementRow {
        id: Uuid::now_v7(),
        reference: String::new(),
        title: String::new(),
        description: String::new(),
        agreement_type: String::new(),
        status: AgreementStatus::Draft.as_str().into(),
        service_id: None,
        customer_id: None,
        team_id: None,
        supplier_id: None,
        owner_id: None,
        starts_on: None,
        ends_on: None,
        notice_on: None,
        renewal_on: None,
        next_review_on: None,
        value_cents: None,
        pause_on: String::new(),
        on_reopen: String::new(),
        warn_percent: 0,
        version: 1,
        created_at: micros(now),
        updated_at: micros(now),
    };
    let mut c = app.db.read();
    let specs = match kind {
        Some(kind) => {
            row.agreement_type = kind.as_str().into();
            apply(&mut c, &mut errors, kind, &input, &mut row).await?;
            check_targets(&mut c, &mut errors, kind, row.id, &input.targets, &[]).await?
        }
        None => (Vec::new(), Labels::new()),
    };
    let (specs, labels) = specs;
    errors.into_result()?;
    entries_match(&specs, &input.targets)?;
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    row.reference = refs::next_reference(&mut c, RecordKind::Agreement).await?;
    let mut changes = Changes::default();
    changes.initial("ref", &row.reference);
    changes.initial("title", &row.title);
    changes.initial("agreement_type", &row.agreement_type);
    changes.initial("status", &row.status);
    changes.initial("service_id", row.service_id);
    changes.initial("customer_id", row.customer_id);
    changes.initial("team_id", row.team_id);
    changes.initial("supplier_id", row.supplier_id);
    changes.initial("owner_id", row.owner_id);
    field_changes(&mut changes, None, &row);
    changes.initial("targets", target_summary(&specs, &input.targets, &labels));
    let mut statements = vec![store::insert(&row)];
    statements.extend(target_statements(row.id, &[], &specs, &input.targets));
    journal::record_with(
        &mut c,
        statements,
        RecordKind::Agreement,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes.0,
    )
    .await?;
    tx.commit().await?;
    get(app, actor, &row.id.to_string()).await
}

/// The editable fields other than the parties and targets; on creation (`before` = None) only
/// those that are set.
fn field_changes(changes: &mut Changes, before: Option<&AgreementRow>, after: &AgreementRow) {
    match before {
        None => {
            changes.initial("description", &after.description);
            changes.initial("starts_on", &after.starts_on);
            changes.initial("ends_on", &after.ends_on);
            changes.initial("notice_on", &after.notice_on);
            changes.initial("renewal_on", &after.renewal_on);
            changes.initial("next_review_on", &after.next_review_on);
            changes.initial("value_cents", after.value_cents);
            changes.initial("pause_on", &after.pause_on);
            changes.initial("on_reopen", &after.on_reopen);
            changes.initial("warn_percent", after.warn_percent);
        }
        Some(b) => {
            changes.compare("title", &b.title, &after.title);
            changes.compare("description", &b.description, &after.description);
            changes.compare("service_id", b.service_id, after.service_id);
            changes.compare("owner_id", b.owner_id, after.owner_id);
            changes.compare("starts_on", &b.starts_on, &after.starts_on);
            changes.compare("ends_on", &b.ends_on, &after.ends_on);
            changes.compare("notice_on", &b.notice_on, &after.notice_on);
            changes.compare("renewal_on", &b.renewal_on, &after.renewal_on);
            changes.compare("next_review_on", &b.next_review_on, &after.next_review_on);
            changes.compare("value_cents", b.value_cents, after.value_cents);
            changes.compare("pause_on", &b.pause_on, &after.pause_on);
            changes.compare("on_reopen", &b.on_reopen, &after.on_reopen);
            changes.compare("warn_percent", b.warn_percent, after.warn_percent);
        }
    }
}

/// Follows what `t` rests on, nearest first. The type order (SLA → OLA → contract) makes the
/// chain at most two long; the bound guards against damaged data.
async fn chain_down(c: &mut Conn<'_>, t: &TargetView) -> Result<Vec<TargetView>, AppError> {
    let mut out: Vec<TargetView> = Vec::new();
    let mut next = t.row.supported_by;
    while let Some(id) = next.filter(|_| out.len() < 4) {
        let Some(lower) = store::target(c, id).await? else { break };
        next = lower.row.supported_by;
        out.push(lower);
    }
    Ok(out)
}

/// Everything resting on `t`, directly (distance 1) or through another target.
async fn chain_up(c: &mut Conn<'_>, t: &TargetView) -> Result<Vec<(usize, TargetView)>, AppError> {
    let mut out: Vec<(usize, TargetView)> = Vec::new();
    let mut frontier = vec![t.row.id];
    for depth in 1..=4 {
        let mut found = Vec::new();
        for id in frontier {
            found.extend(store::resting_on(c, id).await?);
        }
        frontier = found.iter().map(|f| f.row.id).collect();
        out.extend(found.into_iter().map(|f| (depth, f)));
        if frontier.is_empty() {
            break;
        }
    }
    Ok(out)
}

pub async fn get(app: &App, actor: &Actor, key: &str) -> Result<AgreementDetail, AppError> {
    actor.require(Action::AgreementRead)?;
    let key: RecordKey = key.parse().map_err(|()| AppError::NotFound)?;
    let mut c = app.db.read();
    let view = store::get(&mut c, &key).await?.ok_or(AppError::NotFound)?;
    let mut targets = Vec::new();
    for target in store::targets_of(&mut c, view.row.id).await? {
        let supported_by = chain_down(&mut c, &target).await?;
        let supports = chain_up(&mut c, &target).await?;
        targets.push(TargetLine { target, supported_by, supports });
    }
    Ok(AgreementDetail { view, targets })
}

pub fn handle_of(v: &AgreementView) -> RecordHandle {
    RecordHandle {
        kind: RecordKind::Agreement,
        id: v.row.id,
        reference: v.row.reference.clone(),
        title: v.row.title.clone(),
        customer_id: v.row.customer_id,
    }
}

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: Filter,
) -> Result<(Vec<AgreementView>, Option<Uuid>), AppError> {
    actor.require(Action::AgreementRead)?;
    Ok(store::list(&mut app.db.read(), &filter).await?)
}

/// The targets a target of an agreement of `kind` may rest on (for choosing in a form).
pub async fn supporting_targets(
    app: &App,
    actor: &Actor,
    kind: AgreementType,
) -> Result<Vec<TargetView>, AppError> {
    actor.require(Action::AgreementRead)?;
    let lower: Vec<&str> =
        AgreementType::ALL.iter().filter(|l| kind.may_rest_on(**l)).map(|l| l.as_str()).collect();
    if lower.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store::targets_of_types(&mut app.db.read(), &lower).await?)
}

/// The input that reproduces a stored agreement (what an edit form starts from).
pub fn input_of(d: &AgreementDetail) -> AgreementInput {
    let r = &d.view.row;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    AgreementInput {
        title: r.title.clone(),
        description: r.description.clone(),
        agreement_type: r.agreement_type.clone(),
        service_id: r.service_id,
        customer_id: r.customer_id,
        team_id: r.team_id,
        supplier_id: r.supplier_id,
        owner_id: r.owner_id,
        starts_on: text(&r.starts_on),
        ends_on: text(&r.ends_on),
        notice_on: text(&r.notice_on),
        renewal_on: text(&r.renewal_on),
        next_review_on: text(&r.next_review_on),
        value_cents: r.value_cents,
        pause_on: Some(
            crate::sla::parse_pause_on(&r.pause_on).iter().map(|p| p.as_str().to_owned()).collect(),
        ),
        on_reopen: Some(r.on_reopen.clone()),
        warn_percent: Some(r.warn_percent),
        targets: d
            .targets
            .iter()
            .map(|l| {
                let t = &l.target.row;
                let metric = Metric::parse(&t.metric);
                TargetEntry {
                    target: TargetInput {
                        metric: t.metric.clone(),
                        priority: t.priority.clone(),
                        value: metric.map_or_else(
                            || t.threshold.to_string(),
                            |m| trellis_domain::agreement::target_value_text(m, t.threshold),
                        ),
                    },
                    calendar_id: Some(t.calendar_id),
                    supported_by: t.supported_by,
                }
            })
            .collect(),
    }
}

/// Replaces the agreement's fields and targets with `input` (callers start from [`input_of`]).
/// The type and the party it is with stay as they are.
pub async fn update(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: i64,
    mut input: AgreementInput,
) -> Result<AgreementDetail, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::AgreementManage)?;
    let r0 = &current.view.row;
    record::expect_version(r0.version, Some(expected_version))?;
    let kind: AgreementType = record::stored(&r0.agreement_type)?;
    let mut errors = ValidationErrors::default();
    if input.agreement_type != r0.agreement_type {
        errors.add("agreement_type", "cannot change; make a new agreement instead");
    }
    for (field, given, stored) in [
        ("customer_id", input.customer_id, r0.customer_id),
        ("team_id", input.team_id, r0.team_id),
        ("supplier_id", input.supplier_id, r0.supplier_id),
    ] {
        if given != stored {
            errors.add(field, "the party to an agreement cannot change; make a new agreement instead");
        }
    }
    input.agreement_type = r0.agreement_type.clone();
    let mut next = r0.clone();
    let mut c = app.db.read();
    apply(&mut c, &mut errors, kind, &input, &mut next).await?;
    let linked: Vec<Uuid> = current.targets.iter().filter_map(|l| l.target.row.supported_by).collect();
    let (specs, labels) = check_targets(&mut c, &mut errors, kind, r0.id, &input.targets, &linked).await?;
    errors.into_result()?;
    entries_match(&specs, &input.targets)?;
    // A target others rest on cannot be dropped: the chain above it would silently break.
    for line in &current.targets {
        let t = &line.target.row;
        let kept = specs
            .iter()
            .any(|s| s.metric.as_str() == t.metric && s.priority.map_or("", Priority::as_str) == t.priority);
        if let (false, Some((_, above))) = (kept, line.supports.iter().find(|(d, _)| *d == 1)) {
            return Err(AppError::conflict(
                "agreement.target_in_use",
                format!(
                    "the target \"{}\" supports a target of {}; detach it there first",
                    line.describe(),
                    above.agreement_ref
                ),
            ));
        }
    }
    let mut changes = Changes::default();
    field_changes(&mut changes, Some(r0), &next);
    changes.compare(
        "targets",
        stored_summary(&current.targets),
        target_summary(&specs, &input.targets, &labels),
    );
    if changes.is_empty() {
        return Ok(current);
    }
    let existing: Vec<TargetView> = current.targets.iter().map(|l| l.target.clone()).collect();
    let statements = target_statements(r0.id, &existing, &specs, &input.targets);
    save(app, actor, next, expected_version, statements, JournalAction::Updated, &changes).await
}

async fn save(
    app: &App,
    actor: &Actor,
    mut next: AgreementRow,
    expected_version: i64,
    statements: Vec<Sql>,
    action: JournalAction,
    changes: &Changes,
) -> Result<AgreementDetail, AppError> {
    let now = app.now();
    next.version = expected_version + 1;
    next.updated_at = micros(now);
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let saved = c.execute(store::update(&next, expected_version)).await? == 1;
    if saved {
        c.execute_batch(statements).await.map_err(|e| match e {
            // A target named here was removed, or one removed here was rested on, meanwhile.
            trellis_store::StoreError::ForeignKey(_) => AppError::conflict(
                "agreement.targets_changed",
                "a target this change names or removes was changed meanwhile; reload and try again",
            ),
            other => other.into(),
        })?;
    }
    record::journal_saved(
        &mut c,
        saved,
        RecordKind::Agreement,
        next.id,
        next.version,
        actor,
        now,
        action,
        &changes.0,
    )
    .await?;
    crate::sla::agreement_changed(&mut c, &next, now).await?;
    tx.commit().await?;
    app.jobs_queued.notify_one();
    get(app, actor, &next.id.to_string()).await
}

pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    to: &str,
    expected_version: Option<i64>,
) -> Result<AgreementDetail, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::AgreementManage)?;
    let to: AgreementStatus = record::target_state(to)?;
    let r0 = &current.view.row;
    let changes = record::plan_move(&r0.status, r0.version, to, expected_version)?;
    if to == AgreementStatus::Active && current.targets.is_empty() && r0.agreement_type != "contract" {
        return Err(
            ValidationErrors::single("targets", "an agreement in force needs at least one target").into()
        );
    }
    let mut next = r0.clone();
    next.status = to.as_str().into();
    save(app, actor, next, r0.version, Vec::new(), JournalAction::Transitioned, &changes).await
}

/// A date coming up on an agreement: notice to give, a renewal, an end, a review.
#[derive(Debug, Clone)]
pub struct Deadline {
    pub on: Date,
    pub what: &'static str,
    pub agreement: AgreementView,
}

/// Dates in the next `days` days (from today, UTC), soonest first: the reminders a contract
/// owner needs before a notice period or renewal passes.
pub async fn deadlines(app: &App, actor: &Actor, days: i64) -> Result<Vec<Deadline>, AppError> {
    actor.require(Action::AgreementRead)?;
    if !(0..=3660).contains(&days) {
        return Err(ValidationErrors::single("days", "must be from 0 to 3660").into());
    }
    let today = app.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let until = today.saturating_add(jiff::Span::new().days(days));
    let found = store::with_dates_between(&mut app.db.read(), &today.to_string(), &until.to_string()).await?;
    let mut out = Vec::new();
    for a in found {
        let r = &a.row;
        for (date, what) in [
            (&r.notice_on, "last day to give notice"),
            (&r.renewal_on, "renewal"),
            (&r.ends_on, "ends"),
            (&r.next_review_on, "review due"),
        ] {
            if let Some(d) = date.as_deref().and_then(parse_date).filter(|d| *d >= today && *d <= until) {
                out.push(Deadline { on: d, what, agreement: a.clone() });
            }
        }
    }
    out.sort_by(|a, b| {
        a.on.cmp(&b.on).then_with(|| a.agreement.row.reference.cmp(&b.agreement.row.reference))
    });
    Ok(out)
}
