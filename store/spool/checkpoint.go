package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The checkpoint file holds the sequence number of the oldest unconfirmed record:
//
//	offset size field
//	     0    4 magic "QSC1"
//	     4    8 sequence number, little-endian
//	    12    4 crc32c (Castagnoli) of bytes 0..12
//
// It is 16 bytes, rewritten in place with one pwrite: a write that small lands in one disk
// sector, and the checksum catches the rare torn one (the spool then re-delivers from the
// start of the oldest segment, which is harmless).
const (
	checkpointName  = "checkpoint"
	checkpointSize  = 16
	checkpointMagic = "QSC1"
)

// errNoCheckpoint reports a checkpoint file that does not exist yet.
var errNoCheckpoint = errors.New("no checkpoint")

// checkpoint is the open checkpoint file.
type checkpoint struct {
	f      *os.File
	noSync bool
	buf    [checkpointSize]byte
}

// openCheckpoint opens or creates the checkpoint file in dir and returns the sequence
// number it holds: errNoCheckpoint when the file is new, another error when it is invalid.
// The returned checkpoint is usable in both cases.
func openCheckpoint(dir string, noSync bool) (*checkpoint, uint64, error) {
	f, err := os.OpenFile(filepath.Join(dir, checkpointName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, 0, err
	}
	cp := &checkpoint{f: f, noSync: noSync}
	n, err := f.ReadAt(cp.buf[:], 0)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return cp, 0, errNoCheckpoint
	case err != nil && !errors.Is(err, io.EOF):
		f.Close()
		return nil, 0, err
	}
	seq, err := decodeCheckpoint(cp.buf[:n])
	return cp, seq, err
}

// decodeCheckpoint validates and decodes a checkpoint file's content.
func decodeCheckpoint(b []byte) (uint64, error) {
	if len(b) != checkpointSize || string(b[:4]) != checkpointMagic {
		return 0, fmt.Errorf("checkpoint: %d bytes, want %d starting with %q", len(b), checkpointSize, checkpointMagic)
	}
	if crc32.Checksum(b[:12], castagnoli) != binary.LittleEndian.Uint32(b[12:]) {
		return 0, errors.New("checkpoint: checksum mismatch")
	}
	return binary.LittleEndian.Uint64(b[4:]), nil
}

// write records seq as the oldest unconfirmed record, fsyncing when sync is set.
func (cp *checkpoint) write(seq uint64, sync bool) error {
	copy(cp.buf[:4], checkpointMagic)
	binary.LittleEndian.PutUint64(cp.buf[4:], seq)
	binary.LittleEndian.PutUint32(cp.buf[12:], crc32.Checksum(cp.buf[:12], castagnoli))
	if _, err := cp.f.WriteAt(cp.buf[:], 0); err != nil {
		return fmt.Errorf("spool: checkpoint: %w", err)
	}
	if sync && !cp.noSync {
		if err := cp.f.Sync(); err != nil {
			return fmt.Errorf("spool: checkpoint: %w", err)
		}
	}
	return nil
}

// close fsyncs and closes the file.
func (cp *checkpoint) close() error {
	if cp.noSync {
		return cp.f.Close()
	}
	return errors.Join(cp.f.Sync(), cp.f.Close())
}
