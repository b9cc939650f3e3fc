//! Notifications: written with the event, delivered by the job worker over real SMTP (a sink on
//! loopback), exactly once whichever process delivers them; in-app notifications; templates an
//! administrator edits.

use crate::helpers::{TestApp, problem};
use crate::sla::{Setting, at, move_to, ok, setting};
use crate::smtp_sink::SmtpSink;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn with_mail() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let t = TestApp::spawn_with(&format!(
        "smtp_url = \"{}\"\nmail_from = \"Service desk <desk@provider.example>\"\npublic_url = \"https://trellis.provider.example\"",
        sink.url
    ))
    .await;
    (t, sink)
}

async fn user_id(t: &TestApp, token: &str) -> String {
    ok(t.get(token, "/api/v1/me").await, "me").await["id"].as_str().expect("id").to_owned()
}

async fn join(t: &TestApp, team: &str, user: &str) {
    let r = t.post(&t.admin_token, &format!("/api/v1/teams/{team}/members"), json!({"user_id": user})).await;
    assert!(r.status().is_success(), "join: {}", r.status());
}

async fn run_jobs(t: &TestApp) -> usize {
    trellis_app::jobs::run_due(&t.app, "worker", 1000).await.expect("jobs")
}

async fn notifications(t: &TestApp, token: &str) -> Value {
    ok(t.get(token, "/api/v1/notifications").await, "notifications").await
}

fn kinds(list: &Value) -> Vec<String> {
    let mut k: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["kind"].as_str().expect("kind").to_owned())
        .collect();
    k.sort();
    k
}

/// A P2 incident for Northwind on the network team, logged by the manager at 09:00 on a Monday
/// and assigned to the agent.
async fn p2_for_agent(t: &TestApp, s: &Setting, agent_id: &str) -> String {
    t.clock.set(at("2026-11-23T09:00:00Z"));
    let inc = ok(
        t.post(
            &s.manager,
            "/api/v1/incidents",
            json!({"title": "Mail relay down", "customer_id": s.customer, "service_id": s.service,
                "impact": "medium", "urgency": "high", "team_id": s.network, "assignee_id": agent_id}),
        )
        .await,
        "incident",
    )
    .await;
    inc["ref"].as_str().expect("ref").to_owned()
}

