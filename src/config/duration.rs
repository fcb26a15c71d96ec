//! A duration as people write it in config: `"3s"`, `"10m"`, `"500ms"`,
//! `"1m30s"`, or a bare number of seconds (an environment variable such as
//! `FLIGHTDECK__CANARY__AUTO_ROLLBACK_DELAY=0` arrives as a number).

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A config duration; written back in the same short form (`3s`, `10m`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// Whole seconds.
    pub const fn secs(s: u64) -> HumanDuration {
        HumanDuration(Duration::from_secs(s))
    }

    /// Milliseconds.
    pub const fn millis(ms: u64) -> HumanDuration {
        HumanDuration(Duration::from_millis(ms))
    }

    /// The duration.
    pub fn get(self) -> Duration {
        self.0
    }

    /// Whether it is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::core::format::duration_text(self.0))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = HumanDuration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"3s\", \"10m\", \"500ms\" or a number of seconds")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<HumanDuration, E> {
        parse_duration(v).map(HumanDuration).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<HumanDuration, E> {
        Ok(HumanDuration::secs(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<HumanDuration, E> {
        u64::try_from(v)
            .map(HumanDuration::secs)
            .map_err(|_| E::custom(format!("{v} is negative")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<HumanDuration, E> {
        if v.is_finite() && v >= 0.0 {
            Ok(HumanDuration(Duration::from_secs_f64(v)))
        } else {
            Err(E::custom(format!("{v} is not a duration in seconds")))
        }
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HumanDuration, D::Error> {
        d.deserialize_any(DurationVisitor)
    }
}

/// Parse `10s`, `1m`, `1m30s`, `500ms`, `2h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return if n >= 0.0 {
            Ok(Duration::from_secs_f64(n))
        } else {
            Err(format!("\"{s}\" is negative"))
        };
    }
    let mut total = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest[..n_end]
            .parse()
            .map_err(|_| format!("\"{s}\" is not a duration; write e.g. 10s, 1m or 500ms"))?;
        let after = &rest[n_end..];
        let u_end = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let factor = match &after[..u_end] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            u => return Err(format!("\"{s}\": unknown unit \"{u}\"; use ms, s, m or h")),
        };
        total += num * factor;
        rest = &after[u_end..];
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strings_and_numbers_and_writes_the_short_form() {
        for (text, want, back) in [
            ("\"3s\"", 3_000, "3s"),
            ("\"10m\"", 600_000, "10m"),
            ("\"500ms\"", 500, "500ms"),
            ("\"1m30s\"", 90_000, "1m30s"),
            ("\"0s\"", 0, "0s"),
            ("0", 0, "0s"),
            ("2", 2_000, "2s"),
            ("1.5", 1_500, "1500ms"),
        ] {
            let d: HumanDuration = serde_json::from_str(text).expect(text);
            assert_eq!(d.0.as_millis(), want, "{text}");
            assert_eq!(d.to_string(), back, "{text}");
        }
        assert!(serde_json::from_str::<HumanDuration>("\"3 parsecs\"").is_err());
        assert!(serde_json::from_str::<HumanDuration>("-1").is_err());
    }
}
