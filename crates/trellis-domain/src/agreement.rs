//! Agreements (ISO/IEC 20000-1 8.3.3, 8.3.4): service level agreements with customers,
//! operational level agreements with internal teams, and underpinning contracts with suppliers.
//!
//! Each agreement carries measurable targets (availability, and response and resolution time per
//! priority), each bound to a business calendar. A target may name the target of a lower
//! agreement that supports it (SLA ← OLA ← contract), so a breach can be attributed along the
//! chain.

use crate::lifecycle::{Lifecycle, parse_named};
use crate::record::RecordKind;
use crate::validation::ValidationErrors;

pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 20_000;
/// At most this many targets per agreement (4 priorities × 2 time metrics + availability, with
/// room for more metrics later).
pub const TARGETS_MAX: usize = 30;
/// A time target may be at most a year of working time.
pub const MINUTES_MAX: i64 = 366 * 24 * 60;

crate::named_enum! {
    pub enum AgreementType {
        Sla = ("sla", "Service level agreement"),
        Ola = ("ola", "Operational level agreement"),
        Contract = ("contract", "Underpinning contract"),
    }
}

impl AgreementType {
    /// The short name used in lists: SLA, OLA, contract.
    pub fn short(self) -> &'static str {
        match self {
            AgreementType::Sla => "SLA",
            AgreementType::Ola => "OLA",
            AgreementType::Contract => "Contract",
        }
    }

    /// Whether a target in an agreement of this type may be supported by a target in `lower`.
    /// An SLA rests on OLAs and contracts, an OLA on contracts; a contract is the bottom of the
    /// chain, so support can never loop.
    pub fn may_rest_on(self, lower: AgreementType) -> bool {
        matches!(
            (self, lower),
            (AgreementType::Sla, AgreementType::Ola | AgreementType::Contract)
                | (AgreementType::Ola, AgreementType::Contract)
        )
    }
}

crate::named_enum! {
    pub enum AgreementStatus {
        Draft = ("draft", "Draft"),
        Active = ("active", "Active"),
        Expired = ("expired", "Expired"),
        Terminated = ("terminated", "Terminated"),
    }
}

impl Lifecycle for AgreementStatus {
    const KIND: RecordKind = RecordKind::Agreement;

    /// An expired agreement can be renewed (active again); a terminated one is final.
    fn allowed_transitions(self) -> &'static [AgreementStatus] {
        use AgreementStatus::*;
        match self {
            Draft => &[Active, Terminated],
            Active => &[Expired, Terminated],
            Expired => &[Active, Terminated],
            Terminated => &[],
        }
    }
}

crate::named_enum! {
    pub enum Metric {
        Availability = ("availability", "Availability"),
        Response = ("response", "Response time"),
        Resolution = ("resolution", "Resolution time"),
    }
}

impl Metric {
    /// Response and resolution are measured per priority, in working minutes; availability is
    /// one percentage for the service.
    pub fn is_time(self) -> bool {
        !matches!(self, Metric::Availability)
    }
}

crate::named_enum! {
    /// How urgent and impactful a ticket is; targets are set per priority.
    pub enum Priority {
        P1 = ("p1", "P1 critical"),
        P2 = ("p2", "P2 high"),
        P3 = ("p3", "P3 medium"),
        P4 = ("p4", "P4 low"),
    }
}

/// A target as given: `value` is working minutes for time metrics and a percentage (at most three
/// decimals) for availability.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetInput {
    pub metric: String,
    pub priority: String,
    pub value: String,
}

/// A checked target: `threshold` is minutes, or thousandths of a percent (99.95 % = 99950).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSpec {
    pub metric: Metric,
    pub priority: Option<Priority>,
    pub threshold: i64,
}

/// Checks a list of targets; errors name `targets[i].field`. One target per metric and priority.
pub fn validate_targets(errors: &mut ValidationErrors, targets: &[TargetInput]) -> Vec<TargetSpec> {
    if targets.len() > TARGETS_MAX {
        errors.add("targets", format!("at most {TARGETS_MAX} targets"));
    }
    let mut out: Vec<TargetSpec> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let field = |f: &str| format!("targets[{i}].{f}");
        let metric = parse_named::<Metric>(errors, &field("metric"), &t.metric);
        let priority = if t.priority.trim().is_empty() {
            None
        } else {
            parse_named::<Priority>(errors, &field("priority"), t.priority.trim())
        };
        let Some(metric) = metric else { continue };
        match (metric.is_time(), priority) {
            (true, None) if t.priority.trim().is_empty() => {
                errors.add(&field("priority"), "response and resolution targets are set per priority");
                continue;
            }
            (false, Some(_)) => {
                errors
                    .add(&field("priority"), "availability is one target for the service, not per priority");
                continue;
            }
            _ => {}
        }
        let threshold = if metric.is_time() { parse_minutes(&t.value) } else { parse_percent(&t.value) };
        let Some(threshold) = threshold else {
            let message = if metric.is_time() {
                format!("must be a whole number of working minutes from 1 to {MINUTES_MAX}")
            } else {
                "must be a percentage from 0 to 100 with at most three decimals, such as 99.9".to_owned()
            };
            errors.add(&field("value"), message);
            continue;
        };
        let spec = TargetSpec { metric, priority, threshold };
        if out.iter().any(|o| o.metric == metric && o.priority == priority) {
            errors.add(&field("metric"), format!("{} is set twice", describe_key(metric, priority)));
            continue;
        }
        out.push(spec);
    }
    out
}

