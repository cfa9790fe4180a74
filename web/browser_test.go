package web_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive real headless Chromium (Debian's chromium
// package, which scripts/test installs). One browser serves the whole
// package; each tab gets its own browser context, so tabs share no
// storage, like two people on two machines.

var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
	dir    string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
		os.RemoveAll(browser.dir)
	}
	os.Exit(code)
}

// startBrowser starts the shared headless Chromium once.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		browser.dir, browser.err = os.MkdirTemp("", "hubcat-chromium-")
		if browser.err != nil {
			return
		}
		actx, acancel := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath("/usr/bin/chromium"),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			// Tabs in the background keep their timers: a reconnecting tab
			// must not wait on throttling.
			chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-renderer-backgrounding", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true),
			chromedp.UserDataDir(browser.dir),
		)
		bctx, bcancel := chromedp.NewContext(actx)
		browser.err = chromedp.Do(bctx)
		browser.ctx = bctx
		browser.cancel = func() {
			chromedp.Cancel(bctx)
			bcancel()
			acancel()
		}
	})
	if browser.err != nil {
		t.Fatalf("starting chromium: %v", browser.err)
	}
	return browser.ctx
}

// tab is one browser tab showing the chat page.
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string
}

// openTab opens the page of s in a new tab with its own storage, waits
// until it is connected, and chooses name unless it is empty.
func openTab(t *testing.T, s *site, name string, setup ...chromedp.Action[chromedp.Void]) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(startBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The tab lives as long as the context of its first run: open it
	// without a deadline, then bound each step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	tb := &tab{t: t, ctx: ctx, name: name}
	tb.do("open the page", append(setup, chromedp.Navigate(s.http.URL+"/"))...)
	tb.waitJS("connected", `document.getElementById("conn").dataset.state === "connected"`)
	if name != "" {
		evalJS[bool](tb, `(document.getElementById("name-input").value = "") === ""`)
		tb.do("choose a name", chromedp.SendKeys(chromedp.ID("name-input"), name+"\r"))
		tb.waitJS("named "+name, `document.getElementById("conn").textContent === "connected as " + `+strconv.Quote(name))
	}
	return tb
}

// do runs actions with a deadline, failing the test on error.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.fail("%s: %s: %v", tb.name, what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func evalJS[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("%s: evaluating %s: %v", tb.name, expr, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is true in the page.
func (tb *tab) waitJS(what, expr string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		tb.fail("%s: waiting for %s: %v\nlog: %s", tb.name, what, err, tb.logText())
	}
}

// say types a line into the composer and presses Enter.
func (tb *tab) say(text string) {
	tb.t.Helper()
	tb.do("type "+text, chromedp.SendKeys(chromedp.ID("say-input"), text+"\r"))
	tb.waitJS("composer cleared", `document.getElementById("say-input").value === ""`)
}

// waitMessage waits until the log shows a message from with exactly text.
func (tb *tab) waitMessage(from, text string) {
	tb.t.Helper()
	tb.waitJS(fmt.Sprintf("<%s> %s", from, text), fmt.Sprintf(
		`[...document.querySelectorAll("#log li.msg")].some(li => li.querySelector(".from")?.textContent === %s && li.querySelector(".text")?.textContent === %s)`,
		strconv.Quote(from), strconv.Quote(text)))
}

// count returns how many messages in the log have exactly text.
func (tb *tab) count(text string) int {
	tb.t.Helper()
	return evalJS[int](tb, fmt.Sprintf(
		`[...document.querySelectorAll("#log li.msg .text")].filter(e => e.textContent === %s).length`, strconv.Quote(text)))
}

// logText is the visible text of the log, for failure messages.
func (tb *tab) logText() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("log").innerText`))
	return s
}

// fail saves a screenshot of the tab beside the test output and fails.
func (tb *tab) fail(format string, args ...any) {
	tb.t.Helper()
	if path := tb.screenshot(); path != "" {
		format += "\nscreenshot: %s"
		args = append(args, path)
	}
	tb.t.Fatalf(format, args...)
}

// screenshot writes a PNG of the whole page and returns its path: in the
// test's artifact directory with -artifacts, else in a directory kept
// after the test.
func (tb *tab) screenshot() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		return ""
	}
	dir := os.TempDir()
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		dir = tb.t.ArtifactDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("hubcat-%s-%s-%d.png", filepath.Base(tb.t.Name()), tb.name, time.Now().UnixNano()))
	if os.WriteFile(path, png, 0o644) != nil {
		return ""
	}
	return path
}
