// Package store writes quantrac's data to InfluxDB (DESIGN §6) and makes it durable.
//
//	decode workers ── Encoder (line protocol) ──> Sink.Put(Batch{lines, ack})
//	                                                  │  collect until batch_size points or flush_interval
//	                                                  ▼
//	                                         Writer.Write (InfluxDB /api/v2/write)
//	                                                  │ ok: ack every message of the batch
//	                                                  │ retryable error: spool (fsync), then ack
//	                                                  ▼
//	                                       spool replayer ──> InfluxDB when it is back
//
// A message is acknowledged only after its lines are in InfluxDB or in the spool.
package store
