//! The API's OpenAPI 3.1 description, generated from the handlers' `#[utoipa::path]` attributes
//! and the types' `ToSchema` derives, served at `/api/v1/openapi.json`; and `/api/v1/docs`, a
//! page rendered from it on the server. The page loads nothing from elsewhere (a venue may be
//! offline): no scripts, no fonts, no CDN.

use std::fmt::Write;
use std::sync::OnceLock;

use axum::http::header;
use axum::response::{Html, IntoResponse};
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::access_logs::{AccessLogView, RESOURCE as ACCESS_LOGS};
use super::check_ins::{CheckInRequest, CheckInView, Direction};
use super::devices::DeviceView;
use super::events::EventView;
use super::layout::{CheckpointView, ZoneView};
use super::occupancy::{OccupancyView, ZoneOccupancyView};
use super::participants::{
    NewParticipant, ParticipantPatch, ParticipantView, Sort, Status, RESOURCE as PARTICIPANTS,
};
use super::shape::Resource;
use super::{ErrorBody, ErrorDetail, ParticipantSummaryView};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse REST API",
        version = "1.0.0",
        description = "Events, participants, check-ins and occupancy for integrators. \
            Authenticate with an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`; \
            each route names the scope it needs. Errors are `{\"error\": {\"code\", \"message\"}}` \
            with a stable code. Lists page with `cursor` / `next_cursor`. Every answer to a keyed \
            request carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; over \
            the limit the answer is 429 with `Retry-After`."
    ),
    servers((url = "/api/v1")),
    paths(
        spec,
        docs,
        super::events::list,
        super::events::show,
        super::layout::zones,
        super::layout::checkpoints,
        super::occupancy::show,
        super::access_logs::list,
        super::check_ins::create,
        super::devices::list,
        super::participants::list,
        super::participants::create,
        super::participants::show,
        super::participants::update,
        super::participants::revoke,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, EventView, ZoneView, CheckpointView, OccupancyView,
        ZoneOccupancyView, AccessLogView, ParticipantView, NewParticipant, ParticipantPatch, Status,
        CheckInRequest, CheckInView, Direction, ParticipantSummaryView, DeviceView, Sort,
    )),
    modifiers(&KeySchemes),
    tags(
        (name = "events"), (name = "layout", description = "Zones and checkpoints"),
        (name = "participants"), (name = "access-logs", description = "Check-ins: every scan and its verdict"),
        (name = "check-ins", description = "Deciding a badge at a checkpoint"),
        (name = "devices", description = "Gates and kiosks, and how their sync is doing"),
        (name = "occupancy"), (name = "meta", description = "This description"),
    )
)]
struct ApiDoc;

/// Declares the two ways to send a key.
struct KeySchemes;

impl Modify for KeySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A Gatehouse API key (ghk_…)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The description as a value. A module that serves routes under `/api/v1` from a router of its
/// own adds its `#[derive(OpenApi)]` here with `merge_from`.
pub fn description() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The description as served: every keyed operation accepts the key in either header, so each
/// `api_key` requirement gets an `api_key_header` alternative with the same scopes.
fn spec_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut spec = serde_json::to_value(description()).unwrap_or_default();
        if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
            for op in paths.values_mut().filter_map(Value::as_object_mut) {
                for operation in op.values_mut() {
                    let Some(security) =
                        operation.get_mut("security").and_then(Value::as_array_mut)
                    else {
                        continue;
                    };
                    let alternatives: Vec<Value> = security
                        .iter()
                        .filter_map(|r| r.get("api_key"))
                        .map(|scopes| serde_json::json!({ "api_key_header": scopes }))
                        .collect();
                    security.extend(alternatives);
                }
            }
        }
        add_selections(&mut spec);
        serde_json::to_string(&spec).unwrap_or_else(|_| "{}".to_owned())
    })
}

