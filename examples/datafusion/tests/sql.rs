//! SQL over the pooled scan: the answer against a plain Rust computation
//! over the same rows, DataFusion's memory pool seeing each batch's pooled
//! bytes until the batch comes home, every chunk home after each query,
//! and the allocator's reuse over repeated queries.

use chunkpool::LockFreeAllocator;
use chunkpool_datafusion::{PooledTable, SourceTable};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::catalog::TableProvider;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{
    GreedyMemoryPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
    UnboundedMemoryPool,
};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const QUERY: &str =
    "SELECT name, sum(price) FROM t WHERE qty > 10 GROUP BY name ORDER BY 2 DESC LIMIT 5";
const BATCH: usize = 8192;
/// 20 full batches and a short one.
const ROWS: usize = 20 * BATCH + 123;

/// DataFusion's pool with a meter on the scan's consumers
/// (`PooledScan[p]`): bytes they hold now, their peak, and how many times
/// they grew. Everything else passes through to `inner`.
#[derive(Debug)]
struct Metered {
    inner: Arc<dyn MemoryPool>,
    now: AtomicUsize,
    peak: AtomicUsize,
    grows: AtomicUsize,
}

impl Metered {
    fn new(inner: Arc<dyn MemoryPool>) -> Arc<Metered> {
        Arc::new(Metered {
            inner,
            now: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            grows: AtomicUsize::new(0),
        })
    }

    fn is_scan(r: &MemoryReservation) -> bool {
        r.consumer().name().starts_with("PooledScan[")
    }
}

impl fmt::Display for Metered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Metered({})", self.inner)
    }
}

impl MemoryPool for Metered {
    fn name(&self) -> &str {
        "Metered"
    }
    fn register(&self, consumer: &MemoryConsumer) {
        self.inner.register(consumer);
    }
    fn unregister(&self, consumer: &MemoryConsumer) {
        self.inner.unregister(consumer);
    }
    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.inner.grow(reservation, additional);
        assert!(!Metered::is_scan(reservation), "the scan only try_grows");
    }
    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.inner.shrink(reservation, shrink);
        if Metered::is_scan(reservation) {
            self.now.fetch_sub(shrink, Ordering::SeqCst);
        }
    }
    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        self.inner.try_grow(reservation, additional)?;
        if Metered::is_scan(reservation) {
            let now = self.now.fetch_add(additional, Ordering::SeqCst) + additional;
            self.peak.fetch_max(now, Ordering::SeqCst);
            self.grows.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
    fn reserved(&self) -> usize {
        self.inner.reserved()
    }
    fn memory_limit(&self) -> MemoryLimit {
        self.inner.memory_limit()
    }
}

fn context(
    pool: Arc<dyn MemoryPool>,
    alloc: &LockFreeAllocator,
    source: &Arc<SourceTable>,
) -> SessionContext {
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(pool)
        .build_arc()
        .expect("runtime");
    let config = SessionConfig::new()
        .with_target_partitions(2)
        .with_batch_size(BATCH);
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    let table = PooledTable::new(Arc::clone(source), alloc.clone());
    ctx.register_table("t", Arc::new(table)).expect("register");
    ctx
}

/// The query's rows as (name, sum).
fn rows(batches: &[RecordBatch]) -> Vec<(Option<String>, f64)> {
    let mut out = Vec::new();
    for b in batches {
        let names = cast(b.column(0), &DataType::Utf8).expect("names as Utf8");
        let names = names.as_string::<i32>();
        let sums = b.column(1).as_primitive::<Float64Type>();
        for r in 0..b.num_rows() {
            let name = (!names.is_null(r)).then(|| names.value(r).to_owned());
            out.push((name, sums.value(r)));
        }
    }
    out
}

