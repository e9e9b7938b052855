//! Control of the sync task: the engine ([`SyncEngine`]) runs on a store connection of its own
//! in the async runtime its starter names, round after round with backoff. A record made here
//! nudges it (the next round starts at once); stopping it lets the round in flight end.
//!
//! The app's station starts one once paired; `gatehouse-gate sync` and `run` start one too.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_sync::{Durability, EngineConfig, Store, SyncEngine};
use tokio::runtime::Handle;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use super::{lock, Station, StationError};

/// A running sync engine.
#[derive(Debug)]
pub struct SyncTask {
    stop: watch::Sender<bool>,
    nudge: Arc<Notify>,
    task: JoinHandle<()>,
}

impl SyncTask {
    /// Runs `engine` on `runtime` until stopped (or the device is revoked).
    pub fn start(runtime: &Handle, engine: SyncEngine) -> SyncTask {
        let (stop, stop_rx) = watch::channel(false);
        let nudge = Arc::new(Notify::new());
        let task = runtime.spawn(engine.run(stop_rx, nudge.clone()));
        SyncTask { stop, nudge, task }
    }

    /// Starts the next round now (something was just queued).
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    /// Asks the engine to stop after the round in flight.
    pub fn signal_stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops the engine and waits up to `within` for it to finish.
    pub async fn stop(self, within: Duration) {
        self.signal_stop();
        let _ = tokio::time::timeout(within, self.task).await;
    }
}

impl Station {
    /// Starts the background sync engine on its own store connection (once; not before
    /// pairing).
    pub fn start_sync(&self, runtime: &Handle) -> Result<(), StationError> {
        let mut sync = lock(&self.sync);
        if sync.is_some() || self.post().scanner.is_none() {
            return Ok(());
        }
        let store = Store::open(&self.config.data, Durability::Normal)?;
        let engine = SyncEngine::new(store, self.clock, EngineConfig::default())?;
        *sync = Some(SyncTask::start(runtime, engine));
        Ok(())
    }

    /// Stops the sync engine (the app exits).
    pub fn stop_sync(&self) {
        if let Some(task) = lock(&self.sync).take() {
            task.signal_stop();
        }
    }

    /// Starts the next sync round now: something was just recorded.
    pub(super) fn nudge_sync(&self) {
        if let Some(task) = lock(&self.sync).as_ref() {
            task.nudge();
        }
    }
}
