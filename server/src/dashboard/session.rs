//! Signing in and out of the dashboard, and the two extractors every page goes through:
//! [`DashboardUser`] (a live session from the `gatehouse_session` cookie, or a redirect to the
//! login page) and [`CsrfForm`] (a POSTed form whose `csrf` field matches the session).
//!
//! The session is the admin API's own (same table, same cookie name): HttpOnly, SameSite=Strict.
//! The CSRF token is derived from the session token (SHA-256 under a fixed label), so it needs no
//! storage and dies with the session. The login form, which has no session yet, uses a
//! double-submit cookie instead.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{COOKIE, RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::html::{csrf_field, esc, page, Frame, Html, Nav, PageError, PageResult};
use gatehouse_domain::crypto::{digest, new_token};
use gatehouse_domain::sessions::{self, SignIn};
use gatehouse_domain::{DomainResult, Permission};

use crate::auth::{AdminCaller, SESSION_COOKIE};
use crate::extract::ClientAddress;
use crate::state::AppState;

/// The double-submit cookie of the login form.
const LOGIN_COOKIE: &str = "gatehouse_login";
/// Largest form body the dashboard reads.
const MAX_FORM_BYTES: usize = 64 * 1024;

fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn csrf_for(session_token: &str) -> String {
    digest(&format!("gatehouse-dashboard-csrf:{session_token}"))
}

/// A signed-in admin looking at the dashboard.
#[derive(Debug, Clone)]
pub struct DashboardUser {
    pub caller: AdminCaller,
    /// The token every form of this session must send back.
    pub csrf: String,
}

impl DashboardUser {
    pub fn can(&self, permission: Permission) -> bool {
        self.caller.permissions.contains(&permission)
    }

    /// A clear page, not a blank 403, when the user lacks `permission` for `action`.
    pub fn require(&self, permission: Permission, action: &str) -> PageResult<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "Not allowed",
                format!(
                    "Your account ({}) may not {action}: that needs the permission \
                     {permission}. Ask an administrator of your organisation to grant it.",
                    self.caller.email
                ),
            ))
        }
    }

    /// Whether this session is still live (a stream re-checks it: signing out ends it).
    pub async fn still_signed_in(&self, state: &AppState) -> DomainResult<bool> {
        Ok(
            sessions::user_of_digest(state.domain(), &self.caller.session_digest)
                .await?
                .is_some(),
        )
    }

    /// The frame of a page this user sees.
    pub fn frame<'a>(
        &'a self,
        title: &'a str,
        event: Option<(&'a str, &'a str)>,
        nav: Nav,
    ) -> Frame<'a> {
        Frame {
            title,
            event,
            nav,
            user: Some((&self.caller.email, &self.csrf)),
        }
    }
}

impl FromRequestParts<AppState> for DashboardUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || Redirect::to("/dashboard/login").into_response();
        let Some(token) = cookie(parts, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let user = sessions::user_of(state.domain(), token)
            .await
            .map_err(|e| PageError::from(e).into_response())?
            .ok_or_else(to_login)?;
        Ok(DashboardUser {
            csrf: csrf_for(token),
            caller: AdminCaller::of_session(user, token),
        })
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: Option<String>,
}

/// A form POSTed by a signed-in user, with its CSRF token checked before the handler runs.
pub struct CsrfForm<T>(pub DashboardUser, pub T);

fn stale_form() -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "Form expired",
        "This form did not come from your current dashboard session (its security token is \
         missing or old). Reload the page and submit it again.",
    )
}

async fn read_form(req: Request) -> Result<Vec<u8>, PageError> {
    axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| PageError::bad_input("The form could not be read (is it too large?)."))
}

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let user = DashboardUser::from_request_parts(&mut parts, state).await?;
        let bytes = read_form(Request::from_parts(parts, body))
            .await
            .map_err(IntoResponse::into_response)?;
        let sent: CsrfOnly =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| stale_form().into_response())?;
        if !sent
            .csrf
            .is_some_and(|c| crypto_eq(c.as_bytes(), user.csrf.as_bytes()))
        {
            return Err(stale_form().into_response());
        }
        let form: T = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            PageError::bad_input(format!("The form is incomplete or malformed: {e}."))
                .into_response()
        })?;
        Ok(CsrfForm(user, form))
    }
}

