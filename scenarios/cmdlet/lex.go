package cmdlet

import (
	"fmt"
	"strings"
)

// tokKind is the kind of a lexical token of a cmdlet line.
type tokKind int

const (
	tokWord  tokKind = iota // bareword or quoted string
	tokParam                // -Name, or -Name:value (value in arg)
	tokVar                  // $null, $true, $false
	tokComma
	tokPipe
)

// token is one lexical token; col is its byte offset + 1 in the line.
type token struct {
	kind   tokKind
	text   string // word text (unquoted), parameter name, or variable name
	col    int
	quoted bool
	arg    *token // -Name:value carries its value here
}

// lex splits a PowerShell-ish line into tokens. A '#' at the start of a
// token starts a comment that runs to the end of the line.
func lex(line string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#':
			return toks, nil
		case c == ',':
			toks = append(toks, token{kind: tokComma, text: ",", col: i + 1})
			i++
		case c == '|':
			toks = append(toks, token{kind: tokPipe, text: "|", col: i + 1})
			i++
		case c == ';' || c == '(' || c == ')' || c == '{' || c == '}' || c == '@' || c == '&' || c == '<' || c == '>':
			return nil, errorAt(i+1, "unexpected %q: only one cmdlet with literal arguments is supported per line", string(c))
		case c == '-' && i+1 < len(line) && isLetter(line[i+1]):
			t, next, err := lexParam(line, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = next
		default:
			t, next, err := lexValue(line, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = next
		}
	}
	return toks, nil
}

// lexParam reads -Name or -Name:value starting at line[i] == '-'.
func lexParam(line string, i int) (token, int, error) {
	start := i
	i++
	for i < len(line) && (isLetter(line[i]) || isDigit(line[i]) || line[i] == '_') {
		i++
	}
	t := token{kind: tokParam, text: line[start+1 : i], col: start + 1}
	if i < len(line) && line[i] == ':' {
		i++
		if i >= len(line) || isSpace(line[i]) {
			return t, i, errorAt(i+1, "parameter -%s: a value must follow the colon", t.text)
		}
		v, next, err := lexValue(line, i)
		if err != nil {
			return t, next, err
		}
		t.arg = &v
		return t, next, nil
	}
	if i < len(line) && !isSpace(line[i]) && line[i] != ',' && line[i] != '|' {
		return t, i, errorAt(i+1, "unexpected %q after parameter -%s", string(line[i]), t.text)
	}
	return t, i, nil
}

// lexValue reads a variable, a quoted string or a bareword at line[i].
func lexValue(line string, i int) (token, int, error) {
	switch line[i] {
	case '$':
		start := i
		i++
		for i < len(line) && (isLetter(line[i]) || isDigit(line[i]) || line[i] == '_') {
			i++
		}
		name := line[start+1 : i]
		switch strings.ToLower(name) {
		case "null", "true", "false":
			return token{kind: tokVar, text: strings.ToLower(name), col: start + 1}, i, nil
		}
		return token{}, i, errorAt(start+1, "unknown variable $%s: only $null, $true and $false are supported", name)
	case '\'':
		return lexSingle(line, i)
	case '"':
		return lexDouble(line, i)
	}
	start := i
	for i < len(line) && !isSpace(line[i]) && !strings.ContainsRune(",|;(){}'\"", rune(line[i])) {
		i++
	}
	if i < len(line) && (line[i] == '\'' || line[i] == '"') {
		return token{}, i, errorAt(i+1, "a quote inside a bare word: quote the whole value")
	}
	return token{kind: tokWord, text: line[start:i], col: start + 1}, i, nil
}

// lexSingle reads a single-quoted string; two single quotes make a literal one.
func lexSingle(line string, i int) (token, int, error) {
	start := i
	var b strings.Builder
	for i++; i < len(line); i++ {
		if line[i] == '\'' {
			if i+1 < len(line) && line[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return token{kind: tokWord, text: b.String(), col: start + 1, quoted: true}, i + 1, nil
		}
		b.WriteByte(line[i])
	}
	return token{}, i, errorAt(start+1, "unterminated single-quoted string")
}

// lexDouble reads a double-quoted string. A backtick escapes the next
// character (backtick-n, -t and -0 are newline, tab and NUL) and two double
// quotes make a literal one. Variables are not expanded.
func lexDouble(line string, i int) (token, int, error) {
	start := i
	var b strings.Builder
	for i++; i < len(line); i++ {
		switch c := line[i]; c {
		case '`':
			if i+1 >= len(line) {
				return token{}, i, errorAt(i+1, "a backtick at the end of the line")
			}
			i++
			switch line[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '0':
				b.WriteByte(0)
			default:
				b.WriteByte(line[i])
			}
		case '"':
			if i+1 < len(line) && line[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			return token{kind: tokWord, text: b.String(), col: start + 1, quoted: true}, i + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return token{}, i, errorAt(start+1, "unterminated double-quoted string")
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// SyntaxError is a line that does not parse: the column (byte offset + 1) of
// the offending token and what is wrong, so a caller can print file:line:col.
type SyntaxError struct {
	Col int
	Msg string
}

// Error formats the error as "column N: message".
func (e *SyntaxError) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

func errorAt(col int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Col: col, Msg: fmt.Sprintf(format, args...)}
}
