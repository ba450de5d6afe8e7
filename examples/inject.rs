//! Sends the frames of capture files onto an interface at a chosen rate,
//! cycling through them: the load generator for measuring the highest
//! packet rate `teleprobe live` sustains without drops. Frames go out
//! through a raw packet socket, a batch per `sendmmsg(2)` call, so one
//! injector costs a system call per batch rather than per packet (libpcap's
//! `pcap_sendpacket` makes one per packet, which capped a single injector
//! at about 700,000 packets/s on this project's machine).
//!
//! Usage: inject IFACE PACKETS RATE_PPS CAPTURE...   (RATE_PPS 0 = as fast as possible)
//! Only for loopback or interfaces in your own network namespaces. Needs
//! CAP_NET_RAW.

use std::time::{Duration, Instant};
use teleprobe::source::read_all;

/// Frames handed to the kernel per system call.
const BATCH: usize = 64;

/// How far ahead of its schedule an injector may be before it sleeps: a
/// burst of a few hundred packets, well within the capture's buffer.
const AHEAD: Duration = Duration::from_micros(500);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: inject IFACE PACKETS RATE_PPS CAPTURE...");
        std::process::exit(2);
    }
    let count: u64 = args[2].parse().expect("PACKETS is a number");
    let rate: u64 = args[3].parse().expect("RATE_PPS is a number");
    let frames: Vec<Vec<u8>> = args[4..]
        .iter()
        .flat_map(|p| read_all(p).expect("a capture"))
        .map(|p| p.data)
        .collect();
    assert!(!frames.is_empty(), "the captures hold no frames");
    let socket = RawSocket::bound_to(&args[1]).unwrap_or_else(|e| {
        eprintln!(
            "inject: cannot send on {}: {e} (needs root or CAP_NET_RAW)",
            args[1]
        );
        std::process::exit(1);
    });
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < count {
        if let Some(nanos) = (sent * 1_000_000_000).checked_div(rate) {
            // Ahead of the schedule: sleep rather than spin, so that two
            // injectors and the capture can share two cores.
            let due = Duration::from_nanos(nanos);
            let now = start.elapsed();
            if due > now + AHEAD {
                std::thread::sleep(due - now);
            }
        }
        let n = usize::try_from(count - sent).map_or(BATCH, |left| left.min(BATCH));
        let batch = (0..n).map(|i| frames[(sent as usize + i) % frames.len()].as_slice());
        sent += socket.send_batch(batch).expect("send") as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{count} {secs:.3} {:.0}", count as f64 / secs);
}

/// An `AF_PACKET` socket bound to one interface, for sending whole frames.
struct RawSocket(std::os::fd::OwnedFd);

impl RawSocket {
    fn bound_to(interface: &str) -> std::io::Result<RawSocket> {
        use std::os::fd::{AsRawFd, FromRawFd};
        let name = std::ffi::CString::new(interface).map_err(std::io::Error::other)?;
        // SAFETY: a NUL-terminated name; 0 means no such interface.
        let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if index == 0 {
            return Err(std::io::Error::last_os_error());
        }
        // Protocol 0: the socket sends and is handed no frames to read.
        // SAFETY: plain socket(2); the descriptor is owned at once.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is a new descriptor no one else owns.
        let socket = RawSocket(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) });
        // SAFETY: sockaddr_ll is plain data; zeroed is a valid value.
        let mut address: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        address.sll_family = libc::AF_PACKET as u16;
        address.sll_ifindex = index as i32;
        // SAFETY: the address and its length describe a sockaddr_ll.
        let bound = unsafe {
            libc::bind(
                socket.0.as_raw_fd(),
                (&raw const address).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        if bound != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(socket)
    }

    /// Sends the frames, all of them (the kernel may take a batch in
    /// parts); returns how many.
    fn send_batch<'a>(&self, frames: impl Iterator<Item = &'a [u8]>) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        let mut iovecs: Vec<libc::iovec> = frames
            .map(|f| libc::iovec {
                iov_base: f.as_ptr() as *mut libc::c_void,
                iov_len: f.len(),
            })
            .collect();
        // SAFETY: mmsghdr is plain data; zeroed is a valid value.
        let mut messages: Vec<libc::mmsghdr> = iovecs
            .iter_mut()
            .map(|iov| {
                let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
                m.msg_hdr.msg_iov = iov;
                m.msg_hdr.msg_iovlen = 1;
                m
            })
            .collect();
        let mut done = 0;
        while done < messages.len() {
            let left = &mut messages[done..];
            // SAFETY: each message points at one iovec over a frame that
            // outlives the call.
            let n = unsafe {
                libc::sendmmsg(self.0.as_raw_fd(), left.as_mut_ptr(), left.len() as u32, 0)
            };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                // The device queue is full: let it drain.
                if e.raw_os_error() == Some(libc::ENOBUFS) {
                    std::thread::yield_now();
                    continue;
                }
                return Err(e);
            }
            done += n as usize;
        }
        Ok(done)
    }
}
