//! Whether an RTP stream is encrypted, strongest evidence first: DTLS-SRTP
//! or ZRTP on the 5-tuple (high), then what SDP announced for the endpoint
//! (high), then payload statistics (medium). Conflicting evidence gives
//! `unknown` with both pieces named. A pure function, table-tested below.

use super::parse::PayloadVerdict;
use crate::proto::sip::state::Announcement;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

// Whether a stream's payload is encrypted (a plain comment: the schema
// keeps its original, undocumented form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Encrypted {
    Yes,
    No,
    Unknown,
}

impl Encrypted {
    pub fn name(self) -> &'static str {
        match self {
            Encrypted::Yes => "yes",
            Encrypted::No => "no",
            Encrypted::Unknown => "unknown",
        }
    }
}

// How sure the verdict is: `high` (signaling or key exchange), `medium`
// (payload statistics), `low`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    pub fn name(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

crate::display_by_name!(Encrypted);

/// What is known about a stream's 5-tuple and endpoint.
pub struct Context<'a> {
    /// Packet and SRTP profile of a DTLS ServerHello with use_srtp.
    pub dtls_srtp: Option<(u64, &'a str)>,
    pub zrtp: bool,
    /// What SDP announced for the stream's endpoint.
    pub announced: Option<&'a Announcement>,
    /// A platform's own framing around the RTP, which documents the media
    /// as encrypted by the platform (Zoom's 8801 media header).
    pub platform_framing: Option<&'a str>,
}

pub struct Judgement {
    pub encrypted: Encrypted,
    pub confidence: Confidence,
    pub evidence: Vec<String>,
}

