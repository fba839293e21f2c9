//! The real ML engine (`ml-engine/.venv/bin/orcha-ml`) on a free loopback port, for tests that
//! talk to it; killed when the handle is dropped, however the test ends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The engine process; dropping it kills it.
pub struct Engine {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the engine from the workspace's venv with `models` as its model directory and waits
/// for its `listening on <port>` line.
pub fn start(models: &Path) -> Engine {
    let exe = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ml-engine/.venv/bin/orcha-ml");
    assert!(
        exe.is_file(),
        "{} is missing: run `bash ml-engine/scripts/install.sh` first (scripts/test.sh does)",
        exe.display()
    );
    let mut child = Command::new(exe)
        .args(["serve", "--port", "0", "--exit-with-parent", "--model-dir"])
        .arg(models)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the ML engine: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("no port line from the ML engine: {e}"));
    let port = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from the ML engine: {line:?}"))
        .to_owned();
    Engine {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}
