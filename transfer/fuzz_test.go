package transfer

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckPath: every name the receiver accepts must stay inside the
// destination and outside the partial directory.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{"a", "a/b.txt", "../x", "/etc/passwd", "a/../../b", ".", "", "a//b", "a/./b",
		".hubcat-partial/x", "x/.hubcat-partial", "a\x00b", `..\x`, "a/..", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if checkPath(p) != nil {
			return
		}
		if !filepath.IsLocal(p) || filepath.Clean(p) != p {
			t.Fatalf("accepted %q, which is not a clean local path", p)
		}
		if first, _, _ := strings.Cut(p, "/"); first == partialDir {
			t.Fatalf("accepted %q inside the partial directory", p)
		}
	})
}
