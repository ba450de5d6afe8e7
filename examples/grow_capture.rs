//! Builds a large Ethernet pcap for throughput comparisons by repeating real
//! captures with shifted addresses (each repetition is a new set of flows)
//! and a steady clock (1 ms between packets, so idle flows expire as they
//! would on a real link).
//!
//! With GROW_SAME_ADDRESSES=1 the repetitions keep their addresses: the
//! same flows go on (a few long flows instead of many short ones).
//!
//! Usage: grow_capture OUT.pcap TARGET_MB INPUT...

use std::io::{BufWriter, Write};
use teleprobe::decode::ip_offset;
use teleprobe::source::read_all;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: grow_capture OUT.pcap TARGET_MB INPUT...");
        std::process::exit(2);
    }
    let target = args[2].parse::<u64>().expect("TARGET_MB is a number") << 20;
    // Load every IP frame once, with an Ethernet header in front.
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for input in &args[3..] {
        let Ok(packets) = read_all(input) else {
            continue;
        };
        for p in packets {
            let Ok(Some(offset)) = ip_offset(p.link, &p.data) else {
                continue;
            };
            let ip = &p.data[offset..];
            let ether_type: u16 = match ip.first().map(|b| b >> 4) {
                Some(4) => 0x0800,
                Some(6) => 0x86dd,
                _ => continue,
            };
            let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
            f.extend_from_slice(&ether_type.to_be_bytes());
            f.extend_from_slice(ip);
            frames.push(f);
        }
    }
    let mut out = BufWriter::new(std::fs::File::create(&args[1]).expect("create output"));
    let header: [u32; 6] = [0xa1b2c3d4, 0x0004_0002, 0, 0, 262_144, 1];
    for (i, w) in header.iter().enumerate() {
        if i == 1 {
            out.write_all(&2u16.to_le_bytes()).unwrap();
            out.write_all(&4u16.to_le_bytes()).unwrap();
        } else {
            out.write_all(&w.to_le_bytes()).unwrap();
        }
    }
    let shift = std::env::var_os("GROW_SAME_ADDRESSES").is_none();
    let (mut written, mut ts_us, mut rep, mut packets) =
        (24u64, 1_700_000_000_000_000u64, 0u32, 0u64);
    while written < target {
        for f in &frames {
            let mut f = f.clone();
            // Shift both addresses by the repetition number.
            if !shift {
            } else if f[12..14] == [0x08, 0x00] && f.len() >= 34 {
                for at in [14 + 12 + 1, 14 + 16 + 1] {
                    f[at] = f[at].wrapping_add(rep as u8);
                    f[at + 1] = f[at + 1].wrapping_add((rep >> 8) as u8);
                }
            } else if f.len() >= 54 {
                for at in [14 + 8 + 13, 14 + 24 + 13] {
                    f[at] = f[at].wrapping_add(rep as u8);
                    f[at + 1] = f[at + 1].wrapping_add((rep >> 8) as u8);
                }
            }
            ts_us += 1000;
            out.write_all(&((ts_us / 1_000_000) as u32).to_le_bytes())
                .unwrap();
            out.write_all(&((ts_us % 1_000_000) as u32).to_le_bytes())
                .unwrap();
            out.write_all(&(f.len() as u32).to_le_bytes()).unwrap();
            out.write_all(&(f.len() as u32).to_le_bytes()).unwrap();
            out.write_all(&f).unwrap();
            written += 16 + f.len() as u64;
            packets += 1;
        }
        rep += 1;
    }
    out.flush().unwrap();
    eprintln!(
        "{}: {packets} packets, {} MB, {rep} repetitions of {} frames",
        args[1],
        written >> 20,
        frames.len()
    );
}
