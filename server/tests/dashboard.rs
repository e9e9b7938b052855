//! The dashboard against the real binary, as a browser would use it (forms, cookies, redirects,
//! the live stream): signing in and out, CSRF, what a read-only viewer may not do, the overview's
//! zones and offline gates, the access log's filters, keyset pages and CSV export, and live
//! occupancy after a scan.

mod common;

use std::time::Duration;

use common::fixtures::{checkpoint, now_ms, ticket};
use common::{Backend, Server};
use futures::StreamExt;
use gatehouse_core::protocol::{DeviceReport, KioskReport, KioskUpload, ScanUpload};
use gatehouse_core::{AccessLog, Movement, Reason, ScanId, Verdict};
use serde_json::{json, Value};

on_both_backends!(
    signing_in_needs_the_right_password_and_a_fresh_form,
    forms_without_the_csrf_token_are_refused,
    a_viewer_sees_devices_but_cannot_revoke_one,
    the_overview_shows_zones_and_which_gate_is_offline,
    the_access_log_filters_pages_and_exports_csv,
    the_live_stream_delivers_occupancy_after_a_scan,
    participants_are_found_and_a_badge_is_reissued,
    checkpoints_and_zones_are_created_and_edited,
    offline_duplicates_are_flagged_for_review,
    a_zone_filling_up_turns_amber_then_red,
    disabling_a_zone_disables_its_checkpoints,
    an_admin_subscribes_a_webhook_and_sees_its_test_ping,
    webhooks_refuse_private_urls_and_viewers,
    an_admin_creates_rotates_and_revokes_an_api_key,
    the_kiosks_page_shows_visits_and_queues_and_admins_serve_or_cancel,
);

/// A browser without redirects or a cookie jar: the test sees every status and cookie.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The value of the first `csrf` field on a page.
fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf\" value=\"")
        .expect("the page has a CSRF field")
        + "name=\"csrf\" value=\"".len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

