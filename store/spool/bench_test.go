package spool

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
)

// BenchmarkAppend measures group commit: appends/s and MB/s (from SetBytes) for 1 KiB and
// 64 KiB records with 1 and 8 concurrent appenders, each Append waiting for its fsync.
// fsyncs/append below 1 is the batching at work.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		for _, writers := range []int{1, 8} {
			b.Run(fmt.Sprintf("size=%dKiB/writers=%d", size>>10, writers), func(b *testing.B) {
				benchAppend(b, size, writers)
			})
		}
	}
}

func benchAppend(b *testing.B, size, writers int) {
	s, err := Open(Options{Dir: b.TempDir(), MaxBytes: 1 << 40, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < b.N; i += writers {
				if err := s.Append(data); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	s.mu.Lock()
	flushes := s.flushes
	s.mu.Unlock()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	b.ReportMetric(float64(flushes)/float64(b.N), "fsyncs/append")
}

// BenchmarkReplay measures Next+Confirm of 64 KiB records already on disk.
func BenchmarkReplay(b *testing.B) {
	const size = 64 << 10
	s, err := Open(Options{Dir: b.TempDir(), MaxBytes: 1 << 40, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	data := make([]byte, size)
	var wg sync.WaitGroup
	for w := range 8 { // fill quickly with group commit
		wg.Go(func() {
			for i := w; i < b.N; i += 8 {
				if err := s.Append(data); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r := next(b, s)
		if err := s.Confirm(r.Seq); err != nil {
			b.Fatal(err)
		}
	}
}
