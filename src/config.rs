//! Retention limits of one allocator, validated once at construction.

use crate::error::Error;

/// The largest count limit accepted (free chunks, free columns per class).
///
/// ```
/// use chunkpool::{Error, PoolConfig, MAX_COUNT_LIMIT};
///
/// assert!(PoolConfig::with_limits(MAX_COUNT_LIMIT, 0).is_ok());
/// assert!(matches!(
///     PoolConfig::with_limits(MAX_COUNT_LIMIT + 1, 0),
///     Err(Error::LimitTooLarge { limit: "max_free_chunks", .. })
/// ));
/// ```
pub const MAX_COUNT_LIMIT: usize = 1 << 20;

/// How much an allocator may keep cached. Each allocator has its own limits
/// (TiDB keeps them in process globals; here two sessions can differ).
///
/// Count limits default to TiDB's: 64 free chunks and 256 free columns per
/// size class. Variable-width columns are kept while their data capacity is
/// at most [`max_cached_var_bytes`](Self::max_cached_var_bytes) (16 KiB) or
/// [`max_cached_var_bytes_per_row`](Self::max_cached_var_bytes_per_row)
/// (512 bytes) times the rows the column holds, whichever is larger: an
/// 8192-row chunk keeps string columns of up to 4 MiB, so text averaging
/// up to 256 bytes a row stays pooled however the column grew (a buffer
/// grown by appends ends below twice the bytes in use). TiDB keeps no
/// variable-width column above 16 KiB whatever its rows;
/// [`PoolConfig::tidb`] restores that rule.
///
/// ```
/// use chunkpool::PoolConfig;
///
/// let cfg = PoolConfig::builder()
///     .max_free_chunks(10)
///     .max_free_columns(20)
///     .byte_budget(1 << 20)
///     .build()?;
/// assert_eq!(cfg.max_free_chunks(), 10);
/// assert!(cfg.reuse_enabled());
/// assert!(!PoolConfig::no_reuse().reuse_enabled());
/// # Ok::<(), chunkpool::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    max_free_chunks: usize,
    max_free_columns: usize,
    max_cached_var_bytes: usize,
    max_cached_var_bytes_per_row: usize,
    byte_budget: Option<usize>,
}

/// The largest data capacity of a variable-width column that may be
/// cached, as a function of the rows the column holds; see
/// [`PoolConfig::max_cached_var_bytes_per_row`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VarLimit {
    floor: usize,
    per_row: usize,
}

impl VarLimit {
    /// Whether `data_bytes` of data capacity is more than a variable-width
    /// column holding `rows` rows may keep.
    #[inline(always)]
    pub(crate) fn exceeded(self, data_bytes: usize, rows: usize) -> bool {
        data_bytes > self.floor && data_bytes > self.per_row.saturating_mul(rows)
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_free_chunks: 64,
            max_free_columns: 256,
            max_cached_var_bytes: 16 * 1024,
            max_cached_var_bytes_per_row: 512,
            byte_budget: None,
        }
    }
}

impl PoolConfig {
    /// A builder starting from the defaults.
    ///
    /// ```
    /// use chunkpool::PoolConfig;
    ///
    /// assert_eq!(PoolConfig::builder().build()?, PoolConfig::default());
    /// let cfg = PoolConfig::builder().max_free_columns(4).build()?;
    /// assert_eq!(cfg.max_free_columns(), 4);
    /// assert_eq!(cfg.max_free_chunks(), 64); // the default
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    pub fn builder() -> PoolConfigBuilder {
        PoolConfigBuilder {
            cfg: PoolConfig::default(),
        }
    }

    /// TiDB's `NewAllocatorWithSize(free_chunks, free_columns)`, other limits
    /// at their defaults.
    ///
    /// ```
    /// use chunkpool::{Error, PoolConfig, MAX_COUNT_LIMIT};
    ///
    /// let cfg = PoolConfig::with_limits(8, 32)?;
    /// assert_eq!((cfg.max_free_chunks(), cfg.max_free_columns()), (8, 32));
    /// assert_eq!(
    ///     PoolConfig::with_limits(8, usize::MAX),
    ///     Err(Error::LimitTooLarge {
    ///         limit: "max_free_columns",
    ///         value: usize::MAX,
    ///         max: MAX_COUNT_LIMIT,
    ///     })
    /// );
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::LimitTooLarge`] for a count above [`MAX_COUNT_LIMIT`].
    pub fn with_limits(free_chunks: usize, free_columns: usize) -> Result<PoolConfig, Error> {
        PoolConfig::builder()
            .max_free_chunks(free_chunks)
            .max_free_columns(free_columns)
            .build()
    }

    /// TiDB's limits exactly: the defaults, except that a variable-width
    /// column whose data capacity exceeds 16 KiB is never kept, however
    /// many rows it holds (`max_cached_var_bytes_per_row` is 0). Use it to
    /// reproduce TiDB's behaviour; with it, a 1024-row chunk whose strings
    /// average more than 16 bytes a row is not reused whole.
    ///
    /// ```
    /// use chunkpool::PoolConfig;
    ///
    /// let tidb = PoolConfig::tidb();
    /// assert_eq!(tidb.max_cached_var_bytes(), 16 * 1024);
    /// assert_eq!(tidb.max_cached_var_bytes_per_row(), 0);
    /// assert_eq!(tidb.max_free_chunks(), PoolConfig::default().max_free_chunks());
    /// ```
    #[must_use]
    pub fn tidb() -> PoolConfig {
        PoolConfig {
            max_cached_var_bytes_per_row: 0,
            ..PoolConfig::default()
        }
    }

