//! Recomputing many open clocks after a calendar change: the edit queues one job, the worker
//! moves every ticket's due instant in batches, each warning and breach still fires once, and a
//! run cut short resumes after the last batch it committed.

use crate::helpers::TestApp;
use crate::sla::{Setting, at, ok, setting};
use serde_json::{Value, json};
use trellis_store::Sql;

/// More than one batch of the recompute job (500 tickets).
const TICKETS: usize = 510;

async fn log_p2(t: &TestApp, s: &Setting, title: &str) -> Value {
    ok(
        t.post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": title, "customer_id": s.customer, "service_id": s.service,
                "impact": "medium", "urgency": "high"}),
        )
        .await,
        "incident",
    )
    .await
}

/// The desk's calendar gains a version from now on: `days` worked 09:00–17:00, or, when
/// `days` is empty, working days cut to 09:00–09:45.
async fn edit_calendar(t: &TestApp, s: &Setting, days: &[&str]) {
    let calendars = ok(t.get(&s.manager, "/api/v1/calendars").await, "calendars").await;
    let calendar = &calendars["items"][0];
    let id = calendar["id"].as_str().expect("calendar");
    let (days, hours) = if days.is_empty() {
        (WEEKDAYS.to_vec(), json!([{"start": "09:00", "end": "09:45"}]))
    } else {
        (days.to_vec(), json!([{"start": "09:00", "end": "17:00"}]))
    };
    let week: serde_json::Map<String, Value> =
        days.into_iter().map(|d| (d.to_owned(), hours.clone())).collect();
    ok(
        t.patch(
            &s.manager,
            &format!("/api/v1/calendars/{id}"),
            calendar["version"].as_i64(),
            json!({"week": week, "note": "Changed hours"}),
        )
        .await,
        "calendar edit",
    )
    .await;
}

const WEEKDAYS: [&str; 5] = ["monday", "tuesday", "wednesday", "thursday", "friday"];
const AND_SATURDAY: [&str; 6] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const EVERY_DAY: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Every incident's queue projection, read as the agent's list shows it.
async fn dues(t: &TestApp, s: &Setting) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut path = "/api/v1/incidents?limit=500".to_owned();
    loop {
        let page = ok(t.get(&s.agent, &path).await, "list").await;
        for i in page["items"].as_array().expect("items") {
            out.push((i["ref"].as_str().expect("ref").to_owned(), i["sla_due_at"].clone()));
        }
        match page["next"].as_str() {
            Some(c) => path = format!("/api/v1/incidents?limit=500&after={c}"),
            None => return out,
        }
    }
}

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    let (n,): (i64,) = t.app.db.read().one(Sql::new(sql)).await.expect("count");
    n
}

#[tokio::test]
async fn a_calendar_change_moves_every_open_clock_in_batches_and_fires_each_breach_once() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    trellis_app::jobs::run_due(&t.app, "worker", 100).await.expect("setup jobs");
    // Friday 16:50: the 1 h response target counts 10 min today and 50 min on Monday.
    t.clock.set(at("2026-11-27T16:50:00Z"));
    for n in 0..TICKETS {
        log_p2(&t, &s, &format!("Mailbox full {n}")).await;
    }
    assert!(dues(&t, &s).await.iter().all(|(_, due)| due == "2026-11-30T09:50:00Z"), "response due Monday");

    // At 16:55 the desk decides to work Saturdays: the clocks fall due tomorrow instead.
    t.clock.set(at("2026-11-27T16:55:00Z"));
    edit_calendar(&t, &s, &AND_SATURDAY).await;
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND kind = 'sla.recompute'").await,
        1,
        "the edit queued one job, not one per ticket"
    );
    trellis_app::jobs::run_due(&t.app, "worker", 10).await.expect("worker");
    let moved = dues(&t, &s).await;
    assert_eq!(moved.len(), TICKETS);
    for (key, due) in &moved {
        assert_eq!(due, "2026-11-28T09:50:00Z", "{key}");
    }
    let (one, _) = &moved[0];
    let clocks = ok(t.get(&s.agent, &format!("/api/v1/incidents/{one}/sla")).await, "clocks").await;
    let response = clocks["items"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["metric"] == "response")
        .expect("response clock")
        .clone();
    let stored = &response["projection"];
    assert_eq!(
        (stored["warn_at"].as_str(), stored["due_at"].as_str()),
        (Some("2026-11-28T09:35:00Z"), Some("2026-11-28T09:50:00Z")),
        "the stored projection, as the worker computed it"
    );
    assert_eq!(stored["computed_at"], "2026-11-27T16:55:00Z");

    // Saturday 10:00: every ticket's wake-up was moved forward from Monday, so the warnings and
    // breaches fire now, once each, however often the clocks are recomputed afterwards.
    t.clock.set(at("2026-11-28T10:00:00Z"));
    trellis_app::jobs::run_due(&t.app, "worker", 10 * TICKETS).await.expect("worker");
    let expected = i64::try_from(TICKETS).expect("count");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM sla_events WHERE kind = 'warning'").await, expected);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM sla_events WHERE kind = 'breach'").await, expected);
    edit_calendar(&t, &s, &EVERY_DAY).await;
    trellis_app::jobs::run_due(&t.app, "worker", 10 * TICKETS).await.expect("worker again");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM sla_events WHERE kind = 'warning'").await, expected);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM sla_events WHERE kind = 'breach'").await, expected);
    let clocks = ok(t.get(&s.agent, &format!("/api/v1/incidents/{one}/sla")).await, "clocks").await;
    let events: Vec<&str> = clocks["items"]
        .as_array()
        .expect("clocks")
        .iter()
        .filter(|c| c["metric"] == "response")
        .flat_map(|c| c["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()))
        .collect();
    assert_eq!(events, ["warning", "breach"]);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND kind = 'sla.recompute'").await,
        0,
        "the recomputation finished"
    );
}

