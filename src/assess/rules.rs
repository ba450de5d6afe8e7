//! The per-flow rules: what each finished (redacted) flow shows that the
//! catalogue names, with the packets and values behind it (cleartext
//! signaling and media, exposed identities, keys and addresses, TLS
//! problems, relays, vendors by name). Must never see a value redaction
//! did not, nor keep anything of the flow beyond the findings it raises.

use super::catalogue::{FindingId, Severity};
use super::geo::is_internal;
use super::model::Evidence;
use super::{Assessor, FlowLine, MAX_CALL_FLOWS, MAX_SERVER_LINES, evidence, push_capped};
use crate::facts::FlowRecord;
use std::net::IpAddr;

impl Assessor {
    /// Applies the per-flow rules to a finished (redacted) flow.
    pub fn observe(&mut self, f: &FlowRecord) {
        if self.apply_rules(f) {
            self.call_flows.push(std::sync::Arc::new(f.clone()));
        }
    }

    /// [`Assessor::observe`] for a flow no one else needs: a call flow is
    /// kept without a copy.
    pub fn observe_owned(&mut self, f: FlowRecord) {
        if self.apply_rules(&f) {
            self.call_flows.push(std::sync::Arc::new(f));
        }
    }

    /// The per-flow rules; whether the flow is to be kept for its call.
    fn apply_rules(&mut self, f: &FlowRecord) -> bool {
        self.observed += 1;
        self.observe_trackers(f);
        // Flows that can be part of a call: signaling, ICE, relays, media,
        // and encrypted web signaling to a known platform (by SNI).
        let call_protocols = [
            "sip", "sdp", "stun", "turn", "rtp", "srtp", "rtcp", "srtcp", "dtls", "zrtp", "zoom",
            "hep",
        ];
        let vendor_sni = f
            .tls
            .as_ref()
            .and_then(|t| t.sni.as_deref())
            .or_else(|| f.quic.as_ref().and_then(|q| q.sni.as_deref()))
            .is_some_and(|sni| self.vendors.by_name(sni).is_some());
        if super::platform::may_be_messaging(f, &self.vendors) {
            if self.messaging_flows.len() < MAX_CALL_FLOWS {
                let view = std::sync::Arc::new(super::platform::messaging_view(f));
                push_capped(&mut self.messaging_flows, view, MAX_CALL_FLOWS);
            } else {
                self.messaging_not_kept += 1;
            }
        }
        let mut call_flow = false;
        if vendor_sni
            || !f.markers.is_empty()
            || f.protocols.iter().any(|p| call_protocols.contains(p))
        {
            if self.call_flows.len() < MAX_CALL_FLOWS {
                call_flow = true;
                self.raising = Some((f.id, Vec::new()));
            } else {
                self.calls_truncated += 1;
            }
        }
        let line = FlowLine::of(f);
        // Published ranges are known now; DNS answers name servers at the end.
        // An operator's whole network names its platform only on the
        // platform's ports (`wide_ranges`).
        let (ip, server) = (f.server.ip(), f.server);
        let by_range = [
            (self.vendors.by_address(ip), ""),
            (self.vendors.by_media_server(server), ", on its media port"),
            (
                self.vendors.by_messaging_server(server),
                ", on its messaging port",
            ),
        ]
        .into_iter()
        .find_map(|(v, port)| Some((v?.name.clone(), port)));
        if let Some((v, port)) = by_range {
            // The port matters only when it is what named the platform.
            let at = match port {
                "" => ip.to_string(),
                _ => server.to_string(),
            };
            let how = format!(
                "address {at} in {v}'s published ranges{port} (flow {})",
                f.id
            );
            self.saw_vendor(&v, how, &line);
        }
        if self.server_lines.len() < MAX_SERVER_LINES {
            if self.servers_lined.insert(f.server.ip()) {
                push_capped(&mut self.server_lines, line.clone(), MAX_SERVER_LINES);
            }
        } else if !self.servers_lined.contains(&f.server.ip()) {
            self.servers_not_kept += 1;
        }
        // Only a finding needs it as text.
        let server = || format!("{} {}", f.transport, f.server);

        if let Some(sip) = &f.sip {
            let ev = evidence(
                f,
                sip.first_packet,
                f.last_packet,
                format!("{} SIP messages", sip.messages.len()),
            );
            let agents = sip.user_agents.join("; ");
            self.report(
                FindingId::SignalingCleartext,
                server(),
                &[
                    ("transport", signaling_transport(f)),
                    ("user_agents", agents),
                ],
                ev.clone(),
            );
            let ids = identity_lines(&sip.identities);
            if !ids.is_empty() {
                let detail = format!("readable in SIP headers: {}", ids.join(", "));
                let ev = evidence(f, sip.first_packet, f.last_packet, detail);
                self.report(
                    FindingId::SipIdentityExposed,
                    server(),
                    &[("identities", ids.join(", "))],
                    ev,
                );
            }
            if sip.authorization {
                let detail =
                    credentials_detail(sip.messages.iter().map(|m| (m.message.as_str(), m.packet)));
                self.report(
                    FindingId::SipCredentialsCleartext,
                    server(),
                    &[],
                    evidence(f, sip.first_packet, f.last_packet, detail),
                );
            }
            for sdp in &sip.sdp {
                self.sdp_findings(
                    f,
                    &server(),
                    sdp,
                    &format!("SDP in packet {} ({})", sdp.packet, sdp.message),
                );
            }
        }

        if let Some(http) = f
            .http
            .as_ref()
            .filter(|h| !h.sdp.is_empty() || !h.candidates.is_empty())
        {
            let transport = signaling_transport(f);
            let packet = http.signaling_packet.unwrap_or(f.first_packet);
            let what: Vec<String> = http
                .sdp
                .iter()
                .map(|s| {
                    format!(
                        "SDP {}in {} (packet {})",
                        s.kind
                            .as_deref()
                            .map(|k| format!("{k} "))
                            .unwrap_or_default(),
                        s.sdp.message,
                        s.sdp.packet
                    )
                })
                .chain(
                    (!http.candidates.is_empty())
                        .then(|| format!("{} trickled ICE candidates", http.candidates.len())),
                )
                .collect();
            let detail = format!(
                "WebRTC signaling readable over cleartext {transport}: {}",
                what.join(", ")
            );
            self.report(
                FindingId::SignalingCleartext,
                server(),
                &[("transport", transport.to_string())],
                evidence(f, packet, f.last_packet, detail),
            );
            for sdp in &http.sdp {
                let carried = format!(
                    "SDP in packet {} ({} over {transport})",
                    sdp.sdp.packet, sdp.sdp.message
                );
                self.sdp_findings(f, &server(), &sdp.sdp, &carried);
            }
            let trickled: Vec<String> = exposed_candidates(&http.candidates).collect();
            if !trickled.is_empty() {
                let detail = format!(
                    "ICE candidates trickled over cleartext {transport} from packet {packet}: {}",
                    trickled.join(", ")
                );
                self.report(
                    FindingId::IceAddressExposed,
                    server(),
                    &[("candidates", trickled.join(", "))],
                    evidence(f, packet, f.last_packet, detail),
                );
            }
        }

        for s in f
            .rtp
            .iter()
            .flat_map(|r| &r.streams)
            .filter(|s| s.encrypted == crate::facts::Encrypted::No)
        {
            let subject = format!("SSRC {} {} -> {}", s.ssrc, f.client, f.server);
            let detail = format!(
                "{} RTP packets, payload type {}{}; {}",
                s.packets,
                s.payload_type,
                s.codec
                    .as_ref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default(),
                s.evidence.join("; ")
            );
            let ev = Evidence {
                flow: f.id,
                first_packet: s.first_packet,
                last_packet: s.last_packet,
                first_timestamp: s.first_timestamp,
                last_timestamp: s.last_timestamp,
                detail,
            };
            self.report(
                FindingId::MediaCleartext,
                subject,
                &[
                    ("packets", s.packets.to_string()),
                    ("direction", s.direction.to_string()),
                ],
                ev,
            );
        }

        if let Some(rtcp) = &f.rtcp {
            let items: Vec<&crate::facts::SdesRecord> = rtcp
                .sdes
                .iter()
                .filter(|i| matches!(i.item, "NAME" | "EMAIL" | "PHONE" | "LOC" | "NOTE"))
                .collect();
            if let (Some(first), Some(last)) = (
                items.iter().map(|i| i.packet).min(),
                items.iter().map(|i| i.packet).max(),
            ) {
                let list: Vec<String> = items
                    .iter()
                    .map(|i| format!("{} {}={}", i.ssrc, i.item, i.value))
                    .collect();
                self.report(
                    FindingId::RtcpSdesExposed,
                    server(),
                    &[("items", list.join(", "))],
                    evidence(
                        f,
                        first,
                        last,
                        format!("SDES items in plain RTCP: {}", list.join(", ")),
                    ),
                );
            }
        }

        if let Some(tls) = &f.tls {
            let hello = tls.server_hello_packet.unwrap_or(f.first_packet);
            let subject = match &tls.sni {
                Some(sni) => format!("{} ({sni})", server()),
                None => server(),
            };
            if let Some(v) = tls.version {
                let min = if v.is_dtls() {
                    self.policy.tls.minimum_dtls_version
                } else {
                    self.policy.tls.minimum_version
                };
                if v.rank() < min.0.rank() {
                    let version = v.to_string();
                    let detail = match &tls.version_inferred_from {
                        Some(from) => format!("{version}, from the {from}"),
                        None => format!("ServerHello in packet {hello} negotiated {version}"),
                    };
                    self.report(
                        FindingId::TlsDeprecated,
                        subject.clone(),
                        &[("version", version)],
                        evidence(f, hello, hello, detail),
                    );
                }
            }
            if let Some(cipher) = &tls.cipher {
                let allowed = &self.policy.tls.allowed_ciphers;
                if weak_cipher(cipher) || (!allowed.is_empty() && !allowed.contains(cipher)) {
                    let detail = format!("ServerHello in packet {hello} chose {cipher}");
                    self.report(
                        FindingId::TlsWeakCipher,
                        subject.clone(),
                        &[("cipher", cipher.clone())],
                        evidence(f, hello, hello, detail),
                    );
                }
            }
            if let Some(cert) = &tls.certificate {
                for name in cert.names() {
                    if let Some(v) = self.vendors.by_certificate(name) {
                        let (v, how) = (v.name.clone(), format!("certificate {name}"));
                        self.server_names.note(f.server.ip(), &v, how, f.id);
                    }
                }
                // WebRTC's DTLS certificates are self-signed by design: the
                // SDP fingerprint authenticates them.
                let webrtc = super::calls::keys_a_call(f);
                let mut problems = Vec::new();
                if cert.self_signed && !webrtc {
                    problems.push("self-signed".to_string());
                }
                if cert.not_after < f.first_timestamp {
                    problems.push(format!("expired {}", cert.not_after));
                }
                if cert.not_before > f.last_timestamp {
                    problems.push(format!("not valid before {}", cert.not_before));
                }
                // Read against all its names when it was parsed: the
                // record keeps only the first few.
                if let (Some(sni), Some(false)) = (&tls.sni, cert.names_host) {
                    problems.push(format!("does not name {sni}"));
                }
                if !problems.is_empty() {
                    let detail = format!(
                        "certificate in packet {} ({}): {}",
                        cert.packet,
                        cert.subject,
                        problems.join(", ")
                    );
                    self.report(
                        FindingId::TlsCertificateProblem,
                        subject.clone(),
                        &[
                            ("subject", cert.subject.clone()),
                            ("problems", problems.join(", ")),
                        ],
                        evidence(f, cert.packet, cert.packet, detail),
                    );
                }
            }
        }

        let sni = f
            .tls
            .as_ref()
            .and_then(|t| t.sni.clone())
            .or_else(|| f.quic.as_ref().and_then(|q| q.sni.clone()));
        if let Some(sni) = sni {
            if let Some(v) = self.vendors.by_name(&sni).map(|v| v.name.clone()) {
                let packet = f
                    .tls
                    .as_ref()
                    .and_then(|t| t.client_hello_packet)
                    .unwrap_or(f.first_packet);
                self.saw_vendor(
                    &v,
                    format!("SNI {sni} (flow {}, packet {packet})", f.id),
                    &line,
                );
                self.server_names
                    .note(f.server.ip(), &v, format!("SNI {sni}"), f.id);
                self.report(
                    FindingId::SniProviderExposed,
                    format!("{v}: {sni}"),
                    &[("sni", sni.clone()), ("vendor", v.clone())],
                    evidence(
                        f,
                        packet,
                        packet,
                        format!("ClientHello in packet {packet} names {sni}"),
                    ),
                );
            }
        }

        if let Some(dns) = &f.dns {
            for q in &dns.queries {
                if let Some(v) = self.vendors.by_name(&q.name).map(|v| v.name.clone()) {
                    self.saw_vendor(
                        &v,
                        format!("DNS query {} (flow {}, packet {})", q.name, f.id, q.packet),
                        &line,
                    );
                    let detail = format!("{} query for {} in packet {}", q.kind, q.name, q.packet);
                    self.report(
                        FindingId::DnsProviderExposed,
                        format!("{v}: {}", q.name),
                        &[("name", q.name.clone()), ("vendor", v.clone())],
                        evidence(f, q.packet, q.packet, detail),
                    );
                }
            }
        }

        for r in f.http.iter().flat_map(|h| &h.requests) {
            let Some(host) = &r.host else { continue };
            let host_only = host.split(':').next().unwrap_or(host);
            if let Some(v) = self.vendors.by_name(host_only).map(|v| v.name.clone()) {
                self.saw_vendor(
                    &v,
                    format!("HTTP Host {host} (flow {}, packet {})", f.id, r.packet),
                    &line,
                );
                self.server_names
                    .note(f.server.ip(), &v, format!("HTTP Host {host}"), f.id);
                let detail = format!(
                    "{} http://{host}{} in packet {}",
                    r.method, r.path, r.packet
                );
                self.report(
                    FindingId::HttpCleartext,
                    format!("{v}: {host}"),
                    &[("host", host.clone())],
                    evidence(f, r.packet, r.packet, detail),
                );
            }
        }

        if let Some(stun) = &f.stun {
            for sw in &stun.software {
                let detail = format!("SOFTWARE \"{sw}\" in STUN/TURN messages of flow {}", f.id);
                self.report(
                    FindingId::StunSoftwareDisclosed,
                    sw.clone(),
                    &[("software", sw.clone())],
                    evidence(f, stun.first_packet, f.last_packet, detail),
                );
                if let Some(v) = self.vendors.by_software(sw).map(|v| v.name.clone()) {
                    self.saw_vendor(&v, format!("STUN SOFTWARE {sw} (flow {})", f.id), &line);
                }
            }
            if let Some(realm) = &stun.realm {
                if let Some(v) = self.vendors.by_realm(realm).map(|v| v.name.clone()) {
                    self.saw_vendor(&v, format!("TURN REALM {realm} (flow {})", f.id), &line);
                }
            }
            if f.turn.is_some() && !stun.relayed_addresses.is_empty() {
                self.relay(f, stun);
            }
        }
        if let Some((flow, raised)) = self.raising.take()
            && !raised.is_empty()
        {
            self.own_findings.insert(flow, raised.into());
        }
        call_flow
    }

