// Package scenarios loads ocmsim scenario and tenant files: one YAML document
// each, in the format of spec/scenario-format.md (plus the additions listed in
// FORMAT.md next to this file).
//
// Load and Parse decode the document through yaml.Node so that every problem
// carries its file:line:column, reject unknown keys (suggesting the nearest
// allowed one), build the tenant by applying routing's admin actions in a
// fixed order (so a file that breaks a tenant rule fails with that rule's
// code), and return the devices' behaviours, the steps and the load profile
// as typed values for the runner:
//
//	f, err := scenarios.Load("scenarios/native-first.yaml")
//	if err != nil {
//		fmt.Println(err) // one "file:line:col: message" per line
//	}
//	dec := f.Directory.Route(routing.Call{To: "+14255550100"}, nil)
package scenarios
