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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
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
    WifiOpenNetwork,
    WifiWep,
    WifiWpa1OrTkip,
    WifiWpa2Personal,
    WifiWpa3Personal,
    WifiPskCrackable,
    WifiTransitionMode,
    WifiPmfNotRequired,
    WifiOweUnauthenticated,
    WifiEapIdentityExposed,
    WifiEapImsiExposed,
    WifiEapWeakMethod,
    WifiDeauthFlood,
    WifiEvilTwin,
    WifiWpsEnabled,
    WifiUnprotectedDataInRsn,
    WifiProbeSsidsExposed,
    WifiHiddenSsid,
    WifiWeakerAkmChosen,
    WifiBelowMinimumClass,
    WifiEapCertificateExposed,
    TrackerDuringCall,
    TrackerOutsideVisit,
    TrackerCleartext,
    CallRecorded,
    RecordingMetadataCleartext,
    RecordingMediaCleartext,
    SignalingMirrored,
    HepAuthKeyCleartext,
    MediaForked,
    MediaForkedDecrypted,
    TrackerCnameCloaked,
    RecordingNotIndicated,
    RecordingPreferenceIgnored,
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
            FindingId::WifiOpenNetwork => "wifi-open-network",
            FindingId::WifiWep => "wifi-wep",
            FindingId::WifiWpa1OrTkip => "wifi-wpa1-or-tkip",
            FindingId::WifiWpa2Personal => "wifi-wpa2-personal",
            FindingId::WifiWpa3Personal => "wifi-wpa3-personal",
            FindingId::WifiPskCrackable => "wifi-psk-crackable",
            FindingId::WifiTransitionMode => "wifi-transition-mode",
            FindingId::WifiPmfNotRequired => "wifi-pmf-not-required",
            FindingId::WifiOweUnauthenticated => "wifi-owe-unauthenticated",
            FindingId::WifiEapIdentityExposed => "wifi-eap-identity-exposed",
            FindingId::WifiEapImsiExposed => "wifi-eap-imsi-exposed",
            FindingId::WifiEapWeakMethod => "wifi-eap-weak-method",
            FindingId::WifiDeauthFlood => "wifi-deauth-flood",
            FindingId::WifiEvilTwin => "wifi-evil-twin",
            FindingId::WifiWpsEnabled => "wifi-wps-enabled",
            FindingId::WifiUnprotectedDataInRsn => "wifi-unprotected-data-in-rsn",
            FindingId::WifiProbeSsidsExposed => "wifi-probe-ssids-exposed",
            FindingId::WifiHiddenSsid => "wifi-hidden-ssid",
            FindingId::WifiWeakerAkmChosen => "wifi-weaker-akm-chosen",
            FindingId::WifiBelowMinimumClass => "wifi-below-minimum-class",
            FindingId::WifiEapCertificateExposed => "wifi-eap-certificate-exposed",
            FindingId::TrackerDuringCall => "tracker-during-call",
            FindingId::TrackerOutsideVisit => "tracker-outside-visit",
            FindingId::TrackerCleartext => "tracker-cleartext",
            FindingId::CallRecorded => "call-recorded",
            FindingId::RecordingMetadataCleartext => "recording-metadata-cleartext",
            FindingId::RecordingMediaCleartext => "recording-media-cleartext",
            FindingId::SignalingMirrored => "signaling-mirrored",
            FindingId::HepAuthKeyCleartext => "hep-auth-key-cleartext",
            FindingId::MediaForked => "media-forked",
            FindingId::MediaForkedDecrypted => "media-forked-decrypted",
            FindingId::TrackerCnameCloaked => "tracker-cname-cloaked",
            FindingId::RecordingNotIndicated => "recording-not-indicated",
            FindingId::RecordingPreferenceIgnored => "recording-preference-ignored",
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

