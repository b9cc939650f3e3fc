//! Roles and the role × action table. Every use case in the app layer asks [`allows`] before it
//! touches a record; the web layer never decides on its own.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the installation: users, teams, customers, tokens.
    Admin,
    /// A process owner or manager: everything an agent does, plus teams and customers.
    Manager,
    /// Service desk and support staff: work on records of every customer.
    Agent,
    /// A portal user bound to one customer organisation: sees that customer's records only.
    Customer,
    /// An internal or external auditor: reads everything, changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Manager, Role::Agent, Role::Customer, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Customer => "customer",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Staff roles see every customer's records; a customer user sees only its own.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Customer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a user can ask Trellis to do. Adding a use case means adding an action here and a
/// row in [`allows`], so the table stays the single place where permissions are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    IncidentRead,
    IncidentCreate,
    IncidentUpdate,
    IncidentTransition,
    /// Confirm a resolved incident (it closes) or say it is not fixed (it reopens): the customer's
    /// answer to a resolution.
    IncidentConfirm,
    /// Escalate an incident to management, or declare it a major incident and log what was
    /// communicated about it (any service-desk agent may).
    IncidentEscalate,
    /// Read problems and known errors (staff and auditors).
    ProblemRead,
    /// Raise, investigate and resolve problems; document known errors.
    ProblemManage,
    /// Record the review a major incident requires before it closes (managers).
    MajorIncidentReview,
    /// Add a public comment (customers may, on their own records).
    CommentPublic,
    /// Add internal comments, which customers never see.
    CommentInternal,
    /// Read internal comments.
    InternalRead,
    AttachmentAdd,
    LinkAdd,
    JournalRead,
    UserRead,
    UserManage,
    TeamManage,
    CustomerRead,
    CustomerManage,
    /// Create API tokens for oneself.
    TokenCreateOwn,
    SessionRevokeAny,
    /// Read the service catalogue (customers: the services their organisation receives).
    ServiceRead,
    /// Define and change services and their lifecycle.
    ServiceManage,
    ConfigurationRead,
    /// Create and change configuration items and their relationships.
    ConfigurationManage,
    /// Define CI types and their attribute schemas.
    CiTypeManage,
    ComplaintRead,
    /// Lodge a complaint (customers: for their own organisation).
    ComplaintCreate,
    /// Investigate, act on, escalate and close complaints.
    ComplaintHandle,
    /// Read agreements (SLAs, OLAs, contracts), suppliers and business calendars.
    AgreementRead,
    /// Define and change agreements, suppliers, calendars and their reviews.
    AgreementManage,
    /// Change service-desk settings: the priority matrix, the reopen window.
    SettingsManage,
    /// Read service requests (customers: their organisation's).
    RequestRead,
    /// Order from a request offering (customers: for themselves).
    RequestCreate,
    /// Cancel a request that is not yet fulfilled (customers: their organisation's).
    RequestCancel,
    /// Decide an approval step one is an approver of (staff; who may decide which step is the
    /// offering's rule).
    RequestApprove,
    /// Work fulfilment tasks and move requests to fulfilled and closed.
    RequestFulfil,
    /// Read knowledge articles (customers: published public ones).
    ArticleRead,
    /// Write, review, publish and retire knowledge articles.
    ArticleManage,
    /// Read service reports (customers: their own organisation's).
    ServiceReportRead,
}

