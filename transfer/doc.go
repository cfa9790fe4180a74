// Package transfer sends files and directory trees between two hubcat
// processes, authenticated, verified and resumable.
//
// Either side may be the one that listens; the roles "send" and "recv" are
// independent of who dialled. [Send] and [Receive] run one session over an
// established connection.
//
// # Wire protocol, version 2
//
// The connection starts with the handshake of package internal/frame
// (proto "hubcat-transfer", roles "send" and "recv"): hellos in the clear,
// then a Noise NNpsk0 exchange keyed by the Argon2id-stretched token, so
// that each side proves the token without sending it and a dialer refuses
// a listener that cannot. Everything after it, frames and file bytes
// alike, is encrypted and authenticated by that package's records: an
// on-path relay can neither read nor change nor swap anything. Inside that
// stream, frames are those of internal/frame (type byte, 32-bit big-endian
// length, payload; at most 64 KiB here) and control payloads are JSON.
// File contents travel unframed right after the frame that announces
// their length. A version 1 peer gets a version error from either side.
//
//  1. Handshake, as above. A listener ([Once]) admits a few handshakes at
//     a time per network and in all, gives each a few seconds, and slows
//     down networks that fail to prove the token ([frame.Gate]).
//  2. Plan: the sender sends 'T' {"files","dirs","bytes"} so both sides
//     can show progress.
//  3. For each entry, in walk order (a directory before its contents), the
//     sender sends 'F' {"path","kind","size","mode","mtime"}: path is
//     slash-separated and relative, kind is "dir" or "file", mode holds the
//     permission bits, mtime is Unix nanoseconds. For a directory the
//     receiver creates it and answers 'K' {}. For a file the receiver
//     answers 'R' {"offset","sha256"}: how many bytes of a kept partial file
//     it already holds and the SHA-256 of that prefix (offset 0 when it has
//     none). The sender hashes its own first offset bytes and sends 'G'
//     {"offset"}: the same offset when they match, else 0. Then exactly
//     size-offset raw bytes follow, then 'S' with the 32-byte SHA-256 of the
//     whole file. The receiver checks the digest, moves the file into place
//     with its mode and mtime and answers 'K' {}. While the raw bytes flow
//     the receiver sends nothing unless it must stop (an error frame, for
//     example on a full disk), and the sender watches for that.
//  4. The sender sends 'D' {}; the receiver applies directory modes and
//     times and answers 'D' {}.
//
// Either side may send an error frame ('!', a UTF-8 message) instead of its
// next frame; the session then ends. A receiver refuses, before writing
// anything, a path that is absolute, contains "..", is not in clean form,
// names the partial directory, or leads through a symlink out of the
// destination (the destination is opened as an [os.Root]). Unless Force
// is set it also refuses any entry that exists already, a directory as
// much as a file, and anything that would go into a directory this
// session did not create: nothing that was there before is changed.
//
// # Partial files
//
// The receiver writes into DIR/.hubcat-partial/<id> with a JSON sidecar
// <id>.meta (path, size, mode, mtime), where id is derived from the path.
// The partial is kept when the connection drops or the disk fills, and a
// rerun with the same file resumes after re-checking the prefix. A digest
// mismatch deletes it. A verified file is synced to disk before it is
// renamed into place.
//
// # Data path
//
// Each side moves data in 1 MiB chunks through a ring of eight buffers,
// overlapping file I/O, hashing and socket I/O. Files of 16 MiB and more
// are read, and every received file is written, with O_DIRECT where the
// file system allows it and the block is aligned: filling the page cache
// with a file read or written once costs more CPU than the rest of the
// transfer (bench/RESULTS.md has the figures).
package transfer
