//go:build !esceiling

package indexer

import "context"

// ceilingBuilt: this build has no ceiling.
const ceilingBuilt = false

// bulkAll: a build without -tags esceiling has no ceiling (ErrNoCeiling).
func bulkAll(context.Context, string, []doc, int, int) error { return ErrNoCeiling }
