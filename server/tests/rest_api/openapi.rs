//! The OpenAPI description and its docs page: public, matching the routes served in both
//! directions, and loading nothing from elsewhere.

use serde_json::json;

use crate::common::library::rest_api_routes;
use crate::common::{Backend, Server};

on_both_backends!(the_openapi_description_lists_every_route_and_the_docs_need_no_cdn);

async fn the_openapi_description_lists_every_route_and_the_docs_need_no_cdn(backend: Backend) {
    let s = Server::demo(backend).await;
    // Public: no key needed to read how to use the API.
    let spec = s.anonymous().get("/api/v1/openapi.json").await.json();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    // Either header carries the key, with the same scopes.
    assert_eq!(
        spec["paths"]["/participants"]["post"]["security"],
        json!([{"api_key": ["participants:write"]}, {"api_key_header": ["participants:write"]}])
    );
    for (method, path) in rest_api_routes() {
        assert!(
            spec["paths"][path][method].is_object(),
            "{method} {path} is served but missing from openapi.json"
        );
    }
    // And the other way: every described operation is served (the router's own 404 and 405
    // say "this API route" and method_not_allowed; a handler's 404 names what it looked for).
    let key = s.demo_api_key();
    let integrator = s.as_integrator(&key);
    let event = s.event_id();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{event_id}", &event)
            .replace("{participant_id}", &uuid::Uuid::now_v7().to_string());
        for method in ops.as_object().unwrap().keys() {
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let body =
                matches!(method, reqwest::Method::POST | reqwest::Method::PATCH).then(|| json!({}));
            let r = integrator
                .send(method.clone(), &format!("/api/v1{concrete}"), body.as_ref())
                .await;
            assert!(
                r.status != 405 && !r.body.contains("this API route"),
                "{method} {path} is described but not served: {} {}",
                r.status,
                r.body
            );
        }
    }

    let docs = s.anonymous().get("/api/v1/docs").await.expect(200);
    assert!(docs.header("content-type").starts_with("text/html"));
    let html = docs.body;
    for (_, path) in rest_api_routes() {
        assert!(html.contains(path), "the docs page shows {path}");
    }
    for external in ["src=\"http", "href=\"http", "@import", "<script"] {
        assert!(
            !html.contains(external),
            "the docs page loads nothing from elsewhere ({external})"
        );
    }
}
