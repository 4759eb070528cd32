package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// resourceRef finds what makes a page load something: attributes that
// fetch (src, href, srcset, action, poster, data, xlink:href), CSS url()
// and @import.
var resourceRef = regexp.MustCompile(`(?i)(<[a-z]+\b[^>]*?\s(src|href|srcset|action|poster|data|xlink:href)\s*=\s*"([^"]*)")|url\(\s*['"]?([^'")\s]*)|@import\s+['"]?([^'";\s]*)`)

// checkStatic fails the test when the page refers to anything outside
// itself, except plain links the reader may click (<a href="https://...">),
// and when its Content-Security-Policy is not the strict one.
func checkStatic(t *testing.T, page string) {
	t.Helper()
	for _, m := range resourceRef.FindAllStringSubmatch(page, -1) {
		ref := m[3] + m[4] + m[5]
		external := strings.HasPrefix(strings.ToLower(ref), "http:") || strings.HasPrefix(strings.ToLower(ref), "https:") ||
			strings.HasPrefix(ref, "//") || strings.Contains(strings.ToLower(ref), "javascript:")
		if !external {
			continue
		}
		if m[1] != "" && strings.HasPrefix(strings.ToLower(m[1]), "<a ") && strings.EqualFold(m[2], "href") &&
			!strings.Contains(strings.ToLower(ref), "javascript:") {
			continue // a link the reader clicks; nothing is loaded
		}
		t.Errorf("the page loads %q: %s", ref, m[0])
	}
	if !strings.Contains(page, `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`) {
		t.Error("the page lacks its Content-Security-Policy")
	}
}

func TestHTMLStatic(t *testing.T) {
	page := string(render(t, "html", sampleReport(), Options{}))
	checkStatic(t, page)
	for _, want := range []string{
		"What happened", "What to do next", "<svg", "Hosts and ATT&amp;CK tactics", "Whose tradecraft it resembles",
		"Volt Typhoon",
		"Detects ntdsutil creating an install-from-media copy", // the rule's description
		"Domain controller promotion from media",               // its false positives
		`<a href="https://www.cisa.gov/news-events/cybersecurity-advisories/aa24-038a"`,
		"internal wiki page 12", // a reference that is not a link stays text
		"@media print",
		"42 distinct TargetUserName",
		"and 40 more events behind this finding",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The sample's chart has a bar for each hour with findings: 10, 11 and 13.
	if n := strings.Count(page, "<g><title>"); n != 3 {
		t.Errorf("%d bars in the timeline, want 3", n)
	}
}

// chromium returns the path of a headless Chromium, or skips the test when
// there is none (fails under CI, which must have one).
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed: CI must install it (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed")
	return ""
}

// browse opens a file in headless Chromium and returns the DOM after
// scripts ran, what Chromium logged, and the network log.
func browse(t *testing.T, bin, file string, extra ...string) (dom, logs string, netlog []byte) {
	t.Helper()
	dir := t.TempDir()
	netPath := filepath.Join(dir, "net.json")
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
		"--user-data-dir=" + filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0",
		"--log-net-log=" + netPath, "--net-log-capture-mode=Default",
		// Nothing may be fetched; should the page try, the request fails
		// here and still shows in the network log.
		"--host-resolver-rules=MAP * ~NOTFOUND",
	}, extra...)
	args = append(args, "file://"+file)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errOut.String())
	}
	netlog, _ = os.ReadFile(netPath)
	return out.String(), errOut.String(), netlog
}

// consoleLines returns what the page wrote to the console or Chromium
// reported about it (script errors, CSP violations).
func consoleLines(logs string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Content Security Policy") ||
			strings.Contains(l, "Uncaught") {
			out = append(out, l)
		}
	}
	return out
}

