//! Several capture files read as one capture, packets in timestamp order
//! (like `mergecap`). Each file keeps its next packet in a reusable buffer, so
//! merging costs one copy per packet and no allocation once warm.

use super::{FileSource, LinkType, Nanos, PacketSource, RawPacket, SourceError};

struct Pending {
    ts: Nanos,
    link: LinkType,
    orig_len: u32,
    data: Vec<u8>,
    full: bool,
}

pub struct MergedSource {
    files: Vec<FileSource>,
    pending: Vec<Pending>,
    finished: Vec<bool>,
    /// An error from one file, returned once the other files are drained.
    deferred: Option<SourceError>,
}

impl MergedSource {
    pub fn new(files: Vec<FileSource>) -> MergedSource {
        let n = files.len();
        MergedSource {
            files,
            pending: (0..n)
                .map(|_| Pending {
                    ts: 0,
                    link: LinkType::ETHERNET,
                    orig_len: 0,
                    data: Vec::with_capacity(2048),
                    full: false,
                })
                .collect(),
            finished: vec![false; n],
            deferred: None,
        }
    }

    fn fill(&mut self, i: usize) {
        if self.finished[i] || self.pending[i].full {
            return;
        }
        let slot = &mut self.pending[i];
        let mut got = false;
        let result = self.files[i].next_packet(&mut |p| {
            slot.ts = p.ts;
            slot.link = p.link;
            slot.orig_len = p.orig_len;
            slot.data.clear();
            slot.data.extend_from_slice(p.data);
            got = true;
        });
        match result {
            Ok(true) if got => slot.full = true,
            Ok(_) => self.finished[i] = true,
            Err(e) => {
                self.finished[i] = true;
                self.deferred.get_or_insert(e);
            }
        }
    }
}

impl PacketSource for MergedSource {
    fn next_packet(
        &mut self,
        on_packet: &mut dyn FnMut(RawPacket<'_>),
    ) -> Result<bool, SourceError> {
        for i in 0..self.files.len() {
            self.fill(i);
        }
        let earliest = (0..self.files.len())
            .filter(|&i| self.pending[i].full)
            .min_by_key(|&i| self.pending[i].ts);
        match earliest {
            Some(i) => {
                let slot = &mut self.pending[i];
                slot.full = false;
                on_packet(RawPacket {
                    ts: slot.ts,
                    link: slot.link,
                    data: &slot.data,
                    orig_len: slot.orig_len,
                });
                Ok(true)
            }
            None => match self.deferred.take() {
                Some(e) => Err(e),
                None => Ok(false),
            },
        }
    }

    fn file_digests(&self) -> Vec<super::digest::FileDigest> {
        self.files.iter().flat_map(|f| f.file_digests()).collect()
    }

    fn link_types(&self) -> Vec<LinkType> {
        let mut all: Vec<LinkType> = self.files.iter().flat_map(|f| f.link_types()).collect();
        all.sort();
        all.dedup();
        all
    }

    fn progress(&self) -> (u64, Option<u64>) {
        self.files.iter().fold((0, Some(0)), |(done, total), f| {
            let (d, t) = f.progress();
            (done + d, total.zip(t).map(|(a, b)| a + b))
        })
    }
}
