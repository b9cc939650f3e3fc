//! `trellis bench search`: full-text search over a large index, measured over the real HTTP API.
//!
//! The documents are written straight into the search index (not as records with journals):
//! what is measured is the search itself — matching, ranking the matches, cutting snippets for
//! the first page. Words follow a Zipf distribution over a vocabulary, as in real text, and the
//! queries are one or two vocabulary words, each the beginning of a word (as people type).

use crate::bench::{BenchServer, phase};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use trellis_store::micros;
use trellis_store::search::{SearchDoc, put};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct SearchArgs {
    pub records: usize,
    pub queries: usize,
    pub clients: usize,
    pub database_url: Option<String>,
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "den", "mar", "pol", "ter", "zen", "qua", "bri", "fen",
    "gal", "hos", "jun", "kel", "nor", "pra", "sto", "wex",
];

/// A vocabulary of made-up words (so no stop words or stemming skew either database).
fn vocabulary(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let (a, b, c) = (i % 24, (i / 24) % 24, (i / 576) % 24);
            format!("{}{}{}", SYLLABLES[a], SYLLABLES[b], SYLLABLES[c])
        })
        .collect()
}

/// Cumulative Zipf weights (s = 1) over the vocabulary, for sampling word ranks.
fn zipf(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    (1..=n)
        .map(|r| {
            acc += 1.0 / r as f64;
            acc
        })
        .collect()
}

fn words(vocab: &[String], cdf: &[f64], count: usize, rng: &mut StdRng) -> String {
    let total = cdf.last().copied().unwrap_or(1.0);
    (0..count)
        .map(|_| {
            let x = rng.random_range(0.0..total);
            let i = cdf.partition_point(|c| *c < x).min(vocab.len() - 1);
            vocab[i].as_str()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn run(args: SearchArgs) -> anyhow::Result<()> {
    let server = BenchServer::start(args.database_url.clone()).await?;
    let app = server.app.clone();
    let vocab = vocabulary(8_000);
    let cdf = zipf(vocab.len());
    let kinds = ["incident", "service_request", "problem", "article"];
    let now = micros(app.now());
    let mut rng = StdRng::seed_from_u64(42);
    let t = Instant::now();
    let mut written = 0;
    while written < args.records {
        let batch = (args.records - written).min(1_000);
        let statements = (written..written + batch)
            .map(|n| {
                let title_len = rng.random_range(4..9);
                let body_len = rng.random_range(20..60);
                put(&SearchDoc {
                    record_id: Uuid::now_v7(),
                    kind: kinds[n % kinds.len()].into(),
                    reference: format!("B-{n:07}"),
                    title: words(&vocab, &cdf, title_len, &mut rng),
                    body: words(&vocab, &cdf, body_len, &mut rng),
                    customer_id: None,
                    service_id: None,
                    public: false,
                    updated_at: now,
                })
            })
            .collect();
        let mut tx = app.db.begin().await?;
        tx.conn().execute_batch(statements).await?;
        tx.commit().await?;
        written += batch;
    }
    if args.database_url.is_some() {
        // As autovacuum would have by now: the planner needs the word statistics to choose
        // between walking the newest rows and the text index.
        app.db.read().execute(trellis_store::Sql::new("ANALYZE search_docs")).await?;
    }
    println!("indexed {} documents in {:.1} s", args.records, t.elapsed().as_secs_f64());

    // Queries: one or two words, each cut to its first six letters, drawn evenly from the
    // vocabulary (people search for the specific, not for the commonest word).
    let mut rng = StdRng::seed_from_u64(7);
    let queries: Vec<String> = (0..args.queries)
        .map(|_| {
            let n = rng.random_range(1..=2);
            (0..n)
                .map(|_| vocab[rng.random_range(0..vocab.len())].chars().take(6).collect::<String>())
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    let queries = Arc::new(queries);
    let found = Arc::new(AtomicU64::new(0));
    let (b, a, sum) = (server.base.clone(), server.auth.clone(), found.clone());
    let phase = phase("search", args.clients, args.queries, move |c, i| {
        let (b, a, queries, found) = (b.clone(), a.clone(), queries.clone(), sum.clone());
        async move {
            let url = format!("{b}/api/v1/search?q={}&limit=20", queries[i % queries.len()]);
            let res = c.get(url).header("authorization", a).send().await?;
            anyhow::ensure!(res.status() == 200, "search answered {}", res.status());
            let body: serde_json::Value = res.json().await?;
            found.fetch_add(body["items"].as_array().map_or(0, Vec::len) as u64, Ordering::Relaxed);
            Ok(())
        }
    })
    .await?;
    phase.print(args.clients);
    println!(
        "results per query (first page of 20): {:.1} on average",
        found.load(Ordering::Relaxed) as f64 / args.queries.max(1) as f64
    );
    let db_flag = if args.database_url.is_some() { " --database-url $URL" } else { "" };
    println!(
        "reproduce: cargo run --release -p trellis -- bench search --records {} --queries {} --clients {}{db_flag}",
        args.records, args.queries, args.clients
    );
    server.stop().await
}
