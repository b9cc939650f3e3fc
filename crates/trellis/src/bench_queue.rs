//! `trellis bench queue`: the "breaching soon" queue of one team over a large incident table,
//! measured over the real HTTP API.
//!
//! The incidents are written straight into the table (no journal entries, no clocks computed):
//! what is measured is the queue read, which only touches the `sla_due_at` projection through
//! the `(team_id, sla_due_at)` index.

use crate::bench::{BenchServer, phase};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use trellis_app::Actor;
use trellis_app::identity::{self, NewTeam};
use trellis_store::incident::{IncidentRow, insert};
use trellis_store::micros;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct QueueArgs {
    pub incidents: usize,
    pub teams: usize,
    pub queries: usize,
    pub clients: usize,
    pub database_url: Option<String>,
}

/// An open incident of `team`, its clock falling due somewhere between two hours ago and a
/// month ahead (a few have no running clock).
fn incident(n: usize, team: Uuid, now: i64, rng: &mut StdRng) -> IncidentRow {
    let hour = 3_600_000_000_i64;
    let due = rng.random_bool(0.9).then(|| now + rng.random_range(-2 * hour..30 * 24 * hour));
    IncidentRow {
        id: Uuid::now_v7(),
        reference: format!("INC-B{n:07}"),
        title: format!("Bench incident {n}"),
        description: String::new(),
        status: "in_progress".into(),
        customer_id: None,
        team_id: Some(team),
        assignee_id: None,
        owner_id: None,
        created_by: None,
        service_id: None,
        ci_id: None,
        category: String::new(),
        impact: "medium".into(),
        urgency: "medium".into(),
        priority: "p3".into(),
        pending_reason: None,
        resolution_code: None,
        resolution_notes: String::new(),
        resolved_at: None,
        sla_due_at: due,
        escalation_level: 0,
        reassignments: 0,
        major_declared_at: None,
        major_manager_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

pub async fn run(args: QueueArgs) -> anyhow::Result<()> {
    let server = BenchServer::start(args.database_url.clone()).await?;
    let app = server.app.clone();
    let mut teams = Vec::new();
    for t in 0..args.teams.max(1) {
        let team = NewTeam { name: format!("Bench team {t}"), description: String::new() };
        teams.push(identity::create_team(&app, &Actor::system(), team).await?.id);
    }
    let now = micros(app.now());
    let mut rng = StdRng::seed_from_u64(20);
    let t = Instant::now();
    let mut written = 0;
    while written < args.incidents {
        let batch = (args.incidents - written).min(5_000);
        let statements = (written..written + batch)
            .map(|n| insert(&incident(n, teams[n % teams.len()], now, &mut rng)))
            .collect();
        let mut tx = app.db.begin().await?;
        tx.conn().execute_batch(statements).await?;
        tx.commit().await?;
        written += batch;
    }
    println!(
        "wrote {} incidents for {} teams in {:.1} s",
        args.incidents,
        teams.len(),
        t.elapsed().as_secs_f64()
    );
    let teams = Arc::new(teams);
    let listed = Arc::new(AtomicU64::new(0));
    let (b, a, sum) = (server.base.clone(), server.auth.clone(), listed.clone());
    let queries = phase("queue", args.clients, args.queries, move |c, i| {
        let (b, a, teams, listed) = (b.clone(), a.clone(), teams.clone(), sum.clone());
        async move {
            let team = teams[(i * 7919) % teams.len()];
            let url = format!("{b}/api/v1/incidents?team={team}&sort=due_at&breaching_within=240&limit=50");
            let res = c.get(url).header("authorization", a).send().await?;
            anyhow::ensure!(res.status() == 200, "queue answered {}", res.status());
            let body: serde_json::Value = res.json().await?;
            let n = body["items"].as_array().map_or(0, Vec::len);
            listed.fetch_add(n as u64, Ordering::Relaxed);
            Ok(())
        }
    })
    .await?;
    queries.print(args.clients);
    println!(
        "incidents listed per query (first page of 50): {:.1} on average",
        listed.load(Ordering::Relaxed) as f64 / args.queries.max(1) as f64
    );
    let db_flag = if args.database_url.is_some() { " --database-url $URL" } else { "" };
    println!(
        "reproduce: cargo run --release -p trellis -- bench queue --incidents {} --teams {} --queries {} --clients {}{db_flag}",
        args.incidents, args.teams, args.queries, args.clients
    );
    server.stop().await
}
