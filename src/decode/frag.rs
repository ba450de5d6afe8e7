//! IP fragment reassembly with bounded memory: at most `MAX_DATAGRAMS` in
//! flight, each at most 64 KiB, expired after `TIMEOUT`; the oldest is dropped
//! when the pool is full. Overlapping fragments keep the first copy's bytes.

use super::FragmentKey;
use crate::time::Nanos;

const MAX_DATAGRAMS: usize = 64;
const MAX_DATAGRAM_LEN: usize = 65_535;
const TIMEOUT: Nanos = 30_000_000_000;

struct Partial {
    key: FragmentKey,
    started: Nanos,
    data: Vec<u8>,
    /// Received byte ranges, sorted and merged.
    ranges: Vec<(usize, usize)>,
    total: Option<usize>,
}

#[derive(Default)]
pub struct Reassembler {
    partials: Vec<Partial>,
    /// The last completed datagram, lent to the caller until the next call.
    done: Vec<u8>,
    pub dropped: u64,
    pub completed: u64,
    /// Datagrams never completed whose fragments carry a recording
    /// session's metadata namespace (SIPREC INVITEs outgrow the MTU): a
    /// recording the capture shows only in part.
    pub partial_recordings: u64,
}

/// The namespaces of SIPREC metadata (RFC 7865, the draft, BroadWorks').
const RECORDING_NAMESPACES: [&[u8]; 2] = [
    b"urn:ietf:params:xml:ns:recording",
    b"urn:ietf:params:xml:ns:siprec",
];

/// Whether a datagram's received bytes show recording metadata.
fn carries_recording(p: &Partial) -> bool {
    p.ranges.iter().any(|&(start, end)| {
        let bytes = &p.data[start..end.min(p.data.len())];
        RECORDING_NAMESPACES
            .iter()
            .any(|ns| memchr::memmem::find(bytes, ns).is_some())
    })
}

impl Reassembler {
    pub fn new() -> Reassembler {
        Reassembler::default()
    }

    /// Adds a fragment; returns the whole IP payload when it completes.
    pub fn add(
        &mut self,
        key: FragmentKey,
        offset: usize,
        more: bool,
        bytes: &[u8],
        now: Nanos,
    ) -> Option<&[u8]> {
        let before = self.partials.len();
        let mut recordings = 0;
        self.partials.retain(|p| {
            let keep = now - p.started <= TIMEOUT;
            recordings += u64::from(!keep && carries_recording(p));
            keep
        });
        self.partial_recordings += recordings;
        self.dropped += (before - self.partials.len()) as u64;
        let end = offset.checked_add(bytes.len())?;
        if end > MAX_DATAGRAM_LEN {
            self.dropped += 1;
            return None;
        }
        let index = match self.partials.iter().position(|p| p.key == key) {
            Some(i) => i,
            None => {
                if self.partials.len() >= MAX_DATAGRAMS {
                    let oldest = self.partials.remove(0);
                    self.partial_recordings += u64::from(carries_recording(&oldest));
                    self.dropped += 1;
                }
                self.partials.push(Partial {
                    key,
                    started: now,
                    data: Vec::new(),
                    ranges: Vec::new(),
                    total: None,
                });
                self.partials.len() - 1
            }
        };
        let partial = &mut self.partials[index];
        if !more {
            partial.total = Some(end);
        }
        if partial.data.len() < end {
            partial.data.resize(end, 0);
        }
        // Copy only the parts not already received (first copy wins).
        let mut cursor = offset;
        for &(s, e) in &partial.ranges {
            if e <= cursor || s >= end {
                continue;
            }
            if s > cursor {
                partial.data[cursor..s].copy_from_slice(&bytes[cursor - offset..s - offset]);
            }
            cursor = cursor.max(e);
        }
        if cursor < end {
            partial.data[cursor..end].copy_from_slice(&bytes[cursor - offset..]);
        }
        crate::ranges::insert(&mut partial.ranges, (offset, end));
        let complete =
            matches!(partial.total, Some(total) if partial.ranges.first() == Some(&(0, total)));
        if complete {
            let mut partial = self.partials.swap_remove(index);
            let total = partial.total.unwrap_or(0);
            partial.data.truncate(total);
            self.done = partial.data;
            self.completed += 1;
            return Some(&self.done);
        }
        None
    }

    /// At the end of a capture: the datagrams still incomplete are never
    /// completed; those with recording metadata are counted.
    pub fn finish(&mut self) {
        let left = std::mem::take(&mut self.partials);
        self.partial_recordings += left.iter().filter(|p| carries_recording(p)).count() as u64;
        self.dropped += left.len() as u64;
    }

    pub fn in_flight(&self) -> usize {
        self.partials.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn key() -> FragmentKey {
        FragmentKey {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            protocol: 17,
            id: 7,
        }
    }

    #[test]
    fn reassembles_out_of_order_and_overlapping() {
        let whole: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let mut r = Reassembler::new();
        assert!(r.add(key(), 1480, true, &whole[1480..2960], 0).is_none());
        assert!(r.add(key(), 2960, false, &whole[2960..], 1).is_none());
        // Overlap with different bytes: first copy wins.
        let mut bogus = whole[1400..1500].to_vec();
        bogus.iter_mut().for_each(|b| *b = 0xee);
        assert!(r.add(key(), 1400, true, &bogus, 2).is_none());
        let done = r.add(key(), 0, true, &whole[..1480], 3).expect("complete");
        assert_eq!(&done[..1400], &whole[..1400]);
        assert_eq!(&done[1480..], &whole[1480..]);
        assert_eq!(r.in_flight(), 0);
    }

    #[test]
    fn bounded_and_expiring() {
        let mut r = Reassembler::new();
        for id in 0..(MAX_DATAGRAMS as u32 + 10) {
            let k = FragmentKey { id, ..key() };
            r.add(k, 0, true, &[0; 8], 0);
        }
        assert_eq!(r.in_flight(), MAX_DATAGRAMS);
        r.add(
            FragmentKey { id: 9999, ..key() },
            0,
            true,
            &[0; 8],
            TIMEOUT + 1,
        );
        assert_eq!(r.in_flight(), 1);
        assert!(r.add(key(), 65_530, false, &[0; 16], TIMEOUT + 2).is_none());
    }
}
