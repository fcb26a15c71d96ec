//! Who acts on a run: the operator's identity as typed data, so the journal
//! can say who rolled a canary back, how that person was identified and from
//! where, without any consumer parsing it back out of a name.
//!
//! The resolution order is pure and lives here ([`Actor::resolve`]); reading
//! the process's environment and account database is the toolkit's job
//! (`crate::identity`). The type is general on purpose: an operator attached
//! over the run's socket (identified by the peer's uid) is another [`Via`].

use serde::{Deserialize, Serialize};

/// A person (or an automatic trigger acting as one) with what is known of
/// their identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The name journalled as `actor` (an account name, `uid:N`, or a
    /// trigger such as `live guard`).
    pub name: String,
    /// The numeric user id of the process acting, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// How the actor reached the run.
    #[serde(default)]
    pub via: Via,
    /// Where the name came from, when a person was identified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_by: Option<NameSource>,
}

/// How an actor reached the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Via {
    /// At the terminal (or in the process) that runs Flightdeck.
    #[default]
    Local,
    /// Over SSH: the client's address from `SSH_CONNECTION`.
    Ssh {
        /// The client's IP address, as the SSH server saw it.
        client: String,
        /// The client's source port.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
    },
    /// Flightdeck itself (a live guard, a judge, a timer): no person.
    Automatic,
    /// A way this build does not know (from a newer writer).
    #[serde(other)]
    Unknown,
}

/// Where an operator's name came from, in the order they are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// `--operator` on the command line.
    Option,
    /// `run.operator` in the config (file or `FLIGHTDECK__RUN__OPERATOR`).
    Config,
    /// `$USER` or `$LOGNAME`.
    Environment,
    /// The account name of the effective uid (the password database).
    Account,
    /// Nothing named the uid: the name is `uid:N`.
    Uid,
    /// A source this build does not know (from a newer writer).
    #[serde(other)]
    Unknown,
}

/// What the process knows that can name its operator, gathered at the edge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// `--operator`.
    pub option: Option<String>,
    /// `run.operator`.
    pub config: Option<String>,
    /// `$USER`.
    pub user: Option<String>,
    /// `$LOGNAME`.
    pub logname: Option<String>,
    /// The effective uid.
    pub uid: Option<u32>,
    /// The account name of the effective uid, if the account database has one.
    pub account: Option<String>,
    /// `$SSH_CONNECTION`: `client_ip client_port server_ip server_port`.
    pub ssh_connection: Option<String>,
}

impl Actor {
    /// Name the operator from what the process knows, in this order:
    /// `--operator`, `run.operator`, `$USER`, `$LOGNAME`, the effective
    /// uid's account name, then `uid:N`. Blank values do not count. Under
    /// SSH the client's address goes with it.
    pub fn resolve(c: &Claims) -> Actor {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let named = [
            (given(&c.option), NameSource::Option),
            (given(&c.config), NameSource::Config),
            (given(&c.user), NameSource::Environment),
            (given(&c.logname), NameSource::Environment),
            (given(&c.account), NameSource::Account),
        ]
        .into_iter()
        .find_map(|(name, source)| name.map(|n| (n, source)));
        let (name, source) = match (named, c.uid) {
            (Some(found), _) => found,
            (None, Some(uid)) => (format!("uid:{uid}"), NameSource::Uid),
            (None, None) => ("uid:?".to_string(), NameSource::Uid),
        };
        Actor {
            name,
            uid: c.uid,
            via: c
                .ssh_connection
                .as_deref()
                .and_then(Via::from_ssh_connection)
                .unwrap_or_default(),
            named_by: Some(source),
        }
    }

    /// An automatic trigger acting on the run (`live guard`, `judge`).
    pub fn automatic(name: &str) -> Actor {
        Actor {
            name: name.to_string(),
            uid: None,
            via: Via::Automatic,
            named_by: None,
        }
    }

