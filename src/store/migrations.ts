import type { TableNames } from './table-names';

/**
 * One schema change. `statements` receives the qualified table names (the database is
 * configurable) and returns DDL only; no value from outside ever appears in these texts.
 * Released migrations are never edited: a change to the schema is a new entry at the end.
 */
export interface Migration {
  version: number;
  name: string;
  statements: (tables: TableNames) => string[];
}

/*
 * Schema notes
 * - Times are DateTime64(3, 'UTC'): epoch milliseconds go in as integers and come back exactly.
 * - Every data table is a ReplacingMergeTree whose sort key identifies a row, so a batch that is
 *   inserted twice (a probe resending what was not acknowledged, a retried insert) collapses to one
 *   row; readers use FINAL wherever counts or averages matter.
 *   samples: one per (run, time, probe boot); heap_spaces: one per (run, space, time, boot);
 *   gc_events: one per (run, time, boot, message seq, index in the message).
 * - Codecs: DoubleDelta for regular timestamps, Delta for counters, T64 for integer gauges,
 *   Gorilla for float gauges, each followed by ZSTD.
 * - Monthly partitions let TTL drop whole parts. The TTL itself is not part of these statements: it
 *   depends on the configured retention and is applied (and changed) by `ensureRetention`.
 * - Snapshot tables expire by taken_at with the same retention (the files on disk too).
 * - alloc_sites expires by `at` (the profile's time) with the same retention; gaps by `from_ts`.
 * - runs has no TTL on purpose: a run row is tiny and a live run may go for longer than the
 *   retention without a new hello; expiring it would orphan its recent data.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create runs, samples, heap_spaces, gc_events',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.runs} (
        run_id String,
        name String,
        labels Map(String, String),
        host LowCardinality(String),
        pid UInt32,
        node_version LowCardinality(String),
        argv Array(String),
        started_at DateTime64(3, 'UTC'),
        interval_ms UInt32,
        probe_version LowCardinality(String),
        boot String,
        ended_at Nullable(DateTime64(3, 'UTC')),
        exit_code Nullable(Int32),
        updated_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY run_id`,
      `CREATE TABLE IF NOT EXISTS ${t.samples} (
        run_id LowCardinality(String),
        boot LowCardinality(String),
        seq UInt64 CODEC(Delta, ZSTD(1)),
        ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
        rss UInt64 CODEC(T64, ZSTD(1)),
        heap_total UInt64 CODEC(T64, ZSTD(1)),
        heap_used UInt64 CODEC(T64, ZSTD(1)),
        external UInt64 CODEC(T64, ZSTD(1)),
        array_buffers UInt64 CODEC(T64, ZSTD(1)),
        heap_limit UInt64 CODEC(T64, ZSTD(1)),
        total_available UInt64 CODEC(T64, ZSTD(1)),
        malloced_memory UInt64 CODEC(T64, ZSTD(1)),
        peak_malloced_memory UInt64 CODEC(T64, ZSTD(1)),
        native_contexts UInt32 CODEC(T64, ZSTD(1)),
        detached_contexts UInt32 CODEC(T64, ZSTD(1)),
        el_p50_ms Float64 CODEC(Gorilla, ZSTD(1)),
        el_p99_ms Float64 CODEC(Gorilla, ZSTD(1)),
        el_max_ms Float64 CODEC(Gorilla, ZSTD(1))
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (run_id, ts, boot)`,
      `CREATE TABLE IF NOT EXISTS ${t.spaces} (
        run_id LowCardinality(String),
        boot LowCardinality(String),
        seq UInt64 CODEC(Delta, ZSTD(1)),
        ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
        space LowCardinality(String),
        size UInt64 CODEC(T64, ZSTD(1)),
        used UInt64 CODEC(T64, ZSTD(1)),
        available UInt64 CODEC(T64, ZSTD(1)),
        physical UInt64 CODEC(T64, ZSTD(1))
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (run_id, space, ts, boot)`,
      `CREATE TABLE IF NOT EXISTS ${t.gcs} (
        run_id LowCardinality(String),
        boot LowCardinality(String),
        seq UInt64 CODEC(Delta, ZSTD(1)),
        idx UInt32,
        ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
        kind LowCardinality(String),
        duration_ms Float64 CODEC(Gorilla, ZSTD(1)),
        heap_used_after Nullable(UInt64) CODEC(T64, ZSTD(1))
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (run_id, ts, boot, seq, idx)`,
    ],
  },
  {
    version: 2,
    name: 'gc event weights',
    // The probe caps observed GC events per interval; each stored event stands for `weight` GCs.
    statements: (t) => [`ALTER TABLE ${t.gcs} ADD COLUMN IF NOT EXISTS weight Float32 DEFAULT 1 CODEC(Gorilla, ZSTD(1))`],
  },
  {
    version: 3,
    name: 'heap snapshots and their per-type aggregates',
    /*
     * snapshots: one row per (run, snapshot); every status change writes a new version
     * (updated_at), FINAL returns the latest. taken_at never changes between versions of one
     * snapshot, so all versions share a partition and TTL drops them together.
     * snapshot_types: every type of every analysed snapshot (not a top N), so any two snapshots
     * of a run can be diffed later; written once per analysis, a retried insert collapses.
     */
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.snapshots} (
        run_id String,
        snapshot_id String,
        boot String,
        trigger LowCardinality(String),
        status LowCardinality(String),
        taken_at DateTime64(3, 'UTC'),
        reason String,
        error_code LowCardinality(String),
        heap_used UInt64,
        estimated_bytes UInt64,
        file_size UInt64,
        sha256 String,
        stored_size UInt64,
        node_count UInt64,
        edge_count UInt64,
        total_size UInt64,
        reachable_size UInt64,
        capture_ms Float64,
        upload_ms Float64,
        analysis_ms Float64,
        updated_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(updated_at)
      PARTITION BY toYYYYMM(taken_at)
      ORDER BY (run_id, snapshot_id)`,
      `CREATE TABLE IF NOT EXISTS ${t.snapshotTypes} (
        run_id LowCardinality(String),
        snapshot_id LowCardinality(String),
        taken_at DateTime64(3, 'UTC'),
        type LowCardinality(String),
        count UInt64 CODEC(T64, ZSTD(1)),
        self_size UInt64 CODEC(T64, ZSTD(1)),
        retained_size UInt64 CODEC(T64, ZSTD(1)),
        analysed_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(analysed_at)
      PARTITION BY toYYYYMM(taken_at)
      ORDER BY (run_id, snapshot_id, type)`,
    ],
  },
  {
    version: 4,
    name: 'allocation sites of the sampling heap profiler',
    /*
     * alloc_sites: one row per (run, boot, site, profile time `at`). A profile is the live state
     * at `at` (V8's sampling heap profile keeps a sample until its object is collected), so rows
     * are levels, not deltas. site_id is a hash of the stack (collector/alloc/site-id.ts); the
     * allocating frame is repeated in fn/url/line/col so a query needs no array access to name
     * it, and the stack (allocating frame first) is four parallel arrays. What the probe did
     * not send (beyond its top sites) is one row per profile with site_id '' and an empty stack,
     * whose site_count says how many sites it stands for; so every profile has a row, and a
     * site absent from a profile whose remainder counts no sites is known to have had none alive.
     * A resent message writes the same key again, which ReplacingMergeTree collapses.
     */
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.allocSites} (
        run_id LowCardinality(String),
        boot LowCardinality(String),
        seq UInt64 CODEC(Delta, ZSTD(1)),
        at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
        started_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
        site_id LowCardinality(String),
        fn LowCardinality(String),
        url LowCardinality(String),
        line UInt32 CODEC(T64, ZSTD(1)),
        col UInt32 CODEC(T64, ZSTD(1)),
        stack_fn Array(LowCardinality(String)),
        stack_url Array(LowCardinality(String)),
        stack_line Array(UInt32),
        stack_col Array(UInt32),
        live_bytes UInt64 CODEC(T64, ZSTD(1)),
        samples UInt64 CODEC(T64, ZSTD(1)),
        site_count UInt32 CODEC(T64, ZSTD(1)),
        interval_bytes UInt32 CODEC(T64, ZSTD(1)),
        stack_depth UInt16
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY (run_id, boot, site_id, at)`,
    ],
  },
  {
    version: 5,
    name: 'gaps: data a probe dropped while its buffer was full',
    /*
     * gaps: one row per message that carried a gap (the probe reports each loss once, on the next
     * batch it sends), keyed by that message's (run, boot, seq): a resent batch writes the same key
     * again, which ReplacingMergeTree collapses, so a loss is never counted twice. from_ts/to_ts
     * are the times of the oldest and newest dropped message.
     */
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.gaps} (
        run_id LowCardinality(String),
        boot LowCardinality(String),
        seq UInt64,
        from_ts DateTime64(3, 'UTC'),
        to_ts DateTime64(3, 'UTC'),
        dropped_messages UInt64,
        dropped_samples UInt64
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(from_ts)
      ORDER BY (run_id, boot, seq)`,
    ],
  },
  {
    version: 6,
    name: 'processes: one row per probe boot (process or worker thread) of a run',
    /*
     * processes: who each boot of a run is: its pid, parent, thread, role within the command
     * (launcher, primary, worker n, thread n, process) and command line. Written at hello and at
     * bye; every write is a new version (updated_at) and FINAL returns the latest, as for runs.
     * No TTL, like runs: a row per process is tiny and names the series that outlive it.
     */
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.processes} (
        run_id String,
        boot String,
        pid UInt32,
        ppid UInt32,
        thread_id UInt32,
        role LowCardinality(String),
        role_index UInt32,
        argv Array(String),
        host LowCardinality(String),
        started_at DateTime64(3, 'UTC'),
        ended_at Nullable(DateTime64(3, 'UTC')),
        updated_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY (run_id, boot)`,
    ],
  },
  {
    version: 7,
    name: 'lineage: what each process was running',
    /*
     * lineage: one row per (run, boot), written once per probe start. The dependencies are parallel
     * arrays (name, version, direct, range), direct ones first: a row is read whole and compared
     * with another run's, never filtered per dependency in SQL. `seq` is the message's, so a
     * delivery audit finds it like a batch's. A resent message writes the same key again;
     * ReplacingMergeTree(at) keeps the newest. Expires by `at` with the retention.
     */
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.lineage} (
        run_id LowCardinality(String),
        boot LowCardinality(String),
        seq UInt64,
        at DateTime64(3, 'UTC'),
        app_name String,
        app_version String,
        git_commit String,
        git_branch String,
        lock_kind LowCardinality(String),
        lock_sha256 String,
        node_version LowCardinality(String),
        v8_version LowCardinality(String),
        probe_version LowCardinality(String),
        dep_name Array(String) CODEC(ZSTD(3)),
        dep_version Array(String) CODEC(ZSTD(3)),
        dep_direct Array(UInt8),
        dep_range Array(String) CODEC(ZSTD(3)),
        deps_omitted UInt32,
        notes Array(String)
      ) ENGINE = ReplacingMergeTree(at)
      PARTITION BY toYYYYMM(at)
      ORDER BY (run_id, boot)`,
    ],
  },
  {
    version: 8,
    name: 'measured heap floor points',
    // 1 for a full GC the probe asked for to measure the floor (probe floor-meter.ts); 0 for V8's own.
    statements: (t) => [`ALTER TABLE ${t.gcs} ADD COLUMN IF NOT EXISTS measured UInt8 DEFAULT 0`],
  },
];
