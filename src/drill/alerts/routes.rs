//! Expected routes (`severity=page,team=checkout=oncall-pager`: these labels
//! must reach that receiver) and what `amtool` prints about them.

use std::fmt;

use crate::core::drill_ops::OpsFinding;

/// An alert's labels and the receiver its route must end in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectRoute {
    /// `(name, value)` pairs.
    pub labels: Vec<(String, String)>,
    /// The receiver (several, comma-free, are not supported: one route, one receiver).
    pub receiver: String,
}

impl fmt::Display for ExpectRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        write!(f, "{{{}}} -> {}", labels.join(","), self.receiver)
    }
}

impl ExpectRoute {
    /// Parse `label=value,label=value=receiver`.
    pub fn parse(spec: &str) -> Result<ExpectRoute, String> {
        let hint =
            "write 'label=value,...=receiver', e.g. 'severity=page,team=checkout=oncall-pager'";
        let (labels, receiver) = spec
            .rsplit_once('=')
            .ok_or_else(|| format!("--expect-route '{spec}': no receiver; {hint}"))?;
        let receiver = receiver.trim();
        if receiver.is_empty() {
            return Err(format!(
                "--expect-route '{spec}': the receiver is empty; {hint}"
            ));
        }
        let mut out = Vec::new();
        for pair in labels.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                format!("--expect-route '{spec}': '{pair}' is not label=value; {hint}")
            })?;
            let k = k.trim();
            let valid = k
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!(
                    "--expect-route '{spec}': '{k}' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*); {hint}"
                ));
            }
            out.push((k.to_string(), v.trim().to_string()));
        }
        if out.is_empty() {
            return Err(format!("--expect-route '{spec}': no labels; {hint}"));
        }
        Ok(ExpectRoute {
            labels: out,
            receiver: receiver.to_string(),
        })
    }

    /// The `label=value` arguments of `amtool config routes test`.
    pub fn label_args(&self) -> Vec<String> {
        self.labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

/// The receivers `amtool config routes test` resolved: its first line that
/// is not one of its warnings (`Warning: --config.file flag overrides...`).
pub fn resolved_receivers(output: &str) -> Vec<String> {
    output
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.to_lowercase().starts_with("warning"))
        .map(|l| l.split(',').map(|r| r.trim().to_string()).collect())
        .unwrap_or_default()
}

/// The finding for a route that reached other receivers.
pub fn misroute_finding(file: &str, route: &ExpectRoute, got: &[String]) -> OpsFinding {
    OpsFinding {
        tool: "amtool".into(),
        file: file.to_string(),
        group: None,
        subject: Some(route.to_string()),
        message: format!(
            "alerts labelled {} go to {}, not to {}",
            route.label_args().join(","),
            if got.is_empty() {
                "no receiver".to_string()
            } else {
                got.join(", ")
            },
            route.receiver
        ),
        expected: Some(route.receiver.clone()),
        got: Some(got.join(",")),
    }
}

/// Findings from a failed `amtool check-config FILE`
/// (`Checking 'F'  FAILED: undefined receiver "nope" used in route`).
pub fn check_config_findings(file: &str, output: &str) -> Vec<OpsFinding> {
    let mut out: Vec<OpsFinding> = output
        .lines()
        .filter_map(|l| l.split_once("FAILED:").map(|(_, m)| m.trim().to_string()))
        .filter(|m| !m.is_empty())
        .map(|message| OpsFinding {
            tool: "amtool".into(),
            file: file.to_string(),
            group: None,
            subject: None,
            message,
            expected: None,
            got: None,
        })
        .collect();
    if out.is_empty() {
        out.push(OpsFinding {
            tool: "amtool".into(),
            file: file.to_string(),
            group: None,
            subject: None,
            message: output
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("amtool check-config failed")
                .to_string(),
            expected: None,
            got: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_with_the_receiver_last() {
        let r = ExpectRoute::parse("severity=page, team=checkout=oncall-pager").expect("parses");
        assert_eq!(r.receiver, "oncall-pager");
        assert_eq!(r.label_args(), ["severity=page", "team=checkout"]);
        for bad in [
            "oncall",
            "severity=page=",
            "=oncall",
            "sev-erity=page=x",
            "severity=page,bad=x",
        ] {
            let e = ExpectRoute::parse(bad);
            assert!(e.is_err(), "{bad}: {e:?}");
        }
    }

    #[test]
    fn amtool_outputs_are_read() {
        let out = "Warning: --config.file flag overrides the --alertmanager.url.\nteam-tickets\nWARNING: Expected receivers did not match resolved receivers.\n";
        assert_eq!(resolved_receivers(out), ["team-tickets"]);
        let f = check_config_findings(
            "am.yml",
            "Checking 'am.yml'  FAILED: undefined receiver \"nope\" used in route\n\namtool: error: failed to validate 1 file(s)\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "undefined receiver \"nope\" used in route");
    }
}
