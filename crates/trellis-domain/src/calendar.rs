//! Business calendars: when SLA clocks run.
//!
//! A [`Calendar`] is one version of a business calendar: a time zone, weekly working hours
//! (split shifts and overnight shifts allowed) and special days (holidays, or days with their own
//! hours replacing the weekday's). A [`CalendarHistory`] holds the versions of one calendar, each in
//! force from its instant until the next, so an edit never rewrites measurements of the past.
//!
//! # The model
//!
//! Every calendar defines a set of working instants: the union of the instant intervals of all its
//! shifts on all local dates. Every measurement (`working_time`, `working_intervals`,
//! `add_working_time`, `is_working`) is derived from that one set, which is what makes them agree
//! with each other (additivity, `working_time(s, add_working_time(s, d)) == d`, …) whatever the
//! calendar looks like, even one that failed [`Calendar::validate`].
//!
//! # Local times and daylight saving
//!
//! Shift times are local wall-clock times in the calendar's zone and are converted with jiff's
//! *compatible* disambiguation (the behaviour of RFC 5545 and of `java.time`):
//!
//! - in a spring-forward gap a wall-clock time is pushed forward by the length of the gap, so a
//!   shift starting at 02:00 in New York on the spring-forward day starts at 03:00, the first valid
//!   instant after the gap (and 02:30 becomes 03:30). The day's working time is an hour shorter.
//! - in a fall-back fold the earlier of the two instants is used, so a shift 00:00–08:00 covers the
//!   nine hours that really elapse, and a shift ending at 02:30 ends at the first 02:30.
//!
//! A shift that becomes empty through this (e.g. 02:15–02:45 inside a gap) simply counts nothing.
//!
//! # Pure
//!
//! Nothing here reads the clock or does I/O; instants come in as [`Timestamp`] values. Zones are
//! looked up in jiff's time zone database, which falls back to the copy bundled into the binary
//! when the system has no tzdata.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;

/// How far `add_working_time` searches without finding any working time before giving up.
pub const SEARCH_HORIZON: SignedDuration = SignedDuration::from_hours(3 * 366 * 24);

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// A working interval within one day in local time.
///
/// `end <= start` means the shift runs past midnight into the next day (overnight); `end == 00:00`
/// therefore means "until midnight", and 00:00–00:00 is the whole day. A shift that starts and ends
/// at the same other time is empty: [`Calendar::validate`] rejects it and it counts nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub start: Time,
    pub end: Time,
}

impl Shift {
    pub const fn new(start: Time, end: Time) -> Self {
        Shift { start, end }
    }

    /// 00:00–00:00: the whole day.
    pub const fn all_day() -> Self {
        Shift { start: Time::midnight(), end: Time::midnight() }
    }

    /// Starts and ends at the same time (other than the whole day 00:00–00:00).
    pub fn is_empty(&self) -> bool {
        self.start == self.end && self.start != Time::midnight()
    }

    /// Ends on the next day (including "until midnight" and the whole day).
    pub fn is_overnight(&self) -> bool {
        self.end <= self.start && !self.is_empty()
    }

    /// Start and end as nanoseconds from the start of the shift's day; the end lies in the next
    /// day (beyond `NANOS_PER_DAY`) for overnight shifts. `None` for an empty shift.
    fn local_span(&self) -> Option<(i64, i64)> {
        if self.is_empty() {
            return None;
        }
        let start = nanos_of_day(self.start);
        let end = nanos_of_day(self.end);
        Some((start, if end <= start { end + NANOS_PER_DAY } else { end }))
    }
}

impl fmt::Display for Shift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", ClockTime(self.start), ClockTime(self.end))
    }
}

/// A time as people write it on a form: 08:00, or 08:00:30 when seconds matter.
struct ClockTime(Time);

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        if t.second() == 0 && t.subsec_nanosecond() == 0 {
            write!(f, "{:02}:{:02}", t.hour(), t.minute())
        } else {
            write!(f, "{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
        }
    }
}

fn nanos_of_day(t: Time) -> i64 {
    ((i64::from(t.hour()) * 60 + i64::from(t.minute())) * 60 + i64::from(t.second())) * 1_000_000_000
        + i64::from(t.subsec_nanosecond())
}

/// A date whose hours replace the weekday's: `shifts` empty = closed (a holiday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: Date,
    pub name: String,
    #[serde(default)]
    pub shifts: Vec<Shift>,
}

impl SpecialDay {
    /// Closed all day.
    pub fn holiday(date: Date, name: impl Into<String>) -> Self {
        SpecialDay { date, name: name.into(), shifts: Vec::new() }
    }

    /// Open with these hours instead of the weekday's.
    pub fn with_hours(date: Date, name: impl Into<String>, shifts: Vec<Shift>) -> Self {
        SpecialDay { date, name: name.into(), shifts }
    }
}

/// Working hours per weekday. A day without shifts is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WeeklyHours {
    pub monday: Vec<Shift>,
    pub tuesday: Vec<Shift>,
    pub wednesday: Vec<Shift>,
    pub thursday: Vec<Shift>,
    pub friday: Vec<Shift>,
    pub saturday: Vec<Shift>,
    pub sunday: Vec<Shift>,
}

/// Monday first, as in ISO 8601.
pub const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

impl WeeklyHours {
    /// Closed every day.
    pub fn closed() -> Self {
        Self::default()
    }

    /// The same shifts every day of the week.
    pub fn every_day(shifts: &[Shift]) -> Self {
        let mut week = Self::default();
        for day in WEEK {
            *week.on_mut(day) = shifts.to_vec();
        }
        week
    }

    /// The same shifts Monday to Friday, closed at weekends.
    pub fn monday_to_friday(shifts: &[Shift]) -> Self {
        let mut week = Self::default();
        for day in &WEEK[..5] {
            *week.on_mut(*day) = shifts.to_vec();
        }
        week
    }

    pub fn on(&self, day: Weekday) -> &[Shift] {
        match day {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    pub fn on_mut(&mut self, day: Weekday) -> &mut Vec<Shift> {
        match day {
            Weekday::Monday => &mut self.monday,
            Weekday::Tuesday => &mut self.tuesday,
            Weekday::Wednesday => &mut self.wednesday,
            Weekday::Thursday => &mut self.thursday,
            Weekday::Friday => &mut self.friday,
            Weekday::Saturday => &mut self.saturday,
            Weekday::Sunday => &mut self.sunday,
        }
    }
}

/// Which day of a calendar a problem is about: a weekday of the weekly hours or a special day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRef {
    Weekday(Weekday),
    Date(Date),
}

impl DayRef {
    /// The form field the day is edited in: `week.monday` or `special_days.2026-12-24`.
    pub fn field(&self) -> String {
        match self {
            DayRef::Weekday(day) => format!("week.{}", weekday_name(*day).to_ascii_lowercase()),
            DayRef::Date(date) => format!("special_days.{date}"),
        }
    }
}

impl fmt::Display for DayRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DayRef::Weekday(day) => f.write_str(weekday_name(*day)),
            DayRef::Date(date) => write!(f, "{date} ({})", weekday_name(date.weekday())),
        }
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// A problem with a calendar, worded for the person editing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone \"{0}\": use an IANA name such as Europe/Berlin, America/New_York or UTC")]
    UnknownTimeZone(String),
    #[error(
        "{day}: the shift {shift} starts and ends at the same time; to work the whole day enter 00:00–00:00"
    )]
    EmptyShift { day: DayRef, shift: Shift },
    #[error("{day}: the shifts {first} and {second} overlap")]
    OverlappingShifts { day: DayRef, first: Shift, second: Shift },
    #[error("{day}: the overnight shift {shift} runs into the shift {next_shift} of {next_day}")]
    OvernightShiftRunsIntoNextDay { day: DayRef, shift: Shift, next_day: DayRef, next_shift: Shift },
    #[error("{0} is listed more than once as a special day")]
    DuplicateSpecialDay(Date),
}

impl CalendarError {
    /// The form field the message belongs next to.
    pub fn field(&self) -> String {
        match self {
            CalendarError::UnknownTimeZone(_) => "time_zone".to_owned(),
            CalendarError::EmptyShift { day, .. }
            | CalendarError::OverlappingShifts { day, .. }
            | CalendarError::OvernightShiftRunsIntoNextDay { day, .. } => day.field(),
            CalendarError::DuplicateSpecialDay(date) => DayRef::Date(*date).field(),
        }
    }
}

/// One version of a business calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    /// IANA name, e.g. "Europe/Berlin"; checked by [`Calendar::validate`].
    pub time_zone: String,
    pub week: WeeklyHours,
    #[serde(default)]
    pub special_days: Vec<SpecialDay>,
}

impl Calendar {
    pub fn new(time_zone: impl Into<String>, week: WeeklyHours) -> Self {
        Calendar { time_zone: time_zone.into(), week, special_days: Vec::new() }
    }

    /// 24x7 in UTC: working time equals wall time.
    pub fn always_on() -> Self {
        Calendar::new("UTC", WeeklyHours::every_day(&[Shift::all_day()]))
    }

