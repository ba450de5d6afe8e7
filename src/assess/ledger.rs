//! What the end of an analysis needs of every call, gathered as each call
//! is concluded: its verdict, the platforms in use, when each call ran and
//! which devices took part (to tie trackers to calls and devices to
//! Wi-Fi). A long capture writes most calls out
//! to a temporary file; gathering this as they are made means the end
//! never reads them back for it. What the end adds to calls (the Wi-Fi
//! they ran over, trackers contacted during them) changes none of these
//! values. Must never hold a call, only these few values of each.

use super::model::{Call, CallVerdicts};
use super::platform::PlatformsInUse;
use super::tracking::CallSpans;

#[derive(Clone, Default)]
pub(super) struct CallLedger {
    pub verdicts: CallVerdicts,
    pub platforms: PlatformsInUse,
    pub spans: CallSpans,
}

impl CallLedger {
    /// Adds the next call in the store's order.
    pub fn add(&mut self, call: &Call) {
        self.verdicts.add(call.id, call.verdict);
        self.platforms.add_call(call);
        self.spans.add(call);
    }
}
