package tt10

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// StampLayout is the time in data file names and records: local time, yyyyMMddHHmmss.
const StampLayout = "20060102150405"

// Name is a parsed data file name. Circular 10/2021 (Phụ lục 15) names files
// <TenTinh>_<TenCoSo>_<TenTram>_<yyyyMMddHHmmss>.txt; older dataloggers write
// <Station>_<yyyyMMddHHmmss>.txt or <Station><yyyyMMddHHmmss>.txt, and Envisoft-style ones
// province_station_type_<time>.txt.
type Name struct {
	Base   string   // the file name, e.g. "HN_ABCD_NUO001_20260101120000.txt"
	Prefix string   // what precedes the time, without a separating "_": "HN_ABCD_NUO001"
	Tokens []string // Prefix split on "_": ["HN", "ABCD", "NUO001"]
	Stamp  string   // the local time as written: "20260101120000"
}

// ErrBadName is wrapped by ParseName's errors.
var ErrBadName = errors.New("not a data file name (<prefix>_yyyyMMddHHmmss.txt)")

// ParseName parses a data file name (the base name, without directories). The extension is
// .txt in any case; the last 14 digits before it are the time and must be a valid date (a
// legacy station name may end in a digit: "Tram1" + time); the prefix before them (and an
// optional "_") must not be empty.
func ParseName(base string) (Name, error) {
	stem, ok := cutSuffixFold(base, ".txt")
	if !ok {
		return Name{}, fmt.Errorf("%q: %w", base, ErrBadName)
	}
	if len(stem) < 15 || !allDigits(stem[len(stem)-14:]) {
		return Name{}, fmt.Errorf("%q: no yyyyMMddHHmmss time before .txt: %w", base, ErrBadName)
	}
	n := Name{Base: base, Stamp: stem[len(stem)-14:]}
	if _, err := time.Parse(StampLayout, n.Stamp); err != nil {
		return Name{}, fmt.Errorf("%q: time %s is not a valid date: %w", base, n.Stamp, ErrBadName)
	}
	n.Prefix = strings.TrimSuffix(stem[:len(stem)-14], "_")
	if n.Prefix == "" || strings.Trim(n.Prefix, "_") == "" {
		return Name{}, fmt.Errorf("%q: no station before the time: %w", base, ErrBadName)
	}
	for _, t := range strings.Split(n.Prefix, "_") {
		if t != "" {
			n.Tokens = append(n.Tokens, t)
		}
	}
	return n, nil
}

// Time returns the name's time in the station's time zone.
func (n Name) Time(loc *time.Location) time.Time {
	t, _ := time.ParseInLocation(StampLayout, n.Stamp, loc) // validated by ParseName
	return t
}

// Candidates returns the names under which the registry may know the file's station, most
// specific first: the whole prefix ("HN_ABCD_NUO001", for an alias that spells it out), the
// station token of a three-token name (TenTram), every token from the last to the first,
// then runs of adjacent tokens ("ABCD_NUO001"). Envisoft-derived receivers match a station
// code anywhere between underscores in the same way.
func (n Name) Candidates() []string {
	out := []string{n.Prefix}
	add := func(s string) {
		for _, c := range out {
			if c == s {
				return
			}
		}
		out = append(out, s)
	}
	if len(n.Tokens) == 3 {
		add(n.Tokens[2])
	}
	for i := len(n.Tokens) - 1; i >= 0; i-- {
		add(n.Tokens[i])
	}
	for size := len(n.Tokens) - 1; size >= 2; size-- {
		for i := len(n.Tokens) - size; i >= 0; i-- {
			add(strings.Join(n.Tokens[i:i+size], "_"))
		}
	}
	return out
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) || !strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
