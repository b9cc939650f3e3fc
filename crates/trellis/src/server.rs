//! Opening the database and running the HTTP server.

use crate::config::Config;
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use trellis_app::{App, Clock, Settings, SystemClock};
use trellis_store::{Db, DbOptions};
use trellis_web::{AppState, WebSettings};

/// Opens (and, for SQLite, creates) the database and applies pending migrations.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    }
    let opts = DbOptions { max_connections: config.max_connections, ..DbOptions::default() };
    let db = Db::connect(&url, &opts)
        .await
        .with_context(|| format!("opening the database {}", trellis_store::db::redact_url(&url)))?;
    db.migrate().await.context("applying database migrations")?;
    Ok(db)
}

pub fn app_for(config: &Config, db: Db, clock: Arc<dyn Clock>) -> App {
    let settings = Settings {
        max_attachment_bytes: config.max_attachment_mib as usize * 1024 * 1024,
        public_url: config.public_url(),
        ..Settings::default()
    };
    let app = App::new(db, clock, settings);
    match config.mailer() {
        Some(mailer) => app.with_mailer(mailer),
        None => app,
    }
}

pub async fn open_app(config: &Config) -> anyhow::Result<App> {
    let db = open_db(config).await?;
    Ok(app_for(config, db, Arc::new(SystemClock)))
}

/// A server bound to its address, ready to run.
pub struct Server {
    pub addr: SocketAddr,
    listener: TcpListener,
    router: axum::Router,
    app: App,
    /// Whether this process runs the job worker (tests run jobs themselves, deterministically).
    job_worker: bool,
}

/// How often the server looks for work that falls due (periodic survey rounds).
const DUE_WORK_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

impl Server {
    pub async fn bind(config: &Config, app: App) -> anyhow::Result<Server> {
        let listener =
            TcpListener::bind(&config.bind).await.with_context(|| format!("binding to {}", config.bind))?;
        let addr = listener.local_addr()?;
        let state = AppState {
            app: app.clone(),
            metrics: trellis_web::ops::metrics_handle(),
            web: WebSettings { secure_cookies: config.secure_cookies, ..WebSettings::default() },
        };
        Ok(Server { addr, listener, router: trellis_web::router(state), app, job_worker: true })
    }

    /// Serves without the job worker: the caller runs `trellis_app::jobs::run_due` itself.
    #[must_use]
    pub fn without_job_worker(mut self) -> Self {
        self.job_worker = false;
        self
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let due_work = tokio::spawn(run_due_work(self.app.clone()));
        let (stop_jobs, stopped) = tokio::sync::watch::channel(false);
        let jobs = self.job_worker.then(|| tokio::spawn(run_jobs(self.app.clone(), stopped)));
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        due_work.abort();
        // The worker finishes the job in hand (its transaction commits or rolls back) and stops.
        let _ = stop_jobs.send(true);
        if let Some(jobs) = jobs {
            let _ = jobs.await;
        }
        served?;
        Ok(())
    }
}

/// Sends what falls due while the server runs. Work is claimed in the database, so several
/// processes sharing one PostgreSQL do it once. (The jobs table of the ticket processes will
/// take this over.)
async fn run_due_work(app: App) {
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + DUE_WORK_EVERY, DUE_WORK_EVERY);
    loop {
        every.tick().await;
        match trellis_app::survey::send_due_rounds(&app).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "periodic satisfaction surveys sent"),
            Err(e) => tracing::error!(error = %e, "sending periodic surveys failed"),
        }
    }
}

/// How many jobs the worker runs between looks at the stop signal.
const JOBS_BATCH: usize = 500;

/// How often the job worker looks for due jobs.
const JOBS_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// The job worker of this process: SLA warnings and breaches, recomputation after agreement and
/// calendar changes. It starts at once, so what fell due while no server ran is done first.
async fn run_jobs(app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
    let owner = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7());
    let mut every = tokio::time::interval(JOBS_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = app.jobs_queued.notified() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        // A full batch means more is waiting (a calendar change wakes every open ticket on it):
        // drain it now rather than a batch per tick, stopping between batches when asked.
        loop {
            match trellis_app::jobs::run_due(&app, &owner, JOBS_BATCH).await {
                Ok(n) if n == JOBS_BATCH && !*stop.borrow() => {
                    tracing::debug!(ran = n, "jobs run; more waiting");
                }
                Ok(0) => break,
                Ok(n) => {
                    tracing::debug!(ran = n, "jobs run");
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "job worker failed");
                    break;
                }
            }
        }
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
