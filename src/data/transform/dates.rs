//! Dates and timestamps in PostgreSQL's text output (`2024-03-05`,
//! `2024-03-05 12:34:56.789+00`): the date part moves, the rest follows.

use chrono::{Datelike, Duration, NaiveDate};

/// A parsed date with whatever followed it.
pub struct Stamp<'a> {
    date: NaiveDate,
    rest: &'a str,
}

impl<'a> Stamp<'a> {
    /// Parse the leading `YYYY-MM-DD`.
    pub fn parse(v: &'a str) -> Option<Stamp<'a>> {
        let head = v.get(..10)?;
        let date = NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
        Some(Stamp {
            date,
            rest: &v[10..],
        })
    }

    /// Moved by `days`.
    pub fn shifted(&self, days: i64) -> Option<String> {
        let d = self.date.checked_add_signed(Duration::days(days))?;
        Some(format!("{}{}", d.format("%Y-%m-%d"), self.rest))
    }

    /// The first day of its month (or year), at midnight, offset kept.
    pub fn truncated(&self, year: bool) -> String {
        let d = if year {
            NaiveDate::from_ymd_opt(self.date.year(), 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.date.year(), self.date.month(), 1)
        }
        .unwrap_or(self.date);
        if self.rest.is_empty() {
            return d.format("%Y-%m-%d").to_string();
        }
        // Keep a trailing offset (`+00`, `-05:30`) after the time.
        let time = self.rest.trim_start();
        let offset = time
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '+' || *c == '-')
            .map(|(i, _)| &time[i..])
            .unwrap_or("");
        format!("{} 00:00:00{offset}", d.format("%Y-%m-%d"))
    }
}
