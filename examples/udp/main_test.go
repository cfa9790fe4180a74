package main

import (
	"bytes"
	"net"
	"regexp"
	"testing"
	"time"
)

func TestSendReceive(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pc.SetDeadline(time.Now().Add(10 * time.Second))
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- receive(pc, &out, 3) }()
	if err := send(pc.LocalAddr().String(), []string{"one", "two words", "three"}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^127\.0\.0\.1:\d+: one\n127\.0\.0\.1:\d+: two words\n127\.0\.0\.1:\d+: three\n$`)
	if !want.MatchString(out.String()) {
		t.Fatalf("got %q", out.String())
	}
}
