//! The findings catalogue (DOMAIN.md): stable ids, default severities, the
//! reference behind each rule, a one-line explanation for a compliance
//! reader, and the remedy. Data, not scattered match arms.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A finding's stable id: the catalogue's key, in `RULES` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingId {
    MediaCleartext,
    SrtpKeysExposed,
    SignalingCleartext,
    SipIdentityExposed,
    SipCredentialsCleartext,
    RtcpSdesExposed,
    TlsDeprecated,
    TlsWeakCipher,
    TlsCertificateProblem,
    RelayThirdParty,
    MediaTerminatedByServer,
    VendorWithoutBaa,
    IceAddressExposed,
    DnsProviderExposed,
    SniProviderExposed,
    HttpCleartext,
    StunSoftwareDisclosed,
    PlatformContacted,
    MediaRoutedOutsideAllowedRegions,
}

impl FindingId {
    /// The id as reports, policies and DOMAIN.md spell it.
    pub fn name(self) -> &'static str {
        match self {
            FindingId::MediaCleartext => "media-cleartext",
            FindingId::SrtpKeysExposed => "srtp-keys-exposed",
            FindingId::SignalingCleartext => "signaling-cleartext",
            FindingId::SipIdentityExposed => "sip-identity-exposed",
            FindingId::SipCredentialsCleartext => "sip-credentials-cleartext",
            FindingId::RtcpSdesExposed => "rtcp-sdes-exposed",
            FindingId::TlsDeprecated => "tls-deprecated",
            FindingId::TlsWeakCipher => "tls-weak-cipher",
            FindingId::TlsCertificateProblem => "tls-certificate-problem",
            FindingId::RelayThirdParty => "relay-third-party",
            FindingId::MediaTerminatedByServer => "media-terminated-by-server",
            FindingId::VendorWithoutBaa => "vendor-without-baa",
            FindingId::IceAddressExposed => "ice-address-exposed",
            FindingId::DnsProviderExposed => "dns-provider-exposed",
            FindingId::SniProviderExposed => "sni-provider-exposed",
            FindingId::HttpCleartext => "http-cleartext",
            FindingId::StunSoftwareDisclosed => "stun-software-disclosed",
            FindingId::PlatformContacted => "platform-contacted",
            FindingId::MediaRoutedOutsideAllowedRegions => "media-routed-outside-allowed-regions",
        }
    }

    pub fn from_name(name: &str) -> Option<FindingId> {
        RULES.iter().map(|r| r.id).find(|id| id.name() == name)
    }
}

crate::display_by_name!(FindingId);

pub struct Rule {
    pub id: FindingId,
    pub severity: Severity,
    pub title: &'static str,
    pub explanation: &'static str,
    pub reference: &'static str,
    pub remedy: &'static str,
}

