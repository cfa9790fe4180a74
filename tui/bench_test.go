package tui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// scrollback returns a model showing a room with n messages, a few long
// enough to wrap, from a dozen names.
func scrollback(b *testing.B, n int) *harness {
	h := newHarness(&testing.T{}, Config{})
	h.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	h.connect("alice", "lobby")
	h.ev(Event{Type: "members", Room: "lobby", Members: []string{"alice", "bob", "carol"}, Total: 3})
	for i := 1; i <= n; i++ {
		text := fmt.Sprintf("message number %d", i)
		if i%7 == 0 {
			text += " that goes on and on, long enough to wrap over more than one row of the pane when it is shown"
		}
		h.ev(msgEv("lobby", uint64(i), fmt.Sprintf("user%d", i%12), text))
	}
	return h
}

// BenchmarkView10k renders one frame of a room with 10,000 messages in
// its scrollback.
func BenchmarkView10k(b *testing.B) {
	h := scrollback(b, 10000)
	h.m.View()
	b.ReportAllocs()
	for b.Loop() {
		h.m.View()
	}
}

// BenchmarkViewResize10k renders a frame after each resize, when no
// wrapped row can be reused.
func BenchmarkViewResize10k(b *testing.B) {
	h := scrollback(b, 10000)
	widths := []int{120, 100}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		h.m.Update(tea.WindowSizeMsg{Width: widths[i%2], Height: 40})
		h.m.View()
	}
}

// BenchmarkAppendView10k receives one message into a room with 10,000 in
// its scrollback and renders the frame.
func BenchmarkAppendView10k(b *testing.B) {
	h := scrollback(b, 10000)
	seq := uint64(10000)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		h.m.Update(EventMsg{Gen: h.gen, Events: []Event{msgEv("lobby", seq, "bob", "one more line")}})
		h.m.View()
	}
}

// BenchmarkKeystrokeEcho is the time from a key pressed to its echo on the
// screen, in the real program (rendering at most 120 frames a second),
// while the room receives 1,000 lines a second over a loopback connection,
// and in a quiet room for comparison.
func BenchmarkKeystrokeEcho(b *testing.B) {
	for _, rate := range []int{0, 1000} {
		b.Run(fmt.Sprintf("lines=%d/s", rate), func(b *testing.B) { keystrokeEcho(b, rate) })
	}
}

func keystrokeEcho(b *testing.B, rate int) {
	addr, stop := floodHub(b, rate)
	defer stop()
	inR, inW := io.Pipe()
	out := &echoWatch{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	dial := func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	go func() {
		done <- Run(ctx, dial, Config{Addr: addr, Nick: "alice"},
			tea.WithInput(inR), tea.WithOutput(out), tea.WithWindowSize(100, 30))
	}()
	defer func() { cancel(); inW.Close(); <-done }()
	out.waitFor(b, "online") // the hello is answered and the flood on

	var lat []time.Duration
	keys := "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := keys[i%len(keys) : i%len(keys)+1]
		mark := out.mark()
		t0 := time.Now()
		inW.Write([]byte(k))
		out.waitSince(b, mark, k)
		lat = append(lat, time.Since(t0))
		inW.Write([]byte{0x7f}) // backspace: the line is empty again
		out.waitSince(b, out.mark(), "\x1b")
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// floodHub is a stand-in hub that answers the hello and then sends rate
// messages a second to the lobby, reading and dropping commands.
func floodHub(b testing.TB, rate int) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				r := bufio.NewReader(c)
				if _, err := r.ReadBytes('\n'); err != nil {
					return
				}
				gone := make(chan struct{})
				go func() { io.Copy(io.Discard, r); close(gone) }()
				fmt.Fprintf(c, `{"type":"hello","version":1,"name":"alice","rooms":["lobby"],"time":"2026-11-28T17:00:00Z"}`+"\n")
				if rate == 0 {
					<-gone
					return
				}
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				seq := 0
				for {
					select {
					case <-tick.C:
					case <-gone:
						return
					}
					var batch []byte
					for range rate / 100 {
						seq++
						batch = fmt.Appendf(batch, `{"type":"message","room":"lobby","seq":%d,"id":"f-%d","from":"bob","text":"line %d","time":"2026-11-28T17:00:00Z"}`+"\n", seq, seq, seq)
					}
					if _, err := c.Write(batch); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close(); wg.Wait() }
}
