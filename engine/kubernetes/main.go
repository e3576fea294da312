// pulumi-resource-kubernetes, built from the provider's Go module for the project's end-to-end
// tests (manifests rendered to a directory; no cluster). The upstream main embeds a schema that
// its release build generates and the module does not carry, so this main embeds the module's
// schema.json and terraform-mapping.json instead: engine/build.sh writes them (the schema's
// version set to the provider version it builds) beside a copy of this file in its work
// directory, and builds there. Everything else is the provider's own code.
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

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