#[tokio::test]
async fn query_answer_accounting_and_reuse() -> Result<()> {
    let source = Arc::new(SourceTable::generate(ROWS));
    // The five largest sums are distinct (else LIMIT 5 could pick either
    // of a tie): the comparison below is exact.
    let mut expected = source.top_names(10, 6);
    assert!(
        expected[4].1 > expected[5].1,
        "a tie at the cut: {expected:?}"
    );
    expected.truncate(5);

    let alloc = LockFreeAllocator::new();
    let meter = Metered::new(Arc::new(GreedyMemoryPool::new(1 << 30)));
    let ctx = context(Arc::clone(&meter) as Arc<dyn MemoryPool>, &alloc, &source);
    let batches_per_query = ROWS.div_ceil(BATCH);

    let mut before = alloc.stats();
    for query in 0..3 {
        let got = ctx.sql(QUERY).await?.collect().await?;
        let answer = rows(&got);
        assert_eq!(answer, expected, "query {query}");
        drop(got);

        // Every batch came home, and DataFusion's pool gave back what the
        // scan reserved (and everything else).
        let stats = alloc.stats();
        assert_eq!(stats.exported_chunks, 0, "query {query}");
        assert_eq!(meter.now.load(Ordering::SeqCst), 0, "query {query}");
        assert_eq!(meter.reserved(), 0, "query {query}");
        // One reservation per batch, each at least the batch's fixed-width
        // values (f64 price, i32 qty, i64 name offsets: 20 B a row).
        assert_eq!(
            meter.grows.swap(0, Ordering::SeqCst),
            batches_per_query,
            "query {query}"
        );
        let peak = meter.peak.swap(0, Ordering::SeqCst);
        assert!(peak >= BATCH * 20, "query {query}: peak {peak}");
        println!(
            "query {query}: {answer:?}; scan reservations: {batches_per_query}, peak {peak} B; \
             chunks made {}, from cache {}",
            stats.chunks_allocated - before.chunks_allocated,
            stats.chunks_from_cache - before.chunks_from_cache,
        );

        let made = stats.chunks_allocated - before.chunks_allocated;
        let reused = stats.chunks_from_cache - before.chunks_from_cache;
        assert_eq!(made, batches_per_query as u64, "query {query}");
        if query > 0 {
            // The first query filled the cache; later ones take every
            // chunk from it.
            assert_eq!(reused, made, "query {query}: {stats:?}");
        }
        before = stats;
    }
    Ok(())
}

#[tokio::test]
async fn reservation_lasts_until_the_chunk_is_home() -> Result<()> {
    let source = Arc::new(SourceTable::generate(3 * BATCH));
    let alloc = LockFreeAllocator::new();
    let pool: Arc<dyn MemoryPool> = Arc::new(UnboundedMemoryPool::default());
    let ctx = context(Arc::clone(&pool), &alloc, &source);
    let table = PooledTable::new(Arc::clone(&source), alloc.clone());
    let plan = table.scan(&ctx.state(), None, &[], None).await?;
    let mut stream = plan.execute(0, ctx.task_ctx())?;

    let batch = stream.next().await.expect("a batch")?;
    assert_eq!(batch.num_rows(), BATCH);
    assert_eq!(
        batch
            .column(0)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .value(7),
        7
    );
    let held = pool.reserved();
    assert!(held >= BATCH * (8 + 8 + 4 + 8), "{held}");
    assert_eq!(alloc.stats().exported_chunks, 1);

    // A slice of one column keeps the whole chunk out, and the reservation.
    let slice = batch.column(3).slice(10, 2);
    drop(batch);
    assert_eq!((pool.reserved(), alloc.stats().exported_chunks), (held, 1));

    drop(slice);
    assert_eq!((pool.reserved(), alloc.stats().exported_chunks), (0, 0));
    drop(stream);
    Ok(())
}

#[tokio::test]
async fn a_full_pool_refuses_the_batch_and_it_goes_home() {
    let source = Arc::new(SourceTable::generate(4 * BATCH));
    let alloc = LockFreeAllocator::new();
    // Less than one batch's 20+ bytes a row.
    let pool: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(BATCH * 10));
    let ctx = context(Arc::clone(&pool), &alloc, &source);
    let err = match ctx.sql(QUERY).await {
        Ok(df) => df.collect().await.expect_err("the pool is too small"),
        Err(e) => panic!("planning failed: {e}"),
    };
    assert!(
        matches!(err.find_root(), DataFusionError::ResourcesExhausted(_)),
        "{err}"
    );
    let stats = alloc.stats();
    assert!(stats.chunks_allocated >= 1, "{stats:?}");
    assert_eq!(
        (stats.exported_chunks, stats.chunks_returned),
        (0, stats.chunks_allocated)
    );
    assert_eq!(pool.reserved(), 0);
}
