//! The dashboard as a browser uses it — signing in through the form, a session cookie, forms
//! with their CSRF token — and small readers for what its pages show: an attribute's value, the
//! text after a marker, one table row.

use std::time::Duration;

use super::http::Reply;
use super::Server;

/// A browser without redirects or a cookie jar: the test sees every status and cookie.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a browser")
}

/// A browser on the dashboard, signed in (holding a session cookie) or not.
pub struct Browser {
    pub http: reqwest::Client,
    base: String,
    session: Option<String>,
}

impl Browser {
    /// A browser that has not signed in.
    pub fn anonymous(s: &Server) -> Browser {
        Browser {
            http: browser(),
            base: s.url.clone(),
            session: None,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        match &self.session {
            Some(cookie) => req.header("cookie", format!("gatehouse_session={cookie}")),
            None => req,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        let res = self.request(reqwest::Method::GET, path).send().await;
        Reply::read(format!("GET {path}"), res.expect("the dashboard answers")).await
    }

    /// A page that must answer 200; its HTML.
    pub async fn page(&self, path: &str) -> String {
        self.get(path).await.expect(200).body
    }

    /// Posts a form as the browser would (the CSRF token is one of its fields, or missing).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let res = self
            .request(reqwest::Method::POST, path)
            .form(form)
            .send()
            .await;
        Reply::read(format!("POST {path}"), res.expect("the dashboard answers")).await
    }

    /// The CSRF token of this session, read from a page.
    pub async fn csrf(&self, path: &str) -> String {
        csrf_of(&self.page(path).await)
    }

    /// Opens a live stream (Server-Sent Events) for the caller to read.
    pub async fn open_stream(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("the dashboard answers")
    }
}

/// Fills in and posts the sign-in form, with the double-submit cookie the form page set.
pub async fn try_sign_in(s: &Server, email: &str, password: &str) -> Reply {
    let http = browser();
    let form = http.get(s.at("/dashboard/login")).send().await.unwrap();
    let form = Reply::read("GET /dashboard/login".into(), form)
        .await
        .expect(200);
    let login_cookie = form.cookie("gatehouse_login").expect("login cookie");
    let res = http
        .post(s.at("/dashboard/login"))
        .header("cookie", format!("gatehouse_login={login_cookie}"))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf", &csrf_of(&form.body)),
        ])
        .send()
        .await
        .unwrap();
    Reply::read("POST /dashboard/login".into(), res).await
}

/// Signs in as the demo's `"admin"` or `"viewer"`; the session cookie is HttpOnly and strict.
pub async fn sign_in(s: &Server, who: &str) -> Browser {
    let demo = s.demo_json();
    let res = try_sign_in(
        s,
        demo[who]["email"].as_str().unwrap(),
        demo[who]["password"].as_str().unwrap(),
    )
    .await
    .expect_because(303, "a good password signs in");
    assert_eq!(res.location(), "/dashboard");
    let raw = res
        .set_cookie_line("gatehouse_session")
        .expect("session cookie");
    assert!(raw.contains("HttpOnly"), "{raw}");
    assert!(raw.contains("SameSite=Strict"), "{raw}");
    Browser {
        session: res.cookie("gatehouse_session"),
        ..Browser::anonymous(s)
    }
}

/// The value of the first `csrf` field on a page.
#[track_caller]
pub fn csrf_of(page: &str) -> String {
    let mark = "name=\"csrf\" value=\"";
    let start = page.find(mark).expect("the page has a CSRF field") + mark.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// The value of the first attribute `name="…"` in `html`.
#[track_caller]
pub fn attr_of(html: &str, name: &str) -> String {
    attrs_of(html, name)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {name}=\"…\" in {html}"))
}

/// The value of the last attribute `name="…"` in `html`.
#[track_caller]
pub fn last_attr_of(html: &str, name: &str) -> String {
    attrs_of(html, name)
        .pop()
        .unwrap_or_else(|| panic!("no {name}=\"…\" in {html}"))
}

/// The values of every attribute `name="…"` in `html`, in order.
pub fn attrs_of(html: &str, name: &str) -> Vec<String> {
    html.split(&format!("{name}=\""))
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

/// The text that follows `marker`, up to the next tag.
#[track_caller]
pub fn text_after(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"))
        + marker.len();
    html[at..at + html[at..].find('<').unwrap()].to_string()
}

/// The part of `html` from `start` up to (not including) the next `end`.
#[track_caller]
pub fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = &html[html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))..];
    &from[..from
        .find(end)
        .unwrap_or_else(|| panic!("no {end} after {start}"))]
}

/// The table row that `marker` is in, from the marker up to its `</tr>`.
#[track_caller]
pub fn row_of<'a>(html: &'a str, marker: &str) -> &'a str {
    section(html, marker, "</tr>")
}

/// The value of the last attribute `name="…"` before `marker`: the element that `marker` is in
/// or follows (e.g. the `data-zone` of the row whose cell is `<td>Press room</td>`).
#[track_caller]
pub fn attr_before(html: &str, marker: &str, name: &str) -> String {
    let before = &html[..html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"))];
    last_attr_of(before, name)
}

/// The `href` of the last link before `marker` (e.g. `rel="next"`), unescaped.
#[track_caller]
pub fn href_before(html: &str, marker: &str) -> String {
    attr_before(html, marker, "href").replace("&amp;", "&")
}
