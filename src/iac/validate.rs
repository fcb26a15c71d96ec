//! The checks of an IaC section: every problem at once, before anything is
//! planned or applied, so that `check-config` and the IaC stage report the
//! same things.

use super::config::{ApplyMode, IacConfig, ProvisionerKind};
use super::provisioner::TERRAFORM_HINT;
use crate::config::{
    Problem, Severity, check_dir, check_file, check_program, holds_placeholder, parse_duration,
    program_exists,
};
use crate::core::verdict::Verdict;

impl IacConfig {
    /// Every problem at once, keys relative to this section (`parity.min_score`):
    /// the section does not know where it sits, its owner places the keys
    /// ([`Problem::under`]). The values' checks, then every missing path as
    /// an error: what the IaC stage refuses to run with.
    pub fn validate(&self) -> Vec<Problem> {
        let mut p = self.validate_values();
        p.extend(self.check_files(Severity::Error));
        p
    }

    /// The checks of the values alone (no file system), keys relative to
    /// this section.
    pub fn validate_values(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        let mut add = |k: &str, m: String, h: &str| p.push(Problem::at(k, m, h));
        let tf = matches!(
            self.provisioner,
            ProvisionerKind::Terraform | ProvisionerKind::Tofu
        );
        if tf {
            if self.binary.as_deref().is_some_and(|b| b.trim().is_empty()) {
                add(
                    "binary",
                    "is empty".into(),
                    "remove it to use terraform/tofu from PATH, or give a path",
                );
            }
            if self
                .workspace
                .as_deref()
                .is_some_and(|w| w.trim().is_empty())
            {
                add(
                    "workspace",
                    "is empty".into(),
                    "remove it to keep the current workspace",
                );
            }
        }
        if self.provisioner == ProvisionerKind::Command && self.command.plan.is_empty() {
            add(
                "command.plan",
                "is required with provisioner = \"command\"".into(),
                "an argv array that prints plan JSON, e.g. [\"./plan.sh\"]",
            );
        }
        if self.provisioner == ProvisionerKind::Command
            && self.may_change()
            && self.command.apply.is_empty()
        {
            add(
                "command.apply",
                format!("is empty while apply = \"{}\"", self.apply_mode().as_str()),
                "add the apply argv, or set apply = \"never\"",
            );
        }
        match (self.apply, self.allow_apply) {
            (Some(m), Some(a)) if (m == ApplyMode::Auto) != a || m == ApplyMode::Confirm => add(
                "allow_apply",
                format!("is {a}, which contradicts apply = \"{}\"", m.as_str()),
                "allow_apply is the old spelling of apply: remove it and keep apply (never | confirm | auto)",
            ),
            _ => {}
        }
        match parse_duration(&self.approval_timeout) {
            Ok(d) if d.is_zero() => add(
                "approval_timeout",
                "must be above 0".into(),
                "give the operator time to read the plan, e.g. \"10m\"",
            ),
            Ok(_) => {}
            Err(e) => add(
                "approval_timeout",
                e,
                "a duration such as \"10m\", \"90s\" or \"1h\"",
            ),
        }
        if self.command.shell {
            for (k, argv) in [
                ("plan", &self.command.plan),
                ("apply", &self.command.apply),
                ("destroy", &self.command.destroy),
            ] {
                if argv.len() > 1 {
                    add(
                        &format!("command.{k}"),
                        "has several elements while shell = true".into(),
                        "with shell = true write the whole command line as one string",
                    );
                }
            }
        }
        if self.provisioner == ProvisionerKind::None && self.may_change() {
            add(
                if self.apply.is_some() {
                    "apply"
                } else {
                    "allow_apply"
                },
                "has no effect with provisioner = \"none\"".into(),
                "choose a provisioner or remove it",
            );
        }
        if self.timeout_s == 0 || self.command.timeout_s == 0 {
            add(
                "timeout_s",
                "must be above 0".into(),
                "a few minutes (300) suits most plans",
            );
        }
        for (k, v) in [
            ("drift_verdict", self.drift_verdict),
            ("risk_verdict", self.risk_verdict),
        ] {
            if v == Verdict::Inconclusive {
                add(k, "cannot be inconclusive".into(), "use pass, warn or fail");
            }
        }
        if self.ephemeral.as_ref().is_some_and(|e| e.destroy_at_end) && !self.may_change() {
            add(
                "ephemeral.destroy_at_end",
                "needs apply = \"confirm\" or \"auto\"".into(),
                "an environment flightdeck may not apply cannot be destroyed by it either",
            );
        }
        for (out, ep) in &self.outputs_endpoints {
            if out.is_empty() || ep.is_empty() {
                add(
                    "outputs_endpoints",
                    "has an empty output or endpoint name".into(),
                    "write output_name = \"endpoint_name\"",
                );
            }
        }
        if let Some(par) = &self.parity {
            match (&par.prod_state, &par.prod_workspace) {
                (None, None) => add(
                    "parity",
                    "needs prod_state or prod_workspace".into(),
                    "point prod_state at `terraform show -json` output of production",
                ),
                (Some(_), Some(_)) => add(
                    "parity",
                    "has both prod_state and prod_workspace".into(),
                    "keep one",
                ),
                (None, Some(_)) if !tf => add(
                    "parity.prod_workspace",
                    "needs provisioner = \"terraform\" or \"tofu\"".into(),
                    "or use prod_state",
                ),
                _ => {}
            }
            if !(0.0..=100.0).contains(&par.min_score) {
                add(
                    "parity.min_score",
                    format!("{} is outside 0..100", par.min_score),
                    "90 tolerates a few unintended differences",
                );
            }
            if !matches!(par.below_verdict, Verdict::Warn | Verdict::Fail) {
                add(
                    "parity.below_verdict",
                    "must be warn or fail".into(),
                    "warn reports, fail blocks the release",
                );
            }
            for (i, s) in par.strip.iter().enumerate() {
                if let Err(e) = regex::Regex::new(s) {
                    add(
                        &format!("parity.strip[{i}]"),
                        format!("invalid regex: {e}"),
                        "e.g. '^module\\.(preprod|prod)\\.'",
                    );
                }
            }
            for (i, d) in par.intended.iter().enumerate() {
                if d.address.is_empty() || d.attribute.is_empty() {
                    add(
                        &format!("parity.intended[{i}]"),
                        "has an empty address or attribute".into(),
                        "use \"*\" to match any",
                    );
                }
            }
        }
        p
    }

