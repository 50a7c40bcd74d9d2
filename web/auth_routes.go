package web

import (
	"net/http"

	"github.com/statorhq/stator/store"
)

// public marks a route anyone may call, signed in or not.
const public store.Role = ""

// accessRules is the one table of who may call what (SPEC 12.2): for each
// route of routes.go, by method and echo path, the smallest role that may
// call it, or public. A viewer reads everything, simulates and shares; an
// editor also changes machines and entities; an admin also manages users
// and tokens. A route missing here is refused to everyone but admins
// (TestEveryRouteHasAnAccessRule fails until it gets a line).
//
// The workspace's analyze, simulate and export endpoints are public: they
// compute on the text they are sent and store nothing, and the share page,
// which anyone with its link may open, needs them.
func accessRules() map[string]map[string]store.Role {
	v, e, a := store.RoleViewer, store.RoleEditor, store.RoleAdmin
	return map[string]map[string]store.Role{
		http.MethodGet: {
			"/health":                public,
			"/ready":                 public,
			"/static*":               public,
			"/login":                 public,
			"/s/:id":                 public,
			"/metrics":               v,
			"/docs":                  v,
			"/":                      v,
			"/machines/:id":          v,
			"/machines/:id/entities": v,
			"/entities/:id":          v,
			"/draft":                 v,
			"/new":                   e,
			"/tokens":                v,
			"/users":                 a,

			"/machines/:id/revisions":        v,
			"/machines/:id/compare":          v,
			"/machines/:id/migrate":          e,
			"/machines/:id/migrate/progress": v,

			"/api/v1/openapi.json":              v,
			"/api/v1/machines":                  v,
			"/api/v1/machines/:id":              v,
			"/api/v1/machines/:id/stats":        v,
			"/api/v1/machines/:id/revisions":    v,
			"/api/v1/machines/:id/revisions/:n": v,
			"/api/v1/machines/:id/diff":         v,
			"/api/v1/entities":                  v,
			"/api/v1/entities/:id":              v,
			"/api/v1/entities/:id/history":      v,
			"/api/v1/shares/:id":                v,
		},
		http.MethodPost: {
			"/login":                             public,
			"/workspace/analyze":                 public,
			"/workspace/simulate":                public,
			"/workspace/export":                  public,
			"/logout":                            v,
			"/workspace/share":                   v,
			"/tokens":                            v,
			"/tokens/revoke":                     v,
			"/machines":                          e,
			"/new":                               e,
			"/machines/:id/save":                 e,
			"/machines/:id/fork":                 e,
			"/machines/:id/delete":               e,
			"/machines/:id/entities":             e,
			"/entities/:id/send":                 e,
			"/machines/:id/revisions/:n/restore": e,
			"/machines/:id/migrate":              e,
			"/users":                             a,
			"/users/role":                        a,
			"/users/password":                    a,
			"/users/remove":                      a,

			"/api/v1/validate":                          v,
			"/api/v1/process":                           v,
			"/api/v1/render":                            v,
			"/api/v1/edit":                              v,
			"/api/v1/shares":                            v,
			"/api/v1/machines":                          e,
			"/api/v1/entities":                          e,
			"/api/v1/entities/:id/create":               e,
			"/api/v1/entities/:id/events":               e,
			"/api/v1/machines/:id/revisions/:n/restore": e,
			"/api/v1/machines/:id/migrate":              e,
		},
		http.MethodPut: {
			"/api/v1/machines/:id": e,
		},
		http.MethodDelete: {
			"/api/v1/machines/:id": e,
		},
	}
}
