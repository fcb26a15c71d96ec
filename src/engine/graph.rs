//! The stage graph: which stage waits for which (`needs`), which stages may
//! not overlap (`resource`), and so which stages the engine may start now.
//!
//! A stage without `needs` waits for the one written before it, so a plan
//! written before the graph existed runs in the same order with the same
//! results. The gate waits for every stage. Stages that hold the same
//! resource (load and canary both drive the target) never overlap.

use std::collections::HashMap;

use crate::config::Problem;
use crate::core::event::StageKind;
use crate::engine::config::StageConfig;

/// The resource a stage holds when config does not say.
pub fn default_resource(kind: StageKind) -> Option<&'static str> {
    match kind {
        StageKind::Load | StageKind::Canary => Some("target"),
        _ => None,
    }
}

/// The resource a configured stage holds, if any (`"none"` opts out).
pub fn resource_of(st: &StageConfig) -> Option<String> {
    match st.resource.as_deref() {
        Some("none") | Some("") => None,
        Some(r) => Some(r.to_string()),
        None => default_resource(st.kind).map(str::to_string),
    }
}

/// The plan as a graph of stage indexes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    ids: Vec<String>,
    needs: Vec<Vec<usize>>,
    resources: Vec<Option<String>>,
}

/// Where each stage is, as the scheduler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Not started.
    Waiting,
    /// Started, not finished.
    Running,
    /// Finished (any verdict).
    Done,
}

impl Graph {
    /// Build the graph of a plan; every problem of `check` is an error here.
    pub fn new(stages: &[StageConfig]) -> Result<Graph, Vec<Problem>> {
        let problems = check(stages);
        if !problems.is_empty() {
            return Err(problems);
        }
        let (needs, _) = resolve(stages);
        Ok(Graph {
            ids: stages.iter().map(|s| s.id.clone()).collect(),
            needs: needs
                .into_iter()
                .map(|n| n.into_iter().map(|(i, _)| i).collect())
                .collect(),
            resources: stages.iter().map(resource_of).collect(),
        })
    }

    /// Number of stages.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the plan has no stages.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of stage `i`.
    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    /// The stages that may start now, in plan order: waiting, with every
    /// stage they need done, and holding no resource that a running stage
    /// (or one started before them in this same answer) holds.
    pub fn ready(&self, progress: &[Progress]) -> Vec<usize> {
        let mut held: Vec<&str> = self
            .resources
            .iter()
            .zip(progress)
            .filter(|(_, p)| **p == Progress::Running)
            .filter_map(|(r, _)| r.as_deref())
            .collect();
        let mut out = Vec::new();
        for i in 0..self.ids.len() {
            if progress[i] != Progress::Waiting
                || !self.needs[i].iter().all(|&n| progress[n] == Progress::Done)
            {
                continue;
            }
            if let Some(r) = self.resources[i].as_deref() {
                if held.contains(&r) {
                    continue;
                }
                held.push(r);
            }
            out.push(i);
        }
        out
    }
}

