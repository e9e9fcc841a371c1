package store

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/quantrac/quantrac"
)

// MaxDetailBytes bounds the error field of a rejected_messages point: one hostile message must
// not store megabytes of explanations of itself (the payload is bounded by
// limits.max_payload_bytes already).
const MaxDetailBytes = 4096

// PayloadBase64 is the value of field payload_encoding when payload holds the message's bytes
// in base64 because they are not valid UTF-8 (a Windows-1258 data line): replay decodes it and
// gets the exact bytes back.
const PayloadBase64 = "base64"

// AppendEnvelope appends the line protocol of everything e holds — its readings, violation
// transitions, indices and quarantine entry — and returns the buffer and the number of points.
func AppendEnvelope(b []byte, e *quantrac.Envelope) ([]byte, int) {
	points := 0
	if len(e.Readings) > 0 {
		var n int
		b, n = AppendReadings(b, e.Station, e.Readings)
		points += n
	}
	for i := range e.Transitions {
		b = AppendPoint(b, violationPoint(&e.Transitions[i]))
		points++
	}
	for i := range e.Indices {
		b = AppendPoint(b, indexPoint(&e.Indices[i]))
		points++
	}
	if e.Rejection.Reason != "" {
		b = appendRejection(b, e, e.Rejection, e.Received)
		points++
	}
	return b, points
}

// appendRejection appends the rejected_messages point of e's message with reason rj, at t:
// tags reason and station, fields topic, payload (with payload_encoding when base64) and error.
func appendRejection(b []byte, e *quantrac.Envelope, rj quantrac.Rejection, t time.Time) []byte {
	b = append(b, MeasurementRejected...)
	b = append(b, ",reason="...)
	b = appendEscaped(b, rj.Reason, tagEscapes)
	if e.Station != nil {
		b = append(b, ",station="...)
		b = appendEscaped(b, e.Station.ID, tagEscapes)
	}
	b = append(b, " topic="...)
	b = appendStringField(b, e.Topic)
	b = append(b, ",payload="...)
	if utf8.Valid(e.Payload) {
		b = appendStringField(b, string(e.Payload))
	} else {
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, e.Payload)
		b = append(b, `",payload_encoding="`+PayloadBase64+`"`...)
	}
	b = append(b, ",error="...)
	b = appendStringField(b, boundDetail(rj.Detail))
	b = append(b, ' ')
	b = strconv.AppendInt(b, t.UnixNano(), 10)
	return append(b, '\n')
}

// boundDetail cuts s to MaxDetailBytes at a character boundary and says how much was cut.
func boundDetail(s string) string {
	if len(s) <= MaxDetailBytes {
		return s
	}
	cut := MaxDetailBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " … (" + strconv.Itoa(len(s)-cut) + " more bytes)"
}

// violationPoint is the violations point of a transition, at the end of its period (README.md,
// "InfluxDB schema"), with its evidence (statistic, unit, reference conditions and, for counted
// limits, the exceedance form and figures).
func violationPoint(t *quantrac.Transition) *Point {
	p := &Point{
		Measurement: MeasurementViolations,
		Tags: []Tag{
			{Key: "parameter", Value: t.Parameter}, {Key: "period", Value: t.Period},
			{Key: "regulation", Value: t.Regulation}, {Key: "station", Value: t.Station},
		},
		Fields: []Field{
			{Key: "state", Value: t.State}, {Key: "episode", Value: t.Episode}, {Key: "value", Value: t.Value}, {Key: "limit", Value: t.Limit},
			{Key: "ratio", Value: t.Ratio}, {Key: "coverage", Value: t.Coverage}, {Key: "count", Value: int64(t.Count)},
			{Key: "window_start", Value: t.WindowStart.UTC().Format(time.RFC3339)},
			{Key: "window_end", Value: t.WindowEnd.UTC().Format(time.RFC3339)},
			{Key: "version", Value: t.Version},
			{Key: "statistic", Value: t.Statistic}, {Key: "unit", Value: t.Unit}, {Key: "reference", Value: t.Reference},
		},
		Time: t.WindowEnd,
	}
	if t.Force != "" {
		p.Fields = append(p.Fields, Field{Key: "force", Value: t.Force})
	}
	if t.Reason != "" {
		p.Fields = append(p.Fields, Field{Key: "reason", Value: t.Reason})
	}
	if t.Form != "" { // a counted limit: its exceedance figures, single-year and averaged
		p.Fields = append(p.Fields,
			Field{Key: "form", Value: t.Form},
			Field{Key: "exceedances", Value: int64(t.Exceedances)},
			Field{Key: "exceedances_allowed", Value: int64(t.ExceedancesAllowed)},
			Field{Key: "exceedances_3y", Value: t.Exceedances3y},
			Field{Key: "exceedances_allowed_3y", Value: t.ExceedancesAllowed3y},
			Field{Key: "years", Value: int64(t.Years)})
	}
	return p
}

// indexPoint is the aqi point of an index, at the end of its hour or day (README.md, "InfluxDB
// schema").
func indexPoint(idx *quantrac.Index) *Point {
	p := &Point{
		Measurement: MeasurementAQI,
		Tags:        []Tag{{Key: "period", Value: idx.Period}, {Key: "scheme", Value: idx.Scheme}, {Key: "station", Value: idx.Station}},
		Fields: []Field{
			{Key: "aqi", Value: int64(idx.Value)}, {Key: "category", Value: idx.Category},
			{Key: "category_vi", Value: idx.CategoryVI}, {Key: "color", Value: idx.Color},
			{Key: "dominant", Value: idx.Dominant},
		},
		Time: idx.End,
	}
	for _, s := range idx.Sub {
		p.Fields = append(p.Fields, Field{Key: s.Pollutant, Value: int64(s.Value)})
	}
	return p
}
