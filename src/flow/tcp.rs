//! Bounded in-order TCP reassembly, one direction at a time. In-order
//! segments are handed to the stream parser straight from the packet; only a
//! partial message left over at a segment's end, or an early out-of-order
//! segment, is copied. Buffers are capped, so a flow costs at most
//! `MAX_BUFFERED` bytes per direction whatever its length.

/// Largest partial message kept per direction (TLS records are at most 16 KiB
/// plus overhead; SIP messages with SDP fit easily).
pub const MAX_BUFFERED: usize = 64 * 1024;
const MAX_OUT_OF_ORDER: usize = 8;

#[derive(Default, Clone)]
pub struct TcpDirection {
    next_seq: Option<u32>,
    /// Bytes received in order but not yet consumed by the parser.
    pub pending: Vec<u8>,
    out_of_order: Vec<(u32, Vec<u8>)>,
    pub gaps: u32,
    pub finished: bool,
}

/// What the caller should do with the stream bytes now available.
#[derive(Debug)]
pub enum Delivery<'p> {
    /// In-order bytes straight from the packet; stash what is not consumed.
    Direct(&'p [u8]),
    /// Bytes are in the direction's buffer: take it, parse, give it back.
    Buffered,
    Nothing,
}

impl TcpDirection {
    /// Registers a segment and says where the in-order bytes it made
    /// available are. A `syn` consumes one sequence number.
    pub fn segment<'p>(&mut self, seq: u32, syn: bool, payload: &'p [u8]) -> Delivery<'p> {
        if self.finished {
            return Delivery::Nothing;
        }
        let start = if syn { seq.wrapping_add(1) } else { seq };
        let expected = *self.next_seq.get_or_insert(start);
        if payload.is_empty() {
            return Delivery::Nothing;
        }
        let offset = start.wrapping_sub(expected) as i32;
        if offset > 0 {
            // Early segment: hold a bounded number; beyond that, accept the gap.
            if self.out_of_order.len() < MAX_OUT_OF_ORDER && (offset as usize) < MAX_BUFFERED {
                self.out_of_order.push((start, payload.to_vec()));
                return Delivery::Nothing;
            }
            self.gaps += 1;
            self.pending.clear();
            self.out_of_order.clear();
            self.next_seq = Some(start.wrapping_add(payload.len() as u32));
            return Delivery::Direct(payload);
        }
        // Retransmission or overlap: skip what was already delivered.
        let skip = offset.unsigned_abs() as usize;
        if skip >= payload.len() {
            return Delivery::Nothing;
        }
        let fresh = &payload[skip..];
        self.next_seq = Some(expected.wrapping_add(fresh.len() as u32));
        if self.pending.is_empty() && self.out_of_order.is_empty() {
            return Delivery::Direct(fresh);
        }
        self.pending.extend_from_slice(fresh);
        self.drain_out_of_order();
        if self.pending.len() > MAX_BUFFERED {
            // A "message" this large is not one we parse: stop following.
            self.finish();
            return Delivery::Nothing;
        }
        Delivery::Buffered
    }

    fn drain_out_of_order(&mut self) {
        loop {
            let Some(next) = self.next_seq else { return };
            let Some(i) = self.out_of_order.iter().position(|(s, d)| {
                next.wrapping_sub(*s) as i32 >= 0 && (next.wrapping_sub(*s) as usize) < d.len()
            }) else {
                self.out_of_order
                    .retain(|(s, _)| s.wrapping_sub(next) as i32 > 0);
                return;
            };
            let (s, d) = self.out_of_order.swap_remove(i);
            let skip = next.wrapping_sub(s) as usize;
            self.pending.extend_from_slice(&d[skip..]);
            self.next_seq = Some(next.wrapping_add((d.len() - skip) as u32));
        }
    }

    /// Keeps the unconsumed tail of a `Direct` delivery.
    pub fn stash(&mut self, tail: &[u8]) {
        if tail.len() > MAX_BUFFERED {
            self.finish();
        } else {
            self.pending.extend_from_slice(tail);
        }
    }

    /// Takes the buffer of a `Buffered` delivery; hand it back with [`Self::restore`].
    pub fn take_pending(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    /// Returns the buffer after parsing, dropping the `consumed` bytes.
    pub fn restore(&mut self, mut buffer: Vec<u8>, consumed: usize) {
        if self.finished {
            return;
        }
        buffer.drain(..consumed.min(buffer.len()));
        self.pending = buffer;
    }

    /// Stop following this direction (handshake done, or not a protocol we read).
    pub fn finish(&mut self) {
        self.finished = true;
        self.pending = Vec::new();
        self.out_of_order = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds a segment and consumes everything delivered.
    fn collect(dir: &mut TcpDirection, seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
        match dir.segment(seq, syn, payload) {
            Delivery::Direct(d) => d.to_vec(),
            Delivery::Buffered => {
                let buf = dir.take_pending();
                let out = buf.clone();
                dir.restore(buf, out.len());
                out
            }
            Delivery::Nothing => Vec::new(),
        }
    }

    #[test]
    fn in_order_retransmit_and_reorder() {
        let mut d = TcpDirection::default();
        assert!(collect(&mut d, 99, true, b"").is_empty());
        assert_eq!(collect(&mut d, 100, false, b"hello "), b"hello ");
        assert_eq!(
            collect(&mut d, 100, false, b"hello "),
            b"",
            "retransmission dropped"
        );
        assert_eq!(
            collect(&mut d, 112, false, b"again"),
            b"",
            "early segment held"
        );
        assert_eq!(collect(&mut d, 103, false, b"lo world "), b"world again");
        assert_eq!(d.gaps, 0);
    }

    #[test]
    fn keeps_partial_tail() {
        let mut d = TcpDirection::default();
        match d.segment(1, false, b"abcdef") {
            Delivery::Direct(b) => {
                assert_eq!(b, b"abcdef");
                d.stash(&b[4..]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(d.segment(7, false, b"gh"), Delivery::Buffered));
        assert_eq!(d.take_pending(), b"efgh");
    }
}
