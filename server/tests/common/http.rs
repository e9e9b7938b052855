//! Requests as the tests make them: who calls ([`Caller`]), what is sent, and the whole answer
//! read at once ([`Reply`]), so that a failed status assertion prints the body that explains it.
//!
//! Every surface takes its credential as `Authorization: Bearer`; the constructors on [`Server`]
//! only name which kind a test holds: `s.as_integrator(&key)` (REST API key),
//! `s.as_admin(&session)` (admin API session), `s.as_device(&token)` (paired device),
//! `s.anonymous()`.

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::Server;

/// Someone calling the server over HTTP: a credential (or none) and headers to send along.
#[derive(Clone)]
pub struct Caller<'s> {
    server: &'s Server,
    bearer: Option<String>,
    headers: Vec<(String, String)>,
}

impl Server {
    /// A caller with no credential at all.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller {
            server: self,
            bearer: None,
            headers: Vec::new(),
        }
    }

    /// An integrator holding a REST API key.
    pub fn as_integrator(&self, api_key: &str) -> Caller<'_> {
        self.bearer(api_key)
    }

    /// An admin holding an admin API session (from [`Server::admin_session`]).
    pub fn as_admin(&self, session: &str) -> Caller<'_> {
        self.bearer(session)
    }

    /// A paired device holding its device token.
    pub fn as_device(&self, device_token: &str) -> Caller<'_> {
        self.bearer(device_token)
    }

    fn bearer(&self, token: &str) -> Caller<'_> {
        Caller {
            bearer: Some(token.to_owned()),
            ..self.anonymous()
        }
    }
}

impl Caller<'_> {
    /// The same caller, sending `name: value` with every request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None::<&Value>).await
    }

    /// `GET path`, which must answer 200 with JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.expect(200).json()
    }

    /// `POST path` without a body.
    pub async fn post(&self, path: &str) -> Reply {
        self.send(Method::POST, path, None::<&Value>).await
    }

    pub async fn post_json(&self, path: &str, body: &impl Serialize) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    /// Opens a live stream (Server-Sent Events) for the caller to read.
    pub async fn open_stream(&self, path: &str) -> reqwest::Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("the server answers")
    }

    /// `POST path` with a body as it is (e.g. JSON that does not parse), of `content_type`.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: String) -> Reply {
        let req = self
            .request(Method::POST, path)
            .header("content-type", content_type)
            .body(body);
        Reply::read(
            format!("POST {path}"),
            req.send().await.expect("the server answers"),
        )
        .await
    }

    pub async fn patch_json(&self, path: &str, body: &impl Serialize) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None::<&Value>).await
    }

    /// Any method, with a JSON body when one is given.
    pub async fn send(&self, method: Method, path: &str, body: Option<&impl Serialize>) -> Reply {
        let what = format!("{method} {path}");
        let mut req = self.request(method, path);
        if let Some(body) = body {
            req = req.json(body);
        }
        Reply::read(what, req.send().await.expect("the server answers")).await
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.server.http.request(method, self.server.at(path));
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token);
        }
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        req
    }
}

/// A whole HTTP answer: status, headers and body, read at once.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The request, as `METHOD path`, for failure messages.
    pub what: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub async fn read(what: String, res: reqwest::Response) -> Reply {
        Reply {
            what,
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.text().await.expect("the body is readable"),
        }
    }

    /// Asserts the status, showing the body when it is another.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "{} answered {}: {}",
            self.what, self.status, self.body
        );
        self
    }

    /// Asserts the status, saying `why` it should be that and showing the body when it is not.
    #[track_caller]
    pub fn expect_because(self, status: u16, why: &str) -> Self {
        assert_eq!(
            self.status, status,
            "{why}; {} answered {}: {}",
            self.what, self.status, self.body
        );
        self
    }

    /// Asserts the status and the platform error code (`{"error": {"code"}}`).
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Self {
        assert_eq!(
            self.error(),
            (status, code.to_owned()),
            "{}: {}",
            self.what,
            self.body
        );
        self
    }

    /// The status and the error code of the platform's error envelope (empty when there is none).
    #[track_caller]
    pub fn error(&self) -> (u16, String) {
        (
            self.status,
            self.json()["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }

    /// The error message of the platform's error envelope.
    #[track_caller]
    pub fn error_message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no error message: {}", self.what, self.body))
            .to_owned()
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        self.parse()
    }

    /// The body as `T`.
    #[track_caller]
    pub fn parse<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} answered {} with a body that does not parse ({e}): {}",
                self.what, self.status, self.body
            )
        })
    }

    /// A header's value; the header must be there.
    #[track_caller]
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("{} has no {name} header: {:?}", self.what, self.headers))
            .to_str()
            .expect("a readable header")
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.headers.contains_key(name)
    }

    #[track_caller]
    pub fn location(&self) -> &str {
        self.header("location")
    }

    /// The value of the cookie `name` this answer sets, if it sets one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookie_lines()
            .filter_map(|line| line.split(';').next())
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// The whole `Set-Cookie` line of the cookie `name` (with its attributes).
    pub fn set_cookie_line(&self, name: &str) -> Option<&str> {
        self.set_cookie_lines()
            .find(|line| line.starts_with(&format!("{name}=")))
    }

    fn set_cookie_lines(&self) -> impl Iterator<Item = &str> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
    }
}
