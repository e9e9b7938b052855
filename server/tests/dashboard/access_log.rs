//! The access log page: filters, search by person, keyset pages and the CSV export of exactly
//! the filtered view.

use super::scan_at_gate;
use crate::common::fixtures::{approved, checkpoint, ticket};
use crate::common::page::{attrs_of, href_before, section, sign_in};
use crate::common::{Backend, Server};

on_both_backends!(the_access_log_filters_pages_and_exports_csv);

async fn the_access_log_filters_pages_and_exports_csv(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = s.event_id();
    let (gate, _) = s.pair_demo_devices().await;
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let valid = ticket(&demo, |t| approved(t) && t["category"] == "Delegate");
    let blocked = ticket(&demo, |t| t["blocked"] == true);
    // One admission, then 54 refusals of two kinds: 55 scans, more than one page.
    let first = scan_at_gate(&s, &gate.device_token, &entry, valid).await;
    assert_eq!(first["verdict"], "VALID");
    for i in 0..54 {
        let who = if i % 2 == 0 { valid } else { blocked };
        scan_at_gate(&s, &gate.device_token, &entry, who).await;
    }
    let admin = sign_in(&s, "admin").await;
    let path = format!("/dashboard/events/{event}/access-log");
    let rows = |page: &str| attrs_of(page, "data-scan");

    let page1 = admin.page(&path).await;
    let first_page = rows(&page1);
    assert_eq!(first_page.len(), 50);
    let next = href_before(&page1, "rel=\"next\"");
    let page2 = admin.get(&format!("{path}{next}")).await.body;
    let second_page = rows(&page2);
    assert_eq!(second_page.len(), 5, "the rest, on the next page");
    assert!(second_page.iter().all(|id| !first_page.contains(id)));
    assert!(!page2.contains("rel=\"next\""), "no page after the last");

    let blocked_only = admin.get(&format!("{path}?verdict=BLOCKED")).await.body;
    assert_eq!(rows(&blocked_only).len(), 27);
    assert!(!blocked_only.contains("<td class=\"verdict\">VALID"));
    let name = blocked["name"].as_str().unwrap();
    let code = blocked["registration_code"].as_str().unwrap();
    let by_person = admin.get(&format!("{path}?q={code}")).await.body;
    assert_eq!(rows(&by_person).len(), 27, "search by registration code");
    assert!(by_person.contains(&format!("Scans of <strong>{}", name.replace('\'', "&#39;"))));
    let nobody = admin.get(&format!("{path}?q=zzzz-nobody")).await.body;
    assert!(nobody.contains("No participant matches"));
    let future = admin
        .get(&format!("{path}?from=2999-01-01T00:00"))
        .await
        .body;
    assert!(future.contains("No scans match these filters"));
    admin
        .get(&format!("{path}?from=yesterday"))
        .await
        .expect(400);

    // The CSV link exports exactly the filtered view.
    let link = section(&blocked_only, "/admin/v1/events/", "\"").replace("&amp;", "&");
    let csv = admin.get(&link).await.expect(200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 1 + 27);
    assert!(lines[1..].iter().all(|l| l.contains(",BLOCKED,")));
}