    /// The programs, files and directories the section names that do not
    /// exist, keys relative to this section, each a problem at `severity`
    /// (the caller knows whether the environment stage is hard). With
    /// `optional = true` a missing terraform/tofu is a warning whatever the
    /// stage, and nothing else is checked: the stage then skips IaC and
    /// checks the declared endpoints.
    pub fn check_paths(&self, severity: Severity) -> Vec<Problem> {
        let mut p = Vec::new();
        let tf = matches!(
            self.provisioner,
            ProvisionerKind::Terraform | ProvisionerKind::Tofu
        );
        let binary = self.binary();
        if tf && !binary.trim().is_empty() && !holds_placeholder(&binary) {
            if self.optional && !program_exists(&binary) {
                p.push(
                    Problem::at(
                        "binary",
                        format!("program `{binary}` not found: the environment stage will not provision; it checks the declared endpoints instead"),
                        TERRAFORM_HINT,
                    )
                    .with_severity(Severity::Warning),
                );
                return p;
            }
            check_program(&binary, "binary", TERRAFORM_HINT, severity, &mut p);
        }
        if self.provisioner == ProvisionerKind::Command && !self.command.shell {
            for (k, argv) in [
                ("plan", &self.command.plan),
                ("apply", &self.command.apply),
                ("destroy", &self.command.destroy),
            ] {
                let Some(program) = argv.first() else {
                    continue;
                };
                let found = holds_placeholder(program)
                    || program_exists(program)
                    || (program.contains('/') && self.working_dir.join(program).is_file());
                if !found {
                    p.push(
                        Problem::at(
                            format!("command.{k}[0]"),
                            format!("program `{program}` not found"),
                            "install it, or give its path (relative paths start in working_dir)",
                        )
                        .with_severity(severity),
                    );
                }
            }
        }
        p.extend(self.check_files(severity));
        p
    }

