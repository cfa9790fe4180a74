package relay

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

func TestFilter(t *testing.T) {
	f, err := ParseFilter([]string{"10.0.0.0/8,192.168.1.7", "::1"}, []string{"10.9.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"10.1.2.3": true, "10.9.1.1": false, "192.168.1.7": true, "192.168.1.8": false,
		"::1": true, "::ffff:10.1.2.3": true, "127.0.0.1": false,
	} {
		if got := f.Allowed(&net.TCPAddr{IP: net.ParseIP(addr)}); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
	if !f.Allowed(&net.UnixAddr{Name: "@", Net: "unix"}) {
		t.Error("unix peers must be allowed")
	}
	if _, err := ParseFilter([]string{"10.0.0.0/33"}, nil); err == nil || !strings.Contains(err.Error(), `bad CIDR "10.0.0.0/33"`) {
		t.Errorf("bad CIDR error = %v", err)
	}
}

func TestCutDatagrams(t *testing.T) {
	long := strings.Repeat("x", MaxDatagram+10)
	for _, tc := range []struct {
		in   string
		eof  bool
		want []string
	}{
		{"a\nbb\nccc", false, []string{"a\n", "bb\n"}},
		{"a\nbb\nccc", true, []string{"a\n", "bb\n", "ccc"}},
		{long, false, []string{long[:MaxDatagram]}},
		{"", true, nil},
	} {
		var got []string
		for _, d := range cutDatagrams(nil, []byte(tc.in), tc.eof) {
			got = append(got, string(d))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("cutDatagrams(%.20q, %v) = %d datagrams, want %d", tc.in, tc.eof, len(got), len(tc.want))
		}
	}
}

func TestCRLFReader(t *testing.T) {
	// One byte per read splits "\r\n" across reads.
	r := &crlfReader{r: iotest.OneByteReader(strings.NewReader("a\nb\r\n\nc"))}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "a\r\nb\r\n\r\nc" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestHexDump(t *testing.T) {
	var buf bytes.Buffer
	h := &hexDumper{w: &buf, mu: &sync.Mutex{}, dir: '>'}
	h.dump([]byte("hello, world\n\x00\x01\x02\x03"))
	h.dump([]byte("!"))
	want := "> 00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 0a 00 01 02  |hello, world....|\n" +
		"> 00000010  03                                                |.|\n" +
		"> 00000011  21                                                |!|\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestFanoutSlowConsumer cuts off a member that never reads while one that
// reads gets everything.
func TestFanoutSlowConsumer(t *testing.T) {
	var logs syncBuf
	f := &Fanout{Logger: slog.New(slog.NewTextHandler(&logs, nil)), QueueLen: 4}
	slowSrv, _ := tcpPair(t) // the client end never reads
	fastSrv, fastCli := tcpPair(t)
	slow := f.Join(slowSrv)
	fast := f.Join(fastSrv)
	chunk := bytes.Repeat([]byte("z"), 64<<10)
	const n = 200
	read := make(chan error, n) // one per chunk the reading member got
	go func() {
		buf := make([]byte, len(chunk))
		for range n {
			_, err := io.ReadFull(fastCli, buf)
			read <- err
		}
	}()
	for i := range n {
		f.Send(chunk, nil)
		if i >= 2 { // keep the reader at most two chunks behind, within its queue
			if err := <-read; err != nil {
				t.Fatalf("reading member: %v after %d chunks", err, i-2)
			}
		}
	}
	for range 2 {
		if err := <-read; err != nil {
			t.Fatalf("reading member: %v", err)
		}
	}
	if f.Len() != 1 || !strings.Contains(logs.String(), "slow consumer") {
		t.Fatalf("slow member not cut off: %d members, log %q", f.Len(), logs.String())
	}
	f.Leave(slow)
	f.Leave(fast)
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestPipeIdle ends a silent relay with ErrIdle.
func TestPipeIdle(t *testing.T) {
	a, _ := tcpPair(t)
	in, inW := io.Pipe()
	defer inW.Close()
	err := Pipe(context.Background(), a, in, io.Discard, Options{IdleTimeout: 100 * time.Millisecond})
	if err != ErrIdle {
		t.Fatalf("err = %v, want ErrIdle", err)
	}
}
