//! Participants: the gate's view ([`Participant`], which the feed carries to devices) plus what
//! only the server keeps (contact details, passport, date of birth, photo). Every write publishes
//! the new state to the event's change feed in the same transaction.

use gatehouse_core::protocol::Change;
use gatehouse_core::{EventId, Participant, ParticipantId, ParticipantStatus, TenantId, ZoneId};
use serde::Serialize;
use sqlx::{Decode, Row, Type};

use super::{decode, exec_tx, feed, flag, now_ms, on_pool, parse_id, Db, Tx};

/// Rows per multi-row insert (18 parameters each: 9,000 per statement, under SQLite's 32,766).
const INSERT_CHUNK: usize = 500;

/// A participant as the server keeps them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParticipantRecord {
    #[serde(flatten)]
    pub gate: Participant,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub nationality: Option<String>,
    pub passport_number: Option<String>,
    /// ISO date, `1984-03-09`.
    pub date_of_birth: Option<String>,
}

impl ParticipantRecord {
    /// The participant as the feed carries them to devices: the gate's view plus the
    /// [`birth_check`](gatehouse_core::birth_check) of the date of birth (never the date).
    pub fn feed_view(&self) -> Participant {
        let mut gate = self.gate.clone();
        gate.birth_check = self
            .date_of_birth
            .as_deref()
            .and_then(|d| gatehouse_core::birth_check(gate.id, d));
        gate
    }
}

const COLUMNS: &str = "id, event_id, full_name, organisation, category, status, zone_ids, valid_from, \
     valid_until, credential_seq, blocked, registration_code, email, phone, nationality, passport_number, \
     date_of_birth";

/// Reads a row selected with [`COLUMNS`], whichever dialect it came from.
fn from_row<'r, R>(r: &'r R) -> Result<ParticipantRecord, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = r.try_get(0)?;
    let event: String = r.try_get(1)?;
    let status: String = r.try_get(5)?;
    let zones: String = r.try_get(6)?;
    let seq: i64 = r.try_get(9)?;
    let blocked: i64 = r.try_get(10)?;
    let zone_ids: Vec<String> = serde_json::from_str(&zones)
        .map_err(|e| decode(format!("participant {id}: zone list: {e}")))?;
    Ok(ParticipantRecord {
        gate: Participant {
            id: parse_id(&id)?,
            event_id: parse_id(&event)?,
            full_name: r.try_get(2)?,
            organisation: r.try_get(3)?,
            category: r.try_get(4)?,
            status: ParticipantStatus::parse(&status)
                .ok_or_else(|| decode(format!("participant {id}: status {status:?}")))?,
            zones: zone_ids
                .iter()
                .map(|z| parse_id::<ZoneId>(z))
                .collect::<Result<_, _>>()?,
            valid_from: r.try_get(7)?,
            valid_until: r.try_get(8)?,
            credential_seq: u16::try_from(seq)
                .map_err(|_| decode(format!("participant {id}: credential_seq {seq}")))?,
            blocked: blocked != 0,
            registration_code: r.try_get(11)?,
            birth_check: None,
        },
        email: r.try_get(12)?,
        phone: r.try_get(13)?,
        nationality: r.try_get(14)?,
        passport_number: r.try_get(15)?,
        date_of_birth: r.try_get(16)?,
    })
}

