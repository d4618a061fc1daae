//! [`PooledTable`] (a DataFusion `TableProvider`) and [`PooledScanExec`]
//! (its `ExecutionPlan`): each partition fills chunks from a chunkpool
//! allocator with rows of a [`SourceTable`] and hands them to DataFusion
//! as `RecordBatch`es over the chunks' own buffers.

use crate::claim;
use crate::source::{SourceTable, FIELDS};
use async_trait::async_trait;
use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning,
    PlanProperties, ReplaceChildrenOptions, SendableRecordBatchStream,
};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A [`SourceTable`] DataFusion can query, scanned into chunks from one
/// chunkpool allocator that every scan of the table shares.
///
/// Each partition of a scan reads every `n`-th run of `batch_size` rows
/// (DataFusion's `datafusion.execution.batch_size`, 8192 by default) into
/// a chunk of the projected columns only, and exports it with
/// `into_record_batch_as`: the batch's buffers are the chunk's, and the
/// chunk goes back to the allocator when DataFusion drops the last array
/// over it.
///
/// What DataFusion's memory pool sees: while a batch is out, a reservation
/// of the chunk's pooled capacity (`Chunk::allocated_bytes`,
/// capacities rather than lengths), registered by a consumer named
/// `PooledScan[p]` for partition `p`. It is taken before the batch leaves
/// the scan (so the pool's limit can refuse it, which fails the query
/// with the pool's error and sends the chunk home) and released when the
/// chunk goes home (see the `claim` module). Not counted: the chunks the
/// allocator keeps cached between batches and queries (bounded by its
/// `PoolConfig` and reported by `Stats::retained_bytes`), and the
/// chunk's own bookkeeping (tens of bytes a column).
///
/// ```
/// use chunkpool::LockFreeAllocator;
/// use chunkpool_datafusion::{PooledTable, SourceTable};
/// use std::sync::Arc;
///
/// let table = PooledTable::new(Arc::new(SourceTable::generate(100)), LockFreeAllocator::new());
/// assert_eq!(table.allocator().stats().exported_chunks, 0);
/// ```
#[derive(Debug)]
pub struct PooledTable {
    source: Arc<SourceTable>,
    alloc: LockFreeAllocator,
    schema: SchemaRef,
}

impl PooledTable {
    /// A table over `source` whose scans take their chunks from `alloc`
    /// (a clone shares its pool, so one allocator can serve many tables).
    #[must_use]
    pub fn new(source: Arc<SourceTable>, alloc: LockFreeAllocator) -> PooledTable {
        PooledTable {
            source,
            alloc,
            schema: SourceTable::schema(),
        }
    }

    /// The allocator the scans fill chunks from; its `stats()` show the
    /// batches out (`exported_chunks`) and the reuse (`chunks_from_cache`).
    #[must_use]
    pub fn allocator(&self) -> &LockFreeAllocator {
        &self.alloc
    }
}

#[async_trait]
impl TableProvider for PooledTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let columns: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..FIELDS.len()).collect(),
        };
        let schema = Arc::new(self.schema.project(&columns)?);
        let exec = &state.config_options().execution;
        let batch_size: usize = exec.batch_size.into();
        let batches = self.source.len().div_ceil(batch_size);
        let partitions = exec.target_partitions.clamp(1, batches.max(1));
        Ok(Arc::new(PooledScanExec {
            properties: Arc::new(PlanProperties::new(
                EquivalenceProperties::new(Arc::clone(&schema)),
                Partitioning::UnknownPartitioning(partitions),
                EmissionType::Incremental,
                Boundedness::Bounded,
            )),
            source: Arc::clone(&self.source),
            alloc: self.alloc.clone(),
            fields: columns.iter().map(|&c| FIELDS[c]).collect(),
            columns,
            schema,
            batch_size,
            limit,
        }))
    }
}

/// The scan [`PooledTable`] plans: `partitions` streams, each filling
/// chunks of the projected columns from the shared allocator.
#[derive(Debug)]
pub struct PooledScanExec {
    properties: Arc<PlanProperties>,
    source: Arc<SourceTable>,
    alloc: LockFreeAllocator,
    /// The source's column of each output column.
    columns: Vec<usize>,
    fields: Vec<FieldType>,
    schema: SchemaRef,
    batch_size: usize,
    /// At most this many rows per partition (a `LIMIT` pushed down).
    limit: Option<usize>,
}

