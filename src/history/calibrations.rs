//! A/A calibrations kept in the history store. They are measurements of
//! the setup, not runs: a rebuild from the journals keeps them.

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::store::{Conn, Row};
use super::store::{parse_name, ts};
use crate::core::history::{CalibrationMethod, NoiseCalibration};

/// Store calibrations (one per scope of one scenario).
pub fn save(c: &mut dyn Conn, cals: &[NoiseCalibration]) -> Result<(), StoreError> {
    for k in cals {
        let id = format!(
            "{}/{}/{}/{}",
            k.service,
            k.scenario,
            k.endpoint,
            ts(k.recorded_at)
        );
        c.exec(
            "INSERT INTO calibrations (id, service, scenario, endpoint, recorded_at, method, duration_s,
                windows, alpha, power, p50_noise_pct, p95_noise_pct, p99_noise_pct,
                error_rate_noise_pct, detectable_pct)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (id) DO NOTHING",
            &[
                id.into(),
                k.service.as_str().into(),
                k.scenario.as_str().into(),
                k.endpoint.as_str().into(),
                ts(k.recorded_at).into(),
                k.method.as_str().into(),
                k.duration_s.into(),
                i64::from(k.windows).into(),
                k.alpha.into(),
                k.power.into(),
                k.p50_noise_pct.into(),
                k.p95_noise_pct.into(),
                k.p99_noise_pct.into(),
                k.error_rate_noise_pct.into(),
                k.detectable_pct.into(),
            ],
        )?;
    }
    Ok(())
}

fn of(r: &Row) -> Option<NoiseCalibration> {
    Some(NoiseCalibration {
        service: r.text(0),
        scenario: r.text(1),
        endpoint: r.text(2),
        recorded_at: DateTime::parse_from_rfc3339(&r.text(3))
            .ok()?
            .with_timezone(&Utc),
        method: parse_name(&r.text(4)).unwrap_or(CalibrationMethod::TwoRuns),
        duration_s: r.f64(5),
        windows: u32::try_from(r.i64(6)).unwrap_or(0),
        alpha: r.f64(7),
        power: r.f64(8),
        p50_noise_pct: r.f64(9),
        p95_noise_pct: r.f64(10),
        p99_noise_pct: r.f64(11),
        error_rate_noise_pct: r.f64(12),
        detectable_pct: r.f64(13),
    })
}

/// The latest calibration of each scenario and scope of a service.
pub fn latest(c: &mut dyn Conn, service: &str) -> Result<Vec<NoiseCalibration>, StoreError> {
    let rows = c.query(
        "SELECT service, scenario, endpoint, recorded_at, method, duration_s, windows, alpha, power,
                p50_noise_pct, p95_noise_pct, p99_noise_pct, error_rate_noise_pct, detectable_pct
         FROM calibrations WHERE service = $1 ORDER BY scenario, endpoint, recorded_at",
        &[service.into()],
    )?;
    let mut out: Vec<NoiseCalibration> = Vec::new();
    for k in rows.iter().filter_map(of) {
        // Ordered by time within a scope: the last one wins.
        match out
            .iter_mut()
            .find(|o| o.scenario == k.scenario && o.endpoint == k.endpoint)
        {
            Some(o) => *o = k,
            None => out.push(k),
        }
    }
    Ok(out)
}
