//! # gatehouse-db
//!
//! The platform's persistence: SQLite (WAL, the embedded default) or PostgreSQL, behind one
//! [`Db`] handle, with the migrations of both dialects and one module per table. It stores and
//! reads rows and nothing more: the rules of a change (validation, audit, feed, webhooks, live
//! views) live in `gatehouse-domain`, the only crate that writes through this one.
//!
//! Both dialects share one set of query texts: `$1` placeholders (SQLite accepts them), ids as
//! UUID text, times as BIGINT milliseconds and flags as BIGINT 0/1. Each query is written once and
//! run on the concrete pool with [`on_pool!`] (reads) or [`on_tx!`] (writes, always inside a
//! [`Tx`]). On SQLite every write transaction goes through a single-connection pool, so writers
//! queue in the process instead of failing with `SQLITE_BUSY`; reads use a pool of their own.
//!
//! A commit that returned is on disk: gates delete what the server acknowledged, so an
//! acknowledged scan must survive a power cut. The SQLite write connection runs
//! `synchronous=FULL` (the WAL is synced at every commit; under `NORMAL` the last commits before
//! a power cut may roll back), and PostgreSQL syncs its WAL at commit by default.
//!
//! Tenant scoping lives here, in the helpers: every function that touches a tenant's rows takes
//! its [`TenantId`](gatehouse_core::TenantId) first and puts it in the `WHERE` clause. A handler
//! cannot ask for a row without saying whose it is.

pub mod access_logs;
pub mod api_keys;
pub mod audit;
pub mod crypto;
pub mod devices;
pub mod events;
pub mod feed;
pub mod idempotency;
pub mod keys;
pub mod kiosk;
pub mod occupancy;
pub mod participants;
pub mod permissions;
pub mod tenants;
pub mod users;
pub mod webhooks;

/// The error every query returns.
pub use sqlx::Error as DbError;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Postgres, Sqlite};

/// Runs `$body` with `$p` bound to the concrete read pool.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite { read: $p, .. } => $body,
            $crate::Db::Pg($p) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the transaction's concrete connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Like [`on_tx!`] for statements run with `.execute(c)`: yields the rows affected, whichever
/// dialect ran it.
#[macro_export]
macro_rules! exec_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                ($body).map(|r| r.rows_affected())
            }
            $crate::Tx::Pg(t) => {
                let $c = &mut **t;
                ($body).map(|r| r.rows_affected())
            }
        }
    };
}

/// Migrations per dialect, in order. A version is applied once and recorded; versions need not be
/// contiguous (each is checked on its own), so features numbered apart can land in any order.
const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_api_keys.sql")),
    (3, include_str!("../migrations/sqlite/0003_webhooks.sql")),
    (4, include_str!("../migrations/sqlite/0004_dashboard.sql")),
    (5, include_str!("../migrations/sqlite/0005_rest_api.sql")),
    (6, include_str!("../migrations/sqlite/0006_kiosk.sql")),
    (
        7,
        include_str!("../migrations/sqlite/0007_tenant_scoped_ids.sql"),
    ),
];
const PG_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_api_keys.sql")),
    (3, include_str!("../migrations/postgres/0003_webhooks.sql")),
    (4, include_str!("../migrations/postgres/0004_dashboard.sql")),
    (5, include_str!("../migrations/postgres/0005_rest_api.sql")),
    (6, include_str!("../migrations/postgres/0006_kiosk.sql")),
    (
        7,
        include_str!("../migrations/postgres/0007_tenant_scoped_ids.sql"),
    ),
];

/// A connection to the platform's database.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Pg(PgPool),
}

/// A write transaction.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Pg(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    /// Makes concurrent transactions that name the same `key` run one after another until
    /// commit. SQLite writers are already serialised (one write connection); PostgreSQL takes a
    /// transaction-scoped advisory lock.
    pub async fn serialize_on(&mut self, key: &str) -> Result<(), sqlx::Error> {
        if let Tx::Pg(t) = self {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(key)
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Pg(t) => t.commit().await,
        }
    }
}

