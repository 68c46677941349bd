package config

import (
	"errors"
	"fmt"
	"os"
)

// PropertiesConfig is a configuration struct read from a properties file
// (broker.Config from server.properties, coordinator.Config from zoo.cfg)
// by LoadPropertiesConfig.
type PropertiesConfig interface {
	// ReadProperties sets the fields of the keys p holds, over the
	// defaults already in the struct. It only converts values (text to
	// numbers, lists, addresses); its errors name file, line and key.
	ReadProperties(p *Properties) error
	// Validate checks the struct, whether read from a file or built in
	// code: ranges, required keys, fields that must agree. Its errors
	// are *Error (or Errors) naming the key they are about and, for a
	// struct built in code, no file.
	Validate() error
}

// LoadPropertiesConfig reads the properties file at path into the struct
// defaults returns, then validates it: parse, defaults, Validate, once
// for every properties-file configuration. Validate runs when every value
// parsed; its errors are located
// in the file, at the line of the key they name. The keys the struct did
// not read come back as warnings.
func LoadPropertiesConfig[T any, P interface {
	*T
	PropertiesConfig
}](path string, defaults func() T) (*T, []*Error, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	return ParsePropertiesConfig[T, P](path, text, defaults)
}

// ParsePropertiesConfig is LoadPropertiesConfig for text already read;
// file names it in errors.
func ParsePropertiesConfig[T any, P interface {
	*T
	PropertiesConfig
}](file string, text []byte, defaults func() T) (*T, []*Error, error) {
	p, err := ParseProperties(file, text)
	if err != nil {
		return nil, nil, err
	}
	c := defaults()
	// Values that do not parse are reported first, all of them; Validate
	// then reports every rule the values break (a struct with a value
	// missing would make it report consequences, not causes).
	if err := p.Locate(P(&c).ReadProperties(p)).Err(); err != nil {
		return nil, nil, err
	}
	if err := p.Locate(P(&c).Validate()).Err(); err != nil {
		return nil, nil, err
	}
	return &c, p.Unknown(), nil
}

// Locate turns err — an *Error, Errors or any other error — into Errors
// in p's file: an *Error without a file gets p's file and the line of its
// key (0 when the key is not in the file); any other error gets the file.
// nil gives an empty list.
func (p *Properties) Locate(err error) Errors {
	if err == nil {
		return nil
	}
	var list Errors
	var one *Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = Errors{one}
	default:
		return Errors{{File: p.File, Err: err}}
	}
	out := make(Errors, len(list))
	for i, e := range list {
		if e.File == "" {
			located := *e
			located.File, located.Line = p.File, p.Line(e.Key)
			e = &located
		}
		out[i] = e
	}
	return out
}