    /// The files and directories the section names that do not exist (the
    /// IaC stage also refuses to run without them; a missing program it
    /// reports itself when it starts one).
    fn check_files(&self, severity: Severity) -> Vec<Problem> {
        let mut p = Vec::new();
        let tf = matches!(
            self.provisioner,
            ProvisionerKind::Terraform | ProvisionerKind::Tofu
        );
        if tf || self.provisioner == ProvisionerKind::Command {
            check_dir(
                &self.working_dir,
                "working_dir",
                "point it at the Terraform configuration of the environment",
                severity,
                &mut p,
            );
        }
        if tf {
            for (i, f) in self.var_files.iter().enumerate() {
                check_file(
                    &self.working_dir.join(f),
                    &format!("var_files[{i}]"),
                    "var files are relative to working_dir",
                    severity,
                    &mut p,
                );
            }
        }
        if self.provisioner == ProvisionerKind::None
            && let Some(f) = &self.plan_json
        {
            check_file(
                f,
                "plan_json",
                "write it with `terraform show -json PLANFILE > plan.json`",
                severity,
                &mut p,
            );
        }
        if let Some(par) = &self.parity {
            if let (Some(f), None) = (&par.prod_state, &par.prod_workspace) {
                check_file(
                    f,
                    "parity.prod_state",
                    "write it with `terraform show -json > prod-state.json` in production",
                    severity,
                    &mut p,
                );
            }
            if let Some(v) = &par.var_files {
                for (k, f) in [("preprod", &v.preprod), ("prod", &v.prod)] {
                    check_file(
                        f,
                        &format!("parity.var_files.{k}"),
                        "give the path of the environment's .tfvars or .tfvars.json",
                        severity,
                        &mut p,
                    );
                }
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_problems_are_explained() {
        let c: IacConfig = toml::from_str(
            r#"
provisioner = "terraform"
apply = "confirm"
allow_apply = true
approval_timeout = "ten minutes"
"#,
        )
        .unwrap();
        let p = c.validate();
        let get = |k: &str| p.iter().find(|x| x.key == k).cloned();
        let Problem {
            message: m,
            hint: h,
            ..
        } = get("allow_apply").expect("conflict reported");
        assert!(m.contains("which contradicts apply = \"confirm\""), "{m}");
        assert!(h.contains("never | confirm | auto"), "{h}");
        let m = get("approval_timeout")
            .expect("bad duration reported")
            .message;
        assert!(m.contains("not a duration"), "{m}");
        assert!(
            toml::from_str::<IacConfig>("apply = \"sometimes\"")
                .unwrap_err()
                .to_string()
                .contains("expected one of `never`, `confirm`, `auto`")
        );
    }

    #[test]
    fn defaults_are_safe_and_valid() {
        let c = IacConfig::default();
        assert_eq!(c.apply_mode(), ApplyMode::Never);
        assert_eq!(c.approval_timeout(), std::time::Duration::from_secs(600));
        assert!(c.validate().is_empty(), "{:?}", c.validate());
    }

    #[test]
    fn validate_reports_every_problem() {
        let c: IacConfig = toml::from_str(
            r#"
provisioner = "command"
apply = "auto"
timeout_s = 0
[parity]
min_score = 120
strip = ["("]
"#,
        )
        .unwrap();
        let keys: Vec<String> = c.validate().into_iter().map(|p| p.key).collect();
        for k in [
            "command.plan",
            "command.apply",
            "timeout_s",
            "parity",
            "parity.min_score",
            "parity.strip[0]",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k} missing in {keys:?}");
        }
    }
}
