// Main package of pulumi-resource-kubernetes, built by scripts/tools.sh in a throwaway module
// outside the repository. Upstream's cmd/pulumi-resource-kubernetes/main.go embeds files that
// are generated at release time (gitignored, so absent from the Go module); tools.sh writes
// them next to this file before `go build`:
//   schema-embed.json            = schema.json with "version" set (upstream generate.go)
//   terraform-mapping-embed.json = terraform-mapping.json, re-serialized
//   helm-mapping.json            = copied as is
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

//go:embed helm-mapping.json
var helmMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping, helmMapping)
}
