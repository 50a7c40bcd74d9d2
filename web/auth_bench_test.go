package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
	"github.com/statorhq/stator/web/handlers/pages"
)

// BenchmarkAuthenticate measures the access check of one API request
// (SPEC 10: "a few microseconds"): with no accounts, with a bearer token and
// with a session cookie, the credentials cache warm as under load.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		users bool
		cred  string // "token", "cookie" or ""
	}{
		{"no accounts", false, ""},
		{"bearer token", true, "token"},
		{"session cookie", true, "cookie"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			st, err := sqlite.OpenStore(ctx, filepath.Join(b.TempDir(), "b.db"), sqlite.Options{}, store.Options{NoScheduler: true})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			req := httptest.NewRequest(http.MethodPost, "/api/v1/entities/e1/events", nil)
			if bc.users {
				if _, err := st.AddUser(ctx, "ada", store.RoleAdmin, "correct horse"); err != nil {
					b.Fatal(err)
				}
				switch bc.cred {
				case "token":
					_, tok, err := st.CreateToken(ctx, "ada", "load")
					if err != nil {
						b.Fatal(err)
					}
					req.Header.Set("Authorization", "Bearer "+tok)
				case "cookie":
					ns, err := st.LogIn(ctx, "ada", "correct horse", "")
					if err != nil {
						b.Fatal(err)
					}
					req.AddCookie(&http.Cookie{Name: pages.SessionCookie, Value: ns.Secret})
				}
			}
			s, err := New(ctx, Config{Addr: "127.0.0.1:0", Store: st})
			if err != nil {
				b.Fatal(err)
			}
			called := 0
			h := s.authenticate(func(echo.Context) error { called++; return nil })
			c := s.echo.NewContext(req, httptest.NewRecorder())
			c.SetPath("/api/v1/entities/:id/events")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.SetRequest(req)
				if err := h(c); err != nil {
					b.Fatal(err)
				}
			}
			if called == 0 {
				b.Fatal("the handler was never called")
			}
		})
	}
}