fn zone_json(zones: &[ZoneId]) -> String {
    serde_json::to_string(&zones.iter().map(|z| z.to_string()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// Inserts participants of one event in batches and publishes them to the feed.
pub async fn insert_many(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    records: &[ParticipantRecord],
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let tenant_s = tenant.to_string();
    for chunk in records.chunks(INSERT_CHUNK) {
        exec_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO participants (id, tenant_id, event_id, full_name, organisation, category, status, \
                 zone_ids, valid_from, valid_until, credential_seq, blocked, registration_code, email, phone, \
                 nationality, passport_number, date_of_birth, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, r| {
                let p = &r.gate;
                b.push_bind(p.id.to_string())
                    .push_bind(tenant_s.clone())
                    .push_bind(event.to_string())
                    .push_bind(p.full_name.clone())
                    .push_bind(p.organisation.clone())
                    .push_bind(p.category.clone())
                    .push_bind(p.status.as_str())
                    .push_bind(zone_json(&p.zones))
                    .push_bind(p.valid_from)
                    .push_bind(p.valid_until)
                    .push_bind(i64::from(p.credential_seq))
                    .push_bind(flag(p.blocked))
                    .push_bind(p.registration_code.clone())
                    .push_bind(r.email.clone())
                    .push_bind(r.phone.clone())
                    .push_bind(r.nationality.clone())
                    .push_bind(r.passport_number.clone())
                    .push_bind(r.date_of_birth.clone())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.build().execute(c).await
        })?;
    }
    let changes: Vec<Change> = records
        .iter()
        .map(|r| Change::Participant(r.feed_view()))
        .collect();
    feed::publish(tx, tenant, event, &changes, None).await
}

pub async fn find(
    db: &Db,
    tenant: TenantId,
    event: EventId,
    id: ParticipantId,
) -> Result<Option<ParticipantRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM participants WHERE tenant_id = $1 AND event_id = $2 AND id = $3"
    );
    on_pool!(db, p => {
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(event.to_string())
            .bind(id.to_string())
            .fetch_optional(p)
            .await?;
        row.as_ref().map(from_row).transpose()
    })
}

/// A participant of any event of the tenant (admin URLs name only the participant).
pub async fn find_any_event(
    db: &Db,
    tenant: TenantId,
    id: ParticipantId,
) -> Result<Option<ParticipantRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM participants WHERE tenant_id = $1 AND id = $2");
    on_pool!(db, p => {
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(p)
            .await?;
        row.as_ref().map(from_row).transpose()
    })
}

pub async fn find_by_registration_code(
    db: &Db,
    tenant: TenantId,
    event: EventId,
    code: &str,
) -> Result<Option<ParticipantRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM participants WHERE tenant_id = $1 AND event_id = $2 AND registration_code = $3"
    );
    on_pool!(db, p => {
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(event.to_string())
            .bind(code)
            .fetch_optional(p)
            .await?;
        row.as_ref().map(from_row).transpose()
    })
}

/// How the admin list narrows participants.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<ParticipantStatus>,
    /// Part of the name, email or registration code.
    pub search: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(
    db: &Db,
    tenant: TenantId,
    event: EventId,
    filter: &ListFilter,
) -> Result<Vec<ParticipantRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM participants WHERE tenant_id = $1 AND event_id = $2 \
         AND ($3 = '' OR status = $3) \
         AND ($4 = '' OR LOWER(full_name) LIKE $5 OR LOWER(COALESCE(email, '')) LIKE $5 OR registration_code = UPPER($4)) \
         ORDER BY full_name, id LIMIT $6 OFFSET $7"
    );
    let status = filter.status.map(|s| s.as_str()).unwrap_or("");
    let search = filter.search.clone().unwrap_or_default();
    let like = format!("%{}%", search.to_lowercase());
    on_pool!(db, p => {
        let rows = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(event.to_string())
            .bind(status)
            .bind(&search)
            .bind(&like)
            .bind(filter.limit)
            .bind(filter.offset)
            .fetch_all(p)
            .await?;
        rows.iter().map(from_row).collect()
    })
}

pub async fn count(db: &Db, tenant: TenantId, event: EventId) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_pool!(db, p => sqlx::query_as(
        "SELECT COUNT(*) FROM participants WHERE tenant_id = $1 AND event_id = $2",
    )
    .bind(tenant.to_string())
    .bind(event.to_string())
    .fetch_one(p)
    .await)?;
    Ok(n)
}

