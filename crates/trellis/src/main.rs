//! `trellis`: serve, migrate, demo, admin, journal and bench commands.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;
use trellis::config::{Config, Overrides};
use trellis::server::{Server, open_app, shutdown_signal};

#[derive(Parser)]
#[command(name = "trellis", version, about = "An ISO/IEC 20000-1 service management system in one binary")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// TOML configuration file [env: TRELLIS_CONFIG]
    #[arg(long, global = true, env = "TRELLIS_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the embedded SQLite database [env: TRELLIS_DATA_DIR]
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// postgres://... to use PostgreSQL instead of the embedded SQLite [env: TRELLIS_DATABASE_URL]
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates the database and creates the first administrator).
    Serve {
        /// Address to listen on; 127.0.0.1:0 picks a free port [env: TRELLIS_BIND]
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load a demo service provider (customers, teams, users of every role, incidents).
    Demo,
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The tamper-evident journal.
    Journal {
        #[command(subcommand)]
        command: JournalCommand,
    },
    /// Measure API throughput and latency with concurrent clients (`bench impact`: impact
    /// analysis on a generated CMDB).
    #[command(args_conflicts_with_subcommands = true)]
    Bench {
        #[command(subcommand)]
        target: Option<BenchTarget>,
        #[arg(long, default_value_t = 16)]
        clients: usize,
        #[arg(long, default_value_t = 20_000)]
        creates: usize,
        #[arg(long, default_value_t = 20_000)]
        reads: usize,
    },
}

