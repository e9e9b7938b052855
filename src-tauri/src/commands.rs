//! The Tauri commands of `ui/BACKEND.md`, one per function, each taking its single `args`.
//! They hand the work to [`Runtime`] on the blocking pool, so SQLite never runs on the UI thread.

use std::sync::Arc;

use tauri::{Manager, State};

use crate::error::CommandError;
use crate::runtime::{Runtime, Source};
use crate::wire::*;

type Rt<'a> = State<'a, Arc<Runtime>>;

/// Runs `f` on the blocking pool.
async fn blocking<T: Send + 'static>(
    rt: &Rt<'_>,
    f: impl FnOnce(&Runtime) -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    let rt = Arc::clone(rt.inner());
    tauri::async_runtime::spawn_blocking(move || f(&rt))
        .await
        .map_err(|e| CommandError::new("internal", format!("the command did not finish: {e}")))?
}

#[tauri::command]
pub async fn app_state(rt: Rt<'_>) -> Result<AppState, CommandError> {
    blocking(&rt, |rt| rt.app_state()).await
}

#[tauri::command]
pub async fn pair(
    app: tauri::AppHandle,
    rt: Rt<'_>,
    args: PairArgs,
) -> Result<AppState, CommandError> {
    let state = rt.inner().pair(args).await?;
    crate::apply_window(&app, &rt.profile());
    Ok(state)
}

#[tauri::command]
pub async fn select_checkpoint(
    rt: Rt<'_>,
    args: SelectCheckpointArgs,
) -> Result<AppState, CommandError> {
    blocking(&rt, move |rt| rt.select_checkpoint(args)).await
}

#[tauri::command]
pub async fn scan(rt: Rt<'_>, args: ScanArgs) -> Result<ScanResult, CommandError> {
    let source = Source::parse(&args.source)?;
    blocking(&rt, move |rt| rt.scan(&args.text, source)).await
}

#[tauri::command]
pub async fn override_scan(rt: Rt<'_>, args: OverrideArgs) -> Result<ScanResult, CommandError> {
    blocking(&rt, move |rt| rt.override_scan(args)).await
}

#[tauri::command]
pub async fn search(rt: Rt<'_>, args: SearchArgs) -> Result<Vec<SearchHit>, CommandError> {
    blocking(&rt, move |rt| rt.search(&args.query, args.limit)).await
}

#[tauri::command]
pub async fn recent_scans(rt: Rt<'_>, args: LimitArgs) -> Result<Vec<ScanResult>, CommandError> {
    blocking(&rt, move |rt| Ok(rt.recent_scans(args.limit))).await
}

#[tauri::command]
pub async fn status(rt: Rt<'_>) -> Result<DeviceStatus, CommandError> {
    blocking(&rt, |rt| rt.status()).await
}

#[tauri::command]
pub async fn kiosk_find(rt: Rt<'_>, args: KioskFindArgs) -> Result<Vec<SearchHit>, CommandError> {
    blocking(&rt, move |rt| rt.kiosk_find(&args)).await
}

#[tauri::command]
pub async fn kiosk_check_in(rt: Rt<'_>, args: ParticipantArgs) -> Result<ScanResult, CommandError> {
    blocking(&rt, move |rt| rt.kiosk_check_in(&args.participant_id)).await
}

#[tauri::command]
pub async fn queue_ticket(rt: Rt<'_>, args: QueueTicketArgs) -> Result<QueueTicket, CommandError> {
    blocking(&rt, move |rt| rt.queue_ticket(&args.desk)).await
}

#[tauri::command]
pub async fn kiosk_session_end(rt: Rt<'_>, args: KioskSessionEndArgs) -> Result<(), CommandError> {
    blocking(&rt, move |rt| {
        rt.kiosk_session_end(args.language.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn kiosk_language(rt: Rt<'_>, args: KioskLanguageArgs) -> Result<(), CommandError> {
    blocking(&rt, move |rt| {
        rt.kiosk_language(&args.language);
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn print_badge(rt: Rt<'_>, args: ParticipantArgs) -> Result<PrintOutcome, CommandError> {
    blocking(&rt, move |rt| rt.print_badge(&args.participant_id)).await
}

#[tauri::command]
pub async fn verify_admin_pin(rt: Rt<'_>, args: PinArgs) -> Result<bool, CommandError> {
    // Argon2 takes tens of ms: off the UI thread like everything else.
    blocking(&rt, move |rt| rt.verify_admin_pin(&args.pin)).await
}

#[tauri::command]
pub async fn exit_kiosk(app: tauri::AppHandle, rt: Rt<'_>) -> Result<(), CommandError> {
    blocking(&rt, |rt| rt.exit_kiosk()).await?;
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.set_fullscreen(false);
        let _ = window.set_always_on_top(false);
        let _ = window.set_decorations(true);
    }
    Ok(())
}