impl Db {
    /// Opens the database named by `url`, or `DATA_DIR/gatehouse.db` when there is none.
    pub async fn connect(url: Option<&str>, data_dir: &Path) -> Result<Db, sqlx::Error> {
        match url {
            Some(url) if url.starts_with("postgres") => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok(Db::Pg(pool))
            }
            Some(url) => Self::sqlite(SqliteConnectOptions::from_str(url)?).await,
            None => {
                let path = data_dir.join("gatehouse.db");
                Self::sqlite(SqliteConnectOptions::new().filename(path)).await
            }
        }
    }

    async fn sqlite(options: SqliteConnectOptions) -> Result<Db, sqlx::Error> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Checkpoints copy the WAL into the database and sync both files
            // (https://www.sqlite.org/wal.html#ckpt). Left to SQLite they run in whichever
            // commit crosses the threshold, so a scan every second or so would wait for them.
            // `checkpoint_in_background` does them off the request path; the raised threshold
            // only bounds the WAL should that task stop.
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string());
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone().synchronous(WRITE_SYNCHRONOUS))
            .await?;
        // Readers commit nothing; the checkpoints they run sync the files whatever this says.
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.synchronous(SqliteSynchronous::Normal))
            .await?;
        checkpoint_in_background(read.clone());
        Ok(Db::Sqlite { read, write })
    }

    pub fn dialect(&self) -> &'static str {
        match self {
            Db::Sqlite { .. } => "sqlite",
            Db::Pg(_) => "postgres",
        }
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Db::Pg(p) => Tx::Pg(p.begin().await?),
        })
    }

    /// Applies the migrations this database has not seen yet. Returns how many ran.
    pub async fn migrate(&self) -> Result<usize, sqlx::Error> {
        let create = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";
        let migrations = match self {
            Db::Sqlite { .. } => SQLITE_MIGRATIONS,
            Db::Pg(_) => PG_MIGRATIONS,
        };
        let mut tx = self.begin().await?;
        // Several server nodes may start at once on one PostgreSQL: one migrates, the others wait.
        tx.serialize_on("schema_migrations").await?;
        exec_tx!(&mut tx, c => sqlx::raw_sql(create).execute(c).await)?;
        let done: Vec<(i64,)> = on_tx!(&mut tx, c => sqlx::query_as("SELECT version FROM schema_migrations").fetch_all(c).await)?;
        let mut applied = 0;
        for (version, sql) in migrations {
            if done.iter().any(|(v,)| v == version) {
                continue;
            }
            exec_tx!(&mut tx, c => sqlx::raw_sql(sql).execute(c).await)?;
            exec_tx!(&mut tx, c => sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(now_ms())
                .execute(c)
                .await)?;
            applied += 1;
        }
        tx.commit().await?;
        Ok(applied)
    }

    /// A trivial query: is the database there and answering?
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let _: (i64,) =
            on_pool!(self, p => sqlx::query_as("SELECT CAST(1 AS BIGINT)").fetch_one(p).await)?;
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Pg(p) => p.close().await,
        }
    }
}

/// How the write connection syncs: every commit reaches the disk before it returns, so what the
/// server acknowledged (a gate then deletes it) survives a power cut.
const WRITE_SYNCHRONOUS: SqliteSynchronous = SqliteSynchronous::Full;

/// WAL size (pages of 4 KiB) at which a commit checkpoints by itself: 40 MiB, far above what the
/// background checkpoint lets accumulate.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;
/// How often the background task checkpoints the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] from a reader connection, in PASSIVE mode: it
/// copies what no reader still needs and never blocks the writer. Ends when the pool closes.
fn checkpoint_in_background(pool: SqlitePool) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "background WAL checkpoint failed; will retry");
            }
        }
    });
}

/// The server's clock, in the unit every table uses.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A stored value that does not read back as its type: a damaged row, said in `message`.
pub fn decode(message: String) -> sqlx::Error {
    sqlx::Error::Decode(message.into())
}

/// Reads an id column back into its typed id; a malformed one is a damaged row.
pub fn parse_id<T: FromStr>(text: &str) -> Result<T, sqlx::Error> {
    text.parse()
        .map_err(|_| sqlx::Error::Decode(format!("malformed id in database: {text:?}").into()))
}

/// Flags are BIGINT 0/1 in both dialects.
pub fn flag(b: bool) -> i64 {
    b as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `PRAGMA synchronous` as a connection of `db` reports it (0 OFF, 1 NORMAL, 2 FULL).
    async fn synchronous(tx: &mut Tx) -> i64 {
        let (level,): (i64,) =
            on_tx!(tx, c => sqlx::query_as("PRAGMA synchronous").fetch_one(c).await).unwrap();
        level
    }

    #[tokio::test]
    async fn sqlite_commits_that_acknowledge_are_synced_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(None, dir.path()).await.unwrap();
        db.migrate().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            synchronous(&mut tx).await,
            2,
            "every write transaction runs with synchronous=FULL"
        );
        tx.commit().await.unwrap();
        db.close().await;
    }
}
