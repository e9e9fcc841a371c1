// Package tt10 ingests the data files of Vietnam's automatic monitoring stations (Circular
// 10/2021/TT-BTNMT): it watches the folder tree the provincial FTP server writes and hands
// each file, as one message, to the same MQTT pipeline every other station uses.
//
//	FTP upload ──> DIR/<Station>/yyyy/MM/dd/<Prov>_<Facility>_<Station>_yyyyMMddHHmmss.txt (or flat in DIR)
//	                 │ scan every Interval; complete = size and mtime unchanged for Settle
//	                 ▼
//	            Resolve: file name, upload root folder ──registry ids and aliases──> station
//	                 │ cannot route (bad name, unknown station, a path naming two stations,
//	                 │ too large, empty)
//	                 ├───────────────────────────────────────────> DIR/.rejected/<path> + <path>.reason
//	                 ▼
//	            check: decode as the ingester will (payload.Parser), name time vs record times
//	                 ▼
//	            publish QoS 1 to stations/{station}/{kind} ── wait for PUBACK
//	                 │ content malformed or no reading accepted (the ingester quarantines it
//	                 │ in rejected_messages)
//	                 ├───────────────────────────────────────────> DIR/.rejected/<path> + <path>.reason
//	                 ▼
//	            rename to DIR/.done/<path>, fsync both folders ──> completeness metrics
//
// Who rejects what: the watcher rejects the files it cannot name or route itself, without
// publishing them (there is no topic to publish them on); the ingester judges the content,
// as it does for every MQTT message, and quarantines what it rejects. A file whose content
// will be rejected whole is still published — so that it is counted and kept in
// rejected_messages for `quantrac replay` — and then moved to .rejected/ so that the operator
// of the FTP tree sees it there too.
//
// Hostile uploads: a file is routed by its station's upload root folder (a path naming two
// stations is rejected); every open and move stays inside the watched folder (os.Root), a file
// is read only if it is the very file the scan found, and moved only if it is still what was
// read and published; otherwise the next scan takes it again.
//
// Crash safety: a file is moved only after the broker acknowledged it, and the move is synced.
// A crash before the move leaves the file in place, and the next run publishes it again; the
// ingester writes its records to the same points (the station's measurement times), so
// nothing is lost and nothing doubles. Late and backfilled files are accepted like any other.
package tt10
