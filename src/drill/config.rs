//! `[[drill]]` in config: drills written inline, or `{ file = "..." }`
//! entries that take every drill of a drill file. Kept as written (so the
//! effective `config.json` shows it, and the demo can fill placeholders)
//! and read into typed drills when checked and when a drill stage starts.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Problem;

use super::spec::{Drill, parse_drills};

/// `[[drill]]`: the drills of the run, as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct DrillSection(pub Vec<Value>);

impl DrillSection {
    /// Whether no drill is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every drill (inline, then from files, in order) and every problem,
    /// each naming where it is and how to fix it.
    pub fn drills(&self) -> (Vec<Drill>, Vec<Problem>) {
        let mut drills: Vec<Drill> = Vec::new();
        let mut problems = Vec::new();
        for (i, entry) in self.0.iter().enumerate() {
            let key = format!("drill[{i}]");
            let file = entry.get("file").and_then(Value::as_str);
            let (found, errors) = match file {
                Some(f) => {
                    if entry
                        .as_object()
                        .is_some_and(|m| m.len() > 2 || (m.len() == 2 && !m.contains_key("stage")))
                    {
                        problems.push(Problem::at(
                            &key,
                            "a drill file entry takes only file (and stage)",
                            "move the drill's keys into the file, or drop file",
                        ));
                        continue;
                    }
                    match super::load_file(Path::new(f)) {
                        Ok(mut ds) => {
                            if let Some(stage) = entry.get("stage").and_then(Value::as_str) {
                                for d in &mut ds {
                                    d.stage.get_or_insert_with(|| stage.to_string());
                                }
                            }
                            (ds, Vec::new())
                        }
                        Err(es) => (
                            Vec::new(),
                            es.into_iter()
                                .map(|e| Problem::at(format!("{key}.file"), e, "fix the drill file; `flightdeck drill run FILE` checks it alone"))
                                .collect(),
                        ),
                    }
                }
                None => {
                    let doc = serde_json::json!({ "drill": [entry] });
                    let (ds, es) = parse_drills(&doc);
                    let mut out: Vec<Problem> = es
                        .into_iter()
                        .map(|e| {
                            Problem::at(key.clone(), format!("{}: {}", e.at, e.message), e.hint)
                        })
                        .collect();
                    for d in &ds {
                        out.extend(super::kinds::validate(d).into_iter().map(|e| {
                            Problem::at(&key, format!("{}: {}", e.at, e.message), e.hint)
                        }));
                    }
                    (ds, out)
                }
            };
            problems.extend(errors);
            for d in found {
                if drills.iter().any(|o| o.name == d.name) {
                    problems.push(Problem::at(
                        &key,
                        format!("drill \"{}\" is defined twice", d.name),
                        "give each drill a unique name",
                    ));
                } else {
                    drills.push(d);
                }
            }
        }
        (drills, problems)
    }

    /// Every problem in `[[drill]]`, given the plan's drill stage ids.
    pub fn validate(&self, stage_ids: &[&str]) -> Vec<Problem> {
        let (drills, mut out) = self.drills();
        for d in &drills {
            if let Some(s) = &d.stage
                && !stage_ids.contains(&s.as_str())
            {
                out.push(Problem::at(
                    "drill",
                    format!(
                        "drill \"{}\" names stage `{s}`, which is not a drill stage of the plan",
                        d.name
                    ),
                    format!("use one of: {}", stage_ids.join(", ")),
                ));
            }
        }
        if !stage_ids.is_empty() && drills.is_empty() && out.is_empty() {
            out.push(Problem::at(
                "drill",
                "the plan has a drill stage but no drill is configured",
                "add [[drill]] tables, or [[drill]] file = \"drills.toml\"",
            ));
        }
        out
    }

    /// The drills a drill stage runs: those naming it, and those naming no stage.
    pub fn for_stage(&self, stage: &str) -> Result<Vec<Drill>, Vec<Problem>> {
        let (drills, problems) = self.drills();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(drills
            .into_iter()
            .filter(|d| d.stage.as_deref().is_none_or(|s| s == stage))
            .collect())
    }

    /// Apply `f` to every string in the drills (the demo fills its
    /// placeholders this way).
    pub fn map_strings(&mut self, f: &mut impl FnMut(&str) -> String) {
        fn walk(v: &mut Value, f: &mut impl FnMut(&str) -> String) {
            match v {
                Value::String(s) => *s = f(s),
                Value::Array(a) => a.iter_mut().for_each(|x| walk(x, f)),
                Value::Object(m) => m.values_mut().for_each(|x| walk(x, f)),
                _ => {}
            }
        }
        self.0.iter_mut().for_each(|v| walk(v, f));
    }
}
