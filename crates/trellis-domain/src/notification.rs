//! What Trellis tells people, and the default words for it. Each kind has a template (subject
//! and body, Jinja syntax) that an administrator may rewrite, and the variables it is given:
//! every notification has `recipient` and `record`; a kind adds its own.

use serde_json::{Value, json};

crate::named_enum! {
    /// The events that notify someone.
    pub enum NotificationKind {
        /// An SLA clock reached its warning threshold: the holder of the ticket is told.
        SlaWarning = ("sla.warning", "SLA warning"),
        /// An SLA clock passed its target: the holder is told and the ticket escalates to the
        /// team's managers.
        SlaBreach = ("sla.breach", "SLA breach"),
        /// A ticket was given to an agent, or to a team with nobody assigned.
        IncidentAssigned = ("incident.assigned", "Incident assigned"),
        /// A ticket was resolved: the customer who logged it is asked to confirm.
        IncidentResolved = ("incident.resolved", "Incident resolved"),
        /// A comment the other side can read: a public reply by the service desk reaches the
        /// customer, a customer's comment reaches whoever holds the ticket.
        IncidentCommented = ("incident.commented", "Comment on an incident"),
        /// An incident was escalated by hand: the managers of its team are told.
        IncidentEscalated = ("incident.escalated", "Incident escalated"),
        /// A major incident was declared: every manager and its major-incident manager are told.
        MajorIncidentDeclared = ("major_incident.declared", "Major incident declared"),
        /// An update on a major incident for its customer: their portal users are told.
        MajorIncidentUpdate = ("major_incident.update", "Major incident update"),
        /// A service request awaits someone's approval: each person who may decide the step now
        /// due is told.
        RequestApprovalNeeded = ("request.approval_needed", "Request awaiting approval"),
        /// A service request was approved or rejected: the requester is told.
        RequestDecided = ("request.decided", "Request approved or rejected"),
        /// A fulfilment task was given to an agent, or to a team with nobody assigned.
        RequestTaskAssigned = ("request.task_assigned", "Fulfilment task assigned"),
        /// A service request was fulfilled: the requester is told.
        RequestFulfilled = ("request.fulfilled", "Request fulfilled"),
    }
}

/// A template: subject and body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

impl NotificationKind {
    /// The words used until an administrator changes them.
    pub fn default_template(self) -> Template {
        let (subject, body) = match self {
            NotificationKind::SlaWarning => (
                "[{{ record.ref }}] SLA warning: {{ sla.target }}",
                "Hello {{ recipient.name }},\n\n{{ record.ref }} \"{{ record.title }}\" ({{ record.priority }}) \
                 has used {{ sla.warn_percent }} % of its {{ sla.target }} target.\n\
                 It falls due at {{ sla.due_at }}.\n\n{{ record.url }}\n",
            ),
            NotificationKind::SlaBreach => (
                "[{{ record.ref }}] SLA breached: {{ sla.target }}",
                "Hello {{ recipient.name }},\n\n{{ record.ref }} \"{{ record.title }}\" ({{ record.priority }}) \
                 missed its {{ sla.target }} target at {{ sla.reached_at }}.\
                 {% if sla.cause %}\nCause: {{ sla.cause }} missed its own target.{% endif %}\n\
                 {% if escalated %}It has been escalated to you as a manager of {{ record.team }}.\n{% endif %}\
                 \n{{ record.url }}\n",
            ),
            NotificationKind::IncidentAssigned => (
                "[{{ record.ref }}] Assigned to {{ assigned_to }}: {{ record.title }}",
                "Hello {{ recipient.name }},\n\n{{ actor.name }} assigned {{ record.ref }} \"{{ record.title }}\" \
                 ({{ record.priority }}) to {{ assigned_to }}.\n\n{{ record.url }}\n",
            ),
            NotificationKind::IncidentResolved => (
                "[{{ record.ref }}] Resolved: {{ record.title }}",
                "Hello {{ recipient.name }},\n\nWe have resolved {{ record.ref }} \"{{ record.title }}\".\n\n\
                 {{ resolution.notes }}\n\nIf it is not fixed, reopen it within {{ resolution.reopen_days }} days; \
                 otherwise please confirm the resolution:\n{{ record.url }}\n",
            ),
            NotificationKind::IncidentCommented => (
                "[{{ record.ref }}] New comment: {{ record.title }}",
                "Hello {{ recipient.name }},\n\n{{ actor.name }} wrote on {{ record.ref }}:\n\n{{ comment }}\n\n\
                 {{ record.url }}\n",
            ),
            NotificationKind::IncidentEscalated => (
                "[{{ record.ref }}] Escalated: {{ record.title }}",
                "Hello {{ recipient.name }},\n\n{{ actor.name }} escalated {{ record.ref }} \"{{ record.title }}\" \
                 ({{ record.priority }}, {{ record.team }}) to management (level {{ escalation.level }}):\n\n\
                 {{ escalation.reason }}\n\n{{ record.url }}\n",
            ),
            NotificationKind::MajorIncidentDeclared => (
                "[{{ record.ref }}] MAJOR INCIDENT: {{ record.title }}",
                "Hello {{ recipient.name }},\n\n{{ actor.name }} declared {{ record.ref }} \"{{ record.title }}\" \
                 a major incident. Major-incident manager: {{ major.manager }}.\n\n{{ major.reason }}\n\n{{ record.url }}\n",
            ),
            NotificationKind::MajorIncidentUpdate => (
                "[{{ record.ref }}] Update: {{ record.title }}",
                "Hello {{ recipient.name }},\n\nAn update on {{ record.ref }} \"{{ record.title }}\":\n\n{{ message }}\n\n\
                 {{ record.url }}\n",
            ),
            NotificationKind::RequestApprovalNeeded => (
                "[{{ record.ref }}] Approval needed: {{ record.title }}",
                "Hello {{ recipient.name }},\n\n{{ requester }} requested \"{{ record.title }}\" ({{ record.ref }}) \
                 for {{ record.customer }}. It needs your approval:\n\n{{ record.url }}\n",
            ),
            NotificationKind::RequestDecided => (
                "[{{ record.ref }}] Your request was {{ decision }}: {{ record.title }}",
                "Hello {{ recipient.name }},\n\n{{ actor.name }} {{ decision }} your request {{ record.ref }} \
                 \"{{ record.title }}\".{% if comment %}\n\n{{ comment }}{% endif %}\n\n{{ record.url }}\n",
            ),
            NotificationKind::RequestTaskAssigned => (
                "[{{ record.ref }}] Task for {{ assigned_to }}: {{ task }}",
                "Hello {{ recipient.name }},\n\n\"{{ task }}\" for {{ record.ref }} \"{{ record.title }}\" \
                 ({{ record.customer }}) is assigned to {{ assigned_to }}.\n\n{{ record.url }}\n",
            ),
            NotificationKind::RequestFulfilled => (
                "[{{ record.ref }}] Fulfilled: {{ record.title }}",
                "Hello {{ recipient.name }},\n\nYour request {{ record.ref }} \"{{ record.title }}\" has been \
                 fulfilled.\n\nIf something is missing, reply on the request:\n{{ record.url }}\n",
            ),
        };
        Template { subject: subject.into(), body: body.into() }
    }

