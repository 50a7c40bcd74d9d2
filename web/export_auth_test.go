package web

import "github.com/statorhq/stator/store"

// AccessRules is the access table, for the test that every route has a rule.
func AccessRules() map[string]map[string]store.Role { return accessRules() }
