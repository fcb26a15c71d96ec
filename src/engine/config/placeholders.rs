//! The config's strings that may hold a demo placeholder (URLs and paths):
//! `flightdeck demo` fills them, `flightdeck run` refuses a config that
//! still holds one.

use crate::config::holds_placeholder;

use super::Config;

/// Whether a config still holds demo placeholders (only `flightdeck demo` fills them).
pub fn uses_demo_placeholders(cfg: &Config) -> bool {
    let mut found = false;
    let mut cfg = cfg.clone();
    map_placeholder_fields(&mut cfg, |s| {
        found |= holds_placeholder(s);
        s.to_string()
    });
    found
}

/// Apply `f` to every config string that may hold a demo placeholder (URLs and paths).
pub fn map_placeholder_fields(cfg: &mut Config, mut f: impl FnMut(&str) -> String) {
    for e in &mut cfg.environment.endpoints {
        e.url = f(&e.url);
        if let Some(v) = &e.version_url {
            e.version_url = Some(f(v));
        }
    }
    for u in &mut cfg.scan.posture_urls {
        *u = f(u);
    }
    cfg.load.target = f(&cfg.load.target);
    if let crate::canary::ProviderConfig::File { path } = &mut cfg.canary.provider {
        *path = f(path);
    }
    if let Some(iac) = &mut cfg.environment.iac {
        iac.working_dir = f(&iac.working_dir.to_string_lossy()).into();
        if let Some(b) = &iac.binary {
            iac.binary = Some(f(b));
        }
        for v in iac.vars.values_mut() {
            *v = f(v);
        }
        for p in iac.var_files.iter_mut().chain(iac.plan_json.iter_mut()) {
            *p = f(&p.to_string_lossy()).into();
        }
        if let Some(parity) = &mut iac.parity {
            for p in parity.prod_state.iter_mut() {
                *p = f(&p.to_string_lossy()).into();
            }
            if let Some(pair) = &mut parity.var_files {
                pair.preprod = f(&pair.preprod.to_string_lossy()).into();
                pair.prod = f(&pair.prod.to_string_lossy()).into();
            }
        }
    }
    cfg.drill.map_strings(&mut f);
    for r in &mut cfg.load.requests {
        r.path = f(&r.path);
    }
    let paths = cfg
        .scan
        .sarif
        .iter_mut()
        .chain(cfg.scan.secrets_paths.iter_mut())
        .chain(cfg.scan.secrets_rules.iter_mut())
        .chain(cfg.policy.dir.iter_mut());
    for p in paths {
        *p = f(&p.to_string_lossy()).into();
    }
}
