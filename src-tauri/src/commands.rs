//! The Tauri commands of `ui/BACKEND.md`, one per function, each taking its single `args`.
//! They hand the work to the [`Station`] on the blocking pool, so SQLite never runs on the UI
//! thread, and map its answers to the wire shapes of [`crate::wire`].

use std::sync::Arc;

use gatehouse_device::station::{Station, StationError};
use tauri::{Manager, State};

use crate::error::CommandError;
use crate::wire::*;

type St<'a> = State<'a, Arc<Station>>;

/// Runs `f` on the blocking pool.
async fn blocking<T: Send + 'static>(
    station: &St<'_>,
    f: impl FnOnce(&Station) -> Result<T, StationError> + Send + 'static,
) -> Result<T, CommandError> {
    let station = Arc::clone(station.inner());
    tauri::async_runtime::spawn_blocking(move || f(&station))
        .await
        .map_err(|e| CommandError::new("internal", format!("the command did not finish: {e}")))?
        .map_err(CommandError::from)
}

#[tauri::command]
pub async fn app_state(station: St<'_>) -> Result<AppState, CommandError> {
    Ok(blocking(&station, |s| s.setup()).await?.into())
}

#[tauri::command]
pub async fn pair(
    app: tauri::AppHandle,
    station: St<'_>,
    args: PairArgs,
) -> Result<AppState, CommandError> {
    let setup = station.inner().pair(args.into()).await?;
    crate::apply_window(&app, &station.profile());
    Ok(setup.into())
}

#[tauri::command]
pub async fn select_checkpoint(
    station: St<'_>,
    args: SelectCheckpointArgs,
) -> Result<AppState, CommandError> {
    let setup = blocking(&station, move |s| {
        s.select_checkpoint(&args.checkpoint_id, args.direction.as_deref())
    })
    .await?;
    Ok(setup.into())
}

#[tauri::command]
pub async fn scan(station: St<'_>, args: ScanArgs) -> Result<ScanResult, CommandError> {
    let source = parse_source(&args.source)?;
    let scan = blocking(&station, move |s| s.scan(&args.text, source)).await?;
    Ok(ScanResult::from(&scan))
}

#[tauri::command]
pub async fn override_scan(
    station: St<'_>,
    args: OverrideArgs,
) -> Result<ScanResult, CommandError> {
    let scan = blocking(&station, move |s| {
        s.override_scan(&args.scan_id, &args.reason)
    })
    .await?;
    Ok(ScanResult::from(&scan))
}

#[tauri::command]
pub async fn search(station: St<'_>, args: SearchArgs) -> Result<Vec<SearchHit>, CommandError> {
    let hits = blocking(&station, move |s| s.search(&args.query, args.limit)).await?;
    Ok(hits.into_iter().map(SearchHit::from).collect())
}

#[tauri::command]
pub async fn recent_scans(
    station: St<'_>,
    args: LimitArgs,
) -> Result<Vec<ScanResult>, CommandError> {
    let scans = blocking(&station, move |s| Ok(s.recent_scans(args.limit))).await?;
    Ok(scans.iter().map(ScanResult::from).collect())
}

#[tauri::command]
pub async fn status(station: St<'_>) -> Result<DeviceStatus, CommandError> {
    Ok(blocking(&station, |s| s.status()).await?.into())
}

#[tauri::command]
pub async fn kiosk_find(
    station: St<'_>,
    args: KioskFindArgs,
) -> Result<Vec<SearchHit>, CommandError> {
    let hits = blocking(&station, move |s| {
        s.kiosk_find(&args.name, &args.date_of_birth)
    })
    .await?;
    Ok(hits.into_iter().map(SearchHit::from).collect())
}

#[tauri::command]
pub async fn kiosk_check_in(
    station: St<'_>,
    args: ParticipantArgs,
) -> Result<ScanResult, CommandError> {
    let scan = blocking(&station, move |s| s.kiosk_check_in(&args.participant_id)).await?;
    Ok(ScanResult::from(&scan))
}

#[tauri::command]
pub async fn queue_ticket(
    station: St<'_>,
    args: QueueTicketArgs,
) -> Result<QueueTicket, CommandError> {
    Ok(blocking(&station, move |s| s.queue_ticket(&args.desk))
        .await?
        .into())
}

#[tauri::command]
pub async fn kiosk_session_end(
    station: St<'_>,
    args: KioskSessionEndArgs,
) -> Result<(), CommandError> {
    blocking(&station, move |s| {
        s.kiosk_session_end(args.language.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn kiosk_language(station: St<'_>, args: KioskLanguageArgs) -> Result<(), CommandError> {
    blocking(&station, move |s| {
        s.kiosk_language(&args.language);
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn print_badge(
    station: St<'_>,
    args: ParticipantArgs,
) -> Result<PrintOutcome, CommandError> {
    Ok(
        blocking(&station, move |s| s.print_badge(&args.participant_id))
            .await?
            .into(),
    )
}

#[tauri::command]
pub async fn verify_admin_pin(station: St<'_>, args: PinArgs) -> Result<bool, CommandError> {
    // Argon2 takes tens of ms: off the UI thread like everything else.
    blocking(&station, move |s| s.verify_admin_pin(&args.pin)).await
}

#[tauri::command]
pub async fn exit_kiosk(app: tauri::AppHandle, station: St<'_>) -> Result<(), CommandError> {
    blocking(&station, |s| s.exit_kiosk()).await?;
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.set_fullscreen(false);
        let _ = window.set_always_on_top(false);
        let _ = window.set_decorations(true);
    }
    Ok(())
}
