//go:build race

package transfer

// largeSize is smaller under the race detector, which slows the copy loop
// several times over; the path exercised is the same.
const largeSize = 1 << 30
