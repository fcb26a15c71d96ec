//! Rules resolved against the source's catalog: the transformer of every
//! column, the links followed so that a transformed key transforms the same
//! way where it is referenced, and every rule that names nothing or the
//! wrong type, as a config error naming the rule.

use std::collections::BTreeMap;

use super::DataError;
use super::catalog::{Catalog, ForeignKey};
use super::rules::{Pattern, Rules};
use super::transform::Transformer;

/// The transformer of one column and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// What to do.
    pub transformer: Transformer,
    /// `rules[2] (column = "*.email")` or `follows public.customers.email`.
    pub origin: String,
    /// Distinct inputs must give distinct outputs: the column has a unique
    /// index, or follows one that has (so both draw the same wide values).
    pub unique: bool,
}

/// Every transformed column, by `schema.table` then column.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// `schema.table` -> column -> transformer.
    pub columns: BTreeMap<String, BTreeMap<String, Resolved>>,
}

impl Plan {
    /// The transformer of a column, if any.
    pub fn get(&self, table: &str, column: &str) -> Option<&Resolved> {
        self.columns.get(table).and_then(|t| t.get(column))
    }

    /// `column:transformer` of a table, for the pane and events.
    pub fn summary(&self, table: &str) -> Vec<String> {
        self.columns
            .get(table)
            .map(|t| {
                t.iter()
                    .filter(|(_, r)| r.transformer != Transformer::Keep)
                    .map(|(c, r)| format!("{c}:{}", r.transformer.name()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn split3(s: &str) -> Option<(&str, &str, &str)> {
    let mut it = s.splitn(3, '.');
    Some((it.next()?, it.next()?, it.next()?))
}

/// Add the rules' `references` to the catalog as undeclared foreign keys.
pub fn add_references(catalog: &mut Catalog, rules: &Rules) -> Result<(), DataError> {
    for (i, r) in rules.references.iter().enumerate() {
        let name = format!("{}: references[{i}] ({} -> {})", rules.source, r.from, r.to);
        let (Some((fs, ft, fc)), Some((ts, tt, tc))) = (split3(&r.from), split3(&r.to)) else {
            return Err(DataError::Usage(format!(
                "{name}: from and to are `schema.table.column`"
            )));
        };
        for (s, t, c) in [(ts, tt, tc), (fs, ft, fc)] {
            let ok = catalog
                .table(&format!("{s}.{t}"))
                .is_some_and(|tb| tb.column(c).is_some());
            if !ok {
                return Err(DataError::Usage(format!(
                    "{name}: the source has no column {s}.{t}.{c}"
                )));
            }
        }
        let parent = format!("{ts}.{tt}");
        let child = format!("{fs}.{ft}");
        if let Some(t) = catalog.tables.iter_mut().find(|t| t.full_name() == child) {
            t.foreign_keys.push(ForeignKey {
                columns: vec![fc.to_string()],
                parent,
                parent_columns: vec![tc.to_string()],
                declared: false,
            });
        }
    }
    Ok(())
}

/// Whether a transformer gives the same output for the same value wherever
/// it runs (so a join on it holds).
fn follows_values(t: &Transformer) -> bool {
    matches!(
        t,
        Transformer::Keep
            | Transformer::Null
            | Transformer::Hash
            | Transformer::Hmac
            | Transformer::Fake { .. }
            | Transformer::Mask { .. }
    )
}

/// Resolve every rule against the catalog.
pub fn resolve(catalog: &Catalog, rules: &Rules) -> Result<Plan, DataError> {
    let mut plan = Plan::default();
    let mut problems = Vec::new();
    let compiled: Vec<(usize, Pattern)> = rules
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Pattern::new(&r.column).map(|p| (i, p)))
        .collect();
    if compiled.len() != rules.rules.len() {
        for r in &rules.rules {
            if Pattern::new(&r.column).is_none() {
                problems.push(format!("{}: the pattern does not parse", r.name()));
            }
        }
    }
    let mut used = vec![false; rules.rules.len()];
    for t in &catalog.tables {
        // A partition follows the rules of its partitioned root.
        let own = t.full_name();
        let named = t.root.as_deref().unwrap_or(&own);
        let (ms, mt) = named.split_once('.').unwrap_or((&t.schema, &t.name));
        for c in &t.columns {
            // A literal rule beats a glob; otherwise the first in the file.
            let pick = compiled
                .iter()
                .filter(|(_, p)| {
                    p.matches(ms, mt, &c.name) || p.matches(&t.schema, &t.name, &c.name)
                })
                .min_by_key(|(i, p)| (!p.is_literal(), *i));
            let Some((i, _)) = pick else { continue };
            used[*i] = true;
            let rule = &rules.rules[*i];
            if c.generated {
                if compiled[*i].1.is_literal() {
                    problems.push(format!(
                        "{}: {}.{} is a generated column; the target computes it from the transformed columns",
                        rule.name(),
                        t.full_name(),
                        c.name
                    ));
                }
                continue;
            }
            if let Some(why) = rule.transformer.rejects(c) {
                problems.push(format!(
                    "{}: {}.{} ({}): {why}",
                    rule.name(),
                    t.full_name(),
                    c.name,
                    c.type_name
                ));
                continue;
            }
            if let Transformer::Template { template } = &rule.transformer {
                for name in template_names(template) {
                    if name != "hmac" && t.column(name).is_none() {
                        problems.push(format!(
                            "{}: the template names {{{name}}}, which {} does not have",
                            rule.name(),
                            t.full_name()
                        ));
                    }
                }
            }
            plan.columns.entry(t.full_name()).or_default().insert(
                c.name.clone(),
                Resolved {
                    transformer: rule.transformer.clone(),
                    origin: rule.name(),
                    unique: t.is_unique(&c.name),
                },
            );
        }
    }
    for (i, r) in rules.rules.iter().enumerate() {
        if !used[i] && Pattern::new(&r.column).is_some() {
            problems.push(format!(
                "{}: matches no column of the source{}",
                r.name(),
                suggestion(catalog, &r.column)
            ));
        }
    }
    follow_links(catalog, &mut plan, &mut problems);
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(DataError::Usage(format!(
            "{}: {}",
            rules.source,
            problems.join(&format!("\n{}: ", rules.source))
        )))
    }
}

fn template_names(t: &str) -> Vec<&str> {
    t.split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(n, _)| n))
        .collect()
}

fn suggestion(catalog: &Catalog, pattern: &str) -> String {
    let last = pattern.rsplit('.').next().unwrap_or(pattern);
    let best = catalog
        .tables
        .iter()
        .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
        .map(|(t, c)| (strsim::jaro_winkler(last, &c.name), t, c))
        .filter(|(s, _, _)| *s > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    best.map(|(_, t, c)| format!(" (did you mean {}.{}?)", t.full_name(), c.name))
        .unwrap_or_default()
}

/// Referencing columns take their parent's transformer, so joins hold.
fn follow_links(catalog: &Catalog, plan: &mut Plan, problems: &mut Vec<String>) {
    // Chains (a -> b -> c) settle in as many rounds as they are long.
    for _ in 0..8 {
        let mut changed = false;
        for t in &catalog.tables {
            for fk in &t.foreign_keys {
                for (cc, pc) in fk.columns.iter().zip(&fk.parent_columns) {
                    let Some(parent) = plan.get(&fk.parent, pc).cloned() else {
                        continue;
                    };
                    let link = format!("{}.{cc} -> {}.{pc}", t.full_name(), fk.parent);
                    if !follows_values(&parent.transformer) {
                        let p = format!(
                            "{}: {} is referenced ({link}); {} would break the join: use hmac, hash, fake or mask",
                            parent.origin,
                            pc,
                            parent.transformer.name()
                        );
                        if !problems.contains(&p) {
                            problems.push(p);
                        }
                        continue;
                    }
                    match plan.get(&t.full_name(), cc) {
                        Some(own) if own.transformer == parent.transformer => {
                            // Same transformer: same value space as the parent.
                            if own.unique != parent.unique
                                && let Some(r) = plan
                                    .columns
                                    .get_mut(&t.full_name())
                                    .and_then(|m| m.get_mut(cc))
                            {
                                r.unique |= parent.unique;
                                changed |= parent.unique;
                            }
                        }
                        Some(own) if own.origin.starts_with("follows") => {}
                        Some(own) => {
                            let p = format!(
                                "{}: {link} must transform like its parent ({}, from {}) or the join breaks; drop this rule",
                                own.origin,
                                parent.transformer.name(),
                                parent.origin
                            );
                            if !problems.contains(&p) {
                                problems.push(p);
                            }
                        }
                        None => {
                            plan.columns.entry(t.full_name()).or_default().insert(
                                cc.clone(),
                                Resolved {
                                    transformer: parent.transformer.clone(),
                                    origin: format!("follows {}.{pc}", fk.parent),
                                    unique: parent.unique,
                                },
                            );
                            changed = true;
                        }
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
}
