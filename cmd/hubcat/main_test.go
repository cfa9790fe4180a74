package main

import (
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/server"
)

// TestMain lets the scripts in testdata/ run "hubcat" as a real process: the
// test binary re-executes itself as the command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"hubcat": main,
	})
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
	return nil
}
