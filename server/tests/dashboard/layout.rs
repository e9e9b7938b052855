//! The layout page: zones and checkpoints created and edited by an admin (a viewer may look, not
//! change), and a disabled zone taking its checkpoints with it. The admin API, and so the gates'
//! feed, sees the same layout.

use crate::common::page::{attr_before, csrf_of, sign_in};
use crate::common::{Backend, Server};

on_both_backends!(
    checkpoints_and_zones_are_created_and_edited,
    disabling_a_zone_disables_its_checkpoints,
);

async fn checkpoints_and_zones_are_created_and_edited(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = s.event_id();
    let admin = sign_in(&s, "admin").await;
    let path = format!("/dashboard/events/{event}/layout");
    let csrf = admin.csrf(&path).await;
    admin
        .post_form(
            &format!("/dashboard/events/{event}/zones"),
            &[("name", "Press room"), ("capacity", "40"), ("csrf", &csrf)],
        )
        .await
        .expect(303);
    let page = admin.get(&path).await.body;
    assert!(page.contains("Press room"));
    let zone = attr_before(&page, "<td>Press room</td>", "data-zone");
    let bad = admin
        .post_form(
            &format!("/dashboard/events/{event}/zones/{zone}"),
            &[("capacity", "lots"), ("csrf", &csrf)],
        )
        .await
        .expect(400);
    assert!(bad.body.contains("whole number"));
    admin
        .post_form(
            &format!("/dashboard/events/{event}/zones/{zone}"),
            &[("capacity", "55"), ("csrf", &csrf)],
        )
        .await
        .expect(303);
    admin
        .post_form(
            &format!("/dashboard/events/{event}/checkpoints"),
            &[
                ("name", "Press door"),
                ("zone", &zone),
                ("direction", "both"),
                ("csrf", &csrf),
            ],
        )
        .await
        .expect(303);
    let page = admin.get(&path).await.body;
    assert!(page.contains("value=\"55\""));
    let cp = attr_before(&page, "<td>Press door</td>", "data-checkpoint");
    admin
        .post_form(
            &format!("/dashboard/events/{event}/checkpoints/{cp}/active"),
            &[("active", "0"), ("csrf", &csrf)],
        )
        .await
        .expect(303);
    let page = admin.get(&path).await.body;
    assert!(page.contains("disabled (refuses scans)"));

    // The admin API (and so the gates' feed) sees the same layout.
    let session = s.admin_session().await;
    let shown = s
        .as_admin(&session)
        .get(&format!("/admin/v1/events/{event}"))
        .await
        .json();
    let zone_json = shown["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["name"] == "Press room")
        .unwrap();
    assert_eq!(zone_json["capacity"], 55);

    // A viewer sees the layout but may not change it.
    let viewer = sign_in(&s, "viewer").await;
    let page = viewer.page(&path).await;
    assert!(page.contains("Press door"));
    let csrf = csrf_of(&page);
    let refused = viewer
        .post_form(
            &format!("/dashboard/events/{event}/zones"),
            &[("name", "Sneaky"), ("csrf", &csrf)],
        )
        .await
        .expect(403);
    assert!(refused.body.contains("events:manage"));
}

/// The checkpoints of the demo event as the admin API (and so the gates' feed) sees them:
/// `(zone_id, active)` of each.
async fn checkpoints_seen(s: &Server, event: &str) -> Vec<(String, bool)> {
    let session = s.admin_session().await;
    let shown = s
        .as_admin(&session)
        .get(&format!("/admin/v1/events/{event}"))
        .await
        .json();
    shown["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["zone_id"].as_str().unwrap().to_string(),
                c["active"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn disabling_a_zone_disables_its_checkpoints(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = s.event_id();
    let admin = sign_in(&s, "admin").await;
    let path = format!("/dashboard/events/{event}/layout");
    let page = admin.get(&path).await.body;
    let csrf = csrf_of(&page);
    let before = checkpoints_seen(&s, &event).await;
    assert!(before.iter().all(|(_, active)| *active));
    let zone = before[0].0.clone();
    let in_zone = before.iter().filter(|(z, _)| *z == zone).count();
    assert!(page.contains(&format!("/zones/{zone}/active")));
    assert!(page.contains("Disable zone"));
    let switch = format!("/dashboard/events/{event}/zones/{zone}/active");

    admin
        .post_form(&switch, &[("active", "0"), ("csrf", &csrf)])
        .await
        .expect(303);
    let after = checkpoints_seen(&s, &event).await;
    for (z, active) in &after {
        assert_eq!(*active, *z != zone, "only the zone's checkpoints are off");
    }
    let page = admin.get(&path).await.body;
    assert!(page.contains("disabled (all its checkpoints off)"));
    assert!(page.contains("Enable zone"));
    assert_eq!(
        page.matches("disabled (refuses scans)").count(),
        in_zone,
        "{page}"
    );

    // A viewer may not do it.
    let viewer = sign_in(&s, "viewer").await;
    let vpage = viewer.get(&path).await.body;
    viewer
        .post_form(&switch, &[("active", "1"), ("csrf", &csrf_of(&vpage))])
        .await
        .expect(403);

    admin
        .post_form(&switch, &[("active", "1"), ("csrf", &csrf)])
        .await
        .expect(303);
    assert!(checkpoints_seen(&s, &event)
        .await
        .iter()
        .all(|(_, active)| *active));
    let page = admin.get(&path).await.body;
    assert!(!page.contains("disabled (refuses scans)"));
}
