//! Small helpers: time formatting, random secrets, ids, rich text.

use rand::Rng;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Format unix milliseconds as RFC 3339 UTC with milliseconds: `2026-11-25T03:40:00.000Z`.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// Format unix milliseconds as an HTTP date (RFC 7231 IMF-fixdate):
/// `Mon, 07 Dec 2026 12:00:00 GMT`.
pub fn http_date(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// S3's `X-Amz-Date` form of unix milliseconds: `20261207T120000Z`.
pub fn amz_date(ms: i64) -> String {
    let t = rfc3339(ms);
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).take(14).collect();
    format!("{}T{}Z", &digits[..8], &digits[8..])
}

/// The unix milliseconds of an `X-Amz-Date` (`20261207T120000Z`).
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400) + h * 3600 + mi * 60 + se) * 1000)
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Random lowercase hex of `bytes` random bytes.
pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// Random string from an alphabet.
pub fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// A new token `ntn_<40 base62 chars>` (~238 bits).
pub fn new_token() -> String {
    const B62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    format!("ntn_{}", random_from(B62, 40))
}

/// A human-comparable code like `KXQ4-7HTM-W2PD` (no 0/O/1/I/L; ~59 bits).
pub fn verification_code() -> String {
    const ALPHA: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let g = || random_from(ALPHA, 4);
    format!("{}-{}-{}", g(), g(), g())
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Normalise a Notion id (with or without dashes) to the dashed lowercase form.
pub fn normalize_id(raw: &str) -> Option<String> {
    let hex: String = raw.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// A full Notion rich text object for plain text.
pub fn rich_text(content: &str) -> Value {
    json!({
        "type": "text",
        "text": {"content": content, "link": null},
        "annotations": {"bold": false, "italic": false, "strikethrough": false,
            "underline": false, "code": false, "color": "default"},
        "plain_text": content,
        "href": null,
    })
}

/// Concatenated plain text of a rich text array.
pub fn plain_text(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("plain_text").and_then(Value::as_str))
                .collect::<String>()
        })
        .unwrap_or_default()
}

/// HTML-escape text.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn formats_time() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_578_000_123), "2026-11-25T03:40:00.123Z");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date(1_796_644_800_999),
            "Mon, 07 Dec 2026 12:00:00 GMT"
        );
        assert_eq!(amz_date(1_796_644_800_999), "20261207T120000Z");
        assert_eq!(parse_amz_date("20261207T120000Z"), Some(1_796_644_800_000));
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("2026-12-07"), None);
    }
    #[test]
    fn codes() {
        let c = verification_code();
        assert_eq!(c.len(), 14);
        assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(
            normalize_id("11111111111141118111111111111111").as_deref(),
            Some("11111111-1111-4111-8111-111111111111")
        );
        assert!(normalize_id("nope").is_none());
    }
}
