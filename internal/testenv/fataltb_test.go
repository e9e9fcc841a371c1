package testenv

import (
	"fmt"
	"runtime"
	"testing"
)

// fatalTB is a testing.TB whose Fatal and Skip record the message and end the goroutine, as
// testing.T does, without failing the real test. TempDir and Cleanup go to the real test.
type fatalTB struct {
	testing.TB
	msg     string
	skipped bool
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatal(args ...any) { f.msg = fmt.Sprint(args...); runtime.Goexit() }

func (f *fatalTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

func (f *fatalTB) FailNow() { f.Fatal("FailNow") }

func (f *fatalTB) Skip(args ...any) { f.skipped = true; f.Fatal(args...) }

func (f *fatalTB) Skipf(format string, args ...any) { f.skipped = true; f.Fatalf(format, args...) }

func (f *fatalTB) SkipNow() { f.skipped = true; f.Fatal("SkipNow") }

// runFatal runs fn with a fatalTB on its own goroutine and returns the fatalTB once fn ended.
func runFatal(t *testing.T, fn func(testing.TB)) *fatalTB {
	t.Helper()
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}
