//! Building pages: escaping (every value that reaches HTML goes through [`esc`]), the shared page
//! frame with its navigation, error pages, times as people read them, and inline SVG (the
//! occupancy bars, the entries chart, QR codes).

use std::fmt::Write as _;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use gatehouse_domain::{DbError, DomainError, ErrorKind};

use crate::error::ApiError;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Encodes a query-string value.
pub fn url_enc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Content Security Policy: scripts and styles only from this server (no inline script), so an
/// escaping slip cannot run code.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   frame-ancestors 'none'; form-action 'self'";

/// A rendered HTML page with the dashboard's security headers.
pub struct Html {
    pub status: StatusCode,
    pub body: String,
}

impl Html {
    pub fn ok(body: String) -> Self {
        Html {
            status: StatusCode::OK,
            body,
        }
    }
}

impl IntoResponse for Html {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.body).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        res
    }
}

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Devices,
    AccessLog,
    Participants,
    Layout,
    Webhooks,
    ApiKeys,
    Kiosks,
    None,
}

/// What the frame around a page needs to know.
pub struct Frame<'a> {
    pub title: &'a str,
    /// The event the navigation links point into.
    pub event: Option<(&'a str, &'a str)>,
    pub nav: Nav,
    /// Signed-in email and the form token for the logout button.
    pub user: Option<(&'a str, &'a str)>,
}

/// Wraps `content` in the page frame.
pub fn page(frame: &Frame<'_>, content: &str) -> String {
    let mut nav = String::new();
    if let Some((id, name)) = frame.event {
        let link = |nav: &mut String, which: Nav, path: &str, label: &str| {
            let current = if which == frame.nav {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(
                nav,
                "<a href=\"/dashboard/events/{}{path}\"{current}>{label}</a>",
                esc(id)
            );
        };
        let _ = write!(nav, "<span class=\"event-name\">{}</span>", esc(name));
        link(&mut nav, Nav::Overview, "", "Overview");
        link(&mut nav, Nav::Devices, "/devices", "Devices");
        link(&mut nav, Nav::AccessLog, "/access-log", "Access log");
        link(&mut nav, Nav::Participants, "/participants", "Participants");
        link(&mut nav, Nav::Layout, "/layout", "Checkpoints &amp; zones");
    }
    if frame.user.is_some() {
        for (which, path, label) in [
            (Nav::Webhooks, "/dashboard/webhooks", "Webhooks"),
            (Nav::ApiKeys, "/dashboard/api-keys", "API keys"),
            (Nav::Kiosks, "/dashboard/kiosks", "Kiosks"),
        ] {
            let current = if frame.nav == which {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(nav, "<a href=\"{path}\"{current}>{label}</a>");
        }
    }
    let user = match frame.user {
        Some((email, csrf)) => format!(
            "<form method=\"post\" action=\"/dashboard/logout\" class=\"logout\">\
             <span class=\"who\">{}</span>{}<button type=\"submit\">Sign out</button></form>",
            esc(email),
            csrf_field(csrf)
        ),
        None => String::new(),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Gatehouse</title>\
         <link rel=\"stylesheet\" href=\"/dashboard/assets/dashboard.css\">\
         <script src=\"/dashboard/assets/live.js\" defer></script></head>\
         <body><header class=\"top\"><a class=\"brand\" href=\"/dashboard\">Gatehouse</a>\
         <nav>{nav}</nav>{user}</header><main><h1>{title}</h1>{content}</main></body></html>",
        title = esc(frame.title),
    )
}

/// The hidden form field that carries the CSRF token.
pub fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

/// A page that says what went wrong and what to do; never a blank status.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, title: &str, message: impl Into<String>) -> Self {
        PageError {
            status,
            title: title.to_string(),
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("{what} was not found. It may have been removed, or the link is wrong."),
        )
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Please check the form", message)
    }
}

impl From<DbError> for PageError {
    fn from(e: DbError) -> Self {
        tracing::error!(error = %e, "dashboard query failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server could not read its database",
            "Try again in a moment. If this persists, check the server's log.",
        )
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        Self::new(e.status, "Something went wrong", e.message)
    }
}

