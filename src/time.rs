//! RFC 3339 timestamps from nanoseconds since the epoch, in UTC, without a
//! calendar dependency (days-from-civil inverse, H. Hinnant's algorithm).

/// Nanoseconds since the Unix epoch: every timestamp in the engine.
pub type Nanos = i64;

/// A capture timestamp, kept as nanoseconds and written as RFC 3339 with
/// microseconds (the reports' form) only when serialized or displayed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub Nanos);

impl Timestamp {
    /// The wall clock now; `SOURCE_DATE_EPOCH` (seconds), when set, stands
    /// in for it so a run can be reproduced byte for byte.
    pub fn now() -> Timestamp {
        if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
        {
            return Timestamp(secs.saturating_mul(1_000_000_000));
        }
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(since.as_nanos()).unwrap_or(i64::MAX))
    }

    /// Microseconds since the epoch, as the tables store them.
    pub fn micros(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_rfc3339(self.0, f)
    }
}

crate::schema_as_string!(Timestamp);

thread_local! {
    static EXACT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While the guard lives, timestamps serialize as nanoseconds (an integer)
/// instead of RFC 3339 with microseconds: for records written out to be
/// read back whole (the call store), not for reports.
pub fn exact_timestamps() -> ExactGuard {
    ExactGuard(EXACT.with(|e| e.replace(true)))
}

pub struct ExactGuard(bool);

impl Drop for ExactGuard {
    fn drop(&mut self) {
        EXACT.with(|e| e.set(self.0));
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if EXACT.with(std::cell::Cell::get) {
            return s.serialize_i64(self.0);
        }
        let text = rfc3339_on_stack(self.0);
        crate::text::serialize_verbatim(s, std::str::from_utf8(&text).unwrap_or_default())
    }
}

/// Reads either form: nanoseconds, or RFC 3339 (to the microsecond).
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Timestamp;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("nanoseconds since the epoch or an RFC 3339 timestamp")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .map(Timestamp)
                    .map_err(|_| E::custom("timestamp out of range"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                parse_rfc3339_micros(v)
                    .and_then(|m| m.checked_mul(1000))
                    .map(Timestamp)
                    .ok_or_else(|| E::custom(format!("not an RFC 3339 timestamp: {v}")))
            }
        }
        d.deserialize_any(Visit)
    }
}

pub fn rfc3339(nanos: Nanos) -> String {
    let mut text = String::with_capacity(27);
    let _ = write_rfc3339(nanos, &mut text);
    text
}

/// Writes `nanos` as RFC 3339 with microseconds.
fn write_rfc3339(nanos: Nanos, out: &mut impl std::fmt::Write) -> std::fmt::Result {
    let text = rfc3339_on_stack(nanos);
    // Only ASCII digits and separators were written.
    out.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)
}

/// Reports write millions of timestamps: each is put digit by digit into
/// a buffer on the stack, without the formatting machinery or an
/// allocation. Nanoseconds in an i64 reach only the years 1677-2262, so
/// the year always has four digits.
fn rfc3339_on_stack(nanos: Nanos) -> [u8; 27] {
    let secs = nanos.div_euclid(1_000_000_000);
    let micros = (nanos.rem_euclid(1_000_000_000) / 1000) as u32;
    let sod = secs.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    for (at, len, value) in [
        (0, 4, y as u32),
        (5, 2, m),
        (8, 2, d),
        (11, 2, sod / 3600),
        (14, 2, (sod / 60) % 60),
        (17, 2, sod % 60),
        (20, 6, micros),
    ] {
        let mut v = value;
        for digit in text[at..at + len].iter_mut().rev() {
            *digit = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    text
}

/// Microseconds since the epoch of a timestamp written by [`rfc3339`].
pub fn parse_rfc3339_micros(t: &str) -> Option<i64> {
    let (date, time) = t.trim_end_matches('Z').split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut tm = time.split(':');
    let (h, min) = (
        tm.next()?.parse::<i64>().ok()?,
        tm.next()?.parse::<i64>().ok()?,
    );
    let (secs, frac) = tm
        .next()?
        .split_once('.')
        .unwrap_or((tm.next().unwrap_or("0"), "0"));
    let secs: i64 = secs.parse().ok()?;
    let micros: i64 = format!("{frac:0<6}")[..6].parse().ok()?;
    // Days from civil (H. Hinnant), the inverse of civil_from_days.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + min * 60 + secs) * 1_000_000 + micros)
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

#[cfg(test)]
mod tests {
    #[test]
    fn known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            super::rfc3339(1_700_000_000_123_456_789),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(
            super::rfc3339(951_782_400 * 1_000_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
        // Before 1970, and the ends of the clock (a damaged capture's).
        assert_eq!(super::rfc3339(-1_000), "1969-12-31T23:59:59.999999Z");
        assert_eq!(super::rfc3339(i64::MAX), "2262-04-11T23:47:16.854775Z");
        assert_eq!(super::rfc3339(i64::MIN), "1677-09-21T00:12:43.145224Z");
        assert_eq!(
            super::Timestamp(1_700_000_000_123_456_789).to_string(),
            "2023-11-14T22:13:20.123456Z"
        );
    }

    #[test]
    fn read_back_exactly_in_exact_mode_and_to_the_microsecond_otherwise() {
        let t = super::Timestamp(1_700_000_000_123_456_789);
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(text, "\"2023-11-14T22:13:20.123456Z\"");
        let back: super::Timestamp = serde_json::from_str(&text).unwrap();
        assert_eq!(back.0, 1_700_000_000_123_456_000);
        let exact = {
            let _guard = super::exact_timestamps();
            serde_json::to_string(&t).unwrap()
        };
        assert_eq!(exact, "1700000000123456789");
        assert_eq!(serde_json::from_str::<super::Timestamp>(&exact).unwrap(), t);
        // The guard put the report's form back.
        assert_eq!(serde_json::to_string(&t).unwrap(), text);
    }
}