/// The relations `expand` adds to a resource, as (name, schema of the added property).
fn expansion_schemas(schema: &str) -> Vec<(&'static str, Value)> {
    let reference =
        |name: &str| serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
    let nullable =
        |name: &str| serde_json::json!({ "oneOf": [reference(name), { "type": "null" }] });
    match schema {
        "ParticipantView" => vec![
            ("event", reference("EventView")),
            (
                "zones",
                serde_json::json!({ "type": "array", "items": reference("ZoneView") }),
            ),
        ],
        "CheckpointView" => vec![("zone", reference("ZoneView"))],
        "AccessLogView" => vec![
            ("participant", nullable("ParticipantSummaryView")),
            ("checkpoint", nullable("CheckpointView")),
        ],
        _ => Vec::new(),
    }
}

/// Operations that take `fields` answer with a resource's `<Name>Selection` schema: its
/// properties, only `id` required (the others are there unless `fields` left them out), plus
/// the relations `expand` can add. A wrapper on the way (`Page_ParticipantView`) gets a
/// `...Selection` copy that points at it. The `fields` and `expand` parameters list the names.
fn add_selections(spec: &mut Value) {
    let components = spec["components"]["schemas"].clone();
    let mut made = serde_json::Map::new();
    let mut shaped = std::collections::BTreeSet::new();
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths
            .values_mut()
            .filter_map(Value::as_object_mut)
            .flat_map(|item| item.values_mut())
        {
            let takes_fields = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == "fields"));
            if !takes_fields {
                continue;
            }
            let mut target = None;
            if let Some(ok) =
                operation.pointer_mut("/responses/200/content/application~1json/schema")
            {
                retarget(ok, &components, &mut made, &mut target);
            }
            let Some(name) = target else { continue };
            let properties = super::shape::properties_of(&name);
            let expansions: Vec<&str> = expansion_schemas(&name).iter().map(|(n, _)| *n).collect();
            shaped.insert(name);
            if let Some(params) = operation["parameters"].as_array_mut() {
                for p in params {
                    let listed = match p["name"].as_str() {
                        Some("fields") => properties.join(", "),
                        Some("expand") if !expansions.is_empty() => expansions.join(", "),
                        _ => continue,
                    };
                    let text = format!("{} One or more of: {listed}.", text(p, "description"));
                    p["description"] = Value::String(text.trim().to_owned());
                }
            }
        }
    }
    for name in &shaped {
        let Some(mut selection) = components.get(name).cloned() else {
            continue;
        };
        selection["required"] = serde_json::json!(["id"]);
        selection["description"] = Value::String(format!(
            "{name} as a list or read with `fields` and `expand` returns it: the properties \
             `fields` named (all when absent) and `id`, plus the relations `expand` named."
        ));
        if let Some(props) = selection["properties"].as_object_mut() {
            for (relation, schema) in expansion_schemas(name) {
                props.insert(relation.to_owned(), schema);
            }
        }
        made.insert(format!("{name}Selection"), selection);
    }
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.extend(made);
    }
}

/// The resources whose reads take `fields` (and `expand`, where they have relations).
const SHAPED: [&Resource; 6] = [
    &PARTICIPANTS,
    &ACCESS_LOGS,
    &super::events::RESOURCE,
    &super::layout::ZONES,
    &super::layout::CHECKPOINTS,
    &super::devices::RESOURCE,
];

/// Whether `name` is the schema of a resource that takes `fields`.
fn is_shaped(name: &str) -> bool {
    SHAPED.iter().any(|r| r.schema == name)
}

