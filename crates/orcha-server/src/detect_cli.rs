//! `orcha detect`: finds the nodes on this machine and proposes a config. Nothing is saved and
//! no secret is read unless the operator says so (`--write`, `--app-key`, or yes at a prompt).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use orcha_api::dto::DetectionDto;
use orcha_api::ops::detect::{detection_dto, enabled_protocols};
use orcha_core::config::Config;
use orcha_core::secret::{SecretKey, SecretStore};
use orcha_core::ProtocolId;
use orcha_usage::{DetectOptions, Detection};

#[derive(clap::Args, Debug, Default)]
pub struct DetectArgs {
    /// Print the proposal as JSON (no prompts).
    #[arg(long)]
    pub json: bool,
    /// Save the proposal into the config file without asking.
    #[arg(long)]
    pub write: bool,
    /// Read the yagna app key with `yagna app-key list --json` (it grants full control of the
    /// node; with --write it is stored in the keyring, never printed).
    #[arg(long)]
    pub app_key: bool,
    /// Try this port instead of a protocol's defaults, e.g. `--port storj=14012` (repeatable).
    #[arg(long = "port", value_name = "PROTOCOL=PORT")]
    pub ports: Vec<String>,
    /// Do not ask the Docker Engine.
    #[arg(long)]
    pub no_docker: bool,
    /// Do not ask systemd.
    #[arg(long)]
    pub no_systemd: bool,
}

/// `storj=14012` → (Storj, 14012).
pub fn parse_port(s: &str) -> Result<(ProtocolId, u16)> {
    let (p, port) = s
        .split_once('=')
        .with_context(|| format!("--port {s:?}: write it as PROTOCOL=PORT, e.g. storj=14002"))?;
    let protocol: ProtocolId = p
        .trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("--port {s:?}: {e}"))?;
    let port: u16 = port
        .trim()
        .parse()
        .with_context(|| format!("--port {s:?}: {port:?} is not a port number"))?;
    Ok((protocol, port))
}

fn options(args: &DetectArgs, read_app_key: bool) -> Result<DetectOptions> {
    let mut o = DetectOptions::default();
    if !args.ports.is_empty() {
        o.ports = args
            .ports
            .iter()
            .map(|s| parse_port(s))
            .collect::<Result<_>>()?;
    }
    if args.no_docker {
        o.docker = None;
    }
    o.systemd = !args.no_systemd;
    o.read_yagna_app_key = read_app_key;
    if let Some(bin) = std::env::var_os("ORCHA_YAGNA_BIN") {
        o.yagna = bin.into();
    }
    Ok(o)
}

fn ask(question: &str) -> Result<bool> {
    let mut err = std::io::stderr().lock();
    write!(err, "{question} [y/N] ")?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// Runs detection, prints the proposal and saves it when the operator agrees.
pub fn run(
    args: DetectArgs,
    config: &Config,
    config_path: &Path,
    keyring: &dyn SecretStore,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let interactive = !args.json && std::io::stdin().is_terminal();
    let mut d = runtime.block_on(orcha_usage::detect(&options(&args, args.app_key)?));
    let has_golem = d.proposals.iter().any(|p| p.protocol == ProtocolId::Golem);
    if !args.app_key && interactive && has_golem && ask("A Golem node was found. Read its app key with `yagna app-key list --json`? It grants full control of the node.")? {
        d = runtime.block_on(orcha_usage::detect(&options(&args, true)?));
    }
    let configured: Vec<(String, String)> = config
        .nodes()
        .iter()
        .map(|n| (n.id.to_string(), n.api_endpoint.clone()))
        .collect();
    let dto = detection_dto(&d, &configured, &enabled_protocols(config));
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&dto)?)?;
    } else {
        print_human(&mut out, &dto, &d)?;
    }
    drop(out);
    let new: usize = dto.nodes.iter().filter(|n| !n.already_configured).count();
    let write = new > 0
        && (args.write
            || (interactive && ask(&format!("Save {new} node(s) to {}?", config_path.display()))?));
    if write {
        save(config_path, &dto.config_toml)?;
        let stored = store_app_keys(&d, keyring)?;
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "saved to {}; restart Orcha to poll the new nodes",
            config_path.display()
        )?;
        for key in stored {
            writeln!(err, "{key}: stored in the keyring")?;
        }
    }
    Ok(())
}