#[tokio::test]
async fn a_breach_tells_the_holder_and_escalates_to_the_team_managers_by_mail_and_in_app() {
    let (t, sink) = with_mail().await;
    let s = setting(&t).await;
    let agent_id = user_id(&t, &s.agent).await;
    let manager_id = user_id(&t, &s.manager).await;
    join(&t, &s.network, &agent_id).await;
    join(&t, &s.network, &manager_id).await;
    let key = p2_for_agent(&t, &s, &agent_id).await;
    // Nothing goes out from the request itself: the assignment mail waits for the worker.
    assert!(sink.messages().is_empty());

    // The response target (1 h) warns at 09:45 and breaches at 10:00; the worker runs at 11:00.
    t.clock.set(at("2026-11-23T11:00:00Z"));
    run_jobs(&t).await;

    let to_agent = sink.to("alex@provider.example");
    let mut subjects: Vec<String> = to_agent.iter().map(|m| m.header("Subject").expect("subject")).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            format!("[{key}] Assigned to alex@provider.example: Mail relay down"),
            format!("[{key}] SLA breached: AGR-000002 response p2"),
            format!("[{key}] SLA warning: AGR-000002 response p2"),
        ]
    );
    let breach = to_agent
        .iter()
        .find(|m| m.header("Subject").is_some_and(|s| s.contains("breached")))
        .expect("breach");
    assert_eq!(breach.header("From").as_deref(), Some("\"Service desk\" <desk@provider.example>"));
    assert!(breach.header("Message-ID").is_some_and(|id| id.ends_with("@trellis>")));
    let body = breach.body();
    assert!(body.contains("missed its AGR-000002 response p2 target at 2026-11-23T10:00:00Z"), "{body}");
    assert!(body.contains(&format!("https://trellis.provider.example/incidents/{key}")), "{body}");
    assert!(!body.contains("escalated to you"), "{body}");

    // Hierarchical escalation: the manager of the team is told of the breach, and only of it.
    let to_manager = sink.to("morgan@provider.example");
    assert_eq!(to_manager.len(), 1, "{to_manager:?}");
    assert!(
        to_manager[0].body().contains("escalated to you as a manager of Network"),
        "{}",
        to_manager[0].body()
    );
    let journal = ok(t.get(&s.manager, &format!("/api/v1/incidents/{key}/journal")).await, "journal").await;
    assert!(journal.to_string().contains("escalated to morgan@provider.example"), "{journal}");

    // The same, in the application.
    let mine = notifications(&t, &s.agent).await;
    assert_eq!(kinds(&mine), ["incident.assigned", "sla.breach", "sla.warning"]);
    assert_eq!(mine["unread"], 3);
    let first = mine["items"][0]["id"].as_str().expect("id").to_owned();
    // Another user's notification is not theirs to mark.
    let r = t.post(&s.manager, &format!("/api/v1/notifications/{first}/read"), json!({})).await;
    problem(r, StatusCode::NOT_FOUND).await;
    let r = t.post(&s.agent, &format!("/api/v1/notifications/{first}/read"), json!({})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(notifications(&t, &s.agent).await["unread"], 2);
    let unread = ok(t.get(&s.agent, "/api/v1/notifications?unread=true").await, "unread").await;
    assert_eq!(unread["items"].as_array().expect("items").len(), 2);
    let all = ok(t.post(&s.agent, "/api/v1/notifications/read-all", json!({})).await, "read all").await;
    assert_eq!(all["marked"], 2);
    assert_eq!(notifications(&t, &s.agent).await["unread"], 0);
    assert_eq!(notifications(&t, &s.manager).await["unread"], 1);

    // The outbox shows every message sent; it is the administrators' to read.
    let outbox = ok(t.get(&t.admin_token, "/api/v1/outbox").await, "outbox").await;
    let items = outbox["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|m| m["status"] == "sent" && m["attempts"] == 1), "{outbox}");
    problem(t.get(&s.agent, "/api/v1/outbox").await, StatusCode::FORBIDDEN).await;

    // Running the worker again, as after a restart, sends nothing more.
    t.clock.set(at("2026-11-23T11:30:00Z"));
    run_jobs(&t).await;
    assert_eq!(sink.messages().len(), 4);
}

#[tokio::test]
async fn two_processes_on_one_database_send_each_notification_exactly_once() {
    let (t, sink) = with_mail().await;
    let s = setting(&t).await;
    let agent_id = user_id(&t, &s.agent).await;
    let manager_id = user_id(&t, &s.manager).await;
    join(&t, &s.network, &manager_id).await;
    // (What setting up the agreements queued is done: only the incidents' jobs are counted.)
    run_jobs(&t).await;
    let mut keys = Vec::new();
    for _ in 0..5 {
        keys.push(p2_for_agent(&t, &s, &agent_id).await);
    }
    t.clock.set(at("2026-11-23T11:00:00Z"));
    // A second server process: its own connections to the same database, its own mailer.
    let db = trellis::server::open_db(&t.config).await.expect("second connection pool");
    let other = trellis::server::app_for(&t.config, db, t.clock.clone());
    assert!(other.mailer.is_some());
    let (a, b) = tokio::join!(
        trellis_app::jobs::run_due(&t.app, "process-a", 1000),
        trellis_app::jobs::run_due(&other, "process-b", 1000)
    );
    let ran = a.expect("process a") + b.expect("process b");
    // Per incident: one wake-up, and mail for the assignment, the warning, the breach to the
    // agent and the escalation to the manager.
    assert_eq!(ran, keys.len() * 5, "each job ran once");
    let messages = sink.messages();
    assert_eq!(messages.len(), keys.len() * 4, "{messages:?}");
    for key in &keys {
        let breach_mails = messages
            .iter()
            .filter(|m| m.header("Subject").is_some_and(|s| s.starts_with(&format!("[{key}] SLA breached"))))
            .count();
        assert_eq!(breach_mails, 2, "{key}: one to the agent, one to the manager");
    }
    let mut ids: Vec<String> = messages.iter().map(|m| m.header("Message-ID").expect("id")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), messages.len(), "no message was sent twice");
}

