use chunkpool_harness::arrays::{BATCH_CALLS, ENTRY, ODD};
use std::sync::atomic::Ordering;
#[test]
fn corpus() {
    for t in ["allocator_ops", "differential"] {
        let dir = format!("{}/../../fuzz/corpus/{t}", env!("CARGO_MANIFEST_DIR"));
        for e in std::fs::read_dir(&dir).unwrap() {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            chunkpool_harness::replay(t, &bytes);
        }
        eprintln!(
            "{t}: entry {} odd {} batch {}",
            ENTRY.swap(0, Ordering::Relaxed),
            ODD.swap(0, Ordering::Relaxed),
            BATCH_CALLS.swap(0, Ordering::Relaxed)
        );
    }
}
