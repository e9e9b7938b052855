//! Kiosk records against the real binary: `POST /sync/v1/kiosk` upserts visits and queue tickets
//! by the kiosk's ids (a repeated upload changes nothing, an older revision never overwrites a
//! newer one), keeps each tenant's rows to itself, and answers `403 feature_disabled` while the
//! tenant's KIOSK_MODE is off; the admin API reads them back.

mod common;

use common::fixtures::{approved, now_ms, ticket};
use common::library::token_digest;
use common::{Backend, Server};
use gatehouse_core::protocol::{KioskAck, KioskReport, KioskUpload, PairResponse};
use gatehouse_core::{
    BadgeOutcome, EventId, Identification, KioskSession, KioskSessionId, QueueTicket,
    QueueTicketId, Verdict,
};
use serde_json::Value;

on_both_backends!(
    uploads_are_idempotent_and_keep_the_newest_revision,
    kiosk_mode_off_refuses_uploads_until_it_is_switched_on,
    uploads_that_name_another_event_are_refused_whole,
    each_tenant_sees_only_its_own_kiosk_records,
    ids_used_elsewhere_are_stored_for_us_or_not_acknowledged,
);

async fn set_kiosk_mode(s: &Server, on: bool) {
    s.operator_sql(&format!(
        "UPDATE tenant_features SET enabled = {} WHERE flag = 'KIOSK_MODE'",
        i64::from(on)
    ))
    .await;
}

fn visit(kiosk: &PairResponse, participant: &Value) -> KioskSession {
    let now = now_ms();
    KioskSession {
        id: KioskSessionId(uuid::Uuid::now_v7()),
        event_id: kiosk.event_id,
        device_id: Some(kiosk.device_id),
        participant_id: Some(
            participant["participant_id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
        ),
        identified_by: Some(Identification::Scan),
        language: Some("fr".into()),
        started_at: now - 60_000,
        ended_at: None,
        scan_id: None,
        verdict: Some(Verdict::Valid),
        badge: None,
        queue_ticket_id: None,
        revision: 1,
    }
}

fn queue_ticket(kiosk: &PairResponse, visit: &KioskSession, number: u32) -> QueueTicket {
    QueueTicket {
        id: QueueTicketId(uuid::Uuid::now_v7()),
        event_id: kiosk.event_id,
        device_id: Some(kiosk.device_id),
        session_id: Some(visit.id),
        desk: "Accreditation".into(),
        number,
        label: gatehouse_core::kiosk::queue_label("Accreditation", "", number),
        issued_at: now_ms() - 30_000,
    }
}

fn upload_of(sessions: Vec<KioskSession>, tickets: Vec<QueueTicket>) -> KioskUpload {
    KioskUpload {
        sessions,
        tickets,
        report: KioskReport {
            mode: "kiosk".into(),
            kiosk_outbox_depth: 0,
            device_time: now_ms(),
        },
    }
}

async fn accepted(s: &Server, token: &str, body: &KioskUpload) -> KioskAck {
    s.kiosk_upload(token, body).await.expect(200).parse()
}

async fn admin_get(s: &Server, session: &str, path: &str) -> (u16, Value) {
    let res = s.as_admin(session).get(path).await;
    (res.status, res.json())
}

async fn uploads_are_idempotent_and_keep_the_newest_revision(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (kiosk, _) = s.pair_demo_devices().await;
    let mut v = visit(&kiosk, ticket(&demo, approved));
    let t = queue_ticket(&kiosk, &v, 1);
    v.queue_ticket_id = Some(t.id);
    let batch = upload_of(vec![v.clone()], vec![t.clone()]);
    for _ in 0..2 {
        let ack = accepted(&s, &kiosk.device_token, &batch).await;
        assert_eq!((ack.sessions, ack.tickets), (vec![v.id], vec![t.id]));
    }
    let one = |table: &str, id: String| format!("SELECT count(*) FROM {table} WHERE id = '{id}'");
    assert_eq!(
        s.operator_value::<i64>(&one("kiosk_sessions", v.id.to_string()))
            .await,
        1
    );
    assert_eq!(
        s.operator_value::<i64>(&one("queue_tickets", t.id.to_string()))
            .await,
        1
    );

    // The attendee took a badge and left (revision 2); a late retry of revision 1 changes nothing.
    let older = v.clone();
    v.badge = Some(BadgeOutcome::Printed);
    v.ended_at = Some(now_ms());
    v.revision = 2;
    accepted(&s, &kiosk.device_token, &upload_of(vec![v.clone()], vec![])).await;
    accepted(&s, &kiosk.device_token, &upload_of(vec![older], vec![])).await;

    let admin = s.admin_session().await;
    let (status, sessions) = admin_get(&s, &admin, "/admin/v1/kiosk/sessions").await;
    assert_eq!(status, 200, "{sessions}");
    let listed = sessions["sessions"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{sessions}");
    assert_eq!(listed[0]["id"], v.id.to_string());
    assert_eq!(listed[0]["revision"], 2);
    assert_eq!(listed[0]["badge"], "printed");
    assert_eq!(listed[0]["outcome"], "checked_in");
    assert_eq!(listed[0]["queue_ticket"], "A-001");
    assert_eq!(listed[0]["device_name"], kiosk.device_name);
    let (_, queue) = admin_get(&s, &admin, "/admin/v1/kiosk/queue").await;
    assert_eq!(queue["waiting"][0]["label"], "A-001", "{queue}");
    let (_, kiosks) = admin_get(&s, &admin, "/admin/v1/kiosk/devices").await;
    assert_eq!(kiosks["kiosks"].as_array().unwrap().len(), 1, "{kiosks}");
    assert_eq!(kiosks["kiosks"][0]["sessions"], 1);
    assert_eq!(kiosks["kiosks"][0]["badges"], 1);
    assert_eq!(kiosks["kiosks"][0]["tickets"], 1);
}

async fn kiosk_mode_off_refuses_uploads_until_it_is_switched_on(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (kiosk, _) = s.pair_demo_devices().await;
    let v = visit(&kiosk, ticket(&demo, approved));
    let batch = upload_of(vec![v.clone()], vec![queue_ticket(&kiosk, &v, 1)]);

    set_kiosk_mode(&s, false).await;
    let body = s
        .kiosk_upload(&kiosk.device_token, &batch)
        .await
        .expect(403)
        .json();
    assert_eq!(body["code"], "feature_disabled", "{body}");
    assert_eq!(body["error"]["code"], "feature_disabled");
    assert_eq!(body["wipe"], false, "a refusal never wipes the kiosk");
    assert!(body["message"].as_str().unwrap().contains("KIOSK_MODE"));
    assert_eq!(
        s.operator_value::<i64>("SELECT count(*) FROM kiosk_sessions")
            .await,
        0
    );
    let admin = s.admin_session().await;
    let (status, body) = admin_get(&s, &admin, "/admin/v1/kiosk/sessions").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &"feature_disabled".into())
    );
    // Scans are not behind the flag.
    s.as_device(&kiosk.device_token)
        .get("/sync/v1/feed")
        .await
        .expect(200);

    set_kiosk_mode(&s, true).await;
    let ack = accepted(&s, &kiosk.device_token, &batch).await;
    assert_eq!(ack.sessions, vec![v.id]);
    assert_eq!(
        s.operator_value::<i64>("SELECT count(*) FROM kiosk_sessions")
            .await,
        1
    );
}

