package scenarios

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: 1, Column: 1}
}

// FuzzParse feeds Parse arbitrary documents: it must never panic (Parse
// recovers, so this also fails on a recovered "internal error").
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"testdata/good/*.yaml", "testdata/bad/*.yaml", "demo/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if filepath.Base(p) == "contract.yaml" || filepath.Base(p) == "bench-100x3.yaml" {
				continue // large populations make fuzzing slow; their shapes are in the others
			}
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("x: &x {<<: *x}"))
	f.Add([]byte("steps: [{call: {from: \"+1\", to: \"+1\"}}]"))
	read := func(string) ([]byte, error) { return nil, os.ErrNotExist }
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.yaml", data, WithReadFile(read), WithMaxGenerated(1000))
		for _, e := range Errors(err) {
			if len(e.Msg) > 13 && e.Msg[:14] == "internal error" {
				t.Fatalf("panic: %s", e.Msg)
			}
		}
	})
}
