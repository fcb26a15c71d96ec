//! `flightdeck data` against two real PostgreSQL clusters on 127.0.0.1:
//! a clean anonymised copy keeps joins, sequences, partitions and generated
//! columns and passes verify; a non-empty target, an unreachable source and
//! bad rules are refused with nothing written; a planted leak (free text
//! copied under an acceptance) is found without printing the value; parity
//! catches a truncated table; the key and the password never appear.

mod data_support;

use data_support::{KEY, between, clean_rules, flightdeck, json, scalar, start};

#[test]
fn copy_verify_and_refusals_against_real_clusters() {
    if !data_support::available() {
        return;
    }
    let pair = start();
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, clean_rules()).expect("write rules");
    let rules_s = rules.to_str().expect("path");
    // A password in the target URL (trust auth ignores it): it must never show.
    let target = pair
        .preprod
        .database("shop_preprod")
        .replace("postgres@", "postgres:planted-password-91f3@");
    let src = pair.source.as_str();

    // Classify: personal columns found, each with the rules file ruled.
    let out = flightdeck(
        &[
            "classify",
            "--source-env",
            "SRC",
            "--rules",
            rules_s,
            "--output",
            "json",
        ],
        &[("SRC", src)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let class = |t: &str, c: &str| {
        v["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["table"] == t && x["column"] == c)
            .map(|x| x["class"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(class("public.customers", "email"), "personal");
    assert_eq!(class("public.payments", "card_number"), "personal");
    assert_eq!(class("public.customers", "postal_code"), "quasi_identifier");
    assert_eq!(class("public.orders", "total"), "other");
    assert_eq!(v["unruled"], 0);

    // Copy.
    let out = between(
        "copy",
        src,
        &target,
        &["--rules", rules_s, "--output", "json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report = json(&out);
    let tables: Vec<&str> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    for t in [
        "public.customers",
        "public.orders",
        "public.events_2025",
        "public.events_2026",
        "public.audit_log",
    ] {
        assert!(tables.contains(&t), "{t} not copied: {tables:?}");
    }
    assert!(
        stderr.contains("public.orders copied 3000 rows"),
        "{stderr}"
    );
    let tgt = target.as_str();
    // Joins give the same counts before and after, including the FK the
    // catalog does not declare (orders.customer_email -> customers.email).
    for sql in [
        "SELECT count(*) FROM orders o JOIN customers c ON c.email = o.customer_email",
        "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id",
        "SELECT count(*) FROM customers c JOIN customers r ON r.id = c.referred_by",
        "SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id",
        "SELECT count(*) FROM events",
        "SELECT count(*) FROM audit_log",
    ] {
        assert_eq!(scalar(src, sql), scalar(tgt, sql), "{sql}");
    }
    assert_eq!(
        scalar(
            tgt,
            "SELECT count(*) FROM customers c JOIN orders o ON o.customer_email = c.email WHERE c.email LIKE '%@corp-mail.io'"
        ),
        0
    );
    // Sequences continue from the source's values.
    assert_eq!(scalar(tgt, "SELECT nextval('customers_id_seq')"), 1001);
    // Generated columns recomputed from the transformed names.
    assert_eq!(
        scalar(
            tgt,
            "SELECT count(*) FROM customers WHERE full_name <> first_name || ' ' || last_name"
        ),
        0
    );
    // Constraints came after the data.
    assert_eq!(
        scalar(
            tgt,
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'customers'::regclass AND contype IN ('p','u','f')"
        ),
        3
    );

    // Verify: nothing leaked, parity holds.
    let out = between(
        "verify",
        src,
        tgt,
        &["--rules", rules_s, "--output", "json"],
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["verdict"], "pass");
    assert!(v["leak"]["source_values"].as_u64().unwrap() > 5000);
    assert!(
        v["parity"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["metric"] == "orphans" && p["column"] == "customer_email")
    );

    // A non-empty target without --replace: refused, nothing written.
    let before = scalar(tgt, "SELECT count(*) FROM orders");
    let out = between("copy", src, tgt, &["--rules", rules_s]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("not empty") && e.contains("--replace"), "{e}");
    assert_eq!(scalar(tgt, "SELECT count(*) FROM orders"), before);
    assert_eq!(
        scalar(
            tgt,
            "SELECT count(*) FROM pg_namespace WHERE nspname = '_flightdeck_data'"
        ),
        0
    );

    // Unreachable source: exit 3, the target untouched, no password shown.
    let dead = "postgres://postgres:planted-password-91f3@127.0.0.1:1/shop";
    let out = between("copy", dead, tgt, &["--rules", rules_s, "--replace"]);
    assert_eq!(out.status.code(), Some(3));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("cannot reach the source database postgres@127.0.0.1:1/shop"),
        "{e}"
    );
    assert_eq!(scalar(tgt, "SELECT count(*) FROM orders"), before);

    // Bad rules: named, exit 2.
    for (bad, want) in [
        (
            "[[rules]]\ncolumn = \"public.customers.emial\"\ntransformer = \"hash\"\n",
            "did you mean public.customers.email",
        ),
        (
            "[[rules]]\ncolumn = \"*.email\"\ntransformer = \"scramble\"\n",
            "rules[0] (column = \"*.email\")",
        ),
        (
            "[[rules]]\ncolumn = \"public.orders.total\"\ntransformer = \"hash\"\n",
            "cannot transform a column of type numeric",
        ),
    ] {
        let f = dir.path().join("bad.toml");
        std::fs::write(&f, bad).unwrap();
        let out = between(
            "copy",
            src,
            tgt,
            &["--rules", f.to_str().unwrap(), "--replace"],
        );
        assert_eq!(out.status.code(), Some(2));
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(want), "{want}: {e}");
    }

    // A planted leak: the notes copied as they are under an acceptance;
    // the names in them are found, and never printed.
    let leaky = clean_rules().replace(
        "[[rules]]\ncolumn = \"public.orders.notes\"\ntransformer = \"template\"\ntemplate = \"note on order {id}\"\n",
        "[[accept]]\ncolumn = \"public.orders.notes\"\nreason = \"believed clean\"\nexpires = 2099-01-01\n",
    );
    let leaky_path = dir.path().join("leaky.toml");
    std::fs::write(&leaky_path, leaky).unwrap();
    let out = between(
        "copy",
        src,
        tgt,
        &["--rules", leaky_path.to_str().unwrap(), "--replace"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = between(
        "verify",
        src,
        tgt,
        &["--rules", leaky_path.to_str().unwrap(), "--output", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let f = v["leak"]["findings"].as_array().unwrap();
    assert!(
        f.iter().any(|f| f["table"] == "public.orders"
            && f["column"] == "notes"
            && f["kind"] == "leak"
            && f["count"] == 600),
        "{f:?}"
    );
    // The row key is the leaking order's id (read back by its ctid), not
    // a row number.
    let key = f
        .iter()
        .find(|f| f["table"] == "public.orders" && f["column"] == "notes")
        .and_then(|f| f["row_key"].as_str())
        .unwrap_or_default();
    assert!(
        key.parse::<u64>().is_ok_and(|id| (1..=3000).contains(&id)),
        "row key {key:?}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Called") && !text.contains("Alice"),
        "a value was printed"
    );

    // Parity catches a truncated table.
    std::fs::write(&leaky_path, clean_rules()).unwrap();
    let out = between("copy", src, tgt, &["--rules", rules_s, "--replace"]);
    assert_eq!(out.status.code(), Some(0));
    let mut c = postgres::Client::connect(tgt, postgres::NoTls).unwrap();
    c.batch_execute("DELETE FROM audit_log WHERE at > '2025-01-10'")
        .unwrap();
    let out = between(
        "verify",
        src,
        tgt,
        &["--rules", rules_s, "--output", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert!(
        v["parity"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["table"] == "public.audit_log"
                && p["metric"] == "rows"
                && p["verdict"] == "fail")
    );
    assert!(v["leak"]["findings"].as_array().unwrap().is_empty());

    // From nothing to an anonymised copy in two commands: the starter
    // rules cover every personal column, and the copy made with them
    // passes verify.
    let starter = dir.path().join("starter.toml");
    let starter_s = starter.to_str().unwrap();
    let out = flightdeck(
        &[
            "classify",
            "--source-env",
            "SRC",
            "--write-rules",
            starter_s,
        ],
        &[("SRC", src)],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&starter).unwrap();
    assert!(text.contains("# personal: the name says e-mail"), "{text}");
    let envs = [("FLIGHTDECK_DATA_KEY", KEY), ("SRC", src), ("TGT", tgt)];
    let out = flightdeck(
        &[
            "copy",
            "--source-env",
            "SRC",
            "--target-env",
            "TGT",
            "--rules",
            starter_s,
            "--replace",
        ],
        &envs,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = flightdeck(
        &[
            "verify",
            "--source-env",
            "SRC",
            "--target-env",
            "TGT",
            "--rules",
            starter_s,
            "--output",
            "json",
        ],
        &envs,
    );
    assert_eq!(out.status.code(), Some(0), "{:#}\n{text}", json(&out));

    // Neither the key nor the password ever printed.
    for o in [&out.stdout, &out.stderr] {
        let s = String::from_utf8_lossy(o);
        assert!(!s.contains(KEY) && !s.contains("planted-password-91f3"));
    }
}