/// A signed-in dashboard user.
struct Session {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Session {
    async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", format!("gatehouse_session={}", self.cookie))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("gatehouse_session={}", self.cookie))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// The CSRF token of this session, read from a page.
    async fn csrf(&self, path: &str) -> String {
        let (status, page) = self.get(path).await;
        assert_eq!(status, 200, "{page}");
        csrf_of(&page)
    }
}

async fn try_sign_in(s: &Server, email: &str, password: &str) -> reqwest::Response {
    let http = browser();
    let form = http.get(s.at("/dashboard/login")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let login_cookie = set_cookie(&form, "gatehouse_login").expect("login cookie");
    let page = form.text().await.unwrap();
    http.post(s.at("/dashboard/login"))
        .header("cookie", format!("gatehouse_login={login_cookie}"))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap()
}

async fn sign_in(s: &Server, who: &str) -> Session {
    let demo = s.demo_json();
    let res = try_sign_in(
        s,
        demo[who]["email"].as_str().unwrap(),
        demo[who]["password"].as_str().unwrap(),
    )
    .await;
    assert_eq!(res.status(), 303, "a good password signs in");
    assert_eq!(location(&res), "/dashboard");
    let raw = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("gatehouse_session="))
        .expect("session cookie");
    assert!(raw.contains("HttpOnly"), "{raw}");
    assert!(raw.contains("SameSite=Strict"), "{raw}");
    Session {
        http: browser(),
        base: s.url.clone(),
        cookie: set_cookie(&res, "gatehouse_session").unwrap(),
    }
}

fn event_of(s: &Server) -> String {
    s.demo_json()["event_id"].as_str().unwrap().to_string()
}

async fn online_scan(s: &Server, token: &str, cp: &str, payload: &Value) -> Value {
    let res = s
        .http
        .post(s.at("/sync/v1/scan"))
        .bearer_auth(token)
        .json(&json!({
            "scan_id": uuid::Uuid::now_v7(),
            "presented": {"payload": payload},
            "checkpoint_id": cp,
            "requested": null,
            "override_reason": null,
            "device_time": now_ms(),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn approved(t: &Value) -> bool {
    t["status"] == "approved" && t["blocked"] == false
}

async fn signing_in_needs_the_right_password_and_a_fresh_form(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = event_of(&s);
    let http = browser();

    let anonymous = http
        .get(s.at(&format!("/dashboard/events/{event}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303, "a stranger is sent to sign in");
    assert_eq!(location(&anonymous), "/dashboard/login");
    let root = http.get(s.at("/")).send().await.unwrap();
    assert_eq!(location(&root), "/dashboard");

    let wrong = try_sign_in(&s, "admin@demo.gatehouse.test", "guess").await;
    assert_eq!(wrong.status(), 401);
    assert!(set_cookie(&wrong, "gatehouse_session").is_none());
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("Wrong email or password"));

    // A login form posted from elsewhere (no matching double-submit cookie) is refused.
    let forged = http
        .post(s.at("/dashboard/login"))
        .form(&[
            ("email", "admin@demo.gatehouse.test"),
            ("password", "gatehouse-demo"),
            ("csrf", "made-up"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(set_cookie(&forged, "gatehouse_session").is_none());

    let admin = sign_in(&s, "admin").await;
    let home = admin
        .http
        .get(s.at("/dashboard"))
        .header("cookie", format!("gatehouse_session={}", admin.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 303, "one event: straight to its overview");
    assert_eq!(location(&home), format!("/dashboard/events/{event}"));
    let (status, page) = admin.get(&format!("/dashboard/events/{event}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("admin@demo.gatehouse.test"));

    // Signing out ends the session on the server, not only in the browser.
    let csrf = csrf_of(&page);
    let out = admin.post("/dashboard/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(location(&out), "/dashboard/login");
    let (status, _) = admin.get(&format!("/dashboard/events/{event}")).await;
    assert_eq!(status, 303, "the old cookie no longer works");
}

async fn forms_without_the_csrf_token_are_refused(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = event_of(&s);
    let admin = sign_in(&s, "admin").await;
    let path = format!("/dashboard/events/{event}/devices");

    let missing = admin.post(&path, &[("name", "Forged gate")]).await;
    assert_eq!(missing.status(), 403);
    assert!(missing.text().await.unwrap().contains("Reload the page"));
    let wrong = admin
        .post(&path, &[("name", "Forged gate"), ("csrf", "0123")])
        .await;
    assert_eq!(wrong.status(), 403);
    let (_, page) = admin.get(&path).await;
    assert!(!page.contains("Forged gate"), "nothing was created");

    let csrf = admin.csrf(&path).await;
    let made = admin
        .post(&path, &[("name", "North <gate>"), ("csrf", &csrf)])
        .await;
    assert_eq!(made.status(), 200);
    let page = made.text().await.unwrap();
    assert!(page.contains("North &lt;gate&gt;"), "names are escaped");
    assert!(page.contains("<svg"), "the pairing code comes with a QR");
    let code_start = page.find("data-pairing-code>").unwrap() + "data-pairing-code>".len();
    let code = &page[code_start..code_start + page[code_start..].find('<').unwrap()];
    let paired = s.pair(code).await;
    assert_eq!(paired.device_name, "North <gate>");
}

async fn a_viewer_sees_devices_but_cannot_revoke_one(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = event_of(&s);
    let (gate, _) = s.pair_demo_devices().await;
    let viewer = sign_in(&s, "viewer").await;
    let path = format!("/dashboard/events/{event}/devices");
    let (status, page) = viewer.get(&path).await;
    assert_eq!(status, 200, "a viewer sees the devices");
    assert!(page.contains(&gate.device_name));
    assert!(
        !page.contains("Revoke</button>"),
        "but gets no revoke button"
    );

    let csrf = csrf_of(&page);
    let refused = viewer
        .post(
            &format!("/dashboard/devices/{}/revoke", gate.device_id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(refused.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Not allowed"),
        "a clear page, not a blank 403"
    );
    assert!(page.contains("devices:manage"), "it names the permission");

    // The gate still works.
    let feed = s
        .http
        .get(s.at("/sync/v1/feed"))
        .bearer_auth(&gate.device_token)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);

    // The admin may revoke it, and the device is told at its next contact.
    let admin = sign_in(&s, "admin").await;
    let csrf = admin.csrf(&path).await;
    let done = admin
        .post(
            &format!("/dashboard/devices/{}/revoke", gate.device_id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status(), 303);
    let feed = s
        .http
        .get(s.at("/sync/v1/feed"))
        .bearer_auth(&gate.device_token)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 403);
}

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
    let event = event_of(&s);
    let viewer = sign_in(&s, "viewer").await;
    let overview = format!("/dashboard/events/{event}");
    let (status, page) = viewer.get(&overview).await;
    assert_eq!(status, 200);
    assert!(page.contains("Plenary hall") && page.contains("VIP lounge"));
    assert!(page.contains("fill-green"), "empty zones are green");
    assert!(
        page.contains("No gate is paired yet"),
        "an empty state that says what to do"
    );
    let (status, missing) = viewer
        .get(&format!("/dashboard/events/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(status, 404);
    assert!(
        missing.contains("was not found"),
        "a page, not a bare status"
    );
    let (status, missing) = viewer.get("/dashboard/nowhere").await;
    assert_eq!(status, 404);
    assert!(missing.contains("Back to the dashboard"));

    let (a, b) = s.pair_demo_devices().await;
    silence_device(&s, &a.device_id.to_string(), 10).await;
    let (_, page) = viewer.get(&overview).await;
    assert!(page.contains("1 of 2 gates OFFLINE"), "{page}");
    let alert = &page[page.find("role=\"alert\"").unwrap()..];
    let alert = &alert[..alert.find("</p>").unwrap()];
    assert!(alert.contains(&a.device_name) && !alert.contains(&b.device_name));
    assert!(page.contains("10 min ago"));
}

async fn the_access_log_filters_pages_and_exports_csv(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = event_of(&s);
    let (gate, _) = s.pair_demo_devices().await;
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let valid = ticket(&demo, |t| approved(t) && t["category"] == "Delegate");
    let blocked = ticket(&demo, |t| t["blocked"] == true);
    // One admission, then 54 refusals of two kinds: 55 scans, more than one page.
    let first = online_scan(&s, &gate.device_token, &entry, &valid["payload"]).await;
    assert_eq!(first["verdict"], "VALID");
    for i in 0..54 {
        let who = if i % 2 == 0 { valid } else { blocked };
        online_scan(&s, &gate.device_token, &entry, &who["payload"]).await;
    }
    let admin = sign_in(&s, "admin").await;
    let path = format!("/dashboard/events/{event}/access-log");
    let rows = |page: &str| -> Vec<String> {
        page.split("data-scan=\"")
            .skip(1)
            .map(|r| r[..r.find('"').unwrap()].to_string())
            .collect()
    };

    let (status, page1) = admin.get(&path).await;
    assert_eq!(status, 200);
    let first_page = rows(&page1);
    assert_eq!(first_page.len(), 50);
    let next = &page1[page1
        .find("rel=\"next\"")
        .map(|i| page1[..i].rfind("href=\"").unwrap() + 6)
        .unwrap()..];
    let next = next[..next.find('"').unwrap()].replace("&amp;", "&");
    let (_, page2) = admin.get(&format!("{path}{next}")).await;
    let second_page = rows(&page2);
    assert_eq!(second_page.len(), 5, "the rest, on the next page");
    assert!(second_page.iter().all(|id| !first_page.contains(id)));
    assert!(!page2.contains("rel=\"next\""), "no page after the last");

    let (_, blocked_only) = admin.get(&format!("{path}?verdict=BLOCKED")).await;
    assert_eq!(rows(&blocked_only).len(), 27);
    assert!(!blocked_only.contains("<td class=\"verdict\">VALID"));
    let name = blocked["name"].as_str().unwrap();
    let code = blocked["registration_code"].as_str().unwrap();
    let (_, by_person) = admin.get(&format!("{path}?q={code}")).await;
    assert_eq!(rows(&by_person).len(), 27, "search by registration code");
    assert!(by_person.contains(&format!("Scans of <strong>{}", name.replace('\'', "&#39;"))));
    let (_, nobody) = admin.get(&format!("{path}?q=zzzz-nobody")).await;
    assert!(nobody.contains("No participant matches"));
    let (_, future) = admin.get(&format!("{path}?from=2999-01-01T00:00")).await;
    assert!(future.contains("No scans match these filters"));
    let (status, _) = admin.get(&format!("{path}?from=yesterday")).await;
    assert_eq!(status, 400);

    // The CSV link exports exactly the filtered view.
    let link_start = blocked_only.find("/admin/v1/events/").unwrap();
    let link = &blocked_only[link_start..];
    let link = link[..link.find('"').unwrap()].replace("&amp;", "&");
    let res = admin
        .http
        .get(s.at(&link))
        .header("cookie", format!("gatehouse_session={}", admin.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 27);
    assert!(lines[1..].iter().all(|l| l.contains(",BLOCKED,")));
}

async fn the_live_stream_delivers_occupancy_after_a_scan(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = event_of(&s);
    let (gate, _) = s.pair_demo_devices().await;
    let (entry, plenary) = checkpoint(&demo, "Main gate entry");
    let valid = ticket(&demo, |t| approved(t) && t["category"] == "Delegate");
    let viewer = sign_in(&s, "viewer").await;
    let res = viewer
        .http
        .get(s.at(&format!("/dashboard/events/{event}/live")))
        .header("cookie", format!("gatehouse_session={}", viewer.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
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
    let mut body = res.bytes_stream();
    let mut seen = String::new();
    let mut updates: Vec<Value> = Vec::new();
    let mut scanned = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::time::Instant::now() < deadline {
        if updates.last().is_some_and(|u| inside(u) == 1) {
            break;
        }
        let chunk = match tokio::time::timeout(Duration::from_secs(20), body.next()).await {
            Ok(Some(Ok(chunk))) => chunk,
            _ => break,
        };
        seen.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = seen.find("\n\n") {
            let frame: String = seen.drain(..end + 2).collect();
            if frame.contains("event: overview") {
                if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                    updates.push(serde_json::from_str(data).unwrap());
                }
            }
        }
        if !updates.is_empty() && !scanned {
            scanned = true;
            let r = online_scan(&s, &gate.device_token, &entry, &valid["payload"]).await;
            assert_eq!(r["verdict"], "VALID");
        }
    }
    assert!(
        updates.len() >= 2,
        "a first update at once, then one after the scan"
    );
    assert_eq!(inside(&updates[0]), 0);
    assert_eq!(inside(updates.last().unwrap()), 1);
    let zones_html = updates.last().unwrap()["html"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == "live-zones")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_string();
    assert!(zones_html.contains("<span class=\"inside\">1</span>"));

    // Signing out ends the live stream as well.
    let csrf = viewer.csrf(&format!("/dashboard/events/{event}")).await;
    let out = viewer.post("/dashboard/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), 303);
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Ok(_)) = body.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream closes after sign-out");
}

async fn participants_are_found_and_a_badge_is_reissued(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = event_of(&s);
    let (gate, _) = s.pair_demo_devices().await;
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let person = ticket(&demo, |t| approved(t) && t["category"] == "Speaker");
    let code = person["registration_code"].as_str().unwrap();
    let pid = person["participant_id"].as_str().unwrap();

    let viewer = sign_in(&s, "viewer").await;
    let (status, found) = viewer
        .get(&format!("/dashboard/events/{event}/participants?q={code}"))
        .await;
    assert_eq!(status, 200);
    assert!(found.contains(&format!("/dashboard/participants/{pid}")));
    let (status, shown) = viewer.get(&format!("/dashboard/participants/{pid}")).await;
    assert_eq!(status, 200);
    assert!(shown.contains("approved"));
    assert!(!shown.contains("Reissue badge"), "a viewer cannot reissue");
    assert!(!shown.contains("class=\"qr\""), "nor see the ticket QR");

    let admin = sign_in(&s, "admin").await;
    let (_, shown) = admin.get(&format!("/dashboard/participants/{pid}")).await;
    assert!(shown.contains("class=\"qr\""));
    assert!(shown.contains("credential 0"));
    let csrf = csrf_of(&shown);
    let res = admin
        .post(
            &format!("/dashboard/participants/{pid}/reissue"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, shown) = admin.get(&format!("/dashboard/participants/{pid}")).await;
    assert!(shown.contains("credential 1"));
    let old = online_scan(&s, &gate.device_token, &entry, &person["payload"]).await;
    assert_eq!(old["verdict"], "REVOKED", "the old badge stops working");
}

async fn checkpoints_and_zones_are_created_and_edited(backend: Backend) {
    let s = Server::demo(backend).await;
    let event = event_of(&s);
    let admin = sign_in(&s, "admin").await;
    let path = format!("/dashboard/events/{event}/layout");
    let csrf = admin.csrf(&path).await;
    let made = admin
        .post(
            &format!("/dashboard/events/{event}/zones"),
            &[("name", "Press room"), ("capacity", "40"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(made.status(), 303);
    let (_, page) = admin.get(&path).await;
    assert!(page.contains("Press room"));
    let zone = &page[..page.find("<td>Press room</td>").unwrap()];
    let zone = &zone[zone.rfind("data-zone=\"").unwrap() + 11..];
    let zone = zone[..zone.find('"').unwrap()].to_string();
    let bad = admin
        .post(
            &format!("/dashboard/events/{event}/zones/{zone}"),
            &[("capacity", "lots"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("whole number"));
    let edited = admin
        .post(
            &format!("/dashboard/events/{event}/zones/{zone}"),
            &[("capacity", "55"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(edited.status(), 303);
    let made = admin
        .post(
            &format!("/dashboard/events/{event}/checkpoints"),
            &[
                ("name", "Press door"),
                ("zone", &zone),
                ("direction", "both"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(made.status(), 303);
    let (_, page) = admin.get(&path).await;
    assert!(page.contains("value=\"55\""));
    let cp = &page[..page.find("<td>Press door</td>").unwrap()];
    let cp = &cp[cp.rfind("data-checkpoint=\"").unwrap() + 17..];
    let cp = cp[..cp.find('"').unwrap()].to_string();
    let off = admin
        .post(
            &format!("/dashboard/events/{event}/checkpoints/{cp}/active"),
            &[("active", "0"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(off.status(), 303);
    let (_, page) = admin.get(&path).await;
    assert!(page.contains("disabled (refuses scans)"));

    // The admin API (and so the gates' feed) sees the same layout.
    let session = s.admin_session().await;
    let shown: Value = s
        .http
        .get(s.at(&format!("/admin/v1/events/{event}")))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let zone_json = shown["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["name"] == "Press room")
        .unwrap();
    assert_eq!(zone_json["capacity"], 55);

    // A viewer sees the layout but may not change it.
    let viewer = sign_in(&s, "viewer").await;
    let (status, page) = viewer.get(&path).await;
    assert_eq!(status, 200);
    assert!(page.contains("Press door"));
    let csrf = csrf_of(&page);
    let refused = viewer
        .post(
            &format!("/dashboard/events/{event}/zones"),
            &[("name", "Sneaky"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("events:manage"));
}

/// An offline admission through `cp` at `at`, as a gate uploads it.
fn offline_admission(demo: &Value, cp: &str, person: &Value, at: i64) -> AccessLog {
    let (cp_id, zone) = checkpoint(demo, cp);
    AccessLog {
        id: ScanId(uuid::Uuid::now_v7()),
        event_id: demo["event_id"].as_str().unwrap().parse().unwrap(),
        checkpoint_id: cp_id.parse().unwrap(),
        zone_id: zone.parse().unwrap(),
        device_id: None,
        participant_id: Some(person["participant_id"].as_str().unwrap().parse().unwrap()),
        credential_seq: Some(0),
        movement: Some(Movement::In),
        verdict: Verdict::Valid,
        reason: Reason::Admitted,
        override_reason: None,
        device_time: at,
        corrected_time: at,
    }
}

async fn offline_duplicates_are_flagged_for_review(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = event_of(&s);
    let (a, b) = s.pair_demo_devices().await;
    let person = ticket(&demo, approved);
    let t0 = now_ms() - 120_000;
    for (gate, at) in [(&a, t0), (&b, t0 + 30_000)] {
        let res = s
            .http
            .post(s.at("/sync/v1/scans"))
            .bearer_auth(&gate.device_token)
            .json(&ScanUpload {
                scans: vec![offline_admission(&demo, "Main gate entry", person, at)],
                occupancy: vec![],
                report: DeviceReport {
                    app_version: "test".into(),
                    profile: None,
                    cursor: 0,
                    outbox_depth: 3,
                    device_time: now_ms(),
                },
            })
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let viewer = sign_in(&s, "viewer").await;
    let (_, page) = viewer.get(&format!("/dashboard/events/{event}")).await;
    assert!(page.contains("1 offline duplicate to review"), "{page}");
    assert!(page.contains("3 scans"), "the outbox depth a gate reported");
    let (_, review) = viewer
        .get(&format!("/dashboard/events/{event}/access-log?dups=1"))
        .await;
    assert_eq!(review.matches("data-scan=\"").count(), 1);
    assert!(review.contains("offline duplicate: review"));
}

async fn a_zone_filling_up_turns_amber_then_red(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = event_of(&s);
    let (gate, _) = s.pair_demo_devices().await;
    let (entry, plenary) = checkpoint(&demo, "Main gate entry");
    let admin = sign_in(&s, "admin").await;
    let csrf = admin
        .csrf(&format!("/dashboard/events/{event}/layout"))
        .await;
    let res = admin
        .post(
            &format!("/dashboard/events/{event}/zones/{plenary}"),
            &[("capacity", "4"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let people: Vec<&Value> = demo["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| approved(t))
        .take(4)
        .collect();
    let zone_class = |page: &str| {
        let card = &page[..page.find(&format!("data-zone=\"{plenary}\"")).unwrap()];
        let class = &card[card.rfind("class=\"zone ").unwrap() + 12..];
        class[..class.find('"').unwrap()].to_string()
    };
    let overview = format!("/dashboard/events/{event}");
    for (i, person) in people.iter().enumerate() {
        let r = online_scan(&s, &gate.device_token, &entry, &person["payload"]).await;
        assert_eq!(r["verdict"], "VALID");
        let (_, page) = admin.get(&overview).await;
        let expected = match i + 1 {
            1 | 2 => "fill-green", // 25 %, 50 %
            3 => "fill-amber",     // 75 %
            _ => "fill-red",       // 100 %
        };
        assert_eq!(zone_class(&page), expected, "{} of 4 inside", i + 1);
    }
}

/// The checkpoints of the demo event as the admin API (and so the gates' feed) sees them:
/// `(zone_id, active)` of each.
async fn checkpoints_seen(s: &Server, event: &str) -> Vec<(String, bool)> {
    let session = s.admin_session().await;
    let shown: Value = s
        .http
        .get(s.at(&format!("/admin/v1/events/{event}")))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let event = event_of(&s);
    let admin = sign_in(&s, "admin").await;
    let path = format!("/dashboard/events/{event}/layout");
    let (_, page) = admin.get(&path).await;
    let csrf = csrf_of(&page);
    let before = checkpoints_seen(&s, &event).await;
    assert!(before.iter().all(|(_, active)| *active));
    let zone = before[0].0.clone();
    let in_zone = before.iter().filter(|(z, _)| *z == zone).count();
    assert!(page.contains(&format!("/zones/{zone}/active")));
    assert!(page.contains("Disable zone"));

    let off = admin
        .post(
            &format!("/dashboard/events/{event}/zones/{zone}/active"),
            &[("active", "0"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(off.status(), 303);
    let after = checkpoints_seen(&s, &event).await;
    for (z, active) in &after {
        assert_eq!(*active, *z != zone, "only the zone's checkpoints are off");
    }
    let (_, page) = admin.get(&path).await;
    assert!(page.contains("disabled (all its checkpoints off)"));
    assert!(page.contains("Enable zone"));
    assert_eq!(
        page.matches("disabled (refuses scans)").count(),
        in_zone,
        "{page}"
    );

    // A viewer may not do it.
    let viewer = sign_in(&s, "viewer").await;
    let (_, vpage) = viewer.get(&path).await;
    let refused = viewer
        .post(
            &format!("/dashboard/events/{event}/zones/{zone}/active"),
            &[("active", "1"), ("csrf", &csrf_of(&vpage))],
        )
        .await;
    assert_eq!(refused.status(), 403);

    let on = admin
        .post(
            &format!("/dashboard/events/{event}/zones/{zone}/active"),
            &[("active", "1"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(on.status(), 303);
    assert!(checkpoints_seen(&s, &event)
        .await
        .iter()
        .all(|(_, active)| *active));
    let (_, page) = admin.get(&path).await;
    assert!(!page.contains("disabled (refuses scans)"));
}

async fn an_admin_subscribes_a_webhook_and_sees_its_test_ping(backend: Backend) {
    let s = Server::demo_with_env(backend, &[("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE", "true")]).await;
    let admin = sign_in(&s, "admin").await;
    let (status, page) = admin.get("/dashboard/webhooks").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("No webhook subscriptions yet"));
    let csrf = csrf_of(&page);
    // Nothing listens there: the ping is logged (and retried) all the same.
    let url = "http://127.0.0.1:9/hooks";
    let made = admin
        .post(
            "/dashboard/webhooks",
            &[("url", url), ("event_types", "*"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(made.status(), 200);
    let shown = made.text().await.unwrap();
    assert!(
        shown.contains("whsec_"),
        "the secret is shown once: {shown}"
    );

    let (_, page) = admin.get("/dashboard/webhooks").await;
    assert!(page.contains(url), "{page}");
    assert!(!page.contains("whsec_"), "the secret is never shown again");
    assert!(page.contains("enabled"));
    let id = &page[page.find("data-webhook=\"").unwrap() + 14..];
    let id = id[..id.find('"').unwrap()].to_string();

    let ping = admin
        .post(
            &format!("/dashboard/webhooks/{id}/test"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(ping.status(), 303);
    assert_eq!(location(&ping), format!("/dashboard/webhooks/{id}"));
    let (status, log) = admin.get(&format!("/dashboard/webhooks/{id}")).await;
    assert_eq!(status, 200);
    assert!(log.contains("webhook.test"), "{log}");
    assert!(log.contains("Send again"));
    assert!(log.contains("http://"), "the log names the endpoint: {log}");
    let delivery = &log[log.find("data-delivery=\"").unwrap() + 15..];
    let delivery = delivery[..delivery.find('"').unwrap()].to_string();
    let again = admin
        .post(
            &format!("/dashboard/webhooks/{id}/deliveries/{delivery}/redeliver"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status(), 303);
    let (_, log) = admin.get(&format!("/dashboard/webhooks/{id}")).await;
    assert_eq!(log.matches("data-delivery=").count(), 2, "{log}");

    let paused = admin
        .post(
            &format!("/dashboard/webhooks/{id}/enabled"),
            &[("enabled", "0"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(paused.status(), 303);
    let (_, page) = admin.get("/dashboard/webhooks").await;
    assert!(page.contains("paused") && page.contains("Resume"), "{page}");

    let gone = admin
        .post(
            &format!("/dashboard/webhooks/{id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(gone.status(), 303);
    let (_, page) = admin.get("/dashboard/webhooks").await;
    assert!(!page.contains(url));
}

async fn webhooks_refuse_private_urls_and_viewers(backend: Backend) {
    let s = Server::demo(backend).await;
    let admin = sign_in(&s, "admin").await;
    let csrf = admin.csrf("/dashboard/webhooks").await;
    let refused = admin
        .post(
            "/dashboard/webhooks",
            &[
                ("url", "http://127.0.0.1:8080/hook"),
                ("event_types", "*"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("This URL was refused"));

    let viewer = sign_in(&s, "viewer").await;
    let (status, page) = viewer.get("/dashboard/webhooks").await;
    assert_eq!(status, 403);
    assert!(page.contains("webhooks:manage"), "{page}");
}

/// The secret on a page that shows one.
fn secret_on(page: &str) -> String {
    let at = page.find("data-secret>").expect("the page shows the key") + "data-secret>".len();
    page[at..at + page[at..].find('<').unwrap()].to_string()
}

/// The status of a REST API call with `key`.
async fn api_status(s: &Server, key: &str, path: &str) -> u16 {
    reqwest::Client::new()
        .get(s.at(&format!("/api/v1{path}")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn an_admin_creates_rotates_and_revokes_an_api_key(backend: Backend) {
    let s = Server::demo(backend).await;
    let viewer = sign_in(&s, "viewer").await;
    let (status, page) = viewer.get("/dashboard/api-keys").await;
    assert_eq!(status, 403);
    assert!(page.contains("api-keys:manage"), "{page}");

    let admin = sign_in(&s, "admin").await;
    let (status, page) = admin.get("/dashboard/api-keys").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("aria-current=\"page\">API keys"),
        "in the navigation"
    );
    let csrf = csrf_of(&page);

    // A form that names no scope says so and creates nothing.
    let refused = admin
        .post(
            "/dashboard/api-keys",
            &[("name", "Portal"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("at least one scope"));

    let made = admin
        .post(
            "/dashboard/api-keys",
            &[
                ("name", "Registration <portal>"),
                ("scope", "participants:read"),
                ("scope", "events:read"),
                ("tier", "CUSTOM"),
                ("rate_limit_per_minute", "250"),
                ("expires_at", ""),
                ("allowed_ips", "127.0.0.1, ::1"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(made.status(), 200);
    let shown = made.text().await.unwrap();
    assert!(
        shown.contains("Registration &lt;portal&gt;"),
        "escaped: {shown}"
    );
    let key = secret_on(&shown);
    assert!(key.starts_with("ghk_"), "{key}");

    // The key works within its scopes and nowhere else.
    assert_eq!(api_status(&s, &key, "/participants?limit=1").await, 200);
    assert_eq!(api_status(&s, &key, "/events").await, 200);
    let event = event_of(&s);
    assert_eq!(
        api_status(&s, &key, &format!("/events/{event}/access-logs")).await,
        403,
        "no access-logs:read"
    );

    let (_, page) = admin.get("/dashboard/api-keys").await;
    assert!(!page.contains(&key), "the secret is never shown again");
    // The demo's own key comes first; the new one is the newest, last.
    let row = &page[page.rfind("data-api-key=").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("participants:read, events:read"), "{row}");
    assert!(row.contains("CUSTOM · 250/min"), "{row}");
    assert!(row.contains("127.0.0.1/32, ::1/128"), "{row}");
    assert!(
        row.contains("<td class=\"uses\">3</td>"),
        "every use counted: {row}"
    );
    let id = &row["data-api-key=\"".len()..];
    let id = id[..id.find('"').unwrap()].to_string();

    // Rotating with no grace: the old secret stops now, the new one works.
    let rotated = admin
        .post(
            &format!("/dashboard/api-keys/{id}/rotate"),
            &[("grace_seconds", "0"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(rotated.status(), 200);
    let shown = rotated.text().await.unwrap();
    let fresh = secret_on(&shown);
    assert_ne!(fresh, key);
    assert!(shown.contains("keeps working until"), "{shown}");
    assert_eq!(api_status(&s, &key, "/events").await, 401);
    assert_eq!(api_status(&s, &fresh, "/events").await, 200);

    let (_, page) = admin.get("/dashboard/api-keys").await;
    assert!(
        page.contains("expired"),
        "the old key shows as expired: {page}"
    );
    let fresh_id = &page[page.rfind("data-api-key=\"").unwrap() + 14..];
    let fresh_id = fresh_id[..fresh_id.find('"').unwrap()].to_string();
    assert_ne!(fresh_id, id);
    let revoked = admin
        .post(
            &format!("/dashboard/api-keys/{fresh_id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(location(&revoked), "/dashboard/api-keys");
    assert_eq!(api_status(&s, &fresh, "/events").await, 401);
    let (_, page) = admin.get("/dashboard/api-keys").await;
    let row = &page[page.find(&format!("data-api-key=\"{fresh_id}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("revoked"), "{row}");
    assert!(!row.contains("Rotate"), "nothing left to rotate: {row}");
    let again = admin
        .post(
            &format!("/dashboard/api-keys/{fresh_id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status(), 409, "revoking twice says so");
}

async fn the_kiosks_page_shows_visits_and_queues_and_admins_serve_or_cancel(backend: Backend) {
    use gatehouse_core::{
        Identification, KioskSession, KioskSessionId, QueueTicket, QueueTicketId,
    };
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let (kiosk, _) = s.pair_demo_devices().await;
    let person = ticket(&demo, approved);
    let now = now_ms();
    let visit = KioskSession {
        id: KioskSessionId(uuid::Uuid::now_v7()),
        event_id: kiosk.event_id,
        device_id: Some(kiosk.device_id),
        participant_id: Some(person["participant_id"].as_str().unwrap().parse().unwrap()),
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
    let (first, second, help) = (
        numbered("Accreditation", 1, now - 60_000),
        numbered("Accreditation", 2, now - 50_000),
        numbered("Help <desk>", 1, now - 40_000),
    );
    let res = s
        .kiosk_upload(
            &kiosk.device_token,
            &KioskUpload {
                sessions: vec![visit.clone()],
                tickets: vec![second.clone(), first.clone(), help.clone()],
                report: KioskReport {
                    mode: "kiosk".into(),
                    kiosk_outbox_depth: 4,
                    device_time: now,
                },
            },
        )
        .await;
    assert_eq!(res.status, 200);

    let viewer = sign_in(&s, "viewer").await;
    let (status, page) = viewer.get("/dashboard/kiosks").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("href=\"/dashboard/kiosks\""), "a nav link");
    assert!(page.contains(&kiosk.device_name));
    assert!(
        page.contains(&common::library::html_escaped(
            person["name"].as_str().unwrap()
        )),
        "the attendee"
    );
    assert!(page.contains("checked in") && page.contains("search") && page.contains(">am<"));
    assert!(
        page.contains("Help &lt;desk&gt;") && !page.contains("Help <desk>"),
        "escaped"
    );
    let (a1, a2) = (
        page.find(&format!("data-ticket=\"{}\"", first.id)).unwrap(),
        page.find(&format!("data-ticket=\"{}\"", second.id))
            .unwrap(),
    );
    assert!(a1 < a2, "a desk's queue in the order tickets were taken");
    assert!(!page.contains("Mark served"), "a viewer gets no buttons");
    // The Devices page and the REST API say which device runs as a kiosk.
    let (_, devices) = viewer
        .get(&format!("/dashboard/events/{}/devices", event_of(&s)))
        .await;
    let row = &devices[devices
        .find(&format!("data-device=\"{}\"", kiosk.device_id))
        .unwrap()..];
    assert!(
        row[..row.find("</tr>").unwrap()].contains("<span class=\"mode\">(kiosk)</span>"),
        "{row}"
    );
    let listed: Value = reqwest::Client::new()
        .get(s.at(&format!("/api/v1/events/{}/devices", event_of(&s))))
        .bearer_auth(demo["api_key"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let modes: Vec<&Value> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["mode"])
        .collect();
    assert!(modes.contains(&&json!("kiosk")), "{listed}");
    let csrf = csrf_of(&page);
    let refused = viewer
        .post(
            &format!("/dashboard/queue-tickets/{}/served", first.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("kiosk:manage"));

    let admin = sign_in(&s, "admin").await;
    let csrf = admin.csrf("/dashboard/kiosks").await;
    let no_token = admin
        .post(
            &format!("/dashboard/queue-tickets/{}/served", first.id),
            &[],
        )
        .await;
    assert_eq!(no_token.status(), 403, "the form needs its CSRF token");
    let served = admin
        .post(
            &format!("/dashboard/queue-tickets/{}/served", first.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(served.status(), 303);
    assert_eq!(location(&served), "/dashboard/kiosks");
    let cancelled = admin
        .post(
            &format!("/dashboard/queue-tickets/{}/cancel", help.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(cancelled.status(), 303);
    let (_, page) = admin.get("/dashboard/kiosks").await;
    assert!(page.contains("Mark served"));
    assert!(!page.contains(&format!("data-ticket=\"{}\"", first.id)));
    assert!(!page.contains(&format!("data-ticket=\"{}\"", help.id)));
    assert!(page.contains(&format!("data-ticket=\"{}\"", second.id)));
    let again = admin
        .post(
            &format!("/dashboard/queue-tickets/{}/cancel", first.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status(), 409, "a served ticket cannot be cancelled");

    let session = s.admin_session().await;
    let queue: Value = s
        .http
        .get(s.at("/admin/v1/kiosk/queue"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let res = admin
        .http
        .get(s.at("/dashboard/kiosks/live"))
        .header("cookie", format!("gatehouse_session={}", admin.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut live = SseReader::new(res);
    let first = live
        .next("fragments")
        .await
        .expect("a first update at once");
    assert!(fragment(&first, "kiosk-queues").contains(&second.id.to_string()));

    // A second kiosk without a series of its own numbers from 1 as well: the desk is warned.
    let twin = numbered("Accreditation", 2, now - 30_000);
    let res = s
        .kiosk_upload(
            &kiosk.device_token,
            &KioskUpload {
                sessions: vec![],
                tickets: vec![twin.clone()],
                report: KioskReport {
                    mode: "kiosk".into(),
                    kiosk_outbox_depth: 0,
                    device_time: now,
                },
            },
        )
        .await;
    assert_eq!(res.status, 200);
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
    let (_, page) = admin.get("/dashboard/kiosks").await;
    assert!(page.contains("duplicate-labels"), "{page}");
    assert!(page.contains("queue_series"));
    for t in [&second, &twin] {
        assert!(
            page.contains(&format!(
                "data-ticket=\"{}\" class=\"label-held-twice\"",
                t.id
            )),
            "{page}"
        );
    }
}

/// Reads a dashboard live stream (Server-Sent Events) frame by frame.
struct SseReader {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    seen: String,
}

impl SseReader {
    fn new(res: reqwest::Response) -> Self {
        SseReader {
            body: Box::pin(res.bytes_stream().map(|chunk| chunk.map(|b| b.to_vec()))),
            seen: String::new(),
        }
    }

    /// The data of the next event called `name`, or `None` when the stream ends or stays quiet
    /// for 20 seconds.
    async fn next(&mut self, name: &str) -> Option<Value> {
        loop {
            while let Some(end) = self.seen.find("\n\n") {
                let frame: String = self.seen.drain(..end + 2).collect();
                if frame.lines().any(|l| l == format!("event: {name}")) {
                    let data = frame.lines().find_map(|l| l.strip_prefix("data: "))?;
                    return serde_json::from_str(data).ok();
                }
            }
            match tokio::time::timeout(Duration::from_secs(20), self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.seen.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }
}

/// One HTML fragment of a live update, by element id.
fn fragment(update: &Value, id: &str) -> String {
    update["html"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p[0] == id)
        .and_then(|p| p[1].as_str())
        .unwrap_or_default()
        .to_owned()
}
