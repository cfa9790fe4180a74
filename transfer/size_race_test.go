//go:build race

package transfer

// largeSize is smaller under the race detector, which ./scripts/test uses:
// the receiver writes to the test's temporary directory on disk, and the
// full 2 GiB would take most of the suite's time budget on a shared
// machine. The code path is the same.
const largeSize = 512 << 20