/// Deletes a participant and tells devices to drop them from their caches.
pub async fn remove(
    tx: &mut Tx,
    tenant: TenantId,
    current: &ParticipantRecord,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM participants WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.to_string())
        .bind(current.gate.id.to_string())
        .execute(c)
        .await)?;
    feed::publish(
        tx,
        tenant,
        current.gate.event_id,
        &[Change::ParticipantRemoved {
            id: current.gate.id,
        }],
        None,
    )
    .await
}

/// Names of these participants (the dashboard's access log shows people, not ids).
pub async fn names(
    db: &Db,
    tenant: TenantId,
    ids: &[ParticipantId],
) -> Result<std::collections::HashMap<ParticipantId, String>, sqlx::Error> {
    Ok(summaries(db, tenant, ids)
        .await?
        .into_iter()
        .map(|(id, s)| (id, s.full_name))
        .collect())
}

/// Who a participant is at a glance: what a gate shows beside a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub full_name: String,
    pub category: String,
    pub organisation: Option<String>,
}

/// These participants at a glance, by id, in one query per 500 ids; unknown ids are left out.
pub async fn summaries(
    db: &Db,
    tenant: TenantId,
    ids: &[ParticipantId],
) -> Result<std::collections::HashMap<ParticipantId, Summary>, sqlx::Error> {
    type Row = (String, String, String, Option<String>);
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(INSERT_CHUNK) {
        let rows: Vec<Row> = on_pool!(db, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, full_name, category, organisation FROM participants WHERE tenant_id = ",
            );
            qb.push_bind(tenant.to_string()).push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(id.to_string());
            }
            qb.push(")");
            qb.build_query_as::<Row>().fetch_all(p).await
        })?;
        for (id, full_name, category, organisation) in rows {
            out.insert(
                parse_id(&id)?,
                Summary {
                    full_name,
                    category,
                    organisation,
                },
            );
        }
    }
    Ok(out)
}

/// A participant with the times of their row (the REST API shows them and pages by them).
#[derive(Debug, Clone, PartialEq)]
pub struct Stamped {
    pub record: ParticipantRecord,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Reads a row selected with [`COLUMNS`] followed by `created_at, updated_at`.
fn stamped_from_row<'r, R>(r: &'r R) -> Result<Stamped, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Stamped {
        record: from_row(r)?,
        created_at: r.try_get(17)?,
        updated_at: r.try_get(18)?,
    })
}

/// How the REST API narrows a tenant's participants. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct PageFilter {
    pub event: Option<EventId>,
    pub status: Option<ParticipantStatus>,
    pub category: Option<String>,
    /// Changed at or after this time (ms).
    pub updated_since: Option<i64>,
    /// Part of the name or email, or a whole registration code.
    pub search: Option<String>,
}

/// Where a page of participants starts, and so in which order it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFrom {
    /// In id order, from the first (or after this id).
    Id(Option<ParticipantId>),
    /// In order of last change (oldest first), from the first (or after this change and id):
    /// a client that walks to the end has seen every change up to then.
    Updated(Option<(i64, ParticipantId)>),
}

