//! Trellis use cases. Every public function here takes the acting user ([`Actor`]), checks the
//! role × action table and the customer scope, runs its writes in one transaction and journals
//! them. The web layer and the CLI only translate requests into these calls.

pub mod agreement;
pub mod article;
pub mod auth;
pub mod baseline;
pub mod bulk;
pub mod calendar;
pub mod ci;
pub mod complaint;
pub mod error;
pub mod identity;
pub mod impact;
pub mod import;
pub mod incident;
pub mod jobs;
pub mod journal;
pub mod major;
pub mod notify;
pub mod offering;
pub mod platform;
pub mod problem;
mod record;
pub mod report;
pub mod review;
pub mod saved_filter;
pub mod search;
pub mod service;
pub mod service_request;
pub mod settings;
pub mod sla;
pub mod supplier;
pub mod survey;

pub use error::AppError;
pub use trellis_store::{Db, DbOptions};

use jiff::Timestamp;
use std::sync::Arc;
use trellis_domain::access::{Action, Role, allows};
use trellis_domain::journal::Channel;
use uuid::Uuid;

/// The one source of time. Injected at the top so tests can fix it and nothing deep in the
/// logic reads the system clock.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Tunable limits of the application.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A session ends after this long without a request.
    pub session_idle: jiff::SignedDuration,
    /// Largest attachment accepted, in bytes.
    pub max_attachment_bytes: usize,
    /// Failed logins allowed per account within [`Settings::login_window`].
    pub login_max_failures_per_account: i64,
    /// Failed logins allowed per client address within the window.
    pub login_max_failures_per_ip: i64,
    pub login_window: jiff::SignedDuration,
    /// Where people reach Trellis: the base of links in notifications.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle: jiff::SignedDuration::from_hours(12),
            max_attachment_bytes: 10 * 1024 * 1024,
            login_max_failures_per_account: 10,
            login_max_failures_per_ip: 50,
            login_window: jiff::SignedDuration::from_mins(15),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// The application: database, clock and settings. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// This process's copy of the configuration graph (checked against the database per use).
    pub graph: Arc<impact::GraphCache>,
    /// CSV imports started from pages, with their progress.
    pub imports: Arc<import::Jobs>,
    /// Delivers the outbox; None when no SMTP server is configured (mail is then marked failed
    /// with that reason, and in-app notifications still arrive).
    pub mailer: Option<Arc<trellis_mail::Mailer>>,
    /// Rung after a request queues background work the worker should start on now rather than
    /// at its next poll (a recomputation after a calendar or agreement change).
    pub jobs_queued: Arc<tokio::sync::Notify>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        App {
            db,
            clock,
            settings: Arc::new(settings),
            graph: Arc::default(),
            imports: Arc::default(),
            mailer: None,
            jobs_queued: Arc::default(),
        }
    }

    /// Sends mail through `mailer`.
    #[must_use]
    pub fn with_mailer(mut self, mailer: trellis_mail::Mailer) -> Self {
        self.mailer = Some(Arc::new(mailer));
        self
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// Who is asking, and through which channel.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Set for customer users: the only customer whose records they may see.
    pub customer_id: Option<Uuid>,
    pub channel: Channel,
}

impl Actor {
    /// Fails with `Forbidden` unless the role may perform `action`.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if allows(self.role, action) { Ok(()) } else { Err(AppError::Forbidden) }
    }

    pub fn may(&self, action: Action) -> bool {
        allows(self.role, action)
    }

    /// True when the actor may see a record belonging to `customer_id`.
    pub fn sees_customer(&self, customer_id: Option<Uuid>) -> bool {
        if self.role.is_staff() {
            return true;
        }
        matches!((self.customer_id, customer_id), (Some(mine), Some(theirs)) if mine == theirs)
    }

    /// The actor used by the system itself (demo loading, bootstrap).
    pub fn system() -> Self {
        Actor {
            user_id: Uuid::nil(),
            email: "system@localhost".into(),
            display_name: "Trellis".into(),
            role: Role::Admin,
            customer_id: None,
            channel: Channel::System,
        }
    }

    /// The journal's actor id: none for the system itself.
    pub fn journal_id(&self) -> Option<Uuid> {
        (!self.user_id.is_nil()).then_some(self.user_id)
    }
}

/// The stored shapes the use cases return, re-exported so the web layer depends on the app
/// layer only.
pub mod views {
    pub use trellis_store::agreement::{AgreementRow, AgreementView, Filter as AgreementFilter, TargetView};
    pub use trellis_store::article::{ArticleView, Filter as ArticleFilter};
    pub use trellis_store::baseline::BaselineRow;
    pub use trellis_store::calendar::CalendarRow;
    pub use trellis_store::ci::{CiView, Filter as CiFilter, NodeRow};
    pub use trellis_store::complaint::{ComplaintCount, ComplaintView, Filter as ComplaintFilter};
    pub use trellis_store::identity::{ContactRow, CustomerRow, TeamRow, UserRow};
    pub use trellis_store::incident::{Cursor, Filter, IncidentRow, IncidentView, Sort};
    pub use trellis_store::journal::EntryView;
    pub use trellis_store::major::{CommunicationView, ReviewView as MajorReviewView};
    pub use trellis_store::platform::{AttachmentRow, CommentView};
    pub use trellis_store::problem::{Filter as ProblemFilter, ProblemView};
    pub use trellis_store::review::ReviewView;
    pub use trellis_store::saved_filter::SavedFilterRow;
    pub use trellis_store::service::{Filter as ServiceFilter, ServiceView};
    pub use trellis_store::service_request::{
        ApprovalView, Filter as RequestFilter, RequestView, TaskFilter, TaskView,
    };
    pub use trellis_store::supplier::{DisputeView, Filter as SupplierFilter, SupplierView};
    pub use trellis_store::survey::{ScheduleView, ScoreRow, SurveyView};
    pub use trellis_store::{from_micros, micros};
}