/// Points the first reference to (or inline copy of) a shaped resource's schema inside `schema`
/// (directly, or through a component such as `Page_ParticipantView`, copied into `made`) at its
/// `...Selection` variant, and says which resource that was.
fn retarget(
    schema: &mut Value,
    components: &Value,
    made: &mut serde_json::Map<String, Value>,
    target: &mut Option<String>,
) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                let Some(name) = r.strip_prefix("#/components/schemas/").map(str::to_owned) else {
                    return;
                };
                if target.is_some() {
                    return;
                }
                if is_shaped(&name) {
                    *target = Some(name);
                    r.push_str("Selection");
                } else if let Some(component) = components.get(&name) {
                    let mut copy = component.clone();
                    retarget(&mut copy, components, made, target);
                    if target.is_some() {
                        made.insert(format!("{name}Selection"), copy);
                        r.push_str("Selection");
                    }
                }
                return;
            }
            // utoipa writes a generic wrapper's item inline, as a copy of its schema.
            if target.is_none() {
                let copied = SHAPED
                    .into_iter()
                    .find(|r| components.get(r.schema) == Some(&*schema));
                if let Some(r) = copied {
                    *target = Some(r.schema.to_owned());
                    *schema = serde_json::json!({
                        "$ref": format!("#/components/schemas/{}Selection", r.schema)
                    });
                    return;
                }
            }
            let Value::Object(map) = schema else { return };
            for v in map.values_mut() {
                retarget(v, components, made, target);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| retarget(v, components, made, target)),
        _ => {}
    }
}

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description", content_type = "application/json")))]
pub async fn spec() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], spec_json())
}

/// This API's reference as a web page.
#[utoipa::path(get, path = "/docs", tag = "meta", security(()),
    responses((status = 200, description = "The reference as HTML", content_type = "text/html")))]
pub async fn docs() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(
        PAGE.get_or_init(|| {
            let spec: Value = serde_json::from_str(spec_json()).unwrap_or_default();
            render(&spec)
        })
        .as_str(),
    )
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A schema's type as a reader would write it: `ParticipantView`, `string`, `[ZoneView]`.
fn type_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(items) = schema.get("items") {
        return format!("[{}]", type_name(items));
    }
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        return variants
            .iter()
            .map(type_name)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    match schema.get("type") {
        Some(Value::String(t)) => esc(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(esc)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".to_owned(),
    }
}

