//! The Kiosks page: visits and queues as kiosks upload them, live; admins serve or cancel a
//! ticket, viewers only look; a label held twice (two kiosks numbering alike) is flagged.

use gatehouse_core::protocol::{KioskReport, KioskUpload};
use gatehouse_core::{
    Identification, KioskSession, KioskSessionId, QueueTicket, QueueTicketId, Verdict,
};
use serde_json::json;

use crate::common::fixtures::{approved, now_ms, participant_of, ticket};
use crate::common::library::html_escaped;
use crate::common::live::{fragment, EventStream};
use crate::common::page::{csrf_of, row_of, sign_in};
use crate::common::{Backend, Server};

on_both_backends!(the_kiosks_page_shows_visits_and_queues_and_admins_serve_or_cancel);

async fn the_kiosks_page_shows_visits_and_queues_and_admins_serve_or_cancel(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (kiosk, _) = s.pair_demo_devices().await;
    let person = ticket(&demo, approved);
    let now = now_ms();
    let visit = KioskSession {
        id: KioskSessionId(uuid::Uuid::now_v7()),
        event_id: kiosk.event_id,
        device_id: Some(kiosk.device_id),
        participant_id: Some(participant_of(person)),
        identified_by: Some(Identification::Search),
        language: Some("am".into()),
        started_at: now - 90_000,
        ended_at: Some(now - 10_000),
        scan_id: None,
        verdict: Some(Verdict::Valid),
        badge: None,
        queue_ticket_id: None,
        revision: 3,
    };
    let numbered = |desk: &str, number: u32, at: i64| QueueTicket {
        id: QueueTicketId(uuid::Uuid::now_v7()),
        event_id: kiosk.event_id,
        device_id: Some(kiosk.device_id),
        session_id: Some(visit.id),
        desk: desk.into(),
        number,
        label: gatehouse_core::kiosk::queue_label(desk, "", number),
        issued_at: at,
    };
    let upload =
        |sessions: Vec<KioskSession>, tickets: Vec<QueueTicket>, outbox: u64| KioskUpload {
            sessions,
            tickets,
            report: KioskReport {
                mode: "kiosk".into(),
                kiosk_outbox_depth: outbox,
                device_time: now,
            },
        };
    let (first, second, help) = (
        numbered("Accreditation", 1, now - 60_000),
        numbered("Accreditation", 2, now - 50_000),
        numbered("Help <desk>", 1, now - 40_000),
    );
    let batch = upload(
        vec![visit.clone()],
        vec![second.clone(), first.clone(), help.clone()],
        4,
    );
    s.kiosk_upload(&kiosk.device_token, &batch)
        .await
        .expect(200);

    let viewer = sign_in(&s, "viewer").await;
    let page = viewer.page("/dashboard/kiosks").await;
    assert!(page.contains("href=\"/dashboard/kiosks\""), "a nav link");
    assert!(page.contains(&kiosk.device_name));
    assert!(
        page.contains(&html_escaped(person["name"].as_str().unwrap())),
        "the attendee"
    );
    assert!(page.contains("checked in") && page.contains("search") && page.contains(">am<"));
    assert!(
        page.contains("Help &lt;desk&gt;") && !page.contains("Help <desk>"),
        "escaped"
    );
    let held = |t: &QueueTicket| format!("data-ticket=\"{}\"", t.id);
    let (a1, a2) = (
        page.find(&held(&first)).unwrap(),
        page.find(&held(&second)).unwrap(),
    );
    assert!(a1 < a2, "a desk's queue in the order tickets were taken");
    assert!(!page.contains("Mark served"), "a viewer gets no buttons");
    // The Devices page and the REST API say which device runs as a kiosk.
    let devices = viewer
        .get(&format!("/dashboard/events/{}/devices", s.event_id()))
        .await
        .body;
    let row = row_of(&devices, &format!("data-device=\"{}\"", kiosk.device_id));
    assert!(row.contains("<span class=\"mode\">(kiosk)</span>"), "{row}");
    let listed = s
        .as_integrator(&s.demo_api_key())
        .get(&format!("/api/v1/events/{}/devices", s.event_id()))
        .await
        .json();
    let modes: Vec<&serde_json::Value> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["mode"])
        .collect();
    assert!(modes.contains(&&json!("kiosk")), "{listed}");
    let serve_first = format!("/dashboard/queue-tickets/{}/served", first.id);
    let refused = viewer
        .post_form(&serve_first, &[("csrf", &csrf_of(&page))])
        .await
        .expect(403);
    assert!(refused.body.contains("kiosk:manage"));

    let admin = sign_in(&s, "admin").await;
    let csrf = admin.csrf("/dashboard/kiosks").await;
    admin
        .post_form(&serve_first, &[])
        .await
        .expect_because(403, "the form needs its CSRF token");
    let served = admin
        .post_form(&serve_first, &[("csrf", &csrf)])
        .await
        .expect(303);
    assert_eq!(served.location(), "/dashboard/kiosks");
    admin
        .post_form(
            &format!("/dashboard/queue-tickets/{}/cancel", help.id),
            &[("csrf", &csrf)],
        )
        .await
        .expect(303);
    let page = admin.get("/dashboard/kiosks").await.body;
    assert!(page.contains("Mark served"));
    assert!(!page.contains(&held(&first)));
    assert!(!page.contains(&held(&help)));
    assert!(page.contains(&held(&second)));
    admin
        .post_form(
            &format!("/dashboard/queue-tickets/{}/cancel", first.id),
            &[("csrf", &csrf)],
        )
        .await
        .expect_because(409, "a served ticket cannot be cancelled");

    let session = s.admin_session().await;
    let queue = s
        .as_admin(&session)
        .get("/admin/v1/kiosk/queue")
        .await
        .json();
    let waiting: Vec<&str> = queue["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(waiting, ["A-002"]);
    assert!(
        !page.contains("duplicate-labels"),
        "every label is held once"
    );

    // The page is live: a desk officer sees a new ticket without reloading.
    let mut live = EventStream::open(admin.open_stream("/dashboard/kiosks/live").await);
    let update = live
        .next("fragments")
        .await
        .expect("a first update at once");
    assert!(fragment(&update, "kiosk-queues").contains(&second.id.to_string()));

    // A second kiosk without a series of its own numbers from 1 as well: the desk is warned.
    let twin = numbered("Accreditation", 2, now - 30_000);
    s.kiosk_upload(&kiosk.device_token, &upload(vec![], vec![twin.clone()], 0))
        .await
        .expect(200);
    let mut queues = String::new();
    for _ in 0..5 {
        let Some(update) = live.next("fragments").await else {
            break;
        };
        queues = fragment(&update, "kiosk-queues");
        if queues.contains(&twin.id.to_string()) {
            break;
        }
    }
    assert!(queues.contains(&twin.id.to_string()), "{queues}");
    assert!(queues.contains("duplicate-labels"), "{queues}");
    let page = admin.get("/dashboard/kiosks").await.body;
    assert!(page.contains("duplicate-labels"), "{page}");
    assert!(page.contains("queue_series"));
    for t in [&second, &twin] {
        assert!(
            page.contains(&format!("{} class=\"label-held-twice\"", held(t))),
            "{page}"
        );
    }
}
