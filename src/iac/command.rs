//! The `command` provisioner: argv arrays (a shell only with `shell = true`)
//! that print plan JSON and outputs JSON in Terraform's formats.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::config::CommandConfig;
use super::error::{IacError, parse_json};
use super::plan;
use super::process::{LineSink, StdoutMode, Step, StepOutput, run};
use super::provisioner::{ApplyReport, OutputValue, PlanRun, failed, parse_outputs};

/// Custom commands (argv arrays), for tools that are not Terraform.
#[derive(Clone, Debug)]
pub struct CommandProvisioner {
    /// The commands.
    pub config: CommandConfig,
    /// Working directory.
    pub working_dir: PathBuf,
    /// Whether apply and destroy are allowed.
    pub allow_apply: bool,
}

impl CommandProvisioner {
    fn argv(&self, argv: &[String]) -> Vec<String> {
        if self.config.shell {
            vec!["sh".into(), "-c".into(), argv.join(" ")]
        } else {
            argv.to_vec()
        }
    }

    async fn step(
        &self,
        key: &str,
        argv: &[String],
        mode: StdoutMode,
        sink: LineSink<'_>,
    ) -> Result<StepOutput, IacError> {
        if argv.is_empty() {
            return Err(IacError::Config(format!("command.{key} is not configured")));
        }
        let argv = self.argv(argv);
        let name = format!("command.{key}");
        let hint = format!("install `{}` or fix command.{key}", argv[0]);
        let out = run(
            &Step {
                name: &name,
                argv: &argv,
                cwd: &self.working_dir,
                env: &[],
                timeout: Duration::from_secs(self.config.timeout_s),
                mode,
                hint: &hint,
            },
            sink,
        )
        .await?;
        if !out.success {
            return Err(failed(&name, &out));
        }
        Ok(out)
    }

    /// Run `plan` (and `show`), reading plan JSON from stdout.
    pub async fn plan(&self, sink: LineSink<'_>) -> Result<PlanRun, IacError> {
        let label = if self.config.show.is_empty() {
            let out = self
                .step("plan", &self.config.plan, StdoutMode::Capture, sink)
                .await?;
            ("command.plan output", out.stdout)
        } else {
            self.step("plan", &self.config.plan, StdoutMode::Stream, sink)
                .await?;
            let out = self
                .step("show", &self.config.show, StdoutMode::Capture, sink)
                .await?;
            ("command.show output", out.stdout)
        };
        let doc = parse_json(Path::new(label.0), &label.1)?;
        let summary = plan::summarize(Path::new(label.0), &doc)?;
        Ok(PlanRun { summary, doc })
    }

    /// Run `apply`. A failed command is reported as such: what it changed is unknown.
    pub async fn apply(&self, sink: LineSink<'_>) -> Result<ApplyReport, IacError> {
        if !self.allow_apply {
            return Err(IacError::NotAllowed {
                action: "apply".into(),
            });
        }
        self.step("apply", &self.config.apply, StdoutMode::Stream, sink).await.map_err(|e| match e {
            IacError::StepFailed { step, status, message } => IacError::StepFailed {
                step,
                status,
                message: format!("{message} (the environment may be partly changed: check it before the next run)"),
            },
            other => other,
        })?;
        Ok(ApplyReport {
            completed: Vec::new(),
            summary: "command.apply finished".into(),
        })
    }

    /// Run `output`, reading `terraform output -json`-style JSON.
    pub async fn outputs(
        &self,
        sink: LineSink<'_>,
    ) -> Result<BTreeMap<String, OutputValue>, IacError> {
        if self.config.output.is_empty() {
            return Ok(BTreeMap::new());
        }
        let out = self
            .step("output", &self.config.output, StdoutMode::Capture, sink)
            .await?;
        parse_outputs(Path::new("command.output output"), &out.stdout)
    }

    /// Run `destroy`.
    pub async fn destroy(&self, sink: LineSink<'_>) -> Result<ApplyReport, IacError> {
        if !self.allow_apply {
            return Err(IacError::NotAllowed {
                action: "destroy".into(),
            });
        }
        self.step("destroy", &self.config.destroy, StdoutMode::Stream, sink)
            .await?;
        Ok(ApplyReport {
            completed: Vec::new(),
            summary: "command.destroy finished".into(),
        })
    }
}