pub static RULES: [Rule; 53] = [
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
    Rule {
        id: FindingId::WifiOpenNetwork,
        severity: Severity::Critical,
        title: "Open Wi-Fi network carries client traffic",
        explanation: "A wireless network without encryption carried client data frames: anyone in radio range reads the traffic, addresses and any unencrypted application data. The source documents' position: not acceptable for PHI.",
        reference: "45 CFR 164.312(e)(1); IEEE 802.11-2020 §12",
        remedy: "Protect the network with WPA2-Enterprise or WPA3-Enterprise (or at least WPA3-SAE); keep guests on a separate network.",
    },
    Rule {
        id: FindingId::WifiWep,
        severity: Severity::Critical,
        title: "WEP-protected Wi-Fi network",
        explanation: "WEP's key can be recovered from captured traffic in minutes; it protects nothing. The source documents' position: WEP does not provide the appropriate level of security.",
        reference: "45 CFR 164.312(e)(1); IEEE 802.11-2020 §12.3.2 (deprecated)",
        remedy: "Replace WEP with WPA2-Enterprise or WPA3; retire devices that support only WEP.",
    },
    Rule {
        id: FindingId::WifiWpa1OrTkip,
        severity: Severity::High,
        title: "WPA (version 1) or TKIP offered",
        explanation: "The network offers WPA1 or the TKIP cipher, which the IEEE deprecated: a client, or an attacker forcing a downgrade, can use it.",
        reference: "IEEE 802.11-2020 §12.5.2 (TKIP deprecated); NIST SP 800-153",
        remedy: "Offer only WPA2/WPA3 with CCMP or GCMP; turn off WPA/TKIP compatibility.",
    },
    Rule {
        id: FindingId::WifiWpa2Personal,
        severity: Severity::Medium,
        title: "WPA2-Personal: one shared passphrase",
        explanation: "Every device and person who knows the passphrase is on the network and, with a captured handshake, can decrypt other clients' traffic; access cannot be revoked per person. The source documents' position: questionable for PHI.",
        reference: "45 CFR 164.312(a)(2)(i), (d); NIST SP 800-153 §3",
        remedy: "Move clinical devices to WPA2/WPA3-Enterprise (802.1X) with per-user credentials.",
    },
    Rule {
        id: FindingId::WifiWpa3Personal,
        severity: Severity::Low,
        title: "WPA3-Personal (SAE): a shared credential",
        explanation: "SAE resists offline guessing and protects each session's keys, but access still rests on one shared passphrase, not per-user credentials.",
        reference: "45 CFR 164.312(d); WPA3 Specification",
        remedy: "Prefer WPA3-Enterprise for clinical devices; rotate the passphrase when staff leave.",
    },
    Rule {
        id: FindingId::WifiPskCrackable,
        severity: Severity::Medium,
        title: "Material to crack the Wi-Fi passphrase was captured",
        explanation: "A PMKID in a handshake's first message, or its first two messages, were captured: anyone with this capture can guess the passphrase offline at GPU speed.",
        reference: "IEEE 802.11-2020 §12.7.6; hashcat mode 22000",
        remedy: "Use a long random passphrase, or move to WPA3-SAE or 802.1X; disable PMKID caching for PSK where the AP allows.",
    },
    Rule {
        id: FindingId::WifiTransitionMode,
        severity: Severity::Low,
        title: "Transition mode allows a downgrade",
        explanation: "The network offers a weaker mode beside the stronger one (WPA3-SAE with WPA2-PSK, WPA3- with WPA2-Enterprise, OWE with open): a client can be led to the weaker one.",
        reference: "WPA3 Specification §2.3, §3; RFC 8110",
        remedy: "Once every client supports it, switch off the transition mode.",
    },
    Rule {
        id: FindingId::WifiPmfNotRequired,
        severity: Severity::Low,
        title: "Management frames are not protected",
        explanation: "Protected Management Frames (802.11w) are not required: deauthentication frames can be forged to disconnect clients (and to capture handshakes). WPA3 requires PMF; SAE without it is not compliant WPA3.",
        reference: "IEEE 802.11-2020 §12.6.19; WPA3 Specification §2",
        remedy: "Set PMF to required (WPA3) or at least capable on every RSN network.",
    },
    Rule {
        id: FindingId::WifiOweUnauthenticated,
        severity: Severity::Medium,
        title: "Enhanced Open (OWE): encrypted, but nobody is authenticated",
        explanation: "OWE encrypts each client's traffic but authenticates neither side: an evil twin with the same name is trivial.",
        reference: "RFC 8110 §1",
        remedy: "Keep clinical traffic on an Enterprise network; OWE suits guests only.",
    },
    Rule {
        id: FindingId::WifiEapIdentityExposed,
        severity: Severity::Medium,
        title: "EAP outer identity names a user",
        explanation: "The 802.1X identity a client sends before the tunnel is readable by anyone in range: it names the user (a metadata leak) and helps target them.",
        reference: "RFC 3748 §5.1; RFC 4282 (anonymous NAI); 45 CFR 164.514(b)(2)",
        remedy: "Configure supplicants with an anonymous outer identity (anonymous@realm).",
    },
    Rule {
        id: FindingId::WifiEapImsiExposed,
        severity: Severity::High,
        title: "A SIM's IMSI sent in the clear (EAP-SIM/AKA)",
        explanation: "EAP-SIM/AKA sent the subscriber's permanent identity (IMSI): the device and its owner can be tracked.",
        reference: "RFC 4187 §4.1; 3GPP TS 33.402",
        remedy: "Use devices and networks that support IMSI privacy (encrypted identities, RFC 9048) or pseudonyms.",
    },
    Rule {
        id: FindingId::WifiEapWeakMethod,
        severity: Severity::High,
        title: "Weak EAP method",
        explanation: "The network offered or used an EAP method that exposes the credential to a passive listener or to cheap offline attack (EAP-MD5, LEAP, GTC or OTP outside a tunnel).",
        reference: "RFC 3748 §7.3; RFC 4017",
        remedy: "Use EAP-TLS, or PEAP/TTLS with server certificate validation.",
    },
    Rule {
        id: FindingId::WifiDeauthFlood,
        severity: Severity::Medium,
        title: "Deauthentication flood",
        explanation: "More than 10 deauthentication or disassociation frames within a second (or 30 in 10 s) hit one network: an attack that disconnects clients (calls drop) and forces handshakes an attacker can capture.",
        reference: "IEEE 802.11-2020 §11.3.4; Kismet DEAUTHFLOOD",
        remedy: "Require PMF (802.11w); locate the transmitter with a wireless IDS.",
    },
    Rule {
        id: FindingId::WifiEvilTwin,
        severity: Severity::High,
        title: "Same network name with weaker security",
        explanation: "One SSID is announced by access points with different security classes, or a BSSID changed to weaker security, or answered probes for many names: signs of an evil twin that can intercept clients.",
        reference: "NIST SP 800-153 §3.3; Kismet CRYPTODROP",
        remedy: "Find the access point that differs; use 802.1X with server certificate validation so clients refuse impostors.",
    },
    Rule {
        id: FindingId::WifiWpsEnabled,
        severity: Severity::Medium,
        title: "WPS enabled on an access point",
        explanation: "Wi-Fi Protected Setup is on and not locked: its PIN method can be brute-forced to reveal the passphrase.",
        reference: "US-CERT VU#723755",
        remedy: "Turn off WPS on clinic access points.",
    },
    Rule {
        id: FindingId::WifiUnprotectedDataInRsn,
        severity: Severity::Medium,
        title: "Unprotected data on a protected network",
        explanation: "Data frames without protection crossed a network that announces WPA2/WPA3: a misconfigured client or access point, or injected traffic.",
        reference: "IEEE 802.11-2020 §12.6",
        remedy: "Find the devices sending them; check for injection.",
    },
    Rule {
        id: FindingId::WifiProbeSsidsExposed,
        severity: Severity::Low,
        title: "Devices broadcast the networks they know",
        explanation: "Probe requests named the networks a device has joined before: they identify the device (and its owner's places) and invite evil twins.",
        reference: "IEEE 802.11-2020 §11.1.4.3",
        remedy: "Configure devices not to probe for hidden networks; remove stale saved networks.",
    },
    Rule {
        id: FindingId::WifiHiddenSsid,
        severity: Severity::Info,
        title: "Hidden SSID",
        explanation: "The network hides its name in beacons. This is not security: clients reveal the name in their probes and associations.",
        reference: "IEEE 802.11-2020 §11.1.4.3",
        remedy: "Rely on WPA2/WPA3-Enterprise, not on hiding the name.",
    },
    Rule {
        id: FindingId::WifiWeakerAkmChosen,
        severity: Severity::Low,
        title: "A client chose the weaker mode on offer",
        explanation: "On a network offering several modes, a client associated with the weaker one (PSK instead of SAE, 802.1X without SHA-256, no PMF).",
        reference: "WPA3 Specification §2.3",
        remedy: "Update or reconfigure the client; end the transition mode when all clients can.",
    },
    Rule {
        id: FindingId::WifiBelowMinimumClass,
        severity: Severity::High,
        title: "Clinic Wi-Fi below the policy's minimum security",
        explanation: "A network the policy names as the clinic's (or any network, when it names none) offers a security class weaker than the policy's minimum (default WPA2-Enterprise).",
        reference: "45 CFR 164.312(e)(1); 45 CFR 164.308(a)(1)(ii)(B)",
        remedy: "Raise the network's security to the minimum class, or correct the policy's clinic_ssids.",
    },
    Rule {
        id: FindingId::WifiEapCertificateExposed,
        severity: Severity::Medium,
        title: "EAP-TLS client certificate readable",
        explanation: "EAP-TLS with TLS 1.2 or earlier sends the station's certificate in the clear: its subject (a person's name, e-mail or device) is readable by anyone in range, even when the outer identity is anonymous.",
        reference: "RFC 5216 §2.1.4; RFC 9190 (EAP-TLS 1.3)",
        remedy: "Use EAP-TLS with TLS 1.3 (RFC 9190), which encrypts the client certificate, or TLS 1.2 with privacy (RFC 5216 §2.1.4).",
    },
    Rule {
        id: FindingId::TrackerDuringCall,
        severity: Severity::High,
        title: "A third-party tracker was contacted around a visit",
        explanation: "A device taking part in a call contacted a tracking service (advertising, session replay, analytics...) shortly before, during or after it: the tracker learns that this device used the telehealth service at that time, which HHS treats as a disclosure of PHI without a BAA.",
        reference: "HHS OCR bulletin on online tracking technologies (2022, updated 2024); 45 CFR 164.502(e); 45 CFR 164.308(a)(1)(ii)(A)",
        remedy: "Remove the tag or SDK from visit pages and the telehealth app, or obtain a BAA with the vendor.",
    },
    Rule {
        id: FindingId::TrackerOutsideVisit,
        severity: Severity::Info,
        title: "A third-party tracker was contacted, not during a visit",
        explanation: "A device contacted a tracking service, but not within the window around any call in this capture. Unauthenticated pages are outside the OCR bulletin's reach since AHA v. Becerra (2024); authenticated pages and apps are not.",
        reference: "HHS OCR bulletin on online tracking technologies; AHA v. Becerra, N.D. Tex. 4:23-cv-01110-P (2024)",
        remedy: "Check whether the page or app is part of the patient journey (portal, scheduling).",
    },
    Rule {
        id: FindingId::TrackerCleartext,
        severity: Severity::High,
        title: "Request to a tracker over plain HTTP",
        explanation: "A request to a tracking service crossed the network unencrypted: the page it was sent from and its parameters are readable on the path, besides reaching the tracker.",
        reference: "45 CFR 164.312(e)(1); HHS OCR bulletin on online tracking technologies",
        remedy: "Remove the tag, or at least load it over HTTPS only.",
    },
    Rule {
        id: FindingId::CallRecorded,
        severity: Severity::Medium,
        title: "A call was recorded by a recording server",
        explanation: "A SIPREC recording session sent a copy of the call's media and its participants' identities to a recording server: the recorder's operator receives PHI and is a business associate (high when the recorder is outside the clinic's networks).",
        reference: "45 CFR 164.502(e); 45 CFR 164.504(e); RFC 7866",
        remedy: "Confirm a BAA with the recorder's operator and that recording is required and disclosed; record only what policy requires.",
    },
    Rule {
        id: FindingId::RecordingMetadataCleartext,
        severity: Severity::High,
        title: "Recording metadata in the clear",
        explanation: "A recording session's metadata (participants' numbers, SIP URIs, names, often the recorded call's original headers) crossed the network without TLS.",
        reference: "45 CFR 164.312(e)(1); 45 CFR 164.514(b)(2)(i)(A),(D); RFC 7865",
        remedy: "Run the recording session over SIP/TLS to the recording server.",
    },
    Rule {
        id: FindingId::RecordingMediaCleartext,
        severity: Severity::High,
        title: "Recording media sent without encryption",
        explanation: "The copy of the call's media sent to the recording server is plain RTP (critical when the recorded call itself was encrypted: the recording undoes its protection).",
        reference: "45 CFR 164.312(e)(2)(ii); RFC 7866 §12",
        remedy: "Enable SRTP on the recording session (SBCs and recorders support it).",
    },
    Rule {
        id: FindingId::SignalingMirrored,
        severity: Severity::High,
        title: "Call signaling copied to a monitoring collector",
        explanation: "A monitoring agent (HEP/EEP: Homer, heplify, Kamailio siptrace, sngrep) copied the call's SIP messages, with the participants' identities, to a collector: its operator holds them (medium when the collector is inside the clinic's networks).",
        reference: "45 CFR 164.312(e)(1); 45 CFR 164.308(b)(1)",
        remedy: "Send HEP over TLS to a collector the clinic owns or covers by a BAA; mask identities at the agent.",
    },
    Rule {
        id: FindingId::HepAuthKeyCleartext,
        severity: Severity::Medium,
        title: "Monitoring collector password in the clear",
        explanation: "A HEP3 authentication key crossed the network unencrypted: anyone on the path can feed or impersonate the monitoring agent.",
        reference: "45 CFR 164.312(d)",
        remedy: "Carry HEP over TLS (or a VPN) and rotate the key.",
    },
    Rule {
        id: FindingId::MediaForked,
        severity: Severity::High,
        title: "Call media copied to an address the call never negotiated",
        explanation: "A stream of the call (same SSRC and payload type, at the same time) was also sent to a third address that no signaling, ICE or relay of the call named: a recorder, monitor or forwarder receives the visit's audio or video.",
        reference: "45 CFR 164.502(a); 45 CFR 164.312(e)(1); RFC 3550 §8.2",
        remedy: "Identify the element that forks the media and its operator; stop it, or cover it by a BAA.",
    },
    Rule {
        id: FindingId::MediaForkedDecrypted,
        severity: Severity::Critical,
        title: "Encrypted call media copied elsewhere in the clear",
        explanation: "The call's stream was encrypted, but a copy of it went to a third address as plain RTP: the forwarding element decrypted the visit and sent it on readable.",
        reference: "45 CFR 164.312(e)(2)(ii)",
        remedy: "Forward media with SRTP, or not at all.",
    },
    Rule {
        id: FindingId::TrackerCnameCloaked,
        severity: Severity::High,
        title: "A tracker hidden under a first-party name",
        explanation: "A DNS answer maps a name of the site's own domain to a tracker's host by CNAME (first-party cloaking): the browser sends the site's own cookies to the tracker, and blockers miss it.",
        reference: "HHS OCR bulletin on online tracking technologies; 45 CFR 164.502(e)",
        remedy: "Remove the CNAME and the tag behind it, or move it to a processor under a BAA.",
    },
    Rule {
        id: FindingId::RecordingNotIndicated,
        severity: Severity::Low,
        title: "A recorded call's participant was not told",
        explanation: "A participant's phone supports recording indication (Supported: record-aware), the call was recorded, and no a=record:on reached it: the recording was not disclosed the way the protocol provides.",
        reference: "RFC 7866 §6.2, §11.5.1",
        remedy: "Enable recording indication (or an announcement) on the recording client.",
    },
    Rule {
        id: FindingId::RecordingPreferenceIgnored,
        severity: Severity::Medium,
        title: "A participant asked not to be recorded, and was",
        explanation: "A participant offered a=recordpref:off (or pause) and a recording session for that call still streamed media: the opt-out was ignored.",
        reference: "RFC 7866 §11.5.2",
        remedy: "Honour recording preferences, and document consent when policy requires recording.",
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
