//! Writing what live capture saw to pcapng (`teleprobe live -w FILE`): files
//! are owner-only (captures hold PHI), rotate by size like `tcpdump -C`, and
//! with `--only-telehealth` keep only flows classified as telehealth. A new
//! flow's first packets are held until it is classified (bounded), so the
//! kept flows are complete from their first packet.

use super::{LinkType, Nanos, RawPacket};
use hashbrown::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Packets held per unclassified flow, and held in all, before giving up.
const HOLD_PER_FLOW: usize = 32;
const HOLD_TOTAL_BYTES: usize = 16 << 20;

#[derive(Debug, Clone)]
pub struct RecordOptions {
    pub path: PathBuf,
    /// Start a new file when this many bytes were written to the current one.
    pub rotate_bytes: Option<u64>,
    pub only_telehealth: bool,
}

struct Held {
    ts: Nanos,
    orig_len: u32,
    data: Vec<u8>,
}

pub struct Recorder {
    options: RecordOptions,
    file: Option<BufWriter<File>>,
    link: Option<LinkType>,
    written: u64,
    index: u32,
    held: HashMap<u64, Vec<Held>>,
    held_bytes: usize,
    /// Flows already known to be telehealth (or not worth holding any more).
    decided: HashMap<u64, bool>,
    pub packets_written: u64,
    pub files: Vec<PathBuf>,
}

fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn block(out: &mut impl Write, kind: u32, body: &[u8]) -> std::io::Result<u64> {
    let padded = (body.len() + 3) & !3;
    let total = (12 + padded) as u32;
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&[0u8; 3][..padded - body.len()])?;
    out.write_all(&total.to_le_bytes())?;
    Ok(total as u64)
}

impl Recorder {
    pub fn new(options: RecordOptions) -> Recorder {
        Recorder {
            options,
            file: None,
            link: None,
            written: 0,
            index: 0,
            held: HashMap::new(),
            held_bytes: 0,
            decided: HashMap::new(),
            packets_written: 0,
            files: Vec::new(),
        }
    }

