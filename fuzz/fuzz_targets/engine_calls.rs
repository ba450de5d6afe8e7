#![no_main]
//! Structure-aware fuzz target: arbitrary sequences of valid-ish frames
//! between a handful of hosts and the ports telehealth uses (SIP requests
//! and responses with SDP, RTP, RTCP, STUN/TURN with attributes and
//! ChannelData, DTLS and TLS hellos, DNS answers, TCP segments with
//! arbitrary sequence numbers), built from libFuzzer's bytes by
//! `arbitrary`, through the engine, the redactor and the whole assessment
//! (calls, verdicts, findings), concluding settled calls every two seconds
//! of scene time as a session does, and writing concluded calls out to the
//! call store past one held. Byte-level targets rarely get past a
//! SIP parser to a second message of the same dialog; this one starts
//! there.

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use teleprobe::engine::{Engine, FlowSink};
use teleprobe::facts::{DialogRecord, FlowRecord};
use teleprobe::source::{LinkType, RawPacket};

const HOSTS: [[u8; 4]; 5] = [
    [10, 0, 0, 1],
    [10, 0, 0, 2],
    [192, 168, 1, 20],
    [203, 0, 113, 5],
    [198, 51, 100, 7],
];
const PORTS: [u16; 12] = [
    5060, 5061, 3478, 443, 53, 16000, 16001, 18000, 18001, 40000, 50000, 8801,
];

#[derive(Arbitrary, Debug)]
struct Frame {
    gap_ms: u16,
    from: u8,
    to: u8,
    source_port: u8,
    destination_port: u8,
    /// TCP instead of UDP: sequence, acknowledgement, flags.
    tcp: Option<(u32, u32, u8)>,
    body: Body,
}

#[derive(Arbitrary, Debug)]
struct Sdp {
    port: u8,
    host: u8,
    profile: u8,
    crypto: bool,
    fingerprint: bool,
    ice: bool,
    record: bool,
}

#[derive(Arbitrary, Debug)]
enum Body {
    SipRequest {
        method: u8,
        call: u8,
        cseq: u8,
        sdp: Option<Sdp>,
    },
    SipResponse {
        status: u16,
        call: u8,
        cseq: u8,
        sdp: Option<Sdp>,
    },
    Rtp {
        payload_type: u8,
        sequence: u16,
        timestamp: u32,
        ssrc: u8,
        length: u8,
    },
    Rtcp {
        kind: u8,
        ssrc: u8,
        cname: Vec<u8>,
    },
    Stun {
        kind: u16,
        transaction: u8,
        attributes: Vec<(u16, Vec<u8>)>,
    },
    ChannelData {
        channel: u16,
        data: Vec<u8>,
    },
    Hello {
        dtls: bool,
        version: u16,
        server_name: u8,
    },
    Dns {
        id: u16,
        name: u8,
        answer: Option<[u8; 4]>,
    },
    Raw(Vec<u8>),
}

fn pick<T: Copy>(list: &[T], i: u8) -> T {
    list[i as usize % list.len()]
}

fn sdp(s: &Sdp) -> String {
    let host = pick(&HOSTS, s.host);
    let profile = pick(
        &["RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", "RTP/SAVPF"],
        s.profile,
    );
    let mut body = format!(
        "v=0\r\no=- 1 1 IN IP4 {0}.{1}.{2}.{3}\r\ns=-\r\nc=IN IP4 {0}.{1}.{2}.{3}\r\nt=0 0\r\nm=audio {4} {profile} 0 8 101\r\n",
        host[0],
        host[1],
        host[2],
        host[3],
        pick(&PORTS, s.port)
    );
    if s.crypto {
        body.push_str("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n");
    }
    if s.fingerprint {
        body.push_str("a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\na=setup:actpass\r\n");
    }
    if s.ice {
        body.push_str("a=ice-ufrag:f1zz\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n");
    }
    if s.record {
        body.push_str("a=record:on\r\n");
    }
    body
}

fn sip(start: &str, call: u8, cseq: u8, method: &str, sdp_body: Option<&Sdp>) -> Vec<u8> {
    let body = sdp_body.map(sdp).unwrap_or_default();
    let mut text = format!(
        "{start}\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{call}{cseq}\r\nFrom: \"Dr. Who\" <sip:alice@clinic.example>;tag=a{call}\r\nTo: <sip:bob@clinic.example>\r\nCall-ID: {call}@fuzz\r\nCSeq: {cseq} {method}\r\nContact: <sip:alice@10.0.0.1>\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        text.push_str("Content-Type: application/sdp\r\n");
    }
    text.push_str("\r\n");
    text.push_str(&body);
    text.into_bytes()
}