    /// Limits of zero: nothing is ever cached, and `check_reuse_alloc_size`
    /// answers false.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig};
    ///
    /// let alloc = LockFreeAllocator::with_config(PoolConfig::no_reuse());
    /// assert!(!alloc.check_reuse_alloc_size());
    /// drop(alloc.alloc(&[FieldType::I64], 32, 32));
    /// let _again = alloc.alloc(&[FieldType::I64], 32, 32);
    /// let stats = alloc.stats();
    /// assert_eq!((stats.columns_reused, stats.columns_fresh), (0, 2));
    /// ```
    #[must_use]
    pub fn no_reuse() -> PoolConfig {
        PoolConfig {
            max_free_chunks: 0,
            max_free_columns: 0,
            ..PoolConfig::default()
        }
    }

    /// A builder starting from this configuration, to change some limits
    /// of a preset.
    ///
    /// ```
    /// use chunkpool::PoolConfig;
    ///
    /// let cfg = PoolConfig::tidb().to_builder().byte_budget(1 << 20).build()?;
    /// assert_eq!(cfg.max_cached_var_bytes_per_row(), 0);
    /// assert_eq!(cfg.byte_budget(), Some(1 << 20));
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    pub fn to_builder(self) -> PoolConfigBuilder {
        PoolConfigBuilder { cfg: self }
    }

    /// Whole chunks (with their columns) kept for reuse, at most.
    ///
    /// ```
    /// use chunkpool::PoolConfig;
    ///
    /// assert_eq!(PoolConfig::default().max_free_chunks(), 64);
    /// assert_eq!(PoolConfig::no_reuse().max_free_chunks(), 0);
    /// ```
    #[must_use]
    pub fn max_free_chunks(&self) -> usize {
        self.max_free_chunks
    }

