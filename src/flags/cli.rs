//! The `flightdeck flags eval|get|set|rollback` face: clap args and a runner
//! that returns what to print and the exit code.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::{
    EvalReason, FileProvider, FlagError, FlagProvider, FlagState, OfrepProvider, Resolution,
    SecretRef, UnleashProvider,
};

/// `flightdeck flags ...`
#[derive(Debug, Clone, Args)]
pub struct FlagsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: FlagsCommand,
}

/// Flag subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum FlagsCommand {
    /// Evaluate a flag for a context (flag file locally, or OFREP remotely)
    /// and print OpenFeature's resolution details. Exit 0 when the flag
    /// resolved (including DEFAULT and DISABLED), 1 when the caller's default
    /// came back because of an error.
    Eval {
        /// Flag key.
        flag: String,
        /// Evaluation context as JSON, e.g. '{"targetingKey":"user-42"}'.
        #[arg(long, default_value = "{}")]
        context: String,
        /// The caller's default: what the caller gets when the flag defers
        /// to it (no default variant, disabled) or cannot be evaluated. Read
        /// as JSON when it parses (`true`, `3`, `{"a":1}`), else as a string;
        /// a typed default also checks the variant's type (TYPE_MISMATCH).
        #[arg(long = "default", value_name = "VALUE")]
        default_value: Option<String>,
        /// Where the flag lives.
        #[command(flatten)]
        provider: ProviderArgs,
    },
    /// Show a flag's state and canary rollout.
    Get {
        /// Flag key.
        flag: String,
        /// Where the flag lives.
        #[command(flatten)]
        provider: ProviderArgs,
    },
    /// Set the canary share (turns the flag on) and read it back.
    Set {
        /// Flag key.
        flag: String,
        /// Canary share, 0..=100.
        #[arg(long)]
        percent: f64,
        /// Where the flag lives.
        #[command(flatten)]
        provider: ProviderArgs,
    },
    /// Canary share to 0 (Unleash: and off), read back, print the time taken.
    Rollback {
        /// Flag key.
        flag: String,
        /// Where the flag lives.
        #[command(flatten)]
        provider: ProviderArgs,
    },
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Output {
    /// One human line.
    #[default]
    Text,
    /// JSON.
    Json,
}

/// Which provider to talk to (exactly one of the three).
#[derive(Debug, Clone, Args, Default)]
pub struct ProviderArgs {
    /// A flagd flag-definition file.
    #[arg(long, value_name = "FILE")]
    pub flags_file: Option<PathBuf>,
    /// An OFREP base URL (read-only).
    #[arg(long, value_name = "URL")]
    pub ofrep_url: Option<String>,
    /// An Unleash base URL (admin API).
    #[arg(long, value_name = "URL")]
    pub unleash_url: Option<String>,
    /// Unleash project.
    #[arg(long, default_value = "default")]
    pub unleash_project: String,
    /// Unleash environment.
    #[arg(long, default_value = "development")]
    pub unleash_environment: String,
    /// Environment variable holding the Unleash admin token (or OFREP bearer token).
    #[arg(long, default_value = "FLIGHTDECK_UNLEASH_TOKEN", value_name = "NAME")]
    pub token_env: String,
    /// The token as a secret reference written as in config, e.g.
    /// '{ aws_secret = "preprod/unleash", key = "token" }' (instead of --token-env).
    #[arg(long, value_name = "REF", conflicts_with = "token_env")]
    pub token_ref: Option<String>,
    /// Name of the canary variant (default: `canary`, else `on`).
    #[arg(long)]
    pub canary_variant: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

fn usage(message: &str) -> FlagError {
    FlagError::Invalid {
        flag: String::new(),
        origin: "command line".into(),
        message: message.into(),
    }
}

impl ProviderArgs {
    /// The token reference: `--token-ref`, else `--token-env`.
    fn token(&self) -> Result<SecretRef, FlagError> {
        let Some(text) = &self.token_ref else {
            return Ok(SecretRef::env(&self.token_env));
        };
        #[derive(serde::Deserialize)]
        struct Wrap {
            r: SecretRef,
        }
        toml::from_str::<Wrap>(&format!("r = {text}"))
            .map(|w| w.r)
            .map_err(|e| usage(&format!("--token-ref: {}", e.message())))
    }

    /// An optional bearer token (OFREP): a failing `--token-ref` is an error,
    /// an unset `--token-env` variable means no token.
    async fn optional_token(&self) -> Result<Option<crate::secrets::Secret>, FlagError> {
        let r = self.token()?.resolve().await;
        match r {
            Ok(t) => Ok(Some(t)),
            Err(e) if self.token_ref.is_some() => Err(e.into()),
            Err(_) => Ok(None),
        }
    }

