//! `data copy --scale 2` against two real PostgreSQL clusters: every table
//! holds twice its rows, keys stay unique (the constraints created after
//! the scale-up accept them), foreign keys, declared or not, have no
//! orphans and keep their fan-out, sequences continue past the synthetic
//! keys, and `data verify --scale 2` finds no leak in the synthetic rows
//! and passes parity against the scaled expectations.

mod data_support;

use data_support::{between, clean_rules, json, scalar, start};

#[test]
fn scale_two_doubles_rows_keeps_fks_and_passes_the_leak_scan() {
    if !data_support::available() {
        return;
    }
    let pair = start();
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, clean_rules()).expect("write rules");
    let rules_s = rules.to_str().expect("path");
    let target = pair.preprod.database("shop_scaled");
    let (src, tgt) = (pair.source.as_str(), target.as_str());

    // A fraction of a copy is refused before anything is written.
    let out = between("copy", src, tgt, &["--rules", rules_s, "--scale", "1.5"]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("--scale = 1.5") && e.contains("whole number"),
        "{e}"
    );

    let out = between(
        "copy",
        src,
        tgt,
        &["--rules", rules_s, "--scale", "2", "--output", "json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report = json(&out);
    assert_eq!(report["scale"], 2);
    assert_eq!(report["synthetic_rows"], report["rows"], "{report:#}");

    // Counts scale, table by table.
    for t in [
        "customers",
        "addresses",
        "orders",
        "payments",
        "events",
        "audit_log",
    ] {
        let sql = format!("SELECT count(*) FROM {t}");
        assert_eq!(scalar(tgt, &sql), 2 * scalar(src, &sql), "{t}");
    }
    // Keys and unique emails are unique (the constraints were created over
    // the scaled rows), and the synthetic emails are fresh pseudonyms.
    assert_eq!(
        scalar(tgt, "SELECT count(DISTINCT email) FROM customers"),
        2000
    );
    assert_eq!(
        scalar(
            tgt,
            "SELECT count(*) FROM customers WHERE email LIKE '%@corp-mail.io'"
        ),
        0
    );
    // Joins, declared and undeclared, double: children point at the
    // parents of their own copy, with no orphan.
    for sql in [
        "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id",
        "SELECT count(*) FROM orders o JOIN customers c ON c.email = o.customer_email",
        "SELECT count(*) FROM customers c JOIN customers r ON r.id = c.referred_by",
        "SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id",
    ] {
        assert_eq!(scalar(tgt, sql), 2 * scalar(src, sql), "{sql}");
    }
    assert_eq!(
        scalar(
            tgt,
            "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id \
             WHERE o.customer_email <> c.email"
        ),
        0,
        "an order's email follows its own customer's pseudonym"
    );
    // Sequences continue past the synthetic keys.
    assert_eq!(
        scalar(tgt, "SELECT nextval('customers_id_seq')"),
        scalar(tgt, "SELECT (max(id) + 1)::int8 FROM customers")
    );

    // Verify against the scaled expectations: no leak, parity holds.
    let out = between(
        "verify",
        src,
        tgt,
        &["--rules", rules_s, "--scale", "2", "--output", "json"],
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["leak"]["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        v["leak"]["rows"].as_u64(),
        Some(
            2 * scalar(
                src,
                "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM addresses) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM payments) + (SELECT count(*) FROM events) + (SELECT count(*) FROM audit_log)"
            ) as u64
        )
    );
    let parity = v["parity"].as_array().expect("parity");
    let orders_rows = parity
        .iter()
        .find(|p| p["table"] == "public.orders" && p["metric"] == "rows")
        .expect("orders rows line");
    assert_eq!(orders_rows["source"], 6000.0);
    assert!(
        parity
            .iter()
            .filter(|p| p["metric"] == "orphans")
            .all(|p| p["target"] == 0.0 && p["verdict"] == "pass")
    );

    // The same target checked as if unscaled: the counts are off.
    let out = between(
        "verify",
        src,
        tgt,
        &["--rules", rules_s, "--output", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
}
