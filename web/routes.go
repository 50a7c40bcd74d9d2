package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/statorhq/stator/web/handlers/api"
	"github.com/statorhq/stator/web/handlers/pages"
)

// routes builds the whole route table.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	if s.cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect() // X-Forwarded-For is not believed
	}
	e.Pre(s.requestLog())
	e.Pre(middleware.Recover())
	e.Pre(securityHeaders)
	e.Pre(s.checkHost)
	e.Use(s.cfg.Metrics.middleware)
	e.Use(middleware.BodyLimit(bodyLimit))
	e.Use(unescapeParams)
	e.Use(s.crossSite)
	e.Use(readForms)
	e.Use(s.authenticate)

	st := s.cfg.Store
	eng := &api.Engine{Store: st}
	machines := &api.Machines{Store: st, Actor: actorOf}
	entities := &api.Entities{Store: st, Actor: actorOf}
	revisions := &api.Revisions{Store: st, Actor: actorOf}
	shares := &api.Shares{Store: st, BaseURL: s.baseURL}
	docs := pages.APIDocs{Document: api.OpenAPIDocument()}
	machinePages := &pages.Machines{Store: st, Clock: s.cfg.Clock, Actor: actorOf}
	accounts := &pages.Accounts{Store: st, Clock: s.cfg.Clock, SecureCookie: s.secureCookie}
	for _, ex := range Examples() {
		machinePages.Templates = append(machinePages.Templates, pages.Template{Name: ex.Name, YAML: ex.YAML, Description: ex.Description})
	}
	sharePages := &pages.Shares{Store: st, BaseURL: s.baseURL}
	entityPages := &pages.Entities{Store: st, Clock: s.cfg.Clock, Actor: actorOf}
	revisionPages := &pages.Revisions{Store: st, Clock: s.cfg.Clock, Actor: actorOf}

	e.StaticFS("/static", echo.MustSubFS(staticFS, "static"))
	e.GET("/health", s.health)
	e.GET("/ready", s.ready)
	e.GET("/metrics", echo.WrapHandler(s.cfg.Metrics.handler()))
	e.GET("/docs", docs.Page)

	// pages
	e.GET("/", machinePages.List)
	e.POST("/machines", machinePages.Create)
	e.GET("/new", machinePages.New)
	e.POST("/new", machinePages.SaveNew)
	e.GET("/machines/:id", machinePages.Workspace)
	e.POST("/machines/:id/save", machinePages.Save)
	e.POST("/machines/:id/fork", machinePages.Fork)
	e.POST("/machines/:id/delete", machinePages.Delete)
	e.GET("/machines/:id/revisions", revisionPages.Panel)
	e.GET("/machines/:id/compare", revisionPages.Compare)
	e.POST("/machines/:id/revisions/:n/restore", revisionPages.Restore)
	e.GET("/machines/:id/migrate", revisionPages.MigratePage)
	e.POST("/machines/:id/migrate", revisionPages.Migrate)
	e.GET("/machines/:id/migrate/progress", revisionPages.MigrateProgress)
	e.POST("/workspace/analyze", machinePages.AnalyzeFragment)
	e.POST("/workspace/share", sharePages.Share, s.limitShares)
	e.POST("/workspace/export", pages.Export)
	e.POST("/workspace/simulate", pages.Simulate)
	e.GET("/machines/:id/entities", entityPages.EntitiesPanel)
	e.POST("/machines/:id/entities", entityPages.CreateEntity)
	e.GET("/entities/:id", entityPages.EntityPage)
	e.POST("/entities/:id/send", entityPages.EntitySend)
	e.GET("/s/:id", sharePages.SharePage)
	e.GET("/draft", sharePages.DraftPage)

	// accounts (who may call what: accessRules)
	e.GET("/login", accounts.LoginPage)
	e.POST("/login", accounts.LogIn)
	e.POST("/logout", accounts.LogOut)
	e.GET("/tokens", accounts.Tokens)
	e.POST("/tokens", accounts.CreateToken)
	e.POST("/tokens/revoke", accounts.RevokeToken)
	e.GET("/users", accounts.Users)
	e.POST("/users", accounts.AddUser)
	e.POST("/users/role", accounts.SetRole)
	e.POST("/users/password", accounts.ResetPassword)
	e.POST("/users/remove", accounts.RemoveUser)

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.json", api.OpenAPI)
	v1.POST("/validate", eng.Validate)
	v1.POST("/process", eng.Process)
	v1.POST("/render", eng.Render)
	v1.POST("/edit", api.Edit)

	v1.GET("/machines", machines.List)
	v1.POST("/machines", machines.Create)
	v1.GET("/machines/:id", machines.Get)
	v1.PUT("/machines/:id", machines.Update)
	v1.DELETE("/machines/:id", machines.Delete)
	v1.GET("/machines/:id/stats", machines.Stats)
	v1.GET("/machines/:id/revisions", revisions.List)
	v1.GET("/machines/:id/revisions/:n", revisions.Get)
	v1.POST("/machines/:id/revisions/:n/restore", revisions.Restore)
	v1.GET("/machines/:id/diff", revisions.Diff)
	v1.POST("/machines/:id/migrate", revisions.Migrate)

	v1.GET("/entities", entities.List)
	v1.POST("/entities", entities.Create)
	v1.GET("/entities/:id", entities.Get)
	v1.POST("/entities/:id/create", entities.CreateAt)
	v1.POST("/entities/:id/events", entities.Event)
	v1.GET("/entities/:id/history", entities.History)

	v1.POST("/shares", shares.Create, s.limitShares)
	v1.GET("/shares/:id", shares.Get)

	return e
}

// bodyLimit is MaxBodyBytes as echo's limit syntax ("1M" would be decimal:
// 1,000,000 bytes).
const bodyLimit = "1048576B"

// health answers GET /health: the process is up (liveness).
func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// ready answers GET /ready: the database answers, its migrations are applied
// and it takes writes (readiness; 503 otherwise).
func (s *Server) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ready(ctx); err != nil {
		s.cfg.Logger.Warn("not ready", "err", err)
		c.Response().Header().Set("Retry-After", "1")
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "not ready"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
}

// requestLog logs every request with log/slog.
func (s *Server) requestLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURI: true, LogStatus: true, LogLatency: true, LogResponseSize: true, LogRemoteIP: true,
		HandleError: true, // run the error handler first, so that the logged status is the one sent
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			s.cfg.Logger.LogAttrs(c.Request().Context(), level, "request",
				slog.String("method", v.Method), slog.String("uri", v.URI), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.Int64("bytes", v.ResponseSize), slog.String("remote", v.RemoteIP))
			return nil
		},
	})
}
