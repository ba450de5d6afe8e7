//! The requests of a cleartext HTTP flow: method, Host, path (never the
//! query string, which can carry identifiers) and User-Agent.

use super::parse::Request;
use crate::proto::Seen;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct HttpDetail {
    pub requests: Vec<HttpRequest>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HttpRequest {
    pub method: String,
    pub host: Option<String>,
    /// Path only: query strings can carry identifiers and are never kept.
    pub path: String,
    pub user_agent: Option<String>,
    pub packet: u64,
}

impl HttpDetail {
    pub fn on_request(&mut self, at: Seen, r: &Request<'_>) {
        if self.requests.len() < 32 {
            self.requests.push(HttpRequest {
                method: r.method.to_string(),
                host: r.host.map(str::to_string),
                path: r.target.split('?').next().unwrap_or_default().to_string(),
                user_agent: r.user_agent.map(str::to_string),
                packet: at.packet,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_string_is_never_kept() {
        let r = Request {
            method: "GET",
            target: "/visit?patient=Jane+Doe",
            host: Some("portal.clinic.example"),
            user_agent: None,
        };
        let mut h = HttpDetail::default();
        let at = Seen {
            packet: 4,
            ts: 0,
            dir: crate::flow::Dir::ClientToServer,
        };
        h.on_request(at, &r);
        assert_eq!(h.requests[0].path, "/visit");
        assert_eq!(h.requests[0].host.as_deref(), Some("portal.clinic.example"));
    }
}
