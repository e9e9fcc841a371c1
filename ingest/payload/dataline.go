package payload

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// span is a token of a data line: b[start:end] of the payload being decoded.
type span struct{ start, end int }

// parseDataLine decodes Circular 10/2021 data line records:
//
//	PM2,5<TAB>38,2<TAB>µg/Nm3<TAB>20261128140500<TAB>00
//	SO2<TAB>12<TAB>ppb<TAB>20261128140500<TAB>01
//
// Records are parameter, value, unit, local time yyyyMMddHHmmss (the station's time zone)
// and status, one per line or several on one line, separated by TABs or, on lines without a
// TAB, by white space. Decimal commas, a UTF-8 byte order mark and CRLF line ends are accepted;
// a payload that is not valid UTF-8 is read as Windows-1258. The legacy layouts "time
// parameter value [unit] [status]" and records without a status (taken as "00") are accepted.
// Decomposed UTF-8 (a base letter followed by combining tone marks, as some editors and macOS
// write "Nhiệt độ") is composed (NFC) so that names match the catalog. Header lines before the
// first record (column titles such as "Thông số<TAB>Giá trị<TAB>Đơn vị…": no time and no number)
// are skipped; a payload without any record is malformed. An empty, missing or non-numeric
// value is not_a_number whatever the status: a status-02 record is never stored as 0, and a
// value it does report is kept as reported (flagged).
func (p *Parser) parseDataLine(b []byte) error {
	b = bytes.TrimPrefix(b, bom)
	switch {
	case !utf8.Valid(b):
		p.recode = decodeWindows1258(p.recode[:0], b)
		b = p.recode
		p.out.Charset = CharsetWindows1258
	case hasCombiningMark(b):
		p.recode = norm.NFC.Append(p.recode[:0], b...)
		b = p.recode
	}
	off := 0
	for lineNo := 1; off < len(b); lineNo++ {
		end := bytes.IndexByte(b[off:], '\n')
		if end < 0 {
			end = len(b)
		} else {
			end += off
		}
		// p.count is the number of records emitted so far: header lines may only come first.
		if err := p.dataLine(b, off, end, p.count == 0); err != nil {
			return malformed("data line %d: %v", lineNo, err)
		}
		off = end + 1
	}
	if p.count == 0 {
		return malformed("no data records (parameter, value, unit, yyyyMMddHHmmss time, status)")
	}
	return nil
}

// hasCombiningMark reports whether b may hold a combining diacritical mark (U+0300–U+036F,
// UTF-8 lead bytes 0xCC and 0xCD): then it needs composing.
func hasCombiningMark(b []byte) bool {
	return bytes.IndexByte(b, 0xCC) >= 0 || bytes.IndexByte(b, 0xCD) >= 0
}

// dataLine tokenises b[start:end] and emits its records; headerOK allows a header line (no
// record has been emitted yet).
func (p *Parser) dataLine(b []byte, start, end int, headerOK bool) error {
	for start < end && isSpace(b[start]) {
		start++
	}
	for end > start && isSpace(b[end-1]) {
		end--
	}
	if start == end || b[start] == '#' {
		return nil
	}
	tab := bytes.IndexByte(b[start:end], '\t') >= 0
	p.tokens = p.tokens[:0]
	for i := start; i <= end; {
		j := i
		for j < end && !(tab && b[j] == '\t' || !tab && isSpace(b[j])) {
			j++
		}
		t := span{i, j}
		for t.start < t.end && isSpace(b[t.start]) {
			t.start++
		}
		for t.end > t.start && isSpace(b[t.end-1]) {
			t.end--
		}
		if t.end-t.start > p.lim.MaxStringLen {
			return errors.New("field longer than the limit")
		}
		if tab || t.end > t.start {
			p.tokens = append(p.tokens, t)
		}
		i = j + 1
		for !tab && i < end && isSpace(b[i]) {
			i++
		}
	}
	if headerOK && p.isHeader(b) {
		return nil
	}
	return p.dataRecords(b, tab)
}

// isHeader reports whether the current line's tokens are a header line: column titles or a
// title, with no yyyyMMddHHmmss time and no number (a token with a digit that parses as one).
// A record always has a time, and a line with a number but no time ("COD 80 mg/L") is a
// broken record, not a header.
func (p *Parser) isHeader(b []byte) bool {
	for _, t := range p.tokens {
		text := b[t.start:t.end]
		if isTimestamp(text) {
			return false
		}
		if bytes.ContainsAny(text, "0123456789") { // cheap: a failed ParseFloat allocates
			if _, bad := dataValue(text); bad == "" {
				return false
			}
		}
	}
	return true
}