// requestedURLs returns the URLs the page asked for, from a Chromium
// network log (NetLog JSON): the requests made on behalf of a page opened
// from a file, whose network isolation key is the file:// site. Chromium's
// own background requests (its clock, accounts) have other keys and are
// none of the page's doing.
func requestedURLs(t *testing.T, netlog []byte, page string) []string {
	t.Helper()
	var nl struct {
		Events []struct {
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	// Chromium may end the log without closing it when it exits quickly.
	if err := json.Unmarshal(netlog, &nl); err != nil {
		trimmed := strings.TrimRight(string(netlog), ",\n ")
		if err := json.Unmarshal([]byte(trimmed+"]}"), &nl); err != nil {
			t.Fatalf("reading the network log: %v", err)
		}
	}
	seen := make(map[string]bool)
	var out []string
	for _, e := range nl.Events {
		u, _ := e.Params["url"].(string)
		nik, _ := e.Params["network_isolation_key"].(string)
		if u == "" || u == page || !strings.HasPrefix(nik, "file://") || seen[u] {
			continue
		}
		seen[u] = true
		out = append(out, u)
	}
	return out
}

// TestHTMLInChromium opens the sample report and the hostile one in
// headless Chromium: each renders, logs no console error or CSP violation,
// requests nothing, and the hostile text stays text.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()

	// First a page that breaks both rules, so that a harness that sees
	// nothing (a changed log format, say) cannot pass the real pages.
	probe := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probe, []byte(`<!DOCTYPE html><html><head><title>probe</title></head><body>`+
		`<img src="https://example.invalid/x.png"><script>console.error("probe")</script></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, logs, netlog := browse(t, bin, probe, "--dump-dom")
	if len(consoleLines(logs)) == 0 || len(requestedURLs(t, netlog, "file://"+probe)) == 0 {
		t.Fatalf("the harness does not see a console message or a request of a page that makes them:\n%s", logs)
	}

	for _, tt := range []struct {
		name string
		page []byte
	}{
		{"sample", render(t, "html", sampleReport(), Options{})},
		{"hostile", render(t, "html", hostileReport(), Options{})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, tt.name+".html")
			if err := os.WriteFile(file, tt.page, 0o644); err != nil {
				t.Fatal(err)
			}
			dom, logs, netlog := browse(t, bin, file, "--dump-dom")
			if !strings.Contains(dom, "What happened") || !strings.Contains(dom, "</footer>") {
				t.Errorf("the page did not render:\n%.2000s", dom)
			}
			// The print script ran and was allowed by the policy: it
			// registered its handler without an error (checked below).
			if lines := consoleLines(logs); len(lines) > 0 {
				t.Errorf("console messages:\n%s", strings.Join(lines, "\n"))
			}
			if urls := requestedURLs(t, netlog, "file://"+file); len(urls) > 0 {
				t.Errorf("the page requested %q", urls)
			}
			if tt.name == "hostile" {
				if strings.Contains(dom, "<img") || strings.Count(dom, "<script") != 1 {
					t.Error("markup from the data became elements of the page")
				}
			}
		})
	}
}

// TestHTMLScreenshot prints the sample report to an image, as a person
// would see it, and checks that Chromium drew a page of some substance.
func TestHTMLScreenshot(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "sample.html")
	if err := os.WriteFile(file, render(t, "html", sampleReport(), Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "sample.png")
	_, logs, _ := browse(t, bin, file, "--screenshot="+shot, "--window-size=1280,2400", "--hide-scrollbars")
	info, err := os.Stat(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, logs)
	}
	// A blank page of that size compresses to a few kilobytes; a rendered
	// report, with its chart and tables, to far more.
	if info.Size() < 50_000 {
		t.Errorf("screenshot of %d bytes: the page looks empty", info.Size())
	}
	if lines := consoleLines(logs); len(lines) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(lines, "\n"))
	}
	if dst := os.Getenv("BREAKWATER_SCREENSHOT"); dst != "" {
		// CI keeps the picture for a person to look at.
		b, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(dst, b, 0o644)
		}
		if err != nil {
			t.Errorf("keeping the screenshot: %v", err)
		}
	}
}
