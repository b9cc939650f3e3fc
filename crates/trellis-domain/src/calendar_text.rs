//! Calendars as people type them into a form: shifts as `08:00-12:00, 13:00-17:00` (a day
//! without shifts is closed), and special days one per line as `2026-12-25 Christmas Day`
//! (closed) or `2026-12-24 08:00-12:00 Christmas Eve` (shorter hours).

use crate::calendar::{Shift, SpecialDay};
use crate::ci::parse_date;
use crate::validation::ValidationErrors;
use jiff::civil::Time;

/// Shifts from `08:00-12:00, 13:00-17:00` (also with `–`, or separated by spaces). Empty text or
/// `closed` is no shifts. Errors are reported against `field`.
pub fn parse_shifts(errors: &mut ValidationErrors, field: &str, text: &str) -> Vec<Shift> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("closed") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for part in t.split([',', ';', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
        match parse_shift(part) {
            Some(s) => out.push(s),
            None => {
                errors.add(field, format!("{part:?} is not a shift: write it as 08:00-17:00"));
                return Vec::new();
            }
        }
    }
    out
}

fn parse_shift(text: &str) -> Option<Shift> {
    let (a, b) = text.split_once(['-', '–'])?;
    Some(Shift::new(parse_time(a)?, parse_time(b)?))
}

fn parse_time(text: &str) -> Option<Time> {
    let t = text.trim();
    let (h, m) = t.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    // 24:00 is how people write "until midnight".
    if h == 24 && m == 0 {
        return Some(Time::midnight());
    }
    Time::new(h, m, 0, 0).ok()
}

/// `08:00-12:00, 13:00-17:00`, or empty for a closed day.
pub fn format_shifts(shifts: &[Shift]) -> String {
    shifts.iter().map(|s| s.to_string().replace('–', "-")).collect::<Vec<_>>().join(", ")
}

/// Special days, one per line: a date, optional shifts, then the name. Errors are reported
/// against `special_days` with the line number.
pub fn parse_special_days(errors: &mut ValidationErrors, text: &str) -> Vec<SpecialDay> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (date_text, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let Some(date) = parse_date(date_text) else {
            errors.add("special_days", format!("line {}: {date_text:?} is not a date (YYYY-MM-DD)", i + 1));
            continue;
        };
        let mut shifts = Vec::new();
        let mut name_words = Vec::new();
        for word in rest.split_whitespace() {
            match parse_shift(word.trim_end_matches(',')) {
                Some(s) if name_words.is_empty() => shifts.push(s),
                _ => name_words.push(word),
            }
        }
        let name = if name_words.is_empty() { "Holiday".to_owned() } else { name_words.join(" ") };
        out.push(SpecialDay { date, name, shifts });
    }
    out
}

/// One line per special day, as [`parse_special_days`] reads them.
pub fn format_special_days(days: &[SpecialDay]) -> String {
    days.iter()
        .map(|d| {
            if d.shifts.is_empty() {
                format!("{} {}", d.date, d.name)
            } else {
                format!("{} {} {}", d.date, format_shifts(&d.shifts).replace(", ", " "), d.name)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn shifts_round_trip_through_text() {
        let mut e = ValidationErrors::default();
        let shifts = parse_shifts(&mut e, "week.monday", "08:00-12:00, 13:00–17:30");
        assert!(e.is_empty());
        assert_eq!(
            shifts,
            [
                Shift::new(time(8, 0, 0, 0), time(12, 0, 0, 0)),
                Shift::new(time(13, 0, 0, 0), time(17, 30, 0, 0))
            ]
        );
        assert_eq!(format_shifts(&shifts), "08:00-12:00, 13:00-17:30");
        assert_eq!(parse_shifts(&mut e, "week.sunday", "closed"), []);
        assert_eq!(
            parse_shifts(&mut e, "week.friday", "22:00-24:00"),
            [Shift::new(time(22, 0, 0, 0), Time::midnight())]
        );
        assert!(e.is_empty());
    }

    #[test]
    fn bad_shifts_name_the_day() {
        let mut e = ValidationErrors::default();
        assert_eq!(parse_shifts(&mut e, "week.tuesday", "8-17"), []);
        assert_eq!(parse_shifts(&mut e, "week.tuesday", "08:00-25:00"), []);
        assert_eq!(e.0.len(), 2);
        assert!(e.0.iter().all(|f| f.field == "week.tuesday"));
    }

    #[test]
    fn special_days_round_trip_through_text() {
        let mut e = ValidationErrors::default();
        let days = parse_special_days(
            &mut e,
            "2026-12-25 Christmas Day\n\n2026-12-24 08:00-12:00 Christmas Eve\n2027-01-01",
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(days[0], SpecialDay::holiday(date(2026, 12, 25), "Christmas Day"));
        assert_eq!(days[1].shifts, [Shift::new(time(8, 0, 0, 0), time(12, 0, 0, 0))]);
        assert_eq!(days[2].name, "Holiday");
        let text = format_special_days(&days);
        assert_eq!(parse_special_days(&mut e, &text), days);

        parse_special_days(&mut e, "25.12.2026 Christmas");
        assert_eq!(e.0[0].field, "special_days");
        assert!(e.0[0].message.starts_with("line 1:"));
    }
}
