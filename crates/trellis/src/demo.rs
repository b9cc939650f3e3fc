//! `trellis demo`: a realistic small provider to explore at once — three customers, teams,
//! people in every role and incidents in every state, with comments and links; services, a CMDB
//! and complaints (see [`crate::demo_catalogue`]).

use anyhow::Context;
use trellis_app::identity::{self, NewContact, NewCustomer, NewTeam, NewUser};
use trellis_app::incident::{self, NewIncident};
use trellis_app::{Actor, App, AppError, auth, platform};
use trellis_domain::journal::Channel;
use uuid::Uuid;

/// The password of every demo account (printed by `trellis demo`; demo data only).
pub const DEMO_PASSWORD: &str = "trellis-demo-password";

pub struct DemoSummary {
    pub users: Vec<(String, String)>,
    pub incidents: usize,
    pub services: usize,
}

const CUSTOMERS: [(&str, &str, &str, &str); 3] = [
    ("Northwind Health", "Hospital group; 24x7 clinical systems.", "Nina Patel", "nina@northwind.example"),
    (
        "Contoso Logistics",
        "Freight forwarder; warehouse and fleet systems.",
        "Carlos Diaz",
        "carlos@contoso.example",
    ),
    (
        "Fabrikam Retail",
        "Retail chain; point of sale and e-commerce.",
        "Fiona Walsh",
        "fiona@fabrikam.example",
    ),
];

const INCIDENTS: [(&str, &str, usize, Option<usize>, &str); 12] = [
    (
        "VPN drops every 10 minutes for the Leeds site",
        "Users at Leeds lose the VPN tunnel roughly every ten minutes since 08:00.",
        0,
        Some(1),
        "in_progress",
    ),
    (
        "Ward tablets cannot reach the patient record system",
        "Tablets on wards 4 and 5 time out when opening records.",
        0,
        Some(0),
        "new",
    ),
    (
        "E-mail to external recipients delayed",
        "Outbound mail sits in the queue for up to an hour.",
        0,
        Some(2),
        "resolved",
    ),
    ("Printer on floor 3 offline", "Shows error 0x61011bed after the firmware update.", 0, None, "closed"),
    (
        "Warehouse scanners fail to sync",
        "Handheld scanners in Rotterdam do not upload scans.",
        1,
        Some(2),
        "pending",
    ),
    (
        "Fleet tracking map shows no vehicles",
        "The live map has been empty since the overnight release.",
        1,
        Some(2),
        "in_progress",
    ),
    (
        "New starter needs access to the TMS",
        "Please grant the transport management system role to a new planner.",
        1,
        Some(0),
        "new",
    ),
    (
        "Tills in the Manchester store freeze at card payment",
        "Three tills freeze when a card is presented; cash works.",
        2,
        Some(1),
        "in_progress",
    ),
    (
        "Web shop checkout returns error 500",
        "Customers report an error at the last checkout step.",
        2,
        Some(2),
        "resolved",
    ),
    ("Stock levels not updating overnight", "The nightly stock import did not run.", 2, Some(2), "new"),
    ("Slow login to the HR portal", "Login takes more than 30 seconds since Monday.", 0, Some(2), "pending"),
    (
        "Wi-Fi weak in the Bristol store stockroom",
        "Handhelds lose signal at the back of the stockroom.",
        2,
        Some(1),
        "closed",
    ),
];

fn path(status: &str) -> &'static [&'static str] {
    match status {
        "in_progress" => &["in_progress"],
        "pending" => &["in_progress", "pending"],
        "resolved" => &["in_progress", "resolved"],
        "closed" => &["in_progress", "resolved", "closed"],
        _ => &[],
    }
}

/// A demo move: waiting is on the customer, and a resolution is a fix.
fn demo_move(to: &str) -> incident::IncidentMove {
    let mut m = incident::IncidentMove::to(to);
    match to {
        "pending" => m.pending_reason = Some("awaiting_customer".into()),
        "resolved" => m.resolution_code = Some("fixed".into()),
        _ => {}
    }
    m
}

