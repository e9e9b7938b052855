//! Input extractors whose rejections speak the API's error envelope: a malformed body, a wrong
//! content type, an oversized upload or a bad query string all get `{"error": {...}}` with a
//! stable code instead of axum's plain-text defaults.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body, or a clear 4xx.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => {
                let status = rejection.status();
                let text = rejection.body_text();
                Err(match status {
                    StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                        status,
                        "body_too_large",
                        "the request body is larger than this server accepts",
                    ),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
                        status,
                        "unsupported_media_type",
                        "send the body as JSON with Content-Type: application/json",
                    ),
                    StatusCode::UNPROCESSABLE_ENTITY => {
                        ApiError::unprocessable("invalid_body", text)
                    }
                    _ => ApiError::bad_request("malformed_json", text),
                })
            }
        }
    }
}

/// A query string, or a clear 400.
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

/// Reads an id from a URL path segment; one that is not an id names nothing, so it is a 404.
pub fn path_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::not_found(&format!("{what} {text:?}")))
}

/// The address of the peer the request came from, when the server knows it (login throttling,
/// API keys' allow-lists). Behind a reverse proxy this is the proxy's.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl ClientAddress {
    pub fn of(parts: &Parts) -> Self {
        ClientAddress(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}
