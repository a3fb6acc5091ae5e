package cmdlet

import (
	"path"
	"sort"
	"strings"

	"ocmsim/routing"
)

// kind is the type of a parameter's value.
type kind int

const (
	kString kind = iota
	kList        // comma list
	kSwitch      // no value; -Name:$false turns it off
	kBool        // $true / $false
	kInt
)

// param describes one parameter of a cmdlet.
type param struct {
	name      string
	kind      kind
	pos       int  // position for positional binding; -1: named only
	mandatory bool // in every parameter set
	null      bool // accepts $null
	// notWith names parameters of other parameter sets: when one of them is
	// bound, this parameter takes no positional argument (PowerShell binds
	// positionals within the parameter set the named arguments chose).
	notWith []string
}

// named returns a named-only parameter.
func named(name string, k kind) param { return param{name: name, kind: k, pos: -1} }

// record is one object of a Get- cmdlet's output: its properties in order.
type record []field

type field struct{ name, value string }

// spec describes one supported cmdlet.
type spec struct {
	name   string
	params []param
	fields []string             // properties of its output; nil: it prints nothing
	check  func(*Command) error // parameter-set rules, run by Parse
	get    func(*Command, *routing.Directory) ([]record, error)
	do     func(*Command, *routing.Directory) error
}

// common are the PowerShell common parameters (and -Force, -PassThru) every
// cmdlet accepts and ignores.
var common = []param{
	named("Confirm", kSwitch), named("Force", kSwitch), named("PassThru", kSwitch),
	named("Verbose", kSwitch), named("Debug", kSwitch),
	named("ErrorAction", kString), named("WarningAction", kString),
}

var specs = map[string]*spec{}

func register(s *spec) {
	s.params = append(s.params, common...)
	specs[strings.ToLower(s.name)] = s
}

func init() {
	for _, s := range []*spec{
		newPolicySpec(), setPolicySpec(), removePolicySpec(), grantPolicySpec(), getPolicySpec(),
		userPolicyAssignmentSpec(), onlineUserSpec(), setUserSpec(), grantVoiceRoutingSpec(),
		getNumberSpec(), setNumberSpec(), removeNumberSpec(),
	} {
		register(s)
	}
}

// Names lists the supported cmdlets, sorted.
func Names() []string {
	out := make([]string, 0, len(specs))
	for _, s := range specs {
		out = append(out, s.name)
	}
	sort.Strings(out)
	return out
}

func lookup(name string) *spec { return specs[strings.ToLower(name)] }

// param resolves a parameter token: an exact name (any case) or an
// unambiguous prefix, as PowerShell does.
func (s *spec) param(t token) (param, error) {
	var matches []param
	for _, p := range s.params {
		if strings.EqualFold(p.name, t.text) {
			return p, nil
		}
		if len(t.text) <= len(p.name) && strings.EqualFold(p.name[:len(t.text)], t.text) {
			matches = append(matches, p)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return param{}, errorAt(t.col, "%s: unknown parameter -%s%s", s.name, t.text, didYouMean(t.text, sortedNames(s.params)))
	}
	return param{}, errorAt(t.col, "%s: parameter -%s is ambiguous: %s", s.name, t.text, strings.Join(sortedNames(matches), ", "))
}

// nextPositional returns the unbound positional parameter of lowest position.
func (s *spec) nextPositional(bound map[string]Arg) *param {
	var best *param
	for i := range s.params {
		p := &s.params[i]
		if _, ok := bound[p.name]; ok || p.pos < 0 || anyBound(bound, p.notWith) {
			continue
		}
		if best == nil || p.pos < best.pos {
			best = p
		}
	}
	return best
}

func anyBound(bound map[string]Arg, names []string) bool {
	for _, n := range names {
		if _, ok := bound[n]; ok {
			return true
		}
	}
	return false
}

// selectFields resolves a property name or wildcard pattern (* ?) against
// the cmdlet's output properties, case-insensitively.
func (s *spec) selectFields(name string, col int) ([]string, error) {
	pattern := strings.ToLower(name)
	var out []string
	for _, f := range s.fields {
		ok, err := path.Match(pattern, strings.ToLower(f))
		if err != nil {
			return nil, errorAt(col, "bad property pattern %q", name)
		}
		if ok {
			out = append(out, f)
		}
	}
	if len(out) == 0 && !strings.ContainsAny(name, "*?[") {
		return nil, errorAt(col, "%s has no property %q%s", s.name, name, didYouMean(name, s.fields))
	}
	return out, nil
}

// requireOne is a check that exactly one of the parameters is given.
func requireOne(names ...string) func(*Command) error {
	return func(c *Command) error {
		var given []string
		for _, n := range names {
			if c.Has(n) {
				given = append(given, n)
			}
		}
		if len(given) == 1 {
			return nil
		}
		if len(given) == 0 {
			return errorAt(c.Col, "%s: give -%s", c.Name, strings.Join(names, " or -"))
		}
		return errorAt(c.Args[given[1]].Col, "%s: -%s and -%s cannot be used together", c.Name, given[0], given[1])
	}
}
