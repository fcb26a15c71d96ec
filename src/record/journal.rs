//! The journal: one JSON event per line, appended and flushed as it happens,
//! fsynced after verdicts and operator actions. Replay folds it back.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::core::event::{Envelope, Event};

/// File name of the journal inside a run directory.
pub const JOURNAL_FILE: &str = "journal.jsonl";

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Create a new journal file; fails if it exists, so that nothing recorded is overwritten.
    pub fn create(path: &Path) -> Result<Journal> {
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot create journal {}", path.display()))?;
        Ok(Journal {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Open an existing journal to append to it (a resend records its
    /// deliveries in the run's own journal). A partial last line, left by a
    /// crash, is ended first so that the next event starts a line of its own.
    pub fn append_to(path: &Path) -> Result<Journal> {
        let mut file = OpenOptions::new()
            .append(true)
            .read(true)
            .open(path)
            .with_context(|| format!("cannot open journal {} to append", path.display()))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > 0 {
            use std::io::{Read, Seek, SeekFrom};
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .with_context(|| format!("cannot read journal {}", path.display()))?;
            if last[0] != b'\n' {
                file.write_all(b"\n")
                    .with_context(|| format!("cannot write journal {}", path.display()))?;
            }
        }
        Ok(Journal {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Where the journal lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one envelope as a line, flush it, and fsync durable events.
    pub fn append(&mut self, env: &Envelope) -> Result<()> {
        let mut line = serde_json::to_vec(env).context("cannot encode event")?;
        line.push(b'\n');
        // One write per line: a crash leaves at most one partial last line.
        self.file
            .write_all(&line)
            .and_then(|_| self.file.flush())
            .with_context(|| format!("cannot write journal {}", self.path.display()))?;
        if env.event.is_durable() {
            self.file
                .sync_data()
                .with_context(|| format!("cannot sync journal {}", self.path.display()))?;
        }
        Ok(())
    }
}

/// A journal read back: the envelopes in file order, and lines that could not be read.
#[derive(Debug, Default)]
pub struct ReadBack {
    /// Envelopes in file order.
    pub envelopes: Vec<Envelope>,
    /// `line N: reason` for every line that was skipped.
    pub problems: Vec<String>,
}

/// Read a journal. Unreadable lines (a truncated last line after a crash, a
/// garbled line) are reported and skipped, never fatal; events of unknown type
/// or newer versions are kept as `Event::Unknown` with their version so that
/// the fold can say what it skipped.
pub fn read(path: &Path) -> Result<ReadBack> {
    let file =
        File::open(path).with_context(|| format!("cannot open journal {}", path.display()))?;
    let mut out = ReadBack::default();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let n = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                out.problems.push(format!("line {n}: unreadable ({e})"));
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line) {
            Ok(env) => out.envelopes.push(env),
            Err(e) => out.problems.push(format!("line {n}: {e}")),
        }
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct Header {
    v: u32,
    seq: u64,
    ts: chrono::DateTime<chrono::Utc>,
}

fn parse_line(line: &str) -> Result<Envelope, String> {
    match serde_json::from_str::<Envelope>(line) {
        Ok(env) => Ok(env),
        Err(full) => match serde_json::from_str::<Header>(line) {
            // A well-formed line whose body this build can't read (newer schema).
            Ok(h) => Ok(Envelope {
                v: h.v,
                seq: h.seq,
                ts: h.ts,
                event: Event::Unknown,
            }),
            Err(_) => Err(format!("not a journal event ({full})")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::{EVENT_VERSION, LogLevel};

    fn env(seq: u64, event: Event) -> Envelope {
        Envelope {
            v: EVENT_VERSION,
            seq,
            ts: chrono::DateTime::from_timestamp(1_700_000_000 + seq as i64, 0).unwrap_or_default(),
            event,
        }
    }

    #[test]
    fn round_trips_and_survives_a_truncated_last_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(JOURNAL_FILE);
        let mut j = Journal::create(&path).expect("create");
        let a = env(
            1,
            Event::Log {
                level: LogLevel::Info,
                stage: None,
                message: "hello".into(),
            },
        );
        j.append(&a).expect("append");
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"v\":1,\"seq\":2,\"ts\":\"2026-")
            .expect("write");
        let back = read(&path).expect("read");
        assert_eq!(back.envelopes, vec![a]);
        assert_eq!(back.problems.len(), 1);
        assert!(
            back.problems[0].starts_with("line 2:"),
            "{:?}",
            back.problems
        );
    }

    #[test]
    fn a_load_summary_survives_the_round_trip() {
        let mut summary = crate::load::Summary::default();
        summary.status_codes.insert(200, 10);
        summary.status_codes.insert(503, 2);
        let e = env(
            3,
            Event::LoadSummary {
                stage: "load".into(),
                summary,
            },
        );
        let line = serde_json::to_string(&e).expect("encode");
        assert_eq!(parse_line(&line), Ok(e));
    }

    #[test]
    fn refuses_to_overwrite_an_existing_journal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(JOURNAL_FILE);
        Journal::create(&path).expect("create");
        let err = Journal::create(&path).expect_err("second create must fail");
        assert!(format!("{err:#}").contains("cannot create journal"));
    }

    #[test]
    fn newer_or_unknown_events_are_kept_as_unknown() {
        let line = r#"{"v":2,"seq":5,"ts":"2026-11-25T10:00:00Z","type":"load_window","rps":3,"new_field":{}}"#;
        let e = parse_line(line).expect("parse");
        assert_eq!(e.v, 2);
        assert_eq!(e.event, Event::Unknown);
        let line = r#"{"v":1,"seq":6,"ts":"2026-11-25T10:00:00Z","type":"stage_started"}"#;
        let e = parse_line(line).expect("header parses");
        assert_eq!(e.event, Event::Unknown);
    }
}