    /// The name with where the actor came from, for a log line:
    /// `sam (ssh from 203.0.113.9)`; just the name when local.
    pub fn described(&self) -> String {
        match &self.via {
            Via::Ssh { client, .. } => format!("{} (ssh from {client})", self.name),
            _ => self.name.clone(),
        }
    }
}

/// A bare name with nothing else known (tests, and callers that only
/// have a name): local, no uid, no source.
impl From<&str> for Actor {
    fn from(name: &str) -> Actor {
        Actor {
            name: name.to_string(),
            uid: None,
            via: Via::Local,
            named_by: None,
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Via {
    /// The client of an SSH session from `SSH_CONNECTION`
    /// (`client_ip client_port server_ip server_port`); `None` when the
    /// value is empty or has no client address.
    pub fn from_ssh_connection(value: &str) -> Option<Via> {
        let mut parts = value.split_whitespace();
        let client = parts.next()?.to_string();
        let port = parts.next().and_then(|p| p.parse().ok());
        Some(Via::Ssh { client, port })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            option: Some("olga".into()),
            config: Some("carl".into()),
            user: Some("ursula".into()),
            logname: Some("lena".into()),
            uid: Some(1000),
            account: Some("alice".into()),
            ssh_connection: None,
        }
    }

    #[test]
    fn each_source_is_tried_in_order() {
        let mut c = claims();
        let mut seen = Vec::new();
        for _ in 0..6 {
            let a = Actor::resolve(&c);
            seen.push((a.name.clone(), a.named_by));
            match a.named_by {
                Some(NameSource::Option) => c.option = Some("  ".into()),
                Some(NameSource::Config) => c.config = None,
                Some(NameSource::Environment) if c.user.is_some() => c.user = None,
                Some(NameSource::Environment) => c.logname = Some(String::new()),
                Some(NameSource::Account) => c.account = None,
                _ => break,
            }
        }
        use NameSource::*;
        assert_eq!(
            seen,
            [
                ("olga".to_string(), Some(Option)),
                ("carl".into(), Some(Config)),
                ("ursula".into(), Some(Environment)),
                ("lena".into(), Some(Environment)),
                ("alice".into(), Some(Account)),
                ("uid:1000".into(), Some(Uid)),
            ]
        );
        assert!(seen.iter().all(|(n, _)| n != "unknown"));
    }

    #[test]
    fn ssh_connection_names_the_client() {
        let c = Claims {
            ssh_connection: Some("203.0.113.9 52311 127.0.0.1 22".into()),
            ..claims()
        };
        let a = Actor::resolve(&c);
        assert_eq!(
            a.via,
            Via::Ssh {
                client: "203.0.113.9".into(),
                port: Some(52311)
            }
        );
        assert_eq!(a.described(), "olga (ssh from 203.0.113.9)");
        assert_eq!(Via::from_ssh_connection("  "), None);
        assert_eq!(
            Via::from_ssh_connection("::1"),
            Some(Via::Ssh {
                client: "::1".into(),
                port: None
            })
        );
    }

    #[test]
    fn the_json_is_typed_and_reads_what_it_does_not_know() {
        let a = Actor::resolve(&Claims {
            ssh_connection: Some("203.0.113.9 52311 127.0.0.1 22".into()),
            ..claims()
        });
        let json = serde_json::to_string(&a).expect("json");
        assert_eq!(
            json,
            r#"{"name":"olga","uid":1000,"via":{"kind":"ssh","client":"203.0.113.9","port":52311},"named_by":"option"}"#
        );
        let newer: Actor = serde_json::from_str(
            r#"{"name":"x","via":{"kind":"socket","peer":3},"named_by":"peer_cred"}"#,
        )
        .expect("newer writer");
        assert_eq!(newer.via, Via::Unknown);
        assert_eq!(newer.named_by, Some(NameSource::Unknown));
        let bare: Actor = serde_json::from_str(r#"{"name":"x"}"#).expect("bare");
        assert_eq!(bare, Actor::from("x"));
    }
}
