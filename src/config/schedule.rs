//! Crontab expressions as people write them, turned into `cron::Schedule`s.
//!
//! The `cron` crate wants a seconds field first and numbers weekdays Quartz-style
//! (1 = Sunday … 7 = Saturday, 0 is an error). Users write the POSIX crontab form:
//! five fields, weekdays 0–7 with 0 and 7 both Sunday. Passing their numbers through
//! would silently shift every weekday by one, so the day-of-week field is expanded
//! here into explicit day names, which both sides read the same way.

use std::fmt;

/// A validated schedule: the expression as written plus the parsed form.
#[derive(Clone)]
pub struct Schedule {
    /// The expression exactly as it appeared in the config.
    pub source: String,
    /// The 6-field expression handed to the `cron` crate.
    pub normalized: String,
    // Shared: a parsed cron schedule holds sets of every field's values (kilobytes),
    // and every feed on the default schedule clones the daemon's.
    inner: std::sync::Arc<cron::Schedule>,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.source)
    }
}

impl Schedule {
    /// Parses a 5-field crontab line, a 6-field line with seconds first, or one of
    /// `@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`.
    pub fn parse(source: &str) -> Result<Schedule, String> {
        let normalized = normalize(source)?;
        let inner: cron::Schedule = normalized
            .parse()
            .map_err(|e| format!("invalid schedule {source:?}: {e}"))?;
        if inner.upcoming(chrono::Utc).next().is_none() {
            return Err(format!("schedule {source:?} never fires"));
        }
        Ok(Schedule {
            source: source.to_string(),
            normalized,
            inner: std::sync::Arc::new(inner),
        })
    }

    /// The first fire time strictly after `after`, in the given time zone.
    pub fn next_after<Z: chrono::TimeZone>(
        &self,
        after: &chrono::DateTime<Z>,
    ) -> Option<chrono::DateTime<Z>> {
        self.inner.after(after).next()
    }
}

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn normalize(source: &str) -> Result<String, String> {
    let trimmed = source.trim();
    if let Some(macro_name) = trimmed.strip_prefix('@') {
        let six = match macro_name.to_ascii_lowercase().as_str() {
            "hourly" => "0 0 * * * *",
            "daily" | "midnight" => "0 0 0 * * *",
            "weekly" => "0 0 0 * * SUN",
            "monthly" => "0 0 0 1 * *",
            "yearly" | "annually" => "0 0 0 1 1 *",
            _ => {
                return Err(format!(
                    "unknown schedule {trimmed:?}: expected @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually"
                ));
            }
        };
        return Ok(six.to_string());
    }
    let mut fields: Vec<String> = trimmed.split_whitespace().map(str::to_string).collect();
    match fields.len() {
        5 => fields.insert(0, "0".to_string()),
        6 => {}
        n => {
            return Err(format!(
                "schedule {trimmed:?} has {n} fields: expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)"
            ));
        }
    }
    fields[5] = day_of_week(&fields[5]).map_err(|e| format!("schedule {trimmed:?}: {e}"))?;
    Ok(fields.join(" "))
}

/// Expands a POSIX day-of-week field (0–7, 0 and 7 = Sunday, names, ranges, lists,
/// steps) into a list of day names.
fn day_of_week(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" {
        return Ok(field.to_string());
    }
    let mut days = [false; 7];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: usize =
                    s.parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                        format!("day-of-week step {s:?} is not a positive number")
                    })?;
                (r, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (0, 6)
        } else if let Some((a, b)) = range.split_once('-') {
            (day_number(a)?, day_number(b)?)
        } else {
            let d = day_number(range)?;
            // "5/2" in crontab means "from 5 to the end, every 2nd".
            if part.contains('/') { (d, 7) } else { (d, d) }
        };
        if lo > hi {
            return Err(format!(
                "day-of-week range {range:?} runs backwards (write it as two ranges)"
            ));
        }
        for d in (lo..=hi).step_by(step) {
            days[d % 7] = true;
        }
    }
    let names: Vec<&str> = (0..7).filter(|&d| days[d]).map(|d| DAY_NAMES[d]).collect();
    Ok(names.join(","))
}

