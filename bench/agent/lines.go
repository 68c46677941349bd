package agent

import (
	"bufio"
	"os"
	"strconv"
)

// AppendLine appends line n of a workload to dst: "seq=<n> " padded with
// letters (which vary with n) until what dst holds is size bytes long. It
// adds no newline. A dst already size bytes long or more gets "seq=<n>"
// and nothing else.
func AppendLine(dst []byte, n, size int) []byte {
	const pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	dst = append(dst, "seq="...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	if len(dst) >= size {
		return dst
	}
	dst = append(dst, ' ')
	for i := 0; len(dst) < size; i++ {
		dst = append(dst, pad[(n+i)%len(pad)])
	}
	return dst
}

// WriteLines writes f to path: each line AppendLine's, f.Size-1 bytes,
// then a newline.
func WriteLines(path string, f File) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	line := make([]byte, 0, f.Size)
	for n := range f.Lines {
		line = append(AppendLine(line[:0], n, f.Size-1)[:f.Size-1], '\n')
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
