package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hubcat/hubcat/internal/sockwrite"
)

// A frame the socket takes only in part is finished before anything else
// is written, even a control frame written meanwhile, and what tryFrames
// reports always ends at a frame boundary: the peer reads whole frames, in
// order, whatever the socket took at each try.
func TestFrameWriterNeverSplitsFrames(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	peer.(*net.TCPConn).SetReadBuffer(16 << 10)
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetWriteBuffer(16 << 10)
	w := &frameWriter{conn: conn, try: sockwrite.TryWriter(conn)}

	// Frames of three header sizes, as the hub's outbox would batch them.
	var lines []byte
	const count = 90
	for i := range count {
		lines = fmt.Appendf(lines, "%05d %s\n", i, make([]byte, []int{10, 300, 70000}[i%3]))
	}
	frames := appendFrames(nil, lines)
	ping := []byte{0x89, 0}

	done := make(chan error, 1)
	go func() {
		// The outbox's way: inline while the socket takes it, then the
		// blocking writer for the rest, with a control frame between.
		rest := frames
		partial := false
		for len(rest) > 0 && !partial {
			chunk := rest[:frameEnd(rest, min(len(rest), 100000))] // whole frames
			n, err := w.tryFrames(segments(chunk))
			if err != nil {
				done <- err
				return
			}
			if end := frameEnd(rest, n); end != n {
				done <- fmt.Errorf("tryFrames reported %d bytes, not a frame boundary (%d)", n, end)
				return
			}
			partial = n < len(chunk)
			rest = rest[n:]
		}
		if !partial {
			done <- fmt.Errorf("the socket never filled up")
			return
		}
		if _, err := w.Write(ping); err != nil {
			done <- err
			return
		}
		done <- w.writeFrames(rest)
	}()

	peer.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(peer)
	next := 0
	sawPing := false
	for next < count {
		hdr := make([]byte, 2)
		if _, err := io.ReadFull(br, hdr); err != nil {
			t.Fatalf("after %d frames: %v", next, err)
		}
		if hdr[0] == 0x89 {
			sawPing = true
			continue
		}
		if hdr[0] != 0x81 {
			t.Fatalf("frame %d: header byte %#x", next, hdr[0])
		}
		ext := map[byte]int{126: 2, 127: 8}[hdr[1]]
		head := append(hdr, make([]byte, ext)...)
		io.ReadFull(br, head[2:])
		payload := make([]byte, frameLen(head)-len(head))
		if _, err := io.ReadFull(br, payload); err != nil {
			t.Fatalf("frame %d: %v", next, err)
		}
		if want := fmt.Sprintf("%05d ", next); string(payload[:6]) != want {
			t.Fatalf("frame %d starts %q", next, payload[:6])
		}
		next++
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !sawPing {
		t.Fatal("the ping never arrived")
	}
}

// segments cuts whole frames into buffers of one, two, one… frames, as
// an outbox holds renderings of several bursts.
func segments(frames []byte) [][]byte {
	var segs [][]byte
	for len(frames) > 0 {
		n := frameLen(frames)
		if len(segs)%2 == 1 && n < len(frames) {
			n += frameLen(frames[n:])
		}
		segs = append(segs, frames[:n])
		frames = frames[n:]
	}
	return segs
}
