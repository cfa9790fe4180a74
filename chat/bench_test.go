package chat_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/server"
)

// BenchmarkLoopbackFanOut measures one sender to 1,000 members over
// loopback TCP: each op is one line from the sender, and the op is done
// when all 1,000 clients have read it. Flood control is off.
func BenchmarkLoopbackFanOut(b *testing.B) {
	const members = 1000
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	log := quietLogger()
	h := hub.New(hub.Config{Logger: log, OutboxBytes: 64 << 20})
	srv := server.New(chat.NewServer(h, chat.Config{Logger: log}), server.Config{Logger: log})
	go srv.Serve(ln)
	defer srv.Close()

	conns := make([]net.Conn, members)
	for i := range conns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
		skipLines(b, c, 3) // the greeting
	}
	sender, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	skipLines(b, sender, 3)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { countMessages(c, b.N) })
	}
	go func() {
		bw := bufio.NewWriterSize(sender, 64<<10)
		for range b.N {
			bw.WriteString("the quick brown fox jumps over the lazy dog\n")
		}
		bw.Flush()
	}()
	wg.Wait()
	b.StopTimer()
	runtime.ReadMemStats(&after)
	deliveries := float64(b.N) * members
	b.ReportMetric(deliveries/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/deliveries, "allocs/delivery")
}

// countMessages reads until n chat lines ("<name> text") have arrived,
// ignoring notices.
func countMessages(c net.Conn, n int) {
	buf := make([]byte, 64<<10)
	atStart, isMsg := true, false
	for seen := 0; seen < n; {
		k, err := c.Read(buf)
		if err != nil {
			return
		}
		for b := buf[:k]; len(b) > 0; {
			if atStart {
				isMsg, atStart = b[0] == '<', false
			}
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				break
			}
			if isMsg {
				seen++
			}
			atStart, b = true, b[i+1:]
		}
	}
}

// skipLines reads exactly n lines, a byte at a time so nothing after them
// is consumed.
func skipLines(b *testing.B, c net.Conn, n int) {
	one := make([]byte, 1)
	for n > 0 {
		if _, err := io.ReadFull(c, one); err != nil {
			b.Fatal(err)
		}
		if one[0] == '\n' {
			n--
		}
	}
}
