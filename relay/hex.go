package relay

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// hexDumper writes traffic in one direction as hex dump lines: a direction
// mark, the stream offset, sixteen bytes in hex and as printable text.
// Dumpers sharing mu never interleave their lines.
type hexDumper struct {
	w   io.Writer
	mu  *sync.Mutex
	dir byte
	off int64
}

// dump writes p, continuing the offset of earlier chunks.
func (h *hexDumper) dump(p []byte) {
	var sb strings.Builder
	for len(p) > 0 {
		n := min(16, len(p))
		line := p[:n]
		fmt.Fprintf(&sb, "%c %08x  ", h.dir, h.off)
		for i := range 16 {
			if i < n {
				fmt.Fprintf(&sb, "%02x ", line[i])
			} else {
				sb.WriteString("   ")
			}
			if i == 7 {
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(" |")
		for _, b := range line {
			if b < 32 || b > 126 {
				b = '.'
			}
			sb.WriteByte(b)
		}
		sb.WriteString("|\n")
		h.off += int64(n)
		p = p[n:]
	}
	h.mu.Lock()
	io.WriteString(h.w, sb.String())
	h.mu.Unlock()
}