    fn relay(&mut self, f: &FlowRecord, stun: &crate::facts::StunDetail) {
        let relay_ip = Some(f.server.ip());
        let allowed = self
            .policy
            .allowed_relay(relay_ip, stun.realm.as_deref(), &[])
            .map(|r| r.name.clone());
        let mut values = vec![
            ("relay", f.server.to_string()),
            (
                "relayed_addresses",
                crate::proto::record::joined(&stun.relayed_addresses, ", "),
            ),
        ];
        if let Some(realm) = &stun.realm {
            values.push(("realm", realm.clone()));
        }
        if !stun.software.is_empty() {
            values.push(("software", stun.software.join("; ")));
        }
        if let Some(name) = &allowed {
            values.push(("allowed_by", name.clone()));
        }
        let carried = f
            .turn
            .as_ref()
            .map(|t| t.carried.join(", "))
            .unwrap_or_default();
        let detail = format!(
            "Allocate succeeded (relayed {}); relay carried: {}",
            crate::proto::record::joined(&stun.relayed_addresses, ", "),
            if carried.is_empty() {
                "no recognised protocol"
            } else {
                &carried
            }
        );
        let subject = format!("{} {}", f.transport, f.server);
        let before = self.findings.len();
        self.report(
            FindingId::RelayThirdParty,
            subject.clone(),
            &values,
            evidence(f, stun.first_packet, f.last_packet, detail),
        );
        if allowed.is_some() && self.findings.len() > before {
            if let Some(last) = self.findings.last_mut() {
                last.severity = Severity::Info;
            }
        }
    }

