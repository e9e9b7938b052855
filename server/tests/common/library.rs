//! The only place the tests name the server library's own items. Everything else goes through
//! the binary over HTTP; when the server's modules move (e.g. into crates of their own), only
//! these paths change.

/// The routes of `/api/v1` as (method, path), as the REST API's router declares them.
pub fn rest_api_routes() -> &'static [(&'static str, &'static str)] {
    gatehouse_server::rest_api::ROUTES
}

/// What the server stores for a device token (a digest, never the token).
pub fn token_digest(token: &str) -> String {
    gatehouse_domain::crypto::digest(token)
}

/// Text escaped as the dashboard escapes every value it puts on a page.
pub fn html_escaped(text: &str) -> String {
    gatehouse_server::dashboard::html::esc(text)
}
