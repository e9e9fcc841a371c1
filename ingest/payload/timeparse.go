package payload

import (
	"math"
	"time"
)

// maxUnixSeconds bounds numeric times (year ~5138) so that conversions cannot overflow;
// anything near it is rejected as future_time anyway.
const maxUnixSeconds = 1e11

// unixTime converts Unix seconds, possibly fractional, to a UTC time.
func unixTime(f float64) (time.Time, string) {
	if math.IsNaN(f) || f > maxUnixSeconds || f < -maxUnixSeconds {
		return time.Time{}, badTimeRange
	}
	sec := math.Floor(f)
	ns := math.Round((f - sec) * 1e9)
	if ns >= 1e9 {
		sec++
		ns -= 1e9
	}
	return time.Unix(int64(sec), int64(ns)).UTC(), ""
}

// textTime parses a time string: RFC 3339 (T or space between date and time, fraction and
// offset optional only as RFC 3339 allows) or Unix seconds written as digits.
func textTime(b []byte) (time.Time, string) {
	if len(b) > 0 && len(b) <= 20 && (isDigits(b) || b[0] == '-' && isDigits(b[1:])) {
		var n int64
		for _, c := range b {
			if c != '-' {
				n = n*10 + int64(c-'0')
			}
		}
		if b[0] == '-' {
			n = -n
		}
		return unixTime(float64(n))
	}
	return rfc3339(b)
}

// digitsAt returns the n-digit decimal number at b[i:i+n], or -1.
func digitsAt(b []byte, i, n int) int {
	if i+n > len(b) {
		return -1
	}
	v := 0
	for _, c := range b[i : i+n] {
		if c < '0' || c > '9' {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// rfc3339 parses YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM) without allocating.
func rfc3339(b []byte) (time.Time, string) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, badTimeSyntax
	}
	if c := b[10]; c != 'T' && c != 't' && c != ' ' {
		return time.Time{}, badTimeSyntax
	}
	year, month, day := digitsAt(b, 0, 4), digitsAt(b, 5, 2), digitsAt(b, 8, 2)
	hour, minute, sec := digitsAt(b, 11, 2), digitsAt(b, 14, 2), digitsAt(b, 17, 2)
	if year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || sec < 0 {
		return time.Time{}, badTimeSyntax
	}
	i, nsec := 19, 0
	if b[i] == '.' || b[i] == ',' {
		i++
		scale, n := 100_000_000, 0
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
			nsec += int(b[i]-'0') * scale
			scale /= 10
			n++
		}
		if n == 0 {
			return time.Time{}, badTimeSyntax
		}
	}
	var offset int
	switch rest := b[i:]; {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, om := digitsAt(rest, 1, 2), digitsAt(rest, 4, 2)
		if oh < 0 || om < 0 || oh > 23 || om > 59 {
			return time.Time{}, badTimeSyntax
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, badTimeSyntax
	}
	if !validClock(year, month, day, hour, minute, sec) {
		return time.Time{}, badTimeRange
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), ""
}

// validClock checks calendar and clock fields; second 60 (a leap second) is accepted and
// normalised by time.Date.
func validClock(year, month, day, hour, minute, sec int) bool {
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 60 {
		return false
	}
	return day <= daysIn(year, month)
}

func daysIn(year, month int) int {
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 29
	}
	return int("\x1f\x1c\x1f\x1e\x1f\x1e\x1f\x1f\x1e\x1f\x1e\x1f"[month-1])
}

// compactTime parses the yyyyMMddHHmmss local time of Circular 10/2021 records.
func compactTime(b []byte, loc *time.Location) (time.Time, string) {
	if len(b) != 14 || !isDigits(b) {
		return time.Time{}, badTimeSyntax
	}
	year, month, day := digitsAt(b, 0, 4), digitsAt(b, 4, 2), digitsAt(b, 6, 2)
	hour, minute, sec := digitsAt(b, 8, 2), digitsAt(b, 10, 2), digitsAt(b, 12, 2)
	if !validClock(year, month, day, hour, minute, sec) {
		return time.Time{}, badTimeRange
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc).UTC(), ""
}
