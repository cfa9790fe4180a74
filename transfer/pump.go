package transfer

import "hash"

// Data path tuning. Each side overlaps its three stages: the sender reads
// the next chunk of the file while the previous one is hashed and, at the
// same time, written to the socket; the receiver reads the socket while
// the previous chunk is hashed and written to the file.
const (
	chunkSize = 1 << 20
	numChunks = 8
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
		free <- alignedBuffer(chunkSize)
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

// alongside hashes b on another goroutine while io runs, and returns io's
// error once both are done. Chunks are hashed in order because the
// caller waits before passing the next one.
func alongside(h hash.Hash, b []byte, io func() error) error {
	done := make(chan struct{})
	go func() {
		h.Write(b)
		close(done)
	}()
	err := io()
	<-done
	return err
}
