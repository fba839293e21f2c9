//! `orcha backfill`: reads the nodes' own money records (payouts, earned periods) into the store.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use orcha_api::payouts::{self, NodeScanned};
use orcha_core::secret::SecretStore;
use orcha_core::NodeId;
use orcha_server::startup;

/// One node's read can take long: Storj's payout endpoints take ~30 s on real nodes (as at start).
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// How the progress is shown: a bar on a terminal, else one plain line per node on stderr.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines,
}

impl Progress {
    fn new(total: u64, json: bool) -> Progress {
        if json || !std::io::stderr().is_terminal() {
            return Progress::Lines;
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {bar:30} {pos}/{len} nodes read  {msg}",
        ) {
            bar.set_style(style);
        }
        // One node's read can take half a minute (Storj's payout endpoints): keep it moving.
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress::Bar(bar)
    }

    fn step(&self, s: &NodeScanned) {
        let line = format!(
            "{}/{} {}: {} payouts, {} earned periods added{}",
            s.done,
            s.total,
            s.node,
            s.payouts_added,
            s.periods_added,
            if s.gaps.is_empty() {
                String::new()
            } else {
                format!(" ({} gap(s))", s.gaps.len())
            }
        );
        match self {
            Progress::Bar(bar) => {
                bar.set_position(u64::from(s.done));
                bar.set_message(line);
            }
            Progress::Lines => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Runs the scan the app runs at start, for every enabled node or `only` that one, and prints
/// what was added and what each node could not provide (as JSON with `json`).
pub async fn run(
    config_file: Option<PathBuf>,
    only: Option<&str>,
    json: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    let (config, _) = startup::load_config(config_file.as_deref(), env)?;
    let only: Option<NodeId> = only
        .map(|s| s.parse().with_context(|| format!("--node `{s}`")))
        .transpose()?;
    // Bounded: a keyring that does not answer must not hang the command.
    let secrets: Arc<dyn SecretStore> = Arc::new(orcha_server::token::os_keyring());
    let assembly = startup::assemble(config, secrets, env, startup::system_clock(), false)?;
    let state = assembly.state;
    if let Some(id) = &only {
        if !state.nodes.iter().any(|n| &n.config.id == id) {
            let known: Vec<String> = state
                .nodes
                .iter()
                .map(|n| n.config.id.to_string())
                .collect();
            bail!(
                "--node {id}: no such enabled node (configured: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
    }
    let total = if only.is_some() { 1 } else { state.nodes.len() };
    let bar = Progress::new(u64::try_from(total).unwrap_or(u64::MAX), json);
    let mut steps = Vec::new();
    let scan = payouts::scan_nodes(&state, only.as_ref(), READ_TIMEOUT, &mut |s| {
        bar.step(s);
        steps.push(s.clone());
    })
    .await;
    bar.finish();
    let text = if json {
        summary_json(&steps, &scan)
    } else {
        summary_text(&steps, &scan)
    };
    use std::io::Write;
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("cannot write to standard output")?;
    Ok(())
}

fn summary_json(steps: &[NodeScanned], scan: &payouts::PayoutScan) -> String {
    let nodes: Vec<serde_json::Value> = steps
        .iter()
        .map(|s| {
            serde_json::json!({
                "node": s.node.to_string(),
                "payouts_added": s.payouts_added,
                "periods_added": s.periods_added,
                "gaps": s.gaps,
            })
        })
        .collect();
    let v = serde_json::json!({
        "nodes": nodes,
        "payouts_added": scan.added.len(),
        "periods_added": scan.periods_added,
    });
    format!("{v}\n")
}

fn summary_text(steps: &[NodeScanned], scan: &payouts::PayoutScan) -> String {
    let mut out = format!(
        "Added {} payout events and {} earned periods from {} node(s).\n",
        scan.added.len(),
        scan.periods_added,
        steps.len()
    );
    for s in steps {
        out.push_str(&format!(
            "  {}: {} payouts, {} earned periods added\n",
            s.node, s.payouts_added, s.periods_added
        ));
        for gap in &s.gaps {
            out.push_str(&format!("    could not provide: {gap}\n"));
        }
    }
    out
}
