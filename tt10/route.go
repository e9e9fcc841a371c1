package tt10

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/quantrac/quantrac"
)

// Results of a file: the result label of quantrac_tt10_files_total. Done, Malformed and
// Invalid files were published; the others were rejected by the watcher without publishing.
const (
	ResultDone      = "done"      // published, acknowledged, moved to .done/
	ResultMalformed = "malformed" // published (the ingester quarantines it), moved to .rejected/
	ResultInvalid   = "invalid"   // published, no reading accepted (quarantined), moved to .rejected/
	// Not published, moved to .rejected/ with a .reason file:
	ResultBadName        = "bad_name"        // the name is not <prefix>_yyyyMMddHHmmss.txt
	ResultUnknownStation = "unknown_station" // no registry station or alias matches the name or folder
	ResultAmbiguousName  = "ambiguous_name"  // the name's tokens match more than one station
	ResultForbidden      = "forbidden"       // the path names two stations (name and folder, or two folders)
	ResultTooLarge       = "too_large"       // larger than limits.max_payload_bytes
	ResultEmpty          = "empty"           // no bytes
)

// Results lists every result label, for pre-creating metric series.
func Results() []string {
	return []string{ResultDone, ResultMalformed, ResultInvalid, ResultBadName, ResultUnknownStation,
		ResultAmbiguousName, ResultForbidden, ResultTooLarge, ResultEmpty}
}

// Rejection is why the watcher will not publish a file.
type Rejection struct {
	Reason string // one of the Result… constants
	Detail string
}

// Error returns the reason and the detail.
func (r *Rejection) Error() string { return r.Reason + ": " + r.Detail }

func reject(reason, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Resolve finds the station of the file at rel (a path relative to the watched directory)
// from its name and its folders. The name's candidates (Name.Candidates) are looked up in the
// registry by id or alias; so are the folders above the file, skipping date folders (2026, 01,
// 20260101, Thang01). The outermost folder that names a station is the station's upload root
// (the dated layout <Station>/yyyy/MM/dd/): it routes the file, and a station may write only
// its own files below it. A file flat in the watched folder, or below folders that name no
// station, is routed by its name alone. Rejected: a path whose folders name two stations, a
// name naming another station than its upload root, a name matching two stations.
func Resolve(reg *quantrac.Registry, rel string) (*quantrac.Station, Name, *Rejection) {
	rel = filepath.ToSlash(rel)
	dir, base := path.Split(rel)
	n, err := ParseName(base)
	if err != nil {
		return nil, Name{}, reject(ResultBadName, "%v", err)
	}
	var byName *quantrac.Station
	for _, c := range n.Candidates() {
		st := reg.Station(c)
		switch {
		case st == nil:
		case byName == nil:
			byName = st
		case st != byName:
			return nil, n, reject(ResultAmbiguousName, "file name %s matches stations %s and %s; make the aliases unique", base, byName.ID, st.ID)
		}
	}
	byDir, folder, rj := uploadRoot(reg, dir)
	switch {
	case rj != nil:
		return nil, n, rj
	case byName != nil && byDir != nil && byName != byDir:
		return nil, n, reject(ResultForbidden, "file name %s names station %s but lies in folder %s of station %s", base, byName.ID, folder, byDir.ID)
	case byName != nil:
		return byName, n, nil
	case byDir != nil:
		return byDir, n, nil
	}
	return nil, n, reject(ResultUnknownStation, "no station of the registry has the id or alias %s (tokens of %s) or %s (its folders); add the code to the station's aliases",
		strings.Join(n.Candidates(), ", "), base, strings.Trim(dir, "/"))
}

// uploadRoot returns the station named by the outermost non-date folder of dir that is a
// station id or alias, and that folder's path. Another folder below it naming another station
// is refused: a station writing inside its own upload folder cannot speak for another.
func uploadRoot(reg *quantrac.Registry, dir string) (*quantrac.Station, string, *Rejection) {
	var root *quantrac.Station
	var rootPath string
	parts := strings.Split(strings.Trim(dir, "/"), "/")
	for i, p := range parts {
		if p == "" || allDigits(p) || isMonthFolder(p) {
			continue
		}
		st := reg.Station(p)
		switch {
		case st == nil:
		case root == nil:
			root, rootPath = st, strings.Join(parts[:i+1], "/")
		case st != root:
			return nil, "", reject(ResultForbidden, "folder %s names station %s inside %s, the upload folder of station %s: a station's folder holds only its own files",
				strings.Join(parts[:i+1], "/"), st.ID, rootPath, root.ID)
		}
	}
	return root, rootPath, nil
}

// isMonthFolder reports whether p is a legacy month folder such as "Thang01".
func isMonthFolder(p string) bool {
	rest, ok := strings.CutPrefix(strings.ToLower(p), "thang")
	return ok && allDigits(rest)
}
