//! Online scans: decided like at the gate and recorded once per scan id, a reissued badge
//! refused as revoked, the record a gate keeps (no pass on a refusal, an override reason only on
//! an override), and two gates asking at once admitting a badge only once.

use gatehouse_core::protocol::{Change, Presented};
use gatehouse_core::{Movement, Reason, ScanId, Verdict};
use serde_json::Value;

use super::{access_logs, feed_all, new_id, occupancy, online, online_overriding};
use crate::common::fixtures::{approved, badge, checkpoint, online_scan, participant_of, ticket};
use crate::common::{Backend, Server};

on_both_backends!(
    online_scans_decide_like_the_gate_and_record_once,
    a_reissued_badge_decides_revoked_online,
    online_check_ins_keep_the_record_a_gate_keeps,
    two_gates_asking_online_at_once_admit_a_badge_only_once,
    a_scan_id_asked_again_for_another_badge_is_refused,
);

async fn online_scans_decide_like_the_gate_and_record_once(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let tok = &gate.device_token;
    let delegate = ticket(&demo, |t| approved(t) && t["category"] == "Delegate");

    let first_id = new_id();
    let first = online(&s, tok, "Main gate entry", badge(delegate), first_id).await;
    assert_eq!(first.verdict, Verdict::Valid);
    assert_eq!(first.movement, Some(Movement::In));
    assert_eq!(
        first.participant.as_ref().unwrap().name,
        delegate["name"].as_str().unwrap()
    );
    // A retry of the same scan gets the same answer and records nothing new.
    let retry = online(&s, tok, "Main gate entry", badge(delegate), first_id).await;
    assert_eq!(retry.verdict, Verdict::Valid);
    let second = online(&s, tok, "Main gate entry", badge(delegate), new_id()).await;
    assert_eq!(second.verdict, Verdict::AlreadyScanned);
    let out = online(&s, tok, "Main gate exit", badge(delegate), new_id()).await;
    assert_eq!(
        (out.verdict, out.movement),
        (Verdict::Valid, Some(Movement::Out))
    );
    let typed = Presented::RegistrationCode(
        delegate["registration_code"]
            .as_str()
            .unwrap()
            .to_lowercase(),
    );
    assert_eq!(
        online(&s, tok, "Main gate entry", typed, new_id())
            .await
            .verdict,
        Verdict::Valid
    );

    let pending = ticket(&demo, |t| t["status"] == "pending" && t["blocked"] == false);
    assert_eq!(
        online(&s, tok, "Main gate entry", badge(pending), new_id())
            .await
            .verdict,
        Verdict::Pending
    );
    let cancelled = ticket(&demo, |t| {
        t["status"] == "cancelled" && t["blocked"] == false
    });
    assert_eq!(
        online(&s, tok, "Main gate entry", badge(cancelled), new_id())
            .await
            .verdict,
        Verdict::Revoked
    );
    let blocked = ticket(&demo, |t| t["blocked"] == true);
    assert_eq!(
        online(&s, tok, "Main gate entry", badge(blocked), new_id())
            .await
            .verdict,
        Verdict::Blocked
    );
    assert_eq!(
        online(&s, tok, "VIP door", badge(delegate), new_id())
            .await
            .verdict,
        Verdict::WrongZone
    );
    let vip = ticket(&demo, |t| approved(t) && t["category"] == "VIP");
    assert_eq!(
        online(&s, tok, "VIP door", badge(vip), new_id())
            .await
            .verdict,
        Verdict::Valid
    );
    assert_eq!(
        online(
            &s,
            tok,
            "Main gate entry",
            Presented::Payload("HELLO".into()),
            new_id()
        )
        .await
        .verdict,
        Verdict::Invalid
    );
    assert_eq!(
        online(
            &s,
            tok,
            "Main gate entry",
            Presented::RegistrationCode("222-222-22Z".into()),
            new_id()
        )
        .await
        .verdict,
        Verdict::Invalid
    );

    let logs = access_logs(&s, &session, &demo, "").await;
    assert_eq!(logs.len(), 11, "one access log per scan id");
    let (_, plenary) = checkpoint(&demo, "Main gate entry");
    assert_eq!(
        occupancy(&s, &session, &demo, &plenary).await,
        1,
        "in, out, in again"
    );
    let denied = access_logs(&s, &session, &demo, "&verdict=ALREADY_SCANNED").await;
    assert_eq!(denied.len(), 1);
}

