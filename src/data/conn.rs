//! Connections to the source and target databases. A connection string is a
//! secret (it may carry a password): it lives in a [`Secret`], errors and
//! labels show `user@host:port/db` only, and `pg_dump` gets the password
//! through its environment, never its command line.

use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

use super::DataError;
use crate::secrets::Secret;

/// One side of a copy: a parsed connection string and a label safe to show.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// `source` or `target`.
    pub role: &'static str,
    url: Secret,
    config: Config,
    /// `user@host:port/db`, never the password.
    pub label: String,
}

impl Endpoint {
    /// Parse a connection string (URL or `key=value` form).
    pub fn new(role: &'static str, url: Secret) -> Result<Endpoint, DataError> {
        let mut config = Config::from_str(url.expose()).map_err(|_| {
            DataError::Usage(format!(
                "the {role} connection string does not parse; give a URL (postgres://user@host:port/db) or key=value pairs"
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let host = config
            .get_hosts()
            .first()
            .map(|h| match h {
                Host::Tcp(s) => s.clone(),
                #[cfg(unix)]
                Host::Unix(p) => p.display().to_string(),
            })
            .unwrap_or_else(|| "localhost".into());
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let label = format!(
            "{}@{host}:{port}/{}",
            config.get_user().unwrap_or("?"),
            config.get_dbname().unwrap_or("?")
        );
        Ok(Endpoint {
            role,
            url,
            config,
            label,
        })
    }

    /// Connect; the connection is driven by a background task.
    pub async fn connect(&self) -> Result<Client, DataError> {
        let (client, connection) = self.config.connect(NoTls).await.map_err(|e| {
            DataError::Unreachable(format!(
                "cannot reach the {} database {}: {}",
                self.role,
                self.label,
                self.scrub(&e.to_string())
            ))
        })?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// Remove the connection string and password from a message.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = self.url.scrub(text);
        if let Some(pw) = self.config.get_password()
            && let Ok(pw) = std::str::from_utf8(pw)
            && !pw.is_empty()
        {
            out = out.replace(pw, "***");
        }
        out
    }

    /// Arguments for `pg_dump` (host, port, user, database) and the password
    /// for its `PGPASSWORD`.
    pub fn dump_args(&self) -> (Vec<String>, Option<String>) {
        let mut args = Vec::new();
        if let Some(h) = self.config.get_hosts().first() {
            args.push("-h".into());
            args.push(match h {
                Host::Tcp(s) => s.clone(),
                #[cfg(unix)]
                Host::Unix(p) => p.display().to_string(),
            });
        }
        if let Some(p) = self.config.get_ports().first() {
            args.push("-p".into());
            args.push(p.to_string());
        }
        if let Some(u) = self.config.get_user() {
            args.push("-U".into());
            args.push(u.to_string());
        }
        if let Some(d) = self.config.get_dbname() {
            args.push("-d".into());
            args.push(d.to_string());
        }
        let pw = self
            .config
            .get_password()
            .and_then(|p| std::str::from_utf8(p).ok())
            .map(str::to_string);
        (args, pw)
    }
}

/// Quote an identifier for SQL.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quote `schema.table` for SQL.
pub fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", ident(schema), ident(table))
}

/// A database error's message without the values PostgreSQL quotes in it
/// (`Key (email)=(...)`, `"..."`), so that no value reaches a log.
pub fn db_message(e: &tokio_postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    };
    let mut out = String::with_capacity(text.len());
    let mut in_quote = false;
    for c in text.chars() {
        if c == '"' {
            in_quote = !in_quote;
            out.push_str(if in_quote { "\"…" } else { "\"" });
        } else if !in_quote {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_and_errors_never_show_the_password() {
        let e = Endpoint::new(
            "source",
            Secret::new("postgres://app:hunter2secret@127.0.0.1:1/prod"),
        )
        .unwrap();
        assert_eq!(e.label, "app@127.0.0.1:1/prod");
        assert_eq!(e.scrub("x hunter2secret y"), "x *** y");
        let (args, pw) = e.dump_args();
        assert!(!args.iter().any(|a| a.contains("hunter2")));
        assert_eq!(pw.as_deref(), Some("hunter2secret"));
    }

    #[test]
    fn a_bad_string_is_a_usage_error_without_its_text() {
        let e = Endpoint::new("target", Secret::new("postgres://x:pw@h:notaport/db")).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(!e.to_string().contains("pw"));
    }
}