    /// Loose columns kept per element-size class (one class for variable
    /// width), at most. Columns inside cached whole chunks are bounded by
    /// [`max_free_chunks`](Self::max_free_chunks) instead.
    ///
    /// ```
    /// use chunkpool::PoolConfig;
    ///
    /// assert_eq!(PoolConfig::default().max_free_columns(), 256);
    /// assert_eq!(PoolConfig::with_limits(1, 2)?.max_free_columns(), 2);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn max_free_columns(&self) -> usize {
        self.max_free_columns
    }

    /// Data capacity, in bytes, up to which a variable-width column is
    /// cached whatever its rows (default and TiDB: 16 KiB). Above it, the
    /// per-row limit decides. Data capacity comes in whole 64-byte blocks
    /// (a new one-row column holds 64 bytes), so a limit under 64 refuses
    /// every variable-width column the per-row limit does not allow.
    ///
    /// ```
    /// use chunkpool::PoolConfig;
    ///
    /// assert_eq!(PoolConfig::default().max_cached_var_bytes(), 16 * 1024);
    /// let cfg = PoolConfig::builder().max_cached_var_bytes(1 << 20).build()?;
    /// assert_eq!(cfg.max_cached_var_bytes(), 1 << 20);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn max_cached_var_bytes(&self) -> usize {
        self.max_cached_var_bytes
    }

    /// Data capacity per row the column holds up to which a variable-width
    /// column is cached when it exceeds
    /// [`max_cached_var_bytes`](Self::max_cached_var_bytes) (default 512;
    /// 0 in [`PoolConfig::tidb`]). The rows a column holds are the rows its
    /// offsets and null bitmap have room for as they are when it comes
    /// back (grown by appends included), so a 1024-row column may keep up
    /// to 512 KiB of string data, an 8192-row one 4 MiB, a 32-row one up to
    /// the 16 KiB floor. Text averaging up to 256 bytes a row stays pooled
    /// at any chunk size: appends grow a buffer to less than twice the
    /// bytes in use. A larger column is freed when it comes back, not
    /// cached, and the next chunk grows a new one (text averaging 300
    /// bytes a row or more may: raise the limit to keep it, at the price of
    /// larger cached columns). The limit bounds each cached column; to cap
    /// the total, set a [`byte_budget`](Self::byte_budget).
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig};
    ///
    /// let text = [FieldType::VAR];
    /// let fill = |pool: &LockFreeAllocator| {
    ///     let mut chk = pool.alloc(&text, 1024, 1024);
    ///     for _ in 0..1024 {
    ///         chk.column_mut(0).append_bytes(&[b'x'; 24]); // 24 KiB in all
    ///     }
    /// };
    /// let ours = LockFreeAllocator::new();
    /// fill(&ours);
    /// assert_eq!(ours.stats().discarded_oversize, 0); // kept: 32 KiB <= 512 KiB
    /// let tidb = LockFreeAllocator::with_config(PoolConfig::tidb());
    /// fill(&tidb);
    /// assert_eq!(tidb.stats().discarded_oversize, 1); // freed: 32 KiB > 16 KiB
    /// ```
    #[must_use]
    pub fn max_cached_var_bytes_per_row(&self) -> usize {
        self.max_cached_var_bytes_per_row
    }

    /// The variable-width limit as one value for the return paths.
    #[inline]
    pub(crate) fn var_limit(&self) -> VarLimit {
        VarLimit {
            floor: self.max_cached_var_bytes,
            per_row: self.max_cached_var_bytes_per_row,
        }
    }

    /// Upper bound on the heap bytes the cache keeps at any moment, if set:
    /// column buffers and the records around them (column structs, column
    /// lists, queue slots), as [`Stats::retained_bytes`](crate::Stats)
    /// counts them. Reservations are atomic, so no interleaving of threads
    /// passes it.
    ///
    /// On top of the budget, a [`LockFreeAllocator`](crate::LockFreeAllocator)
    /// keeps a fixed overhead that does not grow with what is cached: about
    /// 36 KiB of its own structures (statistics blocks, queue heads, the
    /// epoch collector, one thread's cache record), plus up to two partly
    /// filled queue blocks for each size class (about 4 KiB each) and each
    /// whole-chunk layout (about 1.5 KiB each) in use, plus a few KiB for
    /// each further thread caching for it (its magazine and epoch records). `tests/heap_budget.rs` measures
    /// it with a counting global allocator for layouts of 1 to 100 columns
    /// and 1 to 1024 rows: at most 192 KiB above a 64 KiB budget, with all
    /// 16 size classes in use.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig};
    ///
    /// let cfg = PoolConfig::builder().byte_budget(64 * 1024).build()?;
    /// assert_eq!(cfg.byte_budget(), Some(64 * 1024));
    /// assert_eq!(PoolConfig::default().byte_budget(), None);
    ///
    /// let alloc = LockFreeAllocator::with_config(cfg);
    /// let chunks: Vec<_> = (0..8).map(|_| alloc.alloc(&[FieldType::I64], 1024, 1024)).collect();
    /// drop(chunks); // 8 chunks of 8 KiB of data each: not all fit
    /// let stats = alloc.stats();
    /// assert!(stats.retained_bytes <= 64 * 1024);
    /// assert!(stats.discarded_over_limit > 0);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn byte_budget(&self) -> Option<usize> {
        self.byte_budget
    }

    /// TiDB's `CheckReuseAllocSize`: true when any count limit is non-zero.
    ///
    /// ```
    /// use chunkpool::PoolConfig;
    ///
    /// assert!(PoolConfig::default().reuse_enabled());
    /// assert!(PoolConfig::with_limits(0, 1)?.reuse_enabled());
    /// assert!(!PoolConfig::with_limits(0, 0)?.reuse_enabled());
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn reuse_enabled(&self) -> bool {
        self.max_free_chunks > 0 || self.max_free_columns > 0
    }
}

/// Builder for [`PoolConfig`]; see [`PoolConfig::builder`]. Setters take
/// and return the builder by value; [`build`](Self::build) checks the limits.
///
/// ```
/// use chunkpool::{Error, PoolConfig};
///
/// let cfg = PoolConfig::builder()
///     .max_free_chunks(16)
///     .max_cached_var_bytes_per_row(0)
///     .build()?;
/// assert_eq!(cfg.max_free_chunks(), 16);
/// assert_eq!(cfg.max_cached_var_bytes_per_row(), 0);
/// // An absurd limit is an error, not a silent clamp.
/// let too_big = PoolConfig::builder().byte_budget(usize::MAX).build();
/// assert!(matches!(too_big, Err(Error::LimitTooLarge { limit: "byte_budget", .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "call build() to get the configuration"]
pub struct PoolConfigBuilder {
    cfg: PoolConfig,
}

