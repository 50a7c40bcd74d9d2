package web

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/statorhq/stator/web/handlers"
)

// routes builds the whole route table.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(middleware.Recover())
	e.Use(s.requestLog())
	e.Use(middleware.BodyLimit("1M"))

	st := s.cfg.Store
	eng := &handlers.Engine{Store: st}
	machines := &handlers.Machines{Store: st}
	entities := &handlers.Entities{Store: st}
	shares := &handlers.Shares{Store: st}
	api := &handlers.APIDocs{}
	pages := &handlers.Pages{Store: st, Clock: s.cfg.Clock}
	for _, ex := range Examples() {
		pages.Templates = append(pages.Templates, handlers.Template{Name: ex.Name, YAML: ex.YAML, Description: ex.Description})
	}

	e.StaticFS("/static", echo.MustSubFS(staticFS, "static"))
	e.GET("/health", s.health)
	e.GET("/docs", api.Page)

	// pages
	e.GET("/", pages.List)
	e.POST("/machines", pages.Create)
	e.GET("/new", pages.New)
	e.POST("/new", pages.SaveNew)
	e.GET("/machines/:id", pages.Workspace)
	e.POST("/machines/:id/save", pages.Save)
	e.POST("/machines/:id/fork", pages.Fork)
	e.POST("/machines/:id/delete", pages.Delete)
	e.POST("/workspace/analyze", pages.AnalyzeFragment)
	e.POST("/workspace/share", pages.Share)
	e.POST("/workspace/export", pages.Export)
	e.POST("/workspace/simulate", pages.Simulate)
	e.GET("/machines/:id/entities", pages.EntitiesPanel)
	e.POST("/machines/:id/entities", pages.CreateEntity)
	e.GET("/entities/:id", pages.EntityPage)
	e.POST("/entities/:id/send", pages.EntitySend)
	e.GET("/s/:id", pages.SharePage)
	e.GET("/draft", pages.DraftPage)

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.json", api.OpenAPI)
	v1.POST("/validate", eng.Validate)
	v1.POST("/process", eng.Process)
	v1.POST("/render", eng.Render)

	v1.GET("/machines", machines.List)
	v1.POST("/machines", machines.Create)
	v1.GET("/machines/:id", machines.Get)
	v1.PUT("/machines/:id", machines.Update)
	v1.DELETE("/machines/:id", machines.Delete)
	v1.GET("/machines/:id/stats", machines.Stats)

	v1.GET("/entities", entities.List)
	v1.POST("/entities", entities.Create)
	v1.GET("/entities/:id", entities.Get)
	v1.POST("/entities/:id/create", entities.CreateAt)
	v1.POST("/entities/:id/events", entities.Event)
	v1.GET("/entities/:id/history", entities.History)

	v1.POST("/shares", shares.Create)
	v1.GET("/shares/:id", shares.Get)

	return e
}

// health answers GET /health: the server is up and the database answers.
func (s *Server) health(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if _, err := s.cfg.Store.CountMachines(ctx); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": err.Error()})
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

// renderErrorPage answers a page request that failed: a message fragment for
// htmx, a whole page otherwise.
func (s *Server) renderErrorPage(c echo.Context, p problem) {
	if c.Request().Header.Get("HX-Request") != "" {
		_ = c.HTMLBlob(p.Status, []byte(`<p class="flash error" role="alert"><strong>`+html.EscapeString(p.Title)+`:</strong> `+html.EscapeString(p.Detail)+`</p>`))
		return
	}
	body := "<!doctype html><meta charset=utf-8><title>" + html.EscapeString(p.Title) + " · Stator</title>" +
		"<main style=\"font:16px system-ui;max-width:40rem;margin:3rem auto\"><h1>" + html.EscapeString(p.Title) + "</h1><p>" +
		html.EscapeString(p.Detail) + "</p><p><a href=\"/\">Back to the machines</a></p></main>"
	_ = c.HTMLBlob(p.Status, []byte(body))
}
