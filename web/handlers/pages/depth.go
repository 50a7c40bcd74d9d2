package pages

import "github.com/statorhq/stator/engine"

// maxDepth bounds the nesting of contexts typed into the pages (SPEC 11),
// the same limit the API applies.
var maxDepth = engine.DefaultLimits().MaxDepth
