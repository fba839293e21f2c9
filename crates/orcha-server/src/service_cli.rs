//! `orcha service install|uninstall|status`: `orcha serve` as a hardened systemd unit.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use orcha_fleet::credentials::{credentials_dir, list_credentials};
use orcha_fleet::service::{self, Scope, ServiceSpec};
use orcha_server::startup;

#[derive(Subcommand)]
pub enum ServiceAction {
    /// Write the unit, enable and start it (system scope needs root).
    Install {
        /// A user service (`systemctl --user`): no root, but no `tc` either.
        #[arg(long)]
        user: bool,
        /// System scope: run as this user instead of root (with the capabilities it needs).
        #[arg(long)]
        run_as: Option<String>,
    },
    /// Stop, disable and remove the unit.
    Uninstall {
        #[arg(long)]
        user: bool,
    },
    /// What systemd says about the unit.
    Status {
        #[arg(long)]
        user: bool,
    },
}

fn scope(user: bool) -> Scope {
    if user {
        Scope::User
    } else {
        Scope::System
    }
}

pub fn run(
    action: ServiceAction,
    config: Option<PathBuf>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match action {
        ServiceAction::Install { user, run_as } => {
            let (cfg, config_path) = startup::load_config(config.as_deref(), env)?;
            let data_dir = startup::data_dir(&cfg, env);
            let scope = scope(user);
            let spec = ServiceSpec {
                scope,
                exe: std::env::current_exe().context("cannot find this executable")?,
                config: Some(config_path).filter(|p| p.exists()),
                credentials: list_credentials(&credentials_dir(scope, &data_dir)),
                data_dir,
                user: run_as,
                environment: Vec::new(),
            };
            let path = service::install(&spec, env)?;
            writeln!(out, "installed {}", path.display())?;
        }
        ServiceAction::Uninstall { user } => match service::uninstall(scope(user), env)? {
            Some(path) => writeln!(out, "removed {}", path.display())?,
            None => writeln!(out, "no orcha service is installed")?,
        },
        ServiceAction::Status { user } => {
            let s = service::status(scope(user))?;
            writeln!(
                out,
                "load: {}, active: {} ({}), enabled: {}, pid: {}",
                s.load,
                s.active,
                s.sub,
                s.enabled,
                s.main_pid.map_or("-".to_owned(), |p| p.to_string())
            )?;
        }
    }
    Ok(())
}
