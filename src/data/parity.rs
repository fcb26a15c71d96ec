//! Parity between source and target, per table and column: rows, size,
//! null fraction, distinct ratio, a two-sample Kolmogorov-Smirnov distance
//! for numeric and date columns, FK fan-out (median, p95) and orphan rows,
//! each against a tolerance from the rules file.

use tokio_postgres::Client;

use super::DataError;
use super::catalog::{Catalog, Table};
use super::conn::db_message;
use super::conn::{ident, qualified};
use super::rules::Tolerances;
use crate::core::data::ParityLine;
use crate::core::verdict::Verdict;

fn rel_ok(s: f64, t: f64, tol: f64) -> bool {
    if s == 0.0 {
        t == 0.0 || tol >= 1.0
    } else {
        ((t - s) / s).abs() <= tol + 1e-12
    }
}

fn line(
    table: &str,
    column: &str,
    metric: &str,
    s: f64,
    t: f64,
    tolerance: String,
    ok: bool,
) -> ParityLine {
    ParityLine {
        table: table.into(),
        column: column.into(),
        metric: metric.into(),
        source: s,
        target: t,
        tolerance,
        verdict: if ok { Verdict::Pass } else { Verdict::Fail },
    }
}

fn q_err(side: &str, e: tokio_postgres::Error) -> DataError {
    DataError::Unreachable(format!("parity query on the {side}: {}", db_message(&e)))
}

/// Row count, null and distinct counts of the table's columns.
async fn profile(
    c: &Client,
    side: &str,
    t: &Table,
) -> Result<(f64, f64, Vec<(f64, f64)>), DataError> {
    let mut exprs = vec![
        "count(*)::float8".to_string(),
        format!(
            "pg_table_size('{}')::float8",
            t.sql_name().replace('\'', "''")
        ),
    ];
    for col in &t.columns {
        let c = ident(&col.name);
        exprs.push(format!("count({c})::float8"));
        exprs.push(format!("count(DISTINCT {c})::float8"));
    }
    let row = c
        .query_one(
            &format!("SELECT {} FROM {}", exprs.join(", "), t.sql_name()),
            &[],
        )
        .await
        .map_err(|e| q_err(side, e))?;
    let cols = (0..t.columns.len())
        .map(|i| (row.get::<_, f64>(2 + 2 * i), row.get::<_, f64>(3 + 2 * i)))
        .collect();
    Ok((row.get(0), row.get(1), cols))
}

/// Sorted numeric sample of a column (dates as epoch seconds).
async fn sample(
    c: &Client,
    side: &str,
    t: &Table,
    col: &str,
    n: i64,
    date: bool,
) -> Result<Vec<f64>, DataError> {
    let expr = if date {
        format!("extract(epoch FROM {}::timestamp)::float8", ident(col))
    } else {
        format!("{}::float8", ident(col))
    };
    let rows = c
        .query(
            &format!(
                "SELECT {expr} FROM {} WHERE {} IS NOT NULL ORDER BY random() LIMIT {n}",
                t.sql_name(),
                ident(col)
            ),
            &[],
        )
        .await
        .map_err(|e| q_err(side, e))?;
    let mut v: Vec<f64> = rows.iter().map(|r| r.get(0)).collect();
    v.sort_by(f64::total_cmp);
    Ok(v)
}

