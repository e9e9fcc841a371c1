package e2e

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/quantrac/quantrac/internal/testenv"
)

// screenshots, when set, is where the console tests write their screenshots and page weights
// (make screenshots sets it to docs/).
var screenshots = flag.String("screenshots", "", "directory for the console's screenshots (docs/)")

// browser is a headless Chromium (Debian package) driven through the DevTools protocol. It
// records what a user would see in the developer console: console errors, uncaught exceptions
// and browser log errors (failed loads, blocked content).
type browser struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	problems []problem
}

// problem is a console message, and the URL it is about ("" when the page's own).
type problem struct{ text, url string }

// newBrowser starts Chromium; with a user, every request carries its basic-auth credentials.
func newBrowser(t *testing.T, user, password string) *browser {
	t.Helper()
	// Not t.TempDir: Chromium's children may still write there after it exits, and a failed
	// cleanup would fail the test.
	dir, err := os.MkdirTemp("", "quantrac-chromium") //nolint:usetesting // see above
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(testenv.Chromium(t)), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		for range 50 { // Chromium's children may still write for a moment
			if os.RemoveAll(dir) == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if user != "" {
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func (b *browser) record(ev any) {
	var p, url string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value))
			}
			p = fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		p = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			p += " " + e.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
			p, url = fmt.Sprintf("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL), e.Entry.URL
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, problem{p, url})
		b.mu.Unlock()
	}
}

// takeProblems returns and forgets the problems recorded so far, but for those about URLs
// outside origin (late messages of a page opened before).
func (b *browser) takeProblems(origin string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, p := range b.problems {
		if p.url == "" || strings.HasPrefix(p.url, origin) {
			out = append(out, p.text)
		}
	}
	b.problems = nil
	return out
}

// originOf returns scheme://host of a URL.
func originOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j]
		}
	}
	return u
}

// open navigates to url and returns the HTTP status of the document.
func (b *browser) open(url string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	return resp.Status
}

// openClean opens url, expects 200 and no console problems on the page.
func (b *browser) openClean(url string) {
	b.t.Helper()
	b.takeProblems("")
	if code := b.open(url); code != 200 {
		b.t.Errorf("%s: HTTP %d in the browser", url, code)
	}
	time.Sleep(300 * time.Millisecond) // late log entries (a failed asset load) arrive after the load event
	if p := b.takeProblems(originOf(url)); len(p) > 0 {
		b.t.Errorf("%s: console problems:\n  %s", url, strings.Join(p, "\n  "))
	}
}

// eval evaluates a JavaScript expression in the page into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// pageStats are the weight and first paint of the page just opened.
type pageStats struct {
	Bytes      int     `json:"bytes"`       // bodies of the document and of every resource (cached or not)
	FirstPaint float64 `json:"first_paint"` // ms after navigation start
}

func (b *browser) stats() pageStats {
	return eval[pageStats](b, `(() => {
		const nav = performance.getEntriesByType("navigation")[0];
		let bytes = nav ? nav.encodedBodySize : 0;
		for (const r of performance.getEntriesByType("resource")) bytes += r.encodedBodySize;
		const fp = performance.getEntriesByType("paint").find(p => p.name === "first-contentful-paint");
		return {bytes: bytes, first_paint: fp ? fp.startTime : -1};
	})()`)
}

// screenshot writes a PNG of the page (full, or what the 1280×900 window shows) to the
// screenshots directory, when one is set.
func (b *browser) screenshot(name string, full bool) {
	b.t.Helper()
	if *screenshots == "" {
		return
	}
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	buf, err := chromedp.Run(b.ctx, shot)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(*screenshots+"/"+name, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
