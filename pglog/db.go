package pglog

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configure a DB. The zero value is usable.
type Options struct {
	// Schema holds the tables; "throughline" when empty. Two schemas in
	// one database are two independent logs.
	Schema string
	// VisibleTimeout bounds how long a mutating call waits for the
	// watermark to pass its own record (see Stream.Append); 30 seconds
	// when zero.
	VisibleTimeout time.Duration
	// Logger receives warnings (a damaged local snapshot, replay from the
	// start); slog.Default when nil.
	Logger *slog.Logger
}

// A DB is a connection pool to the database holding the log. It is safe
// for concurrent use; the Streams made from it are not (their stores
// serialize calls).
type DB struct {
	pool   *pgxpool.Pool
	schema string // quoted
	opts   Options
	logID  uuid.UUID
	sql    statements
	// hold, in tests, returns how long to keep an append's transaction
	// open after its INSERT (0: commit at once), so that commits land out
	// of position order.
	hold func() time.Duration
	// beforeErase, in tests, runs when Erase starts: another replica can
	// apply the erasure record before the rows are rewritten.
	beforeErase func()
}

// Open connects to dsn (a libpq URL or key=value string, for example
// "postgres://user:pass@127.0.0.1:5432/dealer?sslmode=disable"), creates
// or migrates the schema, and returns the DB.
func Open(ctx context.Context, dsn string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Schema == "" {
		o.Schema = "throughline"
	}
	if o.VisibleTimeout == 0 {
		o.VisibleTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pglog: %w", err)
	}
	db := &DB{pool: pool, schema: pgx.Identifier{o.Schema}.Sanitize(), opts: o}
	if err := db.init(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pglog: %w", err)
	}
	return db, nil
}

func (db *DB) init(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	rebased, err := migrate(ctx, conn.Conn(), db.opts.Schema)
	if err != nil {
		return err
	}
	if rebased {
		db.opts.Logger.Warn("pglog: the log was restored from another cluster; renumbered under a new log ID, so every replica replays it",
			"schema", db.opts.Schema)
	}
	db.sql = newStatements(db.schema)
	return conn.QueryRow(ctx, `SELECT log_id FROM `+db.schema+`.meta`).Scan(&db.logID)
}

// Close closes the pool.
func (db *DB) Close() { db.pool.Close() }

// Pool is the connection pool, for a host that appends inside its own
// transactions or reads the tables.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// LogID identifies the log: made when the schema is created, so a
// snapshot taken from another database is not resumed.
func (db *DB) LogID() uuid.UUID { return db.logID }

// statements are the SQL texts, with the schema in place.
type statements struct {
	insert, insertTagged, lookup, read, checkpoint, holds, pending, holders string
	shards, guard, tagged, rewrite, keep, lockCheckpoint                    string
}

