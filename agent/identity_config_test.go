package agent

import (
	"strings"
	"testing"
)

// TestIdentityConfig: file_identity and prospector.scanner.fingerprint,
// nested or dotted as filebeat.yml writes them, and their defaults.
func TestIdentityConfig(t *testing.T) {
	with := func(lines string) string {
		return strings.Replace(validYAML, "    fields:", lines+"\n    fields:", 1)
	}
	for _, tc := range []struct {
		name, text string
		identity   Identity
		offset     int64
		length     int
	}{
		{"defaults", validYAML, DefaultIdentity, 0, DefaultFingerprintLength},
		{"nested", with("    file_identity: {fingerprint: ~}\n    prospector:\n      scanner:\n        fingerprint: {offset: 10, length: 64}"), IdentityFingerprint, 10, 64},
		{"dotted", with("    file_identity.fingerprint: ~\n    prospector.scanner.fingerprint.offset: 5\n    prospector.scanner.fingerprint.length: 2048"), IdentityFingerprint, 5, 2048},
		{"dotted scanner", with("    prospector.scanner: {fingerprint: {length: 100}}"), DefaultIdentity, 0, 100},
		{"dotted fingerprint", with("    prospector.scanner.fingerprint: {enabled: true, offset: 7}"), DefaultIdentity, 7, DefaultFingerprintLength},
		{"native", with("    file_identity.native: ~"), IdentityNative, 0, DefaultFingerprintLength},
	} {
		c, err := ParseConfig("agent.yml", []byte(tc.text))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		in := &c.Inputs[0]
		fp := in.Fingerprint()
		if in.Identity() != tc.identity || fp.Offset != tc.offset || fp.Length != tc.length || !*fp.Enabled {
			t.Errorf("%s: identity %s, fingerprint %+v", tc.name, in.Identity(), fp)
		}
	}
}

func TestIdentityConfigErrors(t *testing.T) {
	with := func(lines string) string {
		return strings.Replace(validYAML, "    fields:", lines+"\n    fields:", 1)
	}
	for _, tc := range []struct{ name, text, want string }{
		{"two identities", with("    file_identity: {native: ~, fingerprint: ~}"), "agent.yml:4: inputs[0].file_identity: [fingerprint native]: give one of"},
		{"inode_marker", with("    file_identity.inode_marker: {path: /x}"), "agent.yml:4: inputs[0].file_identity.inode_marker: unknown key"},
		{"path", with("    file_identity: {path: ~}"), `agent.yml:4: inputs[0].file_identity: "path": want native or fingerprint`},
		{"short length", with("    prospector.scanner.fingerprint.length: 63"), "agent.yml:4: inputs[0].prospector.scanner.fingerprint.length: 63: must be at least 64"},
		{"negative offset", with("    prospector:\n      scanner:\n        fingerprint: {offset: -1}"), "agent.yml:6: inputs[0].prospector.scanner.fingerprint.offset: -1: must not be negative"},
		{"disabled", with("    file_identity.fingerprint: ~\n    prospector.scanner.fingerprint.enabled: false"), "agent.yml:5: inputs[0].prospector.scanner.fingerprint.enabled: false: file_identity.fingerprint needs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("agent.yml", []byte(tc.text))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}
