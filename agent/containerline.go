package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// containerRecord is one line of a container log file, decoded.
type containerRecord struct {
	text    []byte // the message part, without the newline Docker keeps; good until the next line is decoded
	stream  string // stdout or stderr (another value is kept as written)
	time    time.Time
	partial bool // more parts of the same message follow

	buf, scratch []byte // reused by decodeDockerFast
}

// Formats of container log files.
const (
	formatAuto   = "auto"
	formatDocker = "docker"
	formatCRI    = "cri"
)

// parseContainerLine decodes line in format; auto takes a line starting
// with '{' for Docker's json-file format and any other for CRI, line by
// line (as Filebeat does).
func parseContainerLine(format string, line []byte, r *containerRecord) error {
	if format == formatDocker || format == formatAuto && len(line) > 0 && line[0] == '{' {
		return parseDockerLine(line, r)
	}
	return parseCRILine(line, r)
}

// dockerLine is a line of Docker's json-file log driver.
type dockerLine struct {
	Log    *string   `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// parseDockerLine decodes `{"log":"…\n","stream":"stdout","time":"…"}`.
// Docker splits a line longer than 16 KiB into records whose log does not
// end in a newline: those are partial.
func parseDockerLine(line []byte, r *containerRecord) error {
	if decodeDockerFast(line, r) {
		return nil
	}
	var d dockerLine
	if err := json.Unmarshal(line, &d); err != nil {
		return fmt.Errorf("docker json-file line: %w", err)
	}
	if d.Log == nil {
		return errors.New(`docker json-file line: no "log" key`)
	}
	if d.Stream == "" || len(d.Stream) > maxStreamName {
		return errors.New(`docker json-file line: want a "stream" key naming the stream`)
	}
	text := []byte(*d.Log) // encoding/json has replaced invalid UTF-8
	r.partial = true
	if n := len(text); n > 0 && text[n-1] == '\n' {
		text, r.partial = text[:n-1], false
	}
	r.text, r.stream, r.time = text, d.Stream, d.Time
	return nil
}

// parseCRILine decodes `<RFC 3339 time> <stream> <tags> <message>` (the
// CRI logging format: tags are separated by ':', the first is P for a
// partial line or F for a full one). r.text shares line's bytes.
func parseCRILine(line []byte, r *containerRecord) error {
	ts, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return errors.New("cri line: no stream after the time")
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return fmt.Errorf("cri line: time: %w", err)
	}
	stream, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok || len(stream) == 0 || len(stream) > maxStreamName {
		return errors.New("cri line: want a stream name, then tags")
	}
	tags, msg, _ := bytes.Cut(rest, []byte{' '})
	tag, _, _ := bytes.Cut(tags, []byte{':'})
	switch string(tag) {
	case "P":
		r.partial = true
	case "F":
		r.partial = false
	default:
		return fmt.Errorf("cri line: tag %.20q: want P or F", tag)
	}
	r.text, r.stream, r.time = msg, streamOf(stream), t
	return nil
}

// maxStreamName bounds the stream name a line may give (stdout, stderr).
const maxStreamName = 16

// streamOf returns the stream named b, a constant for the usual ones
// (no allocation).
func streamOf(b []byte) string {
	switch string(b) {
	case "stdout":
		return "stdout"
	case "stderr":
		return "stderr"
	}
	return string(b)
}