/// The two-sample Kolmogorov-Smirnov distance of two sorted samples.
pub fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return if a.is_empty() && b.is_empty() {
            0.0
        } else {
            1.0
        };
    }
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// Children per parent key (median, p95) of a foreign key.
async fn fanout(
    c: &Client,
    side: &str,
    t: &Table,
    cols: &[String],
) -> Result<(f64, f64), DataError> {
    let list = cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
    let notnull = cols
        .iter()
        .map(|c| format!("{} IS NOT NULL", ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let row = c
        .query_one(
            &format!(
                "SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY n), 0)::float8, \
                 coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY n), 0)::float8 \
                 FROM (SELECT count(*) n FROM {} WHERE {notnull} GROUP BY {list}) s",
                t.sql_name()
            ),
            &[],
        )
        .await
        .map_err(|e| q_err(side, e))?;
    Ok((row.get(0), row.get(1)))
}

/// Compare every table of `cat` between the two databases. With `scale`
/// above 1 the target holds that many copies of the rows (see
/// [`super::scale`]): rows and size are expected times `scale`; a column's
/// distinct ratio lies between the source's divided by `scale` (values
/// copied as is) and the source's (values renewed in every copy); keys are
/// shifted identifiers, so they get no distribution test; fan-out and
/// orphans are expected unchanged.
pub async fn compare(
    src: &Client,
    tgt: &Client,
    cat: &Catalog,
    tol: &Tolerances,
    nulled: &(dyn Fn(&str, &str) -> bool + Sync),
    scale: u32,
) -> Result<Vec<ParityLine>, DataError> {
    let f = f64::from(scale.max(1));
    let scaled = |t: String| {
        if scale > 1 {
            format!("{t} of source x{scale}")
        } else {
            t
        }
    };
    let mut out = Vec::new();
    for t in cat.tables.iter().filter(|t| t.root.is_none()) {
        let name = t.full_name();
        let exists: bool = tgt
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&t.sql_name()])
            .await
            .map_err(|e| q_err("target", e))?
            .get(0);
        if !exists {
            let (sr, _, _) = profile(src, "source", t).await?;
            out.push(line(
                &name,
                "",
                "rows",
                sr,
                0.0,
                "table missing in the target".into(),
                false,
            ));
            continue;
        }
        // Each side's queries run at the same time, one per database.
        let ((sr, ss, scols), (tr, ts, tcols)) =
            futures::try_join!(profile(src, "source", t), profile(tgt, "target", t))?;
        out.push(line(
            &name,
            "",
            "rows",
            sr * f,
            tr,
            scaled(format!("±{}%", tol.rows * 100.0)),
            rel_ok(sr * f, tr, tol.rows),
        ));
        if !t.partitioned {
            out.push(line(
                &name,
                "",
                "size",
                ss * f,
                ts,
                scaled(format!("±{}%", tol.size * 100.0)),
                rel_ok(ss * f, ts, tol.size),
            ));
        }
        for (i, col) in t.columns.iter().enumerate() {
            let (snn, sd) = scols[i];
            let (tnn, td) = tcols[i];
            let frac = |nn: f64, rows: f64| if rows > 0.0 { 1.0 - nn / rows } else { 0.0 };
            let (sf, tf) = (frac(snn, sr), frac(tnn, tr));
            // A generated column follows its (transformed) inputs.
            if !nulled(&name, &col.name) && !col.generated {
                out.push(line(
                    &name,
                    &col.name,
                    "null_fraction",
                    sf,
                    tf,
                    format!("±{}", tol.null_fraction),
                    (sf - tf).abs() <= tol.null_fraction + 1e-12,
                ));
                let ratio = |d: f64, nn: f64| if nn > 0.0 { d / nn } else { 0.0 };
                let (sdr, tdr) = (ratio(sd, snn), ratio(td, tnn));
                let (tolerance, ok) = if scale > 1 {
                    (
                        format!("between source/{scale} and source, ±{}", tol.distinct_ratio),
                        tdr >= sdr / f - tol.distinct_ratio - 1e-12
                            && tdr <= sdr + tol.distinct_ratio + 1e-12,
                    )
                } else {
                    (
                        format!("±{}", tol.distinct_ratio),
                        (sdr - tdr).abs() <= tol.distinct_ratio + 1e-12,
                    )
                };
                out.push(line(
                    &name,
                    &col.name,
                    "distinct_ratio",
                    sdr,
                    tdr,
                    tolerance,
                    ok,
                ));
            }
            let key = t.primary_key.contains(&col.name)
                || t.unique.iter().any(|u| u.contains(&col.name))
                || t.foreign_keys
                    .iter()
                    .any(|fk| fk.columns.contains(&col.name));
            if (col.is_numeric() || col.is_date())
                && !(scale > 1 && key)
                && !nulled(&name, &col.name)
                && sr > 0.0
                && tr > 0.0
            {
                let (a, b) = futures::try_join!(
                    sample(src, "source", t, &col.name, tol.ks_sample, col.is_date()),
                    sample(tgt, "target", t, &col.name, tol.ks_sample, col.is_date())
                )?;
                let d = ks_distance(&a, &b);
                out.push(line(
                    &name,
                    &col.name,
                    "ks",
                    0.0,
                    d,
                    format!("D <= {}", tol.ks_max_d),
                    d <= tol.ks_max_d,
                ));
            }
        }
        for fk in &t.foreign_keys {
            let cols = fk.columns.join(",");
            let ((sm, sp), (tm, tp)) = futures::try_join!(
                fanout(src, "source", t, &fk.columns),
                fanout(tgt, "target", t, &fk.columns)
            )?;
            out.push(line(
                &name,
                &cols,
                "fanout_median",
                sm,
                tm,
                format!("±{}%", tol.fanout * 100.0),
                rel_ok(sm, tm, tol.fanout),
            ));
            out.push(line(
                &name,
                &cols,
                "fanout_p95",
                sp,
                tp,
                format!("±{}%", tol.fanout * 100.0),
                rel_ok(sp, tp, tol.fanout),
            ));
            let (ps, pt) = fk.parent.split_once('.').unwrap_or(("public", &fk.parent));
            let on = fk
                .columns
                .iter()
                .zip(&fk.parent_columns)
                .map(|(c, p)| format!("p.{} = c.{}", ident(p), ident(c)))
                .collect::<Vec<_>>()
                .join(" AND ");
            let notnull = fk
                .columns
                .iter()
                .map(|c| format!("c.{} IS NOT NULL", ident(c)))
                .collect::<Vec<_>>()
                .join(" AND ");
            let orphans: i64 = tgt
                .query_one(
                    &format!(
                        "SELECT count(*) FROM {} c WHERE {notnull} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {on})",
                        t.sql_name(),
                        qualified(ps, pt)
                    ),
                    &[],
                )
                .await
                .map_err(|e| q_err("target", e))?
                .get(0);
            out.push(line(
                &name,
                &cols,
                "orphans",
                0.0,
                orphans as f64,
                "= 0".into(),
                orphans == 0,
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_distance_of_same_and_shifted_samples() {
        let a: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(ks_distance(&a, &a), 0.0);
        let b: Vec<f64> = (50..150).map(f64::from).collect();
        assert!((ks_distance(&a, &b) - 0.5).abs() < 1e-9);
    }
}
