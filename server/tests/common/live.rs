//! Reading a live stream (Server-Sent Events) frame by frame, as the dashboard's pages and the
//! admin API's occupancy stream send them.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

/// How long a stream may stay quiet before a reader gives up (a failure, not a measurement).
const QUIET: Duration = Duration::from_secs(20);

/// An open event stream.
pub struct EventStream {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    seen: String,
}

impl EventStream {
    /// Reads `res`, which must be a 200 `text/event-stream`.
    #[track_caller]
    pub fn open(res: reqwest::Response) -> Self {
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        EventStream {
            body: Box::pin(res.bytes_stream().map(|chunk| chunk.map(|b| b.to_vec()))),
            seen: String::new(),
        }
    }

    /// The data of the next event called `name`, or `None` when the stream ends or stays quiet.
    pub async fn next(&mut self, name: &str) -> Option<Value> {
        let event = format!("event: {name}");
        self.next_where(|frame| frame.lines().any(|l| l == event))
            .await
    }

    /// The data of the next event, whatever it is called.
    pub async fn next_any(&mut self) -> Option<Value> {
        self.next_where(|_| true).await
    }

    async fn next_where(&mut self, wanted: impl Fn(&str) -> bool) -> Option<Value> {
        loop {
            while let Some(end) = self.seen.find("\n\n") {
                let frame: String = self.seen.drain(..end + 2).collect();
                if !wanted(&frame) {
                    continue;
                }
                if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                    return Some(serde_json::from_str(data).expect("the event's data is JSON"));
                }
            }
            match tokio::time::timeout(QUIET, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.seen.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// Whether the server closes the stream within `limit`.
    pub async fn closes_within(&mut self, limit: Duration) -> bool {
        tokio::time::timeout(limit, async {
            while let Some(Ok(_)) = self.body.next().await {}
        })
        .await
        .is_ok()
    }
}

/// One HTML fragment of a dashboard live update, by element id (empty when it has none).
pub fn fragment(update: &Value, id: &str) -> String {
    update["html"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p[0] == id)
        .and_then(|p| p[1].as_str())
        .unwrap_or_default()
        .to_owned()
}
