//! Putting the server together: open the database and the master key, build the router with its
//! layers (body limit, gzip, request ids, tracing), and serve until a shutdown signal.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use gatehouse_domain::{Db, Domain, MasterKey};

use crate::config::Config;
use crate::error::envelope_for_bare_errors;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Opens everything the server needs and applies pending migrations.
pub async fn open(config: Config) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create data directory {}: {e}",
            config.data_dir.display()
        )
    })?;
    let master = match &config.master_key {
        Some(hex) => MasterKey::from_hex(hex)
            .ok_or_else(|| anyhow::anyhow!("config field `master_key`: not 64 hex digits"))?,
        None => MasterKey::load_or_create(&config.data_dir.join("master.key"))?,
    };
    let db = Db::connect(config.database_url.as_deref(), &config.data_dir).await?;
    let applied = db.migrate().await?;
    tracing::info!(dialect = db.dialect(), applied, "database ready");
    let domain = Domain::new(db, master, config.domain_settings());
    Ok(AppState::new(domain, config))
}

pub fn router(state: AppState) -> Router {
    let max_body = state.config().max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .nest("/dashboard", crate::dashboard::router())
        .nest("/sync/v1", crate::sync_api::router())
        .nest(
            "/admin/v1",
            crate::admin_api::router(crate::webhooks_api::for_admins()),
        )
        .nest(
            "/api/v1",
            crate::rest_api::router(crate::webhooks_api::for_integrators()),
        )
        .fallback(|| async { crate::error::ApiError::not_found("this route") })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::map_response(envelope_for_bare_errors))
        // Fastest gzip: a first sync is ~40 MB of JSON; level 1 still shrinks it several times
        // at a fraction of the default level's CPU.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<axum::body::Body>| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db().ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": state.db().dialect()})),
        ),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({"error": {"code": "database_unavailable", "message": "the database does not answer"}}),
                ),
            )
        }
    }
}

/// Binds the configured address; port 0 picks a free one (the real address is returned).
pub async fn bind(config: &Config) -> anyhow::Result<TcpListener> {
    TcpListener::bind(config.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))
}

/// Announces the address on stdout (for scripts and tests) and in the log.
pub fn announce(listener: &TcpListener) -> anyhow::Result<String> {
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    println!("gatehouse-server listening on {url}");
    tracing::info!(%addr, "listening");
    Ok(url)
}

/// Serves until Ctrl-C or SIGTERM; live streams get a few seconds to close.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    let domain = state.domain().clone();
    let webhooks = gatehouse_domain::webhooks::worker::spawn(domain.clone());
    // The peer address reaches handlers as `ConnectInfo` (API keys' IP allow-lists).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            shutdown_signal().await;
            tracing::info!("shutting down");
            tokio::spawn(async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                std::process::exit(0);
            });
        })
        .await?;
    webhooks.stop(Duration::from_secs(3)).await;
    if let Err(e) = domain.flush_usage().await {
        tracing::warn!(error = %e, "writing API key usage at shutdown failed");
    }
    domain.db().close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