#[tokio::test]
async fn undeliverable_mail_is_retried_with_back_off_and_then_sent() {
    let (t, sink) = with_mail().await;
    let s = setting(&t).await;
    let agent_id = user_id(&t, &s.agent).await;
    sink.refuse(true);
    let key = p2_for_agent(&t, &s, &agent_id).await;
    run_jobs(&t).await;
    let outbox = ok(t.get(&t.admin_token, "/api/v1/outbox").await, "outbox").await;
    let m = &outbox["items"][0];
    assert_eq!((m["status"].as_str(), m["attempts"].as_i64()), (Some("queued"), Some(1)), "{outbox}");
    assert!(m["last_error"].as_str().is_some_and(|e| e.contains("451")), "{m}");
    assert!(sink.messages().is_empty());
    // Not again before the back-off has passed.
    assert_eq!(run_jobs(&t).await, 0);

    sink.refuse(false);
    t.clock.advance(jiff::SignedDuration::from_secs(31));
    run_jobs(&t).await;
    let sent = sink.to("alex@provider.example");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].header("Subject").is_some_and(|s| s.starts_with(&format!("[{key}] Assigned"))));
    let outbox = ok(t.get(&t.admin_token, "/api/v1/outbox").await, "outbox").await;
    assert_eq!(
        (outbox["items"][0]["status"].as_str(), outbox["items"][0]["attempts"].as_i64()),
        (Some("sent"), Some(2))
    );
}

#[tokio::test]
async fn a_permanent_refusal_is_not_retried() {
    let (t, sink) = with_mail().await;
    let s = setting(&t).await;
    t.user("nobody@provider.example", "agent", None).await;
    let users = ok(t.get(&t.admin_token, "/api/v1/users").await, "users").await;
    let nobody = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["email"] == "nobody@provider.example")
        .and_then(|u| u["id"].as_str())
        .expect("user")
        .to_owned();
    p2_for_agent(&t, &s, &nobody).await;
    run_jobs(&t).await;
    let outbox = ok(t.get(&t.admin_token, "/api/v1/outbox").await, "outbox").await;
    let m = &outbox["items"][0];
    assert_eq!((m["status"].as_str(), m["attempts"].as_i64()), (Some("failed"), Some(1)), "{outbox}");
    assert!(m["last_error"].as_str().is_some_and(|e| e.contains("550")), "{m}");
    let first = m["id"].clone();
    // Later runs (the SLA wake-ups among them) do not try it again.
    t.clock.advance(jiff::SignedDuration::from_hours(2));
    run_jobs(&t).await;
    let outbox = ok(t.get(&t.admin_token, "/api/v1/outbox").await, "outbox").await;
    let again =
        outbox["items"].as_array().expect("items").iter().find(|m| m["id"] == first).expect("message");
    assert_eq!(again["attempts"], 1, "given up, not retried: {again}");
    assert!(sink.to("nobody@provider.example").is_empty());
}

#[tokio::test]
async fn without_an_smtp_server_notifications_are_in_app_and_the_outbox_says_why() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let agent_id = user_id(&t, &s.agent).await;
    p2_for_agent(&t, &s, &agent_id).await;
    run_jobs(&t).await;
    assert_eq!(kinds(&notifications(&t, &s.agent).await), ["incident.assigned"]);
    let outbox = ok(t.get(&t.admin_token, "/api/v1/outbox").await, "outbox").await;
    assert_eq!(outbox["items"][0]["status"], "failed");
    assert!(
        outbox["items"][0]["last_error"].as_str().is_some_and(|e| e.contains("no SMTP server")),
        "{outbox}"
    );
}