fn day_number(token: &str) -> Result<usize, String> {
    if let Ok(n) = token.parse::<usize>() {
        return if n <= 7 {
            Ok(n)
        } else {
            Err(format!(
                "day-of-week {n} is out of range (0-7, where 0 and 7 are Sunday)"
            ))
        };
    }
    let upper = token.to_ascii_uppercase();
    DAY_NAMES
        .iter()
        .position(|name| upper == *name)
        .ok_or_else(|| format!("day-of-week {token:?} is not a day (0-7 or SUN-SAT)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Utc, Weekday};

    fn fires(expr: &str, n: usize) -> Vec<chrono::DateTime<Utc>> {
        let s = Schedule::parse(expr).unwrap();
        // 2026-11-28 is a Saturday.
        let mut t = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 30).unwrap();
        let mut out = Vec::new();
        for _ in 0..n {
            t = s.next_after(&t).unwrap();
            out.push(t);
        }
        out
    }

    #[test]
    fn five_fields_get_a_seconds_field() {
        assert_eq!(
            Schedule::parse("*/15 * * * *").unwrap().normalized,
            "0 */15 * * * *"
        );
        let t = fires("*/15 * * * *", 2);
        assert_eq!((t[0].minute(), t[0].second()), (15, 0));
        assert_eq!(t[1].minute(), 30);
    }

    #[test]
    fn posix_weekday_numbers_are_not_shifted() {
        // The cron crate alone would read 1-5 as Sunday..Thursday.
        let days: Vec<Weekday> = fires("0 9 * * 1-5", 5)
            .iter()
            .map(|t| t.weekday())
            .collect();
        assert_eq!(
            days,
            [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri
            ]
        );
    }

    #[test]
    fn zero_and_seven_are_sunday() {
        for expr in ["0 9 * * 0", "0 9 * * 7", "0 9 * * sun"] {
            for t in fires(expr, 3) {
                assert_eq!(t.weekday(), Weekday::Sun, "{expr}");
            }
        }
        assert_eq!(fires("0 9 * * 6", 1)[0].weekday(), Weekday::Sat);
    }

    #[test]
    fn names_ranges_lists_and_steps() {
        assert_eq!(day_of_week("mon-fri").unwrap(), "MON,TUE,WED,THU,FRI");
        assert_eq!(day_of_week("0,7").unwrap(), "SUN");
        assert_eq!(day_of_week("*/2").unwrap(), "SUN,TUE,THU,SAT");
        assert_eq!(day_of_week("5/1").unwrap(), "SUN,FRI,SAT");
        assert_eq!(day_of_week("Sat,1").unwrap(), "MON,SAT");
    }

    #[test]
    fn six_fields_have_seconds_first() {
        let t = fires("30 0 12 * * *", 1);
        assert_eq!((t[0].hour(), t[0].minute(), t[0].second()), (12, 0, 30));
    }

    #[test]
    fn macros() {
        assert_eq!(fires("@hourly", 1)[0].minute(), 0);
        assert_eq!(fires("@daily", 1)[0].hour(), 0);
        assert_eq!(fires("@weekly", 1)[0].weekday(), Weekday::Sun);
        assert!(Schedule::parse("@fortnightly").is_err());
    }

    #[test]
    fn bad_expressions_say_why() {
        let e = Schedule::parse("* * * *").unwrap_err();
        assert!(e.contains("has 4 fields"), "{e}");
        let e = Schedule::parse("0 9 * * 8").unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        let e = Schedule::parse("0 9 * * fri-mon").unwrap_err();
        assert!(e.contains("backwards"), "{e}");
        let e = Schedule::parse("61 * * * *").unwrap_err();
        assert!(e.contains("invalid schedule"), "{e}");
        let e = Schedule::parse("0 0 31 2 *").unwrap_err();
        assert!(e.contains("never fires"), "{e}");
    }

    use chrono::Timelike;
}