pub fn judge(cx: &Context<'_>, stats: &PayloadVerdict) -> Judgement {
    use Confidence::*;
    use Encrypted::*;
    let mut evidence = Vec::new();
    let mut encrypted = Unknown;
    let mut confidence = Low;
    if let Some((packet, profile)) = cx.dtls_srtp {
        encrypted = Yes;
        confidence = High;
        evidence.push(format!(
            "DTLS-SRTP handshake on this 5-tuple negotiated {profile} (packet {packet})"
        ));
    }
    if cx.zrtp {
        encrypted = Yes;
        confidence = High;
        evidence.push("ZRTP key agreement on this 5-tuple".to_string());
    }
    if let Some(framing) = cx.platform_framing {
        encrypted = Yes;
        // The platform documents it; payload statistics cannot overrule
        // a platform's own header bytes inside the payload.
        confidence = High;
        evidence.push(framing.to_string());
    }
    if let Some(a) = cx.announced {
        let secure = a.profile.contains("SAVP") || a.crypto || a.zrtp;
        evidence.push(format!(
            "SDP (packet {}) announced {}{}{}",
            a.packet,
            a.profile,
            if a.crypto {
                " with a=crypto (SDES)"
            } else {
                " without a=crypto"
            },
            if a.fingerprint {
                " and a=fingerprint"
            } else {
                ""
            }
        ));
        if confidence != High {
            encrypted = if secure { Yes } else { No };
            confidence = High;
        }
    }
    let stat_line = format!(
        "payload statistics over {} packets: entropy {:.2} bits/byte, chi-square {:.0}, {} distinct first bytes (uniform would give {:.0})",
        stats.packets,
        stats.entropy,
        stats.chi_square,
        stats.first_byte_distinct,
        stats.first_byte_expected
    );
    match (stats.looks_encrypted, encrypted) {
        (Some(true), Unknown) => {
            encrypted = Yes;
            confidence = Medium;
            evidence.push(format!("{stat_line}: uniform, consistent with SRTP"));
        }
        (Some(false), Unknown) => {
            encrypted = No;
            confidence = Medium;
            evidence.push(format!(
                "{stat_line}: structured, consistent with a clear codec"
            ));
        }
        (Some(true), No) => {
            encrypted = Unknown;
            confidence = Low;
            evidence.push(format!(
                "{stat_line}: uniform although signaling announced clear RTP (proprietary encryption or a compressed codec)"
            ));
        }
        (Some(false), Yes) if confidence != High => {
            encrypted = Unknown;
            evidence.push(format!(
                "{stat_line}: structured although encryption was expected"
            ));
        }
        _ => evidence.push(stat_line),
    }
    Judgement {
        encrypted,
        confidence,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(looks_encrypted: Option<bool>) -> PayloadVerdict {
        PayloadVerdict {
            packets: 100,
            entropy: 7.9,
            chi_square: 250.0,
            first_byte_distinct: 90,
            first_byte_expected: 81.0,
            looks_encrypted,
        }
    }

    fn announced(profile: &str, crypto: bool) -> Announcement {
        Announcement {
            profile: profile.to_string(),
            crypto,
            fingerprint: false,
            zrtp: false,
            packet: 4,
        }
    }

    /// (DTLS-SRTP, ZRTP, SDP, statistics) → (encrypted, confidence).
    type Row<'a> = (
        Option<(u64, &'a str)>,
        bool,
        Option<&'a Announcement>,
        Option<bool>,
        Encrypted,
        Confidence,
    );

    #[test]
    fn strongest_evidence_decides() {
        let avp = announced("RTP/AVP", false);
        let savp = announced("RTP/SAVP", true);
        let table: [Row<'_>; 8] = [
            (
                Some((9, "SRTP_AES128_CM_SHA1_80")),
                false,
                None,
                Some(false),
                Encrypted::Yes,
                Confidence::High,
            ),
            (None, true, None, None, Encrypted::Yes, Confidence::High),
            (
                None,
                false,
                Some(&avp),
                Some(false),
                Encrypted::No,
                Confidence::High,
            ),
            (
                None,
                false,
                Some(&savp),
                Some(true),
                Encrypted::Yes,
                Confidence::High,
            ),
            (
                None,
                false,
                Some(&avp),
                Some(true),
                Encrypted::Unknown,
                Confidence::Low,
            ),
            (
                None,
                false,
                None,
                Some(true),
                Encrypted::Yes,
                Confidence::Medium,
            ),
            (
                None,
                false,
                None,
                Some(false),
                Encrypted::No,
                Confidence::Medium,
            ),
            (None, false, None, None, Encrypted::Unknown, Confidence::Low),
        ];
        for (i, (dtls_srtp, zrtp, announced, looks, encrypted, confidence)) in
            table.into_iter().enumerate()
        {
            let cx = Context {
                platform_framing: None,
                dtls_srtp,
                zrtp,
                announced,
            };
            let j = judge(&cx, &stats(looks));
            assert_eq!(
                (j.encrypted, j.confidence),
                (encrypted, confidence),
                "row {i}"
            );
            assert!(!j.evidence.is_empty(), "row {i} names its evidence");
        }
    }

    #[test]
    fn a_platforms_own_framing_says_encrypted_whatever_the_statistics() {
        let cx = Context {
            dtls_srtp: None,
            zrtp: false,
            announced: None,
            platform_framing: Some("Zoom media framing"),
        };
        let j = judge(&cx, &stats(Some(false)));
        assert_eq!(
            (j.encrypted, j.confidence),
            (Encrypted::Yes, Confidence::High)
        );
        assert_eq!(j.evidence[0], "Zoom media framing");
    }

    #[test]
    fn a_conflict_names_both_pieces_of_evidence() {
        let avp = announced("RTP/AVP", false);
        let cx = Context {
            dtls_srtp: None,
            zrtp: false,
            announced: Some(&avp),
            platform_framing: None,
        };
        let j = judge(&cx, &stats(Some(true)));
        assert!(j.evidence[0].starts_with("SDP (packet 4) announced RTP/AVP without a=crypto"));
        assert!(j.evidence[1].contains("uniform although signaling announced clear RTP"));
    }
}