#[tokio::test]
async fn customers_hear_of_replies_and_resolutions_and_agents_of_customer_comments() {
    let (t, sink) = with_mail().await;
    let s = setting(&t).await;
    let agent_id = user_id(&t, &s.agent).await;
    let casey = t.user("casey@northwind.example", "customer", Some(&s.customer)).await;
    let inc = t.incident(&casey, "Cannot send mail", None).await;
    let key = inc["ref"].as_str().expect("ref").to_owned();
    let v = inc["version"].as_i64().expect("version");
    ok(
        t.patch(&s.manager, &format!("/api/v1/incidents/{key}"), Some(v), json!({"assignee_id": agent_id}))
            .await,
        "assign",
    )
    .await;
    let comment = |token: String, body: &'static str, public: bool| {
        let t = &t;
        let key = key.clone();
        async move {
            ok(
                t.post(
                    &token,
                    &format!("/api/v1/incidents/{key}/comments"),
                    json!({"body": body, "public": public}),
                )
                .await,
                "comment",
            )
            .await
        }
    };
    comment(s.agent.clone(), "Internal: relay logs show TLS errors", false).await;
    comment(s.agent.clone(), "Could you try again now?", true).await;
    comment(casey.clone(), "Still failing from Outlook", true).await;
    move_to(&t, &s.agent, &key, json!({"to": "in_progress"})).await;
    move_to(
        &t,
        &s.agent,
        &key,
        json!({"to": "resolved", "resolution_code": "fixed", "resolution_notes": "Certificate renewed."}),
    )
    .await;
    run_jobs(&t).await;

    let customer_mail = sink.to("casey@northwind.example");
    let mut subjects: Vec<String> = customer_mail.iter().map(|m| m.header("Subject").expect("s")).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [format!("[{key}] New comment: Cannot send mail"), format!("[{key}] Resolved: Cannot send mail")]
    );
    let all_bodies: String = customer_mail.iter().map(|m| m.body()).collect();
    assert!(all_bodies.contains("Could you try again now?"), "{all_bodies}");
    assert!(!all_bodies.contains("relay logs"), "an internal note reached the customer: {all_bodies}");
    assert!(
        all_bodies.contains("Certificate renewed.") && all_bodies.contains("within 7 days"),
        "{all_bodies}"
    );
    assert_eq!(kinds(&notifications(&t, &casey).await), ["incident.commented", "incident.resolved"]);

    let agent_kinds = kinds(&notifications(&t, &s.agent).await);
    assert_eq!(agent_kinds, ["incident.assigned", "incident.commented"]);
    let agent_mail = sink.to("alex@provider.example");
    assert!(agent_mail.iter().any(|m| m.body().contains("Still failing from Outlook")));
}

