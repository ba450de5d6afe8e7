//! Live capture through libpcap (the `pcap` crate): a real interface, a BPF
//! filter, and the kernel's received/dropped counters, so loss is reported,
//! never silent. Feeds the same engine as replay through [`PacketSource`].

use super::{LinkType, PacketSource, RawPacket, SourceError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Bytes captured per packet unless told otherwise: whole jumbo frames.
pub const DEFAULT_SNAPLEN: i32 = 262_144;
/// Kernel capture buffer unless told otherwise, in MiB.
pub const DEFAULT_BUFFER_MIB: i32 = 32;

#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub interface: String,
    /// A BPF filter (pcap-filter syntax), e.g. `udp or tcp port 5061`.
    pub filter: Option<String>,
    pub promiscuous: bool,
    pub snaplen: i32,
    /// Kernel buffer in bytes; larger rides out bursts without drops.
    pub buffer_size: i32,
}

/// libpcap's counters for the capture (pcap_stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct CaptureStats {
    /// Packets the kernel delivered to the capture.
    pub received: u64,
    /// Packets dropped because the capture buffer was full.
    pub dropped: u64,
    /// Packets dropped by the interface or its driver.
    pub interface_dropped: u64,
}

pub struct LiveSource {
    capture: pcap::Capture<pcap::Active>,
    link: LinkType,
    stop: Arc<AtomicBool>,
    interface: String,
}

/// Turns libpcap's messages into errors that say what to do next.
fn explain(interface: &str, error: pcap::Error) -> SourceError {
    let text = error.to_string();
    let lower = text.to_ascii_lowercase();
    let reason = if lower.contains("no such device") || lower.contains("doesn't exist") {
        format!("{text}; list capturable interfaces with `teleprobe devices`")
    } else if lower.contains("permission") || lower.contains("not permitted") {
        format!(
            "{text}; run as root, or grant the capability once: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v teleprobe)"
        )
    } else {
        text
    };
    SourceError::Capture {
        interface: interface.to_string(),
        reason,
    }
}

impl LiveSource {
    /// Opens the interface; `stop` ends the capture when set (Ctrl-C).
    pub fn open(options: &LiveOptions, stop: Arc<AtomicBool>) -> Result<LiveSource, SourceError> {
        let iface = options.interface.as_str();
        let inactive = pcap::Capture::from_device(iface).map_err(|e| explain(iface, e))?;
        let mut capture = inactive
            .promisc(options.promiscuous)
            .snaplen(options.snaplen)
            .buffer_size(options.buffer_size)
            .timeout(100)
            .open()
            .and_then(|c| c.setnonblock())
            .map_err(|e| explain(iface, e))?;
        if let Some(filter) = &options.filter {
            capture.filter(filter, true).map_err(|e| SourceError::Capture {
                interface: iface.to_string(),
                reason: format!("the capture filter `{filter}` does not compile ({e}); see `man pcap-filter` for the syntax"),
            })?;
        }
        let link = LinkType(capture.get_datalink().0 as u32);
        Ok(LiveSource {
            capture,
            link,
            stop,
            interface: iface.to_string(),
        })
    }

    pub fn interface(&self) -> &str {
        &self.interface
    }
}

impl PacketSource for LiveSource {
    fn wall_clock(&self) -> bool {
        true
    }

    fn next_packet(
        &mut self,
        on_packet: &mut dyn FnMut(RawPacket<'_>),
    ) -> Result<bool, SourceError> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
            match self.capture.next_packet() {
                Ok(packet) => {
                    // time_t and suseconds_t are i64 here but narrower elsewhere.
                    #[allow(clippy::useless_conversion)]
                    let ts = i64::from(packet.header.ts.tv_sec) * 1_000_000_000
                        + i64::from(packet.header.ts.tv_usec) * 1000;
                    on_packet(RawPacket {
                        ts,
                        link: self.link,
                        data: packet.data,
                        orig_len: packet.header.len,
                    });
                    return Ok(true);
                }
                // Non-blocking: nothing buffered. Wait on the descriptor with a
                // timeout of our own, so a stop request is seen on a quiet
                // link (libpcap's TPACKET_V3 read can block forever there).
                Err(pcap::Error::TimeoutExpired) => {
                    let mut fd = libc::pollfd {
                        fd: std::os::fd::AsRawFd::as_raw_fd(&self.capture),
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd for the capture's descriptor.
                    let ready = unsafe { libc::poll(&mut fd, 1, 100) };
                    if ready == 0 {
                        // Idle: hand control back (no packet) so the caller can
                        // refresh its views and see a stop request.
                        return Ok(true);
                    }
                }
                Err(pcap::Error::NoMorePackets) => return Ok(false),
                Err(e) => return Err(explain(&self.interface, e)),
            }
        }
    }

    fn link_types(&self) -> Vec<LinkType> {
        vec![self.link]
    }

    fn progress(&self) -> (u64, Option<u64>) {
        (0, None)
    }

    fn capture_stats(&mut self) -> Option<CaptureStats> {
        self.capture.stats().ok().map(|s| CaptureStats {
            received: s.received as u64,
            dropped: s.dropped as u64,
            interface_dropped: s.if_dropped as u64,
        })
    }
}

/// A capturable interface, for `teleprobe devices`.
pub struct DeviceInfo {
    pub name: String,
    pub description: Option<String>,
    pub addresses: Vec<String>,
    pub up: bool,
    pub loopback: bool,
}

pub fn devices() -> Result<Vec<DeviceInfo>, SourceError> {
    let list = pcap::Device::list().map_err(|e| explain("any", e))?;
    Ok(list
        .into_iter()
        .map(|d| DeviceInfo {
            up: d.flags.is_up(),
            loopback: d.flags.is_loopback(),
            addresses: d.addresses.iter().map(|a| a.addr.to_string()).collect(),
            description: d.desc,
            name: d.name,
        })
        .collect())
}