    /// All problems, not just the first (for form validation).
    pub fn validate(&self) -> Result<(), Vec<CalendarError>> {
        let mut errors = Vec::new();
        if TimeZone::get(&self.time_zone).is_err() {
            errors.push(CalendarError::UnknownTimeZone(self.time_zone.clone()));
        }
        for day in WEEK {
            check_day(DayRef::Weekday(day), self.week.on(day), &mut errors);
        }
        for day in WEEK {
            let next = day.next();
            check_spill(
                (DayRef::Weekday(day), self.week.on(day)),
                (DayRef::Weekday(next), self.week.on(next)),
                &mut errors,
            );
        }

        let mut counts: BTreeMap<Date, usize> = BTreeMap::new();
        for special in &self.special_days {
            *counts.entry(special.date).or_default() += 1;
        }
        errors.extend(
            counts.iter().filter(|(_, n)| **n > 1).map(|(date, _)| CalendarError::DuplicateSpecialDay(*date)),
        );

        let specials = self.specials_between(Date::MIN, Date::MAX);
        for special in specials.values() {
            let day = DayRef::Date(special.date);
            check_day(day, &special.shifts, &mut errors);
            if let Ok(previous) = special.date.yesterday() {
                let previous_shifts = hours_on(&self.week, &specials, previous);
                check_spill((DayRef::Date(previous), previous_shifts), (day, &special.shifts), &mut errors);
            }
            // A following special day is checked when it is visited itself.
            if let Ok(next) = special.date.tomorrow()
                && !specials.contains_key(&next)
            {
                let next_shifts = self.week.on(next.weekday());
                check_spill((day, &special.shifts), (DayRef::Date(next), next_shifts), &mut errors);
            }
        }

        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The shifts worked on a local date: a special day's if there is one (the first listed, should
    /// a date be listed twice), else the weekday's.
    pub fn hours_on(&self, date: Date) -> &[Shift] {
        self.special_days
            .iter()
            .find(|special| special.date == date)
            .map_or_else(|| self.week.on(date.weekday()), |special| &special.shifts)
    }

    /// Working intervals intersecting `[from, to)`, clipped to it, merged where adjacent (an
    /// overnight shift that continues into the next day's shift is one interval), in order.
    pub fn working_intervals(&self, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        if to <= from {
            return Vec::new();
        }
        let zone = self.zone();
        // A date's shifts lie between its local midnight and the midnight two days later; the margin
        // also covers zones that skipped or repeated a whole day.
        let first = step_days(zone.to_datetime(from).date(), -2);
        let last = step_days(zone.to_datetime(to).date(), 1);
        let specials = self.specials_between(first, last);

        let mut raw = Vec::new();
        let mut date = first;
        loop {
            for shift in hours_on(&self.week, &specials, date) {
                if let Some((start, end)) = shift_instants(&zone, date, *shift) {
                    let (start, end) = (start.max(from), end.min(to));
                    if start < end {
                        raw.push((start, end));
                    }
                }
            }
            if date >= last {
                break;
            }
            let Ok(next) = date.tomorrow() else { break };
            date = next;
        }
        merge(raw)
    }

    /// Working time in `[from, to)`; zero when `to <= from`.
    pub fn working_time(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        total(&self.working_intervals(from, to))
    }

    /// The earliest instant by which `amount` of working time has elapsed after `start`.
    ///
    /// - A zero amount returns `start` itself, working time or not: nothing has to elapse, and it
    ///   is the earliest instant `r` with `working_time(start, r) == 0`. A positive amount starting
    ///   outside working time first waits for the next working instant.
    /// - When the amount is used up exactly at the end of an interval the result is that end, not
    ///   the start of the next interval.
    /// - `None` for a negative amount, or when no working time at all is found for
    ///   [`SEARCH_HORIZON`] (about three years), e.g. a calendar closed every day.
    pub fn add_working_time(&self, start: Timestamp, amount: SignedDuration) -> Option<Timestamp> {
        add_working_time_with(|from, to| self.working_intervals(from, to), start, amount)
    }

    pub fn is_working(&self, at: Timestamp) -> bool {
        is_working_with(|from, to| self.working_intervals(from, to), at)
    }

    /// The zone to convert shift times in. An unknown name (which `validate` rejects, so a stored
    /// calendar never has one) falls back to UTC rather than failing every measurement.
    fn zone(&self) -> TimeZone {
        TimeZone::get(&self.time_zone).unwrap_or(TimeZone::UTC)
    }

    /// Special days in `first..=last` by date; of duplicates the first listed wins.
    fn specials_between(&self, first: Date, last: Date) -> BTreeMap<Date, &SpecialDay> {
        let mut specials = BTreeMap::new();
        for special in self.special_days.iter().filter(|s| first <= s.date && s.date <= last) {
            specials.entry(special.date).or_insert(special);
        }
        specials
    }
}

fn hours_on<'a>(week: &'a WeeklyHours, specials: &BTreeMap<Date, &'a SpecialDay>, date: Date) -> &'a [Shift] {
    specials.get(&date).map_or_else(|| week.on(date.weekday()), |special| &special.shifts)
}

fn check_day(day: DayRef, shifts: &[Shift], errors: &mut Vec<CalendarError>) {
    for shift in shifts.iter().filter(|s| s.is_empty()) {
        errors.push(CalendarError::EmptyShift { day, shift: *shift });
    }
    let spans: Vec<(Shift, (i64, i64))> =
        shifts.iter().filter_map(|shift| shift.local_span().map(|span| (*shift, span))).collect();
    for (i, (first, a)) in spans.iter().enumerate() {
        for (second, b) in &spans[i + 1..] {
            if a.0 < b.1 && b.0 < a.1 {
                errors.push(CalendarError::OverlappingShifts { day, first: *first, second: *second });
            }
        }
    }
}

/// The part of `day`'s overnight shifts that lies in the next day must not overlap that day's shifts.
fn check_spill(
    (day, shifts): (DayRef, &[Shift]),
    (next_day, next_shifts): (DayRef, &[Shift]),
    errors: &mut Vec<CalendarError>,
) {
    for shift in shifts {
        let Some((_, end)) = shift.local_span() else { continue };
        let spill_end = end - NANOS_PER_DAY;
        if spill_end <= 0 {
            continue;
        }
        for next_shift in next_shifts {
            if let Some((next_start, _)) = next_shift.local_span()
                && next_start < spill_end
            {
                errors.push(CalendarError::OvernightShiftRunsIntoNextDay {
                    day,
                    shift: *shift,
                    next_day,
                    next_shift: *next_shift,
                });
            }
        }
    }
}

/// The instants a shift on a local date covers, converted with compatible disambiguation (see the
/// module documentation); `None` when the shift is empty, outside jiff's range, or squeezed to
/// nothing by a daylight saving gap.
fn shift_instants(zone: &TimeZone, date: Date, shift: Shift) -> Option<(Timestamp, Timestamp)> {
    if shift.is_empty() {
        return None;
    }
    let end_date = if shift.end <= shift.start { date.tomorrow().ok()? } else { date };
    let start = zone.to_ambiguous_timestamp(date.to_datetime(shift.start)).compatible().ok()?;
    let end = zone.to_ambiguous_timestamp(end_date.to_datetime(shift.end)).compatible().ok()?;
    (start < end).then_some((start, end))
}

fn step_days(mut date: Date, days: i32) -> Date {
    for _ in 0..days.unsigned_abs() {
        let step = if days < 0 { date.yesterday() } else { date.tomorrow() };
        match step {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    date
}

/// Sorts and unites intervals; touching intervals become one.
fn merge(mut intervals: Vec<(Timestamp, Timestamp)>) -> Vec<(Timestamp, Timestamp)> {
    intervals.sort_unstable();
    let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(intervals.len());
    for (start, end) in intervals {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

fn total(intervals: &[(Timestamp, Timestamp)]) -> SignedDuration {
    intervals.iter().fold(SignedDuration::ZERO, |sum, (start, end)| sum + end.duration_since(*start))
}

fn is_working_with(
    intervals: impl Fn(Timestamp, Timestamp) -> Vec<(Timestamp, Timestamp)>,
    at: Timestamp,
) -> bool {
    at.checked_add(SignedDuration::from_nanos(1)).is_ok_and(|next| !intervals(at, next).is_empty())
}

/// Walks forward through the working intervals in growing windows (short SLA targets only look a
/// couple of days ahead; long ones do not pay for one call per day).
fn add_working_time_with(
    intervals: impl Fn(Timestamp, Timestamp) -> Vec<(Timestamp, Timestamp)>,
    start: Timestamp,
    amount: SignedDuration,
) -> Option<Timestamp> {
    if amount.is_negative() {
        return None;
    }
    if amount.is_zero() {
        return Some(start);
    }
    let mut remaining = amount;
    let mut cursor = start;
    let mut idle_since = start;
    let mut window = SignedDuration::from_hours(48);
    loop {
        let window_end = cursor.checked_add(window).unwrap_or(Timestamp::MAX);
        if window_end <= cursor {
            return None;
        }
        for (from, to) in intervals(cursor, window_end) {
            let length = to.duration_since(from);
            if remaining <= length {
                return from.checked_add(remaining).ok();
            }
            remaining -= length;
            idle_since = to;
        }
        if window_end.duration_since(idle_since) >= SEARCH_HORIZON {
            return None;
        }
        cursor = window_end;
        window = (window * 2).min(SignedDuration::from_hours(64 * 24));
    }
}

/// Versions of one calendar, each in force from its instant until the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarHistory {
    /// Sorted by effective instant, instants distinct, never empty.
    versions: Vec<(Timestamp, Calendar)>,
}

impl CalendarHistory {
    /// The earliest version also covers all time before it. Of versions with the same instant the
    /// one listed last wins (the others were never in force). No versions at all means the clock
    /// always runs, as with no business calendar: a single [`Calendar::always_on`].
    pub fn new(mut versions: Vec<(Timestamp, Calendar)>) -> Self {
        if versions.is_empty() {
            versions.push((Timestamp::MIN, Calendar::always_on()));
        }
        versions.sort_by_key(|(effective_from, _)| *effective_from);
        versions.dedup_by(|later, earlier| {
            let same_instant = later.0 == earlier.0;
            if same_instant {
                std::mem::swap(later, earlier);
            }
            same_instant
        });
        CalendarHistory { versions }
    }

    /// Sorted by the instant each comes into force.
    pub fn versions(&self) -> &[(Timestamp, Calendar)] {
        &self.versions
    }

    pub fn version_at(&self, at: Timestamp) -> &Calendar {
        &self.versions[self.index_at(at)].1
    }

    /// Working intervals in `[from, to)`, each moment measured by the version in force at it.
    pub fn working_intervals(&self, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        if to <= from {
            return Vec::new();
        }
        let mut raw = Vec::new();
        for i in self.index_at(from)..self.versions.len() {
            // The first version also covers all time before it.
            let segment_start = if i == 0 { from } else { self.versions[i].0.max(from) };
            if segment_start >= to {
                break;
            }
            let segment_end = self.versions.get(i + 1).map_or(to, |(next, _)| (*next).min(to));
            raw.extend(self.versions[i].1.working_intervals(segment_start, segment_end));
        }
        // Unites intervals that meet at a version boundary.
        merge(raw)
    }

    pub fn working_time(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        total(&self.working_intervals(from, to))
    }

    /// As [`Calendar::add_working_time`], crossing versions as it goes.
    pub fn add_working_time(&self, start: Timestamp, amount: SignedDuration) -> Option<Timestamp> {
        add_working_time_with(|from, to| self.working_intervals(from, to), start, amount)
    }

    pub fn is_working(&self, at: Timestamp) -> bool {
        is_working_with(|from, to| self.working_intervals(from, to), at)
    }

    fn index_at(&self, at: Timestamp) -> usize {
        self.versions.partition_point(|(effective_from, _)| *effective_from <= at).saturating_sub(1)
    }
}

// ---------------------------------------------------------------------------------------------
// iCalendar import
// ---------------------------------------------------------------------------------------------

/// A recurring event may yield at most this many dates (a guard against runaway rules).
pub const MAX_OCCURRENCES: usize = 500;
/// A single event may cover at most this many days.
pub const MAX_EVENT_DAYS: i64 = 366;

/// Why an iCalendar file could not be imported, with the (physical, 1-based) line it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct IcalError {
    pub line: usize,
    pub problem: IcalProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcalProblem {
    #[error("this is not an iCalendar file: it must begin with BEGIN:VCALENDAR")]
    NotICalendar,
    #[error("{0} appears outside BEGIN:VCALENDAR … END:VCALENDAR")]
    OutsideCalendar(String),
    #[error("expected NAME:VALUE, found {0:?}")]
    MalformedLine(String),
    #[error("END:{found} does not match BEGIN:{open}")]
    MismatchedEnd { open: String, found: String },
    #[error("END:{0} has no matching BEGIN")]
    UnexpectedEnd(String),
    #[error("BEGIN:{0} is never closed by END:{0}")]
    Unclosed(String),
    #[error("the event has no DTSTART")]
    MissingStart,
    #[error("{property} {value:?} is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS)")]
    BadDate { property: String, value: String },
    #[error("DTEND {end} is before DTSTART {start}")]
    EndBeforeStart { start: Date, end: Date },
    #[error("the event covers {0} days; at most 366 are accepted")]
    TooLong(i64),
    #[error(
        "DURATION {0:?} is not supported for an all-day event; use whole days or weeks such as P1D or P2W"
    )]
    UnsupportedDuration(String),
    #[error("RRULE {rule:?} is not supported: {reason}; list the dates as separate events instead")]
    UnsupportedRule { rule: String, reason: String },
    #[error("RRULE {0:?} repeats forever; add COUNT or UNTIL, or import with a range of years")]
    UnboundedRule(String),
    #[error("RRULE {0:?} yields more than 500 dates; import with a narrower range of years")]
    TooManyOccurrences(String),
    #[error("{0} is not supported; list the dates as separate events instead")]
    UnsupportedProperty(String),
}

/// Holidays from an iCalendar (RFC 5545) file.
///
/// Every VEVENT becomes a closed [`SpecialDay`] for each date it covers, named by its SUMMARY
/// ("Holiday" when it has none):
///
/// - all-day events (DTSTART a DATE) cover DTSTART up to DTEND exclusive, or DURATION in whole
///   days/weeks, or one day;
/// - timed events (DTSTART a DATE-TIME) count on the date written in DTSTART (local to its TZID,
///   or UTC for a `Z` time), one day only;
/// - RRULE with FREQ=YEARLY (INTERVAL, COUNT, UNTIL, BYMONTH, BYMONTHDAY, or one BYDAY with its
///   position such as `4TH` or `-1MO` together with BYMONTH) is expanded; a rule that repeats
///   forever is an error here (use [`holidays_from_ical_for_years`]); any other rule is an error
///   naming its line rather than being dropped silently;
/// - RDATE adds dates, EXDATE removes them, an event with RECURRENCE-ID replaces that occurrence of
///   the series with the same UID, and STATUS:CANCELLED events are left out;
/// - other components (VTODO, VTIMEZONE, VALARM inside events, …) are ignored.
///
/// The result is sorted by date with one entry per date; names of events on the same date are
/// joined with " / ", so the list passes [`Calendar::validate`].
pub fn holidays_from_ical(text: &str) -> Result<Vec<SpecialDay>, IcalError> {
    parse_holidays(text, None)
}

/// As [`holidays_from_ical`], but recurring events (RRULE, RDATE) only yield dates in `years`,
/// which also bounds rules that repeat forever. Events without recurrence are all kept.
pub fn holidays_from_ical_for_years(
    text: &str,
    years: RangeInclusive<i16>,
) -> Result<Vec<SpecialDay>, IcalError> {
    parse_holidays(text, Some(years.into_inner()))
}

/// First and last year, inclusive.
type Years = (i16, i16);

fn within(years: Years, date: Date) -> bool {
    (years.0..=years.1).contains(&date.year())
}

struct ContentLine {
    line: usize,
    name: String,
    value: String,
}

/// A DTSTART/DTEND-like value: its date, and whether it was a DATE (all day).
#[derive(Clone, Copy)]
struct IcalDate {
    line: usize,
    date: Date,
    all_day: bool,
}

#[derive(Default)]
struct EventDraft {
    begin_line: usize,
    uid: Option<String>,
    summary: Option<String>,
    start: Option<IcalDate>,
    end: Option<IcalDate>,
    duration: Option<(usize, String)>,
    rule: Option<(usize, String)>,
    added: Vec<Date>,
    excluded: Vec<Date>,
    recurrence_id: Option<Date>,
    cancelled: bool,
}

/// One event's dates after expansion.
struct EventDates {
    uid: Option<String>,
    recurrence_id: Option<Date>,
    cancelled: bool,
    name: String,
    starts: Vec<Date>,
    days: i64,
}

fn parse_holidays(text: &str, years: Option<Years>) -> Result<Vec<SpecialDay>, IcalError> {
    let lines = unfold(text);
    let starts_as_calendar =
        lines.first().is_some_and(|(_, first)| first.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR"));
    if !starts_as_calendar {
        let line = lines.first().map_or(1, |(line, _)| *line);
        return Err(IcalError { line, problem: IcalProblem::NotICalendar });
    }

    let mut open: Vec<(String, usize)> = Vec::new();
    let mut draft: Option<EventDraft> = None;
    let mut events = Vec::new();
    for (line, raw) in &lines {
        let content = parse_content_line(*line, raw)?;
        let at = |problem| IcalError { line: content.line, problem };
        match content.name.as_str() {
            "BEGIN" => {
                let component = content.value.trim().to_ascii_uppercase();
                if open.is_empty() && component != "VCALENDAR" {
                    return Err(at(IcalProblem::OutsideCalendar(format!("BEGIN:{component}"))));
                }
                if component == "VEVENT" && open.last().is_some_and(|(name, _)| name == "VCALENDAR") {
                    draft = Some(EventDraft { begin_line: content.line, ..EventDraft::default() });
                }
                open.push((component, content.line));
            }
            "END" => {
                let component = content.value.trim().to_ascii_uppercase();
                let Some((name, _)) = open.pop() else {
                    return Err(at(IcalProblem::UnexpectedEnd(component)));
                };
                if name != component {
                    return Err(at(IcalProblem::MismatchedEnd { open: name, found: component }));
                }
                if component == "VEVENT"
                    && let Some(event) = draft.take()
                {
                    events.push(event.finish(years)?);
                }
            }
            name => {
                let Some((component, _)) = open.last() else {
                    return Err(at(IcalProblem::OutsideCalendar(name.to_owned())));
                };
                if component == "VEVENT"
                    && let Some(event) = draft.as_mut()
                {
                    event.read(&content)?;
                }
            }
        }
    }
    if let Some((component, line)) = open.pop() {
        return Err(IcalError { line, problem: IcalProblem::Unclosed(component) });
    }
    Ok(assemble(events))
}

/// Joins folded lines (a line starting with a space or tab continues the previous one), keeping
/// the physical line number each logical line starts on. Blank lines are dropped.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(continuation) = raw.strip_prefix([' ', '\t'])
            && let Some((_, last)) = lines.last_mut()
        {
            last.push_str(continuation);
            continue;
        }
        lines.push((index + 1, raw.to_owned()));
    }
    lines.retain(|(_, line)| !line.trim().is_empty());
    lines
}

/// `NAME;PARAM=VALUE;…:VALUE`. Parameters are not needed for the subset we read (a DATE value
/// is recognised by its shape), but quoted parameter values may contain ':' and ';'.
fn parse_content_line(line: usize, text: &str) -> Result<ContentLine, IcalError> {
    let malformed = || IcalError { line, problem: IcalProblem::MalformedLine(text.to_owned()) };
    let mut in_quotes = false;
    let mut head_end = None;
    let mut name_end = None;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes && name_end.is_none() => name_end = Some(i),
            ':' if !in_quotes => {
                head_end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let head_end = head_end.ok_or_else(malformed)?;
    let name = text[..name_end.unwrap_or(head_end)].trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(malformed());
    }
    Ok(ContentLine { line, name: name.to_ascii_uppercase(), value: text[head_end + 1..].to_owned() })
}

/// TEXT values: `\\`, `\;`, `\,` and `\n` (or `\N`) escapes.
fn unescape_text(value: &str) -> String {
    let mut text = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => text.push('\n'),
            Some(escaped) => text.push(escaped),
            None => text.push('\\'),
        }
    }
    text
}

