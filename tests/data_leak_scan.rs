//! The leak scan of a big table, against a real cluster: a table of more
//! than 1024 heap blocks is scanned as ranges of its blocks side by side.
//! Every row is read once in all (the counts are exact), a leak in each
//! range is found, the first row key comes from the lowest range whichever
//! worker finishes first, and a finding in a table without a key is placed
//! by a `ctid` that reads back the planted row.

mod data_support;

use data_support::{PgCluster, between, json};

/// Source: 150,000 people with personal names and e-mails, and 250,000
/// log lines without a key.
const SOURCE: &str = "
CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL);
INSERT INTO people SELECT i, 'Person ' || i, 'p' || i || '@corp-mail.io' FROM generate_series(1, 150000) i;
CREATE TABLE log (line text);
INSERT INTO log SELECT md5(i::text) FROM generate_series(1, 250000) i;
ANALYZE;
";

/// Target: the same shapes, pseudonymised, with leaks planted in the first
/// and the last block range of `people` and in the log.
const TARGET: &str = "
CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL);
INSERT INTO people SELECT i, md5('n' || i), md5('e' || i) || '@example.com' FROM generate_series(1, 150000) i;
UPDATE people SET name = 'Person 77' WHERE id IN (3, 149000);
CREATE TABLE log (line text);
INSERT INTO log SELECT md5('x' || i) FROM generate_series(1, 250000) i;
UPDATE log SET line = 'called Person 1234 about the refund' WHERE line = md5('x200000');
ANALYZE;
";

#[test]
fn a_big_table_is_scanned_by_block_ranges_exactly_once() {
    if !data_support::available() {
        return;
    }
    let pg = PgCluster::start();
    let (src, tgt) = (pg.database("prod"), pg.database("preprod"));
    for (url, sql) in [(&src, SOURCE), (&tgt, TARGET)] {
        let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
        c.batch_execute(sql).expect("load");
    }
    let mut c = postgres::Client::connect(&tgt, postgres::NoTls).expect("connect");
    let blocks: i64 = c
        .query_one(
            "SELECT least(pg_relation_size('people'), pg_relation_size('log')) / 8192",
            &[],
        )
        .expect("sizes")
        .get(0);
    assert!(
        blocks >= 2048,
        "the tables must be big enough to split: {blocks} blocks"
    );

    let out = between("verify", &src, &tgt, &["--output", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Progress on stderr, phase by phase.
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "data verify: hashing the values of 2 personal columns of the source",
        "data verify: 300000 source values hashed; scanning the target",
        "data verify: leak scan: 400000 rows in ",
    ] {
        assert!(stderr.contains(line), "no {line:?} in {stderr}");
    }
    let v = json(&out);
    let leak = &v["leak"];
    assert_eq!(leak["rows"], 400_000, "{leak}");
    assert_eq!(leak["values"], 550_000, "{leak}");
    let f = leak["findings"].as_array().expect("findings");
    let name = f
        .iter()
        .find(|f| f["table"] == "public.people" && f["column"] == "name")
        .unwrap_or_else(|| panic!("no finding in people.name: {f:?}"));
    assert_eq!(name["kind"], "leak");
    assert_eq!(name["count"], 2, "one leak in each range: {name}");
    assert_eq!(name["row_key"], "3", "the lowest range's row: {name}");
    let log = f
        .iter()
        .find(|f| f["table"] == "public.log")
        .unwrap_or_else(|| panic!("no finding in log: {f:?}"));
    assert_eq!((&log["kind"], &log["count"]), (&"leak".into(), &1.into()));
    let at = log["row_key"]
        .as_str()
        .and_then(|k| k.strip_prefix("ctid "))
        .unwrap_or_else(|| panic!("a keyless row is placed by its ctid: {log}"));
    let line: String = c
        .query_one(&format!("SELECT line FROM log WHERE ctid = '{at}'"), &[])
        .expect("the row at that ctid")
        .get(0);
    assert!(line.starts_with("called Person"), "{line}");
    // No finding elsewhere, and no value in the output.
    assert_eq!(f.len(), 2, "{f:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Person 77") && !text.contains("refund"));
}
