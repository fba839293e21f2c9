//! `orcha bench loop`: the loop benchmark from the command line, its result as one JSON line.

use std::path::PathBuf;

use anyhow::Result;
use orcha_app::loop_bench::{self, LoopBenchOptions};

/// Runs the benchmark; with `json` the last line printed is the result object alone.
pub fn run_loop(
    scenario: PathBuf,
    days: Option<u64>,
    seed: Option<u64>,
    no_ml: bool,
    work_dir: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    use std::io::Write;
    // A temporary directory unless the operator asked to keep the run.
    let scratch = tempfile::tempdir()?;
    let options = LoopBenchOptions {
        scenario,
        days,
        seed,
        no_ml,
        work_dir: work_dir.unwrap_or_else(|| scratch.path().to_owned()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(loop_bench::run(&options))?;
    let mut out = std::io::stdout().lock();
    if !json {
        writeln!(
            out,
            "{}: {:.1} days, achieved ${:.4} vs holding still ${:.4} (oracle ${:.4}, best static ${:.4}, equal split ${:.4}); capture {}; {} changes, {} probes, ML in {} of {} cycles, {:.1} s",
            result.scenario,
            result.days,
            result.achieved_usd,
            result.hold_usd,
            result.oracle_usd,
            result.best_static_usd,
            result.equal_split_usd,
            result
                .capture
                .map_or_else(|| "n/a (the oracle cannot beat holding still)".to_owned(), |c| format!("{c:.3}")),
            result.changes_applied,
            result.probes,
            result.ml_cycles,
            result.cycles,
            result.wall_s,
        )?;
    }
    writeln!(out, "{}", serde_json::to_string(&result)?)?;
    Ok(())
}
