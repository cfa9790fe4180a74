package hubcat_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

type goPackage struct {
	ImportPath string
	Doc        string
	Imports    []string
}

// listPackages runs go list over the module.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []goPackage
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
}

// Every package says what it is for.
func TestEveryPackageHasADocComment(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}

// Imports point one way: the core packages never import front ends or
// commands (docs/ARCHITECTURE.md).
func TestImportDirection(t *testing.T) {
	const mod = "github.com/hubcat/hubcat/"
	forbidden := map[string][]string{
		"line":     {""},                                           // no project imports at all
		"endpoint": {""},                                           // likewise
		"server":   {""},                                           // nothing but endpoint (below)
		"hub":      {"chat", "endpoint", "server", "cmd/", "line"}, // the core knows no wire format
		"chat":     {"cmd/", "endpoint"},
		"relay":    {""}, // nothing but endpoint (below)
		"transfer": {"cmd/", "hub", "chat", "relay"},
		"rexec":    {"cmd/", "hub", "chat", "relay"},
	}
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, mod)
		bans, ok := forbidden[rel]
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			if imp == mod+"endpoint" && (rel == "server" || rel == "relay") {
				continue // addresses: how peers are told apart
			}
			for _, ban := range bans {
				if strings.HasPrefix(strings.TrimPrefix(imp, mod), ban) {
					t.Errorf("%s imports %s, against the layout", rel, imp)
				}
			}
		}
	}
}
