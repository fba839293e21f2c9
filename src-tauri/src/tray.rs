//! The tray: a state icon, a tooltip, and a menu headed by today's earnings (Linux panels show
//! no tooltips, so the same facts are the menu's first line).

use std::sync::Arc;

use orcha_api::{ops, AppState};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};

use crate::shell::show_main;

/// The overall state the tray icon shows, worst first.
fn tray_state(state: &AppState) -> (&'static [u8], String) {
    let total = state.nodes.len();
    let lives: Vec<_> = state.nodes.iter().map(|n| n.live()).collect();
    let down = lives
        .iter()
        .filter(|l| {
            matches!(
                l.health,
                Some((orcha_core::HealthStatus::Unreachable(_), _))
            )
        })
        .count();
    let degraded = lives
        .iter()
        .filter(|l| matches!(l.health, Some((orcha_core::HealthStatus::Degraded(_), _))))
        .count();
    let ml = state.ml_status();
    let next = state
        .next_cycle_at()
        .map(|t| t.format("%H:%M UTC").to_string())
        .unwrap_or_else(|| "not scheduled".into());
    let paused = if state.paused() {
        " · automation paused"
    } else {
        ""
    };
    let (icon, summary): (&[u8], String) = if down > 0 {
        (
            include_bytes!("../../icons/tray-down.png"),
            format!("{down} of {total} nodes down"),
        )
    } else if degraded > 0 {
        (
            include_bytes!("../../icons/tray-degraded.png"),
            format!("{degraded} of {total} nodes degraded"),
        )
    } else if !ml.available {
        (
            include_bytes!("../../icons/tray-ml-down.png"),
            format!("{total} nodes; ML engine unavailable"),
        )
    } else {
        (
            include_bytes!("../../icons/tray-healthy.png"),
            format!("all {total} nodes healthy"),
        )
    };
    (icon, format!("{summary} · next cycle {next}{paused}"))
}

/// The tray menu's first line (disabled): today's earnings, node health and the next cycle.
struct TrayInfo(MenuItem<tauri::Wry>);

/// "Today: 1.23 USD" over all nodes, or why there is no fiat figure.
pub async fn today_line(state: &Arc<AppState>) -> String {
    let totals = match ops::earnings_totals(state).await {
        Ok(t) => t,
        Err(e) => return format!("Today: unknown ({})", e.message),
    };
    let Some(today) = totals.overall.iter().find(|w| w.window == "today") else {
        return "Today: not enough readings yet".to_owned();
    };
    let fiat = totals.fiat.to_uppercase();
    let unpriced = if today.unpriced.is_empty() {
        String::new()
    } else {
        " + unpriced tokens".to_owned()
    };
    match &today.fiat.value {
        Some(v) => format!("Today: {} {fiat}{unpriced}", two_places(v)),
        None if today.amounts.is_empty() => "Today: not enough readings yet".to_owned(),
        None => format!("Today: no {fiat} price for what was earned"),
    }
}

/// An exact decimal string cut to two places for the tray (the dashboard shows it exactly).
fn two_places(v: &str) -> String {
    match v.split_once('.') {
        Some((int, frac)) => format!("{int}.{:0<2}", &frac[..frac.len().min(2)]),
        None => format!("{v}.00"),
    }
}

/// Shows the nodes' state and `today` (see [`today_line`]) in the icon, tooltip and menu.
pub fn refresh(app: &AppHandle, state: &AppState, today: &str) {
    let (icon, summary) = tray_state(state);
    if let Some(tray) = app.tray_by_id("main") {
        if let Ok(img) = Image::from_bytes(icon) {
            let _ = tray.set_icon(Some(img));
        }
        let _ = tray.set_tooltip(Some(format!("{today} · {summary}")));
    }
    // Linux panels show no tooltips (StatusNotifierItem through libayatana has none),
    // so the same facts head the tray menu.
    if let Some(info) = app.try_state::<TrayInfo>() {
        let _ = info.0.set_text(format!("{today} · {summary}"));
    }
}

pub fn build_tray(app: &AppHandle) -> tauri::Result<()> {
    let info = MenuItem::with_id(app, "info", "DePIN Orcha — starting", false, None::<&str>)?;
    let top = PredefinedMenuItem::separator(app)?;
    app.manage(TrayInfo(info.clone()));
    let open = MenuItem::with_id(app, "open", "Open dashboard", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause automation", true, None::<&str>)?;
    let cycle = MenuItem::with_id(app, "cycle", "Run a cycle now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit DePIN Orcha", true, None::<&str>)?;
    let sep = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&info, &top, &open, &pause, &cycle, &sep, &quit])?;
    let pause_item = pause.clone();
    TrayIconBuilder::with_id("main")
        .icon(Image::from_bytes(include_bytes!("../../icons/tray-ml-down.png"))?)
        .tooltip("DePIN Orcha — starting")
        .menu(&menu)
        .on_menu_event(move |app, ev| {
            let state = app.state::<Arc<AppState>>().inner().clone();
            match ev.id.as_ref() {
                "open" => show_main(app),
                "pause" => {
                    let paused = !state.paused();
                    let _ = pause_item.set_text(if paused { "Resume automation" } else { "Pause automation" });
                    tauri::async_runtime::spawn(async move {
                        if let Err(e) = ops::set_paused(&state, orcha_api::dto::PauseRequest { paused }, orcha_api::Actor::Desktop).await {
                            tracing::error!(error = %e.message, "Could not change automation from the tray.");
                        }
                    });
                }
                "cycle" => state.cycle_now.notify_one(),
                "quit" => app.exit(0),
                _ => {}
            }
        })
        .build(app)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tray_shows_money_to_two_places_without_rounding_up() {
        assert_eq!(two_places("1.23456"), "1.23");
        assert_eq!(two_places("1.5"), "1.50");
        assert_eq!(two_places("7"), "7.00");
        assert_eq!(two_places("0.009"), "0.00");
    }
}
