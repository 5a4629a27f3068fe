// Package journal is the durable format Throughline's stores share: an
// append-only log of framed records, and snapshots that replace a log's
// prefix. identity keeps observations, retractions and erasures in it;
// journey reuses it for events.
//
// # Records
//
// A record is a 9-byte header and a payload:
//
//	length   uint32, little endian: 1 + len(payload)
//	checksum uint32, little endian: CRC-32C of the type byte and payload
//	type     byte, the caller's
//	payload  length-1 bytes
//
// A torn write (a process killed mid-append) or a flipped byte shows as a
// short header, a short payload, a length over MaxRecord or a checksum that
// does not match. Reading stops at the first such record: every complete
// record before it is kept, and Recovery says how many bytes were dropped.
// Opening a log for append truncates that tail, so new records never follow
// garbage.
//
// # Durability
//
// Sync says when appends reach the disk: SyncAlways fsyncs every append (no
// acknowledged record is ever lost), SyncInterval at most once per interval
// (a crash loses at most that much), SyncNever leaves it to the OS and Close.
//
// # Snapshots
//
// A snapshot is a file with a versioned header and a checksummed body,
// written to a temporary name, fsynced and renamed into place, so it either
// exists whole or not at all. Its generation names the log that continues
// it: after snapshot G, only log G is replayed, and older logs and snapshots
// can be removed (compaction, which is how erased values leave the disk).
package journal
