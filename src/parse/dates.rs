//! Dates in the forms feeds write them, for the elements feed-rs does not read
//! (`dcterms:issued`, Atom 0.3 `modified`, CDF `LASTMOD`) and for JSON Feed.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// RFC 3339 / W3C-DTF (with or without seconds, offset or `Z`; a date alone),
/// then RFC 2822. A time without an offset is read as UTC. `None` when it is
/// none of these.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%:z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let naive = s.trim_end_matches('Z');
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(naive, f) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_date_forms() {
        let t = |s| parse(s).map(|d| d.to_rfc3339());
        assert_eq!(
            t("2003-12-31T10:14:55Z").as_deref(),
            Some("2003-12-31T10:14:55+00:00")
        );
        assert_eq!(
            t("2003-12-31T10:14:55-08:00").as_deref(),
            Some("2003-12-31T18:14:55+00:00")
        );
        assert_eq!(
            t("2003-12-31T10:14-08:00").as_deref(),
            Some("2003-12-31T18:14:00+00:00")
        );
        assert_eq!(
            t("2004-04-07T04:05:43").as_deref(),
            Some("2004-04-07T04:05:43+00:00")
        );
        assert_eq!(
            t("2004-01-01").as_deref(),
            Some("2004-01-01T00:00:00+00:00")
        );
        assert_eq!(
            t("Wed, 31 Dec 2003 10:14:55 GMT").as_deref(),
            Some("2003-12-31T10:14:55+00:00")
        );
        assert_eq!(t("soon"), None);
        assert_eq!(t("2003-02-30"), None);
    }
}
