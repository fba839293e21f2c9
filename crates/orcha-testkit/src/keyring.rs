//! A private OS keyring for a test: its own D-Bus session bus and an unlocked gnome-keyring in a
//! temporary directory, so the real `orcha` binary talks to a real Secret Service and never to
//! the keyring of the developer who runs the tests (whose entries a test could overwrite).

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Running while it lives; both daemons are stopped when it is dropped.
pub struct PrivateKeyring {
    address: String,
    bus: Child,
    keyring: Child,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for PrivateKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKeyring")
            .field("address", &self.address)
            .finish()
    }
}

fn failed(what: &str) -> std::io::Error {
    std::io::Error::other(what.to_owned())
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) -> std::io::Result<()> {
    let start = Instant::now();
    while !ready() {
        if start.elapsed() > Duration::from_secs(15) {
            return Err(failed(what));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

impl PrivateKeyring {
    /// Starts `dbus-daemon` and `gnome-keyring-daemon` (unlocked with a fixed password) and
    /// waits until the Secret Service answers on the bus. An error when either is missing.
    pub fn start() -> std::io::Result<PrivateKeyring> {
        let dir = tempfile::tempdir()?;
        let socket = dir.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", &format!("--address={address}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut this = PrivateKeyring {
            address,
            bus,
            // Replaced below; a placeholder that has already exited.
            keyring: Command::new("true").spawn()?,
            dir,
        };
        wait_for("the private D-Bus socket did not appear", || {
            socket.exists()
        })?;
        let home = this.dir.path();
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", home)
            .env("DBUS_SESSION_BUS_ADDRESS", &this.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        // The password of the new login keyring, then end of input.
        keyring
            .stdin
            .take()
            .ok_or_else(|| failed("no stdin for gnome-keyring-daemon"))?
            .write_all(b"ci")?;
        let _ = this.keyring.wait();
        this.keyring = keyring;
        let address = this.address.clone();
        wait_for(
            "the Secret Service did not come up on the private bus",
            || {
                Command::new("dbus-send")
                    .args([
                        &format!("--bus={address}"),
                        "--print-reply",
                        "--dest=org.freedesktop.DBus",
                        "/org/freedesktop/DBus",
                        "org.freedesktop.DBus.NameHasOwner",
                        "string:org.freedesktop.secrets",
                    ])
                    .output()
                    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            },
        )?;
        Ok(this)
    }

    /// Points `cmd` at this keyring (and only this one).
    pub fn apply<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
    }

    /// Where the keyring keeps its files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        for child in [&mut self.keyring, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