fn parse_minutes(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|m| (1..=MINUTES_MAX).contains(m))
}

/// "99.95" → 99950 (thousandths of a percent).
pub fn parse_percent(text: &str) -> Option<i64> {
    let t = text.trim().trim_end_matches('%').trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || frac.len() > 3 || !digits(whole) || !digits(frac) {
        return None;
    }
    let value = whole.parse::<i64>().ok()? * 1000 + format!("{frac:0<3}").parse::<i64>().ok()?;
    (value <= 100_000).then_some(value)
}

/// 99950 → "99.95".
pub fn format_percent(thousandths: i64) -> String {
    let whole = thousandths / 1000;
    let frac = thousandths % 1000;
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0'))
    }
}

/// Working minutes as people read them: "45 min", "4 h", "1 h 30 min".
pub fn format_minutes(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn describe_key(metric: Metric, priority: Option<Priority>) -> String {
    match priority {
        Some(p) => format!("{} {}", p.as_str().to_uppercase(), metric.label().to_lowercase()),
        None => metric.label().to_owned(),
    }
}

/// "P1 resolution time within 4 h", "Availability at least 99.9 %".
pub fn describe_target(metric: Metric, priority: Option<Priority>, threshold: i64) -> String {
    if metric.is_time() {
        format!("{} within {}", describe_key(metric, priority), format_minutes(threshold))
    } else {
        format!("{} at least {} %", describe_key(metric, priority), format_percent(threshold))
    }
}

/// The value as a form shows it (minutes or percentage).
pub fn target_value_text(metric: Metric, threshold: i64) -> String {
    if metric.is_time() { threshold.to_string() } else { format_percent(threshold) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::testing::assert_well_formed;

    fn t(metric: &str, priority: &str, value: &str) -> TargetInput {
        TargetInput { metric: metric.into(), priority: priority.into(), value: value.into() }
    }

    #[test]
    fn lifecycle_is_well_formed() {
        assert_well_formed(AgreementStatus::ALL, AgreementStatus::Draft, &[AgreementStatus::Terminated]);
    }

    #[test]
    fn the_chain_only_points_down() {
        use AgreementType::*;
        assert!(Sla.may_rest_on(Ola) && Sla.may_rest_on(Contract) && Ola.may_rest_on(Contract));
        for lower in AgreementType::ALL {
            assert!(!Contract.may_rest_on(*lower));
            assert!(!lower.may_rest_on(Sla));
        }
        assert!(!Ola.may_rest_on(Ola));
    }

    #[test]
    fn percentages_parse_to_thousandths_and_back() {
        for (text, value) in
            [("99.9", 99_900), ("99.95", 99_950), ("100", 100_000), ("0", 0), ("99.999 %", 99_999)]
        {
            assert_eq!(parse_percent(text), Some(value), "{text}");
        }
        for bad in ["", "100.001", "101", "99.9999", "-1", "abc", "9 9", ".5", "1e2"] {
            assert_eq!(parse_percent(bad), None, "{bad}");
        }
        assert_eq!(format_percent(99_950), "99.95");
        assert_eq!(format_percent(100_000), "100");
        assert_eq!(format_percent(99_001), "99.001");
    }

    #[test]
    fn targets_are_checked_per_metric_and_priority() {
        let mut e = ValidationErrors::default();
        let ok = validate_targets(
            &mut e,
            &[t("availability", "", "99.9"), t("response", "p1", "15"), t("resolution", "p1", "240")],
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(ok.len(), 3);
        assert_eq!(ok[0].threshold, 99_900);
        assert_eq!(ok[2].priority, Some(Priority::P1));

        let mut e = ValidationErrors::default();
        validate_targets(
            &mut e,
            &[
                t("response", "", "15"),
                t("availability", "p1", "99"),
                t("resolution", "p2", "0"),
                t("resolution", "p3", "60"),
                t("resolution", "p3", "90"),
                t("uptime", "", "1"),
                t("availability", "", "100.5"),
            ],
        );
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "targets[0].priority",
                "targets[1].priority",
                "targets[2].value",
                "targets[4].metric",
                "targets[5].metric",
                "targets[6].value"
            ]
        );
    }

    #[test]
    fn targets_read_as_sentences() {
        assert_eq!(
            describe_target(Metric::Resolution, Some(Priority::P1), 240),
            "P1 resolution time within 4 h"
        );
        assert_eq!(
            describe_target(Metric::Response, Some(Priority::P3), 90),
            "P3 response time within 1 h 30 min"
        );
        assert_eq!(describe_target(Metric::Availability, None, 99_950), "Availability at least 99.95 %");
    }
}
