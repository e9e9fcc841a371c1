// Package spool is quantrac's durable disk spool (docs/decisions/0002-spool-format.md): an
// append-only, segmented, checksummed log of opaque records — batches of InfluxDB line protocol
// — that holds data while InfluxDB is unreachable and hands it back oldest first when it
// returns.
//
//	writers (many)                         consumer (one)
//	Append(rec) ──┐                        Next ──> write to InfluxDB ──> Confirm(seq)
//	Append(rec) ──┼─> queue ─> leader:          ▲          │ failed: Next again,
//	Append(rec) ──┘           write + fsync     │          │ same record
//	      ▲ nil once fsynced      │             └──────────┘
//	      │                       ▼
//	      │      dir/00000000000000000001.seg   oldest: deleted once all confirmed
//	      │      dir/00000000000000052113.seg
//	      └───── dir/00000000000000104226.seg   newest: appended to; truncated on Open
//	             dir/checkpoint                  oldest unconfirmed sequence number
//	             dir/lock                        one process at a time (flock)
//
// # Guarantees
//
// Append returns nil only after the record is written and fsynced (and, for a new segment,
// the directory too): quantrac may then acknowledge the MQTT message. Concurrent Appends share
// one write and one fsync (group commit, leader/follower: whoever finds no write in progress
// writes everything queued). Append never blocks on space: when the record would take the
// segment files beyond MaxBytes it returns ErrFull at once, having written nothing, and the
// caller stops acknowledging (backpressure) until the consumer has confirmed records.
//
// Next returns the oldest unconfirmed record and keeps returning it until Confirm, so a
// failed write to InfluxDB is retried with the same record. Confirm moves on; a segment file
// is deleted when all its records are confirmed, so space is freed a segment at a time. The
// confirmed position is kept in the checkpoint file, written on every Confirm and fsynced
// every CheckpointSyncBytes: after kill -9 a restart re-delivers at most the record that was
// being written; after a power loss at most CheckpointSyncBytes more. Re-delivery is harmless
// (InfluxDB points with the same series and time overwrite themselves); loss is not, and
// nothing acknowledged is lost short of the disk losing fsynced data.
//
// # On disk
//
// A segment is a sequence of frames with no file header, named by the sequence number of its
// first record (20 digits, ".seg"). A frame is a 24-byte header — CRC32C (Castagnoli) of the
// rest of the frame, data length, sequence number, append time in Unix nanoseconds — then the
// data. Sequence numbers increase by one across segments. A new segment is started when the
// current one would exceed SegmentBytes.
//
// # Crashes and corruption
//
// Only the newest segment can have a torn tail: older ones were fsynced before it was
// created. Open scans it and truncates a torn tail only: an incomplete last frame (a partial
// header, a length beyond the end of the file) or zeros after the last intact frame, which is
// what an interrupted write leaves; it was never acknowledged, since acknowledged frames form
// an fsynced prefix. The truncation is counted in quantrac_spool_corrupt_total and logged at
// WARN. Any other damage (a frame that is complete but fails its checksum or sequence number)
// may lie inside acknowledged data, and intact frames may follow it: nothing is cut. Open logs
// it at ERROR, keeps a copy of the file as *.corrupt, and seals the segment (new records go
// to a new one); the segment is then replayed like an older one, below, losing only the
// damaged frames. Nothing in the content of the files makes Open fail.
//
// Damage inside an older segment (bit rot, a disk error) is found when it is replayed: Next
// scans forward for the next intact frame of a later record in that segment (a plausible
// sequence number and a matching checksum), skips to it, counts the damage in
// quantrac_spool_corrupt_total and the records lost in quantrac_spool_records_lost_total
// (also segment files missing before the oldest one), and logs them at ERROR. A
// segment where nothing intact is left is given up. Either way the file is renamed
// *.corrupt instead of being deleted, so an operator can inspect it; *.corrupt files are not
// counted in Bytes and are never deleted by the spool. An invalid checkpoint is ignored and
// the spool re-delivers from its oldest segment.
//
// A failed write or fsync (a full disk, an I/O error) refuses the records of that write and of
// the Appends queued behind it: none of them returned nil, and the files are cut back to their
// durable size at once, so nothing of them stays on disk, not even in a page cache that a
// failed fsync left in doubt. The next Append writes again, and succeeds once space returns;
// Refusal and quantrac_spool_accepting say meanwhile that the spool cannot take data. Only when
// a file cannot be cut back does every later Append fail until Close and Open.
package spool