/// One page of the tenant's participants (keyset pagination: rows added or changed while a
/// client walks the pages neither repeat nor shift the rest, except that in `Updated` order a
/// changed row moves to the end, where the walk sees it again as it now is).
///
/// The statement names only the filters that are set, so any plan PostgreSQL caches for it (a
/// prepared statement's generic plan) walks the right index. With every filter written into one
/// statement as `($2 = '' OR event_id = $2)`, the generic plan sorted the whole tenant to return
/// a page (`EXPLAIN ANALYZE` with `plan_cache_mode = force_generic_plan`, 5,000 participants:
/// 12.5 ms, against 0.2 ms for the index walk).
pub async fn page(
    db: &Db,
    tenant: TenantId,
    filter: &PageFilter,
    from: PageFrom,
    limit: i64,
) -> Result<Vec<Stamped>, sqlx::Error> {
    let head =
        format!("SELECT {COLUMNS}, created_at, updated_at FROM participants WHERE tenant_id = ");
    on_pool!(db, p => {
        let mut qb = sqlx::QueryBuilder::new(head);
        qb.push_bind(tenant.to_string());
        if let Some(event) = filter.event {
            qb.push(" AND event_id = ").push_bind(event.to_string());
        }
        if let Some(status) = filter.status {
            qb.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(category) = &filter.category {
            qb.push(" AND category = ").push_bind(category.clone());
        }
        if let Some(since) = filter.updated_since {
            qb.push(" AND updated_at >= ").push_bind(since);
        }
        if let Some(search) = &filter.search {
            let like = format!("%{}%", search.to_lowercase());
            qb.push(" AND (LOWER(full_name) LIKE ")
                .push_bind(like.clone())
                .push(" OR LOWER(COALESCE(email, '')) LIKE ")
                .push_bind(like)
                .push(" OR registration_code = ")
                .push_bind(search.to_uppercase())
                .push(")");
        }
        match from {
            PageFrom::Id(after) => {
                if let Some(after) = after {
                    qb.push(" AND id > ").push_bind(after.to_string());
                }
                qb.push(" ORDER BY id");
            }
            PageFrom::Updated(after) => {
                if let Some((t, id)) = after {
                    qb.push(" AND (updated_at > ")
                        .push_bind(t)
                        .push(" OR (updated_at = ")
                        .push_bind(t)
                        .push(" AND id > ")
                        .push_bind(id.to_string())
                        .push("))");
                }
                qb.push(" ORDER BY updated_at, id");
            }
        }
        qb.push(" LIMIT ").push_bind(limit);
        let rows = qb.build().fetch_all(p).await?;
        rows.iter().map(stamped_from_row).collect()
    })
}

/// A participant of any event of the tenant, with the times of their row.
pub async fn find_stamped(
    db: &Db,
    tenant: TenantId,
    id: ParticipantId,
) -> Result<Option<Stamped>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS}, created_at, updated_at FROM participants WHERE tenant_id = $1 AND id = $2"
    );
    on_pool!(db, p => {
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(p)
            .await?;
        row.as_ref().map(stamped_from_row).transpose()
    })
}

/// [`find_stamped`] inside a write transaction: what an update compares its precondition with.
pub async fn find_stamped_in(
    tx: &mut Tx,
    tenant: TenantId,
    id: ParticipantId,
) -> Result<Option<Stamped>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS}, created_at, updated_at FROM participants WHERE tenant_id = $1 AND id = $2"
    );
    super::on_tx!(tx, c => {
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(c)
            .await?;
        row.as_ref().map(stamped_from_row).transpose()
    })
}

/// Writes every field of `next` that may change (not its id, event or registration code) and
/// publishes the new state to the event's feed.
pub async fn update(
    tx: &mut Tx,
    tenant: TenantId,
    next: &ParticipantRecord,
    now: i64,
) -> Result<(), sqlx::Error> {
    let p = &next.gate;
    exec_tx!(tx, c => sqlx::query(
        "UPDATE participants SET full_name = $1, organisation = $2, category = $3, status = $4, zone_ids = $5, \
         valid_from = $6, valid_until = $7, blocked = $8, email = $9, phone = $10, nationality = $11, \
         passport_number = $12, date_of_birth = $13, updated_at = $14, credential_seq = $15 \
         WHERE tenant_id = $16 AND id = $17",
    )
    .bind(&p.full_name)
    .bind(&p.organisation)
    .bind(&p.category)
    .bind(p.status.as_str())
    .bind(zone_json(&p.zones))
    .bind(p.valid_from)
    .bind(p.valid_until)
    .bind(flag(p.blocked))
    .bind(&next.email)
    .bind(&next.phone)
    .bind(&next.nationality)
    .bind(&next.passport_number)
    .bind(&next.date_of_birth)
    .bind(now)
    .bind(i64::from(p.credential_seq))
    .bind(tenant.to_string())
    .bind(p.id.to_string())
    .execute(c)
    .await)?;
    feed::publish(
        tx,
        tenant,
        p.event_id,
        &[Change::Participant(next.feed_view())],
        None,
    )
    .await
}
