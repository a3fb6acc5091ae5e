package cmdlet_test

import (
	"fmt"

	"ocmsim/routing"
	"ocmsim/scenarios/cmdlet"
)

func Example() {
	d := routing.NewDirectory("tenant-1", "xyz.onmicrosoft.com")
	if err := d.AddUser(routing.User{ID: "user"}); err != nil {
		panic(err)
	}
	for _, line := range []string{
		"New-CsTeamsMobilityPolicy -identity NativeFirst -MobileDialerPreference Native",
		"Grant-CsTeamsMobilityPolicy NativeFirst -Identity user@xyz.onmicrosoft.com",
		"get-CsUserpolicyassignment -identity user@xyz.onmicrosoft.com",
	} {
		c, err := cmdlet.Parse(line)
		if err != nil {
			fmt.Println(err)
			return
		}
		out, err := c.Apply(d)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(out)
	}
	// Output:
	// PolicyType   : TeamsMobilityPolicy
	// PolicyName   : NativeFirst
	// PolicySource : {Direct}
}

func ExampleParse_error() {
	_, err := cmdlet.Parse("Grant-CsTeamsMobilityPolicy NativeFirst -Identiy user@xyz.onmicrosoft.com")
	fmt.Println(err)
	// Output:
	// column 41: Grant-CsTeamsMobilityPolicy: unknown parameter -Identiy; did you mean Identity?
}
