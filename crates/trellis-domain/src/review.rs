//! Reviews: agreement reviews (8.3.3), supplier performance reviews (8.3.4) and service reviews
//! with customers (8.3.2) share one shape: planned for a date, held on a date, an outcome and the
//! actions agreed, and for suppliers a rating.

use crate::ci::parse_date;
use crate::validation::ValidationErrors;
use jiff::civil::Date;

pub const TEXT_MAX: usize = 20_000;

/// A review as given by a form or the API.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    pub scheduled_on: String,
    pub held_on: String,
    pub outcome: String,
    pub actions: String,
    pub rating: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSpec {
    pub scheduled_on: Date,
    pub held_on: Option<Date>,
    pub outcome: String,
    pub actions: String,
    pub rating: Option<i64>,
}

/// Checks a review: a review cannot have been held after `today`, and a held review records its
/// outcome. `rating` (1–5) is only taken where `rated` (supplier performance).
pub fn validate_review(
    errors: &mut ValidationErrors,
    input: &ReviewInput,
    today: Date,
    rated: bool,
) -> Option<ReviewSpec> {
    let scheduled_on = parse_date(&input.scheduled_on);
    if scheduled_on.is_none() {
        errors.add("scheduled_on", "must be a date (YYYY-MM-DD)");
    }
    let held_on = match input.held_on.trim() {
        "" => None,
        text => match parse_date(text) {
            Some(d) if d > today => {
                errors.add("held_on", "cannot be in the future; leave it empty until the review is held");
                None
            }
            Some(d) => Some(d),
            None => {
                errors.add("held_on", "must be a date (YYYY-MM-DD)");
                None
            }
        },
    };
    let outcome = errors.text("outcome", input.outcome.trim(), TEXT_MAX);
    let actions = errors.text("actions", input.actions.trim(), TEXT_MAX);
    if held_on.is_some() && outcome.is_empty() {
        errors.add("outcome", "record the outcome of a review that was held");
    }
    let rating = match (rated, input.rating.trim()) {
        (_, "") => None,
        (false, _) => {
            errors.add("rating", "only supplier performance reviews carry a rating");
            None
        }
        (true, text) => match text.parse::<i64>() {
            Ok(r) if (1..=5).contains(&r) => Some(r),
            _ => {
                errors.add("rating", "must be a whole number from 1 (poor) to 5 (excellent)");
                None
            }
        },
    };
    Some(ReviewSpec { scheduled_on: scheduled_on?, held_on, outcome, actions, rating })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn input(scheduled: &str, held: &str, outcome: &str, rating: &str) -> ReviewInput {
        ReviewInput {
            scheduled_on: scheduled.into(),
            held_on: held.into(),
            outcome: outcome.into(),
            actions: String::new(),
            rating: rating.into(),
        }
    }

    #[test]
    fn a_held_review_needs_an_outcome_and_a_past_date() {
        let today = date(2026, 11, 21);
        let mut e = ValidationErrors::default();
        let ok = validate_review(&mut e, &input("2026-11-20", "2026-11-21", "Targets met", "4"), today, true);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(ok.and_then(|r| r.rating), Some(4));

        let mut e = ValidationErrors::default();
        validate_review(&mut e, &input("2026-13-01", "2026-11-22", "", "6"), today, true);
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["scheduled_on", "held_on", "rating"]);

        let mut e = ValidationErrors::default();
        validate_review(&mut e, &input("2026-11-01", "2026-11-02", "  ", "3"), today, false);
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["outcome", "rating"]);
    }
}