/// Loads the demo organisation. Refuses to load twice.
pub async fn load(app: &App) -> anyhow::Result<DemoSummary> {
    let admin = Actor { channel: Channel::Cli, ..Actor::system() };
    let existing = identity::list_customers(app, &admin).await?;
    if existing.iter().any(|c| c.name == CUSTOMERS[0].0) {
        anyhow::bail!("the demo data is already loaded");
    }
    let mut customers = Vec::new();
    for (name, notes, contact, email) in CUSTOMERS {
        let c =
            identity::create_customer(app, &admin, NewCustomer { name: name.into(), notes: notes.into() })
                .await?;
        identity::add_contact(
            app,
            &admin,
            c.id,
            NewContact { name: contact.into(), email: email.into(), phone: String::new() },
        )
        .await?;
        customers.push(c);
    }
    let mut teams = Vec::new();
    for (name, d) in [
        ("Service Desk", "First line: logging, triage, quick fixes"),
        ("Network", "WAN, LAN, VPN, Wi-Fi and firewalls"),
        ("Applications", "Line-of-business applications and integrations"),
    ] {
        teams.push(
            identity::create_team(app, &admin, NewTeam { name: name.into(), description: d.into() }).await?,
        );
    }
    let people: Vec<(&str, &str, &str, Option<usize>)> = vec![
        ("morgan.manager@demo.trellis", "Morgan Reyes", "manager", None),
        ("alex.agent@demo.trellis", "Alex Kim", "agent", None),
        ("sam.agent@demo.trellis", "Sam Okafor", "agent", None),
        ("jo.agent@demo.trellis", "Jo Lindqvist", "agent", None),
        ("avery.auditor@demo.trellis", "Avery Stone", "auditor", None),
        ("nina@northwind.example", "Nina Patel", "customer", Some(0)),
        ("carlos@contoso.example", "Carlos Diaz", "customer", Some(1)),
        ("fiona@fabrikam.example", "Fiona Walsh", "customer", Some(2)),
    ];
    let mut users = Vec::new();
    for (email, name, role, customer) in &people {
        let u = identity::create_user(
            app,
            &admin,
            NewUser {
                email: (*email).into(),
                display_name: (*name).into(),
                role: (*role).into(),
                customer_id: customer.map(|i| customers[i].id),
                password: Some(DEMO_PASSWORD.into()),
            },
        )
        .await?;
        users.push((u.email.clone(), u.role.clone()));
    }
    let actor = |email: &'static str, ch| auth::actor_for_email(app, email, ch);
    let manager = actor("morgan.manager@demo.trellis", Channel::Ui).await?;
    let agents = [
        actor("alex.agent@demo.trellis", Channel::Ui).await?,
        actor("sam.agent@demo.trellis", Channel::Ui).await?,
        actor("jo.agent@demo.trellis", Channel::Api).await?,
    ];
    for (i, a) in agents.iter().enumerate() {
        identity::add_team_member(app, &manager, teams[i % 3].id, a.user_id).await?;
    }
    let portal = [
        actor("nina@northwind.example", Channel::Portal).await?,
        actor("carlos@contoso.example", Channel::Portal).await?,
        actor("fiona@fabrikam.example", Channel::Portal).await?,
    ];
    let mut refs = Vec::new();
    for (n, (title, description, cust, team, status)) in INCIDENTS.iter().enumerate() {
        // Some incidents arrive through the portal, the rest are logged by the service desk.
        let (by, new) = if n % 3 == 0 {
            (
                &portal[*cust],
                NewIncident {
                    title: (*title).into(),
                    description: (*description).into(),
                    ..NewIncident::default()
                },
            )
        } else {
            let agent = &agents[n % 3];
            let new = NewIncident {
                title: (*title).into(),
                description: (*description).into(),
                customer_id: Some(customers[*cust].id),
                team_id: team.map(|t| teams[t].id),
                ..NewIncident::default()
            };
            (agent, new)
        };
        let v = incident::create(app, by, new).await?;
        let key = v.row.reference.clone();
        let worker = &agents[(n + 1) % 3];
        if *status != "new" {
            let patch = incident::IncidentPatch {
                team_id: team.map(|t| Some(teams[t].id)),
                assignee_id: Some(Some(worker.user_id)),
                ..Default::default()
            };
            let cur = incident::get(app, worker, &key).await?;
            incident::update(app, worker, &key, cur.row.version, patch).await?;
        }
        let h = incident::handle(app, worker, &key).await?;
        platform::add_comment(
            app,
            worker,
            &h,
            "Thanks for reporting this. We are looking into it now.",
            true,
        )
        .await?;
        if n % 2 == 0 {
            platform::add_comment(
                app,
                worker,
                &h,
                "Checked the monitoring: errors started after last night's change window.",
                false,
            )
            .await?;
        }
        for to in path(status) {
            incident::transition(app, worker, &key, demo_move(to), None)
                .await
                .with_context(|| format!("{key} → {to}"))?;
        }
        refs.push(key);
    }
    // Related incidents, as an agent would link them.
    for (a, b, t) in [(0usize, 10usize, "relates_to"), (8, 9, "caused_by"), (5, 4, "relates_to")] {
        let h = incident::handle(app, &agents[0], &refs[a]).await?;
        match platform::add_link(app, &agents[0], &h, t, &refs[b]).await {
            Ok(_) | Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let ids: Vec<_> = customers.iter().map(|c| c.id).collect();
    let services = crate::demo_catalogue::load(app, &admin, &manager, &agents[0], &portal, &ids).await?;
    let team_ids: Vec<Uuid> = teams.iter().map(|t| t.id).collect();
    let mailbox = crate::demo_agreements::load(app, &manager, &ids, &team_ids, &services).await?;
    demo_requests(app, &manager, &agents[0], &portal[0], mailbox).await?;
    demo_knowledge(app, &manager, &agents[0], services[0]).await?;
    Ok(DemoSummary { users, incidents: refs.len(), services: services.len() })
}

/// Three mailbox requests from Northwind's portal user: one awaiting a manager's approval, one
/// in fulfilment with a task done, one rejected.
async fn demo_requests(
    app: &App,
    manager: &Actor,
    agent: &Actor,
    customer: &Actor,
    mailbox: Uuid,
) -> anyhow::Result<()> {
    use trellis_app::service_request::{self as request, NewRequest};
    let order = |name: &str, size: &str, note: &str| NewRequest {
        offering_id: mailbox,
        answers: serde_json::json!({"display_name": name, "size": size})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        description: note.into(),
        requested_for: None,
    };
    request::order(app, customer, order("Priya Shah", "10 GB", "Starts on Monday.")).await?;
    let approved = request::order(app, customer, order("Tom Berg", "50 GB", "Finance controller.")).await?;
    let key = approved.view.row.reference.clone();
    request::decide(app, manager, &key, true, "").await?;
    let first = request::detail(app, agent, &key).await?.tasks.first().map(|t| t.row.id);
    if let Some(task) = first {
        request::complete_task(app, agent, &key, task, "Mailbox created with a 50 GB quota.").await?;
    }
    let shared =
        request::order(app, customer, order("info@", "50 GB", "A shared inbox for reception.")).await?;
    let reason = "Shared inboxes are a different offering: please order \"Shared mailbox\".";
    request::decide(app, manager, &shared.view.row.reference, false, reason).await?;
    Ok(())
}

/// Knowledge: a public article for every customer, one on Managed e-mail for its customers, a
/// staff-only procedure, and a draft awaiting review.
async fn demo_knowledge(
    app: &App,
    manager: &Actor,
    agent: &Actor,
    email_service: Uuid,
) -> anyhow::Result<()> {
    use trellis_app::article::{self, ArticleInput};
    let articles: [(&str, &str, &str, Option<Uuid>, bool); 4] = [
        (
            "Resetting your password",
            "Open the portal's sign-in page and choose \"Forgot password\". The link we send is valid for one \
             hour. If it does not arrive, check the junk folder, then call the service desk.",
            "public",
            None,
            true,
        ),
        (
            "Setting up e-mail on a phone",
            "Add an Exchange account with your e-mail address; the server is found automatically. \
             Phones older than five years may need the mail app from the store.",
            "public",
            Some(email_service),
            true,
        ),
        (
            "Restarting the mail relay",
            "Drain the relay from the load balancer, restart the relay service, check the queue length \
             falls, then put it back. Tell the major-incident manager before you start.",
            "internal",
            Some(email_service),
            true,
        ),
        (
            "Shared mailbox permissions",
            "Full access and send-as are granted separately; ask the owner for both.",
            "internal",
            Some(email_service),
            false,
        ),
    ];
    for (title, body, audience, service, publish) in articles {
        let input = ArticleInput {
            title: Some(title.into()),
            body: Some(body.into()),
            audience: Some(audience.into()),
            service_id: Some(service),
            ..ArticleInput::default()
        };
        let a = article::create(app, agent, input).await?;
        if publish {
            let key = a.row.reference.clone();
            article::transition(app, manager, &key, "reviewed", None).await?;
            article::transition(app, manager, &key, "published", None).await?;
        }
    }
    Ok(())
}
