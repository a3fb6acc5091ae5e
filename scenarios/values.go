package scenarios

// This file holds the typed readers of scalar and list values.

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

// str returns the string value of k ("" when absent or null).
func (f *fields) str(k string) string {
	n := f.v(k)
	if isNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		f.d.errorf(n, "%s: expected a string, got %s", k, kindName(n))
		return ""
	}
	return n.Value
}

// strIn returns the value of k, which must be one of allowed (case-insensitive;
// the allowed spelling is returned).
func (f *fields) strIn(k string, allowed ...string) string {
	s := f.str(k)
	if s == "" {
		return ""
	}
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a
		}
	}
	f.d.codef(f.v(k), routing.CodeInvalid, "%s: %q is not one of %s", k, s, strings.Join(allowed, ", "))
	return ""
}

// boolean returns the boolean value of k and whether it was given.
func (f *fields) boolean(k string) (bool, bool) {
	n := f.v(k)
	if isNull(n) {
		return false, false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	f.d.errorf(n, "%s: expected true or false, got %s", k, kindName(n))
	return false, false
}

// integer returns the integer value of k and whether it was given.
func (f *fields) integer(k string) (int, bool) {
	n := f.v(k)
	if isNull(n) {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil && i >= -1<<31 && i < 1<<31 {
			return int(i), true
		}
	}
	f.d.errorf(n, "%s: expected an integer, got %s", k, kindName(n))
	return 0, false
}

// float returns the number value of k and whether it was given.
func (f *fields) float(k string) (float64, bool) {
	return f.d.float(f.v(k), k)
}

func (d *decoder) float(n *yaml.Node, what string) (float64, bool) {
	if isNull(n) {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		if v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil {
			return v, true
		}
	}
	d.errorf(n, "%s: expected a number, got %s", what, kindName(n))
	return 0, false
}

// duration returns the Go-syntax duration of k and whether it was given.
func (f *fields) duration(k string) (time.Duration, bool) {
	return f.d.duration(f.v(k), k)
}

func (d *decoder) duration(n *yaml.Node, what string) (time.Duration, bool) {
	if isNull(n) {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode {
		if n.Value == "0" {
			return 0, true
		}
		if v, err := time.ParseDuration(n.Value); err == nil && v >= 0 {
			return v, true
		}
	}
	d.errorf(n, "%s: bad duration %s: use Go syntax like 200ms, 2s or 1m30s", what, kindValue(n))
	return 0, false
}

func kindValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return kindName(n)
}

// number returns the E.164 number of k ("" when absent or bad).
func (f *fields) number(k string) string {
	return f.d.number(f.v(k), k)
}

func (d *decoder) number(n *yaml.Node, what string) string {
	if isNull(n) {
		return ""
	}
	if n.Kind == yaml.ScalarNode && validE164(n.Value) {
		return n.Value
	}
	d.codef(n, routing.CodeInvalid, "%s: bad number %s: numbers are E.164 strings like \"+14255550100\"", what, kindValue(n))
	return ""
}

func validE164(s string) bool {
	if len(s) < 4 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// strs returns the list of strings of k; a single string counts as a list of one.
func (f *fields) strs(k string) []string {
	return f.d.strs(f.v(k), k)
}

func (d *decoder) strs(n *yaml.Node, what string) []string {
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: expected a list of strings, got %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		c = d.deref(c)
		if c == nil || c.Kind != yaml.ScalarNode || isNull(c) {
			d.errorf(c, "%s: expected a string, got %s", what, kindName(c))
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

// items returns the entries of the list value of k (nil when absent).
func (f *fields) items(k string) []*yaml.Node {
	return f.d.items(f.v(k), k)
}

func (d *decoder) items(n *yaml.Node, what string) []*yaml.Node {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: expected a list, got %s", what, kindName(n))
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if r := d.deref(c); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// country returns the ISO 3166 alpha-2 country of k.
func (f *fields) country(k string) string {
	s := f.str(k)
	if s != "" && !validCountry(s) {
		f.d.codef(f.v(k), routing.CodeInvalid, "%s: %q is not an ISO 3166 alpha-2 country code like US", k, s)
		return ""
	}
	return s
}

func validCountry(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}

// countries checks a list of countries.
func (f *fields) countries(k string) []string {
	list := f.strs(k)
	for _, c := range list {
		if !validCountry(c) {
			f.d.codef(f.v(k), routing.CodeInvalid, "%s: %q is not an ISO 3166 alpha-2 country code like US", k, c)
			return nil
		}
	}
	return list
}