/// The reference page: every operation with its scope, parameters and answers, then every schema.
fn render(spec: &Value) -> String {
    let mut out = String::new();
    let info = &spec["info"];
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font:15px/1.5 system-ui,sans-serif;max-inline-size:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f23}}\
         code,pre{{font-family:ui-monospace,monospace}} .op{{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}}\
         .m{{display:inline-block;min-inline-size:4.5rem;font-weight:700;text-transform:uppercase}}\
         .get{{color:#0969da}} .post{{color:#1a7f37}} .patch{{color:#9a6700}} .delete{{color:#cf222e}}\
         table{{border-collapse:collapse}} td,th{{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:start;vertical-align:top}}\
         </style></head><body><h1>{title} <small>{version}</small></h1><p>{description}</p>\
         <p>Base path <code>/api/v1</code>. Machine-readable description: \
         <a href=\"openapi.json\"><code>openapi.json</code></a> (OpenAPI 3.1).</p><h2>Operations</h2>",
        title = esc(text(info, "title")),
        version = esc(text(info, "version")),
        description = esc(text(info, "description")),
    );
    if let Some(paths) = spec["paths"].as_object() {
        for (path, item) in paths {
            let Some(ops) = item.as_object() else {
                continue;
            };
            for (method, op) in ops {
                let scopes: Vec<String> = op["security"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_object)
                    .flat_map(|o| o.values())
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(esc)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let _ = write!(
                    out,
                    "<section class=\"op\"><h3><span class=\"m {m}\">{m}</span> <code>{p}</code></h3>\
                     <p>{summary}</p><p>{desc}</p><p>Scope: {scope}</p>",
                    m = esc(method),
                    p = esc(path),
                    summary = esc(text(op, "summary")),
                    desc = esc(text(op, "description")),
                    scope = if scopes.is_empty() {
                        "none (public)".to_owned()
                    } else {
                        format!("<code>{}</code>", scopes.join(", "))
                    },
                );
                if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
                    out.push_str("<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>");
                    for p in params {
                        let _ = write!(
                            out,
                            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(text(p, "name")),
                            if p["required"].as_bool() == Some(true) {
                                " (required)"
                            } else {
                                ""
                            },
                            esc(text(p, "in")),
                            type_name(&p["schema"]),
                            esc(text(p, "description")),
                        );
                    }
                    out.push_str("</table>");
                }
                if let Some(body) =
                    op["requestBody"]["content"]["application/json"]["schema"].as_object()
                {
                    let _ = write!(
                        out,
                        "<p>Body: {}</p>",
                        type_name(&Value::Object(body.clone()))
                    );
                }
                if let Some(responses) = op["responses"].as_object() {
                    out.push_str("<p>Answers: ");
                    let list: Vec<String> = responses
                        .iter()
                        .map(|(status, r)| {
                            let schema = r["content"]["application/json"]["schema"].clone();
                            if schema.is_null() {
                                format!("<code>{}</code>", esc(status))
                            } else {
                                format!("<code>{}</code> {}", esc(status), type_name(&schema))
                            }
                        })
                        .collect();
                    out.push_str(&list.join(", "));
                    out.push_str("</p>");
                }
                out.push_str("</section>");
            }
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = spec["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                out,
                "<h3 id=\"schema-{n}\">{n}</h3><p>{d}</p>",
                n = esc(name),
                d = esc(text(schema, "description"))
            );
            if let Some(values) = schema["enum"].as_array() {
                let values: Vec<String> = values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|v| format!("<code>{}</code>", esc(v)))
                    .collect();
                let _ = write!(out, "<p>One of {}</p>", values.join(", "));
            }
            if let Some(props) = schema["properties"].as_object() {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                out.push_str("<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>");
                for (field, p) in props {
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(field),
                        if required.contains(&field.as_str()) {
                            " (required)"
                        } else {
                            ""
                        },
                        type_name(p),
                        esc(text(p, "description")),
                    );
                }
                out.push_str("</table>");
            }
        }
    }
    out.push_str("</body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shaped_reads_answer_with_a_selection_schema_that_only_requires_the_id() {
        let spec: Value = serde_json::from_str(spec_json()).unwrap();
        let ok = |path: &str, method: &str| {
            spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
                .to_string()
        };
        assert!(ok("/participants", "get").contains("ParticipantViewSelection"));
        assert!(ok("/participants/{participant_id}", "get").contains("ParticipantViewSelection"));
        assert!(ok("/events/{event_id}/access-logs", "get").contains("AccessLogViewSelection"));
        // Writes answer with the whole resource.
        let patched = ok("/participants/{participant_id}", "patch");
        assert!(patched.contains("ParticipantView") && !patched.contains("Selection"));

        for resource in SHAPED {
            let relations: Vec<&str> = expansion_schemas(resource.schema)
                .iter()
                .map(|(n, _)| *n)
                .collect();
            assert_eq!(
                resource.expansions,
                relations.as_slice(),
                "{}",
                resource.schema
            );
            let whole = &spec["components"]["schemas"][resource.schema];
            let selection = &spec["components"]["schemas"][format!("{}Selection", resource.schema)];
            assert_eq!(
                selection["required"],
                serde_json::json!(["id"]),
                "{}",
                resource.schema
            );
            for (name, _) in whole["properties"].as_object().unwrap() {
                assert!(selection["properties"][name].is_object(), "{name}");
            }
            for r in relations {
                assert!(selection["properties"][r].is_object(), "{r}");
            }
        }
        // Every read that takes fields answers with a selection.
        for (path, item) in spec["paths"].as_object().unwrap() {
            let Some(get) = item.get("get") else { continue };
            if get["parameters"].to_string().contains("\"fields\"") {
                assert!(ok(path, "get").contains("Selection\""), "{path}");
            }
        }
        // The parameters list the names they take.
        let params = spec["paths"]["/participants"]["get"]["parameters"].to_string();
        assert!(params.contains("One or more of: ") && params.contains("registration_code"));
    }
}
