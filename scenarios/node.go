package scenarios

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

// Pos is a position in a scenario file (1-based line and column).
type Pos struct {
	Line, Col int
}

func posOf(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{n.Line, n.Column}
}

// aliasBudget bounds how many nodes may be visited through YAML aliases, so
// that an "alias bomb" cannot make the loader run for ever.
const aliasBudget = 1 << 20

// decoder walks yaml.Node trees of one file and collects problems.
type decoder struct {
	file   string
	errs   *ErrorList
	budget int
	sizes  map[*yaml.Node]int
	maxGen int // most users generate: may ask for
}

func newDecoder(file string, errs *ErrorList) *decoder {
	return &decoder{file: file, errs: errs, budget: aliasBudget, sizes: map[*yaml.Node]int{}, maxGen: MaxGenerated}
}

// errorf records a schema problem at n.
func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errAt(posOf(n), "", nil, fmt.Sprintf(format, args...))
}

// codef records a problem carrying a rule code at n.
func (d *decoder) codef(n *yaml.Node, code routing.Code, format string, args ...any) {
	d.errAt(posOf(n), code, nil, fmt.Sprintf(format, args...))
}

func (d *decoder) errAt(p Pos, code routing.Code, err error, msg string) {
	*d.errs = append(*d.errs, &Error{File: d.file, Line: p.Line, Col: p.Col, Msg: msg, Code: code, Err: err})
}

// ruleErr records an error returned by a routing admin action at p.
func (d *decoder) ruleErr(p Pos, err error) {
	code := routing.ErrorCode(err)
	d.errAt(p, code, fmt.Errorf("%w", err), err.Error())
}

// deref follows aliases, charging their size to the alias budget.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil
		}
		d.budget -= d.size(n.Alias)
		if d.budget < 0 {
			if d.budget > -aliasBudget { // report once
				d.errorf(n, "too many alias expansions")
				d.budget = -2 * aliasBudget
			}
			return nil
		}
		n = n.Alias
	}
	return n
}

func (d *decoder) size(n *yaml.Node) int {
	if s, ok := d.sizes[n]; ok {
		return s
	}
	d.sizes[n] = 1 << 30 // guards against cycles
	s := 1
	for _, c := range n.Content {
		if c.Kind == yaml.AliasNode && c.Alias != nil {
			s += d.size(c.Alias)
		} else {
			s += d.size(c)
		}
		if s > aliasBudget {
			s = aliasBudget + 1
			break
		}
	}
	d.sizes[n] = s
	return s
}

// kindName names what a node holds, for "expected X, got Y" messages.
func kindName(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		}
		return fmt.Sprintf("the string %q", n.Value)
	}
	return "an alias"
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// fields is a checked mapping: the values of its keys, the key nodes for
// positions, and the node itself.
type fields struct {
	d    *decoder
	node *yaml.Node
	val  map[string]*yaml.Node
	key  map[string]*yaml.Node
	keys []string // in file order
}

// fields checks that n is a mapping whose keys are all among allowed (what
// names the place for messages) and returns them. A "<<" merge key is
// honoured. ok is false when n is not a mapping.
func (d *decoder) fields(n *yaml.Node, what string, allowed []string) (*fields, bool) {
	f := &fields{d: d, node: n, val: map[string]*yaml.Node{}, key: map[string]*yaml.Node{}}
	n = d.deref(n)
	f.node = n
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil {
			d.errorf(n, "%s: expected a mapping, got %s", what, kindName(n))
		}
		return f, false
	}
	d.collect(f, n, what, allowed, 0)
	return f, true
}

func (d *decoder) collect(f *fields, n *yaml.Node, what string, allowed []string, depth int) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" && depth < 8 {
			d.merge(f, v, what, allowed, depth)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%s: a key must be a string, got %s", what, kindName(k))
			continue
		}
		name := k.Value
		if !contains(allowed, name) {
			d.unknownKey(k, name, allowed)
			continue
		}
		if old, dup := f.key[name]; dup && depth == 0 && old.Line != 0 && f.isOwn(old) {
			d.errorf(k, "key %q appears twice (first at line %d)", name, old.Line)
			continue
		}
		if _, dup := f.key[name]; !dup {
			f.keys = append(f.keys, name)
		}
		f.key[name], f.val[name] = k, v
	}
}

// isOwn reports whether key node k belongs to the mapping itself (not a merge).
func (f *fields) isOwn(k *yaml.Node) bool {
	for i := 0; i < len(f.node.Content); i += 2 {
		if f.node.Content[i] == k {
			return true
		}
	}
	return false
}

func (d *decoder) merge(f *fields, v *yaml.Node, what string, allowed []string, depth int) {
	v = d.deref(v)
	if v == nil {
		return
	}
	switch v.Kind {
	case yaml.MappingNode:
		sub := &fields{d: d, node: v, val: map[string]*yaml.Node{}, key: map[string]*yaml.Node{}}
		d.collect(sub, v, what, allowed, depth+1)
		for _, k := range sub.keys {
			if _, own := f.key[k]; !own {
				f.keys = append(f.keys, k)
				f.key[k], f.val[k] = sub.key[k], sub.val[k]
			}
		}
	case yaml.SequenceNode:
		for _, c := range v.Content {
			d.merge(f, c, what, allowed, depth+1)
		}
	default:
		d.errorf(v, "%s: \"<<\" merges a mapping, got %s", what, kindName(v))
	}
}

func (d *decoder) unknownKey(k *yaml.Node, name string, allowed []string) {
	if s := suggest(name, allowed); s != "" {
		d.errorf(k, "unknown key %q (did you mean %q?)", name, s)
		return
	}
	d.errorf(k, "unknown key %q (expected one of: %s)", name, strings.Join(allowed, ", "))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// has reports whether key k is present (null counts as present).
func (f *fields) has(k string) bool { _, ok := f.val[k]; return ok }

// v returns the value node of k (aliases followed), nil when absent.
func (f *fields) v(k string) *yaml.Node {
	n, ok := f.val[k]
	if !ok {
		return nil
	}
	if r := f.d.deref(n); r != nil {
		return r
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
}

// pos returns the position of key k, or of the mapping when k is absent.
func (f *fields) pos(k string) Pos {
	if n, ok := f.key[k]; ok {
		return posOf(n)
	}
	return posOf(f.node)
}

// require reports every key of keys that is missing.
func (f *fields) require(what string, keys ...string) bool {
	ok := true
	for _, k := range keys {
		if !f.has(k) || (isNull(f.v(k)) && k != "") {
			f.d.errorf(f.node, "%s: missing required key %q", what, k)
			ok = false
		}
	}
	return ok
}
