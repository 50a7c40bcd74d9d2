package store

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/statorhq/stator/engine"
)

// shareIDAlphabet spells share ids (no 0/o, 1/l confusion).
const shareIDAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// shareID derives a share's id from its content: the same text and trace
// give the same id, so sharing twice stores once.
func shareID(yaml string, trace []byte) string {
	h := sha256.New()
	h.Write([]byte(strconv.Itoa(len(yaml))))
	h.Write([]byte{0})
	h.Write([]byte(yaml))
	h.Write(trace)
	sum := h.Sum(nil)
	var b strings.Builder
	for i := 0; i < 12; i++ {
		b.WriteByte(shareIDAlphabet[int(sum[i])%len(shareIDAlphabet)])
	}
	return b.String()
}

// TraceEnvelope is how many levels a simulation trace adds around the
// contexts and payloads it carries (the trace, its steps, a step): a trace
// may nest that much deeper than a context (SPEC 11: depth ≤ 32).
const TraceEnvelope = 3

// CreateShare stores a share of machine text (valid or not: a draft can be
// shared) and an optional simulation trace (JSON), and returns it with its
// id. The same content gives the same share.
func (s *Store) CreateShare(ctx context.Context, yaml string, trace []byte) (*Share, error) {
	if strings.TrimSpace(yaml) == "" {
		return nil, Errorf(EINVALID, "there is nothing to share: the machine text is empty")
	}
	if max := engine.DefaultLimits().MaxTextBytes; len(yaml) > max {
		return nil, &Error{Code: ETOOLARGE, Detail: "text_too_large",
			Message: "the machine text is " + strconv.Itoa(len(yaml)) + " bytes; the limit is " + strconv.Itoa(max)}
	}
	if len(trace) == 0 || string(trace) == "null" {
		trace = nil
	}
	if trace != nil {
		var v any
		if err := json.Unmarshal(trace, &v); err != nil {
			return nil, Errorf(EINVALID, "the simulation trace is not valid JSON")
		}
		limit := engine.DefaultLimits().MaxDepth
		if d := engine.ValueDepth(v); d > limit+TraceEnvelope {
			return nil, Errorf(EINVALID, "the simulation trace is nested %d levels deep; the contexts and payloads in it may be nested at most %d levels (%d for the whole trace)",
				d, limit, limit+TraceEnvelope)
		}
	}
	if n := len(yaml) + len(trace); n > s.opts.Limits.MaxShareBytes {
		return nil, &Error{Code: ETOOLARGE, Detail: "share_too_large",
			Message: "the share would be " + strconv.Itoa(n) + " bytes; the limit is " + strconv.Itoa(s.opts.Limits.MaxShareBytes)}
	}
	sh := &Share{ID: shareID(yaml, trace), YAML: yaml, Trace: trace, CreatedAt: s.clock.Now().UTC()}
	if err := s.db.PutShare(ctx, sh); err != nil {
		return nil, err
	}
	return sh, nil
}

// GetShare returns a share.
func (s *Store) GetShare(ctx context.Context, id string) (*Share, error) {
	return s.db.GetShare(ctx, id)
}