    /// What an SDP read in the clear gives away: SDES keys (a=crypto) and
    /// the addresses in its ICE candidates. `carried` says where it was.
    fn sdp_findings(
        &mut self,
        f: &FlowRecord,
        server: &str,
        sdp: &crate::facts::SdpRecord,
        carried: &str,
    ) {
        for (id, detail, values) in sdp_exposures(sdp, carried) {
            self.report(
                id,
                server.to_string(),
                &values,
                evidence(f, sdp.packet, sdp.packet, detail),
            );
        }
    }
}

/// The identities read in SIP headers, as findings list them:
/// `From: "name" sip:uri`.
pub(super) fn identity_lines(identities: &[crate::facts::SipIdentity]) -> Vec<String> {
    identities
        .iter()
        .map(|i| match &i.display_name {
            Some(n) => format!("{}: \"{n}\" {}", i.header, i.uri),
            None => format!("{}: {}", i.header, i.uri),
        })
        .collect()
}

/// Where credentials crossed in the clear, of SIP `messages` (name, packet).
pub(super) fn credentials_detail<'a>(messages: impl Iterator<Item = (&'a str, u64)>) -> String {
    let packets: Vec<String> = messages
        .filter(|(m, _)| *m == "REGISTER" || *m == "INVITE")
        .map(|(_, packet)| packet.to_string())
        .collect();
    format!(
        "Authorization or Proxy-Authorization in SIP requests (packets {})",
        packets.join(", ")
    )
}

