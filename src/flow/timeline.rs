//! Bytes over time for a flow, in a fixed number of bins: one second wide
//! at first, twice as wide (neighbours merged) whenever the flow outlasts
//! them, so a ten-hour call costs the same as a ten-second one and adding a
//! packet never allocates. Calls merge their flows' timelines into the
//! bandwidth chart of the reports.

use crate::time::Nanos;
use crate::time::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

pub const BINS: usize = 64;
const SECOND: Nanos = 1_000_000_000;
/// Bins never grow past this (about 34 years each): absurd timestamps in a
/// damaged capture land in the last bin instead of overflowing.
const WIDEST: Nanos = SECOND << 30;

/// Bytes on the wire (both directions) per time bin, for bandwidth charts.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename = "Timeline")]
pub struct TimelineRecord {
    /// Start of the first bin.
    pub start: Timestamp,
    /// Width of every bin: one second, doubled as often as a long flow needs
    /// to fit 64 bins.
    pub bin_seconds: u64,
    /// Bytes per bin, trailing empty bins left out.
    pub bytes: Vec<u64>,
}

#[derive(Clone)]
pub struct Timeline {
    start: Nanos,
    width: Nanos,
    bytes: [u64; BINS],
}

impl Timeline {
    pub fn new(start: Nanos) -> Timeline {
        Timeline {
            start,
            width: SECOND,
            bytes: [0; BINS],
        }
    }

    pub fn add(&mut self, ts: Nanos, bytes: u64) {
        let offset = ts.saturating_sub(self.start).max(0);
        while offset / self.width >= BINS as Nanos && self.width < WIDEST {
            for i in 0..BINS / 2 {
                self.bytes[i] = self.bytes[2 * i] + self.bytes[2 * i + 1];
            }
            self.bytes[BINS / 2..].fill(0);
            self.width *= 2;
        }
        let bin = ((offset / self.width) as usize).min(BINS - 1);
        self.bytes[bin] += bytes;
    }

    /// The report's form: trailing empty bins left out.
    pub fn record(&self) -> TimelineRecord {
        let used = self.bytes.iter().rposition(|&b| b > 0).map_or(0, |i| i + 1);
        TimelineRecord {
            start: Timestamp(self.start),
            bin_seconds: (self.width / SECOND) as u64,
            bytes: self.bytes[..used].to_vec(),
        }
    }
}

/// Merges timelines (a call's flows) into at most [`BINS`] bins of a whole
/// number of seconds; each source bin goes where its middle falls.
pub fn merge<'a>(
    parts: impl Iterator<Item = &'a TimelineRecord> + Clone,
) -> Option<TimelineRecord> {
    let micros = |t: &TimelineRecord| t.start.micros();
    let start = parts.clone().map(micros).min()?;
    let end = parts
        .clone()
        .map(|t| micros(t) + (t.bytes.len() as u64 * t.bin_seconds * 1_000_000) as i64)
        .max()?;
    let widest_part = parts.clone().map(|t| t.bin_seconds).max()?.max(1);
    let mut width = widest_part;
    while (end - start) as u64 > width * 1_000_000 * BINS as u64 {
        width *= 2;
    }
    let mut bytes = vec![0u64; BINS];
    for t in parts {
        let t_start = micros(t);
        for (i, &b) in t.bytes.iter().enumerate() {
            let middle = t_start - start + ((2 * i as u64 + 1) * t.bin_seconds * 500_000) as i64;
            let bin = ((middle.max(0) as u64) / (width * 1_000_000)) as usize;
            bytes[bin.min(BINS - 1)] += b;
        }
    }
    let used = bytes.iter().rposition(|&b| b > 0).map_or(0, |i| i + 1);
    bytes.truncate(used);
    Some(TimelineRecord {
        start: Timestamp(start * 1000),
        bin_seconds: width,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_widen_and_keep_every_byte() {
        let mut t = Timeline::new(0);
        for s in 0..200 {
            t.add(s * SECOND + 5, 100);
        }
        let r = t.record();
        assert_eq!(r.bin_seconds, 4, "200 s fit 64 bins of 4 s");
        assert_eq!(r.bytes.iter().sum::<u64>(), 200 * 100);
        assert_eq!(r.bytes[0], 400);
        t.add(Nanos::MAX, 1);
        t.add(-5, 1);
        assert_eq!(t.record().bytes.iter().sum::<u64>(), 200 * 100 + 2);
    }

    #[test]
    fn merged_calls_add_up_on_one_clock() {
        let mut a = Timeline::new(10 * SECOND);
        let mut b = Timeline::new(20 * SECOND);
        for s in 0..30 {
            a.add((10 + s) * SECOND, 10);
            b.add((20 + s) * SECOND, 1);
        }
        let (a, b) = (a.record(), b.record());
        let m = merge([&a, &b].into_iter()).unwrap();
        assert_eq!(m.start.to_string(), "1970-01-01T00:00:10.000000Z");
        assert_eq!(m.bin_seconds, 1);
        assert_eq!(m.bytes.len(), 40);
        assert_eq!(m.bytes[0], 10);
        assert_eq!(m.bytes[15], 11);
        assert_eq!(m.bytes[39], 1);
        assert_eq!(m.bytes.iter().sum::<u64>(), 330);
    }
}
