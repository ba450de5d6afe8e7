//! 802.11 from monitor-mode captures (WIFI.md): link headers ([`link`]),
//! the MAC header ([`mac`]), information elements and the security ones
//! ([`elements`]), EAPOL and EAP ([`eapol`]), the security class of a BSS
//! ([`classify`]), and what a capture learns about its networks and
//! clients ([`state`]). Parsers borrow the frame and allocate nothing;
//! only the per-network and per-client state allocates, on first sight,
//! within fixed bounds. Nothing here knows about IP flows or the report.

pub mod build;
pub mod classify;
pub mod eapol;
pub mod elements;
pub mod link;
pub mod mac;
pub mod state;