    /// Variables like those the kind is given, to check a template before it is saved and to
    /// show an administrator what is available.
    pub fn sample_vars(self) -> Value {
        let mut vars = json!({
            "recipient": {"name": "Alex Agent", "email": "alex@provider.example"},
            "actor": {"name": "Morgan Manager"},
            "record": {"ref": "INC-000042", "title": "E-mail unreachable from the Leeds office",
                "status": "in_progress", "priority": "p2", "team": "Service desk", "customer": "Northwind Health",
                "url": "https://trellis.example/incidents/INC-000042"},
        });
        let extra = match self {
            NotificationKind::SlaWarning | NotificationKind::SlaBreach => json!({
                "sla": {"agreement": "AGR-000001", "target": "AGR-000001 resolution p2", "metric": "resolution",
                    "warn_percent": 75, "reached_at": "2026-11-20T14:30:00Z", "due_at": "2026-11-20T16:00:00Z",
                    "cause": "AGR-000002 resolution"},
                "escalated": self == NotificationKind::SlaBreach,
            }),
            NotificationKind::IncidentAssigned => json!({"assigned_to": "Alex Agent"}),
            NotificationKind::IncidentResolved => json!({
                "resolution": {"code": "fixed", "notes": "The mail relay was restarted.", "reopen_days": 7}
            }),
            NotificationKind::IncidentCommented => json!({"comment": "Could you try again now?"}),
            NotificationKind::IncidentEscalated => json!({
                "escalation": {"level": 1, "reason": "Third reassignment and no diagnosis yet."}
            }),
            NotificationKind::MajorIncidentDeclared => json!({
                "major": {"manager": "Morgan Manager", "reason": "All Leeds users are without e-mail."}
            }),
            NotificationKind::MajorIncidentUpdate => json!({
                "message": "The carrier has found the fault and expects service back by 15:00."
            }),
            NotificationKind::RequestApprovalNeeded => json!({"requester": "Casey Customer"}),
            NotificationKind::RequestDecided => json!({"decision": "approved", "comment": "Budget agreed."}),
            NotificationKind::RequestTaskAssigned => {
                json!({"assigned_to": "Service desk", "task": "Image and ship the laptop"})
            }
            NotificationKind::RequestFulfilled => json!({}),
        };
        if let (Some(base), Value::Object(extra)) = (vars.as_object_mut(), extra) {
            base.extend(extra);
        }
        vars
    }
}