async fn uploads_that_name_another_event_are_refused_whole(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (kiosk, _) = s.pair_demo_devices().await;
    let good = visit(&kiosk, ticket(&demo, approved));
    let mut stray = visit(&kiosk, ticket(&demo, approved));
    stray.event_id = EventId(uuid::Uuid::now_v7());
    let body = s
        .kiosk_upload(&kiosk.device_token, &upload_of(vec![good, stray], vec![]))
        .await
        .expect(422)
        .json();
    assert_eq!(body["code"], "wrong_event", "{body}");
    assert_eq!(
        s.operator_value::<i64>("SELECT count(*) FROM kiosk_sessions")
            .await,
        0,
        "all or nothing"
    );
}

async fn each_tenant_sees_only_its_own_kiosk_records(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (kiosk, _) = s.pair_demo_devices().await;
    let ours = visit(&kiosk, ticket(&demo, approved));
    accepted(
        &s,
        &kiosk.device_token,
        &upload_of(vec![ours.clone()], vec![]),
    )
    .await;

    let other = other_tenants_kiosk(&s).await;
    let (tenant, token) = (other.tenant_id, other.device_token.clone());
    let mut theirs = visit(&other, ticket(&demo, approved));
    theirs.participant_id = None;
    // The same id as our visit, at a higher revision: it must not touch our row, and it is
    // stored as theirs.
    let mut clash = theirs.clone();
    clash.id = ours.id;
    clash.revision = 9;
    clash.language = Some("ar".into());
    let ack = accepted(
        &s,
        &token,
        &upload_of(vec![theirs.clone(), clash.clone()], vec![]),
    )
    .await;
    assert_eq!(ack.sessions, vec![theirs.id, clash.id]);

    let admin = s.admin_session().await;
    let (_, sessions) = admin_get(&s, &admin, "/admin/v1/kiosk/sessions").await;
    let listed = sessions["sessions"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "only our own visit: {sessions}");
    assert_eq!(listed[0]["id"], ours.id.to_string());
    assert_eq!(listed[0]["language"], "fr", "untouched by the other tenant");
    assert_eq!(listed[0]["revision"], 1);
    let (_, kiosks) = admin_get(&s, &admin, "/admin/v1/kiosk/devices").await;
    let names: Vec<&str> = kiosks["kiosks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [kiosk.device_name.as_str()]);
    assert_eq!(
        s.operator_value::<i64>(&format!(
            "SELECT count(*) FROM kiosk_sessions WHERE tenant_id = '{tenant}'"
        ))
        .await,
        2,
        "their own visits are stored under their tenant"
    );
}

/// A kiosk of another organisation, paired to an event of its own (made as an operator would).
async fn other_tenants_kiosk(s: &Server) -> PairResponse {
    let (tenant, event, device) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let token = format!("other-kiosk-token-{}", uuid::Uuid::new_v4());
    let token_hash = token_digest(&token);
    s.operator_sql(&format!(
            "INSERT INTO tenants (id, name, slug, created_at) VALUES ('{tenant}', 'Other', 'other', 0);
             INSERT INTO tenant_features (tenant_id, flag, enabled) VALUES ('{tenant}', 'KIOSK_MODE', 1);
             INSERT INTO events (id, tenant_id, name, starts_at, ends_at, time_zone, created_at)
               VALUES ('{event}', '{tenant}', 'Other summit', 0, 1, 'UTC', 0);
             INSERT INTO devices (id, tenant_id, event_id, name, token_hash, paired_at, created_at)
               VALUES ('{device}', '{tenant}', '{event}', 'Other kiosk', '{token_hash}', 0, 0);"
        ),
    )
    .await;
    PairResponse {
        device_id: gatehouse_core::DeviceId(device),
        device_name: "Other kiosk".into(),
        device_token: token,
        tenant_id: gatehouse_core::TenantId(tenant),
        event_id: EventId(event),
        event_name: "Other summit".into(),
        server_time: 0,
    }
}

async fn ids_used_elsewhere_are_stored_for_us_or_not_acknowledged(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (kiosk, second_kiosk) = s.pair_demo_devices().await;

    // Another organisation's kiosk used the ids first.
    let other = other_tenants_kiosk(&s).await;
    let mut theirs = visit(&other, ticket(&demo, approved));
    theirs.participant_id = None;
    let their_ticket = queue_ticket(&other, &theirs, 1);
    accepted(
        &s,
        &other.device_token,
        &upload_of(vec![theirs.clone()], vec![their_ticket.clone()]),
    )
    .await;

    // Our kiosk's visit and ticket under the same ids are ours: stored, listed, acknowledged.
    let mut ours = visit(&kiosk, ticket(&demo, approved));
    ours.id = theirs.id;
    let mut our_ticket = queue_ticket(&kiosk, &ours, 7);
    our_ticket.id = their_ticket.id;
    ours.queue_ticket_id = Some(our_ticket.id);
    let ack = accepted(
        &s,
        &kiosk.device_token,
        &upload_of(vec![ours.clone()], vec![our_ticket.clone()]),
    )
    .await;
    assert_eq!(
        (ack.sessions, ack.tickets),
        (vec![ours.id], vec![our_ticket.id])
    );
    let admin = s.admin_session().await;
    let (_, sessions) = admin_get(&s, &admin, "/admin/v1/kiosk/sessions").await;
    let listed = sessions["sessions"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{sessions}");
    assert_eq!(listed[0]["id"], ours.id.to_string());
    assert_eq!(listed[0]["device_id"], kiosk.device_id.to_string());
    assert_eq!(listed[0]["queue_ticket"], our_ticket.label);
    let (_, queue) = admin_get(&s, &admin, "/admin/v1/kiosk/queue").await;
    assert_eq!(
        queue["waiting"][0]["id"],
        our_ticket.id.to_string(),
        "{queue}"
    );
    assert_eq!(
        queue["waiting"][0]["device_id"],
        kiosk.device_id.to_string()
    );

    // Our second kiosk reusing the first one's ids stores nothing, so it is acknowledged
    // nothing: it keeps its records instead of deleting what the server never held.
    let mut copy = visit(&second_kiosk, ticket(&demo, approved));
    copy.id = ours.id;
    copy.revision = 5;
    let mut copied_ticket = queue_ticket(&second_kiosk, &copy, 9);
    copied_ticket.id = our_ticket.id;
    let ack = accepted(
        &s,
        &second_kiosk.device_token,
        &upload_of(vec![copy], vec![copied_ticket]),
    )
    .await;
    assert!(ack.sessions.is_empty() && ack.tickets.is_empty(), "{ack:?}");
    let (_, sessions) = admin_get(&s, &admin, "/admin/v1/kiosk/sessions").await;
    assert_eq!(
        sessions["sessions"][0]["revision"], 1,
        "the first kiosk's visit is untouched"
    );
    assert_eq!(
        sessions["sessions"][0]["device_id"],
        kiosk.device_id.to_string()
    );
}
