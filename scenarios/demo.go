package scenarios

import _ "embed"

// DemoTenant is the bundled demo tenant (demo/tenant.yaml): Contoso with
// three mobile operators, users covering every mobility-policy source, a
// suspended country, a port in progress, emergency addresses, cells and PSAPs.
//
//go:embed demo/tenant.yaml
var DemoTenant []byte

// DemoPath is the name the demo tenant is loaded under.
const DemoPath = "demo/tenant.yaml"

// LoadDemo parses and builds the bundled demo tenant.
func LoadDemo(opts ...Option) (*File, error) {
	return Parse(DemoPath, DemoTenant, opts...)
}
