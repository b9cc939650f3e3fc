//! The demo's agreements: business calendars, two suppliers, and the chain an auditor asks about
//! first, an SLA for Managed e-mail resting on the network team's OLA, which rests on the WAN
//! supplier's contract; plus reviews, request offerings and a configuration baseline.

use anyhow::Context;
use jiff::civil::{Date, Time};
use trellis_app::agreement::{self, AgreementInput, TargetEntry};
use trellis_app::baseline::{self, Selection};
use trellis_app::calendar;
use trellis_app::offering::{self, OfferingInput};
use trellis_app::platform::RecordHandle;
use trellis_app::supplier::{self, SupplierInput};
use trellis_app::{Actor, App, incident, review};
use trellis_domain::agreement::{Metric, Priority, TargetInput};
use trellis_domain::calendar::{Calendar, Shift, SpecialDay, WeeklyHours};
use trellis_domain::ci::AttributeDef;
use trellis_domain::offering::{ApproverRule, TaskTemplate};
use trellis_domain::record::RecordKind;
use trellis_domain::review::ReviewInput;
use uuid::Uuid;

fn target(
    metric: Metric,
    priority: Option<Priority>,
    value: &str,
    calendar: Uuid,
    rests_on: Option<Uuid>,
) -> TargetEntry {
    TargetEntry {
        target: TargetInput {
            metric: metric.as_str().into(),
            priority: priority.map(|p| p.as_str().to_owned()).unwrap_or_default(),
            value: value.into(),
        },
        calendar_id: Some(calendar),
        supported_by: rests_on,
    }
}

/// The id of an agreement's target for `metric` and `priority`.
fn target_id(d: &agreement::AgreementDetail, metric: Metric, priority: Priority) -> Option<Uuid> {
    d.targets
        .iter()
        .find(|l| l.target.row.metric == metric.as_str() && l.target.row.priority == priority.as_str())
        .map(|l| l.target.row.id)
}

