package payload

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jscan is a small pull scanner over one JSON document. It validates what it reads, returns
// strings as slices of the input (or of scratch when they hold escapes) and numbers as
// float64, and allocates nothing on the way. Errors are *MessageError malformed.
type jscan struct {
	b       []byte
	i       int
	scratch *[]byte // unescaped strings; nil uses a private buffer
	maxStr  int
	maxArr  int
}

// maxDepth bounds the nesting of skipped values.
const maxDepth = 64

func (s *jscan) fail(what string) error {
	return malformed("json: %s at offset %d", what, s.i)
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (s *jscan) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// enter consumes the opening c ('{' or '[').
func (s *jscan) enter(c byte) error {
	if s.peek() != c {
		if c == '{' {
			return s.fail("expected an object")
		}
		return s.fail("expected an array")
	}
	s.i++
	return nil
}

// end checks that nothing but white space follows the document.
func (s *jscan) end() error {
	if s.peek() != 0 {
		return s.fail("trailing data after the JSON value")
	}
	return nil
}

// nextKey advances to the next member of an object entered with enter('{') and returns its
// key, positioned at its value; more is false after the closing brace.
func (s *jscan) nextKey(first bool) (key []byte, more bool, err error) {
	c := s.peek()
	switch {
	case c == '}':
		s.i++
		return nil, false, nil
	case !first && c == ',':
		s.i++
		c = s.peek()
	case !first:
		return nil, false, s.fail("expected ',' or '}'")
	}
	if c != '"' {
		return nil, false, s.fail("expected a string key")
	}
	if key, err = s.str(); err != nil {
		return nil, false, err
	}
	if s.peek() != ':' {
		return nil, false, s.fail("expected ':'")
	}
	s.i++
	return key, true, nil
}

// nextElem advances to the next element of an array entered with enter('['); more is false
// after the closing bracket.
func (s *jscan) nextElem(first bool) (more bool, err error) {
	c := s.peek()
	switch {
	case c == ']':
		s.i++
		return false, nil
	case first:
		return true, nil
	case c == ',':
		s.i++
		if s.peek() == ']' {
			return false, s.fail("trailing comma")
		}
		return true, nil
	}
	return false, s.fail("expected ',' or ']'")
}

// str reads a string; the result is valid until the end of the message.
func (s *jscan) str() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.fail("expected a string")
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			out := s.b[start:s.i]
			s.i++
			if len(out) > s.maxStr {
				return nil, s.fail("string longer than the limit")
			}
			return out, nil
		case c == '\\':
			return s.strEscaped(start)
		case c < 0x20:
			return nil, s.fail("control character in string")
		}
		s.i++
	}
	return nil, s.fail("unterminated string")
}

// strEscaped finishes a string holding escapes, unescaping it into scratch.
func (s *jscan) strEscaped(start int) ([]byte, error) {
	var local []byte
	buf := &local
	if s.scratch != nil {
		buf = s.scratch
	}
	base := len(*buf)
	out := append(*buf, s.b[start:s.i]...)
	for s.i < len(s.b) {
		if len(out)-base > s.maxStr {
			return nil, s.fail("string longer than the limit")
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			*buf = out
			return out[base:len(out):len(out)], nil
		case c < 0x20:
			return nil, s.fail("control character in string")
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			break
		}
		s.i += 2
		switch e := s.b[s.i-1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, s.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					s.i += 2
					r2, ok = s.hex4()
				}
				if r = utf16.DecodeRune(r, r2); !ok {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.fail("bad escape")
		}
	}
	return nil, s.fail("unterminated string")
}

func (s *jscan) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// numSpan returns the bytes of the number at the scanner, which must follow the JSON grammar
// (RFC 8259 §6): -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?. 01, 1., .5 and +1 are
// not JSON numbers.
func (s *jscan) numSpan() ([]byte, error) {
	s.ws()
	start := s.i
	s.optional("-")
	switch {
	case s.optional("0"):
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return nil, s.fail("bad number")
	}
	if s.optional(".") && s.digits() == 0 {
		return nil, s.fail("bad number")
	}
	if s.optional("eE") {
		s.optional("+-")
		if s.digits() == 0 {
			return nil, s.fail("bad number")
		}
	}
	if s.i < len(s.b) && (isDigit(s.b[s.i]) || strings.IndexByte(".eE+-", s.b[s.i]) >= 0) || s.i-start > 64 {
		return nil, s.fail("bad number")
	}
	return s.b[start:s.i], nil
}

// optional consumes one byte if it is one of set and reports whether it did.
func (s *jscan) optional(set string) bool {
	if s.i < len(s.b) && strings.IndexByte(set, s.b[s.i]) >= 0 {
		s.i++
		return true
	}
	return false
}

// digits consumes a run of decimal digits and returns its length.
func (s *jscan) digits() int {
	start := s.i
	for s.i < len(s.b) && isDigit(s.b[s.i]) {
		s.i++
	}
	return s.i - start
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// num reads a number. A number too large for float64 returns ±Inf, which validation
// rejects as not_a_number.
func (s *jscan) num() (float64, error) {
	b, err := s.numSpan()
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		s.i -= len(b)
		return 0, s.fail("bad number")
	}
	return f, nil
}

// literal consumes true, false or null.
func (s *jscan) literal() (byte, error) {
	s.ws()
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return lit[0], nil
		}
	}
	return 0, s.fail("unexpected character")
}

// skip consumes one value of any type.
func (s *jscan) skip() error { return s.skipDepth(0) }

func (s *jscan) skipDepth(depth int) error {
	if depth > maxDepth {
		return s.fail("nesting too deep")
	}
	switch s.peek() {
	case '"':
		_, err := s.str()
		return err
	case '{':
		s.i++
		for first := true; ; first = false {
			_, more, err := s.nextKey(first)
			if err != nil || !more {
				return err
			}
			if err := s.skipDepth(depth + 1); err != nil {
				return err
			}
		}
	case '[':
		s.i++
		for n := 0; ; n++ {
			more, err := s.nextElem(n == 0)
			if err != nil || !more {
				return err
			}
			if n >= s.maxArr {
				return s.fail("array longer than the limit")
			}
			if err := s.skipDepth(depth + 1); err != nil {
				return err
			}
		}
	case 't', 'f', 'n':
		_, err := s.literal()
		return err
	case 0:
		return s.fail("unexpected end of input")
	}
	_, err := s.num()
	return err
}
