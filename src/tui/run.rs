//! The TUI runtime: a capture thread steps the session and publishes a
//! snapshot at most every 500 ms (the only capture-side cost of the UI, and
//! independent of the terminal); tokio drives the redraw ticks and the key
//! input. A slow terminal delays frames, never packets.

use super::{App, Status, draw};
use crate::session::{Analysis, Options, Session, Snapshot};
use crate::source::{PacketSource, SourceError};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the TUI's packets come from.
pub struct TuiSource {
    pub source: Box<dyn PacketSource + Send>,
    /// Names for the report (files, or `live:IFACE`).
    pub inputs: Vec<String>,
    /// Replay paced to the capture's own clock.
    pub realtime: bool,
}

const SNAPSHOT_EVERY: Duration = Duration::from_millis(500);
const REDRAW_EVERY: Duration = Duration::from_millis(250);
const LIVE_LIMIT: usize = 2000;

struct Shared {
    model: Option<Arc<Snapshot>>,
    status: Status,
}

fn publish(
    shared: &Mutex<Shared>,
    session: &Session,
    source: &mut dyn PacketSource,
    last: &mut (Instant, u64),
    done: bool,
) {
    let snapshot = Arc::new(session.snapshot(LIVE_LIMIT));
    let stats = source.capture_stats();
    let now = Instant::now();
    let elapsed = now.duration_since(last.0).as_secs_f64().max(1e-3);
    let rate = (snapshot.packets - last.1) as f64 / elapsed;
    *last = (now, snapshot.packets);
    if let Ok(mut s) = shared.lock() {
        s.status.packets = snapshot.packets;
        s.status.rate = rate;
        s.status.received = stats.map(|s| s.received);
        s.status.dropped = stats.map(|s| s.dropped + s.interface_dropped);
        s.status.done = done;
        s.status.history.push(rate as u64);
        if s.status.history.len() > 240 {
            s.status.history.remove(0);
        }
        s.model = Some(snapshot);
    }
}

/// Runs the TUI until the user quits; returns the analysis of everything
/// captured, for the report.
/// `colour`: `--color always` / `never`; `None` follows NO_COLOR.
pub fn run(
    input: TuiSource,
    options: &Options,
    stop: Arc<AtomicBool>,
    colour: Option<bool>,
    mut watcher: Option<Box<dyn crate::session::Watcher + Send>>,
) -> std::io::Result<Analysis> {
    let shared = Arc::new(Mutex::new(Shared {
        model: None,
        status: Status {
            source: input.inputs.join(", "),
            ..Status::default()
        },
    }));
    let capture = {
        let shared = shared.clone();
        let stop = stop.clone();
        // The views show every call, twice a second: reading written-out
        // calls back for each snapshot would cost more than holding them.
        let options = Options {
            calls_held: Some(usize::MAX),
            ..options.clone()
        };
        std::thread::spawn(move || {
            let TuiSource {
                mut source,
                inputs,
                realtime,
            } = input;
            let mut session = Session::new(&options);
            let mut last_publish = (Instant::now(), 0u64);
            let started = Instant::now();
            let mut first_ts: Option<i64> = None;
            while !stop.load(Ordering::Relaxed) {
                match session.step(source.as_mut()) {
                    Ok(true) => {
                        if realtime {
                            let ts = session.engine.stats.last_ts.unwrap_or(0);
                            let base = *first_ts.get_or_insert(ts);
                            let due = Duration::from_nanos((ts - base).max(0) as u64);
                            while started.elapsed() < due && !stop.load(Ordering::Relaxed) {
                                std::thread::sleep(
                                    (due - started.elapsed()).min(Duration::from_millis(100)),
                                );
                            }
                        }
                        if let Some(w) = watcher.as_mut() {
                            // The metrics endpoint (`tui --metrics`).
                            if last_publish.0.elapsed() >= SNAPSHOT_EVERY {
                                session.source_stats = source.capture_stats();
                            }
                            w.poll(&mut session);
                        }
                        let changed = session.engine.stats.packets != last_publish.1;
                        if changed && last_publish.0.elapsed() >= SNAPSHOT_EVERY {
                            publish(&shared, &session, source.as_mut(), &mut last_publish, false);
                        }
                    }
                    Ok(false) => break,
                    Err(e) => {
                        session.error = Some(e);
                        break;
                    }
                }
            }
            publish(&shared, &session, source.as_mut(), &mut last_publish, true);
            // Replay ended: keep the final view until the user quits (and
            // the metrics up to date).
            while !stop.load(Ordering::Relaxed) {
                if let Some(w) = watcher.as_mut() {
                    w.poll(&mut session);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let analysis = session.finish(source.as_mut(), &inputs);
            if let Some(w) = watcher.as_mut() {
                w.finish(&analysis);
            }
            analysis
        })
    };
    let ui = ui_loop(&shared, &stop, colour);
    stop.store(true, Ordering::Relaxed);
    let analysis = capture
        .join()
        .map_err(|_| std::io::Error::other("the capture thread failed"))?;
    ui?;
    Ok(analysis)
}

fn ui_loop(
    shared: &Arc<Mutex<Shared>>,
    stop: &Arc<AtomicBool>,
    colour: Option<bool>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let mut terminal = ratatui::init();
    let started = Instant::now();
    let result = runtime.block_on(async {
        let (keys_tx, mut keys) = tokio::sync::mpsc::channel(64);
        let key_stop = stop.clone();
        // Terminal input is blocking: read it on its own thread.
        std::thread::spawn(move || {
            while !key_stop.load(Ordering::Relaxed) {
                match event::poll(Duration::from_millis(100)) {
                    Ok(true) => {
                        if let Ok(Event::Key(key)) = event::read() {
                            if key.kind == KeyEventKind::Press
                                && keys_tx.blocking_send(key).is_err()
                            {
                                return;
                            }
                        }
                    }
                    Ok(false) => {}
                    Err(_) => return,
                }
            }
        });
        let mut app = App::default();
        if let Some(colour) = colour {
            app.colour = colour;
        }
        let mut ticks = tokio::time::interval(REDRAW_EVERY);
        let empty = Arc::new(Snapshot {
            flows: Vec::new(),
            calls: Vec::new(),
            findings: Vec::new(),
            summary: Default::default(),
            packets: 0,
            bytes: 0,
            live_flows: 0,
            wireless: Default::default(),
        });
        loop {
            let (model, mut status) = match shared.lock() {
                Ok(s) => (
                    s.model.clone().unwrap_or_else(|| empty.clone()),
                    s.status.clone(),
                ),
                Err(_) => return Err(std::io::Error::other("the capture thread failed")),
            };
            status.elapsed = started.elapsed();
            app.observe(&model);
            terminal.draw(|frame| draw(frame, &app, &model, &status))?;
            if app.quit || stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            tokio::select! {
                _ = ticks.tick() => {}
                Some(key) = keys.recv() => app.key(key, &model),
            }
        }
    });
    ratatui::restore();
    result
}

impl From<SourceError> for std::io::Error {
    fn from(e: SourceError) -> Self {
        std::io::Error::other(e.to_string())
    }
}
