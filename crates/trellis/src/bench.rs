//! `trellis bench`: drives the real HTTP API with concurrent clients and prints throughput and
//! latency percentiles, with the command that reproduces the run.

use crate::config::{Config, Overrides};
use crate::server::{Server, open_app};
use anyhow::Context;
use std::time::{Duration, Instant};
use trellis_app::{Actor, auth, identity};

#[derive(Debug, Clone)]
pub struct BenchArgs {
    pub clients: usize,
    pub creates: usize,
    pub reads: usize,
    pub database_url: Option<String>,
}

pub struct Phase {
    name: &'static str,
    count: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Phase {
    pub fn print(&self, clients: usize) {
        let mut l = self.latencies.clone();
        l.sort();
        let pct = |p: f64| {
            let i = ((l.len() as f64 * p).ceil() as usize).clamp(1, l.len().max(1)) - 1;
            l.get(i).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
        };
        println!(
            "{:<8} {:>7} requests  {:>9.0} req/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  ({} clients)",
            self.name,
            self.count,
            self.count as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.95),
            pct(0.99),
            pct(1.0),
            clients
        );
    }
}

/// Runs `total` requests split over `clients` concurrent workers; `make` sends request `i`.
pub async fn phase<F, Fut>(name: &'static str, clients: usize, total: usize, make: F) -> anyhow::Result<Phase>
where
    F: Fn(reqwest::Client, usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..clients {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
            let mut lat = Vec::new();
            let mut i = w;
            while i < total {
                let t = Instant::now();
                make(client.clone(), i).await?;
                lat.push(t.elapsed());
                i += clients;
            }
            anyhow::Ok(lat)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for t in tasks {
        latencies.extend(t.await??);
    }
    Ok(Phase { name, count: total, elapsed: start.elapsed(), latencies })
}

/// A server started for a benchmark on a fresh data directory (or the given PostgreSQL), with an
/// administrator token.
pub struct BenchServer {
    pub app: trellis_app::App,
    pub base: String,
    pub auth: String,
    tmp: std::path::PathBuf,
    postgres: bool,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl BenchServer {
    pub async fn start(database_url: Option<String>) -> anyhow::Result<BenchServer> {
        let tmp = std::env::temp_dir().join(format!("trellis-bench-{}", uuid::Uuid::now_v7()));
        let postgres = database_url.is_some();
        let overrides =
            Overrides { data_dir: Some(tmp.clone()), bind: Some("127.0.0.1:0".into()), database_url };
        let config = Config::load(None, &overrides).map_err(anyhow::Error::msg)?;
        let app = open_app(&config).await?;
        let password = "bench-admin-password".to_owned();
        identity::bootstrap_admin(&app, "bench@localhost", Some(password)).await?;
        let token = auth::create_token_for_email(&app, "bench@localhost", "bench").await?.token;
        let server = Server::bind(&config, app.clone()).await?;
        let base = server.url();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(server.run(async move {
            let _ = stop_rx.await;
        }));
        let handle = tokio::spawn(async move { handle.await.context("server task")? });
        Ok(BenchServer { app, base, auth: format!("Bearer {token}"), tmp, postgres, stop, handle })
    }

    pub fn backend(&self) -> &'static str {
        if self.postgres { "PostgreSQL" } else { "SQLite" }
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.handle.await.context("server task")??;
        self.app.db.close().await;
        if !self.postgres {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
        Ok(())
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let server = BenchServer::start(args.database_url.clone()).await?;
    let app = server.app.clone();
    let customer = identity::create_customer(
        &app,
        &Actor::system(),
        identity::NewCustomer {
            name: format!("Bench customer {}", uuid::Uuid::now_v7()),
            notes: String::new(),
        },
    )
    .await?;
    let base = server.base.clone();
    let auth = server.auth.clone();
    println!("Trellis benchmark: {} on {}", base, server.backend());
    let (b, a, cid) = (base.clone(), auth.clone(), customer.id);
    let create = phase("create", args.clients, args.creates, move |c, i| {
        let (b, a) = (b.clone(), a.clone());
        async move {
            let body = serde_json::json!({"title": format!("Bench incident {i}"), "description": "Created by trellis bench", "customer_id": cid});
            let r = c.post(format!("{b}/api/v1/incidents")).header("authorization", a).json(&body).send().await?;
            anyhow::ensure!(r.status() == 201, "create answered {}", r.status());
            Ok(())
        }
    })
    .await?;
    let created = args.creates.max(1);
    let (b, a) = (base.clone(), auth.clone());
    let read = phase("read", args.clients, args.reads, move |c, i| {
        let (b, a) = (b.clone(), a.clone());
        async move {
            // Spread reads over every created incident (refs are dense from 1).
            let n = (i * 7919) % created + 1;
            let r =
                c.get(format!("{b}/api/v1/incidents/INC-{n:06}")).header("authorization", a).send().await?;
            anyhow::ensure!(r.status() == 200, "read answered {}", r.status());
            let _ = r.bytes().await?;
            Ok(())
        }
    })
    .await?;
    create.print(args.clients);
    read.print(args.clients);
    let db_flag = if args.database_url.is_some() { " --database-url $URL" } else { "" };
    println!(
        "reproduce: cargo run --release -p trellis -- bench --clients {} --creates {} --reads {}{db_flag}",
        args.clients, args.creates, args.reads
    );
    server.stop().await
}
