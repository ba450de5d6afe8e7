//! pcap and pcapng files through `pcap-parser`: pure Rust, one link type per
//! pcapng interface (libpcap refuses pcapng files whose interfaces differ).

use super::{LinkType, Nanos, PacketSource, RawPacket, SourceError};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};
use std::fs::File;
use std::io::{BufReader, Read};

const READ_BUFFER: usize = 1 << 20;
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
    consumed: u64,
    total: Option<u64>,
    buffer_size: usize,
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
        Self::from_reader(path, input, total)
    }

    pub fn from_reader(
        path: &str,
        input: Box<dyn Read + Send>,
        total: Option<u64>,
    ) -> Result<FileSource, SourceError> {
        let reader = create_reader(READ_BUFFER, input).map_err(|e| match e {
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
            consumed: 0,
            total,
            buffer_size: READ_BUFFER,
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

fn ticks_to_nanos(ticks: u64, resolution: u64, offset_secs: i64) -> Nanos {
    let nanos = (ticks as u128 * 1_000_000_000u128) / resolution.max(1) as u128;
    (nanos.min(i64::MAX as u128) as i64).saturating_add(offset_secs.saturating_mul(1_000_000_000))
}

impl PacketSource for FileSource {
    fn next_packet(
        &mut self,
        on_packet: &mut dyn FnMut(RawPacket<'_>),
    ) -> Result<bool, SourceError> {
        loop {
            match self.reader.next() {
                Ok((offset, block)) => {
                    let mut delivered = false;
                    match block {
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
                        }
                        PcapBlockOwned::Legacy(frame) => {
                            let link = self
                                .interfaces
                                .first()
                                .map_or(LinkType::ETHERNET, |i| i.link);
                            let sub = if self.legacy_nanos { 1 } else { 1000 };
                            let ts = (frame.ts_sec as i64) * 1_000_000_000
                                + (frame.ts_usec as i64) * sub;
                            let caplen = (frame.caplen as usize).min(frame.data.len());
                            on_packet(RawPacket {
                                ts,
                                link,
                                data: &frame.data[..caplen],
                                orig_len: frame.origlen,
                            });
                            delivered = true;
                        }
                        PcapBlockOwned::NG(Block::SectionHeader(_)) => self.interfaces.clear(),
                        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                            let resolution =
                                pcap_parser::pcapng::build_ts_resolution(idb.if_tsresol)
                                    .unwrap_or(1_000_000);
                            self.interfaces.push(Interface {
                                link: LinkType(idb.linktype.0 as u32),
                                resolution,
                                offset_secs: idb.if_tsoffset,
                            });
                        }
                        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                            let (link, ts) = match self.interfaces.get(epb.if_id as usize) {
                                Some(iface) => {
                                    let ticks = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                                    (
                                        iface.link,
                                        ticks_to_nanos(ticks, iface.resolution, iface.offset_secs),
                                    )
                                }
                                None => {
                                    let reason = format!(
                                        "packet names interface {} that was never described",
                                        epb.if_id
                                    );
                                    return Err(self.corrupt(reason));
                                }
                            };
                            let caplen = (epb.caplen as usize).min(epb.data.len());
                            on_packet(RawPacket {
                                ts,
                                link,
                                data: &epb.data[..caplen],
                                orig_len: epb.origlen,
                            });
                            delivered = true;
                        }
                        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                            // Simple packets carry no timestamp and belong to interface 0.
                            let link = self
                                .interfaces
                                .first()
                                .map_or(LinkType::ETHERNET, |i| i.link);
                            let caplen = (spb.origlen as usize).min(spb.data.len());
                            on_packet(RawPacket {
                                ts: 0,
                                link,
                                data: &spb.data[..caplen],
                                orig_len: spb.origlen,
                            });
                            delivered = true;
                        }
                        PcapBlockOwned::NG(_) => {}
                    }
                    self.reader.consume(offset);
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

    fn link_types(&self) -> Vec<LinkType> {
        self.interfaces.iter().map(|i| i.link).collect()
    }

    fn progress(&self) -> (u64, Option<u64>) {
        (self.consumed, self.total)
    }
}
