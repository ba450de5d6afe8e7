//! Sends the frames of capture files onto an interface through libpcap at a
//! chosen rate, cycling through them: the load generator for measuring the
//! highest packet rate `teleprobe live` sustains without drops.
//!
//! Usage: inject IFACE PACKETS RATE_PPS CAPTURE...   (RATE_PPS 0 = as fast as possible)
//! Only for loopback or interfaces in your own network namespaces.

use std::time::{Duration, Instant};
use teleprobe::source::read_all;

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
    let mut out = pcap::Capture::from_device(args[1].as_str())
        .and_then(|c| c.open())
        .expect("open the interface");
    let start = Instant::now();
    for i in 0..count {
        if let Some(nanos) = (i * 1_000_000_000).checked_div(rate) {
            let due = Duration::from_nanos(nanos);
            while start.elapsed() < due {
                std::hint::spin_loop();
            }
        }
        out.sendpacket(frames[(i as usize) % frames.len()].as_slice())
            .expect("send");
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{count} {secs:.3} {:.0}", count as f64 / secs);
}
