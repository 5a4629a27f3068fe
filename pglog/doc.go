// Package pglog is a log that several processes share in PostgreSQL, so
// that N replicas of a backend, each embedding Throughline, hold one
// customer base: the same profiles, profile IDs and everything built on
// them. A [Stream] is a [journal.Backend]: a store opened over it
// (identity.OpenBackend, journey.OpenBackend, channel.OpenReacherBackend)
// appends its records to PostgreSQL and applies, in the log's order,
// every record any process appended. Each store has its stream; the
// journey store and the Reacher follow their graph's Changes
// (identity.Graph.PullChanges) between pulls, so they answer for the
// profiles every replica holds.
//
// # Order
//
// Rows carry the writing transaction's id (tx xid8 DEFAULT
// pg_current_xact_id()) and a position from an identity column. A reader
// takes rows after its cursor, in (tx, position) order, and only those
// whose tx is below the oldest transaction still running
// (pg_snapshot_xmin(pg_current_snapshot())), in one statement and so one
// snapshot. A transaction that commits later than a younger one can
// therefore never land behind a reader's cursor: every reader sees one
// sequence, and none loses a record. "The highest position seen" is never
// used, because positions are taken at INSERT and become visible at
// COMMIT, out of order.
//
// The price: an open writing transaction holds the watermark back, and
// everything appended after it waits until it ends. [Stream.Status] shows
// the lag and who holds the watermark (from pg_stat_activity).
//
// # Writing
//
// A record's ID is a hash of its stream, type and payload, under a unique
// constraint; appends are INSERT … ON CONFLICT DO NOTHING, so a retry
// after an error whose outcome was unknown, or a source delivering the
// same record twice, keeps it once. A mutating call reads its own write:
// Append commits, then applies every record ahead of its own in the log's
// order (waiting for the watermark to pass its transaction), and the
// caller applies its own. [Stream.AppendBatch] writes many in one
// transaction with COPY (identity's ObserveBatch uses it).
// NOTIFY after each append is only a wake-up for [DB.Follow], beside
// polling: it is lost when no one listens and is not delivered through
// PgBouncer's transaction pooling.
//
// # Local state
//
// A replica keeps a snapshot of its store and its cursor in a local
// directory ([Stream.Compact], called by the store's Snapshot). On
// restart it restores the snapshot and resumes from the cursor; with no
// snapshot, a damaged one, or one taken from another database (the log
// has an ID, made when the schema is created), it replays from the start.
// Every replica applies one sequence, so any of them may share a
// directory: each snapshot is a whole prefix of the log.
//
// # Erasure
//
// Each record carries the tags of the values it holds: keyed hashes (the
// store's erase key, which stays in the processes' options and out of the
// database). When a process erases a value (identity's Forget), it
// appends the erasure record, applies it, then [Stream.Erase] adds the
// tag to the erased table, rewrites every row holding the value, and
// keeps the store's state after the erasure as the stream's checkpoint,
// in one transaction. Appends holding a value lock its shard of the
// erased table FOR SHARE and write an erased value's record without it,
// so no row holds the value in clear afterwards. A reader behind the
// checkpoint restores it instead of replaying the rewritten rows before
// it; a reader past the erasure record forgot the value when it applied
// it, and rewrites its local snapshot at once.
//
// # Schema
//
// [Open] creates and migrates its tables in Options.Schema ("throughline"
// by default) under an advisory lock, so replicas starting together do
// it once; a database migrated by a newer version is refused
// (ErrSchemaVersion).
package pglog
