//! Service reporting (9.4): the period a report covers, how it is cut into trend buckets, and the
//! one set of definitions every customer's report is counted by.
//!
//! - An incident is *logged* in the bucket of its creation and *resolved* in the bucket of its
//!   (last) resolution; the *backlog* at an instant is every incident created before it and not
//!   resolved by then.
//! - An SLA clock of an incident in scope (the incident's customer and service) is *missed* at
//!   the instant it breached, as the breach event recorded it once and for all (a reopen, a
//!   priority change or an edited target leave it be), and *met* at the instant it stopped
//!   unbreached. A clock running and not breached is undecided; so is a met clock whose ticket
//!   reopened, until it stops again.
//! - Attainment is met ÷ decided, per target and per bucket.
//!
//! Day boundaries are UTC: one definition for every customer, wherever they are.

use crate::validation::ValidationErrors;
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan, tz::TimeZone};

/// Longest report period: two years of trend is plenty, and bounds the work of one report.
pub const MAX_DAYS: i32 = 732;

/// The size of a trend bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Week,
    Month,
}

impl Bucket {
    pub fn parse(s: &str) -> Option<Bucket> {
        match s {
            "week" => Some(Bucket::Week),
            "month" => Some(Bucket::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Week => "week",
            Bucket::Month => "month",
        }
    }
}

/// A report period: whole days, `from` included, `to` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// Checks a requested period (dates as `YYYY-MM-DD`; `to` is the last day included).
    pub fn parse(from: &str, to_inclusive: &str) -> Result<Period, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let from =
            from.trim().parse::<Date>().map_err(|_| errors.add("from", "must be a date, YYYY-MM-DD")).ok();
        let last = to_inclusive
            .trim()
            .parse::<Date>()
            .map_err(|_| errors.add("to", "must be a date, YYYY-MM-DD"))
            .ok();
        if let (Some(f), Some(l)) = (from, last) {
            if f.year() < 1970 || l.year() > 9000 {
                errors.add("from", "must be between the years 1970 and 9000");
            } else if l < f {
                errors.add("to", "must not be before from");
            } else if f.until(l).map_or(true, |s| s.get_days() >= MAX_DAYS) {
                errors.add("to", format!("a report covers at most {MAX_DAYS} days"));
            }
        }
        errors.into_result()?;
        let (from, last) = (from.unwrap_or_default(), last.unwrap_or_default());
        Ok(Period { from, to: last.tomorrow().unwrap_or(last) })
    }

    /// The last full calendar month before `today`: the report a customer is usually sent.
    pub fn last_month(today: Date) -> Period {
        let this_month = today.first_of_month();
        let from = this_month.checked_sub(1.month()).unwrap_or(this_month);
        Period { from, to: this_month }
    }

    /// The last day included.
    pub fn last_day(self) -> Date {
        self.to.yesterday().unwrap_or(self.to)
    }
}

/// Midnight UTC of a date, in microseconds since the epoch (how instants are stored).
pub fn start_micros(d: Date) -> i64 {
    d.to_zoned(TimeZone::UTC).map_or(0, |z| z.timestamp().as_microsecond())
}

/// The date (UTC) of a stored instant.
pub fn date_of(micros: i64) -> Date {
    Timestamp::from_microsecond(micros).map_or(Date::default(), |t| t.to_zoned(TimeZone::UTC).date())
}

/// One trend bucket: its label and the dates it covers (`from` included, `to` excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub label: String,
    pub from: Date,
    pub to: Date,
}

/// The period cut into weeks (Monday to Sunday) or calendar months; the first and last buckets
/// are clipped to the period, so the buckets cover it exactly, in order, without overlap.
pub fn slices(p: Period, bucket: Bucket) -> Vec<Slice> {
    let mut out = Vec::new();
    let mut from = p.from;
    while from < p.to {
        let natural_end = match bucket {
            Bucket::Week => {
                let back = i64::from(from.weekday().to_monday_zero_offset());
                from.checked_add((7 - back).days()).unwrap_or(p.to)
            }
            Bucket::Month => from.first_of_month().checked_add(1.month()).unwrap_or(p.to),
        };
        let to = natural_end.min(p.to);
        let label = match bucket {
            Bucket::Week => format!("{} wk {:02}", from.iso_week_date().year(), from.iso_week_date().week()),
            Bucket::Month => format!("{:04}-{:02}", from.year(), from.month()),
        };
        out.push(Slice { label, from, to });
        from = to;
    }
    out
}

/// Met ÷ decided as a percentage, with one decimal; `None` when nothing was decided.
pub fn attainment(met: u64, missed: u64) -> Option<f64> {
    let decided = met + missed;
    (decided > 0).then(|| (met as f64 * 1000.0 / decided as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn a_period_is_whole_days_and_bounded() {
        let p = Period::parse("2026-10-01", "2026-10-31").expect("valid");
        assert_eq!((p.from, p.to), (date(2026, 10, 1), date(2026, 11, 1)));
        assert!(Period::parse("2026-10-31", "2026-10-01").is_err());
        assert!(Period::parse("2026-13-01", "2026-10-01").is_err());
        assert!(Period::parse("2024-01-01", "2026-10-01").is_err());
        assert!(Period::parse("9999-12-30", "9999-12-31").is_err());
        assert_eq!(
            Period::last_month(date(2026, 1, 15)),
            Period { from: date(2025, 12, 1), to: date(2026, 1, 1) }
        );
    }

    #[test]
    fn months_and_weeks_are_clipped_to_the_period() {
        let p = Period { from: date(2026, 9, 15), to: date(2026, 11, 10) };
        let labels: Vec<String> = slices(p, Bucket::Month).into_iter().map(|s| s.label).collect();
        assert_eq!(labels, ["2026-09", "2026-10", "2026-11"]);
        let weeks = slices(Period { from: date(2026, 11, 4), to: date(2026, 11, 17) }, Bucket::Week);
        // Wednesday 4th to Sunday 8th, then Monday 9th to Sunday 15th, then Monday 16th.
        assert_eq!(
            weeks.iter().map(|s| (s.from.day(), s.to.day())).collect::<Vec<_>>(),
            [(4, 9), (9, 16), (16, 17)]
        );
        assert_eq!(weeks[1].label, "2026 wk 46");
    }

    #[test]
    fn attainment_is_met_over_decided() {
        assert_eq!(attainment(0, 0), None);
        assert_eq!(attainment(2, 1), Some(66.7));
        assert_eq!(attainment(5, 0), Some(100.0));
    }

    proptest! {
        #[test]
        fn slices_cover_the_period_exactly(start in 0i32..3000, len in 1i32..MAX_DAYS, weekly: bool) {
            let from = date(2020, 1, 1).checked_add(start.days()).expect("date");
            let to = from.checked_add(len.days()).expect("date");
            let bucket = if weekly { Bucket::Week } else { Bucket::Month };
            let s = slices(Period { from, to }, bucket);
            prop_assert_eq!(s.first().map(|x| x.from), Some(from));
            prop_assert_eq!(s.last().map(|x| x.to), Some(to));
            for pair in s.windows(2) {
                prop_assert_eq!(pair[0].to, pair[1].from);
            }
            for x in &s {
                prop_assert!(x.from < x.to);
                let days = x.from.until(x.to).expect("span").get_days();
                let longest = if weekly { 7 } else { 31 };
                prop_assert!(days <= longest, "{} days", days);
            }
        }
    }
}
