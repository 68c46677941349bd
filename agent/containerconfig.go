package agent

import "fmt"

// inputContainer is the type of an input reading container log files:
// a filestream input whose first parser is a container parser with the
// input's stream and format keys (Filebeat's container input).
const inputContainer = "container"

// streamAll is stream: all, the default: both streams.
const streamAll = "all"

// ContainerConfig is the container parser (and the stream and format
// keys of a type: container input).
type ContainerConfig struct {
	Stream string `yaml:"stream"` // stdout | stderr | all
	Format string `yaml:"format"` // auto | docker | cri

	implied bool // put there by type: container, from the input's keys
}

// containerDefaults defaults the container parsers of in and gives a
// type: container input its parser (once: SetDefaults may run twice).
func containerDefaults(in *InputConfig) {
	if in.Type == inputContainer && (len(in.Parsers) == 0 || in.Parsers[0].Container == nil || !in.Parsers[0].Container.implied) {
		cc := &ContainerConfig{Stream: in.Stream, Format: in.Format, implied: true}
		in.Parsers = append([]ParserConfig{{Container: cc}}, in.Parsers...)
	}
	for _, p := range in.Parsers {
		if c := p.Container; c != nil {
			def(&c.Stream, streamAll)
			def(&c.Format, formatAuto)
		}
	}
}

// validateContainer checks the container keys of input in (p names it:
// "inputs[i]"), where bad records an error of a key.
func validateContainer(in *InputConfig, p string, bad func(key, format string, args ...any)) {
	if in.Type != inputContainer {
		if in.Stream != "" {
			bad(p+".stream", "only for type: container (a filestream input takes parsers: [{container: {stream: …}}])")
		}
		if in.Format != "" {
			bad(p+".format", "only for type: container (a filestream input takes parsers: [{container: {format: …}}])")
		}
	}
	for j, pc := range in.Parsers {
		c := pc.Container
		if c == nil {
			continue
		}
		key := in.parserKey(p, j) + ".container"
		if c.implied {
			key = p // its keys are the input's stream and format
		}
		switch {
		case !c.implied && in.Type == inputContainer:
			bad(key, "type: container reads the container format itself: remove this parser, or use type: filestream")
			continue
		case j > 0:
			bad(key, "must be the first parser: the others work on the messages it joins")
		}
		switch c.Stream {
		case "stdout", "stderr", streamAll:
		default:
			bad(key+".stream", "%q: want stdout, stderr or all", c.Stream)
		}
		switch c.Format {
		case formatAuto, formatDocker, formatCRI:
		default:
			bad(key+".format", "%q: want auto, docker or cri", c.Format)
		}
	}
}

// parserKey names parser j of input in (p names the input: "inputs[i]")
// as the file has it: the parser type: container puts first is not there.
func (in *InputConfig) parserKey(p string, j int) string {
	if len(in.Parsers) > 0 && in.Parsers[0].Container != nil && in.Parsers[0].Container.implied {
		j--
	}
	return fmt.Sprintf("%s.parsers[%d]", p, j)
}
