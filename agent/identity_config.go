package agent

import (
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

// Identity is how an input tells its files apart (file_identity).
type Identity string

const (
	// IdentityNative keys a file by device and inode (Filebeat's native).
	IdentityNative Identity = "native"
	// IdentityFingerprint keys a file by a hash of its first bytes
	// (Filebeat's fingerprint, its default since 9.0).
	IdentityFingerprint Identity = "fingerprint"
)

// IdentityConfig holds an input's file_identity and
// prospector.scanner.fingerprint keys, spelt nested or dotted as in
// filebeat.yml. It is inlined in InputConfig.
type IdentityConfig struct {
	FileIdentity map[string]any   `yaml:"file_identity,omitempty"` // {native: ~} or {fingerprint: ~}
	Prospector   ProspectorConfig `yaml:"prospector"`

	DottedNative      yaml.Node `yaml:"file_identity.native,omitempty"`
	DottedFingerprint yaml.Node `yaml:"file_identity.fingerprint,omitempty"`
	DottedScanner     *struct {
		Fingerprint FingerprintConfig `yaml:"fingerprint"`
	} `yaml:"prospector.scanner,omitempty"`
	DottedFP        *FingerprintConfig `yaml:"prospector.scanner.fingerprint,omitempty"`
	DottedFPEnabled *bool              `yaml:"prospector.scanner.fingerprint.enabled,omitempty"`
	DottedFPOffset  *int64             `yaml:"prospector.scanner.fingerprint.offset,omitempty"`
	DottedFPLength  *int               `yaml:"prospector.scanner.fingerprint.length,omitempty"`

	identity Identity // the chosen one, set by setIdentityDefaults
}

// ProspectorConfig is an input's prospector: key.
type ProspectorConfig struct {
	Scanner struct {
		Fingerprint FingerprintConfig `yaml:"fingerprint"`
	} `yaml:"scanner"`
}

// FingerprintConfig is prospector.scanner.fingerprint: the bytes of a
// file its fingerprint hashes, [Offset, Offset+Length).
type FingerprintConfig struct {
	Enabled *bool `yaml:"enabled"`
	Offset  int64 `yaml:"offset"`
	Length  int   `yaml:"length"`
}

// Fingerprint defaults and bounds, as Filebeat's.
const (
	DefaultFingerprintLength = 1024
	minFingerprintLength     = 64
)

// DefaultIdentity is the file identity of an input without file_identity.
const DefaultIdentity = IdentityNative

// Identity is the input's file identity (after SetDefaults).
func (in *InputConfig) Identity() Identity { return in.identity }

// Fingerprint is the input's prospector.scanner.fingerprint (after
// SetDefaults).
func (in *InputConfig) Fingerprint() FingerprintConfig { return in.Prospector.Scanner.Fingerprint }

// setIdentityDefaults folds the dotted spellings into the nested ones
// (leaving the dotted fields empty, so that a Config written out has each
// key once) and defaults them.
func (in *InputConfig) setIdentityDefaults() {
	ic := &in.IdentityConfig
	fp := &ic.Prospector.Scanner.Fingerprint
	if ic.DottedScanner != nil {
		*fp = ic.DottedScanner.Fingerprint
	}
	if ic.DottedFP != nil {
		*fp = *ic.DottedFP
	}
	if ic.DottedFPEnabled != nil {
		fp.Enabled = ic.DottedFPEnabled
	}
	if ic.DottedFPOffset != nil {
		fp.Offset = *ic.DottedFPOffset
	}
	if ic.DottedFPLength != nil {
		fp.Length = *ic.DottedFPLength
	}
	if fp.Length == 0 {
		fp.Length = DefaultFingerprintLength
	}
	// A copy: an InputConfig copied from another (sluice up's) shares
	// the map.
	kinds := make(map[string]any, len(ic.FileIdentity)+1)
	for k, v := range ic.FileIdentity {
		kinds[k] = v
	}
	if ic.DottedNative.Kind != 0 {
		kinds[string(IdentityNative)] = nil
	}
	if ic.DottedFingerprint.Kind != 0 {
		kinds[string(IdentityFingerprint)] = nil
	}
	if len(kinds) > 0 {
		ic.FileIdentity = kinds
	}
	ic.DottedNative, ic.DottedFingerprint, ic.DottedScanner, ic.DottedFP = yaml.Node{}, yaml.Node{}, nil, nil
	ic.DottedFPEnabled, ic.DottedFPOffset, ic.DottedFPLength = nil, nil, nil
	ic.identity = DefaultIdentity
	for k := range ic.FileIdentity {
		ic.identity = Identity(k) // Validate refuses more than one
	}
	if fp.Enabled == nil {
		// As Filebeat 9: the scanner fingerprints files unless told not to.
		yes := true
		fp.Enabled = &yes
	}
}

// validateIdentity checks the keys of setIdentityDefaults; p is the
// input's key ("inputs[0]").
func (in *InputConfig) validateIdentity(p string, bad func(key, format string, args ...any)) {
	ic := &in.IdentityConfig
	var kinds []string
	for k := range ic.FileIdentity {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	switch {
	case len(kinds) > 1:
		bad(p+".file_identity", "%v: give one of native or fingerprint", kinds)
	case len(kinds) == 1 && kinds[0] != string(IdentityNative) && kinds[0] != string(IdentityFingerprint):
		bad(p+".file_identity", "%q: want native or fingerprint (path and inode_marker are not supported)", kinds[0])
	}
	fp := ic.Prospector.Scanner.Fingerprint
	key := p + ".prospector.scanner.fingerprint"
	if fp.Offset < 0 {
		bad(key+".offset", "%d: must not be negative", fp.Offset)
	}
	if fp.Length < minFingerprintLength {
		bad(key+".length", "%d: must be at least %d", fp.Length, minFingerprintLength)
	}
	if ic.identity == IdentityFingerprint && !*fp.Enabled {
		bad(key+".enabled", "false: file_identity.fingerprint needs the scanner's fingerprints")
	}
}

func (fp FingerprintConfig) String() string {
	return fmt.Sprintf("[%d, %d)", fp.Offset, fp.Offset+int64(fp.Length))
}
