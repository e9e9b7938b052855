//! Field selection (`fields=`) and expansion of relations (`expand=`) for the resources that
//! offer them.
//!
//! - `fields=id,full_name,status` keeps only those properties of each item (`id` always stays,
//!   so an item can still be told apart). The names a resource knows are the properties of its
//!   schema in the OpenAPI description, so the two never disagree. An unknown name is a 400
//!   `invalid_fields` that lists the known ones.
//! - `expand=event,zones` adds the related objects next to their ids, fetched in one query per
//!   relation for the whole page (never one per item). Expanded relations are kept whatever
//!   `fields` says. An unknown relation is a 400 `invalid_expand` listing the known ones.
//!
//! In the OpenAPI description, operations with `fields` answer with the resource's
//! `...Selection` schema: the same properties, only `id` required, plus the expansions
//! ([`openapi`](super::openapi) derives it).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};

/// Most names one `fields` or `expand` may list.
const MAX_NAMES: usize = 40;

/// `fields` for a resource without relations to expand.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FieldsQuery {
    /// Comma-separated properties to return; `id` is always there.
    pub fields: Option<String>,
}

/// What a request asked of each item's shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shape {
    /// `None`: every property.
    fields: Option<Vec<String>>,
    /// Relations to expand, each named once, in the order given.
    expand: Vec<&'static str>,
}

/// A resource's schema name in the OpenAPI description and the relations it can expand.
pub struct Resource {
    pub schema: &'static str,
    /// Said in errors: `participants`, `access logs`.
    pub plural: &'static str,
    pub expansions: &'static [&'static str],
}

/// The property names of a component schema in the API's description.
pub fn properties_of(schema: &str) -> &'static [String] {
    static ALL: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let spec = serde_json::to_value(super::openapi::description()).unwrap_or_default();
        let mut out = HashMap::new();
        if let Some(schemas) = spec["components"]["schemas"].as_object() {
            for (name, s) in schemas {
                if let Some(props) = s["properties"].as_object() {
                    out.insert(name.clone(), props.keys().cloned().collect());
                }
            }
        }
        out
    });
    all.get(schema).map_or(&[], Vec::as_slice)
}

/// Splits a comma-separated list, trimming blanks; empty items are skipped.
fn names(raw: &str) -> Vec<&str> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

impl Shape {
    /// Reads `fields` and `expand` for `resource`, or answers 400 naming what was wrong.
    pub fn parse(
        resource: &Resource,
        fields: Option<&str>,
        expand: Option<&str>,
    ) -> ApiResult<Shape> {
        let mut shape = Shape::default();
        if let Some(raw) = fields {
            let asked = names(raw);
            if asked.len() > MAX_NAMES {
                return Err(ApiError::bad_request(
                    "invalid_fields",
                    format!("fields lists {} names; at most {MAX_NAMES}", asked.len()),
                ));
            }
            if !asked.is_empty() {
                let known = properties_of(resource.schema);
                let mut kept = vec!["id".to_owned()];
                for name in asked {
                    if !known.iter().any(|k| k == name) {
                        return Err(ApiError::bad_request(
                            "invalid_fields",
                            format!(
                                "fields: {} have no property {name:?}; they have {}",
                                resource.plural,
                                known.join(", ")
                            ),
                        ));
                    }
                    if !kept.iter().any(|k| k == name) {
                        kept.push(name.to_owned());
                    }
                }
                shape.fields = Some(kept);
            }
        }
        if let Some(raw) = expand {
            let asked = names(raw);
            if asked.len() > MAX_NAMES {
                return Err(ApiError::bad_request(
                    "invalid_expand",
                    format!("expand lists {} names; at most {MAX_NAMES}", asked.len()),
                ));
            }
            for name in asked {
                let Some(known) = resource.expansions.iter().find(|e| **e == name) else {
                    let offered = if resource.expansions.is_empty() {
                        "none".to_owned()
                    } else {
                        resource.expansions.join(", ")
                    };
                    return Err(ApiError::bad_request(
                        "invalid_expand",
                        format!(
                            "expand: {} have no relation {name:?}; they offer {offered}",
                            resource.plural
                        ),
                    ));
                };
                if !shape.expand.contains(known) {
                    shape.expand.push(known);
                }
            }
        }
        Ok(shape)
    }

    /// Items of a resource without relations, in the asked shape.
    pub fn apply_all<T: Serialize>(&self, items: &[T]) -> ApiResult<Vec<Value>> {
        items
            .iter()
            .map(|i| self.apply(i, |_| Value::Null))
            .collect()
    }

    /// Whether the request asked to expand `relation`.
    pub fn expands(&self, relation: &str) -> bool {
        self.expand.contains(&relation)
    }

    /// One item as JSON in the asked shape: `add` supplies each expanded relation's value.
    pub fn apply(
        &self,
        item: &impl Serialize,
        mut add: impl FnMut(&str) -> Value,
    ) -> ApiResult<Value> {
        let Value::Object(mut object) = serde_json::to_value(item)
            .map_err(|e| ApiError::internal("serialise a resource", e))?
        else {
            return Err(ApiError::internal("serialise a resource", "not an object"));
        };
        if let Some(fields) = &self.fields {
            let mut kept = Map::new();
            for f in fields {
                if let Some(v) = object.remove(f) {
                    kept.insert(f.clone(), v);
                }
            }
            object = kept;
        }
        for relation in &self.expand {
            object.insert((*relation).to_owned(), add(relation));
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTICIPANTS: Resource = Resource {
        schema: "ParticipantView",
        plural: "participants",
        expansions: &["event", "zones"],
    };

    #[test]
    fn fields_keep_the_named_properties_and_the_id() {
        let shape = Shape::parse(&PARTICIPANTS, Some(" full_name, status ,"), None).unwrap();
        let item =
            serde_json::json!({"id": 1, "full_name": "A", "status": "approved", "email": "a@x"});
        let out = shape.apply(&item, |_| Value::Null).unwrap();
        assert_eq!(
            out,
            serde_json::json!({"id": 1, "full_name": "A", "status": "approved"})
        );
        // No fields (or an empty list): everything.
        for none in [None, Some(""), Some(" , ")] {
            let all = Shape::parse(&PARTICIPANTS, none, None).unwrap();
            assert_eq!(all.apply(&item, |_| Value::Null).unwrap(), item);
        }
    }

    #[test]
    fn an_unknown_field_or_relation_is_named_with_what_exists() {
        let e = Shape::parse(&PARTICIPANTS, Some("id,shoe_size"), None).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "invalid_fields"));
        assert!(e.message.contains("\"shoe_size\""), "{}", e.message);
        assert!(e.message.contains("full_name"), "{}", e.message);
        let e = Shape::parse(&PARTICIPANTS, None, Some("zones,tenant")).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "invalid_expand"));
        assert!(e.message.contains("event, zones"), "{}", e.message);
    }

    #[test]
    fn expansions_are_added_once_and_kept_whatever_fields_say() {
        let shape =
            Shape::parse(&PARTICIPANTS, Some("full_name"), Some("zones,zones,event")).unwrap();
        let item = serde_json::json!({"id": 1, "full_name": "A", "event_id": 7});
        let out = shape
            .apply(&item, |r| serde_json::json!(format!("<{r}>")))
            .unwrap();
        assert_eq!(
            out,
            serde_json::json!({"id": 1, "full_name": "A", "zones": "<zones>", "event": "<event>"})
        );
    }
}
