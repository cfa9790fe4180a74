package main

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

// TestFetch runs the client against a Gopher-like server that reads one
// selector line, answers with a menu and closes.
func TestFetch(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	menu := "iWelcome\tfake\t(NULL)\t0\r\n1Docs\t/docs\tlocalhost\t70\r\n.\r\n"
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sel, _ := bufio.NewReader(c).ReadString('\n')
		if sel != "/\r\n" {
			c.Write([]byte("3bad selector " + strings.TrimSpace(sel) + "\r\n"))
			return
		}
		c.Write([]byte(menu))
	}()
	var out bytes.Buffer
	if err := fetch(ln.Addr().String(), "/", &out, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if out.String() != menu {
		t.Fatalf("got %q", out.String())
	}
}

func TestFetchErrors(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if err := fetch(addr, "/", &bytes.Buffer{}, time.Second); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("closed port: %v", err)
	}
	if err := fetch("gopher.onion:70", "/", &bytes.Buffer{}, time.Second); err == nil || !strings.Contains(err.Error(), "gopher.onion") {
		t.Fatalf("unknown host: %v", err)
	}
}
