//! Live views (the dashboard's occupancy, gates and kiosks; the admin API's occupancy stream)
//! learn that an event changed through one publisher: a notice carries only the event's id, and
//! each view re-reads what it shows. On one node this is an in-process broadcast.

use gatehouse_core::EventId;
use tokio::sync::broadcast;

/// How many notices a slow live view may fall behind before it re-reads from scratch.
const BACKLOG: usize = 1024;

/// The publisher of change notices.
pub struct Live {
    sender: broadcast::Sender<EventId>,
}

impl Default for Live {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(BACKLOG);
        Live { sender }
    }
}

impl Live {
    /// Tells live views that something of `event` changed (scans, occupancy, layout, kiosks).
    pub fn notify(&self, event: EventId) {
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EventId> {
        self.sender.subscribe()
    }
}
