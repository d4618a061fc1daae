//! Retention limits of one allocator, validated once at construction.

use crate::error::Error;

/// The largest count limit accepted (free chunks, free columns per class).
pub const MAX_COUNT_LIMIT: usize = 1 << 20;

/// How much an allocator may keep cached. Each allocator has its own limits
/// (TiDB keeps them in process globals; here two sessions can differ).
///
/// Defaults are TiDB's: 64 free chunks, 256 free columns per size class, and
/// a variable-width column whose data capacity exceeds 16 KiB is not kept.
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
    byte_budget: Option<usize>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_free_chunks: 64,
            max_free_columns: 256,
            max_cached_var_bytes: 16 * 1024,
            byte_budget: None,
        }
    }
}

impl PoolConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> PoolConfigBuilder {
        PoolConfigBuilder {
            cfg: PoolConfig::default(),
        }
    }

    /// TiDB's `NewAllocatorWithSize(free_chunks, free_columns)`, other limits
    /// at their defaults.
    ///
    /// # Errors
    /// [`Error::LimitTooLarge`] for a count above [`MAX_COUNT_LIMIT`].
    pub fn with_limits(free_chunks: usize, free_columns: usize) -> Result<PoolConfig, Error> {
        PoolConfig::builder()
            .max_free_chunks(free_chunks)
            .max_free_columns(free_columns)
            .build()
    }

    /// Limits of zero: nothing is ever cached, and `check_reuse_alloc_size`
    /// answers false.
    pub fn no_reuse() -> PoolConfig {
        PoolConfig {
            max_free_chunks: 0,
            max_free_columns: 0,
            ..PoolConfig::default()
        }
    }

    /// Whole chunks (with their columns) kept for reuse, at most.
    pub fn max_free_chunks(&self) -> usize {
        self.max_free_chunks
    }

    /// Loose columns kept per element-size class (one class for variable
    /// width), at most. Columns inside cached whole chunks are bounded by
    /// [`max_free_chunks`](Self::max_free_chunks) instead.
    pub fn max_free_columns(&self) -> usize {
        self.max_free_columns
    }

    /// A variable-width column whose data capacity exceeds this many bytes is
    /// freed, not cached.
    pub fn max_cached_var_bytes(&self) -> usize {
        self.max_cached_var_bytes
    }

    /// Upper bound on the bytes of column buffers cached at any moment, if set.
    pub fn byte_budget(&self) -> Option<usize> {
        self.byte_budget
    }

    /// TiDB's `CheckReuseAllocSize`: true when any count limit is non-zero.
    pub fn reuse_enabled(&self) -> bool {
        self.max_free_chunks > 0 || self.max_free_columns > 0
    }
}

/// Builder for [`PoolConfig`]; see [`PoolConfig::builder`].
#[derive(Clone, Copy, Debug)]
#[must_use = "call build() to get the configuration"]
pub struct PoolConfigBuilder {
    cfg: PoolConfig,
}

impl PoolConfigBuilder {
    /// Whole chunks kept for reuse (TiDB default 64).
    pub fn max_free_chunks(mut self, n: usize) -> Self {
        self.cfg.max_free_chunks = n;
        self
    }

    /// Loose columns kept per size class (TiDB default 256).
    pub fn max_free_columns(mut self, n: usize) -> Self {
        self.cfg.max_free_columns = n;
        self
    }

    /// Largest data capacity, in bytes, of a variable-width column that is
    /// still cached (TiDB default 16 KiB).
    pub fn max_cached_var_bytes(mut self, bytes: usize) -> Self {
        self.cfg.max_cached_var_bytes = bytes;
        self
    }

    /// Caps the bytes of column buffers cached at any moment; a buffer that
    /// would exceed it is freed. Unset by default.
    pub fn byte_budget(mut self, bytes: usize) -> Self {
        self.cfg.byte_budget = Some(bytes);
        self
    }

    /// Validates and returns the configuration.
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
