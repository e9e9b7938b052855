//! Participants: found by registration code, shown to a viewer without the ticket QR, and given
//! a new badge by an admin (the old one stops working).

use super::scan_at_gate;
use crate::common::fixtures::{approved, checkpoint, ticket};
use crate::common::page::{csrf_of, sign_in};
use crate::common::{Backend, Server};

on_both_backends!(participants_are_found_and_a_badge_is_reissued);

async fn participants_are_found_and_a_badge_is_reissued(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = s.event_id();
    let (gate, _) = s.pair_demo_devices().await;
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let person = ticket(&demo, |t| approved(t) && t["category"] == "Speaker");
    let code = person["registration_code"].as_str().unwrap();
    let pid = person["participant_id"].as_str().unwrap();
    let shown_at = format!("/dashboard/participants/{pid}");

    let viewer = sign_in(&s, "viewer").await;
    let found = viewer
        .page(&format!("/dashboard/events/{event}/participants?q={code}"))
        .await;
    assert!(found.contains(&shown_at));
    let shown = viewer.page(&shown_at).await;
    assert!(shown.contains("approved"));
    assert!(!shown.contains("Reissue badge"), "a viewer cannot reissue");
    assert!(!shown.contains("class=\"qr\""), "nor see the ticket QR");

    let admin = sign_in(&s, "admin").await;
    let shown = admin.get(&shown_at).await.body;
    assert!(shown.contains("class=\"qr\""));
    assert!(shown.contains("credential 0"));
    let csrf = csrf_of(&shown);
    admin
        .post_form(&format!("{shown_at}/reissue"), &[("csrf", &csrf)])
        .await
        .expect(303);
    let shown = admin.get(&shown_at).await.body;
    assert!(shown.contains("credential 1"));
    let old = scan_at_gate(&s, &gate.device_token, &entry, person).await;
    assert_eq!(old["verdict"], "REVOKED", "the old badge stops working");
}