fn parse_ical_date(property: &str, value: &str, line: usize) -> Result<IcalDate, IcalError> {
    let value = value.trim();
    let bad = || IcalError {
        line,
        problem: IcalProblem::BadDate { property: property.to_owned(), value: value.to_owned() },
    };
    let number = |digits: Option<&str>| -> Result<i16, IcalError> {
        digits.filter(|d| d.bytes().all(|b| b.is_ascii_digit())).and_then(|d| d.parse().ok()).ok_or_else(bad)
    };
    let year = number(value.get(0..4))?;
    let month = i8::try_from(number(value.get(4..6))?).map_err(|_| bad())?;
    let day = i8::try_from(number(value.get(6..8))?).map_err(|_| bad())?;
    let date = Date::new(year, month, day).map_err(|_| bad())?;
    let rest = value.get(8..).ok_or_else(bad)?;
    if rest.is_empty() {
        return Ok(IcalDate { line, date, all_day: true });
    }
    let time = rest.strip_prefix('T').ok_or_else(bad)?;
    let time = time.strip_suffix('Z').unwrap_or(time);
    if time.len() != 6 {
        return Err(bad());
    }
    let part = |range| i8::try_from(number(time.get(range))?).map_err(|_| bad());
    // A leap second (60) is a valid iCalendar time; only the date matters here.
    Time::new(part(0..2)?, part(2..4)?, part(4..6)?.min(59), 0).map_err(|_| bad())?;
    Ok(IcalDate { line, date, all_day: false })
}

