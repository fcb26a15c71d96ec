//! Shared fixtures for the data tests: two throwaway PostgreSQL clusters
//! ("production" and "pre-production") and the test schema: customers,
//! addresses, orders, payments, a partitioned table, a self-referencing FK,
//! an FK the catalog does not declare (orders.customer_email), unique
//! emails, a generated column, a table without a primary key, and free-text
//! notes that mention customer names.
#![allow(dead_code)]

use std::process::{Command, Output};

#[path = "../history_support/mod.rs"]
mod history_support;

pub use history_support::PgCluster;

/// The HMAC key the tests plant (and grep for).
pub const KEY: &str = "planted-hmac-key-7d1e0c";
/// The environment variable that carries it.
pub const KEY_ENV: &str = "FD_TEST_DATA_KEY";

/// The production schema and rows.
pub const SCHEMA: &str = r#"
CREATE TABLE customers (
  id serial PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email text NOT NULL UNIQUE,
  phone text,
  birth_date date,
  postal_code text,
  city text,
  referred_by int REFERENCES customers(id),
  full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED
);
CREATE TABLE addresses (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers(id),
  street text NOT NULL,
  city text
);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers(id),
  customer_email text NOT NULL,
  total numeric(10,2) NOT NULL,
  created date NOT NULL,
  notes text
);
CREATE TABLE payments (
  id serial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES orders(id),
  card_number text NOT NULL,
  iban text,
  client_ip inet
);
CREATE TABLE events (
  id bigserial,
  happened date NOT NULL,
  kind text NOT NULL,
  PRIMARY KEY (id, happened)
) PARTITION BY RANGE (happened);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE audit_log (at timestamptz NOT NULL, action text NOT NULL);

INSERT INTO customers (first_name, last_name, email, phone, birth_date, postal_code, city, referred_by)
SELECT (ARRAY['Alice','Bernard','Chloe','Dmitri','Elena','Farid','Giulia','Hugo','Ingrid','Jonas','Keiko','Lucas','Maya','Nadia','Oscar','Priya'])[1 + i % 16],
       (ARRAY['Martin','Dubois','Novak','Rossi','Schmidt','Tanaka','Okafor','Silva','Larsen','Moreau','Kowalski','Haddad'])[1 + (i / 16) % 12],
       'cust' || i || '@corp-mail.io',
       '+33 6 ' || lpad((10000000 + i * 37)::text, 8, '0'),
       date '1950-01-01' + (i * 97) % 20000,
       lpad(((i * 31) % 20 * 1000 + 75000)::text, 5, '0'),
       (ARRAY['Lyon','Paris','Lille','Nantes'])[1 + i % 4],
       CASE WHEN i > 10 THEN 1 + i % 10 END
FROM generate_series(1, 1000) i;
INSERT INTO addresses (customer_id, street, city)
SELECT 1 + i % 1000, (i % 90 + 1) || ' rue des Lilas ' || i, 'Lyon' FROM generate_series(1, 1200) i;
INSERT INTO orders (customer_id, customer_email, total, created, notes)
SELECT c.id, c.email, round((10 + (i * 7919) % 500)::numeric + 0.99, 2), date '2025-01-01' + i % 500,
       CASE WHEN i % 5 = 0 THEN 'Called ' || c.first_name || ' ' || c.last_name || ' about delivery' END
FROM generate_series(1, 3000) i JOIN customers c ON c.id = 1 + (i * 13) % 1000;
INSERT INTO payments (order_id, card_number, iban, client_ip)
SELECT o.id, CASE WHEN o.id % 2 = 0 THEN '4111111111111111' ELSE '5555555555554444' END,
       'GB82WEST12345698765432', ('10.' || (o.id % 200) || '.' || (o.id % 250) || '.7')::inet
FROM orders o WHERE o.id % 3 <> 0;
INSERT INTO events (happened, kind)
SELECT date '2025-06-01' + i % 400, (ARRAY['login','purchase','logout'])[1 + i % 3] FROM generate_series(1, 2000) i;
INSERT INTO audit_log SELECT timestamptz '2025-01-01' + i * interval '1 hour', 'batch ' || i FROM generate_series(1, 500) i;
ANALYZE;
"#;

/// Rules that transform every personal column.
pub fn clean_rules() -> String {
    format!(
        r#"
hmac_key = {{ env = "{KEY_ENV}" }}
min_k = 1
jobs = 2
quasi_identifiers = ["public.customers.postal_code", "public.customers.city"]
references = [{{ from = "public.orders.customer_email", to = "public.customers.email" }}]

[[rules]]
column = "*.email"
transformer = "fake"
kind = "email"

[[rules]]
column = "public.customers.first_name"
transformer = "fake"
kind = "first_name"

[[rules]]
column = "public.customers.last_name"
transformer = "fake"
kind = "last_name"

[[rules]]
column = "*.phone"
transformer = "fake"
kind = "phone"

[[rules]]
column = "public.customers.birth_date"
transformer = "generalise"
to = "year"

[[rules]]
column = "public.addresses.street"
transformer = "fake"
kind = "street"

[[rules]]
column = "public.payments.card_number"
transformer = "fake"
kind = "card"

[[rules]]
column = "public.payments.iban"
transformer = "fake"
kind = "iban"

[[rules]]
column = "public.payments.client_ip"
transformer = "fake"
kind = "ip"

[[rules]]
column = "public.orders.notes"
transformer = "template"
template = "note on order {{id}}"
"#
    )
}

/// The two clusters, with `prod` loaded.
pub struct Pair {
    /// Production.
    pub prod: PgCluster,
    /// Pre-production.
    pub preprod: PgCluster,
    /// URL of the loaded source database.
    pub source: String,
}

/// Start both clusters and load the source.
pub fn start() -> Pair {
    let prod = PgCluster::start();
    let preprod = PgCluster::start();
    let source = prod.database("shop");
    let mut c = postgres::Client::connect(&source, postgres::NoTls).expect("connect to the source");
    c.batch_execute(SCHEMA).expect("load the test schema");
    Pair {
        prod,
        preprod,
        source,
    }
}

/// Run `flightdeck data ARGS` with the key in the environment.
pub fn flightdeck(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    cmd.arg("data").args(args).env(KEY_ENV, KEY);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run flightdeck")
}

/// stdout as JSON.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// One integer from a query.
pub fn scalar(url: &str, sql: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    c.query_one(sql, &[]).expect(sql).get(0)
}

/// Whether PostgreSQL is here (else the test says why it skips, or fails in CI).
pub fn available() -> bool {
    let found = std::env::var_os("FLIGHTDECK_PGBIN").is_some()
        || std::fs::read_dir("/usr/lib/postgresql").is_ok_and(|mut d| d.next().is_some());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "PostgreSQL is not installed: scripts/test installs it and sets FLIGHTDECK_PGBIN"
        );
        eprintln!(
            "SKIPPED: PostgreSQL is not installed (set FLIGHTDECK_PGBIN; scripts/test installs it)"
        );
    }
    found
}

/// `flightdeck data CMD --source-env SRC --target-env TGT REST...`, with
/// `src` and `tgt` in those variables: a connection string never stands
/// on a command line.
pub fn between(cmd: &str, src: &str, tgt: &str, rest: &[&str]) -> Output {
    let mut args = vec![cmd, "--source-env", "SRC", "--target-env", "TGT"];
    args.extend_from_slice(rest);
    flightdeck(&args, &[("SRC", src), ("TGT", tgt)])
}
