//! The per-packet path allocates nothing in steady state: after a first pass
//! over real calls (which creates flows, streams and the values stored once),
//! replaying their media packets (RTP, SRTP, RTCP, SRTCP, ICE checks, TURN
//! ChannelData and refreshes) through the engine must not allocate at all.
//! Signaling and handshakes are excluded: they store what they carry.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use teleprobe::engine::Engine;
use teleprobe::proto::sip::looks_like_sip;
use teleprobe::source::{OwnedPacket, RawPacket, read_all};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn frames(name: &str) -> Vec<OwnedPacket> {
    read_all(&format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// UDP payload of an Ethernet/IPv4 frame (the shipped captures are such).
fn udp_payload(frame: &[u8]) -> Option<&[u8]> {
    if frame.get(12..14)? != [0x08, 0x00] || frame.get(23)? != &17 {
        return None;
    }
    let ihl = (frame[14] & 0x0f) as usize * 4;
    frame.get(14 + ihl + 8..)
}

/// Media-phase packets: not signaling, not a (D)TLS handshake, not DNS.
fn is_media(frame: &[u8]) -> bool {
    let Some(p) = udp_payload(frame) else {
        return false;
    };
    let inner = match p.first() {
        Some(64..=79) => p.get(4..).unwrap_or_default(),
        _ => p,
    };
    !looks_like_sip(p) && !matches!(inner.first(), Some(20..=63)) && !p.is_empty()
}

#[test]
fn steady_state_media_packets_do_not_allocate() {
    let mut all = Vec::new();
    for name in [
        "webrtc-aiortc.pcap",
        "webrtc-aiortc-turn.pcap",
        "sip-rtp-cleartext.pcap",
        "sip-sdes-srtp.pcap",
    ] {
        all.extend(frames(name));
    }
    // The calls were recorded minutes apart: put them on one clock, 1 ms
    // apart, so no flow idles out between the two passes.
    for (i, frame) in all.iter_mut().enumerate() {
        frame.ts = 1_700_000_000_000_000_000 + i as i64 * 1_000_000;
    }
    let media: Vec<&OwnedPacket> = all.iter().filter(|f| is_media(&f.data)).collect();
    assert!(
        media.len() > 1000,
        "expected the media of four calls, got {}",
        media.len()
    );
    let mut engine = Engine::new();
    let mut flows = Vec::with_capacity(1024);
    let last = all.iter().map(|f| f.ts).max().unwrap();
    for frame in &all {
        engine.packet(frame.raw(), &mut flows);
    }
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let mut offenders = Vec::new();
    for (i, frame) in media.iter().enumerate() {
        // Same flows, a moment later: well inside every idle timeout.
        let packet = RawPacket {
            ts: last + (frame.ts - all[0].ts),
            ..frame.raw()
        };
        let data = &frame.data;
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        engine.packet(packet, &mut flows);
        if ALLOCATIONS.load(Ordering::Relaxed) != before && offenders.len() < 8 {
            offenders.push((i, udp_payload(data).map(|p| p[..p.len().min(24)].to_vec())));
        }
    }
    COUNTING.store(false, Ordering::Relaxed);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(
        allocations,
        0,
        "{allocations} allocations for {} media packets, first in {offenders:02x?}",
        media.len()
    );
    assert!(flows.is_empty(), "no flow ended during the replay");
}