impl PoolConfigBuilder {
    /// Whole chunks kept for reuse (TiDB default 64); at most
    /// [`MAX_COUNT_LIMIT`], checked by [`build`](Self::build).
    ///
    /// ```
    /// # use chunkpool::PoolConfig;
    /// let cfg = PoolConfig::builder().max_free_chunks(0).build()?;
    /// assert_eq!(cfg.max_free_chunks(), 0);
    /// assert!(cfg.reuse_enabled()); // loose columns are still kept
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    pub fn max_free_chunks(mut self, n: usize) -> Self {
        self.cfg.max_free_chunks = n;
        self
    }

    /// Loose columns kept per size class (TiDB default 256); at most
    /// [`MAX_COUNT_LIMIT`], checked by [`build`](Self::build).
    ///
    /// ```
    /// # use chunkpool::PoolConfig;
    /// let cfg = PoolConfig::builder().max_free_columns(1024).build()?;
    /// assert_eq!(cfg.max_free_columns(), 1024);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    pub fn max_free_columns(mut self, n: usize) -> Self {
        self.cfg.max_free_columns = n;
        self
    }

    /// Data capacity, in bytes, up to which a variable-width column is
    /// cached whatever its rows (default and TiDB: 16 KiB); above it,
    /// [`max_cached_var_bytes_per_row`](Self::max_cached_var_bytes_per_row)
    /// decides. See [`PoolConfig::max_cached_var_bytes`].
    ///
    /// ```
    /// # use chunkpool::PoolConfig;
    /// let cfg = PoolConfig::builder().max_cached_var_bytes(64 * 1024).build()?;
    /// assert_eq!(cfg.max_cached_var_bytes(), 64 * 1024);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    pub fn max_cached_var_bytes(mut self, bytes: usize) -> Self {
        self.cfg.max_cached_var_bytes = bytes;
        self
    }

    /// Data capacity per row a variable-width column may keep above
    /// `max_cached_var_bytes` (default 512; 0 gives TiDB's flat rule). See
    /// [`PoolConfig::max_cached_var_bytes_per_row`].
    ///
    /// ```
    /// # use chunkpool::PoolConfig;
    /// let flat = PoolConfig::builder().max_cached_var_bytes_per_row(0).build()?;
    /// assert_eq!(flat, PoolConfig::tidb());
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    pub fn max_cached_var_bytes_per_row(mut self, bytes: usize) -> Self {
        self.cfg.max_cached_var_bytes_per_row = bytes;
        self
    }

    /// Caps the heap bytes the cache keeps at any moment (buffers and their
    /// records; see [`PoolConfig::byte_budget`]); a chunk or column that
    /// would exceed it is freed. Unset by default.
    ///
    /// ```
    /// # use chunkpool::PoolConfig;
    /// let cfg = PoolConfig::builder().byte_budget(1 << 20).build()?;
    /// assert_eq!(cfg.byte_budget(), Some(1 << 20));
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    pub fn byte_budget(mut self, bytes: usize) -> Self {
        self.cfg.byte_budget = Some(bytes);
        self
    }

    /// Validates and returns the configuration.
    ///
    /// ```
    /// use chunkpool::{Error, PoolConfig};
    ///
    /// assert!(PoolConfig::builder().max_cached_var_bytes(1 << 30).build().is_ok());
    /// let err = PoolConfig::builder().max_free_chunks(1 << 30).build().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "limit `max_free_chunks` = 1073741824 is above the maximum 1048576"
    /// );
    /// ```
    ///
    /// # Errors
    /// [`Error::LimitTooLarge`] when a count limit exceeds [`MAX_COUNT_LIMIT`],
    /// or a byte limit exceeds `isize::MAX`.
    pub fn build(self) -> Result<PoolConfig, Error> {
        let c = self.cfg;
        check("max_free_chunks", c.max_free_chunks, MAX_COUNT_LIMIT)?;
        check("max_free_columns", c.max_free_columns, MAX_COUNT_LIMIT)?;
        let max_bytes = isize::MAX as usize;
        check("max_cached_var_bytes", c.max_cached_var_bytes, max_bytes)?;
        check(
            "max_cached_var_bytes_per_row",
            c.max_cached_var_bytes_per_row,
            max_bytes,
        )?;
        if let Some(b) = c.byte_budget {
            check("byte_budget", b, max_bytes)?;
        }
        Ok(c)
    }
}

fn check(limit: &'static str, value: usize, max: usize) -> Result<(), Error> {
    if value > max {
        Err(Error::LimitTooLarge { limit, value, max })
    } else {
        Ok(())
    }
}
