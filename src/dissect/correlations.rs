//! What one flow tells about others: the SIP dialogs in progress (see
//! [`super::Dialogs`]), the media endpoints SDP announced (so a later RTP
//! flow is judged by its signaling) and the names DNS resolved (so servers
//! are tied to vendors). The last two are capped at 100,000 entries; past
//! that, new entries are dropped, known ones still updated.

use crate::proto::sip::state::Announcement;
use hashbrown::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

const MAX_ANNOUNCEMENTS: usize = 100_000;
const MAX_DNS_NAMES: usize = 100_000;

#[derive(Default)]
pub struct Correlations {
    /// SIP dialogs in progress, across flows.
    pub dialogs: super::Dialogs,
    pub media: HashMap<SocketAddr, Announcement>,
    pub dns: BTreeMap<String, BTreeSet<IpAddr>>,
}

impl Correlations {
    pub fn announce(&mut self, announced: Vec<(SocketAddr, Announcement)>) {
        for (endpoint, announcement) in announced {
            if self.media.len() < MAX_ANNOUNCEMENTS {
                self.media.insert(endpoint, announcement);
            }
        }
    }

    pub fn resolved(&mut self, owners: Vec<(String, IpAddr)>) {
        for (name, address) in owners {
            if self.dns.len() < MAX_DNS_NAMES || self.dns.contains_key(&name) {
                self.dns.entry(name).or_default().insert(address);
            }
        }
    }

    /// What SDP announced for either end of a flow, the server's first.
    pub fn announced_for(&self, server: SocketAddr, client: SocketAddr) -> Option<&Announcement> {
        self.media.get(&server).or_else(|| self.media.get(&client))
    }
}
