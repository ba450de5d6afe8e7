//! pcap and pcapng files through `pcap-parser`: pure Rust, one link type per
//! pcapng interface (libpcap refuses pcapng files whose interfaces differ).

use super::{LinkType, Nanos, PacketSource, RawPacket, SourceError};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};
use std::fs::File;
use std::io::{BufReader, Read};

const READ_BUFFER: usize = 1 << 20;
const MIN_READ_BUFFER: usize = 64 << 10;
/// Largest block we accept; pcapng allows more, but no real capture needs it.
const MAX_BLOCK: usize = 64 << 20;

struct Interface {
    link: LinkType,
    /// Timestamp units per second.
    resolution: u64,
    offset_secs: i64,
}

pub struct FileSource {
    path: String,
    reader: Box<dyn PcapReaderIterator + Send>,
    interfaces: Vec<Interface>,
    /// Legacy pcap: one link type for the file, micro or nanosecond stamps.
    legacy_nanos: bool,
    /// The byte order of the current pcapng section, once its header is read.
    section_big_endian: Option<bool>,
    consumed: u64,
    total: Option<u64>,
    buffer_size: usize,
    digest: super::digest::DigestHandle,
}

impl FileSource {
    /// Opens a capture file; `-` reads standard input.
    pub fn open(path: &str) -> Result<FileSource, SourceError> {
        let (input, total): (Box<dyn Read + Send>, Option<u64>) = if path == "-" {
            (Box::new(std::io::stdin()), None)
        } else {
            let file = File::open(path).map_err(|e| SourceError::Open {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
            let len = file.metadata().map(|m| m.len()).ok();
            (Box::new(BufReader::with_capacity(1 << 16, file)), len)
        };
        // Hashed as read: the pcap reader pulls every byte through this.
        let (input, digest) = super::digest::HashingReader::new(input);
        let mut source = Self::from_reader(path, Box::new(input), total)?;
        source.digest = digest;
        Ok(source)
    }

    pub fn from_reader(
        path: &str,
        input: Box<dyn Read + Send>,
        total: Option<u64>,
    ) -> Result<FileSource, SourceError> {
        // A small file needs no megabyte of buffer (the buffer grows when
        // a block needs it).
        let buffer_size = total.map_or(READ_BUFFER, |t| {
            (t as usize).clamp(MIN_READ_BUFFER, READ_BUFFER)
        });
        let reader = create_reader(buffer_size, input).map_err(|e| match e {
            PcapError::Eof | PcapError::Incomplete(_) | PcapError::HeaderNotRecognized => {
                SourceError::NotACapture {
                    path: path.to_string(),
                }
            }
            other => SourceError::Open {
                path: path.to_string(),
                reason: other.to_string(),
            },
        })?;
        Ok(FileSource {
            path: path.to_string(),
            reader,
            interfaces: Vec::new(),
            legacy_nanos: false,
            section_big_endian: None,
            consumed: 0,
            total,
            buffer_size,
            digest: Default::default(),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    fn corrupt(&self, reason: String) -> SourceError {
        SourceError::Corrupt {
            path: self.path.clone(),
            offset: self.consumed,
            reason,
        }
    }
}

/// The link type of interface 0 (legacy pcap has only that one).
fn first_link(interfaces: &[Interface]) -> LinkType {
    interfaces.first().map_or(LinkType::ETHERNET, |i| i.link)
}

fn ticks_to_nanos(ticks: u64, resolution: u64, offset_secs: i64) -> Nanos {
    let nanos = (ticks as u128 * 1_000_000_000u128) / resolution.max(1) as u128;
    (nanos.min(i64::MAX as u128) as i64).saturating_add(offset_secs.saturating_mul(1_000_000_000))
}

/// Every pcapng block is at least 12 bytes (type, length, length again).
/// pcap-parser 0.17 subtracts those 12 from a smaller length before it
/// checks it for some block types (the Process Information Block), which
/// overflows: such a block is called corrupt here, before the parser sees
/// it. A section header is the parser's to check (its own byte order).
fn undersized_block(data: &[u8], big_endian: bool) -> Option<String> {
    let header: [u8; 8] = data.get(..8)?.try_into().ok()?;
    if header[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        return None;
    }
    let length = [header[4], header[5], header[6], header[7]];
    let length = match big_endian {
        true => u32::from_be_bytes(length),
        false => u32::from_le_bytes(length),
    };
    (length < 12).then(|| format!("a pcapng block claims {length} bytes, less than its header"))
}

impl PacketSource for FileSource {
    fn next_packet(
        &mut self,
        on_packet: &mut dyn FnMut(RawPacket<'_>),
    ) -> Result<bool, SourceError> {
        loop {
            if let Some(big_endian) = self.section_big_endian {
                if let Some(reason) = undersized_block(self.reader.data(), big_endian) {
                    return Err(self.corrupt(reason));
                }
            }
            match self.reader.next() {
                Ok((offset, block)) => {
                    // (timestamp, link, frame, captured length, length on the wire)
                    let packet = match block {
                        PcapBlockOwned::LegacyHeader(header) => {
                            self.legacy_nanos = header.is_nanosecond_precision();
                            self.interfaces.clear();
                            self.interfaces.push(Interface {
                                link: LinkType(header.network.0 as u32),
                                resolution: if self.legacy_nanos {
                                    1_000_000_000
                                } else {
                                    1_000_000
                                },
                                offset_secs: 0,
                            });
                            None
                        }
                        PcapBlockOwned::Legacy(frame) => {
                            let sub = if self.legacy_nanos { 1 } else { 1000 };
                            let ts = (frame.ts_sec as i64) * 1_000_000_000
                                + (frame.ts_usec as i64) * sub;
                            Some((
                                ts,
                                first_link(&self.interfaces),
                                frame.data,
                                frame.caplen,
                                frame.origlen,
                            ))
                        }
                        PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                            self.section_big_endian = Some(shb.big_endian());
                            self.interfaces.clear();
                            None
                        }
                        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                            let resolution =
                                pcap_parser::pcapng::build_ts_resolution(idb.if_tsresol)
                                    .unwrap_or(1_000_000);
                            self.interfaces.push(Interface {
                                link: LinkType(idb.linktype.0 as u32),
                                resolution,
                                offset_secs: idb.if_tsoffset,
                            });
                            None
                        }
                        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                            let Some(iface) = self.interfaces.get(epb.if_id as usize) else {
                                let reason = format!(
                                    "packet names interface {} that was never described",
                                    epb.if_id
                                );
                                return Err(self.corrupt(reason));
                            };
                            let ticks = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                            let ts = ticks_to_nanos(ticks, iface.resolution, iface.offset_secs);
                            Some((ts, iface.link, epb.data, epb.caplen, epb.origlen))
                        }
                        // Simple packets carry no timestamp and belong to interface 0.
                        PcapBlockOwned::NG(Block::SimplePacket(spb)) => Some((
                            0,
                            first_link(&self.interfaces),
                            spb.data,
                            spb.origlen,
                            spb.origlen,
                        )),
                        PcapBlockOwned::NG(_) => None,
                    };
                    let delivered = packet.is_some();
                    if let Some((ts, link, data, caplen, orig_len)) = packet {
                        // Block data is padded to 32 bits: cut at the captured length.
                        let caplen = (caplen as usize).min(data.len());
                        on_packet(RawPacket {
                            ts,
                            link,
                            data: &data[..caplen],
                            orig_len,
                        });
                    }
                    // Without the shift `consume` makes each time half the
                    // buffer has been read (moving the other half, the
                    // whole capture over a run): `refill` moves only the
                    // incomplete block left when more is needed.
                    self.reader.consume_noshift(offset);
                    self.consumed += offset as u64;
                    if delivered {
                        return Ok(true);
                    }
                }
                Err(PcapError::Eof) => return Ok(false),
                Err(PcapError::Incomplete(_)) => {
                    let before = self.reader.data().len();
                    if self.reader.refill().is_err() {
                        return Err(self.corrupt("read error".into()));
                    }
                    if self.reader.reader_exhausted()
                        && self.reader.data().len() == before
                        && before > 0
                    {
                        return Err(SourceError::Truncated {
                            path: self.path.clone(),
                            offset: self.consumed,
                        });
                    }
                }
                Err(PcapError::UnexpectedEof) => {
                    return Err(SourceError::Truncated {
                        path: self.path.clone(),
                        offset: self.consumed,
                    });
                }
                Err(PcapError::BufferTooSmall) => {
                    // A block larger than what is left of the file is a
                    // damaged length, not a reason to grow the buffer.
                    let left = self.total.map(|t| t.saturating_sub(self.consumed));
                    if left.is_some_and(|left| left <= self.buffer_size as u64) {
                        return Err(SourceError::Truncated {
                            path: self.path.clone(),
                            offset: self.consumed,
                        });
                    }
                    if self.buffer_size >= MAX_BLOCK {
                        return Err(
                            self.corrupt(format!("a block claims more than {MAX_BLOCK} bytes"))
                        );
                    }
                    self.buffer_size *= 4;
                    if !self.reader.grow(self.buffer_size) {
                        return Err(self.corrupt("cannot grow the read buffer".into()));
                    }
                }
                Err(e) => {
                    let reason = e.to_string();
                    return Err(self.corrupt(reason));
                }
            }
        }
    }

    fn file_digests(&self) -> Vec<super::digest::FileDigest> {
        vec![self.digest.finish(&self.path)]
    }

    fn link_types(&self) -> Vec<LinkType> {
        self.interfaces.iter().map(|i| i.link).collect()
    }

    fn progress(&self) -> (u64, Option<u64>) {
        (self.consumed, self.total)
    }
}