/// The role × action table.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match role {
        Admin => action != IncidentConfirm,
        // Confirming a resolution is the customer's own answer; staff close incidents themselves.
        Manager => {
            !matches!(action, UserManage | SessionRevokeAny | CiTypeManage | SettingsManage | IncidentConfirm)
        }
        Agent => matches!(
            action,
            IncidentRead
                | IncidentCreate
                | IncidentUpdate
                | IncidentTransition
                | IncidentEscalate
                | ProblemRead
                | ProblemManage
                | CommentPublic
                | CommentInternal
                | InternalRead
                | AttachmentAdd
                | LinkAdd
                | JournalRead
                | UserRead
                | CustomerRead
                | TokenCreateOwn
                | ServiceRead
                | ConfigurationRead
                | ConfigurationManage
                | ComplaintRead
                | ComplaintCreate
                | ComplaintHandle
                | AgreementRead
                | RequestRead
                | RequestCreate
                | RequestCancel
                | RequestApprove
                | RequestFulfil
                | ArticleRead
                | ServiceReportRead
                | ArticleManage
        ),
        Customer => matches!(
            action,
            IncidentRead
                | IncidentCreate
                | IncidentConfirm
                | CommentPublic
                | AttachmentAdd
                | TokenCreateOwn
                | ServiceRead
                | ComplaintRead
                | ComplaintCreate
                | RequestRead
                | RequestCreate
                | RequestCancel
                | ArticleRead
                | ServiceReportRead
        ),
        // Auditors read everything (internal notes included) and may hold API tokens, which
        // carry their read-only role.
        Auditor => matches!(
            action,
            IncidentRead
                | ProblemRead
                | InternalRead
                | JournalRead
                | UserRead
                | CustomerRead
                | TokenCreateOwn
                | ServiceRead
                | ConfigurationRead
                | ComplaintRead
                | AgreementRead
                | RequestRead
                | ArticleRead
                | ServiceReportRead
        ),
    }
}

/// Whether the role reads internal comments (staff and auditors; never customers).
pub fn sees_internal(role: Role) -> bool {
    allows(role, Action::InternalRead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_customers_confirm_a_resolution_and_only_staff_see_problems() {
        for role in Role::ALL {
            assert_eq!(allows(role, Action::IncidentConfirm), role == Role::Customer, "{role}");
        }
        assert!(!allows(Role::Customer, Action::ProblemRead));
        assert!(!allows(Role::Customer, Action::ProblemManage));
        assert!(allows(Role::Auditor, Action::ProblemRead) && !allows(Role::Auditor, Action::ProblemManage));
        assert!(allows(Role::Agent, Action::ProblemManage));
    }

    #[test]
    fn auditor_changes_nothing() {
        for a in [
            Action::IncidentCreate,
            Action::IncidentUpdate,
            Action::IncidentTransition,
            Action::CommentPublic,
            Action::CommentInternal,
            Action::AttachmentAdd,
            Action::LinkAdd,
            Action::UserManage,
            Action::TeamManage,
            Action::CustomerManage,
            Action::ServiceManage,
            Action::ConfigurationManage,
            Action::CiTypeManage,
            Action::ComplaintCreate,
            Action::ComplaintHandle,
            Action::AgreementManage,
            Action::SettingsManage,
        ] {
            assert!(!allows(Role::Auditor, a), "{a:?}");
        }
        assert!(allows(Role::Auditor, Action::IncidentRead));
        assert!(sees_internal(Role::Auditor));
    }

    #[test]
    fn customers_cannot_work_tickets_or_see_internal_notes() {
        assert!(!allows(Role::Customer, Action::IncidentUpdate));
        assert!(!allows(Role::Customer, Action::IncidentTransition));
        assert!(!sees_internal(Role::Customer));
        assert!(!allows(Role::Customer, Action::JournalRead));
    }

    #[test]
    fn managers_run_agreements_and_agents_read_them() {
        for r in Role::ALL {
            assert_eq!(allows(r, Action::AgreementManage), matches!(r, Role::Admin | Role::Manager), "{r}");
            assert_eq!(allows(r, Action::AgreementRead), r != Role::Customer, "{r}");
        }
    }

    #[test]
    fn only_admins_manage_users() {
        for r in Role::ALL {
            assert_eq!(allows(r, Action::UserManage), r == Role::Admin);
            assert_eq!(allows(r, Action::SettingsManage), r == Role::Admin);
        }
    }

    #[test]
    fn customers_read_the_catalogue_and_complain_but_change_nothing_else() {
        for a in [Action::ServiceRead, Action::ComplaintRead, Action::ComplaintCreate] {
            assert!(allows(Role::Customer, a), "{a:?}");
        }
        for a in [Action::ServiceManage, Action::ConfigurationRead, Action::ComplaintHandle, Action::LinkAdd]
        {
            assert!(!allows(Role::Customer, a), "{a:?}");
        }
    }

    #[test]
    fn only_admins_define_ci_types_and_only_managers_up_define_services() {
        for r in Role::ALL {
            assert_eq!(allows(r, Action::CiTypeManage), r == Role::Admin);
            assert_eq!(allows(r, Action::ServiceManage), matches!(r, Role::Admin | Role::Manager));
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
