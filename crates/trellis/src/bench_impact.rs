//! `trellis bench impact`: builds a CMDB of the given size (a layered estate of switches, hosts,
//! VMs, databases and applications, with services on top, cycles and diamonds included) and
//! measures impact queries over the real HTTP API.

use crate::bench::{BenchServer, phase};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use trellis_app::ci::{self, CiInput};
use trellis_app::service::{self, ServiceInput};
use trellis_app::{Actor, App, identity};
use trellis_store::platform::{LinkRow, insert_link};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ImpactArgs {
    pub cis: usize,
    pub relationships: usize,
    pub queries: usize,
    pub clients: usize,
    pub database_url: Option<String>,
}

/// Creates `n` CIs of one type through the use case (journalled), `workers` at a time.
async fn create_cis(app: &App, n: usize, ci_type: Uuid) -> anyhow::Result<Vec<(Uuid, String)>> {
    let workers = 8;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in (w..n).step_by(workers) {
                let input = CiInput {
                    name: format!("node-{i:05}"),
                    ci_type_id: Some(ci_type),
                    criticality: "medium".into(),
                    ..CiInput::default()
                };
                let v = ci::create(&app, &Actor::system(), input).await?;
                out.push((i, v.row.id, v.row.reference));
            }
            anyhow::Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_by_key(|x| x.0);
    Ok(all.into_iter().map(|(_, id, r)| (id, r)).collect())
}

/// The relationships of a layered estate: (from, to, link type) as indexes into the CI list,
/// services after the CIs. Switches form a ring (a cycle); applications depend on each other
/// (more cycles) and on databases reached through several VMs (diamonds).
fn estate(cis: usize, services: usize, total: usize, rng: &mut StdRng) -> Vec<(usize, usize, &'static str)> {
    let switches = (cis / 100).max(2);
    let hosts = cis / 10;
    let vms = cis * 35 / 100;
    let dbs = cis * 15 / 100;
    let (h0, v0, d0, a0) = (switches, switches + hosts, switches + hosts + vms, switches + hosts + vms + dbs);
    let mut seen = HashSet::new();
    let mut edges = Vec::new();
    let mut add = |e: (usize, usize, &'static str), edges: &mut Vec<_>| {
        if e.0 != e.1 && seen.insert(e) {
            edges.push(e);
        }
    };
    for s in 0..switches {
        add((s, (s + 1) % switches, "connected_to"), &mut edges);
    }
    for h in h0..v0 {
        for _ in 0..2 {
            add((h, rng.random_range(0..switches), "connected_to"), &mut edges);
        }
    }
    for v in v0..d0 {
        add((v, rng.random_range(h0..v0), "runs_on"), &mut edges);
    }
    for d in d0..a0 {
        add((d, rng.random_range(v0..d0), "runs_on"), &mut edges);
    }
    for a in a0..cis {
        add((a, rng.random_range(v0..d0), "runs_on"), &mut edges);
        for _ in 0..2 {
            add((a, rng.random_range(d0..a0), "depends_on"), &mut edges);
        }
    }
    for s in cis..cis + services {
        for _ in 0..3 {
            add((s, rng.random_range(a0..cis), "depends_on"), &mut edges);
        }
    }
    while edges.len() < total {
        add((rng.random_range(a0..cis), rng.random_range(d0..cis), "depends_on"), &mut edges);
    }
    edges
}

