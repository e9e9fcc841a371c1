package store

import (
	"math"
	"strconv"
	"time"

	"github.com/quantrac/quantrac"
)

// Measurement names (README.md, "InfluxDB schema").
const (
	MeasurementRejected   = "rejected_messages"
	MeasurementViolations = "violations"
	MeasurementAQI        = "aqi"
	flaggedSuffix         = "_flagged"
)

// AppendReadings appends the line protocol of one message's readings to b: one line per
// (measurement, time), valid readings to the kind's measurement and the others to
// <kind>_flagged with <param>_status fields. All readings belong to station st.
// It returns the extended buffer and the number of lines (points) written.
func AppendReadings(b []byte, st *quantrac.Station, rs []quantrac.Reading) ([]byte, int) {
	points := 0
	for i := 0; i < len(rs); {
		// Group consecutive readings with the same time and validity into one line.
		j := i + 1
		for j < len(rs) && rs[j].Time.Equal(rs[i].Time) && rs[j].Valid() == rs[i].Valid() {
			j++
		}
		b = appendReadingLine(b, st, rs[i:j])
		points++
		i = j
	}
	return b, points
}

func appendReadingLine(b []byte, st *quantrac.Station, rs []quantrac.Reading) []byte {
	valid := rs[0].Valid()
	b = appendEscaped(b, string(rs[0].Kind), measurementEscapes)
	if !valid {
		b = append(b, flaggedSuffix...)
	}
	b = appendStationTags(b, st)
	b = append(b, ' ')
	for k, r := range rs {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendEscaped(b, r.Param, tagEscapes)
		b = append(b, '=')
		b = appendFloat(b, r.Value)
		if !valid {
			status := r.Status
			if r.Maintenance && status == quantrac.StatusMeasuring {
				status = "maintenance"
			}
			b = append(b, ',')
			b = appendEscaped(b, r.Param, tagEscapes)
			b = append(b, "_status="...)
			b = appendStringField(b, status)
		}
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, rs[0].Time.UnixNano(), 10)
	return append(b, '\n')
}

// appendStationTags appends ",station=ID" and the station's registry tags in sorted order.
func appendStationTags(b []byte, st *quantrac.Station) []byte {
	b = append(b, ",station="...)
	b = appendEscaped(b, st.ID, tagEscapes)
	for _, k := range st.TagKeys() {
		v := st.Tags[k]
		if v == "" {
			continue
		}
		b = append(b, ',')
		b = appendEscaped(b, k, tagEscapes)
		b = append(b, '=')
		b = appendEscaped(b, v, tagEscapes)
	}
	return b
}

// Point is a generic point for the low-volume measurements (violations, aqi). Tags must be
// given in sorted key order; field values are float64, int64, string or bool.
type Point struct {
	Measurement string
	Tags        []Tag
	Fields      []Field
	Time        time.Time
}

// Tag is a tag key and value.
type Tag struct{ Key, Value string }

// Field is a field key and value.
type Field struct {
	Key   string
	Value any
}

// AppendPoint appends p as one line of line protocol. Fields with NaN or infinite values
// are left out (InfluxDB cannot store them).
func AppendPoint(b []byte, p *Point) []byte {
	b = appendEscaped(b, p.Measurement, measurementEscapes)
	for _, t := range p.Tags {
		if t.Value == "" {
			continue
		}
		b = append(b, ',')
		b = appendEscaped(b, t.Key, tagEscapes)
		b = append(b, '=')
		b = appendEscaped(b, t.Value, tagEscapes)
	}
	sep := byte(' ')
	for _, f := range p.Fields {
		if v, ok := f.Value.(float64); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			continue
		}
		b = append(b, sep)
		sep = ','
		b = appendEscaped(b, f.Key, tagEscapes)
		b = append(b, '=')
		switch v := f.Value.(type) {
		case float64:
			b = appendFloat(b, v)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
			b = append(b, 'i')
		case int64:
			b = strconv.AppendInt(b, v, 10)
			b = append(b, 'i')
		case bool:
			b = strconv.AppendBool(b, v)
		case string:
			b = appendStringField(b, v)
		default:
			panic("store: unsupported field type")
		}
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, p.Time.UnixNano(), 10)
	return append(b, '\n')
}

func appendFloat(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'f', -1, 64) }

const (
	measurementEscapes = ", "
	tagEscapes         = ", ="
)

// appendEscaped appends s with the characters in special backslash-escaped, and newlines
// replaced by spaces (line protocol cannot carry them outside string fields).
func appendEscaped(b []byte, s, special string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n' || c == '\r':
			c = ' '
			fallthrough
		case c == ' ' || c == ',' || c == '=':
			if indexByte(special, c) {
				b = append(b, '\\')
			}
		}
		b = append(b, c)
	}
	return b
}

func indexByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// appendStringField appends a double-quoted string field value.
func appendStringField(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
