package limits

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	fifo := filepath.Join(dir, "fifo")
	os.WriteFile(small, []byte("abc"), 0o600)
	os.WriteFile(big, make([]byte, 11), 0o600)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		// A pipe has no size: the limit applies to what is read.
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write(make([]byte, 20))
			f.Close()
		}
	}()
	tests := map[string]struct {
		path    string
		want    string
		wantErr string
	}{
		"regular":        {path: small, want: "abc"},
		"over the limit": {path: big, wantErr: "more than the limit of 10 bytes"},
		"device":         {path: "/dev/zero", wantErr: "/dev/zero is a device, not a file"},
		"directory":      {path: dir, wantErr: "is a directory"},
		"pipe too long":  {path: fifo, wantErr: "more than the limit of 10 bytes"},
		"missing":        {path: filepath.Join(dir, "nope"), wantErr: "no such file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) { checkRead(t, ReadFile, tc.path, tc.want, tc.wantErr) })
	}
}

func TestReadAllLimit(t *testing.T) {
	if _, err := ReadAll(strings.NewReader("12345"), 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("5 bytes at limit 4: err = %v, want ErrTooLarge", err)
	}
	if data, err := ReadAll(strings.NewReader("1234"), 4); err != nil || string(data) != "1234" {
		t.Errorf("4 bytes at limit 4: %q, %v", data, err)
	}
}

// TestReadSized reads through readSized with size hints that are right,
// too small (the file grew after its stat) and too large (it shrank).
func TestReadSized(t *testing.T) {
	data := strings.Repeat("0123456789", 1000)
	cases := map[string]struct {
		size, limit int64
		wantErr     error
	}{
		"exact size":              {size: 10000, limit: 20000},
		"grew since the stat":     {size: 10, limit: 20000},
		"shrank since the stat":   {size: 15000, limit: 20000},
		"exactly the limit":       {size: 10000, limit: 10000},
		"grew beyond the limit":   {size: 10, limit: 9999, wantErr: ErrTooLarge},
		"one byte over the limit": {size: 9999, limit: 9999, wantErr: ErrTooLarge},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := readSized(iotest.HalfReader(strings.NewReader(data)), tc.size, tc.limit)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && string(got) != data {
				t.Errorf("read %d bytes, want the %d written", len(got), len(data))
			}
		})
	}
}

// TestReadOwnFile: certform's own files are read only when regular; a
// named pipe planted there is refused at once, with no writer to wait for
// (ReadFile would block in the open until one came).
func TestReadOwnFile(t *testing.T) {
	dir := t.TempDir()
	small, fifo := filepath.Join(dir, "state"), filepath.Join(dir, "fifo")
	os.WriteFile(small, []byte("abc"), 0o600)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		path, want, wantErr string
	}{
		"regular":    {path: small, want: "abc"},
		"named pipe": {path: fifo, wantErr: "is not a regular file"},
		"device":     {path: "/dev/zero", wantErr: "is not a regular file"},
		"directory":  {path: dir, wantErr: "is not a regular file"},
		"missing":    {path: filepath.Join(dir, "nope"), wantErr: "no such file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) { checkRead(t, ReadOwnFile, tc.path, tc.want, tc.wantErr) })
	}
}

// checkRead fails t unless read(path) with a limit of 10 bytes gives want,
// or an error holding wantErr when that is set.
func checkRead(t *testing.T, read func(string, int64) ([]byte, error), path, want, wantErr string) {
	t.Helper()
	data, err := read(path, 10)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil || string(data) != want {
		t.Fatalf("got %q, %v; want %q", data, err, want)
	}
}
