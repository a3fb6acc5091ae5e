// Package cmdlet parses and runs the Teams PowerShell cmdlet lines of the
// Operator Connect Mobile admin guide against a routing.Directory:
//
//	cmd, err := cmdlet.Parse(`Grant-CsTeamsMobilityPolicy NativeFirst -Identity user@xyz.onmicrosoft.com`)
//	out, err := cmd.Apply(dir)
//
// Parsing follows PowerShell where the guide relies on it: cmdlet and
// parameter names are case-insensitive, parameters may be abbreviated to an
// unambiguous prefix, named arguments bind first and the remaining positional
// ones fill the positional parameters in order, $null/$true/$false, quoted
// strings and comma lists. One pipe to Format-List (fl) or Select-Object
// chooses the properties a Get- cmdlet prints.
package cmdlet

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Arg is the value given to one parameter.
type Arg struct {
	Values []string // the value, or several for a comma list; empty for $null and switches
	Null   bool     // $null
	Bool   bool     // a switch that is on, or $true
	Int    int      // an integer parameter's value
	Col    int      // column of the parameter (or of a positional value)
}

// Command is a parsed cmdlet line, ready to Apply.
type Command struct {
	Name   string         // canonical cmdlet name, e.g. "Get-CsUserPolicyAssignment"
	Args   map[string]Arg // by canonical parameter name
	Select []string       // properties to print (Format-List / Select-Object); nil prints all
	Col    int            // column of the cmdlet name

	spec *spec
}

// Has reports whether parameter name was given.
func (c Command) Has(name string) bool {
	_, ok := c.Args[name]
	return ok
}

// Str returns the single value of parameter name; "" when absent or $null.
func (c Command) Str(name string) string {
	if a, ok := c.Args[name]; ok && len(a.Values) > 0 {
		return a.Values[0]
	}
	return ""
}

// Parse parses one cmdlet line. Errors are *SyntaxError values carrying the
// column of the offending token.
func Parse(line string) (Command, error) {
	c, err := parse(line)
	if err != nil {
		return Command{}, err
	}
	return *c, nil
}

