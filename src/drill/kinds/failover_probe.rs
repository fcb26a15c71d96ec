//! The failover drill's probing: one request and what it answered, the
//! recovery arithmetic (the service is back at the first success of a run
//! of N in a row; the failover began at the first failure or the door's
//! switch, whichever came first), the kill of the primary's process group,
//! and the survivor's version.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::core::drill::StepOutcome;
use crate::drill::runner::Runner;

use super::failover::Kill;

/// What one request got.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    /// HTTP status; `None` when nothing answered.
    pub status: Option<u16>,
    /// The body (empty without an answer).
    pub body: Vec<u8>,
    /// The instance header's value, when asked for and present.
    pub instance: Option<String>,
}

impl Answer {
    /// A 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// GET `url`; the body is capped at 1 MiB.
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    instance_header: Option<&str>,
    timeout: Duration,
) -> Answer {
    let Ok(r) = client.get(url).timeout(timeout).send().await else {
        return Answer::default();
    };
    let status = Some(r.status().as_u16());
    let instance = instance_header.and_then(|h| {
        r.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let mut body = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    body.truncate(1 << 20);
    Answer {
        status,
        body,
        instance,
    }
}

/// The recovery as probes see it, one answer at a time.
#[derive(Clone, Debug)]
pub struct Recovery {
    need: usize,
    primary: Option<String>,
    run_start: Option<Instant>,
    run_len: usize,
    back: Option<Instant>,
    first_failure: Option<Instant>,
    switched: Option<(Instant, String)>,
    /// Probes that failed.
    pub failed: u64,
}

impl Recovery {
    /// Back after `need` successes in a row; `primary` is the instance
    /// that answered before the kill (to see the switch).
    pub fn new(need: usize, primary: Option<String>) -> Recovery {
        Recovery {
            need: need.max(1),
            primary,
            run_start: None,
            run_len: 0,
            back: None,
            first_failure: None,
            switched: None,
            failed: 0,
        }
    }

    /// Take the answer to a probe sent at `at`; `true` once the service is
    /// back.
    pub fn observe(&mut self, at: Instant, a: &Answer) -> bool {
        if self.back.is_some() {
            return true;
        }
        if a.ok() {
            if let (Some(was), Some(now)) = (&self.primary, &a.instance)
                && was != now
                && self.switched.is_none()
            {
                self.switched = Some((at, now.clone()));
            }
            if self.run_len == 0 {
                self.run_start = Some(at);
            }
            self.run_len += 1;
            if self.run_len >= self.need {
                self.back = self.run_start;
            }
        } else {
            self.failed += 1;
            self.first_failure.get_or_insert(at);
            self.run_len = 0;
            self.run_start = None;
        }
        self.back.is_some()
    }

    /// The first success of the run that brought the service back.
    pub fn back_at(&self) -> Option<Instant> {
        self.back
    }

    /// When the failover began: the first failure or the switch, earlier.
    pub fn restore_started(&self) -> Option<Instant> {
        match (self.first_failure, self.switched.as_ref().map(|s| s.0)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// One line about how the failover began.
    pub fn restore_detail(&self) -> String {
        match (&self.first_failure, &self.switched) {
            (Some(_), Some((_, to))) => format!("first failed request; door switched to {to}"),
            (Some(_), None) => "first failed request".into(),
            (None, Some((_, to))) => format!("door switched to {to}"),
            (None, None) => "no failure or switch seen: first success after the kill".into(),
        }
    }
}

/// Kill the primary: SIGKILL to the process group of the pid in the pid
/// file, or the kill command.
pub async fn kill(run: &Runner<'_>, how: &Kill) -> (StepOutcome, String, String) {
    match (&how.pid_file, &how.argv) {
        (Some(pid_file), _) => {
            let path = run.drill().dir.join(pid_file);
            match kill_pid_file(&path) {
                Ok(d) => (StepOutcome::Ok, d, String::new()),
                Err(e) => (StepOutcome::Error, e, String::new()),
            }
        }
        (None, Some(argv)) => super::argv::command(run, argv, Duration::from_secs(10)).await,
        (None, None) => (
            StepOutcome::Error,
            "kill names neither pid_file nor argv".into(),
            String::new(),
        ),
    }
}

/// SIGKILL to the group of the pid in `path`; never this program's own group.
pub fn kill_pid_file(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the pid file {}: {e}", path.display()))?;
    let pid: i32 = text.trim().parse().map_err(|_| {
        format!(
            "the pid file {} holds `{}`, not a pid",
            path.display(),
            text.trim()
        )
    })?;
    if pid <= 1 {
        return Err(format!("the pid file {} holds pid {pid}", path.display()));
    }
    kill_group_of(pid).map(|pgid| format!("SIGKILL to process group {pgid} (pid {pid})"))
}

#[cfg(unix)]
fn kill_group_of(pid: i32) -> Result<i32, String> {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::{Pid, getpgid};
    let pgid = getpgid(Some(Pid::from_raw(pid)))
        .map_err(|e| format!("process {pid} not found ({e}): is it running?"))?;
    let own = getpgid(None).map_err(|e| format!("own process group: {e}"))?;
    if pgid == own || pgid.as_raw() <= 1 {
        return Err(format!(
            "process {pid} is in this program's own process group {pgid}: refusing to kill it"
        ));
    }
    killpg(pgid, Signal::SIGKILL).map_err(|e| format!("SIGKILL to process group {pgid}: {e}"))?;
    Ok(pgid.as_raw())
}

#[cfg(not(unix))]
fn kill_group_of(_pid: i32) -> Result<i32, String> {
    Err("killing a process group needs a Unix system".into())
}

/// Read the survivor's version from a header or a JSON field and compare.
pub async fn survivor_version(
    client: &reqwest::Client,
    url: &str,
    header: Option<&str>,
    field: Option<&str>,
    want: &str,
) -> (StepOutcome, String, String) {
    let Ok(r) = client.get(url).timeout(Duration::from_secs(5)).send().await else {
        return (
            StepOutcome::Error,
            format!("GET {url}: no answer"),
            String::new(),
        );
    };
    let seen = match header {
        Some(h) => r
            .headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        None => {
            let key = field.unwrap_or("version");
            r.json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v.get(key).and_then(|x| x.as_str()).map(str::to_string))
        }
    };
    match seen {
        Some(v) if v == want => (StepOutcome::Ok, format!("version {v}"), String::new()),
        Some(v) => (
            StepOutcome::Failed,
            format!("the survivor serves version {v}, expected {want}"),
            String::new(),
        ),
        None => (
            StepOutcome::Failed,
            format!(
                "GET {url}: no version in {}",
                header.map_or_else(
                    || format!("JSON field `{}`", field.unwrap_or("version")),
                    |h| format!("header `{h}`")
                )
            ),
            String::new(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ans(status: Option<u16>, instance: &str) -> Answer {
        Answer {
            status,
            body: Vec::new(),
            instance: Some(instance.to_string()),
        }
    }

    #[test]
    fn back_is_the_first_success_of_a_long_enough_run() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut r = Recovery::new(3, Some("primary".into()));
        // Fail, one success (a blip, not a recovery), fail, then 3 in a row.
        let seq = [
            (0, None),
            (50, Some(200)),
            (100, Some(502)),
            (150, Some(200)),
            (200, Some(200)),
        ];
        for (ms, s) in seq {
            assert!(!r.observe(at(ms), &ans(s, "secondary")));
        }
        assert!(r.observe(at(250), &ans(Some(200), "secondary")));
        assert_eq!(r.back_at(), Some(at(150)));
        assert_eq!(r.failed, 2);
        // The failover began at the first failure (before the switch at 50).
        assert_eq!(r.restore_started(), Some(at(0)));
        assert!(r.restore_detail().contains("switched to secondary"));
    }

    #[test]
    fn a_seamless_switch_starts_the_failover_at_the_switch() {
        let t0 = Instant::now();
        let mut r = Recovery::new(2, Some("primary".into()));
        r.observe(t0, &ans(Some(200), "primary"));
        let later = t0 + Duration::from_millis(40);
        r.observe(later, &ans(Some(200), "secondary"));
        assert_eq!(r.back_at(), Some(t0));
        assert_eq!(r.restore_started(), Some(later));
        assert_eq!(r.failed, 0);
    }

    #[test]
    fn kill_takes_exactly_one_of_pid_file_and_argv() {
        let drill = |kill: &str| {
            let text = format!(
                "[[drill]]\nname = \"f\"\nkind = \"failover\"\n[drill.params]\nfront_url = \"http://127.0.0.1:1/\"\nkill = {kill}\n"
            );
            let doc: toml::Value = toml::from_str(&text).unwrap();
            let (d, e) = crate::drill::parse_drills(&serde_json::to_value(doc).unwrap());
            assert!(e.is_empty(), "{e:?}");
            crate::drill::kinds::validate(&d[0])
        };
        assert!(drill("{ pid_file = \"p.pid\" }").is_empty());
        assert!(drill("{ argv = [\"pkill\", \"-g\", \"7\"] }").is_empty());
        let both = drill("{ pid_file = \"p.pid\", argv = [\"x\"] }");
        assert!(both[0].to_string().contains("exactly one"), "{both:?}");
        assert!(drill("{ argv = [] }")[0].to_string().contains("empty"));
        assert!(!drill("{ pidfile = \"p.pid\" }").is_empty());
    }

    #[test]
    fn a_pid_file_in_our_own_group_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("me.pid");
        std::fs::write(&f, std::process::id().to_string()).unwrap();
        let e = kill_pid_file(&f).unwrap_err();
        assert!(e.contains("own process group"), "{e}");
        std::fs::write(&f, "not-a-pid").unwrap();
        assert!(kill_pid_file(&f).unwrap_err().contains("not a pid"));
        assert!(
            kill_pid_file(&dir.path().join("missing.pid"))
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
