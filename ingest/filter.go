package ingest

import "strings"

// MatchFilter reports whether topic matches the MQTT topic filter (with + and # wildcards).
func MatchFilter(filter, topic string) bool {
	for {
		f, frest, fmore := strings.Cut(filter, "/")
		if f == "#" {
			return true
		}
		t, trest, tmore := strings.Cut(topic, "/")
		if f != "+" && f != t {
			return false
		}
		if !fmore || !tmore {
			return fmore == tmore || (fmore && frest == "#")
		}
		filter, topic = frest, trest
	}
}

func matchesAny(filters []string, topic string) bool {
	for _, f := range filters {
		if MatchFilter(f, topic) {
			return true
		}
	}
	return false
}

// literalLevels counts the levels of an MQTT topic filter that are neither + nor #: the more
// a filter has, the more specific it is.
func literalLevels(filter string) int {
	n := 0
	for level := range strings.SplitSeq(filter, "/") {
		if level != "+" && level != "#" {
			n++
		}
	}
	return n
}
