//! What the source holds: tables (leaf and partitioned), columns with their
//! types, keys, unique indexes, foreign keys and sequences, read from the
//! system catalog in the copy's snapshot.

use tokio_postgres::Client;

use super::DataError;
use super::conn::qualified;

/// A column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// `format_type` of its type (`character varying(80)`, `date`...).
    pub type_name: String,
    /// `pg_type.typcategory`: `S` string, `N` numeric, `D` date/time, `I`
    /// network, `B` boolean, `U` user (uuid, json...), `A` array...
    pub category: char,
    /// NOT NULL.
    pub not_null: bool,
    /// A generated column (`GENERATED ALWAYS AS ... STORED`): never copied,
    /// the target computes it.
    pub generated: bool,
    /// A built-in type (oid below 16384): its binary COPY form names no
    /// oid that differs between source and target, so tables of such
    /// columns may be copied in binary.
    pub builtin: bool,
}

impl Column {
    /// Text-like: the leak scan reads it, text transformers apply.
    pub fn is_text(&self) -> bool {
        self.category == 'S' || self.category == 'I' || self.type_name == "uuid"
    }
    /// Numeric.
    pub fn is_numeric(&self) -> bool {
        self.category == 'N'
    }
    /// An integer type (noise and buckets round).
    pub fn is_integer(&self) -> bool {
        matches!(self.type_name.as_str(), "integer" | "bigint" | "smallint")
    }
    /// Date or timestamp.
    pub fn is_date(&self) -> bool {
        self.category == 'D'
            && (self.type_name == "date" || self.type_name.starts_with("timestamp"))
    }
}

/// A foreign key (declared, or from `references` in the rules).
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignKey {
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced `schema.table`.
    pub parent: String,
    /// Referenced columns.
    pub parent_columns: Vec<String>,
    /// Declared in the catalog (false: from config).
    pub declared: bool,
}

/// A table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// Partitioned parent (holds no rows itself; its leaves are copied).
    pub partitioned: bool,
    /// A partition of another table.
    pub partition: bool,
    /// The partition root `schema.table` of a partition (rules written for
    /// the partitioned table apply to its leaves).
    pub root: Option<String>,
    /// Estimated rows (reltuples).
    pub estimated_rows: u64,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Primary key columns (empty: none).
    pub primary_key: Vec<String>,
    /// Unique indexes on plain columns (the primary key among them).
    pub unique: Vec<Vec<String>>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
}

impl Table {
    /// `schema.table`.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
    /// Quoted for SQL.
    pub fn sql_name(&self) -> String {
        qualified(&self.schema, &self.name)
    }
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
    /// Whether `column` alone carries a unique index.
    pub fn is_unique(&self, column: &str) -> bool {
        self.unique.iter().any(|u| u.len() == 1 && u[0] == column)
    }
    /// Columns copied (all but generated ones).
    pub fn copied_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !c.generated)
    }
}

/// A sequence and the value to set on the target.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// Quoted `schema.name`.
    pub sql_name: String,
    /// `last_value` (None: never called).
    pub last_value: Option<i64>,
}

/// Everything read from the source's catalog.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    /// Tables, by schema then name.
    pub tables: Vec<Table>,
    /// Sequences.
    pub sequences: Vec<Sequence>,
}

impl Catalog {
    /// The table `schema.table`.
    pub fn table(&self, full: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.full_name() == full)
    }
    /// Tables that hold rows (leaves and plain tables, not partitioned parents).
    pub fn leaf_tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.iter().filter(|t| !t.partitioned)
    }
}

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
     AND n.nspname <> '_flightdeck_data'";

fn read_err(what: &str, e: tokio_postgres::Error) -> DataError {
    DataError::Unreachable(format!("cannot read {what} from the catalog: {e}"))
}

