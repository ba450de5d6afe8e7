//! Throughput of the per-packet path, measured with divan: the whole engine
//! over the project's captures held in memory (no I/O), and the hottest
//! dissectors alone. `cargo bench` runs it; benches/compare.sh compares the
//! binary against ndpiReader and tshark on a large file.

use divan::{Bencher, black_box};
use teleprobe::engine::Engine;
use teleprobe::source::{OwnedPacket, read_all};

fn main() {
    divan::main();
}

/// Every frame of the shipped captures.
fn frames() -> Vec<OwnedPacket> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| p.to_string_lossy().to_string())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .flat_map(|n| read_all(&n).unwrap())
        .collect()
}

#[divan::bench(sample_count = 20)]
fn engine_on_captures(bencher: Bencher) {
    let frames = frames();
    let bytes: usize = frames.iter().map(|f| f.data.len()).sum();
    bencher
        .counter(divan::counter::ItemsCount::new(frames.len()))
        .counter(divan::counter::BytesCount::new(bytes))
        .bench(|| {
            let mut engine = Engine::new();
            let mut flows = Vec::new();
            for frame in &frames {
                engine.packet(frame.raw(), &mut flows);
            }
            engine.finish(&mut flows);
            black_box(flows.len())
        });
}

#[divan::bench]
fn stun_parse(bencher: Bencher) {
    let mut msg = vec![0x00, 0x01, 0x00, 0x18, 0x21, 0x12, 0xa4, 0x42];
    msg.extend_from_slice(&[7; 12]);
    msg.extend_from_slice(&[
        0x00, 0x06, 0x00, 0x09, b'e', b'v', b't', b'j', b':', b'h', b'6', b'v', b'Y', 0, 0, 0,
    ]);
    msg.extend_from_slice(&[0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff]);
    bencher.bench(|| {
        let m = teleprobe::proto::stun::Message::parse(black_box(&msg)).unwrap();
        black_box((
            m.method(),
            m.text(teleprobe::proto::stun::USERNAME),
            m.u32_attr(teleprobe::proto::stun::PRIORITY),
        ))
    });
}

#[divan::bench]
fn rtp_parse_and_stats(bencher: Bencher) {
    let mut pkt = vec![0x80, 0x60, 0x12, 0x34, 0, 0, 0, 160, 1, 2, 3, 4];
    pkt.extend((0..160u32).map(|i| (i * 37) as u8));
    let mut stats = teleprobe::proto::rtp::PayloadStats::default();
    bencher.bench_local(|| {
        let h = teleprobe::proto::rtp::parse_rtp(black_box(&pkt)).unwrap();
        stats.add(h.payload);
        black_box(h.sequence)
    });
}
