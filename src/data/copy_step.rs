//! What the two paths of a table's copy (COPY text in `table_copy`, COPY
//! binary in `binary_copy`) share: the transformed columns and the
//! progress callback.

use super::transform::Transformer;

/// A transformed column of the table being copied.
pub(super) struct Step {
    /// Its position among the copied columns.
    pub index: usize,
    /// Outputs must be distinct (a unique index here or on the parent it
    /// follows): the transformer draws wide values, and a value that
    /// collided takes its retry from the shared [`Collisions`](super::collisions::Collisions).
    pub unique: bool,
    /// The column's name.
    pub name: String,
    /// What to do.
    pub transformer: Transformer,
    /// The transformer's identity in [`Collisions`](super::collisions::Collisions).
    pub tag: String,
    /// The column is an integer type.
    pub integer: bool,
}

/// Progress within a table: rows so far.
pub type OnRows<'a> = &'a (dyn Fn(u64) + Send + Sync);