    fn path_for(&self, index: u32) -> PathBuf {
        if self.options.rotate_bytes.is_none() || index == 0 {
            return self.options.path.clone();
        }
        let stem = self
            .options
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let ext = self
            .options
            .path
            .extension()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "pcapng".into());
        self.options
            .path
            .with_file_name(format!("{stem}.{index}.{ext}"))
    }

    fn open(&mut self, link: LinkType) -> std::io::Result<()> {
        let path = self.path_for(self.index);
        let mut out = BufWriter::new(create_private(&path)?);
        // Section header: byte-order magic, version 1.0, unknown section length.
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        self.written = block(&mut out, 0x0A0D_0D0A, &shb)?;
        // Interface: link type, snaplen; timestamps in nanoseconds (if_tsresol 9).
        let mut idb = Vec::new();
        idb.extend_from_slice(&(link.0 as u16).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&262_144u32.to_le_bytes());
        idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        self.written += block(&mut out, 1, &idb)?;
        self.file = Some(out);
        self.link = Some(link);
        self.files.push(path);
        Ok(())
    }

    fn write(
        &mut self,
        ts: Nanos,
        link: LinkType,
        data: &[u8],
        orig_len: u32,
    ) -> std::io::Result<()> {
        let rotate = self
            .options
            .rotate_bytes
            .is_some_and(|limit| self.written >= limit);
        if self.file.is_none() || self.link != Some(link) || rotate {
            if let Some(mut f) = self.file.take() {
                f.flush()?;
                self.index += 1;
            }
            self.open(link)?;
        }
        let Some(out) = self.file.as_mut() else {
            return Ok(());
        };
        let ts = ts.max(0) as u64;
        let mut epb = Vec::with_capacity(20 + data.len());
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&orig_len.to_le_bytes());
        epb.extend_from_slice(data);
        self.written += block(out, 6, &epb)?;
        self.packets_written += 1;
        Ok(())
    }

    /// Records one packet after the engine processed it; `flow` is the flow
    /// and whether it looks like telehealth so far (None: not UDP/TCP).
    pub fn packet(&mut self, pkt: RawPacket<'_>, flow: Option<(u64, bool)>) -> std::io::Result<()> {
        if !self.options.only_telehealth {
            return self.write(pkt.ts, pkt.link, pkt.data, pkt.orig_len);
        }
        let Some((id, telehealth)) = flow else {
            return Ok(());
        };
        match self.decided.get(&id) {
            Some(true) => return self.write(pkt.ts, pkt.link, pkt.data, pkt.orig_len),
            Some(false) => return Ok(()),
            None => {}
        }
        if telehealth {
            self.decided.insert(id, true);
            for held in self.held.remove(&id).unwrap_or_default() {
                self.held_bytes -= held.data.len();
                self.write(held.ts, pkt.link, &held.data, held.orig_len)?;
            }
            return self.write(pkt.ts, pkt.link, pkt.data, pkt.orig_len);
        }
        let list = self.held.entry(id).or_default();
        if list.len() >= HOLD_PER_FLOW || self.held_bytes + pkt.data.len() > HOLD_TOTAL_BYTES {
            // Not telehealth within its first packets: stop holding it.
            let dropped: usize = list.iter().map(|h| h.data.len()).sum();
            self.held.remove(&id);
            self.held_bytes -= dropped;
            self.decided.insert(id, false);
            return Ok(());
        }
        self.held_bytes += pkt.data.len();
        list.push(Held {
            ts: pkt.ts,
            orig_len: pkt.orig_len,
            data: pkt.data.to_vec(),
        });
        Ok(())
    }

    pub fn finish(&mut self) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::read_all;

    fn pkt(data: &[u8], ts: Nanos) -> RawPacket<'_> {
        RawPacket {
            ts,
            link: LinkType::ETHERNET,
            data,
            orig_len: data.len() as u32,
        }
    }

    #[test]
    fn rotates_into_valid_owner_only_pcapng_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut r = Recorder::new(RecordOptions {
            path: dir.path().join("cap.pcapng"),
            rotate_bytes: Some(1000),
            only_telehealth: false,
        });
        let frame = [0x5au8; 200];
        for i in 0..20 {
            r.packet(pkt(&frame, 1_700_000_000_123_456_789 + i), None)
                .unwrap();
        }
        r.finish().unwrap();
        assert!(r.files.len() >= 4, "{:?}", r.files);
        assert_eq!(r.files[1].file_name().unwrap(), "cap.1.pcapng");
        let mut total = 0;
        for f in &r.files {
            let packets = read_all(f.to_str().unwrap()).unwrap();
            assert!(
                packets
                    .iter()
                    .all(|p| p.data == frame && p.link == LinkType::ETHERNET)
            );
            total += packets.len();
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(total, 20);
        let first = &read_all(r.files[0].to_str().unwrap()).unwrap()[0];
        assert_eq!(
            first.ts, 1_700_000_000_123_456_789,
            "nanosecond timestamps survive"
        );
    }

    #[test]
    fn only_telehealth_keeps_whole_classified_flows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.pcapng");
        let mut r = Recorder::new(RecordOptions {
            path: path.clone(),
            rotate_bytes: None,
            only_telehealth: true,
        });
        // Flow 1 is classified on its third packet; flow 2 never is.
        r.packet(pkt(b"a1", 1), Some((1, false))).unwrap();
        r.packet(pkt(b"b1", 2), Some((2, false))).unwrap();
        r.packet(pkt(b"a2", 3), Some((1, false))).unwrap();
        r.packet(pkt(b"a3", 4), Some((1, true))).unwrap();
        r.packet(pkt(b"a4", 5), Some((1, false))).unwrap();
        r.packet(pkt(b"xx", 6), None).unwrap();
        for i in 0..40 {
            r.packet(pkt(b"b2", 10 + i), Some((2, false))).unwrap();
        }
        r.finish().unwrap();
        let kept: Vec<Vec<u8>> = read_all(path.to_str().unwrap())
            .unwrap()
            .into_iter()
            .map(|p| p.data)
            .collect();
        assert_eq!(
            kept,
            [
                b"a1".to_vec(),
                b"a2".to_vec(),
                b"a3".to_vec(),
                b"a4".to_vec()
            ]
        );
        assert_eq!(
            r.held_bytes, 0,
            "the unclassified flow's packets were let go"
        );
    }
}