/// A domain refusal as a page: its sentence, under a title that says what kind it is.
impl From<DomainError> for PageError {
    fn from(e: DomainError) -> Self {
        let title = match e.kind {
            ErrorKind::BadRequest | ErrorKind::Invalid => "Please check the form",
            ErrorKind::NotFound => "Not found",
            ErrorKind::Conflict => "Not possible now",
            ErrorKind::Forbidden | ErrorKind::Unauthenticated => "Not allowed",
            _ => "Something went wrong",
        };
        let status = match e.kind {
            // A form's refusal is a 400 page, as the dashboard's own checks answer.
            ErrorKind::Invalid => StatusCode::BAD_REQUEST,
            kind => crate::error::status_of(kind),
        };
        Self::new(status, title, e.message)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let content = format!(
            "<section class=\"error-page\"><p class=\"status\">Error {}</p><p>{}</p>\
             <p><a href=\"/dashboard\">Back to the dashboard</a></p></section>",
            self.status.as_u16(),
            esc(&self.message)
        );
        let frame = Frame {
            title: &self.title,
            event: None,
            nav: Nav::None,
            user: None,
        };
        Html {
            status: self.status,
            body: page(&frame, &content),
        }
        .into_response()
    }
}

pub type PageResult<T> = Result<T, PageError>;

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-12-01 19:05:03` (UTC).
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// `2026-12-01T19:05`, the value an `<input type="datetime-local">` shows.
pub fn utc_input(ms: i64) -> String {
    let t = utc(ms);
    format!("{}T{}", &t[..10], &t[11..16])
}

/// Reads `YYYY-MM-DDTHH:MM[:SS]` (or with a space) as UTC; `None` if malformed.
pub fn parse_utc(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = (text.get(..10)?, text.get(11..)?);
    if time.len() < 5 {
        return None;
    }
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let mo: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mut t = time.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let mi: i64 = t.next()?.parse().ok()?;
    let s: i64 = t.next().map(|s| s.parse().ok()).unwrap_or(Some(0))?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some(((days_from_civil(y, mo, day) * 86_400) + h * 3600 + mi * 60 + s) * 1000)
}

/// `42 s ago`, `3 min ago`, `2 h ago`; `never` for none.
pub fn ago(then: Option<i64>, now: i64) -> String {
    let Some(then) = then else {
        return "never".into();
    };
    let s = ((now - then) / 1000).max(0);
    match s {
        0..=89 => format!("{s} s ago"),
        90..=5399 => format!("{} min ago", s / 60),
        _ => format!("{} h ago", s / 3600),
    }
}

/// How full a zone is, as the dashboard colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Under 75 % (or no capacity set).
    Green,
    /// 75 % to 90 %.
    Amber,
    /// Over 90 %.
    Red,
}

impl Fill {
    pub fn of(inside: i64, capacity: Option<u32>) -> Fill {
        let Some(cap) = capacity.filter(|c| *c > 0) else {
            return Fill::Green;
        };
        let ratio = inside as f64 / f64::from(cap);
        if ratio > 0.9 {
            Fill::Red
        } else if ratio >= 0.75 {
            Fill::Amber
        } else {
            Fill::Green
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Fill::Green => "fill-green",
            Fill::Amber => "fill-amber",
            Fill::Red => "fill-red",
        }
    }
}

/// A QR code as inline SVG (without the XML declaration), or a note if the text cannot be coded.
pub fn qr_svg(text: &str, label: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(220, 220)
                .build();
            let svg = match svg.find("<svg") {
                Some(i) => &svg[i..],
                None => &svg,
            };
            svg.replacen(
                "<svg ",
                &format!(
                    "<svg role=\"img\" aria-label=\"{}\" class=\"qr\" ",
                    esc(label)
                ),
                1,
            )
        }
        Err(_) => "<p class=\"empty\">This text is too long for a QR code.</p>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup() {
        assert_eq!(
            esc("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn utc_times_round_trip_through_the_form_format() {
        let ms = 1_764_615_903_000; // 2025-12-01 19:05:03
        assert_eq!(utc(ms), "2025-12-01 19:05:03");
        assert_eq!(parse_utc("2025-12-01T19:05:03"), Some(ms));
        assert_eq!(parse_utc(&utc_input(ms)), Some(ms - 3_000));
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(parse_utc("2024-02-29T00:00"), Some(1_709_164_800_000));
        assert_eq!(parse_utc("yesterday"), None);
        assert_eq!(parse_utc("2024-13-01T00:00"), None);
        assert_eq!(
            parse_utc("2024-01-01éT00:00"),
            None,
            "no panic on odd input"
        );
        assert_eq!(parse_utc("2024-01-01T0"), None);
    }

    #[test]
    fn zones_are_coloured_by_how_full_they_are() {
        assert_eq!(Fill::of(74, Some(100)), Fill::Green);
        assert_eq!(Fill::of(75, Some(100)), Fill::Amber);
        assert_eq!(Fill::of(90, Some(100)), Fill::Amber);
        assert_eq!(Fill::of(91, Some(100)), Fill::Red);
        assert_eq!(Fill::of(5000, None), Fill::Green);
    }
}