#[tokio::test]
async fn administrators_rewrite_templates_and_a_broken_one_is_refused() {
    let (t, sink) = with_mail().await;
    let s = setting(&t).await;
    let list = ok(t.get(&t.admin_token, "/api/v1/notification-templates").await, "templates").await;
    let kinds: Vec<&str> =
        list["items"].as_array().expect("items").iter().map(|i| i["kind"].as_str().expect("k")).collect();
    assert_eq!(
        kinds,
        [
            "sla.warning",
            "sla.breach",
            "incident.assigned",
            "incident.resolved",
            "incident.commented",
            "incident.escalated",
            "major_incident.declared",
            "major_incident.update",
            "request.approval_needed",
            "request.decided",
            "request.task_assigned",
            "request.fulfilled"
        ]
    );
    problem(t.get(&s.manager, "/api/v1/notification-templates").await, StatusCode::FORBIDDEN).await;

    let path = "/api/v1/notification-templates/incident.assigned";
    let r = t.get(&t.admin_token, path).await;
    assert_eq!(r.headers()["etag"], "\"0\"");
    let current: Value = r.json().await.expect("json");
    assert_eq!(current["variables"]["assigned_to"], "Alex Agent");
    let put = |version: Option<i64>, body: Value| {
        let mut req = t.client.put(t.at(path)).bearer_auth(&t.admin_token).json(&body);
        if let Some(v) = version {
            req = req.header("if-match", format!("\"{v}\""));
        }
        req.send()
    };
    let good = json!({"subject": "{{ record.ref }} is yours, {{ recipient.name }}", "body": "{{ record.title }}\n{{ record.url }}"});
    problem(put(None, good.clone()).await.expect("put"), StatusCode::PRECONDITION_REQUIRED).await;
    let bad = problem(
        put(Some(0), json!({"subject": "ok", "body": "line one\n{{ record.titel }}"})).await.expect("put"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "body", "{bad}");
    assert!(
        bad["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("line 2") && m.contains("variable")),
        "{bad}"
    );
    let bad = problem(
        put(Some(0), json!({"subject": "{% if %}", "body": "x"})).await.expect("put"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "subject", "{bad}");
    // Nothing was stored by the refusals.
    assert_eq!(t.get(&t.admin_token, path).await.headers()["etag"], "\"0\"");

    let r = put(Some(0), good.clone()).await.expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "\"1\"");
    problem(put(Some(0), good).await.expect("put"), StatusCode::PRECONDITION_FAILED).await;

    let agent_id = user_id(&t, &s.agent).await;
    let key = p2_for_agent(&t, &s, &agent_id).await;
    run_jobs(&t).await;
    let mail = sink.to("alex@provider.example");
    assert_eq!(mail[0].header("Subject"), Some(format!("{key} is yours, alex@provider.example")));
    assert_eq!(
        notifications(&t, &s.agent).await["items"][0]["subject"],
        format!("{key} is yours, alex@provider.example")
    );
}

#[tokio::test]
async fn the_notifications_page_lists_marks_read_and_the_template_form_keeps_what_was_typed() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let agent_id = user_id(&t, &s.agent).await;
    let key = p2_for_agent(&t, &s, &agent_id).await;
    let agent = t.login("alex@provider.example", crate::helpers::PASSWORD).await;
    let (status, badge) = t.page(&agent, "/notifications/unread").await;
    assert_eq!((status, badge.as_str()), (StatusCode::OK, "<span class=\"badge\" title=\"unread\">1</span>"));
    let (_, html) = t.page(&agent, "/notifications").await;
    assert!(html.contains(&format!("[{key}] Assigned to alex@provider.example: Mail relay down")), "{html}");
    assert!(html.contains("1 unread"), "{html}");
    let r = t.form(&agent, "/notifications/read-all", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, badge) = t.page(&agent, "/notifications/unread").await;
    assert_eq!(badge, "");

    // The template form: only administrators, and a broken template comes back with the reason.
    let (status, _) = t.page(&agent, "/admin/notifications").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = t.login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD).await;
    let (status, html) = t.page(&admin, "/admin/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("sla.breach") && html.contains("Outbox"), "{html}");
    let r = t
        .form(
            &admin,
            "/admin/notifications/sla.breach",
            &[("subject", "Breach {{ recrod.ref }}"), ("body", "x"), ("version", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("page");
    assert!(html.contains("Breach {{ recrod.ref }}") && html.contains("uses a variable"), "{html}");
    let r = t
        .form(
            &admin,
            "/admin/notifications/sla.breach",
            &[("subject", "Breach {{ record.ref }}"), ("body", "x"), ("version", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = t.page(&admin, "/admin/notifications").await;
    assert!(html.contains("value=\"Breach {{ record.ref }}\""), "{html}");
}
