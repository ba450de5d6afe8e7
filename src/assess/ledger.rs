//! What the end of an analysis needs of every call, gathered as each call
//! is concluded: its verdict, the platforms in use, when each call ran and
//! which devices took part (to tie trackers to calls), and the platforms
//! without a BAA that carried a call. A long capture writes most calls out
//! to a temporary file; gathering this as they are made means the end
//! never reads them back for it. What the end adds to calls (the Wi-Fi
//! they ran over, trackers contacted during them) changes none of these
//! values. Must never hold a call, only these few values of each.

use super::model::Call;
use super::platform::PlatformsInUse;
use super::tracking::CallSpans;
use super::vendors::Baa;
use std::collections::BTreeMap;

#[derive(Clone, Default)]
pub(super) struct CallLedger {
    /// Verdict by call id.
    pub verdicts: BTreeMap<String, String>,
    pub platforms: PlatformsInUse,
    pub spans: CallSpans,
    /// Platforms without a BAA that carried a call, first seen first;
    /// whether the policy allows them is asked at the end (a reloaded
    /// policy may have changed it).
    pub without_baa: Vec<String>,
}

impl CallLedger {
    /// Adds the next call in the store's order.
    pub fn add(&mut self, call: &Call) {
        self.verdicts
            .insert(call.id.to_string(), call.verdict.to_string());
        self.platforms.add_call(call);
        self.spans.add(call);
        if let Some(p) = &call.platform
            && p.baa == Baa::No
            && !self.without_baa.contains(&p.name)
        {
            self.without_baa.push(p.name.clone());
        }
    }
}
