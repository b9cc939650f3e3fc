//! The JSON shapes of the API. Request types reject unknown fields; every record carries `id`,
//! `ref`, `kind`, `version`, `created_at`, `updated_at` and names what it points at.

use serde::{Deserialize, Deserializer, Serialize};
use trellis_app::views::IncidentView;
use trellis_app::views::from_micros;
use trellis_domain::incident::IncidentStatus;
use trellis_domain::lifecycle::Lifecycle;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// RFC 3339 text of a stored instant.
pub fn rfc3339(micros: i64) -> String {
    from_micros(micros).map(|t| t.to_string()).unwrap_or_default()
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`) in PATCH bodies.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// An optional id in a query string, where an empty value (as an HTML form sends for "any")
/// means no filter.
pub fn id_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Uuid>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => Uuid::parse_str(v).map(Some).map_err(serde::de::Error::custom),
    }
}

/// A reference to another record or person, with its display name.
#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

pub fn named(id: Option<Uuid>, name: Option<String>) -> Option<Named> {
    id.map(|id| Named { id, name: name.unwrap_or_default() })
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c11", "ref": "INC-000042", "kind": "incident", "version": 3,
    "title": "VPN drops every 10 minutes", "description": "Since this morning, all users in Leeds.",
    "status": "in_progress", "allowed_transitions": ["pending", "resolved"],
    "customer": {"id": "019a8f3c-0000-7000-8000-000000000001", "name": "Northwind Health"},
    "team": {"id": "019a8f3c-0000-7000-8000-000000000002", "name": "Network"},
    "assignee": null, "owner": null,
    "created_at": "2026-11-21T09:15:00Z", "updated_at": "2026-11-21T09:40:12.5Z"}))]
pub struct Incident {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// Always `incident`.
    pub kind: &'static str,
    /// Send it back in `If-Match` when you update.
    pub version: i64,
    pub title: String,
    pub description: String,
    /// new, in_progress, pending, resolved or closed.
    pub status: String,
    /// The states this incident may move to next.
    pub allowed_transitions: Vec<&'static str>,
    pub customer: Option<Named>,
    pub team: Option<Named>,
    pub assignee: Option<Named>,
    pub owner: Option<Named>,
    /// The affected service, by reference.
    pub service: Option<Named>,
    /// The affected configuration item, by reference.
    pub ci: Option<Named>,
    pub category: String,
    /// high, medium or low.
    pub impact: String,
    /// high, medium or low.
    pub urgency: String,
    /// p1 to p4, from impact × urgency in the priority matrix.
    pub priority: String,
    /// Why the incident waits, while it is pending.
    pub pending_reason: Option<String>,
    pub resolution_code: Option<String>,
    pub resolution_notes: String,
    pub resolved_at: Option<String>,
    /// The earliest instant a running SLA clock falls due (past: already breached).
    pub sla_due_at: Option<String>,
    /// How many times it was escalated to management by hand (staff only; 0 for customers).
    pub escalation_level: i64,
    /// How many times it moved from one team to another (staff only; 0 for customers).
    pub reassignments: i64,
    /// Set once it is declared a major incident.
    pub major: Option<MajorIncident>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MajorIncident {
    pub declared_at: String,
    /// Who runs it.
    pub manager: Option<Named>,
}

impl From<IncidentView> for Incident {
    fn from(v: IncidentView) -> Self {
        let r = v.row;
        let allowed = IncidentStatus::parse(&r.status)
            .map(|s| s.allowed_transitions().iter().map(|t| t.as_str()).collect())
            .unwrap_or_default();
        Incident {
            id: r.id,
            reference: r.reference,
            kind: "incident",
            version: r.version,
            title: r.title,
            description: r.description,
            status: r.status,
            allowed_transitions: allowed,
            customer: named(r.customer_id, v.customer_name),
            team: named(r.team_id, v.team_name),
            assignee: named(r.assignee_id, v.assignee_name),
            owner: named(r.owner_id, v.owner_name),
            service: named(r.service_id, v.service_ref),
            ci: named(r.ci_id, v.ci_ref),
            category: r.category,
            impact: r.impact,
            urgency: r.urgency,
            priority: r.priority,
            pending_reason: r.pending_reason,
            resolution_code: r.resolution_code,
            resolution_notes: r.resolution_notes,
            resolved_at: r.resolved_at.map(rfc3339),
            sla_due_at: r.sla_due_at.map(rfc3339),
            escalation_level: r.escalation_level,
            reassignments: r.reassignments,
            major: r.major_declared_at.map(|at| MajorIncident {
                declared_at: rfc3339(at),
                manager: named(r.major_manager_id, v.major_manager_name),
            }),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentList {
    pub items: Vec<Incident>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Printer on floor 3 offline", "description": "Shows error 0x61011bed.", "customer_id": "019a8f3c-0000-7000-8000-000000000001"}))]
pub struct CreateIncident {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Ignored for customer users, whose incidents always belong to their organisation.
    pub customer_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// The affected service; the customer must receive it.
    pub service_id: Option<Uuid>,
    /// The affected configuration item (staff only).
    pub ci_id: Option<Uuid>,
    #[serde(default)]
    pub category: String,
    /// high, medium (default) or low.
    pub impact: Option<String>,
    /// high, medium (default) or low.
    pub urgency: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assignee_id": "019a8f3c-0000-7000-8000-0000000000aa", "title": "VPN drops every 10 minutes (Leeds)"}))]
pub struct UpdateIncident {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `null` clears the customer.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub customer_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub team_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub service_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub ci_id: Option<Option<Uuid>>,
    pub category: Option<String>,
    /// A new impact or urgency sets the priority from the matrix.
    pub impact: Option<String>,
    pub urgency: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "pending", "pending_reason": "awaiting_customer"}))]
pub struct IncidentTransition {
    /// new, in_progress, pending, resolved or closed (see `allowed_transitions`).
    pub to: String,
    /// Required for pending: awaiting_customer, awaiting_supplier, awaiting_change or other.
    pub pending_reason: Option<String>,
    /// Required for resolved: fixed, workaround, resolved_by_change, user_error,
    /// no_fault_found, duplicate or withdrawn.
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "resolved"}))]
pub struct Transition {
    /// The target state; must be one of the record's `allowed_transitions`.
    pub to: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// Comma-separated states, e.g. `new,in_progress`.
    pub status: Option<String>,
    /// Customer id.
    #[serde(default, deserialize_with = "id_or_empty")]
    #[param(value_type = Option<Uuid>)]
    pub customer: Option<Uuid>,
    /// A team id, or `mine` for the teams the caller belongs to.
    pub team: Option<String>,
    /// A user id, `me`, or `none` for unassigned.
    pub assignee: Option<String>,
    /// Text in the title or reference.
    pub q: Option<String>,
    /// `-created_at` (default), `created_at`, `-updated_at`, `updated_at`; `due_at`: the
    /// SLA clock falling due first (only incidents with a running clock); `queue`: the same,
    /// then the incidents without a running clock.
    pub sort: Option<String>,
    /// Breaching soon: only incidents whose SLA clocks fall due within this many minutes
    /// (1–10080; already breached ones included).
    pub breaching_within: Option<i64>,
    /// `true`: major incidents only.
    pub major: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JournalEntry {
    pub id: Uuid,
    pub seq: i64,
    pub at: String,
    pub actor: Option<Named>,
    /// api, ui, portal, cli or system.
    pub channel: String,
    /// created, updated, transitioned, commented, attached or linked.
    pub action: String,
    pub changes: Vec<FieldChange>,
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[schema(value_type = Object)]
    pub from: serde_json::Value,
    #[schema(value_type = Object)]
    pub to: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Comment {
    pub id: Uuid,
    pub body: String,
    /// Public comments are visible to the customer; internal ones only to staff.
    pub public: bool,
    pub author: Option<Named>,
    pub created_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Restarted the tunnel; monitoring.", "public": true}))]
pub struct CreateComment {
    pub body: String,
    /// Defaults to public for customer users and to internal for staff.
    pub public: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attachment {
    pub id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: String,
    /// Where to download the content.
    pub content_url: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttachmentQuery {
    /// The file name to store.
    pub filename: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Link {
    pub id: Uuid,
    /// relates_to, caused_by, resolved_by, duplicate_of, child_of, affects_ci, implements.
    pub link_type: String,
    /// `outgoing` when this record is the subject ("this is caused by that").
    pub direction: &'static str,
    pub record: LinkedRecord,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedRecord {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: String,
    pub title: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"link_type": "caused_by", "target": "INC-000007"}))]
pub struct CreateLink {
    pub link_type: String,
    /// The other record's reference or id.
    pub target: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Items<T: ToSchema> {
    pub items: Vec<T>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// admin, manager, agent, customer or auditor.
    pub role: String,
    pub customer_id: Option<Uuid>,
    pub active: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<trellis_app::views::UserRow> for User {
    fn from(u: trellis_app::views::UserRow) -> Self {
        User {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            customer_id: u.customer_id,
            active: u.active,
            version: u.version,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "sam@provider.example", "display_name": "Sam Agent", "role": "agent", "password": "correct horse battery"}))]
pub struct CreateUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// Required for customer users.
    pub customer_id: Option<Uuid>,
    /// At least 12 characters; without one the user cannot log in yet.
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub role: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub customer_id: Option<Option<Uuid>>,
    /// false deactivates the user and ends their sessions.
    pub active: Option<bool>,
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub notes: String,
    /// The provider's person who owns the relationship (8.3.2).
    pub relationship_manager_id: Option<Uuid>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    /// An active agent, manager or administrator; null for nobody.
    pub relationship_manager_id: Option<Uuid>,
}

impl From<trellis_app::views::CustomerRow> for Customer {
    fn from(c: trellis_app::views::CustomerRow) -> Self {
        Customer {
            id: c.id,
            name: c.name,
            notes: c.notes,
            relationship_manager_id: c.relationship_manager_id,
            version: c.version,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Northwind Health", "notes": "Hospital group, 24x7 contract"}))]
pub struct CreateCustomer {
    pub name: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub created_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<trellis_app::views::TeamRow> for Team {
    fn from(t: trellis_app::views::TeamRow) -> Self {
        Team {
            id: t.id,
            name: t.name,
            description: t.description,
            version: t.version,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Network", "description": "WAN, LAN, VPN and firewalls"}))]
pub struct CreateTeam {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub user_id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "monitoring integration", "expires_in_days": 90}))]
pub struct CreateToken {
    pub name: String,
    /// Days until the token stops working; none for no expiry.
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    pub id: Uuid,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewToken {
    pub id: Uuid,
    pub name: String,
    /// The secret: shown only in this response. Send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: Option<String>,
}
