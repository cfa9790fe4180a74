package main

import (
	"io"
	"log/slog"
	"net"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/server"
)

// TestMain lets the scripts in testdata/ run "hubcat" as a real process: the
// test binary re-executes itself as the command.
func TestMain(m *testing.M) {
	testscript.Main(dataHomeM{m}, map[string]func(){
		"hubcat": main,
	})
}

// dataHomeM runs the tests with XDG_DATA_HOME in a temporary directory,
// so hubs started without --data keep their history there, not in the
// user's data directory; the hubcat processes the tests start inherit it.
type dataHomeM struct{ m *testing.M }

func (d dataHomeM) Run() int {
	dir, err := os.MkdirTemp("", "hubcat-test-data-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	os.Setenv("XDG_DATA_HOME", dir)
	return d.m.Run()
}

// TestScripts runs the CLI golden scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata", Setup: startScriptHub})
}

// startScriptHub serves a hub on loopback for one script and exports its
// address as $HUB, so scripts can run real hubcat client processes.
func startScriptHub(env *testscript.Env) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(chat.NewServer(hub.New(hub.Config{Logger: log}), chat.Config{Logger: log}), server.Config{Logger: log})
	go srv.Serve(ln)
	env.Defer(func() { srv.Close() })
	env.Setenv("HUB", ln.Addr().String())
	env.Setenv("XDG_DATA_HOME", env.WorkDir+"/.data") // for scripts that start hubcat serve
	return nil
}