#[tokio::test]
async fn a_recomputation_cut_short_resumes_after_the_last_batch_it_committed() {
    use trellis_store::jobs;
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    trellis_app::jobs::run_due(&t.app, "worker", 100).await.expect("setup jobs");
    t.clock.set(at("2026-11-23T09:00:00Z"));
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(log_p2(&t, &s, &format!("Printer {n}")).await["id"].as_str().expect("id").to_owned());
    }
    ids.sort();
    t.clock.set(at("2026-11-23T09:30:00Z"));
    edit_calendar(&t, &s, &[]).await;

    // A process takes the job, commits its first batch (the first ticket), and dies.
    let now = trellis_store::micros(at("2026-11-23T09:30:00Z"));
    let mut c = t.app.db.read();
    let job = jobs::claim(&mut c, "process-a", now, now + 60_000_000).await.expect("claim").expect("job");
    assert_eq!(job.kind, "sla.recompute");
    let payload: Value = serde_json::from_str(&job.payload).expect("payload");
    let mut cut = payload.clone();
    cut["after"] = ids[0].clone().into();
    assert!(
        jobs::checkpoint(&mut c, &job, "process-a", &cut.to_string(), now + 60_000_000)
            .await
            .expect("checkpoint")
    );

    // Not before its lease runs out, then another process goes on after that ticket.
    assert_eq!(trellis_app::jobs::run_due(&t.app, "process-b", 10).await.expect("worker"), 0);
    t.clock.set(at("2026-11-23T09:31:30Z"));
    trellis_app::jobs::run_due(&t.app, "process-b", 10).await.expect("worker");
    let mut due = Vec::new();
    for id in &ids {
        due.push(
            ok(t.get(&s.agent, &format!("/api/v1/incidents/{id}")).await, "read").await["sla_due_at"].clone(),
        );
    }
    assert_eq!(
        due,
        [json!("2026-11-23T10:00:00Z"), json!("2026-11-24T09:15:00Z"), json!("2026-11-24T09:15:00Z")]
    );
    let done = jobs::get_by_key(&mut c, &job.dedupe_key).await.expect("read").expect("job");
    assert!(done.done_at.is_some(), "finished: {done:?}");
    // A process that comes back from the dead cannot write over it.
    assert!(
        !jobs::checkpoint(&mut c, &job, "process-a", &payload.to_string(), now).await.expect("checkpoint")
    );
}

#[tokio::test]
async fn a_ticket_that_cannot_be_recomputed_holds_up_neither_the_others_nor_the_job() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    trellis_app::jobs::run_due(&t.app, "worker", 100).await.expect("setup jobs");
    t.clock.set(at("2026-11-27T16:50:00Z"));
    let mut refs = Vec::new();
    let mut ids = Vec::new();
    for n in 0..3 {
        let inc = log_p2(&t, &s, &format!("Scanner {n}")).await;
        refs.push(inc["ref"].as_str().expect("ref").to_owned());
        ids.push(inc["id"].as_str().expect("id").to_owned());
    }
    // The middle ticket's journal no longer decodes (a damaged row).
    let mut tx = t.app.db.begin().await.expect("tx");
    tx.conn()
        .execute(
            Sql::new(
                "UPDATE journal_entries SET record_kind = 'damaged' \
                 WHERE record_id = (SELECT id FROM incidents WHERE ref = $1)",
            )
            .bind(refs[1].as_str()),
        )
        .await
        .expect("damage");
    tx.commit().await.expect("commit");

    t.clock.set(at("2026-11-27T16:55:00Z"));
    edit_calendar(&t, &s, &AND_SATURDAY).await;
    trellis_app::jobs::run_due(&t.app, "worker", 10).await.expect("worker");
    for key in [&refs[0], &refs[2]] {
        let inc = ok(t.get(&s.agent, &format!("/api/v1/incidents/{key}")).await, "read").await;
        assert_eq!(inc["sla_due_at"], "2026-11-28T09:50:00Z", "{key} recomputed");
    }
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND kind = 'sla.recompute'").await,
        0,
        "the recomputation finished"
    );
    // The damaged ticket is left to its own wake-up job, which says why it fails.
    let wake = trellis_store::jobs::get_by_key(&mut t.app.db.read(), &format!("sla.wake:{}", ids[1]))
        .await
        .expect("read")
        .expect("the damaged ticket's wake-up job");
    assert_eq!(wake.done_at, None, "still due, with back-off");
    let error = wake.last_error;
    assert!(error.is_some_and(|e| e.contains("damaged")), "the job shows the error");
}
