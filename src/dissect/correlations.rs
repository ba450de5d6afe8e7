//! What one flow tells about others: the SIP dialogs in progress (see
//! [`super::Dialogs`]), the media endpoints SDP announced (so a later RTP
//! flow is judged by its signaling) and the names DNS resolved (so servers
//! are tied to vendors). Both are bounded. Announcements matter for a
//! call's length, so the newest 100,000 are kept: when half that many are
//! new, the older half is let go. DNS names are the report's list as well:
//! the first 100,000 are kept (known ones still updated), then only names
//! the session says matter (a vendor's), 20,000 more; the names not kept
//! are counted, and the capture's notes say so. Must never hold more.

use crate::proto::sip::state::Announcement;
use hashbrown::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

const MAX_ANNOUNCEMENTS: usize = 100_000;
const MAX_DNS_NAMES: usize = 100_000;
/// Names that matter kept past `MAX_DNS_NAMES`.
const MAX_DNS_NAMES_THAT_MATTER: usize = 20_000;

/// Which DNS names matter past the cap (a vendor's).
pub type NamesThatMatter = Box<dyn Fn(&str) -> bool + Send + Sync>;

#[derive(Default)]
pub struct Correlations {
    /// SIP dialogs in progress, across flows.
    pub dialogs: super::Dialogs,
    /// SDP announcements, the newest half of them.
    media: HashMap<SocketAddr, Announcement>,
    /// The older half, looked up when the newest have none.
    older_media: HashMap<SocketAddr, Announcement>,
    pub dns: BTreeMap<String, BTreeSet<IpAddr>>,
    /// Names answered after the map was full, not kept.
    pub dns_not_kept: u64,
    names_that_matter: Option<NamesThatMatter>,
}

impl Correlations {
    pub fn announce(&mut self, announced: Vec<(SocketAddr, Announcement)>) {
        for (endpoint, announcement) in announced {
            if self.media.len() >= MAX_ANNOUNCEMENTS / 2 {
                self.older_media = std::mem::take(&mut self.media);
            }
            self.media.insert(endpoint, announcement);
        }
    }

    /// Keeps names `matter` says yes to past the cap of DNS names.
    pub fn keep_names_that_matter(&mut self, matter: NamesThatMatter) {
        self.names_that_matter = Some(matter);
    }

    pub fn resolved(&mut self, owners: Vec<(String, IpAddr)>) {
        for (name, address) in owners {
            let room = self.dns.len() < MAX_DNS_NAMES
                || self.dns.contains_key(&name)
                || (self.dns.len() < MAX_DNS_NAMES + MAX_DNS_NAMES_THAT_MATTER
                    && self.names_that_matter.as_ref().is_some_and(|m| m(&name)));
            if room {
                self.dns.entry(name).or_default().insert(address);
            } else {
                self.dns_not_kept += 1;
            }
        }
    }

    /// What SDP announced for either end of a flow, the server's first;
    /// the newest announcement of an endpoint wins.
    pub fn announced_for(&self, server: SocketAddr, client: SocketAddr) -> Option<&Announcement> {
        let of = |end: &SocketAddr| self.media.get(end).or_else(|| self.older_media.get(end));
        of(&server).or_else(|| of(&client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announcement(profile: &'static str) -> Announcement {
        Announcement {
            profile: profile.into(),
            crypto: profile == "RTP/SAVP",
            fingerprint: false,
            zrtp: false,
            packet: 1,
        }
    }

    #[test]
    fn the_newest_announcement_of_an_endpoint_wins_and_the_oldest_are_let_go() {
        let mut c = Correlations::default();
        let end = |i: u32| SocketAddr::from((std::net::Ipv4Addr::from(0x0a00_0000 + i), 4000));
        c.announce(vec![(end(0), announcement("RTP/SAVP"))]);
        // Many calls later the same endpoint is announced again, in the clear.
        for i in 1..MAX_ANNOUNCEMENTS as u32 {
            c.announce(vec![(end(i), announcement("RTP/SAVP"))]);
        }
        c.announce(vec![(end(0), announcement("RTP/AVP"))]);
        let far = end(999_999);
        assert_eq!(c.announced_for(end(0), far).unwrap().profile, "RTP/AVP");
        assert!(c.media.len() + c.older_media.len() <= MAX_ANNOUNCEMENTS);
        // The oldest went; the newest stay.
        assert!(c.announced_for(end(1), far).is_none());
        let last = end(MAX_ANNOUNCEMENTS as u32 - 1);
        assert!(c.announced_for(last, far).is_some());
    }

    #[test]
    fn past_the_cap_only_names_that_matter_are_kept_and_the_rest_counted() {
        let mut c = Correlations::default();
        c.keep_names_that_matter(Box::new(|n: &str| n.ends_with(".vendor.example")));
        let a: IpAddr = [192, 0, 2, 1].into();
        c.resolved(
            (0..MAX_DNS_NAMES)
                .map(|i| (format!("n{i}.example"), a))
                .collect(),
        );
        c.resolved(vec![
            ("late.example".into(), a),
            ("meet.vendor.example".into(), a),
            ("n7.example".into(), [192, 0, 2, 2].into()),
        ]);
        assert!(!c.dns.contains_key("late.example"));
        assert!(c.dns.contains_key("meet.vendor.example"));
        assert_eq!(
            c.dns["n7.example"].len(),
            2,
            "known names are still updated"
        );
        assert_eq!(c.dns_not_kept, 1);
    }
}
