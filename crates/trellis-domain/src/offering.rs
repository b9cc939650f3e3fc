//! Request offerings (8.2.4, 8.6.1): what customers can order from the catalogue. Each offering
//! belongs to a service and carries its own form fields, approval policy and fulfilment target
//! as one versioned definition, so a request records exactly which version it was made under.

use crate::ci::{AttributeDef, validate_schema};
use crate::validation::ValidationErrors;

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
    pub enum ApprovalPolicy {
        None = ("none", "No approval needed"),
        ServiceOwner = ("service_owner", "The service owner approves"),
        Manager = ("manager", "A manager approves"),
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