#[derive(Subcommand)]
enum BenchTarget {
    /// Impact queries over HTTP on a generated CMDB with cycles and diamonds.
    Impact {
        #[arg(long, default_value_t = 10_000)]
        cis: usize,
        #[arg(long, default_value_t = 50_000)]
        relationships: usize,
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        #[arg(long, default_value_t = 1)]
        clients: usize,
    },
    /// Full-text search over a large index of records and articles.
    Search {
        #[arg(long, default_value_t = 1_000_000)]
        records: usize,
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        #[arg(long, default_value_t = 4)]
        clients: usize,
    },
    /// Recomputing the open SLA clocks of many incidents after their calendar changes.
    Recompute {
        #[arg(long, default_value_t = 100_000)]
        incidents: usize,
    },
    /// The "breaching soon" queue of one team over a large incident table.
    Queue {
        #[arg(long, default_value_t = 1_000_000)]
        incidents: usize,
        #[arg(long, default_value_t = 50)]
        teams: usize,
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        #[arg(long, default_value_t = 4)]
        clients: usize,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (shown only once).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
enum JournalCommand {
    /// Check every record's hash chain and the latest checkpoint; exit status 1, with the damaged
    /// records named, if anything was altered, removed or reordered.
    Verify {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Take a checkpoint over every chain (run it daily, e.g. from cron) and print its digest,
    /// to keep outside Trellis.
    Checkpoint,
}

fn init_logging(format: &str, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let bind = match &cli.command {
        Command::Serve { bind } => bind.clone(),
        _ => None,
    };
    let overrides = Overrides { data_dir: cli.global.data_dir, bind, database_url: cli.global.database_url };
    let config = match Config::load(cli.global.config.as_deref(), &overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    // The benchmark prints figures, not a log line per request (RUST_LOG still overrides).
    let default_filter = if matches!(cli.command, Command::Bench { .. }) { "warn" } else { "info,sqlx=warn" };
    init_logging(&config.log_format, default_filter);
    match cli.command {
        Command::Serve { .. } => serve(&config).await,
        Command::Migrate => {
            let app = open_app(&config).await?;
            app.db.close().await;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let app = open_app(&config).await?;
            let summary = trellis::demo::load(&app).await?;
            println!(
                "Demo data loaded: {} incidents, {} services with their CMDB, agreements and suppliers. Log in with any of these (password: {}):",
                summary.incidents,
                summary.services,
                trellis::demo::DEMO_PASSWORD
            );
            for (email, role) in summary.users {
                println!("  {role:<9} {email}");
            }
            app.db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin { command: AdminCommand::Token { command: TokenCommand::Create { email, name } } } => {
            let app = open_app(&config).await?;
            let t = trellis_app::auth::create_token_for_email(&app, &email, &name)
                .await
                .with_context(|| format!("no active user with e-mail {email}"))?;
            println!("{}", t.token);
            eprintln!(
                "Token {:?} for {email} created. It is shown only now; send it as Authorization: Bearer TOKEN.",
                t.name
            );
            app.db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Journal { command: JournalCommand::Verify { json } } => {
            let app = open_app(&config).await?;
            let report = trellis_app::journal::verify(&app).await?;
            app.db.close().await;
            print_verify(&report, json);
            Ok(if report.intact() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Journal { command: JournalCommand::Checkpoint } => {
            let app = open_app(&config).await?;
            let cp = trellis_app::journal::checkpoint(&app).await?;
            app.db.close().await;
            println!("checkpoint {} at {}: {} records", cp.seq, cp.at, cp.records);
            println!("digest {}", cp.digest);
            eprintln!("Keep this digest outside Trellis: it proves the journal as of now.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            target: Some(BenchTarget::Impact { cis, relationships, queries, clients }), ..
        } => {
            let args = trellis::bench_impact::ImpactArgs {
                cis,
                relationships,
                queries,
                clients,
                database_url: config.database_url.clone(),
            };
            trellis::bench_impact::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            target: Some(BenchTarget::Queue { incidents, teams, queries, clients }), ..
        } => {
            let args = trellis::bench_queue::QueueArgs {
                incidents,
                teams,
                queries,
                clients,
                database_url: config.database_url.clone(),
            };
            trellis::bench_queue::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { target: Some(BenchTarget::Recompute { incidents }), .. } => {
            let args = trellis::bench_recompute::RecomputeArgs {
                incidents,
                database_url: config.database_url.clone(),
            };
            trellis::bench_recompute::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { target: Some(BenchTarget::Search { records, queries, clients }), .. } => {
            let args = trellis::bench_search::SearchArgs {
                records,
                queries,
                clients,
                database_url: config.database_url.clone(),
            };
            trellis::bench_search::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { target: None, clients, creates, reads } => {
            let args = trellis::bench::BenchArgs {
                clients,
                creates,
                reads,
                database_url: config.database_url.clone(),
            };
            trellis::bench::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_verify(report: &trellis_app::journal::VerifyReport, json: bool) {
    if json {
        let damaged: Vec<_> = report
            .damaged
            .iter()
            .map(|d| serde_json::json!({"kind": d.kind.as_str(), "id": d.record_id, "ref": d.reference, "problems": d.problems}))
            .collect();
        let checkpoint = report.checkpoint.as_ref().map(|c| {
            serde_json::json!({"seq": c.seq, "at": c.at.to_string(), "records": c.records, "digest": c.digest, "problems": c.problems})
        });
        let out = serde_json::json!({"records": report.records, "entries": report.entries, "intact": report.intact(),
            "damaged": damaged, "checkpoint": checkpoint});
        println!("{out}");
        return;
    }
    if report.damaged.is_empty() {
        println!("journal chains intact: {} records, {} entries verified", report.records, report.entries);
    } else {
        println!("JOURNAL DAMAGED: {} of {} records", report.damaged.len(), report.records);
        for d in &report.damaged {
            let name = d.reference.clone().unwrap_or_else(|| format!("{} {}", d.kind, d.record_id));
            for p in &d.problems {
                println!("  {name}: {p}");
            }
        }
    }
    match &report.checkpoint {
        None => println!("no checkpoint taken yet (trellis journal checkpoint)"),
        Some(c) if c.problems.is_empty() => {
            println!("checkpoint {} of {} matches ({} records, digest {})", c.seq, c.at, c.records, c.digest);
        }
        Some(c) => {
            println!("CHECKPOINT {} OF {} DOES NOT MATCH:", c.seq, c.at);
            for p in &c.problems {
                println!("  {p}");
            }
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<ExitCode> {
    let app = open_app(config).await?;
    let email = std::env::var("TRELLIS_ADMIN_EMAIL").ok().filter(|e| !e.is_empty());
    let password = std::env::var("TRELLIS_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty());
    let (email, password) = match (email, password) {
        (Some(e), Some(p)) => (e, Some(p)),
        _ => ("admin@localhost".to_owned(), None),
    };
    if let Some((email, generated)) = trellis_app::identity::bootstrap_admin(&app, &email, password).await? {
        match generated {
            Some(p) => println!("First administrator: {email} with one-time password {p} (shown only now)"),
            None => println!("First administrator: {email}"),
        }
    }
    let server = Server::bind(config, app.clone()).await?;
    let backend = match app.db.backend() {
        trellis_store::Backend::Sqlite => format!("SQLite in {}", config.data_dir.display()),
        trellis_store::Backend::Postgres => "PostgreSQL".to_owned(),
    };
    tracing::info!(url = %server.url(), %backend, "Trellis is listening");
    println!("Trellis is running on {backend}. Open:");
    println!("{}", server.url());
    server.run(shutdown_signal()).await?;
    app.db.close().await;
    Ok(ExitCode::SUCCESS)
}
