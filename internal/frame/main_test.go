package frame

import (
	"encoding/hex"
	"os"
	"testing"
)

// TestMain makes Argon2id cheap for this package's many handshakes; the
// real cost is checked once by TestStretchRealCost and used by the tests
// of transfer, rexec and cmd/hubcat.
func TestMain(m *testing.M) {
	argonMemoryKB = 64
	os.Exit(m.Run())
}

func TestStretchRealCost(t *testing.T) {
	old := argonMemoryKB
	argonMemoryKB = 19 << 10
	defer func() { argonMemoryKB = old }()
	got := hex.EncodeToString(stretch("s3cret", []byte("0123456789abcdef")))
	// Argon2id(t=2, m=19 MiB, p=1) of "s3cret" with salt
	// "hubcat psk v2 0123456789abcdef", computed with the x/crypto reference.
	const want = "2b492112f64c97286d556575531843683881531c2f2888193f6a1a7068f7e70c"
	if got != want {
		t.Fatalf("stretch = %s, want %s", got, want)
	}
	if z := stretch("", nil); len(z) != 32 || string(z) != string(make([]byte, 32)) {
		t.Fatalf("no token: key %x, want 32 zero bytes", z)
	}
}