async fn a_reissued_badge_decides_revoked_online(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let person = ticket(&demo, |t| approved(t) && t["category"] == "Delegate");
    let reissued = s
        .as_admin(&session)
        .post(&format!(
            "/admin/v1/participants/{}/reissue",
            person["participant_id"].as_str().unwrap()
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(reissued["participant"]["credential_seq"], 1);
    let old = online(
        &s,
        &gate.device_token,
        "Main gate entry",
        badge(person),
        new_id(),
    )
    .await;
    assert_eq!(
        (old.verdict, old.reason),
        (Verdict::Revoked, Reason::Reissued)
    );
    let new = online(
        &s,
        &gate.device_token,
        "Main gate entry",
        badge(&reissued),
        new_id(),
    )
    .await;
    assert_eq!(new.verdict, Verdict::Valid);
    // Devices learn the new sequence from the feed.
    let (changes, _) = feed_all(&s, &gate.device_token, 0).await;
    let seq = changes.iter().find_map(|c| match c {
        Change::Participant(p) if p.id == participant_of(person) => Some(p.credential_seq),
        _ => None,
    });
    assert_eq!(seq, Some(1));
}

/// The record rules of `gatehouse_core::checkin`, seen from the server's access log: the same
/// three the gate's store keeps (`sync/tests/scan_path.rs`).
async fn online_check_ins_keep_the_record_a_gate_keeps(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, _) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let tok = &gate.device_token;
    let delegate = ticket(&demo, |t| approved(t) && t["category"] == "Delegate");
    let log_of = |logs: &[Value], id: ScanId| {
        logs.iter()
            .find(|l| l["id"] == id.to_string())
            .cloned()
            .expect("the scan is in the access log")
    };

    // A reason given when nobody was inside changed nothing and is not kept.
    let first = new_id();
    let admitted = online_overriding(
        &s,
        tok,
        "Main gate entry",
        badge(delegate),
        first,
        Some("x"),
    )
    .await;
    assert_eq!(admitted.verdict, Verdict::Valid);
    // A refusal at the entry is not an entry.
    let refused_id = new_id();
    let refused = online(&s, tok, "Main gate entry", badge(delegate), refused_id).await;
    assert_eq!(
        (refused.verdict, refused.movement),
        (Verdict::AlreadyScanned, None)
    );
    let overridden_id = new_id();
    let overridden = online_overriding(
        &s,
        tok,
        "Main gate entry",
        badge(delegate),
        overridden_id,
        Some("  badge printer jammed "),
    )
    .await;
    assert_eq!(
        (overridden.verdict, overridden.movement),
        (Verdict::ManualOverride, Some(Movement::In))
    );

    let logs = access_logs(&s, &session, &demo, "").await;
    let admitted = log_of(&logs, first);
    assert_eq!(
        (
            admitted["movement"].as_str(),
            admitted["override_reason"].as_str()
        ),
        (Some("in"), None)
    );
    let refused = log_of(&logs, refused_id);
    assert!(refused["movement"].is_null(), "{refused}");
    let overridden = log_of(&logs, overridden_id);
    assert_eq!(overridden["override_reason"], "badge printer jammed");

    // A genuine badge of someone the server no longer holds keeps the participant it names.
    let person = ticket(&demo, |t| {
        approved(t) && t["participant_id"] != delegate["participant_id"]
    });
    s.as_admin(&session)
        .delete(&format!(
            "/admin/v1/participants/{}",
            person["participant_id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    let stranger_id = new_id();
    let stranger = online(&s, tok, "Main gate entry", badge(person), stranger_id).await;
    assert_eq!(stranger.verdict, Verdict::Unknown);
    let logs = access_logs(&s, &session, &demo, "").await;
    assert_eq!(
        log_of(&logs, stranger_id)["participant_id"],
        person["participant_id"]
    );
}

async fn two_gates_asking_online_at_once_admit_a_badge_only_once(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (a, b) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let person = ticket(&demo, approved);
    let (first, second) = tokio::join!(
        online(
            &s,
            &a.device_token,
            "Main gate entry",
            badge(person),
            new_id()
        ),
        online(
            &s,
            &b.device_token,
            "Main gate entry",
            badge(person),
            new_id()
        ),
    );
    let mut verdicts = vec![first.verdict, second.verdict];
    verdicts.sort_by_key(|v| v.as_str());
    assert_eq!(verdicts, vec![Verdict::AlreadyScanned, Verdict::Valid]);
    let (_, plenary) = checkpoint(&demo, "Main gate entry");
    assert_eq!(occupancy(&s, &session, &demo, &plenary).await, 1);
}

async fn a_scan_id_asked_again_for_another_badge_is_refused(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (gate, other_gate) = s.pair_demo_devices().await;
    let session = s.admin_session().await;
    let tok = &gate.device_token;
    let delegates: Vec<&Value> =
        crate::common::fixtures::tickets(&demo, |t| approved(t) && t["category"] == "Delegate");
    let (first, second) = (delegates[0], delegates[1]);
    let id = new_id();
    let admitted = online(&s, tok, "Main gate entry", badge(first), id).await;
    assert_eq!(admitted.verdict, Verdict::Valid);

    // Under the same id: another badge, another checkpoint, another direction, an override,
    // another gate. None of them is that scan: each is refused and nothing is recorded.
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let (exit, _) = checkpoint(&demo, "Main gate exit");
    let same = |request: gatehouse_core::protocol::OnlineScanRequest| {
        gatehouse_core::protocol::OnlineScanRequest {
            scan_id: id,
            ..request
        }
    };
    let different = [
        (tok, same(online_scan(&entry, badge(second)))),
        (tok, same(online_scan(&exit, badge(first)))),
        (
            tok,
            gatehouse_core::protocol::OnlineScanRequest {
                requested: Some(Movement::Out),
                ..same(online_scan(&entry, badge(first)))
            },
        ),
        (
            tok,
            gatehouse_core::protocol::OnlineScanRequest {
                override_reason: Some("let them in".into()),
                ..same(online_scan(&entry, badge(first)))
            },
        ),
        (
            &other_gate.device_token,
            same(online_scan(&entry, badge(first))),
        ),
    ];
    for (token, request) in &different {
        let refused = s
            .as_device(token)
            .post_json("/sync/v1/scan", request)
            .await
            .expect_error(422, "scan_id_in_use");
        assert!(refused.error_message().contains(&id.to_string()));
    }

    // The same request again (a retry, with the gate's clock later) still answers the first
    // verdict, about the first person.
    let retry = online(&s, tok, "Main gate entry", badge(first), id).await;
    assert_eq!(retry.verdict, Verdict::Valid);
    assert_eq!(retry.participant.map(|p| p.id), Some(participant_of(first)));
    let logs = access_logs(&s, &session, &demo, "").await;
    assert_eq!(logs.len(), 1, "one scan recorded: {logs:?}");
    assert_eq!(logs[0]["participant_id"], first["participant_id"]);
}
