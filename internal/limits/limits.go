package limits

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Sizes of the inputs certform reads. Each is far above what a real input
// needs (a configuration of 10,000 certificates is about 3 MiB, its state
// about 15 MiB) and far below what would hurt the machine.
const (
	// ConfigFile bounds one configuration, variable, policy or cfssl file,
	// and a file read by the file() function or a ca_bundle source.
	ConfigFile = 16 << 20
	// StateFile bounds a state (file, journal, or decompressed Secret) and
	// a saved plan.
	StateFile = 256 << 20
	// SmallFile bounds PEM keys and certificates given on the command line
	// and certform's own small records (lock holder, backend record).
	SmallFile = 1 << 20
	// FileIndex bounds the data directory's file index
	// (internal/fileindex): about 150 bytes an entry, so 20,000 output
	// files take 3 MiB and the bound leaves room for a few hundred
	// thousand.
	FileIndex = 64 << 20
)

// Bounds on module calls: how deeply modules may call modules, and how many
// module instances one configuration may expand to (for_each on nested
// module calls multiplies). Real configurations use two or three levels
// and a few hundred instances; the bounds stop a module that calls itself
// through a path the cycle check cannot see (a symbolic link loop) and a
// for_each that multiplies without end.
const (
	ModuleDepth     = 16
	ModuleInstances = 10000
)

// ErrTooLarge is wrapped by the errors of ReadFile and ReadAll when the
// input exceeds its limit.
var ErrTooLarge = errors.New("too large")

// ReadFile reads the file at path, refusing one larger than limit bytes,
// and refusing devices, sockets and directories before reading a byte: a
// regular file or a pipe (as from the shell's <(...)) is what a user means
// by a file. Errors name the path.
func ReadFile(path string, limit int64) ([]byte, error) {
	return readFile(path, limit, false)
}

// ReadOwnFile is ReadFile for a file certform writes itself (state, its
// journal, the lock's details, the file index): anything but a regular
// file is refused, a named pipe included, and without waiting for a
// writer, which opening a pipe would (a FIFO planted at such a path must
// not hang a run).
func ReadOwnFile(path string, limit int64) ([]byte, error) {
	return readFile(path, limit, true)
}

func readFile(path string, limit int64, regularOnly bool) ([]byte, error) {
	flag := os.O_RDONLY
	if regularOnly {
		flag |= syscall.O_NONBLOCK // opening a FIFO returns at once; reads of a regular file ignore it
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if regularOnly && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (mode %s)", path, st.Mode())
	}
	if err := Readable(path, st.Mode()); err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() && st.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the limit of %s: %w", path, st.Size(), human(limit), ErrTooLarge)
	}
	var data []byte
	if st.Mode().IsRegular() && st.Size() > 0 {
		// One buffer of the size the file has (plus the byte that finds
		// out it grew), not io.ReadAll's doublings: a state file of
		// 10,000 certificates is megabytes.
		data, err = readSized(f, st.Size(), limit)
	} else {
		data, err = ReadAll(f, limit)
	}
	if errors.Is(err, ErrTooLarge) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// Readable refuses modes that are not a file's content: directories,
// devices (/dev/zero, /dev/random, a terminal), sockets.
func Readable(path string, mode fs.FileMode) error {
	switch {
	case mode.IsRegular(), mode&fs.ModeNamedPipe != 0:
		return nil
	case mode.IsDir():
		return fmt.Errorf("%s is a directory, not a file", path)
	case mode&fs.ModeDevice != 0, mode&fs.ModeCharDevice != 0:
		return fmt.Errorf("%s is a device, not a file", path)
	case mode&fs.ModeSocket != 0:
		return fmt.Errorf("%s is a socket, not a file", path)
	}
	return fmt.Errorf("%s is not a regular file (mode %s)", path, mode)
}

// ReadAll reads r to its end, refusing more than limit bytes.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than the limit of %s: %w", human(limit), ErrTooLarge)
	}
	return data, nil
}

// readSized is ReadAll for a file of about size bytes.
func readSized(r io.Reader, size, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(size, limit)+1)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("more than the limit of %s: %w", human(limit), ErrTooLarge)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // it grew since the stat: room for more
		}
	}
}

func human(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
