//! Usage statistics of API keys (how often, when last), counted in memory and written in batches:
//! a request does not wait for a write, and on SQLite the API's reads do not queue behind the one
//! writer. Batches go out every [`FLUSH_EVERY`], at shutdown, and before an admin reads the keys,
//! so the admin API always shows exact counts; a crash loses at most one interval of counting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gatehouse_core::TenantId;
use uuid::Uuid;

use gatehouse_db::{self as db, Db};

/// How often counted uses are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
struct Pending {
    tenant: TenantId,
    uses: i64,
    last_used_at: i64,
}

/// Uses counted since the last write.
#[derive(Debug, Default)]
pub struct UsageCounter {
    pending: Mutex<HashMap<Uuid, Pending>>,
}

impl UsageCounter {
    /// Counts one use of `key` at `now`.
    pub fn record(&self, tenant: TenantId, key: Uuid, now: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let entry = pending.entry(key).or_insert(Pending {
            tenant,
            uses: 0,
            last_used_at: now,
        });
        entry.uses += 1;
        entry.last_used_at = entry.last_used_at.max(now);
    }

    fn merge(&self, batch: HashMap<Uuid, Pending>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for (key, p) in batch {
            let entry = pending.entry(key).or_insert(Pending { uses: 0, ..p });
            entry.uses += p.uses;
            entry.last_used_at = entry.last_used_at.max(p.last_used_at);
        }
    }

    /// Writes the counted uses in one transaction; on failure they stay counted for the next try.
    pub async fn flush(&self, db: &Db) -> Result<(), gatehouse_db::DbError> {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if batch.is_empty() {
            return Ok(());
        }
        let result = async {
            let mut tx = db.begin().await?;
            for (key, p) in &batch {
                db::api_keys::add_usage(&mut tx, p.tenant, *key, p.uses, p.last_used_at).await?;
            }
            tx.commit().await
        }
        .await;
        if result.is_err() {
            self.merge(batch);
        }
        result
    }
}

/// Flushes `counter` every [`FLUSH_EVERY`] until the database closes (no-op outside a runtime).
pub fn flush_in_background(counter: Arc<UsageCounter>, db: Db) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match counter.flush(&db).await {
                Ok(()) => {}
                Err(gatehouse_db::DbError::PoolClosed) => return,
                Err(e) => tracing::warn!(error = %e, "writing API key usage failed; will retry"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_add_up_per_key_and_keep_the_latest_time() {
        let counter = UsageCounter::default();
        let tenant = TenantId(Uuid::now_v7());
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        counter.record(tenant, a, 10);
        counter.record(tenant, a, 30);
        counter.record(tenant, a, 20);
        counter.record(tenant, b, 5);
        let batch = std::mem::take(&mut *counter.pending.lock().unwrap());
        assert_eq!((batch[&a].uses, batch[&a].last_used_at), (3, 30));
        assert_eq!((batch[&b].uses, batch[&b].last_used_at), (1, 5));
        // A failed write puts them back, added to what came in meanwhile.
        counter.record(tenant, a, 40);
        counter.merge(batch);
        let pending = counter.pending.lock().unwrap();
        assert_eq!((pending[&a].uses, pending[&a].last_used_at), (4, 40));
    }
}
