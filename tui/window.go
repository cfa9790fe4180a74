package tui

import (
	"slices"
	"strings"
	"time"
)

// lineKind is what a line in a window shows.
type lineKind int

const (
	lineMessage lineKind = iota // <from> text
	lineAction                  // * from text
	lineSystem                  // a join, leave, rename, notice or local note
	lineError                   // an error from the hub or the client
)

// sendState is how far one of our own messages has got.
type sendState int

const (
	stateNone   sendState = iota // not ours, or confirmed
	stateHeld                    // typed while disconnected: not sent yet
	stateSent                    // written; awaiting the hub's ack
	stateFailed                  // refused or undeliverable
)

// line is one line of a window.
type line struct {
	kind    lineKind
	time    time.Time
	seq     uint64 // room sequence; 0 for local lines and private messages
	from    string
	text    string
	own     bool
	state   sendState
	mention bool
	echoed  bool   // a private message of ours came back from the hub
	note    string // why it was not sent

	// rows caches the rendered rows for one width and style set.
	rows     []string
	widths   []int // of each row, in cells
	rowWidth int
	rowGen   int
}

// window is a tab: a room, a private conversation, or the hub's own tab.
type window struct {
	name    string
	private bool
	server  bool

	lines []*line
	seen  map[uint64]struct{} // room sequences shown
	ids   map[string]struct{} // private event IDs shown

	members []string
	total   int

	unread    int
	mentioned bool
	scroll    int // lines hidden below the bottom of the pane

	watermark uint64 // every event up to it has been seen: the resume point
	maxSeq    uint64
	minSeq    uint64 // the oldest sequence shown
	more      bool   // the hub holds events older than minSeq
	loading   bool   // a "history before" is under way
	resuming  bool   // a resume join is under way
}

func newWindow(name string) *window {
	return &window{name: name, seen: map[uint64]struct{}{}, ids: map[string]struct{}{}}
}

// add appends a local line.
func (w *window) add(l *line) {
	w.lines = append(w.lines, l)
	if w.scroll > 0 {
		w.scroll++ // keep the reader's place
	}
}

// insert places a room event's line in sequence order, unless that
// sequence is already shown. Our own unconfirmed lines stay at the bottom
// until their ack gives them a place. It reports whether it was added.
func (w *window) insert(l *line) bool {
	if _, dup := w.seen[l.seq]; dup {
		return false
	}
	w.seen[l.seq] = struct{}{}
	w.maxSeq = max(w.maxSeq, l.seq)
	if w.minSeq == 0 || l.seq < w.minSeq {
		w.minSeq = l.seq
	}
	i := len(w.lines)
	for i > 0 {
		p := w.lines[i-1]
		if p.seq > l.seq || (p.seq == 0 && p.own && p.state != stateNone) {
			i--
			continue
		}
		break
	}
	w.lines = slices.Insert(w.lines, i, l)
	if w.scroll > 0 && i >= len(w.lines)-1-w.scroll {
		w.scroll++
	}
	return true
}

// prepend puts older events (oldest first) above everything shown.
func (w *window) prepend(ls []*line) {
	var fresh []*line
	for _, l := range ls {
		if _, dup := w.seen[l.seq]; dup {
			continue
		}
		w.seen[l.seq] = struct{}{}
		if w.minSeq == 0 || l.seq < w.minSeq {
			w.minSeq = l.seq
		}
		w.maxSeq = max(w.maxSeq, l.seq)
		fresh = append(fresh, l)
	}
	w.lines = slices.Insert(w.lines, 0, fresh...)
}

// place moves one of our lines, now confirmed with seq, into order.
func (w *window) place(l *line, seq uint64) {
	w.removeLine(l)
	l.seq = seq
	w.insert(l) // no-op when a resumed history showed it already
}

// ownUnconfirmed finds our oldest line sent on a lost connection whose
// text matches: the hub stored it if a resumed history holds it.
func (w *window) ownUnconfirmed(text string) *line {
	for _, l := range w.lines {
		if l.own && l.state == stateSent && l.seq == 0 && l.text == text {
			return l
		}
	}
	return nil
}

// removeLine drops a line.
func (w *window) removeLine(l *line) {
	if i := slices.Index(w.lines, l); i >= 0 {
		w.lines = slices.Delete(w.lines, i, i+1)
	}
}

// setMembers replaces the member list.
func (w *window) setMembers(names []string, total int) {
	w.members = slices.Clone(names)
	slices.SortFunc(w.members, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	w.total = max(total, len(w.members))
}

// memberJoined, memberLeft and memberRenamed keep the list current between
// members events.
func (w *window) memberJoined(n string) {
	if !slices.Contains(w.members, n) {
		w.setMembers(append(w.members, n), w.total+1)
	}
}

func (w *window) memberLeft(n string) {
	if i := slices.Index(w.members, n); i >= 0 {
		w.members = slices.Delete(w.members, i, i+1)
		w.total = max(w.total-1, len(w.members))
	}
}

func (w *window) memberRenamed(from, to string) {
	if i := slices.Index(w.members, from); i >= 0 {
		w.members[i] = to
		w.setMembers(w.members, w.total)
	}
}
