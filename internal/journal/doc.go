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
// Acknowledged means written: in every sync mode, Append writes the record
// to the file (one write call) before it returns, so a process killed at
// any moment loses nothing it acknowledged. The modes differ only in fsync,
// which is about power loss and kernel crashes: SyncAlways fsyncs every
// append, SyncInterval on a background timer (power loss costs at most the
// interval), SyncNever only on Sync and Close.
//
// Every write error reaches the caller. An Append whose write or fsync
// fails cuts its record off again and returns the error, so a record that
// was refused never reappears on reopen; if even that fails, the log
// refuses further appends. Snapshots, compactions and Close report every
// step's error (write, fsync, close, rename, directory fsync, removal).
// The file system is an interface (FS) so that tests can fail any single
// operation through Faults; every store in the module is run through each
// failure in turn.
//
// # Snapshots
//
// A snapshot is a file with a versioned header and a checksummed body,
// written to a temporary name, fsynced and renamed into place, so it either
// exists whole or not at all. Its generation names the log that continues
// it: after snapshot G, only log G is replayed, and older logs and snapshots
// can be removed (compaction, which is how erased values leave the disk).
package journal
