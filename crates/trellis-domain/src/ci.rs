//! Configuration items (ISO/IEC 20000-1 8.2.5, 8.2.6) and the attribute schemas of their types.
//! An administrator defines what a "server" or a "licence" records; every write of a CI of that
//! type is checked against it, so the CMDB holds data people can rely on.

use crate::lifecycle::Lifecycle;
use crate::record::RecordKind;
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const NAME_MAX: usize = 200;
pub const TEXT_MAX: usize = 20_000;
pub const ATTRIBUTE_TEXT_MAX: usize = 2_000;
pub const ATTRIBUTES_MAX: usize = 50;

crate::named_enum! {
    pub enum CiStatus {
        Planned = ("planned", "Planned"),
        InUse = ("in_use", "In use"),
        Maintenance = ("maintenance", "Under maintenance"),
        Retired = ("retired", "Retired"),
        Disposed = ("disposed", "Disposed"),
    }
}

impl Lifecycle for CiStatus {
    const KIND: RecordKind = RecordKind::ConfigurationItem;

    /// A retired CI may come back into use (a spare server); a disposed one is gone for good.
    fn allowed_transitions(self) -> &'static [CiStatus] {
        use CiStatus::*;
        match self {
            Planned => &[InUse, Retired],
            InUse => &[Maintenance, Retired],
            Maintenance => &[InUse, Retired],
            Retired => &[InUse, Disposed],
            Disposed => &[],
        }
    }
}

crate::named_enum! {
    pub enum AttributeKind {
        Text = ("text", "Text"),
        Integer = ("integer", "Whole number"),
        Number = ("number", "Number"),
        Date = ("date", "Date"),
        Boolean = ("boolean", "Yes / no"),
        Choice = ("choice", "Choice"),
    }
}

/// One attribute a CI type records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeDef {
    /// The key in a CI's `attributes` object: lower case, digits and underscores.
    pub key: String,
    pub label: String,
    pub kind: AttributeKind,
    #[serde(default)]
    pub required: bool,
    /// The allowed values of a `choice` attribute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// Checks an attribute schema an administrator wrote; errors name `attributes[i].field`.
pub fn validate_schema(defs: &[AttributeDef]) -> Result<(), ValidationErrors> {
    let mut e = ValidationErrors::default();
    if defs.len() > ATTRIBUTES_MAX {
        e.add("attributes", format!("at most {ATTRIBUTES_MAX} attributes"));
    }
    for (i, d) in defs.iter().enumerate() {
        let f = |name: &str| format!("attributes[{i}].{name}");
        let key_ok = d.key.len() <= 40
            && d.key.starts_with(|c: char| c.is_ascii_lowercase())
            && d.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            e.add(&f("key"), "must start with a letter and use only a-z, 0-9 and _ (at most 40)");
        }
        if defs[..i].iter().any(|o| o.key == d.key) {
            e.add(&f("key"), format!("{} is defined twice", d.key));
        }
        e.required_line(&f("label"), &d.label, 100);
        match d.kind {
            AttributeKind::Choice if d.choices.is_empty() => e.add(&f("choices"), "a choice needs choices"),
            AttributeKind::Choice => {
                for (j, c) in d.choices.iter().enumerate() {
                    if c.trim().is_empty() || d.choices[..j].contains(c) {
                        e.add(&f("choices"), "choices must be non-empty and distinct");
                        break;
                    }
                }
            }
            _ if !d.choices.is_empty() => e.add(&f("choices"), "only a choice attribute has choices"),
            _ => {}
        }
    }
    e.into_result()
}

/// Checks a CI's attribute values against its type's schema. Unknown keys are refused (a typo
/// would otherwise be stored silently); errors name `attributes.<key>`.
pub fn validate_attributes(
    defs: &[AttributeDef],
    values: &Map<String, Value>,
    errors: &mut ValidationErrors,
) {
    for key in values.keys() {
        if !defs.iter().any(|d| &d.key == key) {
            errors.add(&format!("attributes.{key}"), "is not an attribute of this CI type");
        }
    }
    for d in defs {
        let field = format!("attributes.{}", d.key);
        let v = values.get(&d.key).filter(|v| !v.is_null() && v.as_str() != Some(""));
        let Some(v) = v else {
            if d.required {
                errors.add(&field, "is required");
            }
            continue;
        };
        let problem = match d.kind {
            AttributeKind::Text => match v.as_str() {
                Some(s) if s.chars().count() > ATTRIBUTE_TEXT_MAX => Some("is too long"),
                Some(_) => None,
                None => Some("must be text"),
            },
            AttributeKind::Integer => (!v.is_i64()).then_some("must be a whole number"),
            AttributeKind::Number => (!v.is_number()).then_some("must be a number"),
            AttributeKind::Boolean => (!v.is_boolean()).then_some("must be true or false"),
            AttributeKind::Date => {
                let ok = v.as_str().and_then(parse_date).is_some();
                (!ok).then_some("must be a date (YYYY-MM-DD)")
            }
            AttributeKind::Choice => {
                let ok = v.as_str().is_some_and(|s| d.choices.iter().any(|c| c == s));
                (!ok).then_some("must be one of the type's choices")
            }
        };
        if let Some(p) = problem {
            errors.add(&field, p);
        }
    }
}