func parse(line string) (*Command, error) {
	toks, err := lex(line)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errorAt(1, "no cmdlet on the line")
	}
	first := toks[0]
	if first.kind != tokWord || first.quoted {
		return nil, errorAt(first.col, "a line must start with a cmdlet name, not %q", first.text)
	}
	sp := lookup(first.text)
	if sp == nil {
		return nil, errorAt(first.col, "unknown cmdlet %q%s", first.text, didYouMean(first.text, Names()))
	}
	c := &Command{Name: sp.name, Args: map[string]Arg{}, Col: first.col, spec: sp}
	rest := toks[1:]
	pipe := len(rest)
	for i, t := range rest {
		if t.kind == tokPipe {
			pipe = i
			break
		}
	}
	if err := c.bind(rest[:pipe]); err != nil {
		return nil, err
	}
	if pipe < len(rest) {
		if err := c.parseFormat(rest[pipe], rest[pipe+1:]); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// bind binds the cmdlet's arguments: named first, then positional ones in
// position order, then checks mandatory parameters and parameter sets.
func (c *Command) bind(toks []token) error {
	var positional []Arg
	for i := 0; i < len(toks); {
		t := toks[i]
		switch t.kind {
		case tokParam:
			p, err := c.spec.param(t)
			if err != nil {
				return err
			}
			if _, dup := c.Args[p.name]; dup {
				return errorAt(t.col, "parameter -%s is given twice", p.name)
			}
			a, next, err := readArg(p, t, toks, i+1)
			if err != nil {
				return err
			}
			c.Args[p.name] = a
			i = next
		case tokWord, tokVar:
			vals, next, err := readValues(toks, i)
			if err != nil {
				return err
			}
			positional = append(positional, argOf(vals, t.col))
			i = next
		default:
			return errorAt(t.col, "unexpected %q", t.text)
		}
	}
	for _, a := range positional {
		p := c.spec.nextPositional(c.Args)
		if p == nil {
			return errorAt(a.Col, "%s takes no positional argument %q: name its parameter", c.Name, strings.Join(a.Values, ","))
		}
		v, err := convert(*p, a, a.Col)
		if err != nil {
			return err
		}
		c.Args[p.name] = v
	}
	for _, p := range c.spec.params {
		if _, ok := c.Args[p.name]; p.mandatory && !ok {
			return errorAt(c.Col, "%s: missing mandatory parameter -%s", c.Name, p.name)
		}
	}
	if c.spec.check != nil {
		return c.spec.check(c)
	}
	return nil
}

// values is a raw value read from the tokens: words, or a variable.
type values struct {
	words []string
	null  bool
	bool  bool
	isVar bool
}

// readValues reads a value at toks[i], with a comma list following it.
func readValues(toks []token, i int) (values, int, error) {
	var v values
	for {
		if i >= len(toks) {
			return v, i, errorAt(toks[i-1].col, "a value must follow the comma")
		}
		t := toks[i]
		switch t.kind {
		case tokWord:
			v.words = append(v.words, t.text)
		case tokVar:
			if len(toks) > i+1 && toks[i+1].kind == tokComma || len(v.words) > 0 {
				return v, i, errorAt(t.col, "$%s cannot be part of a list", t.text)
			}
			v.isVar, v.null, v.bool = true, t.text == "null", t.text == "true"
			return v, i + 1, nil
		default:
			return v, i, errorAt(t.col, "expected a value, found %q", t.text)
		}
		i++
		if i >= len(toks) || toks[i].kind != tokComma {
			return v, i, nil
		}
		i++
	}
}

// readArg reads the value of parameter p named by token t.
func readArg(p param, t token, toks []token, i int) (Arg, int, error) {
	a := Arg{Col: t.col}
	if t.arg != nil {
		v, _, err := readValues([]token{*t.arg}, 0)
		if err != nil {
			return a, i, err
		}
		if p.kind == kSwitch {
			if !v.isVar || v.null {
				return a, i, errorAt(t.arg.col, "switch -%s takes $true or $false after the colon", p.name)
			}
			a.Bool = v.bool
			return a, i, nil
		}
		a, err = convert(p, argOf(v, t.col), t.arg.col)
		return a, i, err
	}
	if p.kind == kSwitch {
		a.Bool = true
		return a, i, nil
	}
	if i >= len(toks) || toks[i].kind == tokParam || toks[i].kind == tokPipe {
		return a, i, errorAt(t.col, "missing a value for parameter -%s", p.name)
	}
	v, next, err := readValues(toks, i)
	if err != nil {
		return a, next, err
	}
	a, err = convert(p, argOf(v, t.col), toks[i].col)
	return a, next, err
}

// argOf makes an Arg of a raw value; $true and $false also read as text.
func argOf(v values, col int) Arg {
	a := Arg{Values: v.words, Null: v.null, Bool: v.bool, Col: col}
	if v.isVar && !v.null {
		a.Values = []string{strconv.FormatBool(v.bool)}
	}
	return a
}

// convert checks a value against its parameter's kind.
func convert(p param, a Arg, col int) (Arg, error) {
	if a.Null {
		if !p.null {
			return a, errorAt(col, "parameter -%s does not accept $null", p.name)
		}
		a.Values = nil
		return a, nil
	}
	if len(a.Values) == 0 {
		return a, errorAt(col, "parameter -%s needs a value", p.name)
	}
	if len(a.Values) > 1 && p.kind != kList {
		return a, errorAt(col, "parameter -%s takes one value, not a list", p.name)
	}
	switch p.kind {
	case kSwitch, kBool:
		if len(a.Values) == 1 {
			b, err := strconv.ParseBool(a.Values[0])
			if err != nil {
				return a, errorAt(col, "parameter -%s takes $true or $false, not %q", p.name, a.Values[0])
			}
			a.Bool = b
		}
	case kInt:
		n, err := strconv.Atoi(a.Values[0])
		if err != nil {
			return a, errorAt(col, "parameter -%s takes an integer, not %q", p.name, a.Values[0])
		}
		a.Int = n
	}
	return a, nil
}

// parseFormat parses "| fl A, B", "| Format-List -Property A,B" or
// "| Select-Object A, B" and checks the properties against the cmdlet's output.
func (c *Command) parseFormat(pipe token, toks []token) error {
	if len(toks) == 0 {
		return errorAt(pipe.col, "a cmdlet must follow the pipe")
	}
	f := toks[0]
	switch strings.ToLower(f.text) {
	case "fl", "format-list", "select", "select-object":
	default:
		if f.kind != tokWord {
			return errorAt(f.col, "a cmdlet must follow the pipe")
		}
		return errorAt(f.col, "only Format-List (fl) and Select-Object may follow the pipe, not %q%s",
			f.text, didYouMean(f.text, []string{"Format-List", "Select-Object"}))
	}
	if c.spec.fields == nil {
		return errorAt(f.col, "%s prints nothing to format", c.Name)
	}
	toks = toks[1:]
	if len(toks) > 0 && toks[0].kind == tokParam {
		if !strings.EqualFold(toks[0].text, "Property") {
			return errorAt(toks[0].col, "%s: unknown parameter -%s%s", f.text, toks[0].text, didYouMean(toks[0].text, []string{"Property"}))
		}
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return nil
	}
	v, next, err := readValues(toks, 0)
	if err != nil {
		return err
	}
	if next < len(toks) {
		return errorAt(toks[next].col, "unexpected %q after the property list", toks[next].text)
	}
	col := toks[0].col
	c.Select = []string{} // a pattern that matches nothing prints nothing
	for _, name := range v.words {
		sel, err := c.spec.selectFields(name, col)
		if err != nil {
			return err
		}
		c.Select = append(c.Select, sel...)
	}
	if v.isVar {
		return errorAt(col, "a property name is expected, not a variable")
	}
	return nil
}

// didYouMean returns "; did you mean X?" for the candidate closest to s, or ""
// when none is close.
func didYouMean(s string, candidates []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := levenshtein(ls, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(2, len(s)/3)
	if bestD < 0 || bestD > limit {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

// levenshtein is the edit distance between a and b (bytes).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sortedNames returns the names of the params, sorted.
func sortedNames(ps []param) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name
	}
	sort.Strings(out)
	return out
}
