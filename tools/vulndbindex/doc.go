// Command vulndbindex turns a directory of OSV entries, as the golang.org/x/vulndb module
// ships them in data/osv, into a Go vulnerability database in the v1 layout that
// govulncheck reads with -db file:///DIR (https://go.dev/security/vuln/database#api):
//
//	data/osv/GO-2024-0001.json ─┐   DIR/index/db.json       {"modified"}
//	data/osv/GO-2024-0002.json ─┼─► DIR/index/modules.json  [{path, vulns: [{id, modified, fixed}]}]
//	…                           │   DIR/index/vulns.json    [{id, modified, aliases}]
//	                            └─► DIR/ID/<id>.json         each entry, compacted
//
// It produces what golang.org/x/vulndb/cmd/indexdb produces (database.RawLoad followed by
// Database.Write) without that command's dependencies (go-git, Google Cloud and
// OpenTelemetry clients: about sixty modules and minutes of compiling) and without the
// .json.gz copies, which only govulncheck's HTTP client reads. The index files follow the
// same rules (fixed = x/vulndb's osvutils.LatestFixed, sorted by module path and id). Entries
// are copied compacted rather than re-encoded, so a timestamp with a zone offset stays as it
// is written; the files of x/vulndb are all in UTC, and for the snapshot in
// scripts/vulncheck.sh every file written is byte-identical to indexdb's.
//
// Usage:
//
//	vulndbindex -vulns DIR -out DIR [-modified RFC3339]
//
// -modified raises index/db.json's "modified" to the given time. The OSV files in x/vulndb
// carry zero timestamps (the official database takes them from git history when it is
// generated), so the commit time of the module version is the most truthful date for the
// snapshot; govulncheck prints it as "last modified".
package main