impl DisplayAs for PooledScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "PooledScanExec: rows={}, batch_size={}, columns={:?}",
            self.source.len(),
            self.batch_size,
            self.columns
        )
    }
}

impl ExecutionPlan for PooledScanExec {
    fn name(&self) -> &'static str {
        "PooledScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let partitions = self.properties.partitioning.partition_count();
        if partition >= partitions {
            return Err(DataFusionError::Internal(format!(
                "PooledScanExec: partition {partition} of {partitions}"
            )));
        }
        let reservation =
            MemoryConsumer::new(format!("PooledScan[{partition}]")).register(context.memory_pool());
        let batches = ScanBatches {
            source: Arc::clone(&self.source),
            alloc: self.alloc.clone(),
            columns: self.columns.clone(),
            fields: self.fields.clone(),
            schema: Arc::clone(&self.schema),
            batch_size: self.batch_size,
            next: partition,
            step: partitions,
            rows_left: self.limit.unwrap_or(usize::MAX),
            reservation,
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            futures::stream::iter(batches),
        )))
    }
}

/// One partition's batches, made one at a time as DataFusion pulls them.
struct ScanBatches {
    source: Arc<SourceTable>,
    alloc: LockFreeAllocator,
    columns: Vec<usize>,
    fields: Vec<FieldType>,
    schema: SchemaRef,
    batch_size: usize,
    /// The next run of `batch_size` rows this partition reads.
    next: usize,
    step: usize,
    rows_left: usize,
    /// The partition's registration with DataFusion's pool; each batch's
    /// reservation is a new one of the same consumer.
    reservation: MemoryReservation,
}

impl ScanBatches {
    /// Fills a chunk with `rows` of the source and exports it, its pooled
    /// capacity reserved in DataFusion's pool until it comes home.
    fn batch(&self, rows: Range<usize>) -> Result<RecordBatch> {
        let mut chk = self
            .alloc
            .try_alloc(&self.fields, rows.len(), self.batch_size)
            .map_err(external)?;
        fill(&mut chk, &self.source, &self.columns, rows).map_err(external)?;
        let bytes = chk.allocated_bytes();
        let lease = self.reservation.new_empty();
        // On refusal the chunk is dropped here, and goes home.
        lease.try_grow(bytes)?;
        let batch = chk.into_record_batch_as(&self.schema).map_err(external)?;
        claim::tie(&batch, lease);
        Ok(batch)
    }
}

impl Iterator for ScanBatches {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Result<RecordBatch>> {
        let start = self.next.checked_mul(self.batch_size)?;
        if start >= self.source.len() || self.rows_left == 0 {
            return None;
        }
        let len = self
            .batch_size
            .min(self.source.len() - start)
            .min(self.rows_left);
        self.next += self.step;
        self.rows_left -= len;
        Some(self.batch(start..start + len))
    }
}

impl fmt::Debug for ScanBatches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanBatches")
            .field("next", &self.next)
            .field("step", &self.step)
            .field("rows_left", &self.rows_left)
            .finish_non_exhaustive()
    }
}

/// Appends `rows` of the source's `columns` to `chk`'s columns.
fn fill(
    chk: &mut Chunk,
    source: &SourceTable,
    columns: &[usize],
    rows: Range<usize>,
) -> Result<(), chunkpool::Error> {
    for (i, &c) in columns.iter().enumerate() {
        let col = chk.column_mut(i);
        match c {
            0 => col.try_extend_from_slice(&source.id[rows.clone()])?,
            1 => col.try_extend_from_slice(&source.price[rows.clone()])?,
            2 => col.try_extend_from_slice(&source.qty[rows.clone()])?,
            _ => {
                for name in &source.name[rows.clone()] {
                    col.try_append_option_str(name.as_deref())?;
                }
            }
        }
    }
    Ok(())
}

fn external(e: chunkpool::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}