/// A calendar date written exactly as `YYYY-MM-DD` (what the API, forms and attributes accept).
pub fn parse_date(text: &str) -> Option<jiff::civil::Date> {
    let t = text.trim();
    if t.len() == 10 { t.parse().ok() } else { None }
}

/// Turns text typed into a form into the JSON value an attribute of `kind` holds (the API
/// sends typed JSON directly). Empty text means "not set".
pub fn attribute_from_text(kind: AttributeKind, text: &str) -> Value {
    let t = text.trim();
    if t.is_empty() {
        return Value::Null;
    }
    let parsed = match kind {
        AttributeKind::Integer => t.parse::<i64>().ok().map(Value::from),
        AttributeKind::Number => {
            t.parse::<f64>().ok().and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
        }
        AttributeKind::Boolean => match t {
            "true" | "yes" | "on" => Some(Value::Bool(true)),
            "false" | "no" | "off" => Some(Value::Bool(false)),
            _ => None,
        },
        AttributeKind::Text | AttributeKind::Date | AttributeKind::Choice => None,
    };
    // Unparseable text stays text, so validation reports it against the field.
    parsed.unwrap_or_else(|| Value::String(t.to_owned()))
}

/// Parses a money amount typed by a person ("1234.5", "1,234.50") into cents.
pub fn parse_cents(text: &str) -> Option<i64> {
    let t: String = text.trim().chars().filter(|c| *c != ',' && *c != '_').collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
}

/// Cents as "1234.50".
pub fn format_cents(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::testing::assert_well_formed;
    use serde_json::json;

    fn server_schema() -> Vec<AttributeDef> {
        serde_json::from_value(json!([
            {"key": "cpu_cores", "label": "CPU cores", "kind": "integer", "required": true},
            {"key": "os", "label": "Operating system", "kind": "choice", "choices": ["linux", "windows"]},
            {"key": "purchased", "label": "Purchased", "kind": "date"}
        ]))
        .expect("schema")
    }

    #[test]
    fn every_ci_state_is_reachable_and_disposed_is_final() {
        assert_well_formed(CiStatus::ALL, CiStatus::Planned, &[CiStatus::Disposed]);
    }

    #[test]
    fn values_are_checked_against_the_schema() {
        let schema = server_schema();
        assert!(validate_schema(&schema).is_ok());
        let mut e = ValidationErrors::default();
        let ok = json!({"cpu_cores": 8, "os": "linux", "purchased": "2025-03-01"});
        validate_attributes(&schema, ok.as_object().expect("object"), &mut e);
        assert!(e.is_empty(), "{e}");
        let bad = json!({"cpu_cores": "eight", "os": "beos", "purchased": "yesterday", "colour": "red"});
        validate_attributes(&schema, bad.as_object().expect("object"), &mut e);
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["attributes.colour", "attributes.cpu_cores", "attributes.os", "attributes.purchased"]
        );
    }

    #[test]
    fn a_missing_required_attribute_is_named() {
        let mut e = ValidationErrors::default();
        validate_attributes(&server_schema(), &Map::new(), &mut e);
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].field, "attributes.cpu_cores");
    }

    #[test]
    fn schema_mistakes_are_reported() {
        let bad: Vec<AttributeDef> = serde_json::from_value(json!([
            {"key": "Bad Key", "label": "", "kind": "text"},
            {"key": "x", "label": "X", "kind": "choice"},
            {"key": "x", "label": "X again", "kind": "text", "choices": ["a"]}
        ]))
        .expect("schema");
        let e = validate_schema(&bad).expect_err("invalid");
        assert_eq!(e.0.len(), 5, "{e}");
    }

    #[test]
    fn money_parses_to_cents() {
        assert_eq!(parse_cents("1,234.5"), Some(123_450));
        assert_eq!(parse_cents("7"), Some(700));
        assert_eq!(parse_cents("0.07"), Some(7));
        assert_eq!(parse_cents("1.234"), None);
        assert_eq!(parse_cents("-5"), None);
        assert_eq!(parse_cents("abc"), None);
        assert_eq!(format_cents(123_450), "1234.50");
    }
}
