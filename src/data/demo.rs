//! The data stage in the demo. The demo has no database of its own, so
//! without PostgreSQL on the machine the stage is skipped, saying where it
//! looked and what would make it run. With PostgreSQL found, it makes two
//! throwaway clusters on 127.0.0.1 ([`crate::pg`]: as the `postgres`
//! account when root), loads a small "production" shop into one, runs the
//! real stage (classify, copy with the demo's rules, leak scan, parity)
//! into the other, then stops both by PID and removes their directories,
//! whatever the outcome.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::DataError;
use super::config::DataSection;
use super::conn::Endpoint;
use super::rules::Rules;
use super::stage_run::{Outcome, run_resolved};
use super::transform::HmacKey;
use crate::core::event::Event;
use crate::pg::{Account, BinDir, Cluster, Workspace};
use crate::record::recorder::Recorder;
use crate::secrets::Secret;

/// The demo's production shop: customers with unique emails and a
/// self-referencing FK, orders with an email the catalog does not link and
/// free-text notes that name customers.
const SHOP: &str = r#"
CREATE TABLE customers (
  id serial PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email text NOT NULL UNIQUE,
  phone text,
  city text,
  referred_by int REFERENCES customers(id)
);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers(id),
  customer_email text NOT NULL,
  total numeric(10,2) NOT NULL,
  created date NOT NULL,
  notes text
);
INSERT INTO customers (first_name, last_name, email, phone, city, referred_by)
SELECT (ARRAY['Alice','Bernard','Chloe','Dmitri','Elena','Farid','Giulia','Hugo'])[1 + i % 8],
       (ARRAY['Martin','Dubois','Novak','Rossi','Schmidt','Tanaka'])[1 + (i / 8) % 6],
       'cust' || i || '@corp-mail.io',
       '+33 6 ' || lpad((10000000 + i * 37)::text, 8, '0'),
       (ARRAY['Lyon','Paris','Lille','Nantes'])[1 + i % 4],
       CASE WHEN i > 10 THEN 1 + i % 10 END
FROM generate_series(1, 300) i;
INSERT INTO orders (customer_id, customer_email, total, created, notes)
SELECT c.id, c.email, round((10 + (i * 7919) % 500)::numeric + 0.99, 2), date '2025-01-01' + i % 300,
       CASE WHEN i % 5 = 0 THEN 'Called ' || c.first_name || ' ' || c.last_name || ' about delivery' END
FROM generate_series(1, 900) i JOIN customers c ON c.id = 1 + (i * 13) % 300;
ANALYZE;
"#;

/// The demo's rules: every personal column transformed. The key is drawn
/// per demo run and handed to the stage directly: the reference below is
/// never resolved.
const RULES: &str = r#"
hmac_key = { env = "FLIGHTDECK_DEMO_DATA_KEY" }
jobs = 2
min_k = 1
references = [{ from = "public.orders.customer_email", to = "public.customers.email" }]

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
column = "public.orders.notes"
transformer = "template"
template = "note on order {id}"
"#;

/// How long a cluster may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Run the data stage against two throwaway clusters made from `bin`.
pub async fn run(
    cfg: &DataSection,
    bin: BinDir,
    stage: &str,
    rec: &Recorder,
) -> Result<Outcome, DataError> {
    let pg = |e: crate::pg::PgError| DataError::Unreachable(format!("the demo's PostgreSQL: {e}"));
    rec.emit(Event::StageProgress {
        stage: stage.into(),
        message: format!(
            "demo: two throwaway PostgreSQL clusters on 127.0.0.1 from {}",
            bin.dir().display()
        ),
        fraction: None,
    });
    let ws = Workspace::create(bin, Account::detect().map_err(pg)?).map_err(pg)?;
    let cancel = CancellationToken::new();
    let mut clusters = Vec::new();
    let mut outcome = Err(DataError::Internal("the demo did not start".into()));
    for name in ["production", "preproduction"] {
        let started = async {
            let mut c = Cluster::init(&ws, name, &cancel).await?;
            let port = crate::pg::free_port()?;
            c.start(&ws, port, START_TIMEOUT, &cancel).await?;
            Ok::<_, crate::pg::PgError>(c)
        }
        .await;
        match started {
            Ok(c) => clusters.push(c),
            Err(e) => {
                outcome = Err(pg(e));
                break;
            }
        }
    }
    if let [prod, preprod] = &clusters[..] {
        outcome = copy_shop(cfg, prod, preprod, stage, rec).await;
    }
    for c in &mut clusters {
        c.stop(Duration::from_secs(5)).await;
    }
    drop(clusters);
    drop(ws);
    outcome
}

/// Load the shop into `prod` and run the stage into `preprod`.
async fn copy_shop(
    cfg: &DataSection,
    prod: &Cluster,
    preprod: &Cluster,
    stage: &str,
    rec: &Recorder,
) -> Result<Outcome, DataError> {
    let fail = |what: &str, e: String| DataError::Unreachable(format!("the demo's {what}: {e}"));
    let admin = prod
        .connect("postgres")
        .await
        .map_err(|e| fail("production cluster", e.to_string()))?;
    admin
        .batch_execute("CREATE DATABASE shop")
        .await
        .map_err(|e| fail("production cluster", super::conn::db_message(&e)))?;
    let shop = prod
        .connect("shop")
        .await
        .map_err(|e| fail("production cluster", e.to_string()))?;
    shop.batch_execute(SHOP)
        .await
        .map_err(|e| fail("production shop", super::conn::db_message(&e)))?;
    preprod
        .connect("postgres")
        .await
        .map_err(|e| fail("pre-production cluster", e.to_string()))?
        .batch_execute("CREATE DATABASE shop")
        .await
        .map_err(|e| fail("pre-production cluster", super::conn::db_message(&e)))?;
    drop(shop);
    drop(admin);
    let table: toml::Table =
        toml::from_str(RULES).map_err(|e| DataError::Internal(format!("the demo's rules: {e}")))?;
    let rules = Rules::from_table("the demo's rules", table)?;
    // A key for this demo run only: its pseudonyms are not meant to last.
    let key = HmacKey::new(&Secret::new(uuid::Uuid::new_v4().to_string()));
    let source = Endpoint::new("source", Secret::new(prod.url("shop")))?;
    let target = Endpoint::new("target", Secret::new(preprod.url("shop")))?;
    run_resolved(cfg, source, target, rules, Some(key), stage, rec).await
}

/// Why the demo's data stage is skipped when no PostgreSQL is found.
pub fn skip_reason() -> String {
    "the demo starts no database and found no PostgreSQL (looked at FLIGHTDECK_PGBIN, \
     /usr/lib/postgresql/*/bin, `pg_config --bindir`); install PostgreSQL (e.g. \
     apt-get install postgresql) or set FLIGHTDECK_PGBIN to run it against two \
     throwaway clusters, or set data.source and data.target to copy real databases"
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_says_where_it_looked_and_what_to_do() {
        let r = skip_reason();
        assert!(r.contains("found no PostgreSQL"), "{r}");
        assert!(
            r.contains("FLIGHTDECK_PGBIN") && r.contains("data.source"),
            "{r}"
        );
    }

    #[test]
    fn the_demo_rules_parse_and_transform_every_personal_kind() {
        let table: toml::Table = toml::from_str(RULES).unwrap();
        let rules = Rules::from_table("demo", table).unwrap();
        assert_eq!(rules.rules.len(), 5);
        assert_eq!(rules.references.len(), 1);
    }
}
