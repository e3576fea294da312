//go:build tools

// Package tools pins the Pulumi CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) in this module, so that
// `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./language-nodejs` builds the CLI and our Node.js
// language host against the same dependency versions.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