/// Each stage's needs as (index, written explicitly), plus problems with
/// unknown ids.
#[allow(clippy::type_complexity)]
fn resolve(stages: &[StageConfig]) -> (Vec<Vec<(usize, bool)>>, Vec<Problem>) {
    let index: HashMap<&str, usize> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut problems = Vec::new();
    let mut all = Vec::new();
    for (i, st) in stages.iter().enumerate() {
        let mut needs = Vec::new();
        if st.kind == StageKind::Gate {
            needs.extend((0..stages.len()).filter(|&j| j != i).map(|j| (j, false)));
        } else {
            match &st.needs {
                None if i > 0 => needs.push((i - 1, false)),
                None => {}
                Some(ids) => {
                    for id in ids {
                        match index.get(id.as_str()) {
                            Some(&j) => needs.push((j, true)),
                            None => problems.push(Problem::at(
                                format!("stages[{i}].needs"),
                                format!("unknown stage `{id}`"),
                                format!(
                                    "use one of: {}",
                                    stages
                                        .iter()
                                        .filter(|s| s.id != st.id)
                                        .map(|s| s.id.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )),
                        }
                    }
                }
            }
        }
        all.push(needs);
    }
    (all, problems)
}

/// Every problem with the plan's graph: unknown ids in `needs`, a stage
/// that needs the gate (the gate must be last), more than one gate, and
/// cycles, each naming the stages involved.
pub fn check(stages: &[StageConfig]) -> Vec<Problem> {
    let (needs, mut problems) = resolve(stages);
    let gates: Vec<usize> = (0..stages.len())
        .filter(|&i| stages[i].kind == StageKind::Gate)
        .collect();
    if gates.len() > 1 {
        problems.push(Problem::at(
            format!("stages[{}].kind", gates[1]),
            format!(
                "more than one gate: {}",
                gates
                    .iter()
                    .map(|&g| format!("`{}`", stages[g].id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "keep one gate stage, at the end of [[stages]]",
        ));
    }
    for (i, n) in needs.iter().enumerate() {
        for &(j, explicit) in n {
            if stages[j].kind == StageKind::Gate && stages[i].kind != StageKind::Gate && explicit {
                problems.push(Problem::at(
                    format!("stages[{i}].needs"),
                    format!(
                        "`{}` needs the gate `{}`, but the gate must be last in the graph",
                        stages[i].id, stages[j].id
                    ),
                    "the gate waits for every stage; remove it from needs",
                ));
            }
        }
    }
    if let Some(cycle) = find_cycle(&needs) {
        let names: Vec<&str> = cycle.iter().map(|&i| stages[i].id.as_str()).collect();
        problems.push(Problem::at(
            format!("stages[{}].needs", cycle[0]),
            format!("the stages wait for each other: {}", names.join(" -> ")),
            "break the cycle: remove one of these from the needs of another",
        ));
    }
    problems
}

/// One cycle in the needs graph, as a path that ends where it starts.
fn find_cycle(needs: &[Vec<(usize, bool)>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        i: usize,
        needs: &[Vec<(usize, bool)>],
        mark: &mut [Mark],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        mark[i] = Mark::OnPath;
        path.push(i);
        for &(j, _) in &needs[i] {
            match mark[j] {
                Mark::OnPath => {
                    let start = path.iter().position(|&p| p == j).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(j);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(j, needs, mark, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        mark[i] = Mark::Done;
        None
    }
    let mut mark = vec![Mark::New; needs.len()];
    for i in 0..needs.len() {
        if mark[i] == Mark::New {
            let mut path = Vec::new();
            if let Some(c) = visit(i, needs, &mut mark, &mut path) {
                return Some(c);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(id: &str, kind: StageKind, needs: Option<&[&str]>) -> StageConfig {
        StageConfig {
            id: id.into(),
            kind,
            weight: 1.0,
            hard: false,
            enabled: true,
            needs: needs.map(|n| n.iter().map(|s| s.to_string()).collect()),
            resource: None,
        }
    }

    fn demo_like() -> Vec<StageConfig> {
        vec![
            st("env", StageKind::Environment, None),
            st("load", StageKind::Load, None),
            st("canary", StageKind::Canary, None),
            st("scans", StageKind::Scan, Some(&[])),
            st("policy", StageKind::Policy, Some(&["load", "scans"])),
            st("gate", StageKind::Gate, None),
        ]
    }

    fn ids(g: &Graph, v: Vec<usize>) -> Vec<&str> {
        v.into_iter().map(|i| g.id(i)).collect::<Vec<_>>()
    }

    #[test]
    fn without_needs_the_plan_runs_in_written_order() {
        let plan = vec![
            st("env", StageKind::Environment, None),
            st("scans", StageKind::Scan, None),
            st("gate", StageKind::Gate, None),
        ];
        let g = Graph::new(&plan).expect("graph");
        let mut p = vec![Progress::Waiting; 3];
        assert_eq!(ids(&g, g.ready(&p)), ["env"]);
        p[0] = Progress::Done;
        assert_eq!(ids(&g, g.ready(&p)), ["scans"]);
        p[1] = Progress::Done;
        assert_eq!(ids(&g, g.ready(&p)), ["gate"]);
    }

    #[test]
    fn independent_stages_start_together_and_the_target_is_held_by_one() {
        let g = Graph::new(&demo_like()).expect("graph");
        use Progress::*;
        let mut p = vec![Waiting; 6];
        assert_eq!(ids(&g, g.ready(&p)), ["env", "scans"]);
        p[0] = Done;
        p[3] = Running;
        assert_eq!(ids(&g, g.ready(&p)), ["load"]);
        p[1] = Running;
        // The canary needs load; even if it did not, load holds the target.
        assert!(g.ready(&p).is_empty());
        p[1] = Done;
        p[3] = Done;
        assert_eq!(ids(&g, g.ready(&p)), ["canary", "policy"]);
        p[2] = Done;
        p[4] = Running;
        assert!(g.ready(&p).is_empty(), "the gate waits for every stage");
        p[4] = Done;
        assert_eq!(ids(&g, g.ready(&p)), ["gate"]);
    }

    #[test]
    fn stages_holding_the_same_resource_never_start_together() {
        let plan = vec![
            st("a", StageKind::Load, Some(&[])),
            st("b", StageKind::Canary, Some(&[])),
            st("c", StageKind::Scan, Some(&[])),
        ];
        let g = Graph::new(&plan).expect("graph");
        assert_eq!(ids(&g, g.ready(&[Progress::Waiting; 3])), ["a", "c"]);
        let mut own = plan.clone();
        own[1].resource = Some("none".into());
        let g = Graph::new(&own).expect("graph");
        assert_eq!(ids(&g, g.ready(&[Progress::Waiting; 3])), ["a", "b", "c"]);
    }

    #[test]
    fn a_cycle_names_its_stages() {
        let plan = vec![
            st("a", StageKind::Scan, Some(&["c"])),
            st("b", StageKind::Scan, Some(&["a"])),
            st("c", StageKind::Scan, Some(&["b"])),
        ];
        let problems = check(&plan);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "stages[0].needs");
        assert!(
            problems[0].message.contains("a -> c -> b -> a"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn unknown_ids_and_a_stage_that_needs_the_gate_are_errors() {
        let plan = vec![
            st("env", StageKind::Environment, Some(&["nope"])),
            st("gate", StageKind::Gate, None),
            st("late", StageKind::Scan, Some(&["gate"])),
        ];
        let text: Vec<String> = check(&plan).iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("stages[0].needs: unknown stage `nope`")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("`late` needs the gate `gate`")),
            "{text:?}"
        );
        // And the late stage with the gate needing it too is a cycle.
        assert!(
            text.iter()
                .any(|t| t.contains("gate -> late -> gate") || t.contains("late -> gate -> late")),
            "{text:?}"
        );
    }
}
