//! Request offerings (8.2.4, 8.6.1): what customers can order from the catalogue. Each offering
//! belongs to a service and carries its own form fields, approval policy and fulfilment target
//! as one versioned definition, so a request records exactly which version it was made under.

use crate::ci::{AttributeDef, validate_schema};
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const NAME_MAX: usize = 200;
pub const TEXT_MAX: usize = 20_000;

crate::named_enum! {
    pub enum OfferingStatus {
        Draft = ("draft", "Draft"),
        Published = ("published", "Published"),
        Retired = ("retired", "Retired"),
    }
}

impl OfferingStatus {
    /// A draft is published to the portal; a published offering is retired (and may come back).
    pub fn allowed_transitions(self) -> &'static [OfferingStatus] {
        use OfferingStatus::*;
        match self {
            Draft => &[Published, Retired],
            Published => &[Retired],
            Retired => &[Published],
        }
    }
}

crate::named_enum! {
    /// How a request's approvers decide.
    pub enum ApprovalPolicy {
        None = ("none", "No approval needed"),
        /// Each approver in the order listed; any rejection rejects the request.
        Sequence = ("sequence", "Each approver in turn"),
        /// The first approver to answer decides.
        AnyOf = ("any_of", "Any one approver"),
    }
}

/// Who may decide one approval step. Resolved when the step is decided, so a service that
/// changes owner meanwhile is approved by its new owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ApproverRule {
    /// The owner of the offering's service.
    ServiceOwner,
    /// Any active manager.
    Managers,
    /// One named person (an active agent, manager or administrator).
    User { user_id: Uuid },
}

impl ApproverRule {
    /// The stored rule name (`service_owner`, `managers`, `user`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ApproverRule::ServiceOwner => "service_owner",
            ApproverRule::Managers => "managers",
            ApproverRule::User { .. } => "user",
        }
    }
}

/// A fulfilment task created for every approved request of the offering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplate {
    pub title: String,
    #[serde(default)]
    pub team_id: Option<Uuid>,
}

pub const APPROVERS_MAX: usize = 10;
pub const TASKS_MAX: usize = 30;
pub const TASK_TITLE_MAX: usize = 200;

/// Checks that approvers are given exactly when the policy asks for them, and the task
/// templates' titles. Errors name `approvers` and `tasks[i].title`.
pub fn validate_workflow(
    errors: &mut ValidationErrors,
    policy: Option<ApprovalPolicy>,
    approvers: &[ApproverRule],
    tasks: &[TaskTemplate],
) {
    match policy {
        Some(ApprovalPolicy::None) if !approvers.is_empty() => {
            errors.add("approvers", "must be empty when no approval is needed");
        }
        Some(ApprovalPolicy::Sequence | ApprovalPolicy::AnyOf) if approvers.is_empty() => {
            errors.add("approvers", "name at least one approver");
        }
        _ if approvers.len() > APPROVERS_MAX => {
            errors.add("approvers", format!("at most {APPROVERS_MAX} approvers"));
        }
        _ => {}
    }
    if tasks.len() > TASKS_MAX {
        errors.add("tasks", format!("at most {TASKS_MAX} tasks"));
    }
    for (i, t) in tasks.iter().enumerate() {
        let n = t.title.trim().chars().count();
        if n == 0 || n > TASK_TITLE_MAX {
            errors.add(&format!("tasks[{i}].title"), format!("must be 1 to {TASK_TITLE_MAX} characters"));
        }
    }
}

/// Checks a definition's form fields and fulfilment target; errors name `form[i].…` and
/// `fulfilment_minutes` / `calendar_id`.
pub fn validate_definition(
    errors: &mut ValidationErrors,
    form: &[AttributeDef],
    fulfilment_minutes: Option<i64>,
    has_calendar: bool,
) {
    if let Err(e) = validate_schema(form) {
        errors.0.extend(e.0.into_iter().map(|mut f| {
            f.field = f.field.replacen("attributes", "form", 1);
            f
        }));
    }
    match fulfilment_minutes {
        Some(m) if !(1..=crate::agreement::MINUTES_MAX).contains(&m) => {
            errors.add("fulfilment_minutes", "must be from 1 minute to a year of working minutes");
        }
        Some(_) if !has_calendar => {
            errors.add("calendar_id", "a fulfilment target is measured on a business calendar");
        }
        None if has_calendar => errors.add("fulfilment_minutes", "give the target the calendar is for"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::AttributeKind;

    fn field(key: &str) -> AttributeDef {
        AttributeDef {
            key: key.into(),
            label: "Label".into(),
            kind: AttributeKind::Text,
            required: false,
            choices: vec![],
        }
    }

    #[test]
    fn definitions_need_sound_fields_and_a_calendar_for_their_target() {
        let mut e = ValidationErrors::default();
        validate_definition(&mut e, &[field("laptop_model")], Some(480), true);
        assert!(e.is_empty());
        validate_definition(&mut e, &[field("Bad Key"), field("x")], Some(0), false);
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["form[0].key", "fulfilment_minutes"]);
        let mut e = ValidationErrors::default();
        validate_definition(&mut e, &[], Some(60), false);
        validate_definition(&mut e, &[], None, true);
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["calendar_id", "fulfilment_minutes"]);
    }

    #[test]
    fn every_status_can_be_reached_from_draft() {
        let reachable: Vec<OfferingStatus> = OfferingStatus::Draft.allowed_transitions().to_vec();
        assert!(
            reachable.contains(&OfferingStatus::Published) && reachable.contains(&OfferingStatus::Retired)
        );
        assert!(!OfferingStatus::Published.allowed_transitions().contains(&OfferingStatus::Draft));
    }
}