/// RDATE/EXDATE: comma-separated dates or date-times (a PERIOD counts by its start).
fn parse_date_list(property: &str, value: &str, line: usize) -> Result<Vec<Date>, IcalError> {
    value
        .split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            let start = item.split('/').next().unwrap_or(item);
            parse_ical_date(property, start, line).map(|d| d.date)
        })
        .collect()
}

impl EventDraft {
    fn read(&mut self, content: &ContentLine) -> Result<(), IcalError> {
        let line = content.line;
        let value = content.value.as_str();
        match content.name.as_str() {
            "SUMMARY" => self.summary = Some(unescape_text(value).trim().to_owned()),
            "UID" => self.uid = Some(value.trim().to_owned()),
            "DTSTART" => self.start = Some(parse_ical_date("DTSTART", value, line)?),
            "DTEND" => self.end = Some(parse_ical_date("DTEND", value, line)?),
            "DURATION" => self.duration = Some((line, value.trim().to_owned())),
            "RRULE" => {
                if self.rule.is_some() {
                    return Err(IcalError {
                        line,
                        problem: IcalProblem::UnsupportedRule {
                            rule: value.to_owned(),
                            reason: "an event may have only one RRULE".to_owned(),
                        },
                    });
                }
                self.rule = Some((line, value.trim().to_owned()));
            }
            "EXRULE" => {
                return Err(IcalError {
                    line,
                    problem: IcalProblem::UnsupportedProperty("EXRULE".to_owned()),
                });
            }
            "RDATE" => self.added.extend(parse_date_list("RDATE", value, line)?),
            "EXDATE" => self.excluded.extend(parse_date_list("EXDATE", value, line)?),
            "RECURRENCE-ID" => self.recurrence_id = Some(parse_ical_date("RECURRENCE-ID", value, line)?.date),
            "STATUS" => self.cancelled = value.trim().eq_ignore_ascii_case("CANCELLED"),
            _ => {}
        }
        Ok(())
    }

    fn finish(self, years: Option<Years>) -> Result<EventDates, IcalError> {
        let Some(start) = self.start else {
            return Err(IcalError { line: self.begin_line, problem: IcalProblem::MissingStart });
        };
        let days = if start.all_day { self.all_day_length(start)? } else { 1 };
        if days > MAX_EVENT_DAYS {
            return Err(IcalError { line: start.line, problem: IcalProblem::TooLong(days) });
        }

        let recurring = self.rule.is_some() || !self.added.is_empty();
        let mut starts = match &self.rule {
            Some((line, rule)) => expand_yearly_rule(rule, *line, start.date, years)?,
            None => vec![start.date],
        };
        starts.extend(&self.added);
        if recurring && let Some(years) = years {
            starts.retain(|date| within(years, *date));
        }
        starts.sort_unstable();
        starts.dedup();
        starts.retain(|date| !self.excluded.contains(date));

        let name = self.summary.filter(|s| !s.is_empty()).unwrap_or_else(|| "Holiday".to_owned());
        Ok(EventDates {
            uid: self.uid,
            recurrence_id: self.recurrence_id,
            cancelled: self.cancelled,
            name,
            starts,
            days,
        })
    }

    /// Days an all-day event covers: DTEND is exclusive; DTEND equal to DTSTART (written by some
    /// producers for one-day events) and no DTEND both mean one day.
    fn all_day_length(&self, start: IcalDate) -> Result<i64, IcalError> {
        if let Some(end) = self.end {
            if end.date < start.date {
                return Err(IcalError {
                    line: end.line,
                    problem: IcalProblem::EndBeforeStart { start: start.date, end: end.date },
                });
            }
            return Ok((end.date.duration_since(start.date).as_hours() / 24).max(1));
        }
        if let Some((line, duration)) = &self.duration {
            let unsupported =
                || IcalError { line: *line, problem: IcalProblem::UnsupportedDuration(duration.clone()) };
            let body =
                duration.strip_prefix('+').unwrap_or(duration).strip_prefix('P').ok_or_else(unsupported)?;
            let (count, per) = if let Some(weeks) = body.strip_suffix('W') {
                (weeks, 7)
            } else {
                (body.strip_suffix('D').ok_or_else(unsupported)?, 1)
            };
            if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
                return Err(unsupported());
            }
            let count: i64 = count.parse().map_err(|_| unsupported())?;
            return Ok(count.saturating_mul(per).max(1));
        }
        Ok(1)
    }
}

/// The dates of a yearly rule starting at `start` (which is always the first occurrence, as in
/// RFC 5545), limited by COUNT, UNTIL and `years`.
fn expand_yearly_rule(
    rule: &str,
    line: usize,
    start: Date,
    years: Option<Years>,
) -> Result<Vec<Date>, IcalError> {
    let fail = |problem| IcalError { line, problem };
    let unsupported = |reason: &str| {
        fail(IcalProblem::UnsupportedRule { rule: rule.to_owned(), reason: reason.to_owned() })
    };

    let mut frequency = None;
    let mut interval: i16 = 1;
    let mut count: Option<usize> = None;
    let mut until: Option<Date> = None;
    let mut by_month: Option<i8> = None;
    let mut by_month_day: Option<i8> = None;
    let mut by_day: Option<(i8, Weekday)> = None;
    for part in rule.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(unsupported(&format!("{part:?} is not NAME=VALUE")));
        };
        let value = value.trim();
        match key.trim().to_ascii_uppercase().as_str() {
            "FREQ" => frequency = Some(value.to_ascii_uppercase()),
            "INTERVAL" => {
                interval = value
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| unsupported("INTERVAL must be a positive number"))?;
            }
            "COUNT" => {
                count = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| unsupported("COUNT must be a positive number"))?,
                );
            }
            "UNTIL" => until = Some(parse_ical_date("UNTIL", value, line)?.date),
            "BYMONTH" => {
                by_month = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|m| (1..=12).contains(m))
                        .ok_or_else(|| unsupported("BYMONTH must be one month number (1–12)"))?,
                );
            }
            "BYMONTHDAY" => {
                by_month_day = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|d| (1..=31).contains(d))
                        .ok_or_else(|| unsupported("BYMONTHDAY must be one day number (1–31)"))?,
                );
            }
            "BYDAY" => {
                by_day = Some(parse_nth_weekday(value).ok_or_else(|| {
                    unsupported(
                        "BYDAY must be one weekday with its position in the month, such as 4TH or -1MO",
                    )
                })?);
            }
            "WKST" => {}
            other => return Err(unsupported(&format!("{other} is not supported"))),
        }
    }
    match frequency.as_deref() {
        Some("YEARLY") => {}
        Some(other) => return Err(unsupported(&format!("only FREQ=YEARLY is supported, not {other}"))),
        None => return Err(unsupported("FREQ is missing")),
    }
    if by_day.is_some() && (by_month.is_none() || by_month_day.is_some()) {
        return Err(unsupported("BYDAY needs BYMONTH and cannot be combined with BYMONTHDAY"));
    }
    if count.is_none() && until.is_none() && years.is_none() {
        return Err(fail(IcalProblem::UnboundedRule(rule.to_owned())));
    }

    let last_year =
        [until.map(Date::year), years.map(|(_, last)| last)].into_iter().flatten().min().unwrap_or(9999);
    let in_years = |date: Date| years.is_none_or(|years| within(years, date));
    let month = by_month.unwrap_or(start.month());
    let day = by_month_day.unwrap_or(start.day());

    let mut counted = 1;
    let mut dates = Vec::new();
    if in_years(start) {
        dates.push(start);
    }
    let mut year = start.year();
    while year <= last_year && count.is_none_or(|c| counted < c) {
        let occurrence = match by_day {
            Some((nth, weekday)) => {
                Date::new(year, month, 1).and_then(|d| d.nth_weekday_of_month(nth, weekday))
            }
            // Dates that do not exist in a year (29 February) are skipped, as RFC 5545 says.
            None => Date::new(year, month, day),
        };
        if let Ok(date) = occurrence
            && date > start
            && until.is_none_or(|u| date <= u)
        {
            counted += 1;
            if in_years(date) {
                dates.push(date);
            }
            if dates.len() > MAX_OCCURRENCES {
                return Err(fail(IcalProblem::TooManyOccurrences(rule.to_owned())));
            }
        }
        let Some(next) = year.checked_add(interval) else { break };
        year = next;
    }
    Ok(dates)
}

