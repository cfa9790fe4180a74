//go:build !race

package transfer

// largeSize is the size of the sparse file in TestLargeSparseFile.
const largeSize = 2 << 30
