//! An event as an integrator reads it: zones, checkpoints and devices, the access log of a scan
//! at a gate (filtered, shaped, expanded), and the occupancy it leaves.

use serde_json::{json, Value};

use crate::common::fixtures::{approved, badge, checkpoint, online_scan, ticket};
use crate::common::{Backend, Server};

on_both_backends!(layout_occupancy_and_check_ins_are_readable);

async fn layout_occupancy_and_check_ins_are_readable(backend: Backend) {
    let s = Server::demo(backend).await;
    let key = s.demo_api_key();
    let integrator = s.as_integrator(&key);
    let demo = s.demo_json();
    let event = demo["event_id"].as_str().unwrap();
    let get = |path: String| {
        let integrator = &integrator;
        async move { integrator.get_json(&format!("/api/v1{path}")).await }
    };
    let zones = get(format!("/events/{event}/zones")).await;
    assert_eq!(zones["data"].as_array().unwrap().len(), 2);
    let checkpoints = get(format!("/events/{event}/checkpoints")).await;
    assert_eq!(checkpoints["data"].as_array().unwrap().len(), 3);
    // Every list takes fields; checkpoints expand their zone.
    let shaped = get(format!(
        "/events/{event}/checkpoints?fields=name&expand=zone"
    ))
    .await;
    for (c, whole) in shaped["data"]
        .as_array()
        .unwrap()
        .iter()
        .zip(checkpoints["data"].as_array().unwrap())
    {
        assert_eq!(c.as_object().unwrap().len(), 3, "id, name, zone: {c}");
        assert_eq!(c["name"], whole["name"]);
        assert_eq!(c["zone"]["id"], whole["zone_id"]);
        assert!(c["zone"]["name"].is_string());
    }
    let events = get("/events?fields=name".to_owned()).await;
    assert_eq!(events["data"][0].as_object().unwrap().len(), 2, "{events}");
    let zone_names = get(format!("/events/{event}/zones?fields=name")).await;
    assert!(zone_names["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|z| z.as_object().unwrap().len() == 2));
    let devices = get(format!("/events/{event}/devices")).await;
    let devices = devices["data"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{devices:?}");
    assert!(devices.iter().all(|d| d["state"] == "awaiting_pairing"));
    assert!(!serde_json::to_string(devices).unwrap().contains("token"));

    // One check-in decided online by a paired gate.
    let (gate, _) = s.pair_demo_devices().await;
    let t = ticket(&demo, |t| approved(t) && t["category"] == "Delegate");
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    s.as_device(&gate.device_token)
        .post_json("/sync/v1/scan", &online_scan(&entry, badge(t)))
        .await
        .expect(200);

    let logs = get(format!("/events/{event}/access-logs?verdict=VALID")).await;
    let logs = logs["data"].as_array().unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["participant_id"], t["participant_id"]);
    assert_eq!(logs[0]["movement"], "in");
    // The same page, shaped: only the verdict (and the id), with who and where expanded.
    let shaped = get(format!(
        "/events/{event}/access-logs?verdict=VALID&fields=verdict&expand=participant,checkpoint"
    ))
    .await;
    let item = shaped["data"][0].as_object().unwrap();
    let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["checkpoint", "id", "participant", "verdict"],
        "{item:?}"
    );
    assert_eq!(item["participant"]["id"], t["participant_id"]);
    assert_eq!(item["participant"]["full_name"], t["name"]);
    assert_eq!(item["checkpoint"]["name"], "Main gate entry");
    let none = get(format!("/events/{event}/access-logs?verdict=BLOCKED")).await;
    assert_eq!(none["data"], json!([]));

    let occupancy = get(format!("/events/{event}/occupancy")).await;
    let plenary: Value = occupancy["data"]["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["name"] == "Plenary hall")
        .unwrap()
        .clone();
    assert_eq!(plenary["inside"], 1, "{occupancy}");
}
