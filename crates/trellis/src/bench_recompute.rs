//! `trellis bench recompute`: how long the open SLA clocks of many incidents take to be
//! recomputed after their business calendar changes.
//!
//! The incidents are logged through the use case (journal, clocks and all), so each one is what
//! the job worker really recomputes. Then the calendar gains a version over the real HTTP API,
//! and the run is timed until every incident's timers carry a computation after the change,
//! with the server's own job worker doing the work, as in production.

use crate::bench::BenchServer;
use anyhow::Context;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use trellis_app::incident::{self, NewIncident};
use trellis_app::{Actor, auth};
use trellis_domain::journal::Channel;
use trellis_store::{Sql, micros};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct RecomputeArgs {
    pub incidents: usize,
    pub database_url: Option<String>,
}

async fn call(
    client: &reqwest::Client,
    server: &BenchServer,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let r = client
        .request(method, format!("{}{path}", server.base))
        .header("authorization", &server.auth)
        .json(&body)
        .send()
        .await?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "{path}: {status} {v}");
    Ok(v)
}

fn id(v: &Value) -> anyhow::Result<Uuid> {
    v["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).context("id in answer")
}

/// How many incidents' timers were last computed before `since`.
async fn stale(server: &BenchServer, since: i64) -> anyhow::Result<i64> {
    let (n,): (i64,) = server
        .app
        .db
        .read()
        .one(Sql::new("SELECT COUNT(DISTINCT record_id) FROM sla_timers WHERE computed_at < $1").bind(since))
        .await?;
    Ok(n)
}

/// Whether a recomputation job is still to finish.
async fn recomputing(server: &BenchServer) -> anyhow::Result<bool> {
    let (n,): (i64,) = server
        .app
        .db
        .read()
        .one(
            Sql::new("SELECT COUNT(*) FROM jobs WHERE kind = $1 AND done_at IS NULL")
                .bind(trellis_app::sla::RECOMPUTE_JOB),
        )
        .await?;
    Ok(n > 0)
}

pub async fn run(args: RecomputeArgs) -> anyhow::Result<()> {
    let server = BenchServer::start(args.database_url.clone()).await?;
    let client = reqwest::Client::new();
    let post = reqwest::Method::POST;
    println!("Trellis benchmark: {} on {}", server.base, server.backend());
    let customer =
        id(&call(&client, &server, post.clone(), "/api/v1/customers", json!({"name": "Bench customer"}))
            .await?)?;
    let service = id(&call(
        &client,
        &server,
        post.clone(),
        "/api/v1/services",
        json!({"name": "Bench service", "criticality": "high", "customer_ids": [customer]}),
    )
    .await?)?;
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    let week = json!({"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day});
    let calendar = call(
        &client,
        &server,
        post.clone(),
        "/api/v1/calendars",
        json!({"name": "Office hours", "time_zone": "Europe/London", "week": week}),
    )
    .await?;
    let calendar_id = id(&calendar)?;
    let targets: Vec<Value> = ["p1", "p2", "p3", "p4"]
        .iter()
        .flat_map(|p| {
            [
                json!({"metric": "response", "priority": p, "minutes": 240, "calendar_id": calendar_id}),
                json!({"metric": "resolution", "priority": p, "minutes": 4800, "calendar_id": calendar_id}),
            ]
        })
        .collect();
    let sla = call(
        &client,
        &server,
        post.clone(),
        "/api/v1/agreements",
        json!({"title": "Bench SLA", "agreement_type": "sla", "customer_id": customer, "service_id": service, "targets": targets}),
    )
    .await?;
    let sla_ref = sla["ref"].as_str().context("ref")?.to_owned();
    call(
        &client,
        &server,
        post.clone(),
        &format!("/api/v1/agreements/{sla_ref}/transitions"),
        json!({"to": "active"}),
    )
    .await?;

    // The incidents, through the use case: two SLA clocks each, running on the calendar.
    let actor: Actor = auth::actor_for_email(&server.app, "bench@localhost", Channel::Api).await?;
    let t = Instant::now();
    for n in 0..args.incidents {
        let new = NewIncident {
            title: format!("Bench incident {n}"),
            customer_id: Some(customer),
            service_id: Some(service),
            ..NewIncident::default()
        };
        incident::create(&server.app, &actor, new).await?;
        if (n + 1) % 10_000 == 0 {
            println!("logged   {:>7} incidents  ({:.0} s)", n + 1, t.elapsed().as_secs_f64());
        }
    }
    println!("logged   {:>7} incidents in {:.1} s", args.incidents, t.elapsed().as_secs_f64());

    // The calendar changes (Friday afternoons off from now on): every open clock is recomputed.
    let before = micros(server.app.now());
    let version = calendar["version"].as_i64().context("version")?;
    let fridays = json!([{"start": "09:00", "end": "13:00"}]);
    let week = json!({"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": fridays});
    let t = Instant::now();
    let r = client
        .patch(format!("{}/api/v1/calendars/{calendar_id}", server.base))
        .header("authorization", &server.auth)
        .header("if-match", format!("\"{version}\""))
        .json(&json!({"week": week, "time_zone": "Europe/London", "special_days": [], "note": "Friday afternoons off"}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "calendar change: {} {}", r.status(), r.text().await?);
    let accepted = t.elapsed();
    // Polls the job (cheap), then checks every clock (a scan, once).
    while recomputing(&server).await? {
        anyhow::ensure!(t.elapsed() < Duration::from_secs(3600), "still recomputing after an hour");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = t.elapsed();
    let left = stale(&server, before).await?;
    anyhow::ensure!(left == 0, "{left} incidents were not recomputed");
    println!(
        "recompute {:>6} incidents ({} clocks) after a calendar change: change answered in {:.0} ms, all recomputed in {:.2} s ({:.0} incidents/s)",
        args.incidents,
        args.incidents * 2,
        accepted.as_secs_f64() * 1000.0,
        all.as_secs_f64(),
        args.incidents as f64 / all.as_secs_f64()
    );
    let db = if args.database_url.is_some() { " --database-url <postgres url>" } else { "" };
    println!(
        "reproduce: cargo run --release -p trellis -- bench recompute --incidents {}{db}",
        args.incidents
    );
    server.stop().await
}
