//! Redaction, applied to every flow record on its way out of the engine (in
//! the flow store), so no output format can skip it. By default names, phone
//! numbers, SIP URI user parts, e-mail addresses and SDES identity items are
//! replaced by keyed pseudonyms: stable within one report (the same value
//! always gets the same pseudonym, so a reader can still follow a person
//! across flows) and unlinkable across reports (the key is random per run).
//! SRTP key material is never captured at all (see proto::sdp).

use super::model::FlowRecord;
use sha2::{Digest, Sha256};
use std::hash::{BuildHasher, Hasher};

pub struct Redactor {
    key: [u8; 32],
    reveal: bool,
}

impl Redactor {
    /// A redactor with a fresh random key; `reveal` turns redaction off.
    pub fn new(reveal: bool) -> Redactor {
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            // RandomState is seeded from the operating system's randomness.
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(0x7465_6c65);
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
        Redactor { key, reveal }
    }

    pub fn reveals(&self) -> bool {
        self.reveal
    }

    /// A pseudonym such as `name-5f3a9c` for a value.
    pub fn pseudonym(&self, kind: &str, value: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(value.as_bytes());
        let digest = h.finalize();
        format!("{kind}-{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2])
    }

    /// `sip:+15551234567@clinic.example;user=phone` → `sip:user-1a2b3c@clinic.example;user=phone`.
    fn uri(&self, uri: &str) -> String {
        for scheme in ["sip:", "sips:"] {
            if let Some(rest) = uri.strip_prefix(scheme) {
                return match rest.split_once('@') {
                    Some((user, host)) => {
                        let user = user.split([';', ':']).next().unwrap_or(user);
                        format!("{scheme}{}@{host}", self.pseudonym("user", user))
                    }
                    None => uri.to_string(),
                };
            }
        }
        if let Some(number) = uri.strip_prefix("tel:") {
            let number = number.split(';').next().unwrap_or(number);
            return format!("tel:{}", self.pseudonym("tel", number));
        }
        self.pseudonym("uri", uri)
    }

    pub fn apply(&self, record: &mut FlowRecord) {
        if self.reveal {
            return;
        }
        if let Some(sip) = record.sip.as_mut() {
            for id in &mut sip.identities {
                id.display_name = id
                    .display_name
                    .as_deref()
                    .map(|n| self.pseudonym("name", n));
                id.uri = self.uri(&id.uri);
            }
        }
        if let Some(rtcp) = record.rtcp.as_mut() {
            for item in &mut rtcp.sdes {
                item.value = match item.item {
                    // CNAME is user@host or a random token: hide the user part.
                    "CNAME" => match item.value.split_once('@') {
                        Some((user, host)) => format!("{}@{host}", self.pseudonym("user", user)),
                        None => item.value.clone(),
                    },
                    "TOOL" => item.value.clone(),
                    "NAME" => self.pseudonym("name", &item.value),
                    "EMAIL" => self.pseudonym("email", &item.value),
                    "PHONE" => self.pseudonym("tel", &item.value),
                    "LOC" => self.pseudonym("loc", &item.value),
                    _ => self.pseudonym("note", &item.value),
                };
            }
        }
        if let Some(stun) = record.stun.as_mut() {
            // TURN long-term usernames can name a person; ICE "ufrag:ufrag"
            // pairs stay pairable because each part maps the same way.
            for u in &mut stun.usernames {
                *u = u
                    .split(':')
                    .map(|part| self.pseudonym("user", part))
                    .collect::<Vec<_>>()
                    .join(":");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_within_a_report_and_keyed() {
        let a = Redactor::new(false);
        let b = Redactor::new(false);
        assert_eq!(a.pseudonym("name", "Jane"), a.pseudonym("name", "Jane"));
        assert_ne!(a.pseudonym("name", "Jane"), a.pseudonym("name", "John"));
        assert_ne!(
            a.pseudonym("name", "Jane"),
            b.pseudonym("name", "Jane"),
            "a new key per report"
        );
        let uri = a.uri("sip:+15551234567@clinic.example");
        assert!(
            uri.starts_with("sip:user-")
                && uri.ends_with("@clinic.example")
                && !uri.contains("555")
        );
        assert!(!a.uri("tel:+1-555-0100;phone-context=x").contains("555"));
    }
}
