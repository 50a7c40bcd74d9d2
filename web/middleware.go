package web

import (
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// csp is the Content-Security-Policy of every response (SPEC 12.1): scripts
// only from this server and never inline, nothing from other hosts, no
// framing. Styles may be inline: Mermaid writes a <style> into every SVG.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"

// renderFrame is the page the diagram is drawn in: a sandboxed frame of the
// server's own pages, so it may be framed by them (and only by them).
const renderFrame = "/static/render.html"

// cspFramed is csp for renderFrame: framed by this server's pages only.
var cspFramed = strings.Replace(csp, "frame-ancestors 'none'", "frame-ancestors 'self'", 1)

// securityHeaders sets the headers every response carries.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		if c.Request().URL.Path == renderFrame {
			h.Set("Content-Security-Policy", cspFramed)
			h.Set("X-Frame-Options", "SAMEORIGIN")
		} else {
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Frame-Options", "DENY")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		return next(c)
	}
}

// hostList is the Host header values the server answers to (SPEC 12.1): a
// request naming another host is refused, so that a DNS name an attacker
// points at 127.0.0.1 (DNS rebinding) reaches nothing, and links are never
// built on a forged host.
type hostList struct {
	mu    sync.RWMutex
	hosts map[string]bool // lower-case host[:port]
	names map[string]bool // lower-case host names allowed on any port
}

func newHostList(addr string, public *url.URL, extra []string) *hostList {
	l := &hostList{hosts: map[string]bool{}, names: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	if public != nil {
		l.hosts[strings.ToLower(public.Host)] = true
		l.names[strings.ToLower(public.Hostname())] = true
	}
	if host, _, err := net.SplitHostPort(addr); err == nil && host != "" && host != "0.0.0.0" && host != "::" {
		l.names[strings.ToLower(host)] = true
	}
	for _, h := range extra {
		l.names[strings.ToLower(strings.TrimSpace(h))] = true
	}
	return l
}

// addListener allows the address the server actually listens on (a
// specific IP of a wildcard bind is only known per connection; see allowed).
func (l *hostList) addListener(a net.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ta, ok := a.(*net.TCPAddr); ok && !ta.IP.IsUnspecified() {
		l.names[strings.ToLower(ta.IP.String())] = true
	}
}

func (l *hostList) allowed(r *http.Request) bool {
	host := strings.ToLower(r.Host)
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.hosts[host] {
		return true
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if l.names[name] {
		return true
	}
	// a wildcard bind: the IP the client connected to is the server's own
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ta, ok := la.(*net.TCPAddr); ok && ta.IP.String() == name {
			return true
		}
	}
	return false
}

// checkHost refuses requests for hosts the server does not answer to (421).
func (s *Server) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.hosts.allowed(c.Request()) {
			return store.Errorf(store.EMISDIRECTED, "this server does not answer to the host %q; use its address or set --public-url", c.Request().Host)
		}
		return next(c)
	}
}

// crossSite refuses state-changing requests sent by another site (SPEC
// 12.1): an Origin other than the server's own, or Sec-Fetch-Site:
// cross-site. Clients that send neither (curl, SDKs) are unaffected.
func (s *Server) crossSite(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			return store.Errorf(store.EFORBIDDEN, "this request came from another site; Stator only takes changes from its own pages or from API clients")
		}
		if origin := r.Header.Get("Origin"); origin != "" && !s.ownOrigin(origin, r) {
			return store.Errorf(store.EFORBIDDEN, "this request came from %s, not from this server's pages; Stator only takes changes from its own pages or from API clients", origin)
		}
		return next(c)
	}
}

// ownOrigin reports whether an Origin is the server's own: the public URL's
// (scheme included, since it says how users reach the server: a plain-http
// page on the same name is someone else's), else the request's own host.
func (s *Server) ownOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if s.public != nil && strings.EqualFold(u.Host, s.public.Host) {
		return strings.EqualFold(u.Scheme, s.public.Scheme)
	}
	return strings.EqualFold(u.Host, r.Host)
}

// readForms parses a form body before the handler runs, so that a body over
// the limit is refused (413) rather than read as an empty form: handlers
// read fields with FormValue, which drops the error of a body cut short
// (a chunked form of 1 MiB + 1 byte to /machines made a blank machine).
func readForms(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		var err error
		switch mt {
		case echo.MIMEApplicationForm:
			err = r.ParseForm()
		case echo.MIMEMultipartForm:
			err = r.ParseMultipartForm(MaxBodyBytes)
		default:
			return next(c)
		}
		if err == nil {
			// a multipart parser stops at the closing boundary, which may come
			// in the very read that passed the limit: ask the body once more
			_, err = r.Body.Read(make([]byte, 1))
			if errors.Is(err, io.EOF) {
				err = nil
			}
		}
		var he *echo.HTTPError
		switch {
		case errors.As(err, &he):
			return he // the body limit
		case err != nil:
			return &store.Error{Code: store.EINVALID, Message: "the form could not be read; send it as the page does (url-encoded or multipart)", Err: err}
		}
		return next(c)
	}
}

// unescapeParams decodes percent-encoded path parameters, so that an entity
// id such as user@x:1 is reachable as user%40x%3A1 too.
func unescapeParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		vals := c.ParamValues()
		changed := false
		for i, v := range vals {
			if strings.Contains(v, "%") {
				u, err := url.PathUnescape(v)
				if err != nil {
					return store.Errorf(store.EINVALID, "the path has a broken percent-encoding: %q", v)
				}
				vals[i], changed = u, true
			}
		}
		if changed {
			c.SetParamValues(vals...)
		}
		return next(c)
	}
}

// rateLimiter counts events per key in a sliding window.
type rateLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	clock  engine.Clock
	seen   map[string][]time.Time
}

func newRateLimiter(max int, window time.Duration, clock engine.Clock) *rateLimiter {
	return &rateLimiter{max: max, window: window, clock: clock, seen: map[string][]time.Time{}}
}

// allow records an event for key and reports whether it is within the
// limit; when it is not, retry says how long until it would be.
func (l *rateLimiter) allow(key string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if len(l.seen) > 10000 { // forget idle clients
		for k, ts := range l.seen {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) > l.window {
				delete(l.seen, k)
			}
		}
	}
	ts := l.seen[key]
	keep := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < l.window {
			keep = append(keep, t)
		}
	}
	if len(keep) >= l.max {
		l.seen[key] = keep
		return false, l.window - now.Sub(keep[0])
	}
	l.seen[key] = append(keep, now)
	return true, 0
}

// limitShares allows ShareRate shares per minute per client address.
func (s *Server) limitShares(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, retry := s.shares.allow(c.RealIP()); !ok {
			secs := max(1, int((retry+time.Second-1)/time.Second)) // rounded up: never early, never past the window
			return &store.Error{Code: store.ERATELIMIT, Message: "too many shares from this address; try again in " + strconv.Itoa(secs) + " s",
				Fields: map[string]any{"retry_after": secs}}
		}
		return next(c)
	}
}

// scheme is the request's scheme: from the TLS state, or (only when the
// server is told to trust its proxy) from X-Forwarded-Proto.
func (s *Server) scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if s.cfg.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https" {
		return "https"
	}
	return "http"
}