pub static RULES: [Rule; 19] = [
    Rule {
        id: FindingId::MediaCleartext,
        severity: Severity::Critical,
        title: "Media sent without encryption",
        explanation: "Audio or video crossed the network as plain RTP: anyone on the path can record and replay the visit.",
        reference: "45 CFR 164.312(e)(1); RFC 3711",
        remedy: "Require SRTP (DTLS-SRTP, or SDES over TLS signaling) on every endpoint and trunk.",
    },
    Rule {
        id: FindingId::SrtpKeysExposed,
        severity: Severity::Critical,
        title: "SRTP keys sent in clear signaling",
        explanation: "SDES a=crypto keys travelled in unencrypted SIP/SDP, so the encrypted media can be decrypted by anyone who captured the signaling.",
        reference: "RFC 4568 §8.3; 45 CFR 164.312(e)(1)",
        remedy: "Carry SDES only over SIP/TLS (sips:, port 5061) or switch to DTLS-SRTP.",
    },
    Rule {
        id: FindingId::SignalingCleartext,
        severity: Severity::High,
        title: "Call signaling in the clear",
        explanation: "SIP travelled over UDP/TCP without TLS: who called whom, when, and from where is readable on the path.",
        reference: "45 CFR 164.312(e)(1); RFC 3261 §26",
        remedy: "Use SIP over TLS (port 5061) between phones, PBX and trunks.",
    },
    Rule {
        id: FindingId::SipIdentityExposed,
        severity: Severity::High,
        title: "Names or phone numbers in clear SIP headers",
        explanation: "Display names, phone numbers or SIP URIs of participants were readable in From/To/Contact/P-Asserted-Identity headers.",
        reference: "45 CFR 164.514(b)(2)(i)(A),(D)",
        remedy: "Encrypt signaling (SIP/TLS); avoid patient names in display names.",
    },
    Rule {
        id: FindingId::SipCredentialsCleartext,
        severity: Severity::High,
        title: "SIP credentials over an unencrypted transport",
        explanation: "Digest Authorization headers crossed the network unencrypted and can be cracked offline.",
        reference: "45 CFR 164.312(d); RFC 3261 §22.4",
        remedy: "Register over SIP/TLS and use strong, unique SIP passwords.",
    },
    Rule {
        id: FindingId::RtcpSdesExposed,
        severity: Severity::Medium,
        title: "Identifiers in plain RTCP",
        explanation: "RTCP source descriptions (NAME, EMAIL, PHONE, LOC, NOTE) carried identifying details in the clear.",
        reference: "RFC 3550 §6.5; 45 CFR 164.514(b)(2)",
        remedy: "Use SRTCP and configure endpoints not to send personal SDES items.",
    },
    Rule {
        id: FindingId::TlsDeprecated,
        severity: Severity::High,
        title: "Deprecated TLS or DTLS version",
        explanation: "A connection negotiated SSL 3.0, TLS 1.0/1.1 or DTLS 1.0, which NIST no longer allows for federal systems.",
        reference: "NIST SP 800-52 Rev. 2 §3.1; RFC 8996",
        remedy: "Disable versions below TLS 1.2 / DTLS 1.2 on servers and clients.",
    },
    Rule {
        id: FindingId::TlsWeakCipher,
        severity: Severity::High,
        title: "Weak cipher suite negotiated",
        explanation: "The connection uses a NULL, export, anonymous, RC4 or DES/3DES cipher suite that does not protect the data adequately.",
        reference: "NIST SP 800-52 Rev. 2 §3.3.1",
        remedy: "Restrict servers to AEAD suites (AES-GCM, ChaCha20-Poly1305) with ECDHE.",
    },
    Rule {
        id: FindingId::TlsCertificateProblem,
        severity: Severity::Medium,
        title: "Certificate problem",
        explanation: "The server's certificate is self-signed, expired, not yet valid or does not name the server, which exposes users to interception.",
        reference: "NIST SP 800-52 Rev. 2 §3.5; RFC 6125",
        remedy: "Install a certificate from a trusted CA that names the service and is in date.",
    },
    Rule {
        id: FindingId::RelayThirdParty,
        severity: Severity::High,
        title: "Media relayed through a third-party TURN server",
        explanation: "Call media passed through a relay that is not on the allow list: its operator is in the media path and needs a conduit or BAA analysis.",
        reference: "45 CFR 160.103 (business associate); 45 CFR 164.308(b)(1); RFC 8656",
        remedy: "Add the relay to the policy if it is yours or covered by a BAA; otherwise configure the platform's approved relays.",
    },
    Rule {
        id: FindingId::MediaTerminatedByServer,
        severity: Severity::Medium,
        title: "Media terminated by a vendor server",
        explanation: "Encrypted media ends at a vendor server that holds the keys (SFU/MCU): the vendor can access content and is not a mere conduit.",
        reference: "45 CFR 160.103; HHS guidance on the conduit exception",
        remedy: "Make sure a BAA covers this vendor before it carries PHI.",
    },
    Rule {
        id: FindingId::VendorWithoutBaa,
        severity: Severity::High,
        title: "A call on a platform that offers no BAA",
        explanation: "A call (or messaging session) ran on a platform that publicly offers no Business Associate Agreement: its operator carries the session without a contract that binds it to protect PHI.",
        reference: "45 CFR 164.308(b)(1); 45 CFR 164.502(e)",
        remedy: "Move telehealth visits to a platform covered by a BAA.",
    },
    Rule {
        id: FindingId::IceAddressExposed,
        severity: Severity::Low,
        title: "Internal addresses in clear SDP candidates",
        explanation: "ICE host candidates with private addresses were readable in unencrypted signaling, revealing network layout and devices.",
        reference: "RFC 8445 §5.1.1.1; RFC 8828",
        remedy: "Encrypt signaling; use mDNS candidates or restrict host candidates.",
    },
    Rule {
        id: FindingId::DnsProviderExposed,
        severity: Severity::Medium,
        title: "Plain DNS names a telehealth provider",
        explanation: "Unencrypted DNS queries reveal which telehealth service is being used, which can itself disclose a condition.",
        reference: "45 CFR 164.514(b)(2); RFC 7626",
        remedy: "Use encrypted DNS (DoT/DoH) on clinic and patient networks.",
    },
    Rule {
        id: FindingId::SniProviderExposed,
        severity: Severity::Low,
        title: "TLS server name names a telehealth provider",
        explanation: "The TLS/QUIC server name (SNI) is sent in the clear and names the provider.",
        reference: "RFC 6066 §3; RFC 8744",
        remedy: "Prefer services that support Encrypted Client Hello.",
    },
    Rule {
        id: FindingId::HttpCleartext,
        severity: Severity::High,
        title: "Plain HTTP to a telehealth endpoint",
        explanation: "Web traffic to a telehealth service went unencrypted: pages, forms and cookies are readable on the path.",
        reference: "45 CFR 164.312(e)(1)",
        remedy: "Serve and reach the service over HTTPS only (HSTS).",
    },
    Rule {
        id: FindingId::StunSoftwareDisclosed,
        severity: Severity::Info,
        title: "STUN/TURN software disclosed",
        explanation: "The SOFTWARE attribute names the client or server software and version, which helps fingerprinting.",
        reference: "RFC 8489 §14.14",
        remedy: "Disable the SOFTWARE attribute where the software allows it.",
    },
    Rule {
        id: FindingId::PlatformContacted,
        severity: Severity::Info,
        title: "A platform that offers no BAA was contacted",
        explanation: "Traffic reached a platform that offers no BAA (by name or address), but no call or messaging session on it was seen: web browsing, an app's background traffic or a CDN.",
        reference: "45 CFR 164.308(b)(1)",
        remedy: "None needed unless patients are contacted this way; check the app if it is unexpected.",
    },
    Rule {
        id: FindingId::MediaRoutedOutsideAllowedRegions,
        severity: Severity::Medium,
        title: "Call traffic reached a server outside the allowed countries",
        explanation: "A call's media or signaling went to a relay, media server or signaling server that the GeoIP database places outside the countries the policy allows (allowed_countries): PHI left the jurisdiction the clinic's agreements and risk analysis assume.",
        reference: "45 CFR 164.308(a)(1)(ii)(A); 45 CFR 164.314(a)",
        remedy: "Pin the platform's media region (most enterprise platforms offer data residency), or allow the country in the policy if the BAA covers it.",
    },
];

/// The catalogue entry of `id` (RULES is in `FindingId` order).
pub fn rule(id: FindingId) -> &'static Rule {
    &RULES[id as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_match_domain() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id.name()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }

    #[test]
    fn rules_are_in_id_order_and_names_match_serde() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id as usize, i, "{} out of order", r.id);
            assert!(std::ptr::eq(rule(r.id), r));
            let json = serde_json::to_string(&r.id).unwrap();
            assert_eq!(json, format!("\"{}\"", r.id.name()));
            assert_eq!(FindingId::from_name(r.id.name()), Some(r.id));
        }
        assert_eq!(FindingId::from_name("no-such-finding"), None);
    }
}