/// Read the catalog of the database `client` is connected to.
pub async fn read(client: &Client) -> Result<Catalog, DataError> {
    let rows = client
        .query(
            &format!(
                "SELECT c.oid::int8, n.nspname, c.relname, c.relkind::text, c.relispartition, \
                 greatest(c.reltuples, 0)::float8, \
                 CASE WHEN c.relispartition THEN (SELECT rn.nspname || '.' || rc.relname FROM pg_class rc \
                 JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = pg_partition_root(c.oid)) END \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMAS} ORDER BY 2, 3"
            ),
            &[],
        )
        .await
        .map_err(|e| read_err("tables", e))?;
    let mut oids = Vec::new();
    let mut tables = Vec::new();
    for r in rows {
        oids.push(r.get::<_, i64>(0));
        tables.push(Table {
            schema: r.get(1),
            name: r.get(2),
            partitioned: r.get::<_, String>(3) == "p",
            partition: r.get(4),
            estimated_rows: r.get::<_, f64>(5) as u64,
            root: r.get(6),
            columns: Vec::new(),
            primary_key: Vec::new(),
            unique: Vec::new(),
            foreign_keys: Vec::new(),
        });
    }
    let index_of = |oid: i64| oids.iter().position(|o| *o == oid);
    let cols = client
        .query(
            "SELECT a.attrelid::int8, a.attname, format_type(a.atttypid, a.atttypmod), \
             t.typcategory::text, a.attnotnull, a.attgenerated::text, a.atttypid < 16384 \
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
             WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attrelid = ANY($1) \
             ORDER BY a.attrelid, a.attnum",
            &[&oids_as_oid(&oids)],
        )
        .await
        .map_err(|e| read_err("columns", e))?;
    for r in cols {
        if let Some(i) = index_of(r.get(0)) {
            tables[i].columns.push(Column {
                name: r.get(1),
                type_name: r.get(2),
                category: r.get::<_, String>(3).chars().next().unwrap_or('X'),
                not_null: r.get(4),
                generated: !r.get::<_, String>(5).is_empty(),
                builtin: r.get(6),
            });
        }
    }
    let idx = client
        .query(
            "SELECT i.indrelid::int8, i.indisprimary, \
             ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o) \
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) \
             FROM pg_index i WHERE i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL \
             AND i.indrelid = ANY($1)",
            &[&oids_as_oid(&oids)],
        )
        .await
        .map_err(|e| read_err("unique indexes", e))?;
    for r in idx {
        if let Some(i) = index_of(r.get(0)) {
            let cols: Vec<String> = r.get(2);
            if r.get::<_, bool>(1) {
                tables[i].primary_key = cols.clone();
            }
            tables[i].unique.push(cols);
        }
    }
    let fks = client
        .query(
            "SELECT con.conrelid::int8, pn.nspname || '.' || pc.relname, \
             ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) \
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \
             ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o) \
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) \
             FROM pg_constraint con JOIN pg_class pc ON pc.oid = con.confrelid \
             JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
             WHERE con.contype = 'f' AND con.conrelid = ANY($1) AND con.conparentid = 0",
            &[&oids_as_oid(&oids)],
        )
        .await
        .map_err(|e| read_err("foreign keys", e))?;
    for r in fks {
        if let Some(i) = index_of(r.get(0)) {
            tables[i].foreign_keys.push(ForeignKey {
                parent: r.get(1),
                columns: r.get(2),
                parent_columns: r.get(3),
                declared: true,
            });
        }
    }
    let seqs = client
        .query(
            "SELECT schemaname, sequencename, last_value FROM pg_sequences \
             WHERE schemaname <> '_flightdeck_data' ORDER BY 1, 2",
            &[],
        )
        .await
        .map_err(|e| read_err("sequences", e))?;
    let sequences = seqs
        .iter()
        .map(|r| Sequence {
            sql_name: qualified(r.get::<_, &str>(0), r.get::<_, &str>(1)),
            last_value: r.get(2),
        })
        .collect();
    Ok(Catalog { tables, sequences })
}

fn oids_as_oid(oids: &[i64]) -> Vec<u32> {
    oids.iter().map(|o| *o as u32).collect()
}

/// User tables in a database (the target's emptiness check).
pub async fn user_tables(client: &Client) -> Result<Vec<String>, DataError> {
    let rows = client
        .query(
            &format!(
                "SELECT n.nspname || '.' || c.relname FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {USER_SCHEMAS} ORDER BY 1"
            ),
            &[],
        )
        .await
        .map_err(|e| read_err("tables", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
