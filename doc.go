// Package hubcat is the root of the hubcat module: a chat hub anyone can
// join with nc, netcat modes, file transfer and remote exec, built on one
// small server library. The root holds no code; see README.md for the
// commands and docs/ARCHITECTURE.md for the package map.
package hubcat
