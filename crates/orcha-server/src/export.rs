//! `orcha export`: the operator's earnings and payouts for a date range as CSV, JSON or Koinly's CSV.

use std::path::{Path, PathBuf};

use ::orcha_api::export as money_export;
use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use orcha_server::startup;

/// The file formats `--format` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per node and UTC day earned, and per payout (columns in docs/money.md).
    Csv,
    /// The same rows as a JSON array.
    Json,
    /// Koinly's simple CSV template (earned rows only, label `mining`).
    Koinly,
}

/// `YYYY-MM-DD` → that day's first instant, UTC.
pub fn day(s: &str) -> Result<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("`{s}` is not a date (YYYY-MM-DD)"))?;
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .with_context(|| format!("`{s}` has no midnight"))
}

/// Writes the export of `[from, to]` (both days included) to `out`, or stdout.
pub fn run(
    config_file: Option<PathBuf>,
    from: &str,
    to: &str,
    format: ExportFormat,
    out: Option<&Path>,
    demo: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    let (from, to) = (day(from)?, day(to)? + chrono::Duration::days(1));
    if to <= from {
        bail!("--to is before --from");
    }
    let (config, _) = startup::load_config(config_file.as_deref(), env)?;
    let data_dir = startup::data_dir(&config, env);
    // The demo keeps its own database (orcha-app demo), never mixed with real data.
    let db = if demo {
        data_dir.join("demo").join("orcha-demo.db")
    } else {
        startup::database_path(&config, &data_dir)
    };
    if !db.is_file() {
        bail!("{}: no database to export from", db.display());
    }
    let secrets = crate::db_cli::secrets(env);
    let store = orcha_app::db_key::open_store(&db, secrets.as_ref(), &data_dir)
        .with_context(|| format!("cannot open {}", db.display()))?;
    let machine = orcha_api::fleet_metrics::machine_name(&config.orchestrator.machine);
    let fiat = config.prices.fiat.to_ascii_lowercase();
    let rows = money_export::rows(&store, from, to, &fiat, &machine)
        .with_context(|| format!("reading {}", db.display()))?;
    let text = match format {
        ExportFormat::Csv => money_export::to_csv(&rows),
        ExportFormat::Json => money_export::to_json(&rows),
        ExportFormat::Koinly => money_export::to_koinly_csv(&rows),
    };
    match out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
    }
    Ok(())
}
