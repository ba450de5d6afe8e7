//! Reads a capture on a thread of its own, batches of packets ahead of the
//! analysis, so reading and parsing the file overlap with the engine on a
//! second core. Packets come out in the order the inner source gave them,
//! with the same timestamps, links and lengths: nothing downstream can
//! tell the difference, so reports are identical with and without it.
//! Batches are handed back and reused, so the steady state allocates
//! nothing; it must never reorder, drop or invent a packet.

use super::{LinkType, PacketSource, RawPacket, SourceError};
use crate::time::Nanos;
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Batches in flight: enough to ride out a slow stretch of either side.
const BATCHES: usize = 4;
const BATCH_PACKETS: usize = 2048;
const BATCH_BYTES: usize = 1 << 20;

#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    packets: Vec<(Nanos, LinkType, Range<usize>, u32)>,
    links: Vec<LinkType>,
    progress: (u64, Option<u64>),
    /// Set on the last batch: how reading ended.
    end: Option<Result<(), SourceError>>,
    /// Set on the last batch: the inputs' digests.
    digests: Vec<super::digest::FileDigest>,
}

pub struct ReadAhead {
    full: Receiver<Batch>,
    empty: SyncSender<Batch>,
    current: Option<Batch>,
    next: usize,
    links: Vec<LinkType>,
    progress: (u64, Option<u64>),
    finished: bool,
    digests: Vec<super::digest::FileDigest>,
}

impl ReadAhead {
    /// Starts reading `inner` on a new thread.
    pub fn new(mut inner: Box<dyn PacketSource + Send>) -> ReadAhead {
        let (full_tx, full) = sync_channel::<Batch>(BATCHES);
        let (empty, empty_rx) = sync_channel::<Batch>(BATCHES);
        for _ in 0..BATCHES {
            let _ = empty.send(Batch::default());
        }
        let progress = inner.progress();
        std::thread::Builder::new()
            .name("teleprobe-read".into())
            .spawn(move || {
                // Ends when the analysis hangs up or the input ends.
                while let Ok(mut batch) = empty_rx.recv() {
                    batch.bytes.clear();
                    batch.packets.clear();
                    while batch.packets.len() < BATCH_PACKETS && batch.bytes.len() < BATCH_BYTES {
                        let step = inner.next_packet(&mut |p: RawPacket<'_>| {
                            let start = batch.bytes.len();
                            batch.bytes.extend_from_slice(p.data);
                            let range = start..batch.bytes.len();
                            batch.packets.push((p.ts, p.link, range, p.orig_len));
                        });
                        match step {
                            Ok(true) => {}
                            Ok(false) => batch.end = Some(Ok(())),
                            Err(e) => batch.end = Some(Err(e)),
                        }
                        if batch.end.is_some() {
                            break;
                        }
                    }
                    batch.links = inner.link_types();
                    batch.progress = inner.progress();
                    let last = batch.end.is_some();
                    if last {
                        batch.digests = inner.file_digests();
                    }
                    if full_tx.send(batch).is_err() || last {
                        return;
                    }
                }
            })
            .expect("the operating system refused a thread for reading");
        ReadAhead {
            full,
            empty,
            current: None,
            next: 0,
            links: Vec::new(),
            progress,
            finished: false,
            digests: Vec::new(),
        }
    }
}

impl PacketSource for ReadAhead {
    fn next_packet(
        &mut self,
        on_packet: &mut dyn FnMut(RawPacket<'_>),
    ) -> Result<bool, SourceError> {
        loop {
            if self.finished {
                return Ok(false);
            }
            if let Some(batch) = &self.current {
                if let Some((ts, link, range, orig_len)) = batch.packets.get(self.next) {
                    self.next += 1;
                    on_packet(RawPacket {
                        ts: *ts,
                        link: *link,
                        data: &batch.bytes[range.clone()],
                        orig_len: *orig_len,
                    });
                    return Ok(true);
                }
            }
            if let Some(mut done) = self.current.take() {
                if let Some(end) = done.end.take() {
                    self.finished = true;
                    self.digests = std::mem::take(&mut done.digests);
                    return end.map(|()| false);
                }
                let _ = self.empty.send(done);
            }
            match self.full.recv() {
                Ok(batch) => {
                    self.links.clone_from(&batch.links);
                    self.progress = batch.progress;
                    self.current = Some(batch);
                    self.next = 0;
                }
                // The reader is gone without saying how it ended: it panicked.
                Err(_) => {
                    self.finished = true;
                    return Err(SourceError::Capture {
                        interface: "the reading thread".into(),
                        reason: "it stopped unexpectedly".into(),
                    });
                }
            }
        }
    }

    fn link_types(&self) -> Vec<LinkType> {
        self.links.clone()
    }

    fn file_digests(&self) -> Vec<super::digest::FileDigest> {
        self.digests.clone()
    }

    fn progress(&self) -> (u64, Option<u64>) {
        self.progress
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source of `n` packets, numbered in their first byte and timestamp,
    /// that fails or ends after them.
    struct Numbered {
        n: u32,
        sent: u32,
        fail: bool,
    }

    impl PacketSource for Numbered {
        fn next_packet(
            &mut self,
            on_packet: &mut dyn FnMut(RawPacket<'_>),
        ) -> Result<bool, SourceError> {
            if self.sent == self.n {
                return match self.fail {
                    true => Err(SourceError::Truncated {
                        path: "x.pcap".into(),
                        offset: 99,
                    }),
                    false => Ok(false),
                };
            }
            let data = self.sent.to_be_bytes();
            on_packet(RawPacket {
                ts: i64::from(self.sent),
                link: LinkType::RAW,
                data: &data,
                orig_len: 4,
            });
            self.sent += 1;
            Ok(true)
        }
        fn link_types(&self) -> Vec<LinkType> {
            vec![LinkType::RAW]
        }
        fn progress(&self) -> (u64, Option<u64>) {
            (u64::from(self.sent), Some(1000))
        }
    }

    fn drain(source: &mut dyn PacketSource) -> (Vec<u32>, Result<bool, SourceError>) {
        let mut seen = Vec::new();
        loop {
            match source.next_packet(&mut |p| {
                assert_eq!(
                    p.ts,
                    i64::from(u32::from_be_bytes(p.data.try_into().unwrap()))
                );
                seen.push(u32::from_be_bytes(p.data.try_into().unwrap()));
            }) {
                Ok(true) => {}
                end => return (seen, end),
            }
        }
    }

    #[test]
    fn every_packet_in_order_then_the_end_as_the_source_said() {
        // Several batches' worth, and an error at the end.
        let n = (BATCH_PACKETS * BATCHES * 3 + 7) as u32;
        let mut ahead = ReadAhead::new(Box::new(Numbered {
            n,
            sent: 0,
            fail: true,
        }));
        let (seen, end) = drain(&mut ahead);
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
        assert!(matches!(
            end,
            Err(SourceError::Truncated { offset: 99, .. })
        ));
        assert!(matches!(ahead.next_packet(&mut |_| ()), Ok(false)));
        assert_eq!(ahead.link_types(), [LinkType::RAW]);
        assert_eq!(ahead.progress(), (u64::from(n), Some(1000)));
        let mut empty = ReadAhead::new(Box::new(Numbered {
            n: 0,
            sent: 0,
            fail: false,
        }));
        let (seen, end) = drain(&mut empty);
        assert!(seen.is_empty() && matches!(end, Ok(false)));
    }
}
