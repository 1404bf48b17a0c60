//! Dates in `--where`: ISO dates (`2025-03-01`), date-times with a zone
//! (`2025-03-01T09:30:00Z`, `…+02:00`), and dates relative to today
//! (`today`, `yesterday`, `tomorrow`, `-7d`, `+2w`, `-1m`, `+1y`).
//!
//! "Today" is a date in the person's time zone: the caller gives the time
//! (from the injected clock, never the system's directly) and the `TZ`
//! variable; [`local_today`] turns them into a date with jiff (time zone
//! database, DST), UTC when no zone can be found. Month and year steps clamp
//! to the end of a shorter month (`2025-01-31` `+1m` is `2025-02-28`).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// The date at `unix_ms` in the time zone `tz` (the `TZ` variable: an IANA
/// name such as `Europe/Paris`, optionally after `:`, a zone file path, or a
/// POSIX rule); without `TZ`, the system's `/etc/localtime`; else UTC.
pub fn local_today(unix_ms: u64, tz: Option<&str>) -> Date {
    let zone = zone(tz);
    let ms = i64::try_from(unix_ms).unwrap_or(i64::MAX);
    match Timestamp::from_millisecond(ms) {
        Ok(t) => t.to_zoned_datetime(zone).date(),
        Err(_) => Date::constant(1970, 1, 1),
    }
}

/// The system's time zone when `TZ` is not set: `/etc/localtime` on Unix (read here,
/// not through jiff, which would also read the process's own `TZ`, and the command's
/// variables are the ones that count); the Windows API's on Windows, which has no
/// such file.
#[cfg(not(windows))]
fn system_zone() -> TimeZone {
    std::fs::read("/etc/localtime")
        .ok()
        .and_then(|b| TimeZone::tzif("localtime", &b).ok())
        .unwrap_or(TimeZone::UTC)
}

#[cfg(windows)]
fn system_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

fn zone(tz: Option<&str>) -> TimeZone {
    let Some(name) = tz.map(str::trim).filter(|s| !s.is_empty()) else {
        return system_zone();
    };
    let name = name.strip_prefix(':').unwrap_or(name);
    if name.starts_with('/') {
        return std::fs::read(name)
            .ok()
            .and_then(|b| TimeZone::tzif(name, &b).ok())
            .unwrap_or(TimeZone::UTC);
    }
    TimeZone::get(name)
        .or_else(|_| TimeZone::posix(name))
        .unwrap_or(TimeZone::UTC)
}

/// What Notion's date conditions get: `YYYY-MM-DD`, or a date-time in UTC.
/// The error says what was wrong, for a "did you mean"-style message.
pub fn parse(text: &str, today: Date) -> Result<String, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let day = |n: i64| shift(today, Span::new().days(n));
    match lower.as_str() {
        "today" => return day(0),
        "yesterday" => return day(-1),
        "tomorrow" => return day(1),
        _ => {}
    }
    if let Some(sign) = lower.chars().next().filter(|c| *c == '+' || *c == '-') {
        let body = &lower[1..];
        let unit = body.chars().last().unwrap_or(' ');
        if unit.is_ascii_digit() {
            return Err(format!("{t:?} has no unit: d, w, m or y"));
        }
        let digits = &body[..body.len().saturating_sub(1)];
        let n: i64 = digits
            .parse()
            .ok()
            .filter(|n| (0..=100_000).contains(n) && !digits.starts_with('+'))
            .ok_or_else(|| format!("{t:?} is not a relative date"))?;
        let n = if sign == '-' { -n } else { n };
        let span = match unit {
            'd' => Span::new().days(n),
            'w' => Span::new().weeks(n),
            'm' => Span::new().months(n),
            'y' => Span::new().years(n),
            _ => return Err(format!("{t:?} has no unit: d, w, m or y")),
        };
        return shift(today, span);
    }
    if t.len() == 10 {
        return t
            .parse::<Date>()
            .map(|d| d.to_string())
            .map_err(|_| format!("{t:?} is not a date"));
    }
    if t.len() > 10
        && t.as_bytes()
            .get(10)
            .is_some_and(|b| matches!(b, b'T' | b't' | b' '))
    {
        return match t.parse::<Timestamp>() {
            Ok(ts) => Ok(ts.to_string()),
            Err(_) if t.parse::<jiff::civil::DateTime>().is_ok() => Err(format!(
                "{t:?} has no time zone: add Z or an offset such as +02:00"
            )),
            Err(_) => Err(format!("{t:?} is not a date-time")),
        };
    }
    Err(format!("{t:?} is not a date"))
}

fn shift(today: Date, span: Span) -> Result<String, String> {
    today
        .checked_add(span)
        .map(|d| d.to_string())
        .map_err(|_| "that date is out of range".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dates_from_a_given_today() {
        let today = Date::constant(2025, 1, 31);
        for (text, want) in [
            ("today", "2025-01-31"),
            ("Yesterday", "2025-01-30"),
            ("tomorrow", "2025-02-01"),
            ("-7d", "2025-01-24"),
            ("+2w", "2025-02-14"),
            ("+1m", "2025-02-28"),
            ("-1y", "2024-01-31"),
            ("+0d", "2025-01-31"),
            ("2024-02-29", "2024-02-29"),
            ("2025-03-01T09:30:00+02:00", "2025-03-01T07:30:00Z"),
            ("2025-03-01T09:30:00Z", "2025-03-01T09:30:00Z"),
        ] {
            assert_eq!(parse(text, today).as_deref(), Ok(want), "{text}");
        }
        for (text, why) in [
            ("soon", "not a date"),
            ("-7", "no unit"),
            ("-7x", "no unit"),
            ("-d", "not a relative date"),
            ("+-3d", "not a relative date"),
            ("2025-02-30", "not a date"),
            ("2025-03-01T09:30", "no time zone"),
            ("2025-03-01Tnope", "not a date-time"),
            ("+999999y", "not a relative date"),
        ] {
            let e = parse(text, today).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn today_is_the_date_in_the_given_zone() {
        // 2025-01-01T02:00:00Z: still New Year's Eve in New York.
        let ms = 1_735_696_800_000;
        assert_eq!(local_today(ms, Some("UTC")), Date::constant(2025, 1, 1));
        assert_eq!(
            local_today(ms, Some("America/New_York")),
            Date::constant(2024, 12, 31)
        );
        assert_eq!(
            local_today(ms, Some(":Asia/Tokyo")),
            Date::constant(2025, 1, 1)
        );
        assert_eq!(
            local_today(ms, Some("EST5EDT,M3.2.0,M11.1.0")),
            Date::constant(2024, 12, 31)
        );
        // An unknown zone falls back to UTC.
        assert_eq!(
            local_today(ms, Some("Nowhere/Land")),
            Date::constant(2025, 1, 1)
        );
    }
}
