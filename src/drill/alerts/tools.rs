//! Where the alerting drill finds its programs: an environment variable
//! naming the binary (what `scripts/test` exports), else the PATH; when
//! neither has it, an error that says how to install it.

use std::path::{Path, PathBuf};

/// A program of the alerting drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `promtool` (Debian package `prometheus`).
    Promtool,
    /// `amtool` (Debian package `prometheus-alertmanager`).
    Amtool,
    /// Alertmanager itself.
    Alertmanager,
    /// The Prometheus server.
    Prometheus,
}

impl Tool {
    /// The variable that names its binary.
    pub fn env_var(self) -> &'static str {
        match self {
            Tool::Promtool => "FLIGHTDECK_PROMTOOL",
            Tool::Amtool => "FLIGHTDECK_AMTOOL",
            Tool::Alertmanager => "FLIGHTDECK_ALERTMANAGER",
            Tool::Prometheus => "FLIGHTDECK_PROMETHEUS",
        }
    }

    /// Names it goes by on the PATH (Debian calls Alertmanager
    /// `prometheus-alertmanager`).
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Tool::Promtool => &["promtool"],
            Tool::Amtool => &["amtool"],
            Tool::Alertmanager => &["prometheus-alertmanager", "alertmanager"],
            Tool::Prometheus => &["prometheus"],
        }
    }

    /// Its usual name.
    pub fn name(self) -> &'static str {
        self.names()[0]
    }

    fn package(self) -> &'static str {
        match self {
            Tool::Promtool | Tool::Prometheus => "prometheus",
            Tool::Amtool | Tool::Alertmanager => "prometheus-alertmanager",
        }
    }

    /// Where it is, or why it cannot be used.
    pub fn find(self) -> Result<PathBuf, String> {
        let var = self.env_var();
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            let p = PathBuf::from(&v);
            return if is_executable(&p) {
                Ok(p)
            } else {
                Err(format!(
                    "{var}={} is not an executable file; point it at {} or unset it to use the PATH",
                    p.display(),
                    self.name()
                ))
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path) {
            for name in self.names() {
                let p = dir.join(name);
                if is_executable(&p) {
                    return Ok(p);
                }
            }
        }
        Err(format!(
            "{} not found on the PATH and {var} is not set; install it with \
             `apt-get install --no-install-recommends {}` or set {var} to the binary",
            self.name(),
            self.package()
        ))
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
