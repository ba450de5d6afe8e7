//! The terminal UI: the same assessment model as the reports (calls and
//! verdicts, flows, findings, a call's ladder), updated while packets arrive
//! from a live interface or a replayed file. Drawing is a pure function of
//! the model and the UI state (`view.rs`), so tests render it into a
//! ratatui TestBackend; `run.rs` drives capture, ticks and keys.

mod run;
mod view;

pub use run::{TuiSource, run};
pub use view::draw;

use crate::session::Snapshot;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Calls,
    Flows,
    Findings,
    Ladder,
    Wireless,
}

pub const TABS: [(Tab, &str); 5] = [
    (Tab::Calls, "1 Calls"),
    (Tab::Flows, "2 Flows"),
    (Tab::Findings, "3 Findings"),
    (Tab::Ladder, "4 Call ladder"),
    (Tab::Wireless, "5 Wi-Fi"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowSort {
    Id,
    Bytes,
    Packets,
}

/// What the capture side reports besides the model.
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub source: String,
    pub packets: u64,
    pub received: Option<u64>,
    pub dropped: Option<u64>,
    /// Packets per second over the last interval.
    pub rate: f64,
    pub elapsed: Duration,
    /// The source has ended (replay finished); the view stays until `q`.
    pub done: bool,
    /// Recent packet rates, oldest first, for the sparkline.
    pub history: Vec<u64>,
}

/// The UI's own state: which view, what is selected, filters and overlays,
/// and each flow's recent packet counts for its sparkline.
#[derive(Debug, Clone)]
pub struct App {
    pub tab: Tab,
    pub selected: [usize; 5],
    pub filter: String,
    pub filtering: bool,
    pub help: bool,
    pub sort: FlowSort,
    pub quit: bool,
    /// Per flow: packets seen at each of the last snapshots.
    pub history: std::collections::HashMap<u64, std::collections::VecDeque<u64>>,
    last_snapshot_packets: u64,
    /// Draw in colour (off with NO_COLOR set, or `--color never`).
    pub colour: bool,
}

/// Snapshots of history kept per flow (one every half second).
const HISTORY: usize = 16;

impl Default for App {
    fn default() -> Self {
        App {
            tab: Tab::Calls,
            selected: [0; 5],
            filter: String::new(),
            filtering: false,
            help: false,
            sort: FlowSort::Id,
            quit: false,
            history: Default::default(),
            last_snapshot_packets: u64::MAX,
            colour: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

impl App {
    /// Takes note of a new snapshot (once per snapshot): per-flow packet
    /// counts for the rate sparklines; flows gone from the model are dropped.
    pub fn observe(&mut self, model: &Snapshot) {
        if model.packets == self.last_snapshot_packets {
            return;
        }
        self.last_snapshot_packets = model.packets;
        let mut next = std::collections::HashMap::with_capacity(model.flows.len());
        for f in &model.flows {
            let mut h = self.history.remove(&f.id).unwrap_or_default();
            h.push_back(f.client_to_server.packets + f.server_to_client.packets);
            if h.len() > HISTORY {
                h.pop_front();
            }
            next.insert(f.id, h);
        }
        self.history = next;
    }

    /// A flow's packet rate over the recent snapshots, as block characters.
    pub fn sparkline(&self, flow: u64) -> String {
        let Some(h) = self.history.get(&flow) else {
            return String::new();
        };
        let deltas: Vec<u64> = h
            .iter()
            .zip(h.iter().skip(1))
            .map(|(a, b)| b.saturating_sub(*a))
            .collect();
        let max = deltas.iter().copied().max().unwrap_or(0).max(1);
        const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
        deltas
            .iter()
            .map(|d| BARS[((*d * 7) / max) as usize])
            .collect()
    }

    fn index(&self) -> usize {
        TABS.iter().position(|(t, _)| *t == self.tab).unwrap_or(0)
    }

    /// Rows the current view shows (for moving the selection).
    fn rows(&self, model: &Snapshot) -> usize {
        match self.tab {
            Tab::Calls | Tab::Ladder => model.calls.len(),
            Tab::Flows => view::visible_flows(self, model).len(),
            Tab::Findings => view::visible_findings(self, model).len(),
            Tab::Wireless => model.wireless.networks.len(),
        }
    }

    /// The call the ladder shows: the one selected in the calls view.
    pub fn selected_call<'m>(&self, model: &'m Snapshot) -> Option<&'m crate::report::model::Call> {
        model
            .calls
            .get(self.selected[0].min(model.calls.len().saturating_sub(1)))
    }

    /// Keys users of less, htop and sngrep would guess.
    pub fn key(&mut self, key: KeyEvent, model: &Snapshot) {
        if self.filtering {
            match key.code {
                KeyCode::Enter | KeyCode::Esc => self.filtering = false,
                KeyCode::Backspace => {
                    self.filter.pop();
                }
                KeyCode::Char(c) => self.filter.push(c),
                _ => {}
            }
            return;
        }
        if self.help {
            self.help = false;
            return;
        }
        // The ladder moves through calls, like the calls view it details.
        let i = if self.tab == Tab::Ladder {
            0
        } else {
            self.index()
        };
        let rows = self.rows(model);
        match key.code {
            KeyCode::Char('q') | KeyCode::F(10) => self.quit = true,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => self.quit = true,
            KeyCode::Esc if !self.filter.is_empty() => self.filter.clear(),
            KeyCode::Esc => self.quit = true,
            KeyCode::Char('?') | KeyCode::F(1) => self.help = true,
            KeyCode::Char('/') => {
                self.filtering = true;
                self.filter.clear();
            }
            KeyCode::Tab | KeyCode::Right => self.tab = TABS[(self.index() + 1) % TABS.len()].0,
            KeyCode::BackTab | KeyCode::Left => {
                self.tab = TABS[(self.index() + TABS.len() - 1) % TABS.len()].0
            }
            KeyCode::Char(c @ '1'..='5') => self.tab = TABS[c as usize - '1' as usize].0,
            KeyCode::Enter if self.tab == Tab::Calls => self.tab = Tab::Ladder,
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected[i] = (self.selected[i] + 1).min(rows.saturating_sub(1))
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected[i] = self.selected[i].saturating_sub(1)
            }
            KeyCode::PageDown => {
                self.selected[i] = (self.selected[i] + 10).min(rows.saturating_sub(1))
            }
            KeyCode::PageUp => self.selected[i] = self.selected[i].saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => self.selected[i] = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected[i] = rows.saturating_sub(1),
            KeyCode::Char('s') if self.tab == Tab::Flows => {
                self.sort = match self.sort {
                    FlowSort::Id => FlowSort::Bytes,
                    FlowSort::Bytes => FlowSort::Packets,
                    FlowSort::Packets => FlowSort::Id,
                }
            }
            _ => {}
        }
    }
}
