package config

import "testing"

func TestPropertiesContinuation(t *testing.T) {
	p, err := ParseProperties("f", []byte("a=one \\\n    two \\\n three\nb=x\\\\\nc=y\n"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"a": "one two three", "b": `x\\`, "c": "y"} {
		if v, _ := p.Lookup(key); v != want {
			t.Errorf("%s = %q, want %q", key, v, want)
		}
	}
	if p.Line("c") != 5 || p.Line("a") != 1 {
		t.Errorf("lines a %d c %d", p.Line("a"), p.Line("c"))
	}
}
