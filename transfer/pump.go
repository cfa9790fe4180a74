package transfer

// Data path tuning. Each side overlaps its two halves: the sender reads
// and hashes the file while the previous chunk goes to the socket; the
// receiver reads the socket while the previous chunk is hashed and written.
const (
	chunkSize = 256 << 10
	numChunks = 4
)

// pump moves n bytes from fill to drain through a small ring of buffers.
// fill runs on its own goroutine and must fill the slice it is given
// completely unless it fails; bytes it delivered before failing are still
// drained. pump returns the number of bytes drained and the first error.
func pump(n int64, fill func([]byte) (int, error), drain func([]byte) error) (int64, error) {
	free := make(chan []byte, numChunks)
	full := make(chan []byte, numChunks)
	stop := make(chan struct{})
	for range numChunks {
		free <- make([]byte, chunkSize)
	}
	var fillErr error
	go func() {
		defer close(full)
		for left := n; left > 0; {
			var b []byte
			select {
			case b = <-free:
			case <-stop:
				return
			}
			k, err := fill(b[:min(left, int64(len(b)))])
			if k > 0 {
				full <- b[:k]
				left -= int64(k)
			}
			if err != nil {
				fillErr = err
				return
			}
		}
	}()
	var done int64
	var drainErr error
	for b := range full {
		if drainErr == nil {
			if drainErr = drain(b); drainErr != nil {
				close(stop)
			} else {
				done += int64(len(b))
			}
		}
		free <- b[:cap(b)]
	}
	if drainErr != nil {
		return done, drainErr
	}
	return done, fillErr
}