/// A finding an SDP shows: its id, detail and values.
pub(super) type Exposure = (FindingId, String, Vec<(&'static str, String)>);

/// What one SDP read in the clear exposes, `carried` saying how it
/// travelled: a=crypto keys (each medium's) and candidates that reveal a
/// party's address; each with its detail and the finding's values.
pub(super) fn sdp_exposures(sdp: &crate::facts::SdpRecord, carried: &str) -> Vec<Exposure> {
    let mut out = Vec::new();
    for m in sdp.media.iter().filter(|m| m.crypto) {
        let detail = format!(
            "{carried} carried a=crypto {} for {} {}:{} (key material not recorded)",
            m.crypto_suites.join(", "),
            m.kind,
            crate::proto::record::OrUnknown(m.address),
            m.port
        );
        out.push((
            FindingId::SrtpKeysExposed,
            detail,
            vec![("suites", m.crypto_suites.join(", "))],
        ));
    }
    let exposed: Vec<String> =
        exposed_candidates(sdp.media.iter().flat_map(|m| &m.candidates)).collect();
    if !exposed.is_empty() {
        let detail = format!("{carried} lists candidates {}", exposed.join(", "));
        out.push((
            FindingId::IceAddressExposed,
            detail,
            vec![("candidates", exposed.join(", "))],
        ));
    }
    out
}

/// How a flow's cleartext signaling travelled: over WebSocket (RFC 7118,
/// or WebRTC signaling), HTTP, or plain UDP/TCP.
fn signaling_transport(f: &FlowRecord) -> String {
    match &f.http {
        Some(h) if h.websocket.is_some() => "WebSocket".to_string(),
        Some(h) if !h.sdp.is_empty() || !h.candidates.is_empty() => "HTTP".to_string(),
        _ => f.transport.to_string(),
    }
}

/// The candidates that reveal a party's address: private addresses of
/// host candidates (the device on the clinic's network) and public ones
/// of host, server- or peer-reflexive candidates (where the patient is).
/// Relay candidates name the TURN server; mDNS names hide the address.
fn exposed_candidates<'a>(
    candidates: impl IntoIterator<Item = &'a crate::facts::SdpCandidate>,
) -> impl Iterator<Item = String> {
    let mut seen: Vec<String> = Vec::new();
    for c in candidates {
        let Ok(ip) = c.address.parse::<IpAddr>() else {
            continue;
        };
        let reveals = match c.kind.as_str() {
            "host" => true,
            "srflx" | "prflx" => !is_internal(ip),
            _ => false,
        };
        let text = format!("{}:{} ({})", c.address, c.port, c.kind);
        if reveals && !seen.contains(&text) {
            seen.push(text);
        }
    }
    seen.into_iter()
}

fn weak_cipher(name: &str) -> bool {
    ["NULL", "EXPORT", "anon", "RC4", "_DES_", "DES40", "3DES"]
        .iter()
        .any(|w| name.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(weak_cipher("TLS_RSA_WITH_3DES_EDE_CBC_SHA"));
        assert!(weak_cipher("TLS_RSA_WITH_RC4_128_SHA"));
        assert!(weak_cipher("TLS_DH_anon_WITH_AES_128_CBC_SHA"));
        assert!(!weak_cipher("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
        assert!(!weak_cipher("TLS_RSA_WITH_AES_128_CBC_SHA"));
        assert!(
            is_internal("192.168.1.20".parse().unwrap())
                && !is_internal("198.51.100.7".parse().unwrap())
        );
        assert!(is_internal("fe80::1".parse().unwrap()) && is_internal("fd00::1".parse().unwrap()));
    }
}
