//! `gatehouse-server demo` and `serve` as a person (or the device team's end-to-end tests) uses
//! them: demo.json as specified, re-running without duplicates, restarting, health checks.

mod common;

use common::fixtures::{approved, badge, checkpoint, online_scan, ticket};
use common::{Backend, Server};
use serde_json::Value;

on_both_backends!(
    demo_writes_demo_json_as_specified,
    running_demo_again_adds_nothing_and_hands_out_fresh_codes,
    serve_after_a_restart_serves_the_same_data,
    health_and_readiness_answer,
);

async fn demo_writes_demo_json_as_specified(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    assert_eq!(demo["server_url"], s.url.as_str(), "the real port, not 0");
    assert!(!s.url.ends_with(":0"));
    assert!(demo["admin"]["email"].as_str().unwrap().contains('@'));
    assert!(!demo["admin"]["password"].as_str().unwrap().is_empty());
    assert!(demo["event_id"]
        .as_str()
        .unwrap()
        .parse::<uuid::Uuid>()
        .is_ok());

    let cps = demo["checkpoints"].as_array().unwrap();
    let zone_of = |name: &str| {
        demo["zones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|z| z["name"] == name)
            .unwrap()
            .clone()
    };
    let plenary = zone_of("Plenary hall");
    let vip = zone_of("VIP lounge");
    assert_eq!(plenary["capacity"], 2000);
    assert_eq!(plenary["multiple_entry"], false);
    assert_eq!(vip["capacity"], 80);
    let expect = [
        ("Main gate entry", "entry", &plenary),
        ("Main gate exit", "exit", &plenary),
        ("VIP door", "both", &vip),
    ];
    assert_eq!(cps.len(), 3);
    for (name, direction, zone) in expect {
        let cp = cps.iter().find(|c| c["name"] == name).expect(name);
        assert_eq!(cp["direction"], direction);
        assert_eq!(cp["zone"], zone["id"]);
        assert!(cp["id"].as_str().is_some());
    }

    let codes = demo["pairing_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 2);
    let tickets = demo["tickets"].as_array().unwrap();
    assert!(tickets.len() >= 20, "{} tickets", tickets.len());
    let has = |pred: &dyn Fn(&Value) -> bool| tickets.iter().any(pred);
    assert!(has(&approved));
    assert!(has(&|t| t["status"] == "pending"));
    assert!(has(&|t| t["status"] == "cancelled"));
    assert!(has(&|t| t["blocked"] == true));
    assert!(has(&|t| t["category"] == "VIP"));
    assert!(has(&|t| t["category"] != "VIP"));
    for t in tickets {
        assert_eq!(
            t["payload"].as_str().unwrap().len(),
            92,
            "a version 1 ticket"
        );
        assert!(
            gatehouse_core::RegistrationCode::parse(t["registration_code"].as_str().unwrap())
                .is_ok()
        );
        assert!(!t["name"].as_str().unwrap().is_empty());
        assert!(!t["zones"].as_array().unwrap().is_empty());
        assert!(t["participant_id"].as_str().is_some());
    }
    let vip_ticket = tickets.iter().find(|t| t["category"] == "VIP").unwrap();
    assert!(vip_ticket["zones"].as_array().unwrap().contains(&vip["id"]));

    // The demo admin sees 5,000 participants.
    let session = s.admin_session().await;
    let event = s
        .as_admin(&session)
        .get(&format!("/admin/v1/events/{}", s.event_id()))
        .await
        .json();
    assert_eq!(event["participant_count"], 5000);
}

async fn running_demo_again_adds_nothing_and_hands_out_fresh_codes(backend: Backend) {
    let s = Server::demo(backend).await;
    let first = s.demo_json();
    let used = first["pairing_codes"][0].as_str().unwrap().to_string();
    s.pair(&used).await;
    let s = s.restart("demo").await;
    let second = s.demo_json();
    assert_eq!(second["event_id"], first["event_id"]);
    assert_eq!(second["checkpoints"], first["checkpoints"]);
    let codes: Vec<&str> = second["pairing_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 2);
    assert!(
        !codes.contains(&used.as_str()),
        "a spent code is not handed out again"
    );
    // Both codes work.
    for code in codes {
        s.pair(code).await;
    }
    let session = s.admin_session().await;
    let event = s
        .as_admin(&session)
        .get(&format!("/admin/v1/events/{}", s.event_id()))
        .await
        .json();
    assert_eq!(event["participant_count"], 5000, "nothing seeded twice");
    assert_eq!(event["zones"].as_array().unwrap().len(), 2);
    // The same participants' tickets are handed out again.
    let ids = |v: &Value| -> Vec<String> {
        v["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["participant_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&first), ids(&second));
}

async fn serve_after_a_restart_serves_the_same_data(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let gate = s.pair(demo["pairing_codes"][0].as_str().unwrap()).await;
    let s = s.restart("serve").await;
    // The device token and the admin password survive the restart.
    s.as_device(&gate.device_token)
        .get("/sync/v1/feed?after=0&limit=10")
        .await
        .expect(200);
    let login =
        serde_json::json!({"email": demo["admin"]["email"], "password": demo["admin"]["password"]});
    s.anonymous()
        .post_json("/admin/v1/login", &login)
        .await
        .expect(200);
    // Tickets issued before the restart still decide at the server (the master key was kept).
    let t = ticket(&demo, approved);
    let (cp, _) = checkpoint(&demo, "Main gate entry");
    let res = s
        .as_device(&gate.device_token)
        .post_json("/sync/v1/scan", &online_scan(&cp, badge(t)))
        .await
        .json();
    assert_eq!(res["verdict"], "VALID");
}

async fn health_and_readiness_answer(backend: Backend) {
    let s = Server::demo(backend).await;
    let anyone = s.anonymous();
    anyone.get("/healthz").await.expect(200);
    anyone.get("/readyz").await.expect(200);
    anyone.get("/nowhere").await.expect_error(404, "not_found");
    anyone
        .delete("/healthz")
        .await
        .expect_error(405, "method_not_allowed");
}

#[test]
fn a_bad_configuration_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::binary())
        .args(["migrate", "--data"])
        .arg(dir.path())
        .env("GATEHOUSE_MASTER_KEY", "not-hex")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("master_key"), "{err}");
}
