// Package tt10dir writes simulated Circular 10/2021/TT-BTNMT data files the way a provincial
// FTP server receives them: one file per station and 5-minute record set, named
// <Province>_<Facility>_<Station>_yyyyMMddHHmmss.txt (local time), in a dated tree
// DIR/<Station>/yyyy/MM/dd/ or flat in DIR.
//
//	payload (tt10 records) ──> DIR/<Station>/yyyy/MM/dd/.<name>.<rand>.tmp ──rename──> <name>
//
// Files appear complete: each is written under a hidden temporary name in its final directory
// and renamed, so a watcher that ignores dot files never sees half a file.
package tt10dir
