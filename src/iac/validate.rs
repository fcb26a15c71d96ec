//! The checks of an IaC section: every problem at once, before anything is
//! planned or applied, so that `check-config` and the IaC stage report the
//! same things.

use super::config::{ApplyMode, IacConfig, ProvisionerKind};
use crate::config::{Problem, parse_duration};
use crate::core::verdict::Verdict;

impl IacConfig {
    /// Every problem at once, keys relative to this section (`parity.min_score`):
    /// the section does not know where it sits, its owner places the keys
    /// ([`Problem::under`]).
    pub fn validate(&self) -> Vec<Problem> {
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
            if !self.working_dir.is_dir() {
                add(
                    "working_dir",
                    format!("{} is not a directory", self.working_dir.display()),
                    "point it at the Terraform configuration of the environment",
                );
            }
            for (i, f) in self.var_files.iter().enumerate() {
                let full = self.working_dir.join(f);
                if !full.is_file() {
                    add(
                        &format!("var_files[{i}]"),
                        format!("{} does not exist", full.display()),
                        "var files are relative to working_dir",
                    );
                }
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
        if self.provisioner == ProvisionerKind::None
            && self.plan_json.as_ref().is_some_and(|f| !f.is_file())
        {
            add(
                "plan_json",
                "file does not exist".into(),
                "write it with `terraform show -json PLANFILE > plan.json`",
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
                (Some(f), None) if !f.is_file() => add(
                    "parity.prod_state",
                    format!("{} does not exist", f.display()),
                    "write it with `terraform show -json > prod-state.json` in production",
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
            if let Some(v) = &par.var_files {
                for (k, f) in [("preprod", &v.preprod), ("prod", &v.prod)] {
                    if !f.is_file() {
                        add(
                            &format!("parity.var_files.{k}"),
                            format!("{} does not exist", f.display()),
                            "give the path of the environment's .tfvars or .tfvars.json",
                        );
                    }
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