func newStatements(s string) statements {
	return statements{
		// The notify is only a wake-up; it is delivered at commit.
		insert: `WITH ins AS (INSERT INTO ` + s + `.log (id, stream, type, payload) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO NOTHING RETURNING tx, position)
			SELECT ins.tx::text, ins.position FROM ins, LATERAL (SELECT pg_notify($5, $2)) n`,
		// A record holding values locks its tags' shards of erased FOR
		// SHARE, so an erasure in progress waits for it (and it for the
		// erasure, whose committed tags it then reads: a row lock
		// rechecks the newest version). A tag erased already makes it
		// insert nothing and return the tags hit, for the caller to
		// rewrite the payload.
		insertTagged: `WITH g AS (SELECT tags FROM ` + s + `.erased WHERE stream = $2 AND shard = ANY($7::smallint[]) FOR SHARE),
			hit AS (SELECT coalesce(array_agg(t), '{}') AS t FROM g, unnest(g.tags) t WHERE t = ANY($6::uuid[])),
			ins AS (INSERT INTO ` + s + `.log (id, stream, type, payload, tags) SELECT $1, $2, $3, $4, $6::uuid[] FROM hit
				WHERE cardinality(hit.t) = 0 ON CONFLICT (id) DO NOTHING RETURNING tx, position)
			SELECT ins.tx::text, ins.position, '{}'::uuid[] FROM ins, LATERAL (SELECT pg_notify($5, $2)) n
			UNION ALL SELECT '', 0, hit.t FROM hit WHERE cardinality(hit.t) > 0`,
		lookup: `SELECT tx::text, position FROM ` + s + `.log WHERE id = $1`,
		// One statement, one snapshot: the watermark and the rows agree.
		// ORDER BY names l.tx: a bare tx would be the output column,
		// tx::text, and sort "1000" before "999".
		// A checkpoint ahead of the cursor comes back alone, as type -1:
		// the rows before it may be rewritten, so the reader restores it
		// instead. The same snapshot sees both or neither.
		read: `WITH cp AS (SELECT tx, position FROM ` + s + `.checkpoint
				WHERE stream = $1 AND (tx, position) > ($2::text::xid8, $3))
			(SELECT cp.tx::text, cp.position, '00000000-0000-0000-0000-000000000000'::uuid, -1::smallint, ''::bytea FROM cp)
			UNION ALL
			(SELECT l.tx::text, l.position, l.id, l.type, l.payload FROM ` + s + `.log l
			WHERE NOT EXISTS (SELECT 1 FROM cp) AND l.stream = $1 AND (l.tx, l.position) > ($2::text::xid8, $3)
			AND l.tx < pg_snapshot_xmin(pg_current_snapshot())
			ORDER BY l.tx, l.position LIMIT $4)`,
		checkpoint: `SELECT c.tx::text, c.position, l.id, c.count, c.body FROM ` + s + `.checkpoint c
			JOIN ` + s + `.log l ON (l.tx, l.position) = (c.tx, c.position) WHERE c.stream = $1`,
		lockCheckpoint: `SELECT tx::text, position FROM ` + s + `.checkpoint WHERE stream = $1 FOR UPDATE`,
		holds:          `SELECT EXISTS (SELECT 1 FROM ` + s + `.log WHERE tx = $1::text::xid8 AND position = $2 AND id = $3)`,
		shards:         `INSERT INTO ` + s + `.erased (stream, shard) SELECT $1, generate_series(0, 255) ON CONFLICT DO NOTHING`,
		// Always an update, so that the row is locked even when the tag
		// is in it already.
		guard: `UPDATE ` + s + `.erased SET tags = CASE WHEN tags @> ARRAY[$3::uuid] THEN tags ELSE tags || $3::uuid END
			WHERE stream = $1 AND shard = $2`,
		// Locked in id order, so two erasures never deadlock.
		tagged:  `SELECT id, type, payload FROM ` + s + `.log WHERE stream = $1 AND tags @> ARRAY[$2::uuid] ORDER BY id FOR UPDATE`,
		rewrite: `UPDATE ` + s + `.log SET payload = $2, tags = array_remove(tags, $3::uuid) WHERE id = $1`,
		keep: `INSERT INTO ` + s + `.checkpoint (stream, tx, position, count, body) VALUES ($1, $2::text::xid8, $3, $4, $5)
			ON CONFLICT (stream) DO UPDATE SET tx = excluded.tx, position = excluded.position, count = excluded.count,
			body = excluded.body, written = now()
			WHERE (checkpoint.tx, checkpoint.position) <= (excluded.tx, excluded.position)`,
		pending: `SELECT count(*), max(written) FROM ` + s + `.log
			WHERE stream = $1 AND (tx, position) > ($2::text::xid8, $3)`,
		holders: `SELECT pid, coalesce(application_name, ''), coalesce(client_addr::text, ''), coalesce(state, ''),
			xact_start, left(coalesce(query, ''), 200)
			FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
			ORDER BY age(backend_xid) DESC LIMIT 5`,
	}
}

// channel is the NOTIFY channel of the log.
func (db *DB) channel() string { return "throughline_" + db.opts.Schema }
