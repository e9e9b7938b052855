//! What waits for the server: every record this device made that the server has not yet
//! acknowledged. Two queues keep one discipline: [`Outbox::Scans`] (access logs, table `outbox`)
//! and [`Outbox::Kiosk`] (a kiosk's visits and queue tickets, table `kiosk_outbox`), so the scan
//! path's transaction stays as small as it always was.
//!
//! The states of a record: **queued** (in the same transaction that stored it) → **sent** (in a
//! [`Batch`], still queued) → **gone** (acknowledged). What wins:
//!
//! 1. Nothing leaves unacknowledged: a lost answer, a dead network or a refusal leave the record
//!    queued, and the next round sends it again (the server upserts by id, so that is harmless).
//! 2. An acknowledgement removes a record only *at the revision that was sent*: a kiosk visit
//!    changed during its upload was queued again at its new revision and stays for the next one.
//!    Scans and queue tickets never change: they are always at revision 1.
//! 3. Uploads walk a queue by position, oldest first, in batches of the engine's size.

use std::collections::HashSet;
use std::hash::Hash;

use rusqlite::{params, Connection, TransactionBehavior};

use crate::error::StoreError;
use crate::store::Store;

/// A queue of records waiting for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbox {
    /// Access logs, uploaded to `POST /sync/v1/scans`.
    Scans,
    /// Kiosk visits and queue tickets, uploaded to `POST /sync/v1/kiosk` after the scans.
    Kiosk,
}

/// What kind of record an outbox entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Scan,
    KioskSession,
    QueueTicket,
}

impl Kind {
    /// The queue this kind travels in.
    pub fn outbox(self) -> Outbox {
        match self {
            Kind::Scan => Outbox::Scans,
            Kind::KioskSession | Kind::QueueTicket => Outbox::Kiosk,
        }
    }

    /// The spelling in `kiosk_outbox.kind` (scans have a table of their own).
    fn as_str(self) -> &'static str {
        match self {
            Kind::Scan => "scan",
            Kind::KioskSession => "session",
            Kind::QueueTicket => "ticket",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        match s {
            "scan" => Some(Kind::Scan),
            "session" => Some(Kind::KioskSession),
            "ticket" => Some(Kind::QueueTicket),
            _ => None,
        }
    }
}

/// One queued record: where it stands in its queue, what it is and at which revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub kind: Kind,
    pub id: String,
    pub revision: u32,
}

/// A record that travels through an outbox.
pub trait Outgoing: Sized {
    /// The queue it waits in.
    const OUTBOX: Outbox;
    /// What the server's acknowledgement names it by.
    type Id: Eq + Hash;

    fn id(&self) -> Self::Id;

    /// The record an entry names, as stored now; `None` if it is gone.
    fn load(store: &Store, entry: &Entry) -> Result<Option<Self>, StoreError>;

    /// The next batch of this queue: its entries, each record [loaded](Self::load). A record
    /// with a faster way to read many at once (scans: one join) reads its batch itself.
    fn read_batch(store: &Store, after_seq: i64, limit: usize) -> Result<Batch<Self>, StoreError> {
        let mut batch = Batch {
            items: Vec::new(),
            last_seq: after_seq,
        };
        for entry in Self::OUTBOX.entries(store, after_seq, limit)? {
            batch.last_seq = entry.seq;
            if let Some(record) = Self::load(store, &entry)? {
                batch.items.push((entry, record));
            }
        }
        Ok(batch)
    }
}

/// One upload's worth of a queue: each record with the entry it was sent at.
#[derive(Debug, Clone)]
pub struct Batch<R> {
    pub items: Vec<(Entry, R)>,
    /// The queue position of the last entry read; the next batch starts after it.
    pub last_seq: i64,
}

impl<R> Batch<R> {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn records(&self) -> impl Iterator<Item = &R> {
        self.items.iter().map(|(_, r)| r)
    }
}

