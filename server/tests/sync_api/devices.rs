//! A device's standing: a pairing code works once and not after it expires; a revoked device is
//! told to wipe, an unknown token is refused without a wipe.

use gatehouse_core::protocol::SyncRefusal;
use serde_json::json;

use super::feed;
use crate::common::fixtures::scan_upload;
use crate::common::{Backend, Server};

on_both_backends!(
    a_spent_or_expired_pairing_code_is_refused,
    a_pairing_code_raced_by_several_devices_pairs_one,
    a_revoked_device_is_told_to_wipe,
);

async fn a_spent_or_expired_pairing_code_is_refused(backend: Backend) {
    let s = Server::demo_with_env(backend, &[("GATEHOUSE_PAIRING_CODE_TTL_SECONDS", "2")]).await;
    let demo = s.demo_json();
    let code = demo["pairing_codes"][0].as_str().unwrap().to_string();
    s.pair(&code).await;

    let refusal: SyncRefusal = s
        .anonymous()
        .post_json(
            "/sync/v1/pair",
            &json!({"pairing_code": code, "app_version": "1", "profile": null}),
        )
        .await
        .expect(403)
        .parse();
    assert_eq!(refusal.code, "pairing_code_invalid");
    assert!(!refusal.wipe);

    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let body = s
        .anonymous()
        .post_json(
            "/sync/v1/pair",
            &json!({"pairing_code": demo["pairing_codes"][1], "app_version": "1", "profile": null}),
        )
        .await
        .expect(403)
        .json();
    assert_eq!(body["code"], "pairing_code_expired");
    assert_eq!(body["error"]["code"], "pairing_code_expired");
}

/// Someone who photographed a pairing code on the gate's screen tries it at the same moment as
/// the gate: one device gets a token, the others are refused, and the token handed out works.
async fn a_pairing_code_raced_by_several_devices_pairs_one(backend: Backend) {
    let s = Server::demo(backend).await;
    let code = s.demo_json()["pairing_codes"][0]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"pairing_code": code, "app_version": "1", "profile": null});
    let caller = s.anonymous();
    let attempts = (0..6).map(|_| caller.post_json("/sync/v1/pair", &body));
    let replies = futures::future::join_all(attempts).await;
    let paired: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(paired.len(), 1, "exactly one device pairs with one code");
    for refused in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(refused.error(), (403, "pairing_code_invalid".to_owned()));
    }
    let token = paired[0].json()["device_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(feed(&s, &token, 0, 1).await.entries.len(), 1);
}

async fn a_revoked_device_is_told_to_wipe(backend: Backend) {
    let s = Server::demo(backend).await;
    let (gate, other) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    s.as_admin(&session)
        .post(&format!("/admin/v1/devices/{}/revoke", gate.device_id))
        .await
        .expect(200);
    let revoked = s.as_device(&gate.device_token);
    for path in ["/sync/v1/feed?after=0", "/sync/v1/feed"] {
        let refusal: SyncRefusal = revoked.get(path).await.expect(403).parse();
        assert_eq!(refusal.code, "device_revoked");
        assert!(refusal.wipe);
        assert!(refusal.server_time > 0);
    }
    revoked
        .post_json("/sync/v1/scans", &scan_upload(vec![], vec![]))
        .await
        .expect(403);
    // The other gate is untouched; an unknown token is refused without a wipe.
    assert_eq!(feed(&s, &other.device_token, 0, 1).await.entries.len(), 1);
    let refusal: SyncRefusal = s
        .as_device("ghd_nope")
        .get("/sync/v1/feed")
        .await
        .expect(401)
        .parse();
    assert!(!refusal.wipe);
}
