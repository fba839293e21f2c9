//! The real `orcha` binary as a test runs it: its own config file and data directory, and none of
//! the environment of the shell that started the tests.

use std::path::Path;
use std::process::Command;

/// `orcha --config <config>` with `XDG_DATA_HOME=<data>` and quiet logs. Variables that would point
/// it elsewhere (a database, an ML engine, a config, a credentials directory) are removed; a test
/// adds what it needs. `exe` is the test crate's `env!("CARGO_BIN_EXE_orcha")`.
pub fn orcha(exe: &str, config: &Path, data: &Path) -> Command {
    let mut c = Command::new(exe);
    c.arg("--config")
        .arg(config)
        .env_remove("DATABASE_URL")
        .env_remove("ML_API_URL")
        .env_remove("CONFIG_PATH")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env("XDG_DATA_HOME", data)
        .env("RUST_LOG", "warn");
    c
}

/// Stops a server the way a service manager does (SIGTERM) and waits for it to exit, so a test
/// sees its graceful shutdown (lock released, database closed) before going on.
pub fn terminate(mut child: std::process::Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
    child
        .wait()
        .unwrap_or_else(|e| panic!("the server did not exit: {e}"));
}
