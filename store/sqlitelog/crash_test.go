package sqlitelog

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/store/storetest"
)

// crashDirEnv makes the test binary a writer that TestCrashKeepsAcked kills.
const crashDirEnv = "SQLITELOG_CRASH_DIR"

// TestMain runs the crash writer when the test binary is started as one.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashWriter(dir)
		return
	}
	os.Exit(m.Run())
}

// crashWriter appends to 16 rooms from 16 goroutines until killed, printing
// "room seq" for each acknowledged event.
func crashWriter(dir string) {
	l, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for r := range 16 {
		room := fmt.Sprintf("room%d", r)
		wg.Go(func() {
			for seq := uint64(1); ; seq++ {
				ch := make(chan error, 1)
				l.Append([]hub.Event{storetest.Msg(room, seq)}, func(err error) { ch <- err })
				if err := <-ch; err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				out.Lock()
				fmt.Fprintf(os.Stdout, "%s %d\n", room, seq)
				out.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestCrashKeepsAcked kills a writing process with SIGKILL and checks that
// every event it saw acknowledged is stored, each room's events in order
// with no gap and no duplicate, and that numbering continues.
func TestCrashKeepsAcked(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]uint64{}
	sc := bufio.NewScanner(stdout)
	for n := 0; n < 3000 && sc.Scan(); n++ {
		var room string
		var seq uint64
		if _, err := fmt.Sscanf(sc.Text(), "%s %d", &room, &seq); err != nil {
			t.Fatalf("writer said %q", sc.Text())
		}
		acked[room] = max(acked[room], seq)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() { // acks printed before the kill landed count too
		var room string
		var seq uint64
		fmt.Sscanf(sc.Text(), "%s %d", &room, &seq)
		acked[room] = max(acked[room], seq)
	}
	cmd.Wait()
	if len(acked) != 16 {
		t.Fatalf("acks from %d rooms, want 16", len(acked))
	}

	l := openTest(t, dir, Options{})
	for room, top := range acked {
		got := seqs(t, l, room)
		if uint64(len(got)) < top {
			t.Fatalf("%s: %d events stored, but %d were acknowledged", room, len(got), top)
		}
		for i, seq := range got {
			if seq != uint64(i+1) {
				t.Fatalf("%s: event %d has seq %d: a gap or a duplicate", room, i, seq)
			}
		}
		last, err := l.Last(room)
		if err != nil || last != uint64(len(got)) {
			t.Fatalf("%s: Last = %d, %v; want %d", room, last, err, len(got))
		}
	}
	if problems, err := Check(t.Context(), dir); err != nil || len(problems) > 0 {
		t.Fatalf("integrity after the crash: %v, %v", problems, err)
	}
}
