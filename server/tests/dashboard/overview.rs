//! An event's overview: its zones and how full they are (green, amber, red), which gate is
//! offline, offline duplicates to review, and the live stream that updates it after a scan.

use std::time::Duration;

use serde_json::Value;

use super::scan_at_gate;
use crate::common::fixtures::{
    approved, checkpoint, now_ms, offline_admission, participant_of, scan_upload, ticket, tickets,
};
use crate::common::live::{fragment, EventStream};
use crate::common::page::{section, sign_in};
use crate::common::{Backend, Server};

on_both_backends!(
    the_overview_shows_zones_and_which_gate_is_offline,
    offline_duplicates_are_flagged_for_review,
    a_zone_filling_up_turns_amber_then_red,
    the_live_stream_delivers_occupancy_after_a_scan,
);

/// Moves a device's last contact into the past, as if it had stopped calling.
async fn silence_device(s: &Server, device: &str, minutes: i64) {
    let then = now_ms() - minutes * 60_000;
    s.operator_sql(&format!(
        "UPDATE devices SET last_seen_at = {then} WHERE id = '{device}'"
    ))
    .await;
}

async fn the_overview_shows_zones_and_which_gate_is_offline(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = s.event_id();
    let viewer = sign_in(&s, "viewer").await;
    let overview = format!("/dashboard/events/{event}");
    let page = viewer.page(&overview).await;
    assert!(page.contains("Plenary hall") && page.contains("VIP lounge"));
    assert!(page.contains("fill-green"), "empty zones are green");
    assert!(
        page.contains("No gate is paired yet"),
        "an empty state that says what to do"
    );
    let missing = viewer
        .get(&format!("/dashboard/events/{}", uuid::Uuid::now_v7()))
        .await
        .expect(404);
    assert!(
        missing.body.contains("was not found"),
        "a page, not a bare status"
    );
    let missing = viewer.get("/dashboard/nowhere").await.expect(404);
    assert!(missing.body.contains("Back to the dashboard"));

    let (a, b) = s.pair_demo_devices().await;
    silence_device(&s, &a.device_id.to_string(), 10).await;
    let page = viewer.get(&overview).await.body;
    assert!(page.contains("1 of 2 gates OFFLINE"), "{page}");
    let alert = section(&page, "role=\"alert\"", "</p>");
    assert!(alert.contains(&a.device_name) && !alert.contains(&b.device_name));
    assert!(page.contains("10 min ago"));
}

async fn offline_duplicates_are_flagged_for_review(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = s.event_id();
    let (a, b) = s.pair_demo_devices().await;
    let person = participant_of(ticket(&demo, approved));
    let t0 = now_ms() - 120_000;
    for (gate, at) in [(&a, t0), (&b, t0 + 30_000)] {
        let mut upload = scan_upload(vec![offline_admission(&demo, person, at)], vec![]);
        upload.report.outbox_depth = 3;
        s.as_device(&gate.device_token)
            .post_json("/sync/v1/scans", &upload)
            .await
            .expect(200);
    }
    let viewer = sign_in(&s, "viewer").await;
    let page = viewer.get(&format!("/dashboard/events/{event}")).await.body;
    assert!(page.contains("1 offline duplicate to review"), "{page}");
    assert!(page.contains("3 scans"), "the outbox depth a gate reported");
    let review = viewer
        .get(&format!("/dashboard/events/{event}/access-log?dups=1"))
        .await
        .body;
    assert_eq!(review.matches("data-scan=\"").count(), 1);
    assert!(review.contains("offline duplicate: review"));
}

async fn a_zone_filling_up_turns_amber_then_red(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = s.event_id();
    let (gate, _) = s.pair_demo_devices().await;
    let (entry, plenary) = checkpoint(&demo, "Main gate entry");
    let admin = sign_in(&s, "admin").await;
    let csrf = admin
        .csrf(&format!("/dashboard/events/{event}/layout"))
        .await;
    admin
        .post_form(
            &format!("/dashboard/events/{event}/zones/{plenary}"),
            &[("capacity", "4"), ("csrf", &csrf)],
        )
        .await
        .expect(303);
    let people = tickets(&demo, approved);
    // The class of the zone's card: `zone fill-…`.
    let zone_class = |page: &str| {
        let card = &page[..page.find(&format!("data-zone=\"{plenary}\"")).unwrap()];
        let class = &card[card.rfind("class=\"zone ").unwrap() + 12..];
        class[..class.find('"').unwrap()].to_string()
    };
    let overview = format!("/dashboard/events/{event}");
    for (i, person) in people.iter().take(4).enumerate() {
        let r = scan_at_gate(&s, &gate.device_token, &entry, person).await;
        assert_eq!(r["verdict"], "VALID");
        let page = admin.get(&overview).await.body;
        let expected = match i + 1 {
            1 | 2 => "fill-green", // 25 %, 50 %
            3 => "fill-amber",     // 75 %
            _ => "fill-red",       // 100 %
        };
        assert_eq!(zone_class(&page), expected, "{} of 4 inside", i + 1);
    }
}

async fn the_live_stream_delivers_occupancy_after_a_scan(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = s.event_id();
    let (gate, _) = s.pair_demo_devices().await;
    let (entry, plenary) = checkpoint(&demo, "Main gate entry");
    let valid = ticket(&demo, |t| approved(t) && t["category"] == "Delegate");
    let viewer = sign_in(&s, "viewer").await;
    let mut live = EventStream::open(
        viewer
            .open_stream(&format!("/dashboard/events/{event}/live"))
            .await,
    );
    let inside = |update: &Value| {
        update["occupancy"]["zones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|z| z["zone_id"] == plenary.as_str())
            .unwrap()["inside"]
            .as_i64()
            .unwrap()
    };
    let mut updates: Vec<Value> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::time::Instant::now() < deadline {
        if updates.last().is_some_and(|u| inside(u) == 1) {
            break;
        }
        let Some(update) = live.next("overview").await else {
            break;
        };
        updates.push(update);
        if updates.len() == 1 {
            let r = scan_at_gate(&s, &gate.device_token, &entry, valid).await;
            assert_eq!(r["verdict"], "VALID");
        }
    }
    assert!(
        updates.len() >= 2,
        "a first update at once, then one after the scan"
    );
    assert_eq!(inside(&updates[0]), 0);
    assert_eq!(inside(updates.last().unwrap()), 1);
    let zones_html = fragment(updates.last().unwrap(), "live-zones");
    assert!(zones_html.contains("<span class=\"inside\">1</span>"));

    // Signing out ends the live stream as well.
    let csrf = viewer.csrf(&format!("/dashboard/events/{event}")).await;
    viewer
        .post_form("/dashboard/logout", &[("csrf", &csrf)])
        .await
        .expect(303);
    assert!(
        live.closes_within(Duration::from_secs(30)).await,
        "the stream closes after sign-out"
    );
}