fn hello(dtls: bool, version: u16, server_name: u8) -> Vec<u8> {
    let name = format!("h{server_name}.zoom.us");
    let mut sni = vec![0, 0];
    let list_len = (name.len() + 3) as u16;
    sni.extend_from_slice(&(list_len + 2).to_be_bytes());
    sni.extend_from_slice(&list_len.to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni.extend_from_slice(name.as_bytes());
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(&[7; 32]);
    body.push(0); // session id
    if dtls {
        body.push(0); // cookie
    }
    body.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
    body.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    body.extend_from_slice(&sni);
    let length = (body.len() as u32).to_be_bytes();
    let mut handshake = vec![1, length[1], length[2], length[3]];
    if dtls {
        handshake.extend_from_slice(&[0, 0, 0, 0, 0, length[1], length[2], length[3]]);
    }
    handshake.extend_from_slice(&body);
    let mut record = vec![22];
    record.extend_from_slice(&version.to_be_bytes());
    if dtls {
        record.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
    }
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

fn payload(body: &Body) -> Vec<u8> {
    match body {
        Body::SipRequest {
            method,
            call,
            cseq,
            sdp,
        } => {
            let m = pick(
                &[
                    "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "UPDATE", "REGISTER",
                ],
                *method,
            );
            sip(
                &format!("{m} sip:bob@clinic.example SIP/2.0"),
                *call,
                *cseq,
                m,
                sdp.as_ref(),
            )
        }
        Body::SipResponse {
            status,
            call,
            cseq,
            sdp,
        } => sip(
            &format!("SIP/2.0 {} Reason", 100 + status % 600),
            *call,
            *cseq,
            "INVITE",
            sdp.as_ref(),
        ),
        Body::Rtp {
            payload_type,
            sequence,
            timestamp,
            ssrc,
            length,
        } => {
            let mut p = vec![0x80, payload_type & 0x7f];
            p.extend_from_slice(&sequence.to_be_bytes());
            p.extend_from_slice(&timestamp.to_be_bytes());
            p.extend_from_slice(&u32::from(*ssrc).to_be_bytes());
            p.resize(p.len() + *length as usize, 0xd5);
            p
        }
        Body::Rtcp { kind, ssrc, cname } => {
            let cname = &cname[..cname.len().min(64)];
            let words = (8 + cname.len() + 3) / 4;
            let mut p = vec![0x81, 200 + kind % 5];
            p.extend_from_slice(&(words as u16).to_be_bytes());
            p.extend_from_slice(&u32::from(*ssrc).to_be_bytes());
            p.extend_from_slice(&[1, cname.len() as u8]);
            p.extend_from_slice(cname);
            p.resize(4 + words * 4, 0);
            p
        }
        Body::Stun {
            kind,
            transaction,
            attributes,
        } => {
            let mut attrs = Vec::new();
            for (t, v) in attributes.iter().take(8) {
                let v = &v[..v.len().min(64)];
                attrs.extend_from_slice(&t.to_be_bytes());
                attrs.extend_from_slice(&(v.len() as u16).to_be_bytes());
                attrs.extend_from_slice(v);
                attrs.resize(attrs.len().next_multiple_of(4), 0);
            }
            let mut p = (kind & 0x3fff).to_be_bytes().to_vec();
            p.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
            p.extend_from_slice(&0x2112_A442u32.to_be_bytes());
            p.extend_from_slice(&[*transaction; 12]);
            p.extend_from_slice(&attrs);
            p
        }
        Body::ChannelData { channel, data } => {
            let data = &data[..data.len().min(512)];
            let mut p = (0x4000 | (channel & 0x3fff)).to_be_bytes().to_vec();
            p.extend_from_slice(&(data.len() as u16).to_be_bytes());
            p.extend_from_slice(data);
            p
        }
        Body::Hello {
            dtls,
            version,
            server_name,
        } => hello(*dtls, *version, *server_name),
        Body::Dns { id, name, answer } => {
            let mut p = id.to_be_bytes().to_vec();
            let flags: u16 = if answer.is_some() { 0x8180 } else { 0x0100 };
            p.extend_from_slice(&flags.to_be_bytes());
            p.extend_from_slice(&[0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
            for label in [format!("n{name}").as_str(), "zoom", "us"] {
                p.push(label.len() as u8);
                p.extend_from_slice(label.as_bytes());
            }
            p.extend_from_slice(&[0, 0, 1, 0, 1]);
            if let Some(address) = answer {
                p.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
                p.extend_from_slice(address);
            }
            p
        }
        Body::Raw(bytes) => bytes[..bytes.len().min(1500)].to_vec(),
    }
}

/// Ethernet, IPv4 and UDP or TCP around `payload`.
fn frame(f: &Frame, payload: &[u8]) -> Vec<u8> {
    let (source, destination) = (pick(&HOSTS, f.from), pick(&HOSTS, f.to));
    let (sport, dport) = (
        pick(&PORTS, f.source_port),
        pick(&PORTS, f.destination_port),
    );
    let mut l4 = Vec::new();
    l4.extend_from_slice(&sport.to_be_bytes());
    l4.extend_from_slice(&dport.to_be_bytes());
    let protocol = match f.tcp {
        Some((seq, ack, flags)) => {
            l4.extend_from_slice(&seq.to_be_bytes());
            l4.extend_from_slice(&ack.to_be_bytes());
            l4.extend_from_slice(&[0x50, flags & 0x3f, 0xff, 0xff, 0, 0, 0, 0]);
            6
        }
        None => {
            l4.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            l4.extend_from_slice(&[0, 0]);
            17
        }
    };
    l4.extend_from_slice(payload);
    let mut out = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    out.extend_from_slice(&[0x45, 0]);
    out.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0x40, 0, 64, protocol, 0, 0]);
    out.extend_from_slice(&source);
    out.extend_from_slice(&destination);
    out.extend_from_slice(&l4);
    out
}

/// Ended flows and dialogs go through the redactor into the assessment as
/// they end, as in a session.
struct Pipeline {
    redactor: teleprobe::report::redact::Redactor,
    assessor: teleprobe::assess::Assessor,
}

impl FlowSink for Pipeline {
    fn flow(&mut self, mut record: FlowRecord) {
        self.redactor.apply(&mut record);
        self.assessor.observe(&record);
    }
    fn dialog(&mut self, mut record: DialogRecord) {
        self.redactor.apply_dialog(&mut record);
        self.assessor.observe_dialog(record);
    }
}

/// Capture time between looks for settled calls, and how quiet a call
/// must have been: short, so scenes of a few seconds conclude calls while
/// they run, as hours of capture do with the real timeouts.
const LOOK_EVERY: i64 = 2_000_000_000;

fuzz_target!(|frames: Vec<Frame>| {
    // Made once: the built-in policy, vendor and tracker lists are data,
    // not input (parsing them is most of an empty run).
    static BASE: std::sync::OnceLock<teleprobe::assess::Assessor> = std::sync::OnceLock::new();
    let base = BASE.get_or_init(|| {
        teleprobe::assess::Assessor::new(
            teleprobe::assess::policy::Policy::default(),
            teleprobe::assess::vendors::Vendors::built_in(),
        )
        .with_conclude_at(0)
        // Calls written out to a temporary file as soon as two are held,
        // and read back (with what the end adds) for the assessment.
        .with_calls_held(1)
    });
    let mut pipeline = Pipeline {
        redactor: teleprobe::report::redact::Redactor::new(false, Vec::new()),
        assessor: base.clone(),
    };
    let mut engine = Engine::new();
    let mut ts = 1_700_000_000_000_000_000i64;
    let mut next_look = ts + LOOK_EVERY;
    for f in frames.iter().take(256) {
        ts += i64::from(f.gap_ms) * 1_000_000;
        let data = frame(f, &payload(&f.body));
        let packet = RawPacket {
            ts,
            link: LinkType::ETHERNET,
            data: &data,
            orig_len: data.len() as u32,
        };
        engine.packet(packet, &mut pipeline);
        if ts >= next_look {
            next_look = ts + LOOK_EVERY;
            // Calls quiet since a look ago are concluded, their flows let go.
            let mut running = engine.live_call_records(&|_| true);
            for record in &mut running {
                pipeline.redactor.apply(record);
            }
            let mut live = engine.live_dialogs();
            for dialog in &mut live {
                pipeline.redactor.apply_dialog(dialog);
            }
            let cutoff = teleprobe::time::Timestamp(ts - LOOK_EVERY);
            pipeline
                .assessor
                .conclude_settled(running, live, &engine.dns_names(), cutoff);
        }
    }
    let (_, dns) = engine.finish(&mut pipeline);
    let assessment = pipeline.assessor.finish(&dns);
    // Every call comes back, whatever was written out.
    assert_eq!(assessment.calls.iter().count(), assessment.calls.len());
});
