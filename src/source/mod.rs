//! Packet sources: where packets come from. Replay (pcap/pcapng files, several
//! merged in timestamp order, or standard input) and live capture feed
//! the same engine through [`PacketSource`]. A source hands out borrowed
//! packets; it never copies a packet it can lend.

pub mod digest;
mod file;
pub mod live;
mod merge;
pub mod privileges;
mod readahead;
pub mod record;

pub use file::FileSource;
pub use merge::MergedSource;
pub use readahead::ReadAhead;

use std::fmt;

pub use crate::time::Nanos;

/// The link layer of a captured frame, as a LINKTYPE_ value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);
    /// DLT_RAW as some BSDs number it.
    pub const RAW_BSD: LinkType = LinkType(12);
    /// 802.11 monitor mode: bare, Prism, radiotap, AVS, PPI headers.
    pub const IEEE802_11: LinkType = LinkType(105);
    pub const PRISM: LinkType = LinkType(119);
    pub const RADIOTAP: LinkType = LinkType(127);
    pub const AVS: LinkType = LinkType(163);
    pub const PPI: LinkType = LinkType(192);

    pub fn name(self) -> &'static str {
        match self {
            Self::NULL => "null",
            Self::ETHERNET => "ethernet",
            Self::RAW | Self::RAW_BSD => "raw",
            Self::LOOP => "loop",
            Self::LINUX_SLL => "linux-sll",
            Self::IPV4 => "ipv4",
            Self::IPV6 => "ipv6",
            Self::LINUX_SLL2 => "linux-sll2",
            Self::IEEE802_11 => "802.11",
            Self::PRISM => "802.11-prism",
            Self::RADIOTAP => "802.11-radiotap",
            Self::AVS => "802.11-avs",
            Self::PPI => "ppi",
            _ => "unsupported",
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// One captured frame, borrowed from the source's buffer.
#[derive(Debug, Clone, Copy)]
pub struct RawPacket<'a> {
    pub ts: Nanos,
    pub link: LinkType,
    pub data: &'a [u8],
    /// Length on the wire; larger than `data.len()` when the snap length cut it.
    pub orig_len: u32,
}

/// A packet copied out of its source, for tools that hold a capture in
/// memory (benchmarks, tests, the capture grower); the engine itself only
/// ever sees borrowed [`RawPacket`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPacket {
    pub ts: Nanos,
    pub link: LinkType,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

impl OwnedPacket {
    pub fn raw(&self) -> RawPacket<'_> {
        RawPacket {
            ts: self.ts,
            link: self.link,
            data: &self.data,
            orig_len: self.orig_len,
        }
    }
}

/// Reads a whole capture into memory.
pub fn read_all(path: &str) -> Result<Vec<OwnedPacket>, SourceError> {
    let mut source = FileSource::open(path)?;
    let mut packets = Vec::new();
    while source.next_packet(&mut |p| {
        packets.push(OwnedPacket {
            ts: p.ts,
            link: p.link,
            data: p.data.to_vec(),
            orig_len: p.orig_len,
        })
    })? {}
    Ok(packets)
}

/// Why reading stopped early. The packets read before the error are kept and
/// reported; the caller decides the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    Open {
        path: String,
        reason: String,
    },
    NotACapture {
        path: String,
    },
    Truncated {
        path: String,
        offset: u64,
    },
    Corrupt {
        path: String,
        offset: u64,
        reason: String,
    },
    /// Live capture could not start or failed.
    Capture {
        interface: String,
        reason: String,
    },
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Open { path, reason } => write!(
                f,
                "cannot open {path}: {reason}; check the path and that you may read it"
            ),
            SourceError::NotACapture { path } => write!(
                f,
                "{path} is not a pcap or pcapng capture; convert it with `editcap -F pcapng IN OUT`"
            ),
            SourceError::Truncated { path, offset } => write!(
                f,
                "{path} is truncated at byte {offset}: the last packet is incomplete (was the capture cut short?); the report covers what was read"
            ),
            SourceError::Corrupt {
                path,
                offset,
                reason,
            } => write!(
                f,
                "{path} is corrupt at byte {offset} ({reason}); the report covers what was read before it. `pcapfix` or `editcap` may recover more"
            ),
            SourceError::Capture { interface, reason } => {
                write!(f, "cannot capture on {interface}: {reason}")
            }
        }
    }
}

impl std::error::Error for SourceError {}

/// One or several capture files as one source (several are merged in
/// timestamp order; `-` is standard input).
pub fn open_files(paths: &[String]) -> Result<Box<dyn PacketSource + Send>, SourceError> {
    let mut files = paths
        .iter()
        .map(|p| FileSource::open(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if files.len() == 1 {
        Box::new(files.remove(0))
    } else {
        Box::new(MergedSource::new(files))
    })
}

/// Anything that yields packets in capture order.
pub trait PacketSource {
    /// Calls `on_packet` with the next packet; `Ok(false)` at the end. A
    /// live source may return `Ok(true)` without a packet when the link is
    /// idle, so its caller can refresh views and check for a stop request.
    fn next_packet(
        &mut self,
        on_packet: &mut dyn FnMut(RawPacket<'_>),
    ) -> Result<bool, SourceError>;

    /// Link types seen so far (pcapng may carry one per interface).
    fn link_types(&self) -> Vec<LinkType>;

    /// Bytes of the input consumed so far and the total if known, for progress.
    fn progress(&self) -> (u64, Option<u64>);

    /// Whether packets carry the wall clock's time, so the clock may stand in
    /// for capture time while the link is idle (live capture).
    fn wall_clock(&self) -> bool {
        false
    }

    /// Received/dropped counters of a live capture; files have none.
    fn capture_stats(&mut self) -> Option<live::CaptureStats> {
        None
    }

    /// SHA-256 of each input file (whole), for the evidence block; live
    /// captures have none.
    fn file_digests(&self) -> Vec<digest::FileDigest> {
        Vec::new()
    }
}