impl Outbox {
    /// Records waiting in this queue.
    pub fn depth(self, store: &Store) -> Result<u64, StoreError> {
        let sql = match self {
            Outbox::Scans => "SELECT count(*) FROM outbox",
            Outbox::Kiosk => "SELECT count(*) FROM kiosk_outbox",
        };
        Ok(store
            .conn()
            .prepare_cached(sql)?
            .query_row([], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Takes every record out of both queues, leaving the records themselves in the store (the
    /// evidence export still lists the scans). For a device pairing again once its waiting
    /// records were exported: sent under the new pairing, the server would refuse them.
    pub fn release_all(store: &mut Store) -> Result<(), StoreError> {
        store
            .conn_mut()
            .execute_batch("DELETE FROM outbox; DELETE FROM kiosk_outbox;")?;
        Ok(())
    }

    /// Whether the record with this id is still waiting in this queue.
    pub fn is_queued(self, store: &Store, id: &str) -> Result<bool, StoreError> {
        let sql = match self {
            Outbox::Scans => "SELECT 1 FROM outbox WHERE scan_id = ?1",
            Outbox::Kiosk => "SELECT 1 FROM kiosk_outbox WHERE record_id = ?1",
        };
        Ok(store.conn().prepare_cached(sql)?.exists([id])?)
    }

    /// The next `limit` entries after position `after_seq`, oldest first.
    pub fn entries(
        self,
        store: &Store,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let sql = match self {
            Outbox::Scans => {
                "SELECT seq, 'scan', scan_id, 1 FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            }
            Outbox::Kiosk => {
                "SELECT seq, kind, record_id, revision FROM kiosk_outbox
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            }
        };
        let rows: Vec<(i64, String, String, u32)> = store
            .conn()
            .prepare_cached(sql)?
            .query_map(params![after_seq, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(seq, kind, id, revision)| {
                let kind = Kind::parse(&kind).filter(|k| k.outbox() == self).ok_or(
                    StoreError::Corrupt {
                        what: "outbox kind",
                        detail: kind,
                    },
                )?;
                Ok(Entry {
                    seq,
                    kind,
                    id,
                    revision,
                })
            })
            .collect()
    }

    /// The next batch of `R` after position `after_seq`, oldest first. An entry whose record
    /// is gone is skipped (it cannot be sent).
    pub fn batch<R: Outgoing>(
        store: &Store,
        after_seq: i64,
        limit: usize,
    ) -> Result<Batch<R>, StoreError> {
        R::read_batch(store, after_seq, limit)
    }

    /// Removes from its queue what the server acknowledged of `sent`, unless it changed since
    /// it was sent.
    pub fn acknowledge<R: Outgoing>(
        store: &mut Store,
        sent: &Batch<R>,
        acknowledged: impl IntoIterator<Item = R::Id>,
    ) -> Result<(), StoreError> {
        Self::acknowledge_with(store, sent, acknowledged, |_| Ok(()))
    }

    /// [`acknowledge`](Self::acknowledge), and `also` in the same transaction (what else the
    /// server's answer says).
    pub fn acknowledge_with<R: Outgoing>(
        store: &mut Store,
        sent: &Batch<R>,
        acknowledged: impl IntoIterator<Item = R::Id>,
        also: impl FnOnce(&Connection) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let acknowledged: HashSet<R::Id> = acknowledged.into_iter().collect();
        let tx = store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (entry, _) in sent
            .items
            .iter()
            .filter(|(_, r)| acknowledged.contains(&r.id()))
        {
            remove(&tx, entry)?;
        }
        also(&tx)?;
        tx.commit()?;
        Ok(())
    }
}

/// Queues a record (or raises its revision when it is queued already), inside the caller's
/// transaction: the one that stores the record itself.
pub(crate) fn enqueue(
    conn: &Connection,
    kind: Kind,
    id: &str,
    revision: u32,
) -> Result<(), StoreError> {
    match kind.outbox() {
        Outbox::Scans => conn
            .prepare_cached("INSERT INTO outbox (scan_id) VALUES (?1)")?
            .execute([id])?,
        Outbox::Kiosk => conn
            .prepare_cached(
                "INSERT INTO kiosk_outbox (kind, record_id, revision) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind, record_id) DO UPDATE SET revision = excluded.revision",
            )?
            .execute(params![kind.as_str(), id, revision])?,
    };
    Ok(())
}

/// Removes an entry if it is still at the revision it was sent at.
fn remove(conn: &Connection, entry: &Entry) -> Result<(), StoreError> {
    match entry.kind.outbox() {
        Outbox::Scans => conn
            .prepare_cached("DELETE FROM outbox WHERE scan_id = ?1")?
            .execute([&entry.id])?,
        Outbox::Kiosk => conn
            .prepare_cached(
                "DELETE FROM kiosk_outbox WHERE kind = ?1 AND record_id = ?2 AND revision = ?3",
            )?
            .execute(params![entry.kind.as_str(), entry.id, entry.revision])?,
    };
    Ok(())
}
