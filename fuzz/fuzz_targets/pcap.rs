#![no_main]
//! Fuzz target: the pcap/pcapng reader on arbitrary file bytes (absurd
//! snap lengths, packet lengths beyond the file, interface tables, clock
//! resolutions), read to its end or its first error.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::source::FileSource;
    use teleprobe::source::PacketSource;
    let input = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(mut source) = FileSource::from_reader("fuzz.pcap", input, Some(data.len() as u64))
    else {
        return;
    };
    // Every packet consumes input, so the loop ends; the bound is a guard.
    for _ in 0..100_000 {
        match source.next_packet(&mut |p| {
            let _ = (p.ts, p.link, p.data.len(), p.orig_len);
        }) {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
    }
});
