package scenarios

import (
	"errors"
	"strings"

	"gopkg.in/yaml.v3"

	"ocmsim/scenarios/cmdlet"
)

// PSStep runs one PowerShell cmdlet line of the admin guide, verbatim.
type PSStep struct {
	Line string
	// At is the position of the line's first character in the file, so that
	// a cmdlet error at column c of the line is at At.Col + c - 1.
	At Pos
}

// Kind implements Action.
func (*PSStep) Kind() string { return "ps" }

func (sp *stepParser) ps(n *yaml.Node) Action {
	d := sp.d
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, "ps: expected a cmdlet line, got %s", kindName(n))
		return nil
	}
	line := strings.TrimSpace(n.Value)
	at := posOf(n)
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		at.Col++
	case yaml.LiteralStyle, yaml.FoldedStyle:
		at = Pos{} // the text starts on a later line; report at the node
	}
	p := &PSStep{Line: line, At: at}
	cmd, err := cmdlet.Parse(line)
	if err != nil {
		var se *cmdlet.SyntaxError
		if errors.As(err, &se) && at.Line != 0 {
			d.errAt(Pos{at.Line, at.Col + se.Col - 1}, "", err, "ps: "+se.Msg)
		} else {
			d.errAt(posOf(n), "", err, "ps: "+err.Error())
		}
		return p
	}
	// a policy created here may be granted by later admin steps
	if strings.EqualFold(cmd.Name, "New-CsTeamsMobilityPolicy") && sp.ix != nil {
		if id := cmd.Str("Identity"); id != "" {
			sp.ix.policies[strings.ToLower(id)] = true
			sp.ix.policyIDs = append(sp.ix.policyIDs, id)
		}
	}
	return p
}
