//go:build unix

package record

import (
	"os"
	"syscall"
)

// linked reports whether a name still reaches the open file of fi.
func linked(fi os.FileInfo) bool {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Nlink > 0
	}
	return true
}
