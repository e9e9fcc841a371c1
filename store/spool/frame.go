package spool

import (
	"encoding/binary"
	"hash/crc32"
	"time"
)

// Frame layout, all integers little-endian:
//
//	offset size field
//	     0    4 crc32c (Castagnoli) of bytes 4..24 of the header followed by the data
//	     4    4 data length in bytes
//	     8    8 sequence number
//	    16    8 append time, Unix nanoseconds
//	    24    n data
//
// The checksum covers the length, the sequence number and the time as well as the data, so a
// flipped bit anywhere in a frame is detected.
const headerSize = 24

// maxDataLen bounds one record's data: the length field is 32 bits.
const maxDataLen = 1<<32 - 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is a decoded frame header.
type header struct {
	crc  uint32
	n    uint32 // data length
	seq  uint64
	nano int64
}

// frameSize returns the bytes a record of n data bytes takes on disk.
func frameSize(n int) int64 { return headerSize + int64(n) }

// appendFrame appends the frame of one record to dst and returns the extended slice.
func appendFrame(dst []byte, seq uint64, at time.Time, data []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, headerSize)...)
	h := dst[start:]
	binary.LittleEndian.PutUint32(h[4:], uint32(len(data)))
	binary.LittleEndian.PutUint64(h[8:], seq)
	binary.LittleEndian.PutUint64(h[16:], uint64(at.UnixNano()))
	dst = append(dst, data...)
	crc := crc32.Update(0, castagnoli, dst[start+4:start+headerSize])
	crc = crc32.Update(crc, castagnoli, dst[start+headerSize:])
	binary.LittleEndian.PutUint32(dst[start:], crc)
	return dst
}

// parseHeader decodes a header from the first headerSize bytes of b.
func parseHeader(b []byte) header {
	return header{
		crc:  binary.LittleEndian.Uint32(b[0:]),
		n:    binary.LittleEndian.Uint32(b[4:]),
		seq:  binary.LittleEndian.Uint64(b[8:]),
		nano: int64(binary.LittleEndian.Uint64(b[16:])),
	}
}

// checksum reports whether the header's checksum matches the raw header bytes hb and data.
func (h header) checksum(hb, data []byte) bool {
	crc := crc32.Update(0, castagnoli, hb[4:headerSize])
	return crc32.Update(crc, castagnoli, data) == h.crc
}

// time returns the append time recorded in the header.
func (h header) time() time.Time { return time.Unix(0, h.nano) }

// frameAt decodes the frame at the start of b, which must hold the whole frame. It reports
// false when b is too short for the header or the data, or the checksum does not match.
func frameAt(b []byte) (header, []byte, bool) {
	if len(b) < headerSize {
		return header{}, nil, false
	}
	h := parseHeader(b)
	if int64(h.n) > int64(len(b)-headerSize) {
		return h, nil, false
	}
	data := b[headerSize : headerSize+int(h.n)]
	if !h.checksum(b, data) {
		return h, nil, false
	}
	return h, data, true
}

// resync looks in b, from offset from on, for the first intact frame whose sequence number
// lies in [minSeq, maxSeq]. It returns the frame's offset, or -1 when there is none. A
// corrupt region is skipped this way; the sequence bound makes a false match in random bytes
// need both a plausible sequence number and a matching 32-bit checksum.
func resync(b []byte, from int, minSeq, maxSeq uint64) int {
	for i := from; i+headerSize <= len(b); i++ {
		seq := binary.LittleEndian.Uint64(b[i+8:])
		if seq < minSeq || seq > maxSeq {
			continue
		}
		if _, _, ok := frameAt(b[i:]); ok {
			return i
		}
	}
	return -1
}