    /// Build the chosen provider.
    pub async fn provider(&self) -> Result<Box<dyn FlagProvider>, FlagError> {
        match (&self.flags_file, &self.ofrep_url, &self.unleash_url) {
            (Some(f), None, None) => {
                Ok(Box::new(FileProvider::new(f, self.canary_variant.clone())))
            }
            (None, Some(u), None) => {
                let token = self.optional_token().await?;
                Ok(Box::new(OfrepProvider::new(u, json!({}), token)))
            }
            (None, None, Some(u)) => {
                let token = self.token()?.resolve().await?;
                Ok(Box::new(UnleashProvider::new(
                    u,
                    &self.unleash_project,
                    &self.unleash_environment,
                    token,
                )))
            }
            _ => Err(usage(
                "choose exactly one of --flags-file, --ofrep-url, --unleash-url",
            )),
        }
    }
}

/// The exit code for a flags error: 2 for usage, config and flag-definition
/// problems, 4 for IO, HTTP and unconfirmed writes.
pub fn exit_code(e: &FlagError) -> i32 {
    match e {
        FlagError::Io { .. } | FlagError::Http { .. } | FlagError::NotConfirmed { .. } => 4,
        _ => 2,
    }
}

fn state_line(s: &FlagState) -> String {
    format!(
        "{} [{}] {} canary {}{}",
        s.flag,
        s.provider,
        if s.enabled { "on" } else { "off" },
        s.rollout_percent
            .map(|p| format!("{p}%"))
            .unwrap_or_else(|| "-".into()),
        format_args!(" ({})", s.summary)
    )
}

/// `--default VALUE`: JSON when it parses, else the text as a string; no
/// `--default` is an untyped `null`.
pub fn caller_default(arg: Option<&str>) -> Value {
    match arg {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into())),
    }
}

/// One line saying what the caller gets and why, in words.
fn resolution_line(r: &Resolution, default_given: bool) -> String {
    let hint = if default_given {
        ""
    } else {
        "; pass --default VALUE to say what the caller would get"
    };
    match (&r.error_code, r.reason) {
        (Some(code), _) => format!(
            "{} = {}: the caller's default, because of an error: {} {}{hint}",
            r.flag,
            r.value,
            code.as_str(),
            r.error_message.as_deref().unwrap_or("")
        ),
        (None, EvalReason::Disabled) => format!(
            "{} = {}: the caller's default (reason DISABLED: the flag is disabled){hint}",
            r.flag, r.value
        ),
        (None, reason) if r.variant.is_none() => format!(
            "{} = {}: the caller's default (reason {}: the flag chose no variant and has no default variant){hint}",
            r.flag,
            r.value,
            reason.as_str()
        ),
        (None, reason) => format!(
            "{} = {} (variant {}, reason {})",
            r.flag,
            r.value,
            r.variant.as_deref().unwrap_or("-"),
            reason.as_str()
        ),
    }
}

fn render(out: Output, text: String, json: Value) -> String {
    let mut s = match out {
        Output::Text => text,
        Output::Json => serde_json::to_string_pretty(&json).unwrap_or_default(),
    };
    s.push('\n');
    s
}

/// Run a flags subcommand; returns stdout and exit code (0 on success).
pub async fn run_flags(args: FlagsArgs) -> Result<(String, i32), FlagError> {
    match args.command {
        FlagsCommand::Eval {
            flag,
            context,
            default_value,
            provider,
        } => {
            let ctx: Value = serde_json::from_str(&context)
                .map_err(|e| usage(&format!("--context is not JSON: {e}")))?;
            let default = caller_default(default_value.as_deref());
            let r = match (&provider.flags_file, &provider.ofrep_url) {
                (Some(f), None) if provider.unleash_url.is_none() => FileProvider::new(f, None)
                    .load()
                    .await?
                    .resolve(&flag, &ctx, &default),
                (None, Some(u)) if provider.unleash_url.is_none() => {
                    let token = provider.optional_token().await?;
                    OfrepProvider::new(u, json!({}), token)
                        .resolve(&flag, &ctx, &default)
                        .await?
                }
                _ => {
                    return Err(usage(
                        "eval needs exactly one of --flags-file or --ofrep-url",
                    ));
                }
            };
            let code = if r.error_code.is_some() { 1 } else { 0 };
            Ok((
                render(
                    provider.output,
                    resolution_line(&r, default_value.is_some()),
                    json!(r),
                ),
                code,
            ))
        }
        FlagsCommand::Get { flag, provider } => {
            let s = provider.provider().await?.read(&flag).await?;
            Ok((render(provider.output, state_line(&s), json!(s)), 0))
        }
        FlagsCommand::Set {
            flag,
            percent,
            provider,
        } => {
            let p = provider.provider().await?;
            let t = Instant::now();
            let s = p.set_rollout(&flag, percent).await?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let text = format!("set, confirmed in {ms:.1} ms: {}", state_line(&s));
            Ok((
                render(
                    provider.output,
                    text,
                    json!({"state": s, "confirmed_ms": ms}),
                ),
                0,
            ))
        }
        FlagsCommand::Rollback { flag, provider } => {
            let p = provider.provider().await?;
            let t = Instant::now();
            let s = p.rollback(&flag).await?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let text = format!("rolled back, confirmed in {ms:.1} ms: {}", state_line(&s));
            Ok((
                render(
                    provider.output,
                    text,
                    json!({"state": s, "confirmed_ms": ms}),
                ),
                0,
            ))
        }
    }
}
