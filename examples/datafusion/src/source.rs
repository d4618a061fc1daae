//! The table the scans read: rows held in plain vectors, as a storage
//! layer would hand them to a scan, and the test query's answer computed
//! over them without DataFusion.

use chunkpool::{export_schema, ExportOptions, FieldType};
use datafusion::arrow::datatypes::SchemaRef;
use std::collections::HashMap;
use std::sync::Arc;

/// The columns' chunkpool types: `id`, `price`, `qty`, `name`.
pub const FIELDS: [FieldType; 4] = [
    FieldType::I64,
    FieldType::F64,
    FieldType::I32,
    FieldType::UTF8,
];

/// The columns' names, in the order of [`FIELDS`].
pub const NAMES: [&str; 4] = ["id", "price", "qty", "name"];

/// How many distinct names the generator uses (plus NULL).
const DISTINCT_NAMES: usize = 61;

/// A table of `id` (i64), `price` (f64), `qty` (i32) and `name` (text,
/// NULL in every ninth row), generated deterministically.
///
/// Prices are multiples of 0.25 below 2502, so any sum of them up to
/// 2^50 is exact in an `f64` whatever the order of the additions: the
/// engine's sums and [`SourceTable::top_names`]'s can be compared with
/// `==`.
///
/// ```
/// use chunkpool_datafusion::SourceTable;
///
/// let t = SourceTable::generate(10);
/// assert_eq!((t.len(), t.id[9]), (10, 9));
/// assert!(t.name[0].is_none() && t.name[1].is_some());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SourceTable {
    /// `id`: the row number.
    pub id: Vec<i64>,
    /// `price`: a multiple of 0.25, 0 to 2501.5.
    pub price: Vec<f64>,
    /// `qty`: 1 to 50.
    pub qty: Vec<i32>,
    /// `name`: one of 61 names such as `gear-17`, or NULL (every ninth row).
    pub name: Vec<Option<String>>,
}

impl SourceTable {
    /// `rows` rows; the same `rows` gives the same table.
    #[must_use]
    pub fn generate(rows: usize) -> SourceTable {
        let words = ["bolt", "nut", "washer", "gear", "spring", "valve", "hinge"];
        let mut t = SourceTable {
            id: Vec::with_capacity(rows),
            price: Vec::with_capacity(rows),
            qty: Vec::with_capacity(rows),
            name: Vec::with_capacity(rows),
        };
        // A 64-bit linear congruential generator (Knuth's MMIX constants):
        // deterministic, and no dependency for it.
        let mut state: u64 = 0x5eed;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        for r in 0..rows {
            t.id.push(r as i64);
            t.price.push((next() % 10_007) as f64 * 0.25);
            t.qty.push(1 + (next() % 50) as i32);
            let k = next() as usize % DISTINCT_NAMES;
            t.name
                .push((r % 9 != 0).then(|| format!("{}-{k}", words[k % words.len()])));
        }
        t
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Whether the table has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// The table's arrow schema as the scan exports it: nullable fields
    /// named [`NAMES`], `name` as `LargeUtf8` (the chunk's own `i64`
    /// offsets, no copy), each with chunkpool's logical type in its
    /// metadata.
    ///
    /// # Panics
    /// Never: the names match the fields.
    #[must_use]
    pub fn schema() -> SchemaRef {
        let opts = ExportOptions::new().names(NAMES);
        Arc::new(export_schema(&FIELDS, &opts).expect("one name per field"))
    }

    /// `SELECT name, sum(price) FROM t WHERE qty > min_qty GROUP BY name
    /// ORDER BY 2 DESC LIMIT limit`, computed directly (NULL names form
    /// one group, as in SQL).
    #[must_use]
    pub fn top_names(&self, min_qty: i32, limit: usize) -> Vec<(Option<String>, f64)> {
        let mut sums: HashMap<Option<&str>, f64> = HashMap::new();
        for r in 0..self.len() {
            if self.qty[r] > min_qty {
                *sums.entry(self.name[r].as_deref()).or_default() += self.price[r];
            }
        }
        let mut groups: Vec<(Option<String>, f64)> = sums
            .into_iter()
            .map(|(name, sum)| (name.map(str::to_owned), sum))
            .collect();
        groups.sort_by(|a, b| b.1.total_cmp(&a.1));
        groups.truncate(limit);
        groups
    }
}