/// `4TH`, `+1MO`, `-1MO`: a position in the month (required) and a weekday.
fn parse_nth_weekday(value: &str) -> Option<(i8, Weekday)> {
    let split = value.len().checked_sub(2)?;
    let (position, code) = (value.get(..split)?, value.get(split..)?);
    let nth: i8 = position.strip_prefix('+').unwrap_or(position).parse().ok()?;
    if nth == 0 || !(-5..=5).contains(&nth) {
        return None;
    }
    let weekday = match code.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    };
    Some((nth, weekday))
}

/// Applies RECURRENCE-ID overrides and cancellations, then lays out one closed day per date.
fn assemble(events: Vec<EventDates>) -> Vec<SpecialDay> {
    let (overrides, mut series): (Vec<EventDates>, Vec<EventDates>) =
        events.into_iter().partition(|event| event.recurrence_id.is_some());
    for replacement in &overrides {
        if let (Some(uid), Some(replaced)) = (&replacement.uid, replacement.recurrence_id) {
            for event in series.iter_mut().filter(|event| event.uid.as_ref() == Some(uid)) {
                event.starts.retain(|date| *date != replaced);
            }
        }
    }

    let mut names_by_date: BTreeMap<Date, Vec<String>> = BTreeMap::new();
    for event in series.iter().chain(&overrides).filter(|event| !event.cancelled) {
        for start in &event.starts {
            let mut date = *start;
            for _ in 0..event.days {
                let names = names_by_date.entry(date).or_default();
                if !names.contains(&event.name) {
                    names.push(event.name.clone());
                }
                let Ok(next) = date.tomorrow() else { break };
                date = next;
            }
        }
    }
    names_by_date.into_iter().map(|(date, names)| SpecialDay::holiday(date, names.join(" / "))).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jiff::Span;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn add_days(date: Date, days: i64) -> Option<Date> {
        date.checked_add(Span::new().days(days)).ok()
    }

    fn t(s: &str) -> Time {
        s.parse().expect("a time of day")
    }

    fn shift(start: &str, end: &str) -> Shift {
        Shift::new(t(start), t(end))
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("an RFC 3339 instant")
    }

    /// A local wall-clock time in a zone, resolved like the calendar does.
    fn local(zone: &str, s: &str) -> Timestamp {
        let dt: jiff::civil::DateTime = s.parse().expect("a civil date-time");
        TimeZone::get(zone).expect("a known zone").to_ambiguous_timestamp(dt).compatible().expect("in range")
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    fn minutes(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    fn office(zone: &str) -> Calendar {
        Calendar::new(
            zone,
            WeeklyHours::monday_to_friday(&[shift("08:00", "12:00"), shift("13:00", "17:00")]),
        )
    }

    // 2026-03-02 is a Monday.

    #[test]
    fn split_shift_skips_lunch() {
        let cal = office("Europe/Berlin");
        let from = local("Europe/Berlin", "2026-03-02T11:00");
        let to = local("Europe/Berlin", "2026-03-02T14:00");
        assert_eq!(cal.working_time(from, to), hours(2));
        assert!(!cal.is_working(local("Europe/Berlin", "2026-03-02T12:30")));
        assert_eq!(
            cal.working_intervals(from, to),
            vec![
                (from, local("Europe/Berlin", "2026-03-02T12:00")),
                (local("Europe/Berlin", "2026-03-02T13:00"), to)
            ]
        );
        // One hour before lunch, then the rest after it.
        assert_eq!(cal.add_working_time(from, minutes(90)), Some(local("Europe/Berlin", "2026-03-02T13:30")));
    }

    #[test]
    fn full_working_week_is_forty_hours() {
        let cal = office("Europe/Berlin");
        let monday = local("Europe/Berlin", "2026-03-02T00:00");
        let next_monday = local("Europe/Berlin", "2026-03-09T00:00");
        assert_eq!(cal.working_time(monday, next_monday), hours(40));
    }

    #[test]
    fn overnight_shift_counts_across_midnight() {
        let mut week = WeeklyHours::closed();
        week.monday = vec![shift("22:00", "06:00")];
        let cal = Calendar::new("UTC", week);
        let day = cal.working_time(ts("2026-03-02T00:00Z"), ts("2026-03-03T00:00Z"));
        let night = cal.working_time(ts("2026-03-02T00:00Z"), ts("2026-03-04T00:00Z"));
        assert_eq!(day, hours(2));
        assert_eq!(night, hours(8));
        assert!(cal.is_working(ts("2026-03-03T05:59Z")));
        assert!(!cal.is_working(ts("2026-03-03T06:00Z")));
        assert_eq!(cal.add_working_time(ts("2026-03-02T23:00Z"), hours(3)), Some(ts("2026-03-03T02:00Z")));
    }

    #[test]
    fn overnight_shift_continuing_into_next_days_shift_is_one_interval() {
        let mut week = WeeklyHours::closed();
        week.monday = vec![shift("18:00", "00:00")];
        week.tuesday = vec![shift("00:00", "02:00"), shift("02:00", "04:00")];
        let cal = Calendar::new("UTC", week);
        assert_eq!(cal.validate(), Ok(()));
        assert_eq!(
            cal.working_intervals(ts("2026-03-02T00:00Z"), ts("2026-03-04T00:00Z")),
            vec![(ts("2026-03-02T18:00Z"), ts("2026-03-03T04:00Z"))]
        );
    }

    #[test]
    fn holiday_counts_nothing() {
        let mut cal = office("Europe/Berlin");
        cal.special_days.push(SpecialDay::holiday(date(2026, 3, 3), "Company day"));
        let tuesday = local("Europe/Berlin", "2026-03-03T00:00");
        let wednesday = local("Europe/Berlin", "2026-03-04T00:00");
        assert_eq!(cal.working_time(tuesday, wednesday), SignedDuration::ZERO);
        // Work started late Monday continues on Wednesday morning.
        let monday_late = local("Europe/Berlin", "2026-03-02T16:00");
        assert_eq!(
            cal.add_working_time(monday_late, hours(2)),
            Some(local("Europe/Berlin", "2026-03-04T09:00"))
        );
    }

    #[test]
    fn special_day_hours_replace_weekday() {
        let mut cal = office("Europe/Berlin");
        cal.special_days.push(SpecialDay::with_hours(
            date(2026, 12, 24),
            "Christmas Eve",
            vec![shift("09:00", "12:00")],
        ));
        // A Saturday opened for an inventory.
        cal.special_days.push(SpecialDay::with_hours(
            date(2026, 3, 7),
            "Inventory",
            vec![shift("10:00", "14:00")],
        ));
        let eve = local("Europe/Berlin", "2026-12-24T00:00");
        assert_eq!(cal.working_time(eve, local("Europe/Berlin", "2026-12-25T00:00")), hours(3));
        let saturday = local("Europe/Berlin", "2026-03-07T00:00");
        assert_eq!(cal.working_time(saturday, local("Europe/Berlin", "2026-03-08T00:00")), hours(4));
        assert_eq!(cal.hours_on(date(2026, 3, 7)), &[shift("10:00", "14:00")]);
        assert_eq!(cal.hours_on(date(2026, 3, 6)).len(), 2);
    }

    #[test]
    fn spring_forward_day_is_an_hour_shorter() {
        let cal = Calendar::new("Europe/Berlin", WeeklyHours::every_day(&[Shift::all_day()]));
        // Berlin springs forward on 2026-03-29 at 02:00.
        let day = cal.working_time(
            local("Europe/Berlin", "2026-03-29T00:00"),
            local("Europe/Berlin", "2026-03-30T00:00"),
        );
        assert_eq!(day, hours(23));
        let night = Calendar::new("Europe/Berlin", WeeklyHours::every_day(&[shift("00:00", "06:00")]));
        let short = night.working_time(
            local("Europe/Berlin", "2026-03-29T00:00"),
            local("Europe/Berlin", "2026-03-30T00:00"),
        );
        assert_eq!(short, hours(5));
    }

    #[test]
    fn fall_back_day_is_an_hour_longer() {
        let cal = Calendar::new("America/New_York", WeeklyHours::every_day(&[shift("00:00", "08:00")]));
        // New York falls back on 2026-11-01 at 02:00: the shift covers the nine hours that elapse.
        let from = ts("2026-11-01T00:00-04:00");
        let to = ts("2026-11-02T00:00-05:00");
        assert_eq!(cal.working_time(from, to), hours(9));
        assert_eq!(cal.working_intervals(from, to), vec![(from, ts("2026-11-01T08:00-05:00"))]);
    }

    #[test]
    fn shift_starting_in_the_spring_forward_gap_starts_after_it() {
        let cal = Calendar::new("America/New_York", WeeklyHours::every_day(&[shift("02:00", "06:00")]));
        // 2026-03-08 02:00 does not exist in New York; the shift starts at 03:00 EDT.
        let from = ts("2026-03-08T00:00-05:00");
        let to = ts("2026-03-09T00:00-04:00");
        assert_eq!(
            cal.working_intervals(from, to),
            vec![(ts("2026-03-08T03:00-04:00"), ts("2026-03-08T06:00-04:00"))]
        );
    }

    #[test]
    fn zero_amount_returns_the_start_even_outside_working_time() {
        let cal = office("Europe/Berlin");
        let sunday = local("Europe/Berlin", "2026-03-08T10:00");
        assert_eq!(cal.add_working_time(sunday, SignedDuration::ZERO), Some(sunday));
        // Any positive amount waits for Monday.
        assert_eq!(
            cal.add_working_time(sunday, minutes(1)),
            Some(local("Europe/Berlin", "2026-03-09T08:01"))
        );
    }

    #[test]
    fn amount_used_up_at_the_end_of_a_shift_ends_there() {
        let cal = office("Europe/Berlin");
        let start = local("Europe/Berlin", "2026-03-02T08:00");
        assert_eq!(cal.add_working_time(start, hours(4)), Some(local("Europe/Berlin", "2026-03-02T12:00")));
    }

    #[test]
    fn negative_amount_has_no_answer() {
        assert_eq!(Calendar::always_on().add_working_time(ts("2026-03-02T00:00Z"), hours(-1)), None);
    }

    #[test]
    fn closed_calendar_gives_up_after_the_search_horizon() {
        let cal = Calendar::new("Europe/Berlin", WeeklyHours::closed());
        assert_eq!(cal.add_working_time(ts("2026-03-02T00:00Z"), minutes(1)), None);
        // A special working day within the horizon is still found.
        let mut once = cal;
        once.special_days.push(SpecialDay::with_hours(
            date(2028, 1, 3),
            "Audit",
            vec![shift("09:00", "10:00")],
        ));
        assert_eq!(
            once.add_working_time(ts("2026-03-02T00:00Z"), minutes(30)),
            Some(local("Europe/Berlin", "2028-01-03T09:30"))
        );
    }

    #[test]
    fn always_on_counts_wall_time() {
        let cal = Calendar::always_on();
        assert_eq!(cal.validate(), Ok(()));
        let from = ts("2026-01-01T00:00Z");
        let to = ts("2027-01-01T00:00Z");
        assert_eq!(cal.working_time(from, to), hours(365 * 24));
        assert_eq!(cal.working_intervals(from, to), vec![(from, to)]);
        assert_eq!(cal.working_time(to, from), SignedDuration::ZERO);
    }

    #[test]
    fn validate_reports_every_problem() {
        let mut week = WeeklyHours::closed();
        week.monday = vec![shift("08:00", "12:00"), shift("11:00", "13:00"), shift("09:00", "09:00")];
        week.tuesday = vec![shift("22:00", "06:00")];
        week.wednesday = vec![shift("05:00", "09:00")];
        let mut cal = Calendar::new("Mars/Olympus_Mons", week);
        cal.special_days.push(SpecialDay::holiday(date(2026, 12, 25), "Christmas"));
        cal.special_days.push(SpecialDay::holiday(date(2026, 12, 25), "Christmas Day"));
        // 2026-12-23 is a Wednesday: Tuesday night's shift runs into the special day's morning.
        cal.special_days.push(SpecialDay::with_hours(
            date(2026, 12, 23),
            "Short day",
            vec![shift("04:00", "10:00")],
        ));

        let errors = cal.validate().expect_err("the calendar has problems");
        let expected = [
            CalendarError::UnknownTimeZone("Mars/Olympus_Mons".to_owned()),
            CalendarError::EmptyShift {
                day: DayRef::Weekday(Weekday::Monday),
                shift: shift("09:00", "09:00"),
            },
            CalendarError::OverlappingShifts {
                day: DayRef::Weekday(Weekday::Monday),
                first: shift("08:00", "12:00"),
                second: shift("11:00", "13:00"),
            },
            CalendarError::OvernightShiftRunsIntoNextDay {
                day: DayRef::Weekday(Weekday::Tuesday),
                shift: shift("22:00", "06:00"),
                next_day: DayRef::Weekday(Weekday::Wednesday),
                next_shift: shift("05:00", "09:00"),
            },
            CalendarError::DuplicateSpecialDay(date(2026, 12, 25)),
            CalendarError::OvernightShiftRunsIntoNextDay {
                day: DayRef::Date(date(2026, 12, 22)),
                shift: shift("22:00", "06:00"),
                next_day: DayRef::Date(date(2026, 12, 23)),
                next_shift: shift("04:00", "10:00"),
            },
        ];
        for e in &expected {
            assert!(errors.contains(e), "missing {e:?} in {errors:?}");
        }
        assert_eq!(errors.len(), expected.len(), "{errors:?}");
    }

    #[test]
    fn error_messages_name_the_day_and_the_field() {
        let overlap = CalendarError::OverlappingShifts {
            day: DayRef::Weekday(Weekday::Monday),
            first: shift("08:00", "12:00"),
            second: shift("11:00", "13:00"),
        };
        assert_eq!(overlap.to_string(), "Monday: the shifts 08:00–12:00 and 11:00–13:00 overlap");
        assert_eq!(overlap.field(), "week.monday");
        let duplicate = CalendarError::DuplicateSpecialDay(date(2026, 12, 25));
        assert_eq!(duplicate.to_string(), "2026-12-25 is listed more than once as a special day");
        assert_eq!(duplicate.field(), "special_days.2026-12-25");
        assert!(CalendarError::UnknownTimeZone("X".to_owned()).to_string().contains("IANA"));
    }

    #[test]
    fn calendar_round_trips_through_json() {
        let mut cal = office("America/New_York");
        cal.special_days.push(SpecialDay::holiday(date(2026, 7, 3), "Independence Day (observed)"));
        let json = serde_json::to_string(&cal).expect("serialises");
        assert!(json.contains("\"monday\":[{\"start\":\"08:00:00\",\"end\":\"12:00:00\"}"), "{json}");
        let back: Calendar = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, cal);
        // Missing days are closed, missing special days empty.
        let sparse: Calendar = serde_json::from_str(
            r#"{"time_zone":"UTC","week":{"friday":[{"start":"09:00","end":"10:00"}]}}"#,
        )
        .expect("deserialises");
        assert_eq!(sparse.week.on(Weekday::Friday), &[shift("09:00", "10:00")]);
        assert!(sparse.week.monday.is_empty() && sparse.special_days.is_empty());
    }

    #[test]
    fn editing_a_calendar_leaves_past_measurements_unchanged() {
        let v1 = office("Europe/Berlin");
        let v2 = Calendar::always_on();
        let t0 = ts("2026-01-01T00:00Z");
        let t1 = ts("2026-03-04T12:00Z");
        let history = CalendarHistory::new(vec![(t0, v1.clone()), (t1, v2.clone())]);
        let a = ts("2026-02-20T10:00Z");
        for b in [ts("2026-03-01T00:00Z"), t1] {
            assert_eq!(history.working_time(a, b), v1.working_time(a, b));
            assert_eq!(history.working_intervals(a, b), v1.working_intervals(a, b));
        }
        // Across the edit each part is measured by its own version.
        let c = ts("2026-03-05T12:00Z");
        assert_eq!(history.working_time(a, c), v1.working_time(a, t1) + v2.working_time(t1, c));
        assert_eq!(history.version_at(ts("2025-06-01T00:00Z")), &v1, "the first version covers earlier time");
        assert_eq!(history.version_at(t1), &v2);
        // A deadline running past the edit uses the new hours after it: one working hour before
        // lunch (10:00Z–11:00Z), lunch until the edit at 12:00Z, then around the clock.
        let start = local("Europe/Berlin", "2026-03-04T11:00");
        assert_eq!(history.add_working_time(start, hours(3)), Some(ts("2026-03-04T14:00Z")));
    }

    #[test]
    fn history_keeps_the_last_of_versions_with_the_same_instant() {
        let t0 = ts("2026-01-01T00:00Z");
        let history = CalendarHistory::new(vec![(t0, office("UTC")), (t0, Calendar::always_on())]);
        assert_eq!(history.versions().len(), 1);
        assert_eq!(history.version_at(t0), &Calendar::always_on());
        assert_eq!(CalendarHistory::new(Vec::new()).version_at(t0), &Calendar::always_on());
    }

    /// An iCalendar text from its lines, CRLF-terminated as RFC 5545 writes them; line `n` of the
    /// file is `lines[n - 1]`.
    fn ical(lines: &[&str]) -> String {
        lines.iter().map(|line| format!("{line}\r\n")).collect()
    }

    fn dates(days: &[SpecialDay]) -> Vec<Date> {
        days.iter().map(|d| d.date).collect()
    }

    #[test]
    fn ical_import_reads_all_day_events_and_multi_day_ranges() {
        let text = ical(&[
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Test//Holidays//EN",
            "BEGIN:VTIMEZONE",
            "TZID:Europe/Berlin",
            "BEGIN:STANDARD",
            "DTSTART:19701025T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "END:STANDARD",
            "END:VTIMEZONE",
            "BEGIN:VEVENT",
            "UID:newyear@example",
            "DTSTART;VALUE=DATE:20260101",
            "SUMMARY:New Year",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:xmas@example",
            "DTSTART;VALUE=DATE:20261224",
            "DTEND;VALUE=DATE:20261227",
            "SUMMARY:Christmas\\, with Eve",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "DESCRIPTION:Reminder",
            "TRIGGER:-PT15M",
            "END:VALARM",
            "END:VEVENT",
            "BEGIN:VTODO",
            "DTSTART;VALUE=DATE:20260301",
            "SUMMARY:Not a holiday",
            "END:VTODO",
            "BEGIN:VEVENT",
            "DTSTART;TZID=Europe/Berlin:20260501T090000",
            "DTEND;TZID=Europe/Berlin:20260503T170000",
            "SUMMARY:Labour",
            "  Day",
            "END:VEVENT",
            "END:VCALENDAR",
        ]);
        let days = holidays_from_ical(&text).expect("imports");
        let got: Vec<(Date, &str)> = days.iter().map(|d| (d.date, d.name.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (date(2026, 1, 1), "New Year"),
                // A timed event counts on its start date only.
                (date(2026, 5, 1), "Labour Day"),
                (date(2026, 12, 24), "Christmas, with Eve"),
                (date(2026, 12, 25), "Christmas, with Eve"),
                (date(2026, 12, 26), "Christmas, with Eve"),
            ]
        );
        assert!(days.iter().all(|d| d.shifts.is_empty()), "holidays are closed");
        let mut cal = office("Europe/Berlin");
        cal.special_days = days;
        assert_eq!(cal.validate(), Ok(()));
    }

    #[test]
    fn ical_unfolds_lines_and_unescapes_text() {
        // LF line ends are accepted too.
        let text = [
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20260615",
            "SUMMARY:Summer\\; sun",
            "  party\\\\\\nnext line",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        .join("\n");
        let days = holidays_from_ical(&text).expect("imports");
        assert_eq!(days, vec![SpecialDay::holiday(date(2026, 6, 15), "Summer; sun party\\\nnext line")]);
    }

    #[test]
    fn ical_events_on_the_same_date_merge_and_duration_counts_days() {
        let text = ical(&[
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20260406",
            "DURATION:P2D",
            "SUMMARY:Easter",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20260407",
            "DTEND;VALUE=DATE:20260407",
            "SUMMARY:Founders",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20260410",
            "STATUS:CANCELLED",
            "SUMMARY:Called off",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20260412",
            "END:VEVENT",
            "END:VCALENDAR",
        ]);
        let days = holidays_from_ical(&text).expect("imports");
        assert_eq!(
            days,
            vec![
                SpecialDay::holiday(date(2026, 4, 6), "Easter"),
                SpecialDay::holiday(date(2026, 4, 7), "Easter / Founders"),
                SpecialDay::holiday(date(2026, 4, 12), "Holiday"),
            ]
        );
    }

    #[test]
    fn ical_yearly_rules_expand_within_their_bounds() {
        let text = ical(&[
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20241225",
            "RRULE:FREQ=YEARLY;COUNT=3",
            "EXDATE;VALUE=DATE:20251225",
            "SUMMARY:Christmas",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20241128",
            "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;UNTIL=20261231",
            "SUMMARY:Thanksgiving",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20240229",
            "RRULE:FREQ=YEARLY;UNTIL=20281231",
            "SUMMARY:Leap day",
            "END:VEVENT",
            "END:VCALENDAR",
        ]);
        let days = holidays_from_ical(&text).expect("imports");
        assert_eq!(
            dates(&days),
            vec![
                date(2024, 2, 29),
                date(2024, 11, 28),
                date(2024, 12, 25),
                date(2025, 11, 27),
                date(2026, 11, 26),
                date(2026, 12, 25),
                date(2028, 2, 29),
            ]
        );
    }

    #[test]
    fn ical_recurrence_override_moves_one_occurrence() {
        let text = ical(&[
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "UID:founders",
            "DTSTART;VALUE=DATE:20250905",
            "RRULE:FREQ=YEARLY",
            "SUMMARY:Founders' Day",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:founders",
            "RECURRENCE-ID;VALUE=DATE:20260905",
            "DTSTART;VALUE=DATE:20260904",
            "SUMMARY:Founders' Day",
            "END:VEVENT",
            "END:VCALENDAR",
        ]);
        let days = holidays_from_ical_for_years(&text, 2026..=2027).expect("imports");
        assert_eq!(dates(&days), vec![date(2026, 9, 4), date(2027, 9, 5)]);
    }

    #[test]
    fn ical_rule_that_repeats_forever_needs_a_range_of_years() {
        let text = ical(&[
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:19900501",
            "RRULE:FREQ=YEARLY",
            "SUMMARY:Labour Day",
            "END:VEVENT",
            "END:VCALENDAR",
        ]);
        let err = holidays_from_ical(&text).expect_err("unbounded");
        assert_eq!(err, IcalError { line: 4, problem: IcalProblem::UnboundedRule("FREQ=YEARLY".to_owned()) });
        let days = holidays_from_ical_for_years(&text, 2026..=2028).expect("imports");
        assert_eq!(dates(&days), vec![date(2026, 5, 1), date(2027, 5, 1), date(2028, 5, 1)]);
    }

    #[test]
    fn ical_unsupported_rule_is_an_error_naming_the_line() {
        let text = ical(&[
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20260105",
            "SUMMARY:Weekly",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            "END:VEVENT",
            "END:VCALENDAR",
        ]);
        let err = holidays_from_ical(&text).expect_err("unsupported");
        assert_eq!(err.line, 5);
        assert!(
            err.to_string().starts_with("line 5: RRULE \"FREQ=WEEKLY;COUNT=4\" is not supported"),
            "{err}"
        );
    }

    #[test]
    fn ical_error_names_the_line() {
        let bad_date = ical(&[
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "SUMMARY:Folded",
            "  summary",
            "DTSTART;VALUE=DATE:20261332",
            "END:VEVENT",
            "END:VCALENDAR",
        ]);
        let err = holidays_from_ical(&bad_date).expect_err("bad date");
        assert_eq!(err.line, 5, "folded lines still count");
        assert_eq!(
            err.to_string(),
            "line 5: DTSTART \"20261332\" is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS)"
        );

        let event = |body: &[&str]| {
            let mut lines = vec!["BEGIN:VCALENDAR", "BEGIN:VEVENT"];
            lines.extend_from_slice(body);
            ical(&lines)
        };
        let cases = [
            (ical(&["Hello"]), 1, IcalProblem::NotICalendar),
            (event(&["SUMMARY:No start", "END:VEVENT", "END:VCALENDAR"]), 2, IcalProblem::MissingStart),
            (event(&["DTSTART;VALUE=DATE:20260101"]), 2, IcalProblem::Unclosed("VEVENT".to_owned())),
            (
                event(&["DTSTART;VALUE=DATE:20260101", "END:VTODO"]),
                4,
                IcalProblem::MismatchedEnd { open: "VEVENT".to_owned(), found: "VTODO".to_owned() },
            ),
            (
                event(&[
                    "DTSTART;VALUE=DATE:20260105",
                    "DTEND;VALUE=DATE:20260101",
                    "END:VEVENT",
                    "END:VCALENDAR",
                ]),
                4,
                IcalProblem::EndBeforeStart { start: date(2026, 1, 5), end: date(2026, 1, 1) },
            ),
            (
                event(&["DTSTART", "END:VEVENT", "END:VCALENDAR"]),
                3,
                IcalProblem::MalformedLine("DTSTART".to_owned()),
            ),
            (
                event(&["DTSTART;VALUE=DATE:20260101", "EXRULE:FREQ=YEARLY", "END:VEVENT", "END:VCALENDAR"]),
                4,
                IcalProblem::UnsupportedProperty("EXRULE".to_owned()),
            ),
        ];
        for (text, line, problem) in cases {
            assert_eq!(holidays_from_ical(&text), Err(IcalError { line, problem }), "{text:?}");
        }
    }

    // ---- properties ----------------------------------------------------------------------

    const ZONES: [&str; 5] =
        ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"];
    /// 2025-01-01T00:00:00Z; generated instants lie in the three years after it.
    const EPOCH: i64 = 1_735_689_600;
    const SPAN_SECONDS: i64 = 3 * 365 * 86_400;

    fn quarter(q: u16) -> Time {
        Time::new(i8::try_from(q / 4).expect("an hour"), i8::try_from(q % 4 * 15).expect("a minute"), 0, 0)
            .expect("a quarter-hour of the day")
    }

    /// Non-overlapping daytime shifts from quarter-hour boundaries, paired in order.
    fn daytime_shifts(points: &[u16]) -> Vec<Shift> {
        let mut points = points.to_vec();
        points.sort_unstable();
        points.dedup();
        points.chunks_exact(2).map(|pair| Shift::new(quarter(pair[0]), quarter(pair[1]))).collect()
    }

    #[derive(Debug, Clone)]
    struct DayPlan {
        points: Vec<u16>,
        all_day: bool,
        /// Start from 16:00, end before 08:00 (clamped to the next day's first shift).
        overnight: Option<(u16, u16)>,
    }

    fn day_plan() -> impl Strategy<Value = DayPlan> {
        (
            proptest::collection::vec(0u16..96, 0..6),
            proptest::bool::weighted(0.1),
            proptest::option::of((64u16..96, 0u16..32)),
        )
            .prop_map(|(points, all_day, overnight)| DayPlan { points, all_day, overnight })
    }

    /// Quarter-hour span of a day's shifts as generated: (first start, last end), ignoring overnight.
    fn bounds(shifts: &[Shift]) -> (u16, u16) {
        let q = |t: Time| {
            u16::try_from(t.hour()).expect("hour") * 4 + u16::try_from(t.minute()).expect("minute") / 15
        };
        let first = shifts.iter().map(|s| q(s.start)).min().unwrap_or(96);
        let last =
            shifts.iter().map(|s| if s.end == Time::midnight() { 96 } else { q(s.end) }).max().unwrap_or(0);
        (first, last)
    }

    fn build_calendar(zone: &str, plans: &[DayPlan; 7], specials: &[(u32, Option<Vec<u16>>)]) -> Calendar {
        let mut days: Vec<Vec<Shift>> = plans
            .iter()
            .map(|p| if p.all_day { vec![Shift::all_day()] } else { daytime_shifts(&p.points) })
            .collect();
        let firsts: Vec<u16> = days.iter().map(|d| bounds(d).0).collect();
        for (i, plan) in plans.iter().enumerate() {
            if let Some((start, end)) = plan.overnight
                && !plan.all_day
                && start >= bounds(&days[i]).1
            {
                let end = end.min(firsts[(i + 1) % 7]);
                days[i].push(Shift::new(quarter(start), quarter(end)));
            }
        }
        let mut week = WeeklyHours::closed();
        for (day, shifts) in WEEK.into_iter().zip(days) {
            *week.on_mut(day) = shifts;
        }
        let mut by_date = BTreeMap::new();
        for (offset, hours) in specials {
            let day = add_days(date(2025, 1, 1), i64::from(*offset)).expect("in range");
            // Special hours start at 08:00 or later, after any overnight spill.
            let shifts = hours.as_deref().map(daytime_shifts).unwrap_or_default();
            by_date.entry(day).or_insert_with(|| SpecialDay::with_hours(day, "Special", shifts));
        }
        Calendar { time_zone: zone.to_owned(), week, special_days: by_date.into_values().collect() }
    }

    pub(crate) fn calendar() -> impl Strategy<Value = Calendar> {
        (
            proptest::sample::select(ZONES.to_vec()),
            proptest::array::uniform7(day_plan()),
            proptest::collection::vec(
                (0u32..1100, proptest::option::of(proptest::collection::vec(32u16..96, 0..4))),
                0..8,
            ),
        )
            .prop_map(|(zone, plans, specials)| build_calendar(zone, &plans, &specials))
    }

    fn instant() -> impl Strategy<Value = Timestamp> {
        (0..SPAN_SECONDS).prop_map(|s| Timestamp::from_second(EPOCH + s).expect("valid instant"))
    }

    fn amount() -> impl Strategy<Value = SignedDuration> {
        (1i64..100 * 3600).prop_map(SignedDuration::from_secs)
    }

    fn ordered(a: Timestamp, b: Timestamp) -> (Timestamp, Timestamp) {
        if a <= b { (a, b) } else { (b, a) }
    }

    fn second() -> SignedDuration {
        SignedDuration::from_secs(1)
    }

    /// `add_working_time`'s contract: `working_time(start, r) == d`, `r` the earliest such instant,
    /// or `None` only when there is not enough working time within the horizon.
    fn check_added(
        working_time: impl Fn(Timestamp, Timestamp) -> SignedDuration,
        start: Timestamp,
        d: SignedDuration,
        result: Option<Timestamp>,
    ) -> Result<(), TestCaseError> {
        match result {
            Some(r) => {
                prop_assert!(r >= start);
                prop_assert_eq!(working_time(start, r), d);
                if d.is_positive() {
                    prop_assert!(working_time(start, r - second()) < d);
                }
            }
            None => {
                let horizon_end = start.checked_add(SEARCH_HORIZON).expect("in range");
                prop_assert!(working_time(start, horizon_end) < d);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn generated_calendars_are_valid(cal in calendar()) {
            prop_assert_eq!(cal.validate(), Ok(()));
        }

        #[test]
        fn working_time_is_additive(cal in calendar(), a in instant(), b in instant(), c in instant()) {
            let mut v = [a, b, c];
            v.sort();
            let [a, b, c] = v;
            prop_assert_eq!(cal.working_time(a, c), cal.working_time(a, b) + cal.working_time(b, c));
        }

        #[test]
        fn adding_working_time_is_the_inverse_of_measuring_it(
            cal in calendar(), t in instant(), d in amount()
        ) {
            // From any start.
            check_added(|a, b| cal.working_time(a, b), t, d, cal.add_working_time(t, d))?;
            // From a working start: the first working instant within a month.
            let month_later = t.checked_add(SignedDuration::from_hours(31 * 24)).expect("in range");
            if let Some((s, _)) = cal.working_intervals(t, month_later).first().copied() {
                prop_assert!(cal.is_working(s));
                let r = cal.add_working_time(s, d);
                prop_assert!(r.is_some(), "a calendar with working time finds it again");
                check_added(|a, b| cal.working_time(a, b), s, d, r)?;
            }
        }

        #[test]
        fn adding_more_working_time_never_ends_earlier(
            cal in calendar(), t in instant(), d1 in amount(), d2 in amount()
        ) {
            let (d1, d2) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
            match (cal.add_working_time(t, d1), cal.add_working_time(t, d2)) {
                (Some(r1), Some(r2)) => prop_assert!(r1 <= r2),
                (None, r2) => prop_assert_eq!(r2, None),
                (Some(_), None) => {}
            }
            prop_assert_eq!(cal.add_working_time(t, SignedDuration::ZERO), Some(t));
        }

        #[test]
        fn always_on_working_time_is_wall_time(a in instant(), b in instant(), d in amount()) {
            let cal = Calendar::always_on();
            let (a, b) = ordered(a, b);
            prop_assert_eq!(cal.working_time(a, b), b.duration_since(a));
            prop_assert_eq!(cal.add_working_time(a, d), Some(a + d));
            prop_assert!(cal.is_working(a));
        }

        #[test]
        fn intervals_are_sorted_disjoint_within_bounds_and_sum_to_working_time(
            cal in calendar(), a in instant(), b in instant()
        ) {
            let (a, b) = ordered(a, b);
            let intervals = cal.working_intervals(a, b);
            for (start, end) in &intervals {
                prop_assert!(a <= *start && start < end && *end <= b);
            }
            for pair in intervals.windows(2) {
                prop_assert!(pair[0].1 < pair[1].0, "merged where adjacent: {:?}", pair);
            }
            prop_assert_eq!(total(&intervals), cal.working_time(a, b));
        }

        #[test]
        fn is_working_agrees_with_the_intervals(cal in calendar(), at in instant()) {
            let day = SignedDuration::from_hours(24);
            let inside = cal.working_intervals(at - day, at + day).iter().any(|(s, e)| *s <= at && at < *e);
            prop_assert_eq!(cal.is_working(at), inside);
        }

        #[test]
        fn history_with_one_version_is_the_calendar(
            cal in calendar(), from in instant(), a in instant(), b in instant(), d in amount()
        ) {
            let history = CalendarHistory::new(vec![(from, cal.clone())]);
            let (a, b) = ordered(a, b);
            prop_assert_eq!(history.working_time(a, b), cal.working_time(a, b));
            prop_assert_eq!(history.working_intervals(a, b), cal.working_intervals(a, b));
            prop_assert_eq!(history.add_working_time(a, d), cal.add_working_time(a, d));
            prop_assert_eq!(history.version_at(a), &cal);
        }

        #[test]
        fn history_measures_each_moment_by_the_version_in_force(
            v1 in calendar(), v2 in calendar(), t0 in instant(), t1 in instant(),
            a in instant(), b in instant(), c in instant(), d in amount()
        ) {
            let (t0, t1) = ordered(t0, t1);
            prop_assume!(t0 < t1);
            let history = CalendarHistory::new(vec![(t1, v2.clone()), (t0, v1.clone())]);
            // Before the edit: as under the first version alone.
            let (a, b) = ordered(a.min(t1), b.min(t1));
            prop_assert_eq!(history.working_time(a, b), v1.working_time(a, b));
            prop_assert_eq!(history.working_intervals(a, b), v1.working_intervals(a, b));
            // Across it: each side by its own version.
            let c = c.max(t1);
            prop_assert_eq!(history.working_time(a, c), v1.working_time(a, t1) + v2.working_time(t1, c));
            check_added(|x, y| history.working_time(x, y), a, d, history.add_working_time(a, d))?;
        }
    }
}