fn print_human(out: &mut impl Write, dto: &DetectionDto, d: &Detection) -> Result<()> {
    if dto.nodes.is_empty() {
        writeln!(out, "No node found on this machine.")?;
    }
    for n in &dto.nodes {
        writeln!(
            out,
            "{}{}  {}",
            n.id,
            if n.already_configured {
                " (already configured)"
            } else {
                ""
            },
            n.endpoint.as_deref().unwrap_or("(no API found)")
        )?;
        if let Some(t) = &n.target {
            writeln!(out, "  measured as: {t}")?;
        }
        for e in &n.evidence {
            writeln!(out, "  - {e}")?;
        }
        if let Some(h) = &n.credential_hint {
            if !d
                .proposals
                .iter()
                .any(|p| p.app_key.is_some() && p.name == n.name)
            {
                writeln!(out, "  credential: {h}")?;
            }
        }
    }
    for note in &dto.notes {
        writeln!(out, "note: {note}")?;
    }
    if dto.nodes.iter().any(|n| !n.already_configured) {
        writeln!(out, "\nProposed config:\n\n{}", dto.config_toml)?;
    }
    Ok(())
}

/// Merges the proposal into the config file (tables merged, `[[…]]` entries appended), checks
/// the result with the real parser, and replaces the file atomically (0600 when new).
pub fn save(path: &Path, proposal: &str) -> Result<()> {
    let current = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut doc: toml_edit::DocumentMut = current
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let add: toml_edit::DocumentMut = proposal.parse().context("the proposal is not valid TOML")?;
    merge(doc.as_table_mut(), add.as_table());
    let text = doc.to_string();
    Config::from_toml(&text, path).with_context(|| {
        format!(
            "the merged config for {} does not check out; nothing was written",
            path.display()
        )
    })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    orcha_core::atomic_file::write_atomically(path, text.as_bytes(), 0o600)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn merge(into: &mut toml_edit::Table, add: &toml_edit::Table) {
    for (key, item) in add.iter() {
        match (into.get_mut(key), item) {
            (Some(toml_edit::Item::Table(t)), toml_edit::Item::Table(a)) => merge(t, a),
            (Some(toml_edit::Item::ArrayOfTables(t)), toml_edit::Item::ArrayOfTables(a)) => {
                for entry in a.iter() {
                    t.push(entry.clone());
                }
            }
            (
                Some(toml_edit::Item::Value(toml_edit::Value::InlineTable(t))),
                toml_edit::Item::Table(a),
            ) => {
                // `nodes = {}` in the defaults is an inline table: a table now.
                let mut table = t.clone().into_table();
                merge(&mut table, a);
                into.insert(key, toml_edit::Item::Table(table));
            }
            _ => {
                into.insert(key, item.clone());
            }
        }
    }
}

/// Stores every app key read (with the operator's consent) as `golem:<name>/app_key`.
fn store_app_keys(d: &Detection, keyring: &dyn SecretStore) -> Result<Vec<String>> {
    let mut stored = vec![];
    for p in &d.proposals {
        if let Some(key) = &p.app_key {
            let k = format!("{}:{}/app_key", p.protocol.as_str(), p.name);
            keyring
                .set(&SecretKey(k.clone()), key.clone())
                .with_context(|| format!("cannot store {k}"))?;
            stored.push(k);
        }
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_and_errors_name_the_flag() {
        assert_eq!(
            parse_port("storj=14012").unwrap(),
            (ProtocolId::Storj, 14012)
        );
        assert!(parse_port("storj")
            .unwrap_err()
            .to_string()
            .contains("PROTOCOL=PORT"));
        assert!(parse_port("storj=99999").is_err());
        assert!(parse_port("bitcoin=1").is_err());
    }

    #[test]
    fn saving_merges_into_the_existing_file_and_keeps_its_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\n[protocols.golem]\nenabled = true\napi_endpoint = \"http://127.0.0.1:7465\"\n",
        )
        .unwrap();
        save(
            &path,
            "[protocols.storj]\nenabled = true\nname = \"storj\"\napi_endpoint = \"http://127.0.0.1:14002\"\n[[protocols.golem.nodes]]\nname = \"golem-2\"\napi_endpoint = \"http://127.0.0.1:7466\"\n[usage.nodes.\"storj:storj\"]\nunit = \"storagenode.service\"\n",
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mine\n"), "{text}");
        let c = Config::from_toml(&text, &path).unwrap();
        let ids: Vec<String> = c.nodes().iter().map(|n| n.id.to_string()).collect();
        assert_eq!(ids, ["storj:storj", "golem:main", "golem:golem-2"]);
        assert_eq!(c.usage.nodes["storj:storj"].unit, "storagenode.service");
        // A proposal that does not check out writes nothing.
        assert!(save(&path, "[usage.nodes.\"nope\"]\nunit = \"x\"\n").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
