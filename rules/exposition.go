package rules

import (
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// family is one metric family of the text exposition format 0.0.4.
type family struct {
	name   string
	header string // its # HELP and # TYPE lines
}

func newFamily(name, help, typ string) family {
	return family{name: name, header: "# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n"}
}

// exposition appends the samples of one metric family at a time to a buffer, which its
// caller writes out between stations once it holds chunkSize bytes: the ~130 MB of text of
// 10,000 stations pass through a buffer of a few hundred KB, and no lock of the engine is
// held while w is written to.
type exposition struct {
	w      io.Writer
	n      int64 // bytes written
	err    error // the first write error; later writes are skipped
	fam    family
	empty  bool   // no sample of fam yet: its header is not in buf
	buf    []byte // what is not written yet
	labels []byte // the label set of the samples being appended, braces included
}

// chunkSize is how much text the exposition gathers before writing it.
const chunkSize = 256 << 10

// begin starts family f; its header goes out with its first sample, so that a family without
// samples is left out, as a registry would.
func (x *exposition) begin(f family) { x.fam, x.empty = f, true }

// setLabels makes {n1="v1",n2="v2",…} the label set of the next samples; pairs alternate
// names and values, and the names must be sorted.
func (x *exposition) setLabels(pairs ...string) {
	b := x.labels[:0]
	if len(pairs) < 2 {
		x.labels = b
		return
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		b = appendLabelName(b, i == 0, pairs[i])
		b = appendLabelValue(b, pairs[i+1])
		b = append(b, '"')
	}
	b = append(b, '}')
	x.labels = b
}

// sample appends one sample of the current family with the current label set.
func (x *exposition) sample(v float64) {
	b := x.buf
	if x.empty {
		b, x.empty = append(b, x.fam.header...), false
	}
	b = append(b, x.fam.name...)
	b = append(b, x.labels...)
	b = append(b, ' ')
	b = appendFloat(b, v)
	b = append(b, '\n')
	x.buf = b
}

// flushFull writes the buffer out once it holds chunkSize bytes.
func (x *exposition) flushFull() {
	if len(x.buf) >= chunkSize {
		x.flush()
	}
}

// flush writes the buffer out.
func (x *exposition) flush() {
	if x.err == nil && len(x.buf) > 0 {
		var m int
		m, x.err = x.w.Write(x.buf)
		x.n += int64(m)
	}
	x.buf = x.buf[:0]
}

// appendLabelName appends the opening of a label pair, name=", preceded by the brace that
// opens the label set when first, by a comma otherwise.
func appendLabelName(b []byte, first bool, name string) []byte {
	if first {
		b = append(b, '{')
	} else {
		b = append(b, ',')
	}
	b = append(b, name...)
	return append(b, '=', '"')
}

// appendLabelValue appends v escaped as the text format requires: backslash, double quote
// and line feed. Invalid UTF-8, which Prometheus rejects, is replaced by U+FFFD.
func appendLabelValue(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\\' || c == '"' || c == '\n' || c >= utf8.RuneSelf {
			return appendEscaped(b, v)
		}
	}
	return append(b, v...)
}

// appendEscaped is appendLabelValue's slow path: v has a byte to escape or is not ASCII.
func appendEscaped(b []byte, v string) []byte {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	for {
		i := strings.IndexAny(v, "\\\"\n")
		if i < 0 {
			return append(b, v...)
		}
		b = append(b, v[:i]...)
		switch v[i] {
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, '\\', v[i])
		}
		v = v[i+1:]
	}
}

// appendFloat appends v formatted as the Prometheus client library's text encoder does.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case v == 1:
		return append(b, '1')
	case v == 0:
		return append(b, '0')
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, +1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