/// Compares secrets in time that does not depend on where they differ.
fn crypto_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn login_page(csrf: &str, email: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"form-error\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    let content = format!(
        "<form method=\"post\" action=\"/dashboard/login\" class=\"login card\">{error}{csrf}\
         <label>Email <input type=\"email\" name=\"email\" value=\"{email}\" required autofocus \
         autocomplete=\"username\"></label>\
         <label>Password <input type=\"password\" name=\"password\" required \
         autocomplete=\"current-password\"></label>\
         <button type=\"submit\">Sign in</button>\
         <p class=\"hint\">The demo (<code>gatehouse-server demo</code>) signs in as \
         <code>admin@demo.gatehouse.test</code> or the read-only \
         <code>viewer@demo.gatehouse.test</code>, password <code>gatehouse-demo</code>.</p></form>",
        csrf = csrf_field(csrf),
        email = esc(email),
    );
    page(
        &Frame {
            title: "Sign in",
            event: None,
            nav: Nav::None,
            user: None,
        },
        &content,
    )
}

fn login_response(status: StatusCode, email: &str, error: Option<&str>) -> Response {
    let token = new_token("");
    let cookie = format!("{LOGIN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/dashboard");
    let mut res = Html {
        status,
        body: login_page(&token, email, error),
    }
    .into_response();
    if let Ok(v) = cookie.parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

pub async fn login_form() -> Response {
    login_response(StatusCode::OK, "", None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: Option<String>,
}

pub async fn login(State(state): State<AppState>, req: Request) -> Result<Response, PageError> {
    let (parts, body) = req.into_parts();
    let ClientAddress(client) = ClientAddress::of(&parts);
    let expected = cookie(&parts, LOGIN_COOKIE).map(str::to_string);
    let bytes = read_form(Request::from_parts(parts, body)).await?;
    let form: LoginForm = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| PageError::bad_input("Enter an email and a password."))?;
    let fresh = match (&expected, &form.csrf) {
        (Some(e), Some(sent)) => crypto_eq(e.as_bytes(), sent.as_bytes()),
        _ => false,
    };
    if !fresh {
        return Ok(login_response(
            StatusCode::FORBIDDEN,
            &form.email,
            Some("The sign-in form expired. Please sign in again."),
        ));
    }
    let session =
        match sessions::sign_in(state.domain(), &form.email, &form.password, client).await? {
            SignIn::SignedIn(session) => session,
            SignIn::Refused => {
                return Ok(login_response(
                    StatusCode::UNAUTHORIZED,
                    &form.email,
                    Some("Wrong email or password."),
                ))
            }
            SignIn::Throttled {
                retry_after_seconds,
            } => {
                let sentence = format!(
                    "Too many failed sign-ins for this account or from this address. Try again in \
                 {}.",
                    SignIn::wait_in_words(retry_after_seconds)
                );
                let mut res =
                    login_response(StatusCode::TOO_MANY_REQUESTS, &form.email, Some(&sentence));
                res.headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(retry_after_seconds));
                return Ok(res);
            }
        };
    let session = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        session.token,
        state.config().session_ttl_hours * 3600
    );
    let spent = format!("{LOGIN_COOKIE}=; HttpOnly; SameSite=Strict; Path=/dashboard; Max-Age=0");
    let mut res = Redirect::to("/dashboard").into_response();
    for c in [session, spent] {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(state): State<AppState>,
    CsrfForm(user, Empty {}): CsrfForm<Empty>,
) -> PageResult<Response> {
    sessions::sign_out(
        state.domain(),
        user.caller.tenant_id,
        &user.caller.session_digest,
    )
    .await?;
    let mut res = Redirect::to("/dashboard/login").into_response();
    let gone = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    if let Ok(v) = gone.parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    Ok(res)
}