/// Loads calendars, suppliers, the SLA ← OLA ← contract chain, reviews, offerings and a baseline.
/// `services[0]` is Managed e-mail and `customers[0]` receives it. Returns the id of the
/// published "New mailbox" offering.
pub async fn load(
    app: &App,
    manager: &Actor,
    customers: &[Uuid],
    teams: &[Uuid],
    services: &[Uuid],
) -> anyhow::Result<Uuid> {
    let (service_desk, network_team) = (teams[0], teams[1]);
    let today = app.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let days = |n: i64| today.saturating_add(jiff::Span::new().days(n)).to_string();
    let year = today.year();
    let day = |m: i8, d: i8| Date::new(year, m, d).context("demo date");
    let office = Shift::new(Time::constant(8, 0, 0, 0), Time::constant(18, 0, 0, 0));
    let mut berlin = Calendar::new("Europe/Berlin", WeeklyHours::monday_to_friday(&[office]));
    berlin.special_days = vec![
        SpecialDay::with_hours(
            day(12, 24)?,
            "Christmas Eve",
            vec![Shift::new(Time::constant(8, 0, 0, 0), Time::constant(12, 0, 0, 0))],
        ),
        SpecialDay::holiday(day(12, 25)?, "Christmas Day"),
        SpecialDay::holiday(day(12, 26)?, "Boxing Day"),
        SpecialDay::holiday(day(10, 3)?, "Tag der Deutschen Einheit"),
    ];
    let office_hours =
        calendar::create(app, manager, "Office hours Berlin", "Service desk hours, German holidays", berlin)
            .await?;
    let always = calendar::create(app, manager, "24x7", "Around the clock", Calendar::always_on()).await?;
    let (office_hours, always) = (office_hours.row.id, always.row.id);

    let fibre = supplier::create(
        app,
        manager,
        SupplierInput {
            name: "FibreLink GmbH".into(),
            description: "WAN links between the data centre and customer sites.".into(),
            supplier_type: "external".into(),
            contact: "noc@fibrelink.example, +49 30 1234567 (24x7 NOC)".into(),
            owner_id: Some(manager.user_id),
        },
    )
    .await?;
    supplier::create(
        app,
        manager,
        SupplierInput {
            name: "Data centre operations".into(),
            description: "Our own facilities team: power, cooling, racks.".into(),
            supplier_type: "internal".into(),
            contact: "facilities@demo.trellis".into(),
            owner_id: Some(manager.user_id),
        },
    )
    .await?;

    let contract = agreement::create(
        app,
        manager,
        AgreementInput {
            title: "WAN links for the data centre".into(),
            agreement_type: "contract".into(),
            supplier_id: Some(fibre.row.id),
            service_id: Some(services[0]),
            owner_id: Some(manager.user_id),
            starts_on: format!("{year}-01-01"),
            ends_on: format!("{}-12-31", year + 1),
            notice_on: days(45),
            renewal_on: format!("{}-01-01", year + 2),
            value_cents: Some(4_800_000),
            targets: vec![
                target(Metric::Availability, None, "99.95", always, None),
                target(Metric::Resolution, Some(Priority::P1), "120", always, None),
            ],
            ..AgreementInput::default()
        },
    )
    .await
    .context("demo contract")?;
    let ola = agreement::create(
        app,
        manager,
        AgreementInput {
            title: "Network team support for Managed e-mail".into(),
            agreement_type: "ola".into(),
            team_id: Some(network_team),
            service_id: Some(services[0]),
            owner_id: Some(manager.user_id),
            next_review_on: days(20),
            targets: vec![
                target(Metric::Response, Some(Priority::P1), "15", always, None),
                target(
                    Metric::Resolution,
                    Some(Priority::P1),
                    "180",
                    always,
                    target_id(&contract, Metric::Resolution, Priority::P1),
                ),
            ],
            ..AgreementInput::default()
        },
    )
    .await
    .context("demo OLA")?;
    let sla = agreement::create(
        app,
        manager,
        AgreementInput {
            title: "Managed e-mail service level agreement".into(),
            description: "Service hours, targets per priority and the review cycle agreed with the customer."
                .into(),
            agreement_type: "sla".into(),
            customer_id: Some(customers[0]),
            service_id: Some(services[0]),
            owner_id: Some(manager.user_id),
            starts_on: format!("{year}-01-01"),
            ends_on: format!("{}-12-31", year + 1),
            next_review_on: days(30),
            targets: vec![
                target(Metric::Availability, None, "99.9", always, None),
                target(Metric::Response, Some(Priority::P1), "30", always, None),
                target(
                    Metric::Resolution,
                    Some(Priority::P1),
                    "240",
                    always,
                    target_id(&ola, Metric::Resolution, Priority::P1),
                ),
                target(Metric::Resolution, Some(Priority::P2), "480", office_hours, None),
                target(Metric::Resolution, Some(Priority::P3), "1440", office_hours, None),
            ],
            ..AgreementInput::default()
        },
    )
    .await
    .context("demo SLA")?;
    for a in [&contract, &ola, &sla] {
        agreement::transition(app, manager, &a.view.row.reference, "active", None).await?;
    }
    // An outage the whole chain measures: the SLA and the OLA clocks run, and the contract's
    // while the ticket waits on the carrier.
    let outage = incident::create(
        app,
        manager,
        incident::NewIncident {
            title: "E-mail unreachable from the Leeds office".into(),
            description: "Outlook and webmail time out for everyone in Leeds since 08:40.".into(),
            customer_id: Some(customers[0]),
            team_id: Some(network_team),
            service_id: Some(services[0]),
            category: "Network".into(),
            impact: Some("high".into()),
            urgency: Some("high".into()),
            ..incident::NewIncident::default()
        },
    )
    .await
    .context("demo outage")?;
    let outage_ref = outage.row.reference;
    incident::transition(app, manager, &outage_ref, incident::IncidentMove::to("in_progress"), None).await?;
    let wait = incident::IncidentMove {
        pending_reason: Some("awaiting_supplier".into()),
        ..incident::IncidentMove::to("pending")
    };
    incident::transition(app, manager, &outage_ref, wait, None).await?;
    // The whole office is down: a major incident, run by the manager, with the customer kept
    // informed.
    trellis_app::major::declare(
        app,
        manager,
        &outage_ref,
        Some(manager.user_id),
        "Every user in Leeds is without e-mail",
        None,
    )
    .await
    .context("demo major incident")?;
    let update = trellis_app::major::NewCommunication {
        audience: "customers".into(),
        channel: "status_page".into(),
        message: "The carrier has found a failed line card in Leeds; next update at 14:00.".into(),
    };
    trellis_app::major::communicate(app, manager, &outage_ref, update).await.context("demo communication")?;
    // Why the carrier's line failed is a problem of its own, under investigation.
    let why = trellis_app::problem::NewProblem {
        title: "Leeds carrier line card fails under load".into(),
        description: "Second failure of the Leeds line card this quarter.".into(),
        ..trellis_app::problem::NewProblem::default()
    };
    let problem = trellis_app::problem::raise_from_incident(app, manager, &outage_ref, why)
        .await
        .context("demo problem")?;
    trellis_app::problem::transition(app, manager, &problem.row.reference, "investigating", None).await?;
    let handle = |kind: RecordKind, id: Uuid, reference: &str, title: &str| RecordHandle {
        kind,
        id,
        reference: reference.into(),
        title: title.into(),
        customer_id: None,
    };
    let sla_handle =
        handle(RecordKind::Agreement, sla.view.row.id, &sla.view.row.reference, &sla.view.row.title);
    let held = ReviewInput {
        scheduled_on: days(-30),
        held_on: days(-30),
        outcome: "All targets met this quarter; P2 resolution close to the limit twice.".into(),
        actions: "Add a second on-call engineer for e-mail from next month.".into(),
        rating: String::new(),
    };
    review::add(app, manager, &sla_handle, None, held).await?;
    let fibre_handle = handle(RecordKind::Supplier, fibre.row.id, &fibre.row.reference, &fibre.row.name);
    let rated = ReviewInput {
        scheduled_on: days(-14),
        held_on: days(-14),
        outcome: "One P1 outage fixed in 95 minutes, inside the contract's two hours.".into(),
        actions: String::new(),
        rating: "4".into(),
    };
    review::add(app, manager, &fibre_handle, None, rated).await?;

    let mailbox_form: Vec<AttributeDef> = serde_json::from_value(serde_json::json!([
        {"key": "display_name", "label": "Display name", "kind": "text", "required": true},
        {"key": "size", "label": "Mailbox size", "kind": "choice", "required": true, "choices": ["10 GB", "50 GB"]},
        {"key": "needed_by", "label": "Needed by", "kind": "date"}]))
    .context("demo offering form")?;
    let mailbox = offering::create(
        app,
        manager,
        &services[0].to_string(),
        OfferingInput {
            name: "New mailbox".into(),
            description: "A mailbox for a new colleague, with archiving.".into(),
            form: mailbox_form,
            approval: "any_of".into(),
            approvers: vec![ApproverRule::Managers],
            tasks: vec![
                TaskTemplate {
                    title: "Create the mailbox and its archive".into(),
                    team_id: Some(service_desk),
                },
                TaskTemplate {
                    title: "Send the sign-in details to the requester".into(),
                    team_id: Some(service_desk),
                },
            ],
            fulfilment_minutes: Some(480),
            calendar_id: Some(office_hours),
        },
    )
    .await?;
    offering::transition(app, manager, mailbox.row.id, "published", None).await?;
    let selection = Selection::default();
    baseline::take(app, manager, "Estate at go-live", "Every CI as the demo was loaded", selection).await?;
    Ok(mailbox.row.id)
}
