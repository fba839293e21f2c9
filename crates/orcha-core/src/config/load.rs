//! Reading a configuration file: parsing, environment overrides and one-line error messages.

use std::path::{Path, PathBuf};

use super::Config;

/// A configuration problem, always naming where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("config error in {path} line {line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("config error in {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// Key names that hold credentials, which belong in the keyring and never in a file.
const CREDENTIAL_KEYS: [&str; 8] = [
    "token",
    "app_key",
    "api_key",
    "apikey",
    "password",
    "secret",
    "session_token",
    "private_key",
];

impl Config {
    /// Parses a configuration file's text. `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| parse_error(text, path, &e))?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })?;
        Ok(config)
    }

    /// Loads the user file when it exists; a missing file means the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_toml(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(ConfigError::Read {
                path: path.to_owned(),
                reason: e.to_string(),
            }),
        }
    }

    /// Applies the documented environment overrides (`DATABASE_URL`, `ML_API_URL`).
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        if let Some(db) = env("DATABASE_URL").filter(|v| !v.is_empty()) {
            let path = db
                .strip_prefix("sqlite://")
                .or_else(|| db.strip_prefix("sqlite:"))
                .unwrap_or(&db);
            self.storage.database = path.to_owned();
        }
        if let Some(url) = env("ML_API_URL").filter(|v| !v.is_empty()) {
            self.ml.url = url;
        }
    }
}

/// Turns a toml error into one line naming the file, the line and the dotted key.
fn parse_error(text: &str, path: &Path, err: &toml::de::Error) -> ConfigError {
    let start = err.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let line = text[..start].matches('\n').count() + 1;
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let leaf = line_text
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_owned();
    let table = text
        .lines()
        .take(line)
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("[[")
                .and_then(|r| r.strip_suffix("]]"))
                .or_else(|| l.strip_prefix('[').and_then(|r| r.strip_suffix(']')))
        })
        .last()
        .map(|t| t.trim().to_owned());
    let key = match (&table, leaf.is_empty() || leaf.starts_with('[')) {
        (Some(t), false) => format!("{t}.{leaf}"),
        (None, false) => leaf.clone(),
        (Some(t), true) => t.clone(),
        (None, true) => String::new(),
    };
    let mut message = err.message().replace('\n', " ");
    if CREDENTIAL_KEYS.contains(&leaf.to_ascii_lowercase().as_str()) {
        message = format!(
            "`{key}` looks like a credential; credentials are never read from config files, store it with `orcha secret set` or the settings form"
        );
    } else if !key.is_empty() {
        message = format!("key `{key}`: {message}");
    }
    ConfigError::Parse {
        path: path.to_owned(),
        line,
        key,
        message,
    }
}
