package ingest

import (
	"fmt"
	"strings"
)

// Template matches topics like "stations/{station}/{kind}" and extracts the station id and
// the kind. Literal levels must match exactly.
type Template struct {
	levels            []string
	stationAt, kindAt int
}

// ParseTemplate parses a topic template with a {station} level and, optionally, a {kind}
// level.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{levels: strings.Split(s, "/"), stationAt: -1, kindAt: -1}
	for i, l := range t.levels {
		switch l {
		case "{station}":
			t.stationAt = i
		case "{kind}":
			t.kindAt = i
		}
	}
	if t.stationAt < 0 {
		return nil, fmt.Errorf("topic template %q has no {station} level", s)
	}
	return t, nil
}

// Match returns the station and kind named by topic; ok is false when topic does not have the
// template's shape. kind is "" when the template has no {kind} level.
func (t *Template) Match(topic string) (station, kind string, ok bool) {
	for i := range t.levels {
		var level string
		level, topic, _ = strings.Cut(topic, "/")
		switch i {
		case t.stationAt:
			station = level
		case t.kindAt:
			kind = level
		default:
			if level != t.levels[i] {
				return "", "", false
			}
		}
		if i < len(t.levels)-1 && topic == "" {
			return "", "", false
		}
	}
	return station, kind, topic == "" && station != ""
}