pub async fn run(args: ImpactArgs) -> anyhow::Result<()> {
    let server = BenchServer::start(args.database_url.clone()).await?;
    let app = server.app.clone();
    let system = Actor::system();
    println!("Trellis impact benchmark: {} on {}", server.base, server.backend());
    let t = Instant::now();
    let ty = ci::create_type(&app, &system, "Bench node", "", Vec::new()).await?;
    let mut nodes = create_cis(&app, args.cis, ty.row.id).await?;
    let mut customers = Vec::new();
    for i in 0..10 {
        let c = identity::NewCustomer { name: format!("Bench customer {i}"), notes: String::new() };
        customers.push(identity::create_customer(&app, &system, c).await?.id);
    }
    let services = (args.cis / 100).max(1);
    for i in 0..services {
        let input = ServiceInput {
            name: format!("Bench service {i}"),
            criticality: "high".into(),
            customer_ids: vec![customers[i % 10], customers[(i + 3) % 10]],
            ..ServiceInput::default()
        };
        let d = service::create(&app, &system, input).await?;
        nodes.push((d.view.row.id, d.view.row.reference));
    }
    let mut rng = StdRng::seed_from_u64(200_001);
    let edges = estate(args.cis, services, args.relationships, &mut rng);
    // Relationships go in bulk (not one journalled request each): the measured part is the query.
    let now = trellis_store::micros(app.now());
    for chunk in edges.chunks(1000) {
        let mut tx = app.db.begin().await?;
        let mut c = tx.conn();
        for &(a, b, link_type) in chunk {
            let kind = |i: usize| if i < args.cis { "configuration_item" } else { "service" };
            let row = LinkRow {
                id: Uuid::now_v7(),
                from_id: nodes[a].0,
                from_kind: kind(a).into(),
                to_id: nodes[b].0,
                to_kind: kind(b).into(),
                link_type: link_type.into(),
                created_by: None,
                created_at: now,
            };
            insert_link(&mut c, &row).await?;
        }
        c.execute(trellis_store::ci::bump_counter(trellis_store::ci::CONFIGURATION)).await?;
        tx.commit().await?;
    }
    println!(
        "built {} CIs, {} services and {} relationships in {:.1} s",
        args.cis,
        services,
        edges.len(),
        t.elapsed().as_secs_f64()
    );
    let refs: Arc<Vec<String>> = Arc::new(nodes[..args.cis].iter().map(|n| n.1.clone()).collect());
    let reached = Arc::new(AtomicU64::new(0));
    let (b, a, r2, sum) = (server.base.clone(), server.auth.clone(), refs.clone(), reached.clone());
    let queries = phase("impact", args.clients, args.queries, move |c, i| {
        let (b, a, refs, sum) = (b.clone(), a.clone(), r2.clone(), sum.clone());
        async move {
            // A fixed pseudo-random spread over every CI, so runs are comparable.
            let r = &refs[(i * 7919) % refs.len()];
            let res = c.get(format!("{b}/api/v1/cis/{r}/impact")).header("authorization", a).send().await?;
            anyhow::ensure!(res.status() == 200, "impact answered {}", res.status());
            let body: serde_json::Value = res.json().await?;
            let n = body["records"].as_array().map_or(0, Vec::len);
            sum.fetch_add(n as u64, Ordering::Relaxed);
            Ok(())
        }
    })
    .await?;
    queries.print(args.clients);
    println!(
        "records reached per query: {:.0} on average",
        reached.load(Ordering::Relaxed) as f64 / args.queries.max(1) as f64
    );
    whole_estate_reads(&server.base, &server.auth).await?;
    let db_flag = if args.database_url.is_some() { " --database-url $URL" } else { "" };
    println!(
        "reproduce: cargo run --release -p trellis -- bench impact --cis {} --relationships {} --queries {} --clients {}{db_flag}",
        args.cis, args.relationships, args.queries, args.clients
    );
    server.stop().await
}

/// The reads that cover every CI at once (configuration audit, taking and comparing a baseline),
/// three times each over HTTP, one at a time.
async fn whole_estate_reads(base: &str, auth: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let timed = |label: &'static str, ms: Vec<f64>| {
        let shown: Vec<String> = ms.iter().map(|m| format!("{m:.0}")).collect();
        println!("{label}: {} ms (3 runs)", shown.join(", "));
    };
    let mut audit = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let res = client
            .get(format!("{base}/api/v1/configuration/audit"))
            .header("authorization", auth)
            .send()
            .await?;
        anyhow::ensure!(res.status() == 200, "audit answered {}", res.status());
        res.bytes().await?;
        audit.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    timed("configuration audit of every CI", audit);
    let (mut take, mut compare) = (Vec::new(), Vec::new());
    for i in 0..3 {
        let t = Instant::now();
        let res = client
            .post(format!("{base}/api/v1/baselines"))
            .header("authorization", auth)
            .json(&serde_json::json!({"name": format!("Bench baseline {i}")}))
            .send()
            .await?;
        anyhow::ensure!(res.status() == 201, "baseline answered {}", res.status());
        let id = res.json::<serde_json::Value>().await?["id"].as_str().unwrap_or_default().to_owned();
        take.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let res = client
            .get(format!("{base}/api/v1/baselines/{id}/comparison"))
            .header("authorization", auth)
            .send()
            .await?;
        anyhow::ensure!(res.status() == 200, "comparison answered {}", res.status());
        res.bytes().await?;
        compare.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    timed("baseline of every CI", take);
    timed("baseline compared with today", compare);
    Ok(())
}