// dataRecords emits the records of the current line's tokens, anchoring each record on its
// 14-digit time.
func (p *Parser) dataRecords(b []byte, tab bool) error {
	tok := p.tokens
	text := func(t span) []byte { return b[t.start:t.end] }
	if len(tok) > 0 && isTimestamp(text(tok[0])) {
		return p.dataLegacy(b)
	}
	for i := 0; i < len(tok); {
		if tab && tok[i].start == tok[i].end {
			i++ // empty field between records
			continue
		}
		j := i + 1
		for j < len(tok) && !isTimestamp(text(tok[j])) {
			j++
		}
		if j == len(tok) {
			return fmt.Errorf("record %q has no yyyyMMddHHmmss time", clip(b[tok[i].start:tok[len(tok)-1].end]))
		}
		c := candidate{}
		if err := p.dataFields(b, tok[i:j], tab, &c); err != nil {
			return err
		}
		c.time, c.tbad = compactTime(text(tok[j]), p.st.TimeLocation())
		i = j + 1
		if i < len(tok) && (isStatusToken(text(tok[i])) || tab && tok[i].start == tok[i].end) {
			st, err := statusString(text(tok[i]))
			if err != nil {
				return err
			}
			c.status = st
			i++
		}
		p.emit(&c)
	}
	return nil
}

// dataFields fills the parameter, value and unit of a record from the tokens before its time.
// With TABs they are positional (parameter, value, unit; unit or value and unit may be
// missing). Without, the value is the last numeric token: the tokens before it are the
// parameter (names such as "Nhiệt độ" hold spaces), the rest the unit; with no numeric token
// the value is missing.
func (p *Parser) dataFields(b []byte, pre []span, tab bool, c *candidate) error {
	join := func(ts []span) []byte {
		if len(ts) == 0 {
			return nil
		}
		return b[ts[0].start:ts[len(ts)-1].end]
	}
	c.bad = badEmptyValue
	if tab {
		if len(pre) > 3 {
			return fmt.Errorf("record %q: expected parameter, value and unit before the time", clip(join(pre)))
		}
		c.name = join(pre[:1])
		if len(pre) >= 2 {
			c.value, c.bad = dataValue(join(pre[1:2]))
		}
		if len(pre) == 3 {
			c.unit = join(pre[2:3])
		}
		return nil
	}
	k := -1
	for i := len(pre) - 1; i >= 1; i-- {
		if _, bad := dataValue(join(pre[i : i+1])); bad == "" {
			k = i
			break
		}
	}
	if k < 0 {
		c.name, c.unit = join(pre[:1]), join(pre[1:])
		return nil
	}
	c.name, c.unit = join(pre[:k]), join(pre[k+1:])
	c.value, c.bad = dataValue(join(pre[k : k+1]))
	return nil
}

// dataLegacy emits a line in the legacy layout "time parameter value [unit] [status]". A line
// with a time and a parameter but no value (a faulted instrument) is a not_a_number reading.
func (p *Parser) dataLegacy(b []byte) error {
	tok := p.tokens
	if len(tok) < 2 || len(tok) > 5 {
		return fmt.Errorf("line starting with a time needs a parameter and a value after it (%d fields)", len(tok))
	}
	text := func(t span) []byte { return b[t.start:t.end] }
	c := candidate{name: text(tok[1]), bad: badMissingValue}
	if len(tok) >= 3 {
		c.value, c.bad = dataValue(text(tok[2]))
	}
	c.time, c.tbad = compactTime(text(tok[0]), p.st.TimeLocation())
	if len(tok) >= 4 {
		c.unit = text(tok[3])
	}
	if len(tok) == 5 {
		st, err := statusString(text(tok[4]))
		if err != nil {
			return err
		}
		c.status = st
	}
	p.emit(&c)
	return nil
}

// isTimestamp reports whether b is a 14-digit yyyyMMddHHmmss token.
func isTimestamp(b []byte) bool { return len(b) == 14 && isDigits(b) }

// isStatusToken reports whether b looks like a status code: one to three digits.
func isStatusToken(b []byte) bool { return len(b) >= 1 && len(b) <= 3 && isDigits(b) }

// dataValue parses a record value, accepting a decimal comma ("12,5").
func dataValue(b []byte) (float64, string) {
	if len(b) == 0 {
		return 0, badEmptyValue
	}
	if len(b) > 64 {
		return 0, badNonNumeric
	}
	var buf [64]byte
	if i := bytes.IndexByte(b, ','); i >= 0 && bytes.IndexByte(b, '.') < 0 && bytes.IndexByte(b[i+1:], ',') < 0 {
		n := copy(buf[:], b)
		buf[i] = '.'
		b = buf[:n]
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, badNonNumeric
	}
	return f, ""
}
